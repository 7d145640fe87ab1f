"""TaskContext: what a running task knows about itself, inside the worker.

``TaskContext.get()`` works inside user functions exactly as in PySpark (``partitionId()``,
``stageId()``, ``attemptNumber()``, ``taskAttemptId()``) and returns ``None`` on the driver.
MiniSpark also hangs the task's *environment* on it: the worker's block store (cached
partitions), the locations of the shuffle outputs this task reads, and the metrics the task
reports back (records read and written, shuffle bytes).
"""

from dataclasses import dataclass, field


@dataclass
class TaskMetrics:
    """Counters a task fills while it runs; they travel back in its result."""

    records_read: int = 0             # records read from a source, a cache block or a shuffle
    records_written: int = 0          # records the task output (result or shuffle records)
    shuffle_bytes_read: int = 0       # bytes of shuffle blocks read by this reduce task
    shuffle_bytes_written: int = 0    # bytes of shuffle blocks written by this map task
    shuffle_records_written: int = 0  # records written to shuffle blocks (after map-side combine)
    spill_bytes: int = 0              # bytes spilled to disk because memory was short
    cache_hits: list = field(default_factory=list)      # (rdd id, partition) read from cache
    cache_stored: list = field(default_factory=list)    # (rdd, partition, bytes, in memory, records)
    computed: list = field(default_factory=list)        # (rdd id, partition) computed (not cached)


class TaskContext:
    """Contextual information about the task currently running, as ``pyspark.TaskContext``."""

    _current = None

    def __init__(self, stage_id, stage_attempt, partition, attempt_number, task_attempt_id,
                 worker_id, env=None, shuffle_inputs=None):
        self._stage_id = stage_id
        self._stage_attempt = stage_attempt
        self._partition = partition
        self._attempt_number = attempt_number
        self._task_attempt_id = task_attempt_id
        self._worker_id = worker_id
        self.env = env                        # the worker's WorkerEnv (blocks, local dir)
        self.shuffle_inputs = shuffle_inputs or {}   # shuffle id -> list of MapStatus
        self.metrics = TaskMetrics()
        self._local_properties = {}

    @classmethod
    def get(cls):
        """The TaskContext of the running task, or None outside a task (on the driver)."""
        return cls._current

    def stageId(self) -> int:
        return self._stage_id

    def partitionId(self) -> int:
        return self._partition

    def attemptNumber(self) -> int:
        return self._attempt_number

    def taskAttemptId(self) -> int:
        return self._task_attempt_id

    def getLocalProperty(self, key):
        return self._local_properties.get(key)

    def cpus(self) -> int:
        return 1

    def resources(self) -> dict:
        return {}

    def workerId(self) -> int:
        """MiniSpark's addition: the number of the worker running this task."""
        return self._worker_id
