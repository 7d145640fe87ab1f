"""Errors (errors.py, user_code.py, scheduler retries): clear, early, and in the user's words.

A failing user function is retried ``spark.task.maxFailures`` times (4 for ``local[2]``), then
the job fails with TaskFailedError showing the user's own line; the context stays usable. Mistakes
that can be seen on the driver (an unpicklable closure, a bad argument, a missing input) fail at
once, before any task runs.
"""

import threading

import pytest

from minispark import SparkContext, TaskFailedError, events
from minispark.errors import PicklingError, SparkException


def divide_by_zero(x):
    return x / 0   # the user's line the error message must show


def test_a_failing_function_is_retried_then_fails_the_job_with_the_users_line(sc, recorder):
    with pytest.raises(TaskFailedError) as caught:
        sc.parallelize([1, 2, 3], 1).map(divide_by_zero).collect()
    error = caught.value
    message = str(error)
    assert "return x / 0   # the user's line the error message must show" in message
    assert "ZeroDivisionError: division by zero" in message
    assert "failed 4 times" in message
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert error.partition == 0 and error.attempt == 3

    job = recorder.last_job_id()
    failed = recorder.of(events.TaskEnded, job_id=job, status="failed")
    assert [e.attempt for e in failed] == [0, 1, 2, 3]
    assert len({e.worker_id for e in failed}) == 2, "a retry should move to the other worker"
    ended = recorder.of(events.JobEnded, job_id=job)
    assert len(ended) == 1 and not ended[0].succeeded
    assert "ZeroDivisionError" in ended[0].error


def test_the_context_stays_usable_after_a_failed_job(sc):
    with pytest.raises(TaskFailedError):
        sc.parallelize(range(4), 2).map(lambda x: 1 / (x - 3)).count()
    assert sc.parallelize(range(4), 2).map(lambda x: x * 2).collect() == [0, 2, 4, 6]
    assert sorted(sc.parallelize([("a", 1), ("a", 2)], 2).reduceByKey(lambda a, b: a + b)
                  .collect()) == [("a", 3)]


def test_a_lambda_in_the_traceback_shows_its_source(sc):
    with pytest.raises(TaskFailedError) as caught:
        sc.parallelize(["1", "x"], 2).map(lambda s: int(s)).collect()
    assert "map(lambda s: int(s))" in str(caught.value)
    assert "ValueError: invalid literal for int()" in str(caught.value)


def test_a_failure_in_a_shuffle_map_stage_fails_the_job(sc):
    with pytest.raises(TaskFailedError, match="KeyError"):
        sc.parallelize([{"a": 1}, {}], 2).map(lambda d: (d["a"], 1)).reduceByKey(max).collect()


def test_a_closure_over_a_lock_fails_at_once_naming_the_operation(sc, recorder):
    lock = threading.Lock()

    def locked_double(x):
        with lock:
            return 2 * x

    rdd = sc.parallelize(range(4), 2).map(locked_double)
    line = rdd.call_site   # "test_errors.py:<line of the map call>"
    with pytest.raises(PicklingError) as caught:
        rdd.collect()
    message = str(caught.value)
    assert f"map at {line}" in message
    assert line.startswith("test_errors.py:")
    assert "locked_double defined at" in message   # the user's function, not MiniSpark's wrapper
    assert "cannot pickle '_thread.lock' object" in message
    assert recorder.of(events.TaskStarted, job_id=recorder.last_job_id()) == []


def test_a_foreach_over_a_lock_names_the_users_function(sc):
    lock = threading.Lock()

    def count_under_lock(x):
        with lock:
            pass

    with pytest.raises(PicklingError, match="count_under_lock defined at"):
        sc.parallelize(range(4), 2).foreach(count_under_lock)


@pytest.mark.parametrize("operation", [
    lambda rdd, f: rdd.reduce(f),                                        # the action's function
    lambda rdd, f: rdd.map(lambda x: (x, x)).reduceByKey(f).collect(),  # a shuffle's function
])
def test_an_unpicklable_action_or_shuffle_function_is_named(sc, operation):
    lock = threading.Lock()

    def add_under_lock(a, b):
        with lock:
            return a + b

    with pytest.raises(PicklingError, match="add_under_lock defined at .*test_errors.py"):
        operation(sc.parallelize(range(4), 2), add_under_lock)


def test_using_an_rdd_inside_a_task_is_refused(sc):
    other = sc.parallelize(range(3))
    with pytest.raises(TaskFailedError, match="SPARK-5063"):
        sc.parallelize(range(2)).map(lambda x: other.count() * x).collect()


@pytest.mark.parametrize("slices", [0, -1])
def test_parallelize_needs_a_positive_number_of_slices(sc, slices):
    with pytest.raises(ValueError, match="Positive number of partitions"):
        sc.parallelize([1], slices)


def test_textFile_of_a_missing_path_raises_at_once(sc, tmp_path):
    missing = tmp_path / "no-such-file.txt"
    with pytest.raises(FileNotFoundError, match="Input path does not exist"):
        sc.textFile(str(missing))   # at textFile(), before any action
    with pytest.raises(FileNotFoundError, match="matches 0 files"):
        sc.textFile(str(tmp_path / "*.csv"))


@pytest.mark.parametrize("fraction", [-0.1, float("nan")])
def test_sample_with_a_negative_fraction(sc, fraction):
    with pytest.raises(ValueError):
        sc.parallelize(range(10)).sample(False, fraction)


def test_coalesce_and_repartition_need_a_positive_count(sc):
    with pytest.raises(ValueError):
        sc.parallelize(range(10)).coalesce(0)
    with pytest.raises(ValueError):
        sc.parallelize(range(10)).repartition(-2)


def test_a_second_active_context_is_refused(sc):
    with pytest.raises(ValueError, match="Cannot run multiple SparkContexts at once"):
        SparkContext("local[1]", "second")
    assert SparkContext.getOrCreate() is sc
    assert sc.parallelize([1, 2]).count() == 2   # the first one is untouched


def test_a_bad_master_url_says_what_works(sc):
    with pytest.raises(ValueError, match=r"local\[N\]"):
        SparkContext("spark://cluster:7077", "bad")


def test_a_stopped_context_refuses_jobs(fresh_context):
    context = fresh_context("local[1]")
    rdd = context.parallelize(range(3))
    context.stop()
    with pytest.raises(RuntimeError, match="stopped SparkContext"):
        rdd.collect()


def test_max_failures_comes_from_the_master_url(fresh_context):
    context = fresh_context("local[2,2]")
    recorder_ = []
    context.addSparkListener(recorder_.append)
    with pytest.raises(TaskFailedError, match="failed 2 times"):
        context.parallelize([0], 1).map(divide_by_zero).collect()
    context.listener_bus.wait_until_empty()
    assert len([e for e in recorder_ if isinstance(e, events.TaskEnded)]) == 2


def test_errors_are_spark_exceptions(sc):
    with pytest.raises(SparkException):
        sc.parallelize([0], 1).map(divide_by_zero).collect()
