"""What a running program can learn about itself: statusTracker, TaskContext, job events."""

import inspect

import pytest

from minispark import TaskContext, TaskFailedError, events
from minispark.planner import plan_stages


def test_statusTracker_reports_a_finished_job_and_its_stages(sc, recorder):
    tracker = sc.statusTracker()
    rdd = sc.parallelize(range(20), 4).map(lambda x: (x % 3, x)).reduceByKey(max, 2)
    rdd.collect()
    job_id = recorder.last_job_id()
    info = tracker.getJobInfo(job_id)
    assert info.status == "SUCCEEDED"
    assert len(info.stageIds) == 2
    map_stage, result_stage = (tracker.getStageInfo(s) for s in info.stageIds)
    assert (map_stage.numTasks, map_stage.numCompletedTasks, map_stage.numFailedTasks) == (4, 4, 0)
    assert (result_stage.numTasks, result_stage.numCompletedTasks) == (2, 2)
    assert map_stage.numActiveTasks == result_stage.numActiveTasks == 0
    assert tracker.getActiveStageIds() == [] and tracker.getActiveJobsIds() == []
    assert tracker.getJobInfo(10**6) is None and tracker.getStageInfo(10**6) is None


def test_statusTracker_reports_a_failed_job(sc, recorder):
    with pytest.raises(TaskFailedError):
        sc.parallelize([0], 1).map(lambda x: 1 / x).collect()
    job_id = recorder.last_job_id()
    info = sc.statusTracker().getJobInfo(job_id)
    assert info.status == "FAILED"
    assert sc.statusTracker().getStageInfo(info.stageIds[-1]).numFailedTasks == 4
    assert sc.statusTracker().getActiveStageIds() == []
    completed = recorder.of(events.StageCompleted, job_id=job_id)
    assert len(completed) == 1 and "ZeroDivisionError" in completed[0].failure


def test_job_groups(sc, recorder):
    sc.setJobGroup("nightly", "the nightly report")
    try:
        sc.parallelize(range(3)).count()
        grouped = recorder.last_job_id()
    finally:
        sc.setJobGroup(None, None)
    sc.parallelize(range(3)).count()
    assert grouped in sc.statusTracker().getJobIdsForGroup("nightly")
    assert recorder.last_job_id() not in sc.statusTracker().getJobIdsForGroup("nightly")
    started = recorder.of(events.JobStarted, job_id=grouped)[0]
    assert started.group_id == "nightly" and started.description == "the nightly report"


def test_a_job_is_described_by_its_action_and_line(sc, recorder):
    line = inspect.currentframe().f_lineno + 1
    sc.parallelize(range(3), 1).collect()
    started = recorder.of(events.JobStarted, job_id=recorder.last_job_id())[0]
    assert started.description == f"collect at test_status.py:{line}"


def test_TaskContext_inside_tasks(sc, recorder):
    def describe(split, iterator):
        context = TaskContext.get()
        return [(split, context.partitionId(), context.stageId(), context.attemptNumber(),
                 context.taskAttemptId(), sum(iterator))]

    rdd = sc.parallelize(range(12), 4).mapPartitionsWithIndex(describe)
    rows = rdd.collect()
    assert [row[0] for row in rows] == [row[1] for row in rows] == [0, 1, 2, 3]
    started = recorder.of(events.TaskStarted, job_id=recorder.last_job_id())
    assert {row[2] for row in rows} == {e.stage_id for e in started}
    assert {row[4] for row in rows} == {e.task_id for e in started}
    assert all(row[3] == 0 for row in rows)
    assert [row[5] for row in rows] == [3, 12, 21, 30]


def test_TaskContext_is_None_on_the_driver():
    assert TaskContext.get() is None


def test_TaskContext_partitionId_after_a_shuffle(sc):
    rdd = sc.parallelize(range(40), 5).map(lambda x: (x, x)).partitionBy(3)
    ids = rdd.mapPartitions(lambda it: [TaskContext.get().partitionId()]).collect()
    assert ids == [0, 1, 2]


def test_runJob_with_partitions_runs_only_those_tasks(sc, recorder):
    rdd = sc.parallelize(range(10), 5)
    assert sc.runJob(rdd, lambda it: [sum(it)], [4, 1]) == [17, 5]
    started = recorder.of(events.TaskStarted, job_id=recorder.last_job_id())
    assert sorted(e.partition for e in started) == [1, 4]
    assert sc.runJob(rdd, lambda it: [sum(it)], []) == []


def test_runJob_after_a_shuffle_plans_the_map_stage(sc, recorder):
    sums = sc.parallelize([(i % 4, i) for i in range(20)], 3).reduceByKey(lambda a, b: a + b, 4)
    assert len(plan_stages(sums)) == 2
    partition_of_key_1 = sums.partitioner(1)
    values = sc.runJob(sums, lambda it: list(it), [partition_of_key_1])
    assert (1, sum(range(1, 20, 4))) in values
    job = recorder.last_job_id()
    result_tasks = [e for e in recorder.of(events.TaskStarted, job_id=job)
                    if e.stage_id == recorder.of(events.JobStarted, job_id=job)[0].final_stage_id]
    assert [e.partition for e in result_tasks] == [partition_of_key_1]


def test_every_job_ends_with_JobEnded_in_order(sc, recorder):
    sc.parallelize(range(4), 2).map(lambda x: (x, x)).groupByKey().count()
    job = recorder.last_job_id()
    recorder.of(events.JobEnded)   # wait for delivery
    kinds = [type(e).__name__ for e in recorder.events if getattr(e, "job_id", None) == job]
    assert kinds[0] == "JobStarted" and kinds[-1] == "JobEnded"
    assert kinds.count("StageSubmitted") == kinds.count("StageCompleted") == 2
    assert kinds.count("TaskStarted") == kinds.count("TaskEnded") == 4
