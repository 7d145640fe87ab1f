"""Caching (storage.py) and localCheckpoint, seen through the tasks' own metrics.

Each TaskEnded event carries what the task did on its worker: ``computed`` lists the
(rdd id, partition) pairs it computed from lineage, ``cache_hits`` those it read from its
worker's block store, ``cache_stored`` those it stored.
"""

import pytest

from minispark import StorageLevel, TaskFailedError, events
from minispark.planner import plan_stages


def task_metrics(recorder, job_id) -> list:
    return [e for e in recorder.of(events.TaskEnded, job_id=job_id) if e.status == "success"]


def computed(recorder, job_id, rdd_id) -> list:
    return sorted(p for e in task_metrics(recorder, job_id)
                  for r, p in e.metrics["computed"] if r == rdd_id)


def hits(recorder, job_id, rdd_id) -> list:
    return sorted(p for e in task_metrics(recorder, job_id)
                  for r, p in e.metrics["cache_hits"] if r == rdd_id)


def test_a_second_action_reads_the_cache_instead_of_computing(sc, recorder):
    rdd = sc.parallelize(range(60), 6).map(lambda x: x * x).cache()
    assert rdd.sum() == sum(x * x for x in range(60))
    first = recorder.last_job_id()
    assert computed(recorder, first, rdd.id()) == list(range(6))
    assert hits(recorder, first, rdd.id()) == []

    assert rdd.collect() == [x * x for x in range(60)]
    second = recorder.last_job_id()
    assert hits(recorder, second, rdd.id()) == list(range(6))
    assert computed(recorder, second, rdd.id()) == []
    # Nothing below the cached RDD ran either.
    assert all(e.metrics["computed"] == [] for e in task_metrics(recorder, second))
    assert sc.getRDDStorageInfo(rdd.id())[0] == 6
    rdd.unpersist()


def test_the_task_of_a_cached_partition_runs_on_the_worker_that_holds_it(sc, recorder):
    rdd = sc.parallelize(range(80), 8).map(lambda x: x + 1).cache()
    rdd.count()
    stored_on = {}
    for event in task_metrics(recorder, recorder.last_job_id()):
        for rdd_id, partition in event.metrics["cache_stored"]:
            if rdd_id == rdd.id():
                stored_on[partition] = event.worker_id
    assert sorted(stored_on) == list(range(8))
    assert len(set(stored_on.values())) == 2, "both workers should hold some partitions"

    rdd.map(lambda x: -x).count()
    ran_on = {e.partition: e.worker_id for e in task_metrics(recorder, recorder.last_job_id())}
    assert ran_on == stored_on
    rdd.unpersist()


def test_unpersist_removes_the_blocks(sc, recorder):
    rdd = sc.parallelize(range(20), 4).map(lambda x: x * 2).persist()
    rdd.count()
    assert sc.getRDDStorageInfo(rdd.id())[0] == 4
    rdd.unpersist()
    assert not rdd.is_cached and rdd.getStorageLevel() == StorageLevel.NONE
    assert sc.getRDDStorageInfo(rdd.id()) == (0, 0, 0)
    assert "CachedPartitions" not in rdd.toDebugString().decode()

    assert rdd.sum() == sum(range(0, 40, 2))
    job = recorder.last_job_id()
    assert hits(recorder, job, rdd.id()) == []
    assert computed(recorder, job, rdd.id()) == list(range(4))


def test_unpersist_frees_the_workers_memory_too(sc, recorder):
    rdd = sc.parallelize(range(20), 4).map(lambda x: x)
    rdd.cache().count()
    rdd.unpersist()
    rdd.cache().count()   # cached again: the workers must compute it, not find old blocks
    assert computed(recorder, recorder.last_job_id(), rdd.id()) == list(range(4))
    rdd.unpersist()


def test_disk_only_blocks_are_files_of_the_worker(sc, recorder):
    rdd = sc.parallelize(range(100), 2).map(str).persist(StorageLevel.DISK_ONLY)
    rdd.count()
    count, memory, disk = sc.getRDDStorageInfo(rdd.id())
    assert (count, memory) == (2, 0) and disk > 0
    assert rdd.collect() == [str(x) for x in range(100)]
    assert hits(recorder, recorder.last_job_id(), rdd.id()) == [0, 1]
    rdd.unpersist()


def test_a_cached_shuffle_output_needs_no_map_stage(sc, recorder):
    counts = sc.parallelize([(i % 3, 1) for i in range(30)], 3).reduceByKey(lambda a, b: a + b)
    counts.cache().count()
    again = counts.mapValues(lambda v: v * 10)
    assert sorted(again.collect()) == [(0, 100), (1, 100), (2, 100)]
    job = recorder.last_job_id()
    submitted = recorder.of(events.StageSubmitted, job_id=job)
    assert len(submitted) == 1   # the result stage only
    assert hits(recorder, job, counts.id()) == [0, 1, 2]
    counts.unpersist()


def test_localCheckpoint_cuts_the_lineage(sc, recorder):
    base = sc.parallelize(range(30), 3).map(lambda x: (x % 3, x)).reduceByKey(lambda a, b: a + b)
    rdd = base.mapValues(lambda v: v + 1)
    rdd.localCheckpoint()
    before = rdd.toDebugString().decode()
    assert "ShuffledRDD" in before and "+-" in before
    assert rdd.isLocallyCheckpointed() and not rdd.isCheckpointed()
    expected = sorted(rdd.collect())

    assert rdd.isCheckpointed()
    after = rdd.toDebugString().decode()
    assert "ShuffledRDD" not in after and "+-" not in after
    assert after.splitlines()[-1].startswith(" |  LocalCheckpointRDD[")
    assert "CachedPartitions: 3" in after
    assert [d.rdd.op_name for d in rdd.dependencies] == ["localCheckpoint"]
    assert len(plan_stages(rdd)) == 1
    assert sorted(rdd.collect()) == expected
    assert hits(recorder, recorder.last_job_id(), rdd.id()) == [0, 1, 2]
    rdd.unpersist()


def test_a_checkpointed_rdd_whose_blocks_are_gone_cannot_be_recomputed(sc):
    rdd = sc.parallelize(range(10), 2).map(lambda x: x + 1)
    rdd.localCheckpoint()
    rdd.count()
    rdd.unpersist()   # the only copy of the data, now that the lineage is cut
    with pytest.raises(TaskFailedError, match="Checkpoint block"):
        rdd.collect()
