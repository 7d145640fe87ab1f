"""Broadcast variables and accumulators (broadcast.py, accumulators.py)."""

import os

import cloudpickle
import pytest

from minispark import TaskContext, TaskFailedError, events


def test_a_broadcast_value_is_used_in_tasks(sc):
    table = sc.broadcast({i: f"v{i}" for i in range(100)})
    result = sc.parallelize(range(0, 100, 7), 3).map(lambda k: table.value[k]).collect()
    assert result == [f"v{i}" for i in range(0, 100, 7)]


def test_a_task_carries_a_reference_not_the_broadcast_value(sc):
    big = sc.broadcast(list(range(200_000)))
    closure = cloudpickle.dumps(lambda i: big.value[i])
    assert len(closure) < 5_000
    assert len(cloudpickle.dumps(list(range(200_000)))) > 500_000
    assert sc.parallelize([0, 199_999], 2).map(lambda i: big.value[i]).collect() == [0, 199_999]


def test_each_worker_reads_the_broadcast_file_once(sc):
    value = sc.broadcast("payload")
    use = sc.parallelize(range(8), 8).map(lambda _: value.value)
    assert use.collect() == ["payload"] * 8   # both workers load it (both start a task)
    os.unlink(value._path)   # the file is gone: only the workers' loaded copies remain
    assert use.collect() == ["payload"] * 8


def test_a_destroyed_broadcast_cannot_be_used(sc):
    gone = sc.broadcast([1, 2, 3])
    gone.destroy()
    with pytest.raises(RuntimeError, match="destroyed"):
        gone.value   # noqa: B018
    with pytest.raises(Exception, match="destroyed"):
        sc.parallelize([0]).map(lambda i: gone.value[i]).collect()


def test_foreach_counts_with_an_accumulator(sc):
    counter = sc.accumulator(0)
    total = sc.accumulator(0.0)

    def count(x):
        counter.add(1)
        total.add(x / 2)

    sc.parallelize(range(100), 7).foreach(count)
    assert counter.value == 100
    assert total.value == sum(range(100)) / 2


def test_a_retried_task_is_counted_once(sc, tmp_path, recorder):
    counter = sc.accumulator(0)
    marker = str(tmp_path / "failed-once")

    def count_then_fail_the_first_time(x):
        counter.add(1)
        if x == 7 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("the first attempt of this task fails after counting")

    sc.parallelize(range(10), 2).foreach(count_then_fail_the_first_time)
    assert os.path.exists(marker)
    failed = recorder.of(events.TaskEnded, job_id=recorder.last_job_id(), status="failed")
    assert len(failed) == 1, "the fail-once task did not fail exactly once"
    assert counter.value == 10


def test_a_failed_job_does_not_count_its_failed_attempts(sc):
    counter = sc.accumulator(0)

    def count_and_fail_on_zero(x):
        counter.add(1)
        if x == 0:
            raise ValueError("always")

    with pytest.raises(TaskFailedError):
        sc.parallelize([0, 1, 2, 3], 2).foreach(count_and_fail_on_zero)
    assert counter.value == 2   # only partition 1 ([2, 3]) succeeded


def test_accumulator_value_is_not_readable_in_tasks(sc):
    counter = sc.accumulator(0)
    with pytest.raises(TaskFailedError, match="cannot be accessed inside tasks"):
        sc.parallelize([1]).map(lambda x: counter.value).collect()


def test_attemptNumber_counts_retries(sc, tmp_path):
    marker = str(tmp_path / "failed-once")

    def fail_first_attempt(x):
        context = TaskContext.get()
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("first attempt")
        return context.attemptNumber()

    assert sc.parallelize([0], 1).map(fail_first_attempt).collect() == [1]
