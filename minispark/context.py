"""SparkContext: the driver's entry point, with PySpark's API.

The context owns everything that lives as long as the application: the worker pool (started
once, reused by every job), the scheduler with its map output and cache locations, a private
directory for shuffle files and parallelized data, the listener bus, broadcast variables and
accumulators. RDDs are created here (``parallelize``, ``textFile`` ...) and actions come back
here (``runJob``) to be scheduled.

Master URLs: ``local`` (1 worker), ``local[N]``, ``local[*]`` (one per core) and ``local[N,F]``
(F = ``spark.task.maxFailures``). MiniSpark runs on one machine; for a cluster, the same
program runs on PySpark.

>>> sc.parallelize(range(5)).sum()
10
"""

import atexit
import collections
import os
import pickle
import re
import shutil
import tempfile
import threading
import time
import weakref

from . import events, rdds, sources
from .accumulators import Accumulator, default_param
from .broadcast import Broadcast
from .callsite import user_call_site
from .conf import SparkConf
from .errors import IllegalArgumentException
from .keeper import PoolKeeper
from .pool import WorkerPool
from .progress import ConsoleProgressBar
from .faults import FaultInjector
from .scheduler import DAGScheduler, SchedulerSettings
from .status import StatusTracker

_MASTER = re.compile(r"^local(?:\[(\*|\d+)(?:\s*,\s*(\d+))?\])?$")


class SparkContext:
    """Main entry point for MiniSpark functionality, as ``pyspark.SparkContext``."""

    _active_spark_context = None
    _lock = threading.RLock()
    _next_ids = {"job": 0, "stage": 0, "task": 0}   # unique across contexts in one process

    def __init__(self, master=None, appName=None, sparkHome=None, pyFiles=None, environment=None,
                 batchSize=0, serializer=None, conf=None, gateway=None, jsc=None,
                 profiler_cls=None):
        conf = conf if conf is not None else SparkConf()
        if master:
            conf.setMaster(master)
        if appName:
            conf.setAppName(appName)
        self._conf = conf
        self.master = conf.get("spark.master", "local[*]")
        self.appName = conf.get("spark.app.name", "minispark")
        self.sparkHome = sparkHome
        self.environment = environment or {}
        num_workers, max_failures = _parse_master(self.master, conf)
        self._num_workers = num_workers
        with SparkContext._lock:
            active = SparkContext._active_spark_context
            if active is not None:
                raise ValueError(
                    f"Cannot run multiple SparkContexts at once; existing SparkContext"
                    f"(app={active.appName}, master={active.master}) created at "
                    f"{active._call_site}. Call sc.stop() first, or use SparkContext.getOrCreate().")
            SparkContext._active_spark_context = self
        self._call_site = user_call_site()
        self.startTime = int(time.time() * 1000)
        self.applicationId = f"local-{self.startTime}"
        self._stopped = False
        self._next_rdd_id = 0
        self._next_shuffle_id = 0
        self._next_broadcast_id = 0
        self._accumulators: dict = {}
        self._local_properties: dict = {}
        # Shuffles and cached RDDs the program can no longer reach (see _clean_when_unreachable).
        self._unreachable = collections.deque()
        self._job_lock = threading.Lock()
        self._spill_threshold = int(conf.get("spark.shuffle.spill.numElementsForceSpillThreshold",
                                             1_000_000))
        base_dir = conf.get("spark.local.dir") or tempfile.gettempdir()
        _remove_directories_of_dead_drivers(base_dir)
        self.local_dir = tempfile.mkdtemp(prefix=f"minispark-{os.getpid()}-", dir=base_dir)
        self._scheduler = None
        self.listener_bus = events.ListenerBus()
        self._status_tracker = StatusTracker()
        self.listener_bus.add_listener(self._status_tracker, synchronous=True)
        self._event_log = None
        show_progress = conf.get("spark.ui.showConsoleProgress")
        if show_progress is None and _stderr_is_terminal() or str(show_progress).lower() == "true":
            self.listener_bus.add_listener(ConsoleProgressBar(), synchronous=True)
        if conf.get("spark.eventLog.enabled", "false").lower() == "true":
            log_dir = conf.get("spark.eventLog.dir", os.getcwd())
            os.makedirs(log_dir, exist_ok=True)
            self._event_log = events.EventLogWriter(os.path.join(log_dir, f"{self.applicationId}.jsonl"))
            self.listener_bus.add_listener(self._event_log)
        try:
            self._pool = WorkerPool(num_workers, self.local_dir, self._spill_threshold,
                                    _seconds(conf.get("spark.executor.heartbeatInterval", "1s")))
        except BaseException:
            self._cleanup_files()
            SparkContext._active_spark_context = None
            raise
        self.faults = FaultInjector(self._pool, self.listener_bus)
        self._scheduler = DAGScheduler(self._pool, self.listener_bus,
                                       _scheduler_settings(conf, max_failures),
                                       self._add_accumulator_updates, self.faults)
        for handle in self._pool.workers.values():
            self.listener_bus.post(events.WorkerAdded(handle.worker_id, handle.pid, time.time()))
        self._pool.wait_until_ready(self._scheduler.settings.heartbeat_timeout)
        self._keeper = PoolKeeper(self)
        self._keeper.start()
        atexit.register(self.stop)

    # ---- life cycle ------------------------------------------------------------------------
    @classmethod
    def getOrCreate(cls, conf=None) -> "SparkContext":
        """Get the active SparkContext, or create one with ``conf``."""
        with cls._lock:
            if cls._active_spark_context is None:
                cls(conf=conf or SparkConf())
            return cls._active_spark_context

    def stop(self) -> None:
        """Shut down the workers and remove the context's files. Safe to call twice."""
        with SparkContext._lock:
            if self._stopped:
                return
            self._stopped = True
            if SparkContext._active_spark_context is self:
                SparkContext._active_spark_context = None
        self._keeper.stop()
        with self._job_lock:
            self._pool.stop()
        self.listener_bus.wait_until_empty(timeout=5)
        self.listener_bus.stop()
        if self._event_log is not None:
            self._event_log.close()
        self._cleanup_files()
        atexit.unregister(self.stop)

    def _cleanup_files(self):
        shutil.rmtree(self.local_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.stop()

    def __repr__(self):
        return f"<SparkContext master={self.master} appName={self.appName}>"

    # ---- properties as in PySpark ---------------------------------------------------------
    @property
    def defaultParallelism(self) -> int:
        """Default level of parallelism: ``spark.default.parallelism`` or the number of workers."""
        return int(self._conf.get("spark.default.parallelism", self._num_workers))

    @property
    def defaultMinPartitions(self) -> int:
        """Default minimum number of partitions for ``textFile``: min(defaultParallelism, 2)."""
        return min(self.defaultParallelism, 2)

    @property
    def version(self) -> str:
        from . import __version__

        return __version__

    @property
    def uiWebUrl(self):
        return None   # MiniSpark's UI is the Jupyter layer, not a web server

    def getConf(self) -> SparkConf:
        copy = SparkConf()
        copy.setAll(self._conf.getAll())
        return copy

    def setLogLevel(self, logLevel: str) -> None:
        self._local_properties["log.level"] = logLevel

    def setLocalProperty(self, key, value):
        self._local_properties[key] = value

    def getLocalProperty(self, key):
        return self._local_properties.get(key)

    def setJobGroup(self, groupId, description, interruptOnCancel=False):
        self._local_properties["spark.jobGroup.id"] = groupId
        self._local_properties["spark.job.description"] = description

    def setJobDescription(self, value):
        self._local_properties["spark.job.description"] = value

    def cancelJobGroup(self, groupId) -> None:
        """Cancel the running job if it belongs to ``groupId``."""
        self._scheduler.cancel(f"part of cancelled job group {groupId}", groupId)

    def cancelAllJobs(self) -> None:
        """Cancel the running job (its running tasks are killed; the context stays usable)."""
        self._scheduler.cancel("cancelled by cancelAllJobs()")

    def statusTracker(self) -> StatusTracker:
        return self._status_tracker

    def setWaitCallback(self, callback) -> None:
        """MiniSpark's addition: call ``callback()`` about every 50 ms while a job runs.

        It runs on the thread that started the job. The Jupyter layer uses it to handle widget
        clicks (kill a worker, cancel the job) while a cell is busy running an action.
        ``None`` removes it.
        """
        self._scheduler.wait_callback = callback

    def addSparkListener(self, listener, synchronous=False):
        """Call ``listener(event)`` for every scheduler event (see :mod:`minispark.events`)."""
        self.listener_bus.add_listener(listener, synchronous)

    def removeSparkListener(self, listener):
        self.listener_bus.remove_listener(listener)

    # ---- ids ---------------------------------------------------------------------------------
    def _new_rdd_id(self) -> int:
        self._next_rdd_id += 1
        return self._next_rdd_id - 1

    def _clean_when_unreachable(self, rdd, kind: str, ident: int) -> None:
        """Once ``rdd`` is garbage, free its shuffle files or cached blocks (Spark's ContextCleaner).

        The finalizer only queues the id: the scheduler frees it before the next job, in the
        driver's own thread, never from inside the garbage collector.
        """
        weakref.finalize(rdd, self._unreachable.append, (kind, ident))

    def _new_shuffle_id(self) -> int:
        self._next_shuffle_id += 1
        return self._next_shuffle_id - 1

    # ---- creating RDDs -----------------------------------------------------------------------
    def parallelize(self, c, numSlices=None):
        """Distribute a local Python collection to form an RDD.

        >>> sc.parallelize([0, 2, 3, 4, 6], 5).glom().collect()
        [[0], [2], [3], [4], [6]]
        >>> sc.parallelize(range(0, 6, 2), 5).glom().collect()
        [[], [0], [], [2], [4]]
        """
        num_slices = int(numSlices) if numSlices is not None else self.defaultParallelism
        if num_slices < 1:
            raise IllegalArgumentException(
                f"requirement failed: Positive number of partitions required (numSlices={num_slices})")
        if isinstance(c, range):
            return rdds.ParallelCollectionRDD(self, sources.slice_range(c, num_slices))
        data = c if isinstance(c, list) else list(c)
        rdd = rdds.ParallelCollectionRDD(self, [])
        rdd.slices = self._write_slices(rdd.id(), sources.slice_list(data, num_slices))
        weakref.finalize(rdd, _remove_files, list(rdd.slices))
        return rdd

    def _write_slices(self, rdd_id, slices) -> list:
        # Written once on the driver (as PySpark does): a task carries only the file name.
        directory = os.path.join(self.local_dir, "parallelize")
        os.makedirs(directory, exist_ok=True)
        import cloudpickle

        paths = []
        for index, records in enumerate(slices):
            path = os.path.join(directory, f"rdd_{rdd_id}_{index}")
            with open(path, "wb") as slice_file:
                slice_file.write(cloudpickle.dumps(records, pickle.HIGHEST_PROTOCOL))
            paths.append(path)
        return paths

    def range(self, start, end=None, step=1, numSlices=None):
        """An RDD of integers from ``start`` to ``end`` (exclusive), as ``range``.

        >>> sc.range(5).collect()
        [0, 1, 2, 3, 4]
        >>> sc.range(1, 7, 2).collect()
        [1, 3, 5]
        """
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def emptyRDD(self):
        """An RDD that has no partitions or elements."""
        return rdds.EmptyRDD(self, op_name="emptyRDD")

    def textFile(self, name: str, minPartitions=None, use_unicode=True):
        """Read a text file, a directory or a glob, one record per line.

        The files are cut into byte ranges on the driver (only file sizes are read); each task
        reads its own range, so the data never passes through the driver.
        """
        min_partitions = minPartitions if minPartitions is not None else self.defaultMinPartitions
        files = sources.list_input_files(name)
        return rdds.TextFileRDD(self, sources.compute_text_splits(files, min_partitions), use_unicode)

    def wholeTextFiles(self, path: str, minPartitions=None, use_unicode=True):
        """Read a directory of text files as ``(file URI, content)`` records, one per file."""
        files = sources.list_input_files(path)
        min_partitions = minPartitions if minPartitions is not None else self.defaultMinPartitions
        sizes = [os.path.getsize(f) for f in files]
        max_split = max(1, -(-sum(sizes) // max(min_partitions, 1)))
        groups, current, current_size = [], [], 0
        for path_, size in zip(files, sizes):
            current.append(path_)
            current_size += size
            if current_size >= max_split:
                groups.append(current)
                current, current_size = [], 0
        if current:
            groups.append(current)
        return rdds.WholeTextFilesRDD(self, groups, use_unicode)

    def union(self, rdds_):
        """Build the union of a list of RDDs.

        >>> sc.union([sc.parallelize([1, 2]), sc.parallelize([3])]).collect()
        [1, 2, 3]
        """
        rdds_ = list(rdds_)
        if not rdds_:
            raise ValueError("union() needs at least one RDD")
        return rdds.UnionRDD(self, rdds_)

    def broadcast(self, value) -> Broadcast:
        """Ship a read-only value to each worker once (see :mod:`minispark.broadcast`)."""
        bid = self._next_broadcast_id
        self._next_broadcast_id += 1
        return Broadcast._create(bid, self.local_dir, value)

    def accumulator(self, value, accum_param=None) -> Accumulator:
        """Create an Accumulator with the given initial value (see :mod:`minispark.accumulators`)."""
        param = accum_param if accum_param is not None else default_param(value)
        accumulator = Accumulator(len(self._accumulators), value, param)
        self._accumulators[accumulator.aid] = accumulator
        return accumulator

    def _add_accumulator_updates(self, updates: dict):
        for aid, update in updates.items():
            accumulator = self._accumulators.get(aid)
            if accumulator is not None:
                accumulator._value = accumulator.accum_param.addInPlace(accumulator._value, update)

    # ---- running jobs ------------------------------------------------------------------------
    def runJob(self, rdd, partitionFunc, partitions=None, allowLocal=False) -> list:
        """Run ``partitionFunc`` on the given partitions; return the concatenated results.

        >>> my_rdd = sc.parallelize(range(6), 3)
        >>> sc.runJob(my_rdd, lambda part: [x * x for x in part])
        [0, 1, 4, 9, 16, 25]
        >>> sc.runJob(my_rdd, lambda part: [x * x for x in part], [0, 2])
        [0, 1, 16, 25]
        """
        if self._stopped:
            raise RuntimeError("Cannot call methods on a stopped SparkContext.")
        if partitions is None:
            partitions = range(rdd.getNumPartitions())
        partitions = list(partitions)
        description = self._local_properties.get("spark.job.description") or \
            f"{_action_name()} at {user_call_site()}"
        with self._keeper.job_wanted(), self._job_lock:   # MiniSpark runs one job at a time
            self._free_unreachable()
            results = self._scheduler.run_job(rdd, partitionFunc, partitions, description,
                                              self._local_properties.get("spark.jobGroup.id"))
            self._checkpoint_after_job(rdd)
        return [item for part in results for item in part]

    def _free_unreachable(self):
        while self._unreachable:
            kind, ident = self._unreachable.popleft()
            if kind == "shuffle":
                self._scheduler.remove_shuffle(ident)
            else:
                self._unpersist_rdd(ident)

    def _checkpoint_after_job(self, rdd):
        """Cut the lineage of RDDs marked by ``localCheckpoint`` once all their blocks exist."""
        from .planner import stage_rdds

        for candidate in stage_rdds(rdd):
            if candidate._checkpoint_state == "pending" and self._scheduler._fully_cached(candidate):
                candidate._mark_checkpointed()

    def _unpersist_rdd(self, rdd_id: int):
        self._scheduler.blocks.remove_rdd(rdd_id)
        self._pool.send_all(("unpersist", rdd_id))

    def getRDDStorageInfo(self, rdd_id):
        """MiniSpark's addition: ``(cached partitions, memory bytes, disk bytes)`` of an RDD."""
        return self._scheduler.blocks.storage_info(rdd_id)


def _parse_master(master: str, conf: SparkConf):
    match = _MASTER.match(master.strip())
    if match is None:
        raise ValueError(
            f"Could not parse Master URL: '{master}'. MiniSpark runs on this machine only: use "
            "local, local[N], local[*] or local[N,F]. To run on a cluster, run the same code "
            "with PySpark.")
    workers, failures = match.groups()
    if workers is None:
        num_workers = 1
    elif workers == "*":
        num_workers = os.cpu_count() or 1
    else:
        num_workers = int(workers)
    if num_workers < 1:
        raise ValueError(f"Asked to run locally with {num_workers} threads")
    max_failures = int(failures) if failures else int(conf.get("spark.task.maxFailures", 4))
    return num_workers, max_failures


def _scheduler_settings(conf: SparkConf, max_failures: int) -> SchedulerSettings:
    task_timeout = conf.get("spark.minispark.task.timeout")
    return SchedulerSettings(
        max_failures=max_failures,
        locality_wait=_seconds(conf.get("spark.locality.wait", "3s")),
        heartbeat_timeout=_seconds(conf.get("spark.network.timeout", "10s")),
        task_timeout=_seconds(task_timeout) if task_timeout else None,
        speculation=conf.get("spark.speculation", "false").lower() == "true",
        speculation_multiplier=float(conf.get("spark.speculation.multiplier", 1.5)),
        speculation_quantile=float(conf.get("spark.speculation.quantile", 0.75)),
    )


def _remove_files(paths) -> None:
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


def _remove_directories_of_dead_drivers(base_dir: str) -> None:
    """Delete shuffle directories left by drivers that were killed before ``stop()`` ran."""
    for name in os.listdir(base_dir):
        match = re.match(r"minispark-(\d+)-", name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)
        except PermissionError:
            pass   # alive, owned by another user


def _stderr_is_terminal() -> bool:
    import sys

    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _seconds(value: str) -> float:
    value = str(value).strip()
    if value.endswith("ms"):
        return float(value[:-2]) / 1000
    if value.endswith("s"):
        return float(value[:-1])
    return float(value) / 1000   # Spark reads a bare number as milliseconds


def _action_name() -> str:
    """The public RDD method that started this job (``collect``, ``count`` ...)."""
    import sys

    frame = sys._getframe(2)
    name = "runJob"
    package = os.path.dirname(os.path.abspath(__file__))
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        if not frame.f_code.co_name.startswith("_") and frame.f_code.co_name != "runJob":
            name = frame.f_code.co_name
        frame = frame.f_back
    return name
