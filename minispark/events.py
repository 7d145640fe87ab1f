"""Events: everything the scheduler does, as small records on one bus.

The scheduler never draws, prints or counts anything itself. It *posts* an event for each step
(a job starts, a stage is submitted, a task starts on worker 1, a worker is lost ...) and
listeners react: the text progress line, the Jupyter DAG explorer, the status tracker, the event
log and the tests are all listeners of the same stream, so what they show is what happened.

* ``ListenerBus.post`` calls *synchronous* listeners at once (they must be cheap: the status
  tracker) and queues the event for the *asynchronous* listeners, which a dispatcher thread
  calls in order. A slow widget therefore never slows the scheduler down.
* Events are frozen dataclasses holding only plain data (numbers, strings, lists, dicts), so
  an event log is just one JSON object per line, and ``replay`` can feed a recorded run to the
  same listeners later (an instructor can record a run and replay it in class).

>>> bus = ListenerBus()
>>> seen = []
>>> bus.add_listener(seen.append)
>>> bus.post(JobEnded(job_id=0, time=1.0, succeeded=True))
>>> bus.wait_until_empty()
True
>>> seen
[JobEnded(job_id=0, time=1.0, succeeded=True, error=None)]
>>> event_from_json(event_to_json(seen[0])) == seen[0]
True
>>> bus.stop()
"""

import json
import queue
import threading
import warnings
from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class JobStarted:
    job_id: int
    time: float
    description: str               # e.g. "collect at wordcount.py:12"
    final_stage_id: int
    stage_ids: list                # every stage of the job, parents first
    plan: dict                     # stages and RDDs of the job (see planner.describe_plan)
    group_id: str | None = None


@dataclass(frozen=True)
class JobEnded:
    job_id: int
    time: float
    succeeded: bool
    error: str | None = None


@dataclass(frozen=True)
class StageSkipped:
    """A shuffle-map stage whose output already exists from an earlier job: not run again."""
    stage_id: int
    job_id: int
    time: float


@dataclass(frozen=True)
class StageSubmitted:
    stage_id: int
    attempt: int                   # 0 for the first submission; resubmissions count up
    job_id: int
    time: float
    name: str
    num_tasks: int                 # tasks in this stage (all partitions)
    partitions: list               # the partitions this attempt runs (the missing ones)
    reason: str = ""               # why a resubmission happened


@dataclass(frozen=True)
class StageCompleted:
    stage_id: int
    attempt: int
    job_id: int
    time: float
    failure: str | None = None


@dataclass(frozen=True)
class TaskStarted:
    task_id: int                   # unique per context, like Spark's TID
    stage_id: int
    stage_attempt: int
    partition: int
    attempt: int                   # attempt of this task: 0, then 1, 2 ... on retries
    worker_id: int
    time: float
    job_id: int = -1
    speculative: bool = False      # a copy of a slow task (spark.speculation)


@dataclass(frozen=True)
class TaskEnded:
    task_id: int
    stage_id: int
    stage_attempt: int
    partition: int
    attempt: int
    worker_id: int
    time: float
    duration: float
    status: str                    # "success", "failed", "fetch_failed", "worker_lost", "killed"
    error: str | None = None       # one line; the traceback goes into the job's exception
    metrics: dict = field(default_factory=dict)
    job_id: int = -1


@dataclass(frozen=True)
class WorkerAdded:
    worker_id: int
    pid: int
    time: float


@dataclass(frozen=True)
class WorkerLost:
    worker_id: int
    time: float
    reason: str


@dataclass(frozen=True)
class BlocksLost:
    """Cached partitions and shuffle map outputs that went away with a worker."""
    worker_id: int
    time: float
    cached_blocks: list            # [rdd id, partition]
    map_outputs: list              # [shuffle id, map id]


@dataclass(frozen=True)
class PartitionRecomputed:
    """A cached partition that had been lost was computed again from its lineage."""
    rdd_id: int
    partition: int
    worker_id: int                 # where it is cached now
    time: float
    reason: str


EVENT_TYPES = {cls.__name__: cls for cls in (
    JobStarted, JobEnded, StageSkipped, StageSubmitted, StageCompleted, TaskStarted, TaskEnded,
    WorkerAdded, WorkerLost, BlocksLost, PartitionRecomputed)}


def register_event_type(cls):
    """Make another event dataclass known to the JSON log (used by the fault module)."""
    EVENT_TYPES[cls.__name__] = cls
    return cls


def event_to_json(event) -> str:
    return json.dumps({"Event": type(event).__name__, **asdict(event)})


def event_from_json(line: str):
    data = json.loads(line)
    cls = EVENT_TYPES[data.pop("Event")]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


class ListenerBus:
    """Delivers events to listeners: sync ones inline, async ones on a dispatcher thread."""

    def __init__(self):
        self._sync_listeners = []
        self._listeners = []
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._dispatch, name="minispark-listener-bus",
                                        daemon=True)
        self._thread.start()

    def add_listener(self, listener, synchronous=False):
        """Register ``listener(event)``; synchronous listeners run inside ``post``."""
        (self._sync_listeners if synchronous else self._listeners).append(listener)

    def remove_listener(self, listener):
        for listeners in (self._sync_listeners, self._listeners):
            if listener in listeners:
                listeners.remove(listener)

    def post(self, event):
        for listener in list(self._sync_listeners):
            _call_safely(listener, event)
        self._queue.put(event)

    def wait_until_empty(self, timeout: float = 10.0) -> bool:
        """Block until every event posted so far was delivered (for tests and magics)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self):
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _dispatch(self):
        while True:
            event = self._queue.get()
            if event is None:
                return
            if isinstance(event, threading.Event):
                event.set()
                continue
            for listener in list(self._listeners):
                _call_safely(listener, event)


def _call_safely(listener, event):
    try:
        listener(event)
    except Exception as error:  # a broken listener must never break the scheduler
        warnings.warn(f"listener {listener!r} failed on {type(event).__name__}: {error!r}",
                      RuntimeWarning, stacklevel=2)


class EventLogWriter:
    """A listener that appends every event to a JSON-lines file (``spark.eventLog.enabled``)."""

    def __init__(self, path: str):
        self.path = path
        self._file = open(path, "a", encoding="utf-8")

    def __call__(self, event):
        self._file.write(event_to_json(event) + "\n")
        self._file.flush()

    def close(self):
        self._file.close()


def replay(path: str, *listeners):
    """Feed the events of a recorded event log to ``listeners``, in order; return the events."""
    with open(path, encoding="utf-8") as log:
        events = [event_from_json(line) for line in log if line.strip()]
    for event in events:
        for listener in listeners:
            listener(event)
    return events
