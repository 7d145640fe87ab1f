"""Tasks: the unit of work a worker runs, and the result it sends back.

A stage has one task per partition. There are two kinds, as in Spark:

* a **ShuffleMapTask** computes its partition of the stage's last RDD and writes the records
  into shuffle blocks for the next stage (``shuffle.write_map_output``); its result is the
  ``MapStatus`` saying where those blocks are;
* a **ResultTask** computes its partition and applies the action's function to it (count the
  records, take the first n ...); its result is that value, pickled.

A task message is small: ids, the partition, the map output locations it reads, and the id of
the *stage binary* (the pickled RDD chain plus the function or shuffle dependency). The binary
is sent to each worker once per stage and then referenced by id.

Failures are values: ``run_task`` never lets an exception escape. A user error comes back as a
``TaskResult`` with ``ok=False``, the exception (when it pickles) and the traceback's frames, so
the driver can decide to retry and finally show the user's own code.
"""

import os
import pickle
import time
import traceback
from dataclasses import dataclass, field

import cloudpickle

from . import accumulators, shuffle
from .errors import FetchFailedError
from .taskcontext import TaskContext, TaskMetrics

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class TaskDescription:
    task_id: int            # unique per context (Spark's TID)
    job_id: int
    stage_id: int
    stage_attempt: int
    partition: int          # the partition of the stage's RDD this task computes
    attempt: int            # 0 for the first attempt of this partition in this stage
    kind: str               # "shuffle_map" or "result"
    binary_id: int          # which stage binary (sent separately, once per worker)
    shuffle_inputs: dict    # shuffle id -> tuple of MapStatus, for the shuffles it reads
    output_index: int = 0   # result tasks: position of this partition in the job's results
    inject_failure: bool = False   # sc.faults.fail_task chose this attempt to fail
    speculative: bool = False      # a copy of a slow running task (spark.speculation)

    def __repr__(self):
        return (f"Task(tid={self.task_id}, stage={self.stage_id}.{self.stage_attempt}, "
                f"partition={self.partition}, attempt={self.attempt})")


@dataclass
class TaskResult:
    task_id: int
    worker_id: int
    ok: bool
    value: bytes | None = None          # a result task's pickled value
    map_status: object = None           # a shuffle-map task's MapStatus
    error: str | None = None            # "ZeroDivisionError: division by zero"
    exception: bytes | None = None      # the pickled exception, when it could be pickled
    frames: list = field(default_factory=list)   # (file, line, function, code) of the traceback
    fetch_failed: tuple | None = None   # (shuffle id, map id) when a map output was missing
    metrics: TaskMetrics = field(default_factory=TaskMetrics)
    accumulator_updates: dict = field(default_factory=dict)
    duration: float = 0.0


def run_task(task: TaskDescription, stage_binary, env) -> TaskResult:
    """Run one task in this process and describe what happened; never raises."""
    context = TaskContext(task.stage_id, task.stage_attempt, task.partition, task.attempt,
                          task.task_id, env.worker_id, env, task.shuffle_inputs)
    TaskContext._current = context
    started = time.perf_counter()
    result = TaskResult(task.task_id, env.worker_id, ok=True, metrics=context.metrics)
    try:
        if env.slowdown:
            time.sleep(env.slowdown)
        if task.inject_failure:
            raise InjectedFault(f"sc.faults.fail_task made attempt {task.attempt} of task "
                                f"{task.partition} in stage {task.stage_id} fail")
        rdd, action = stage_binary
        records = rdd.iterator(task.partition, context)
        if task.kind == "result":
            output = list(action(records))
            context.metrics.records_written += len(output)
            result.value = cloudpickle.dumps(output, pickle.HIGHEST_PROTOCOL)
        else:
            result.map_status = shuffle.write_map_output(action, records, context, task.partition)
    except FetchFailedError as error:
        result.ok = False
        result.fetch_failed = (error.shuffle_id, error.map_id)
        result.error = str(error)
    except BaseException as error:  # user code may raise anything, even SystemExit
        result.ok = False
        result.error = f"{type(error).__name__}: {error}"
        result.frames = user_frames(error)
        result.exception = _pickle_or_none(error)
    finally:
        TaskContext._current = None
    result.accumulator_updates = accumulators.collect_task_updates()
    result.duration = time.perf_counter() - started
    return result


class InjectedFault(Exception):
    """The failure that ``sc.faults.fail_task`` injects into a task attempt."""


def user_frames(error: BaseException) -> list:
    """The traceback frames of ``error``, without MiniSpark's own frames when user frames exist."""
    frames = [(f.filename, f.lineno, f.name, f.line or "")
              for f in traceback.extract_tb(error.__traceback__)]
    mine = [f for f in frames if not os.path.abspath(f[0]).startswith(_PACKAGE_DIR)]
    return mine or frames


def _pickle_or_none(error):
    try:
        data = cloudpickle.dumps(error)
        pickle.loads(data)
        return data
    except Exception:
        return None
