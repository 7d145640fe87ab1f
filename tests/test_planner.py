"""The planner (planner.py): lineage cut into stages at shuffle dependencies.

``plan_stages`` is pure, so most of these tests run no job at all: they build an RDD and look at
the stages an action on it would run. The last tests run jobs and read the event stream to see
that a stage whose shuffle output already exists is skipped, not run again.
"""

import re

from minispark import events
from minispark.planner import plan_stages


def shape(rdd) -> list:
    """Each stage as (kind, number of tasks, op names of its RDDs from last to first)."""
    return [(s.kind, s.num_tasks, [r.op_name for r in s.rdds]) for s in plan_stages(rdd)]


def test_a_chain_of_narrow_operations_is_one_stage(sc):
    rdd = (sc.parallelize(range(10), 3).map(lambda x: x + 1).filter(lambda x: x % 2)
           .flatMap(lambda x: [x, x]).mapPartitions(lambda it: it).glom())
    assert shape(rdd) == [("ResultStage", 3, ["glom", "mapPartitions", "flatMap", "filter", "map",
                                              "parallelize"])]


def test_union_coalesce_cartesian_zip_are_narrow(sc):
    a, b = sc.parallelize(range(4), 2), sc.parallelize(range(4), 2)
    for rdd in (a.union(b), a.union(b).coalesce(1), a.cartesian(b), a.zip(b), a.keyBy(str)):
        stages = plan_stages(rdd)
        assert len(stages) == 1, rdd
        assert stages[0].kind == "ResultStage"


def test_word_count_is_two_stages_cut_at_reduceByKey(sc):
    lines = sc.parallelize(["a b", "b c", "c"], 3)
    counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b, 2)
    stages = plan_stages(counts)
    assert shape(counts) == [
        ("ShuffleMapStage", 3, ["map", "flatMap", "parallelize"]),
        ("ResultStage", 2, ["reduceByKey"]),
    ]
    assert stages[1].parents == (stages[0],)
    assert stages[0].shuffle_dependency is counts.dependencies[0]


def test_narrow_operations_after_a_shuffle_stay_in_the_reduce_stage(sc):
    counts = sc.parallelize([("a", 1)], 2).reduceByKey(lambda a, b: a + b)
    rdd = counts.mapValues(str).filter(bool)
    assert shape(rdd) == [("ShuffleMapStage", 2, ["parallelize"]),
                          ("ResultStage", 2, ["filter", "mapValues", "reduceByKey"])]


def test_distinct_is_two_stages(sc):
    assert [kind for kind, _, _ in shape(sc.parallelize([1, 1, 2], 2).distinct())] == \
        ["ShuffleMapStage", "ResultStage"]


def test_sortByKey_is_one_shuffle(sc):
    # sortByKey samples its input with two small jobs when it is called; the sort itself is
    # a range-partitioning shuffle followed by a sort in each reduce partition.
    rdd = sc.parallelize([(3, "c"), (1, "a"), (2, "b")], 3).sortByKey(True, 2)
    assert shape(rdd) == [("ShuffleMapStage", 3, ["parallelize"]),
                          ("ResultStage", 2, ["sortByKey", "sortByKey"])]


def test_join_of_two_unpartitioned_rdds_is_one_shuffle_over_both_inputs(sc):
    left = sc.parallelize([(1, "a")], 2)
    right = sc.parallelize([(1, "b")], 3)
    stages = plan_stages(left.join(right))
    assert [s.kind for s in stages] == ["ShuffleMapStage", "ResultStage"]
    map_stage = stages[0]
    assert map_stage.num_tasks == 5   # the union of both sides' partitions
    inputs = [r for r in map_stage.rdds if r.op_name == "parallelize"]
    assert {r.id() for r in inputs} == {left.id(), right.id()}


def test_join_of_copartitioned_rdds_adds_no_shuffle(sc):
    left = sc.parallelize([(i, "l") for i in range(10)], 3).partitionBy(4)
    right = sc.parallelize([(i, "r") for i in range(10)], 2).partitionBy(4)
    joined = left.join(right)
    stages = plan_stages(joined)
    # Only the two partitionBy shuffles; the join's grouping reads both sides in place.
    assert [s.kind for s in stages] == ["ShuffleMapStage", "ShuffleMapStage", "ResultStage"]
    result_stage = stages[-1]
    assert set(result_stage.parents) == set(stages[:2])
    assert {r.id() for r in result_stage.rdds} >= {left.id(), right.id()}
    assert result_stage.num_tasks == 4
    assert sorted(joined.collect()) == [(i, ("l", "r")) for i in range(10)]


def test_join_with_a_different_partitioner_shuffles_again(sc):
    left = sc.parallelize([(i, "l") for i in range(10)], 3).partitionBy(4)
    right = sc.parallelize([(i, "r") for i in range(10)], 2).partitionBy(3)
    kinds = [s.kind for s in plan_stages(left.join(right))]
    assert kinds.count("ShuffleMapStage") == 3


def test_reduceByKey_on_an_rdd_already_partitioned_that_way_needs_no_shuffle(sc):
    partitioned = sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 3).partitionBy(2)
    summed = partitioned.reduceByKey(lambda a, b: a + b, 2)
    assert len(plan_stages(summed)) == len(plan_stages(partitioned)) == 2
    assert sorted(summed.collect()) == [("a", 4), ("b", 2)]


def test_two_shuffles_in_a_row_make_three_stages_in_order(sc):
    rdd = (sc.parallelize(range(20), 4).map(lambda x: (x % 5, x)).reduceByKey(max, 3)
           .map(lambda kv: (kv[1] % 2, kv[0])).groupByKey(2))
    stages = plan_stages(rdd)
    assert [s.kind for s in stages] == ["ShuffleMapStage", "ShuffleMapStage", "ResultStage"]
    assert [s.num_tasks for s in stages] == [4, 3, 2]
    assert stages[1].parents == (stages[0],) and stages[2].parents == (stages[1],)
    assert [s.stage_id for s in stages] == sorted(s.stage_id for s in stages)


def test_a_shuffle_used_twice_in_one_lineage_is_one_stage(sc):
    counts = sc.parallelize([("a", 1), ("b", 2)], 2).reduceByKey(lambda a, b: a + b)
    both = counts.union(counts.mapValues(lambda v: -v))
    stages = plan_stages(both)
    assert [s.kind for s in stages] == ["ShuffleMapStage", "ResultStage"]


def test_planning_runs_nothing(sc, recorder):
    rdd = sc.parallelize(range(10), 2).map(lambda x: (x, x)).reduceByKey(lambda a, b: a + b)
    plan_stages(rdd)
    assert recorder.of(events.JobStarted) == []


def test_toDebugString_marks_shuffle_boundaries_with_plus_minus(sc):
    words = sc.parallelize(["a b", "b"], 2).flatMap(str.split).map(lambda w: (w, 1))
    counts = words.reduceByKey(lambda a, b: a + b, 3).mapValues(str)
    lines = counts.toDebugString().decode().splitlines()
    assert re.fullmatch(r"\(3\) MapPartitionsRDD\[\d+\] at mapValues at test_planner\.py:\d+ \[\]",
                        lines[0])
    assert re.fullmatch(r" \|  ShuffledRDD\[\d+\] at reduceByKey at test_planner\.py:\d+ \[\]", lines[1])
    assert re.fullmatch(r" \+-\(2\) MapPartitionsRDD\[\d+\] at map at .*", lines[2])
    assert re.fullmatch(r"    \|  MapPartitionsRDD\[\d+\] at flatMap at .*", lines[3])
    assert re.fullmatch(r"    \|  ParallelCollectionRDD\[\d+\] at parallelize at .*", lines[4])
    assert len(lines) == 5
    assert sum("+-" in line for line in lines) == 1


def test_toDebugString_has_one_plus_minus_per_shuffle(sc):
    rdd = (sc.parallelize(range(20), 4).map(lambda x: (x % 5, x)).reduceByKey(max, 3)
           .map(lambda kv: (kv[1] % 2, kv[0])).groupByKey(2))
    text = rdd.toDebugString().decode()
    assert text.count("+-") == 2
    assert len(plan_stages(rdd)) == text.count("+-") + 1


def test_toDebugString_shows_persistence(sc):
    rdd = sc.parallelize(range(4), 2).map(lambda x: x).cache()
    assert rdd.toDebugString().decode().splitlines()[0].endswith(
        "[Memory Serialized 1x Replicated]")
    rdd.count()
    assert "CachedPartitions: 2; MemorySize:" in rdd.toDebugString().decode()
    rdd.unpersist()


# ---- skipped stages: a shuffle's output is reused by later jobs --------------------------------

def test_a_second_action_on_a_shuffled_rdd_skips_the_map_stage(sc, recorder):
    counts = sc.parallelize([("a", 1), ("b", 1), ("a", 1)] * 10, 3).reduceByKey(lambda a, b: a + b)
    assert sorted(counts.collect()) == [("a", 20), ("b", 10)]
    first_job = recorder.last_job_id()
    assert recorder.of(events.StageSkipped, job_id=first_job) == []

    assert counts.count() == 2
    second_job = recorder.last_job_id()
    skipped = recorder.of(events.StageSkipped, job_id=second_job)
    submitted = recorder.of(events.StageSubmitted, job_id=second_job)
    assert len(skipped) == 1
    assert len(submitted) == 1   # only the result stage ran
    first_map_stage = recorder.of(events.StageSubmitted, job_id=first_job)[0]
    assert skipped[0].stage_id == first_map_stage.stage_id
    # No map task ran in the second job.
    assert {t.stage_id for t in recorder.of(events.TaskStarted, job_id=second_job)} == \
        {submitted[0].stage_id}


def test_a_new_shuffle_on_the_same_input_is_not_skipped(sc, recorder):
    pairs = sc.parallelize([("a", 1), ("b", 1)], 2)
    pairs.reduceByKey(lambda a, b: a + b).collect()
    pairs.reduceByKey(lambda a, b: a + b).collect()   # a new RDD: a new shuffle
    assert recorder.of(events.StageSkipped) == []
    assert len(recorder.of(events.StageSubmitted)) == 4


def test_rdds_and_stages_are_named_after_the_operation_the_user_called(sc):
    # distinct() is a map, a reduceByKey and a map; Spark labels all three "distinct at ...".
    words = sc.parallelize(["a", "b", "a"], 2)
    different = words.distinct()
    steps = [different, different.dependencies[0].rdd, different.dependencies[0].rdd.dependencies[0].rdd]
    assert [rdd.op_name for rdd in steps] == ["map", "reduceByKey", "map"]
    assert [rdd.scope for rdd in steps] == ["distinct"] * 3
    assert all(" at distinct at " in repr(rdd) for rdd in steps)
    assert [stage.name.split(" at ")[0] for stage in plan_stages(different)] == ["distinct"] * 2
    # An operation called directly has no scope: its name is its own.
    assert words.map(str.upper).scope is None and words.scope is None
