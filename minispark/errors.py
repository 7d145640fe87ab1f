"""The exceptions MiniSpark raises, named as in Spark where Spark has the concept.

A failure inside a user function travels from the worker to the driver as data (the exception
object when it can be pickled, and always its formatted traceback). The driver retries the task
and, when the attempts are used up, raises :class:`TaskFailedError` whose message shows the
user's own traceback, chained (``raise ... from``) to the original exception.
"""


class SparkException(Exception):
    """Base class of MiniSpark's own errors."""


class IllegalArgumentException(SparkException, ValueError):
    """A bad argument, with Spark's ``requirement failed: ...`` wording."""


class InvalidInputException(SparkException, FileNotFoundError):
    """An input path of ``textFile`` or ``wholeTextFiles`` matched no file."""


class PicklingError(SparkException):
    """A function or value could not be shipped to the workers."""


class TaskFailedError(SparkException):
    """A task failed ``spark.task.maxFailures`` times, so its job was aborted.

    Attributes name the failed task the way Spark's log does: ``stage_id``, ``partition``,
    ``attempt`` (the last attempt number, from 0), ``worker_id`` and ``remote_traceback``
    (the traceback of the user's code as it happened on the worker).
    """

    def __init__(self, message, *, stage_id=None, partition=None, attempt=None, worker_id=None,
                 remote_traceback=""):
        super().__init__(message)
        self.stage_id = stage_id
        self.partition = partition
        self.attempt = attempt
        self.worker_id = worker_id
        self.remote_traceback = remote_traceback


class JobCancelledError(SparkException):
    """The job was cancelled (``sc.cancelAllJobs()``, a kernel interrupt, or a Cancel button)."""


class FetchFailedError(SparkException):
    """A reduce task could not read a map output: the scheduler must recompute that map task."""

    def __init__(self, shuffle_id: int, map_id: int, reason: str):
        super().__init__(f"FetchFailed(shuffle {shuffle_id}, map {map_id}): {reason}")
        self.shuffle_id = shuffle_id
        self.map_id = map_id
        self.reason = reason
