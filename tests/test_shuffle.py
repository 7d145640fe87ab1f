"""The shuffle (shuffle.py, external.py): map-side combine, spilling, lost map outputs.

Metrics come from the workers inside TaskEnded events, so these tests see what each map task
really wrote, not what the driver thinks it asked for.
"""

import glob
import os
import random
from collections import Counter, defaultdict

import pytest

from minispark import events


def shuffle_records_written(recorder, job_id) -> int:
    return sum(e.metrics["shuffle_records_written"]
               for e in recorder.of(events.TaskEnded, job_id=job_id, status="success"))


def test_reduceByKey_combines_map_side_and_groupByKey_does_not(sc, recorder):
    data = [(f"k{i % 5}", i) for i in range(400)]
    rdd = sc.parallelize(data, 4)
    per_partition_keys = sum(len({k for k, _ in part}) for part in rdd.glom().collect())

    rdd.reduceByKey(lambda a, b: a + b, 3).collect()
    reduced = shuffle_records_written(recorder, recorder.last_job_id())
    rdd.groupByKey(3).collect()
    grouped = shuffle_records_written(recorder, recorder.last_job_id())

    assert reduced == per_partition_keys == 20   # one record per key per map task
    assert grouped == len(data)                  # every value crosses the shuffle


def test_shuffle_bytes_written_are_read_back(sc, recorder):
    sc.parallelize(range(1000), 4).map(lambda x: (x % 10, x)).groupByKey(3).count()
    ended = recorder.of(events.TaskEnded, job_id=recorder.last_job_id(), status="success")
    written = sum(e.metrics["shuffle_bytes_written"] for e in ended)
    read = sum(e.metrics["shuffle_bytes_read"] for e in ended)
    assert written > 0 and read == written


def test_map_output_files_live_in_the_context_directory(sc):
    sc.parallelize(range(10), 2).map(lambda x: (x, x)).partitionBy(2).count()
    files = glob.glob(os.path.join(sc.local_dir, "worker-*", "shuffle_*.data"))
    assert files, "no map output file was written under sc.local_dir"


def test_lost_map_output_files_are_recomputed_by_resubmitting_the_map_stage(sc, recorder):
    counts = sc.parallelize([(i % 7, 1) for i in range(70)], 3).reduceByKey(lambda a, b: a + b, 2)
    assert sorted(counts.collect()) == [(k, 10) for k in range(7)]
    shuffle_id = counts.dependencies[0].shuffle_id
    lost = glob.glob(os.path.join(sc.local_dir, "worker-*", f"shuffle_{shuffle_id}_*.data"))
    assert len(lost) == 3
    for path in lost:
        os.unlink(path)   # as if the disk holding the map outputs was lost

    assert sorted(counts.collect()) == [(k, 10) for k in range(7)]
    job = recorder.last_job_id()
    assert recorder.of(events.TaskEnded, job_id=job, status="fetch_failed")
    map_stage = recorder.of(events.StageSubmitted)[0].stage_id
    resubmitted = [s for s in recorder.of(events.StageSubmitted, job_id=job)
                   if s.stage_id == map_stage]
    assert resubmitted and resubmitted[0].attempt >= 1


# ---- spilling: a context whose in-memory buffers hold at most 50 records ---------------------

SPILL_THRESHOLD = 50


@pytest.fixture
def spilling(fresh_context, record_events):
    context = fresh_context(conf={
        "spark.shuffle.spill.numElementsForceSpillThreshold": SPILL_THRESHOLD})
    return context, record_events(context)


def spill_bytes(recorder, job_id):
    return sum(e.metrics["spill_bytes"] for e in recorder.of(events.TaskEnded, job_id=job_id))


def test_spilling_shuffles_give_the_same_answers(spilling):
    context, recorder = spilling
    rng = random.Random(5)
    data = [(f"key{rng.randrange(700)}", rng.randrange(100)) for _ in range(6000)]
    rdd = context.parallelize(data, 4)
    sums, groups = defaultdict(int), defaultdict(list)
    for key, value in data:
        sums[key] += value
        groups[key].append(value)

    reduced = rdd.reduceByKey(lambda a, b: a + b, 3).collect()
    assert spill_bytes(recorder, recorder.last_job_id()) > 0, "the test did not spill"
    assert len(reduced) == len(sums) and dict(reduced) == dict(sums)

    grouped = rdd.groupByKey(3).mapValues(sorted).collect()
    assert spill_bytes(recorder, recorder.last_job_id()) > 0
    assert len(grouped) == len(groups)
    assert dict(grouped) == {k: sorted(v) for k, v in groups.items()}

    ordered = rdd.sortByKey(True, 3).collect()
    job = recorder.last_job_id()
    sorting_stage = recorder.of(events.JobStarted, job_id=job)[0].final_stage_id
    assert sum(e.metrics["spill_bytes"] for e in recorder.of(events.TaskEnded, job_id=job)
               if e.stage_id == sorting_stage) > 0, "the sort in the reduce tasks did not spill"
    assert [k for k, _ in ordered] == sorted(k for k, _ in data)
    assert Counter(ordered) == Counter(data)
    descending = rdd.sortByKey(False, 2).keys().collect()
    assert descending == sorted((k for k, _ in data), reverse=True)

    joined = rdd.join(context.parallelize([(f"key{i}", i) for i in range(0, 700, 7)], 2)).count()
    assert joined == sum(1 for k, _ in data if int(k[3:]) % 7 == 0)
