"""User code crossing the process boundary: shipping it out, and its errors back.

*Out*: a stage's RDD chain and its function are pickled with cloudpickle once per stage (the
*stage binary*). When that fails, cloudpickle's message ("cannot pickle '_thread.lock'
object") does not say which of the user's functions is at fault, so we pickle each function of
the stage on its own to name the culprit and where it was defined.

*Back*: a task that raised sends its traceback frames. The driver re-renders them, filling in
source lines from the driver's own ``linecache``: a function defined in a notebook cell has no
source file on the worker, but the kernel knows the cell, so the student sees their own line.
"""

import linecache
import pickle

import cloudpickle

from .errors import PicklingError, TaskFailedError


def stage_binary(stage) -> bytes:
    """Pickle ``(last RDD, function or shuffle dependency)`` of a stage for the workers."""
    action = stage.func if stage.kind == "ResultStage" else stage.shuffle_dependency
    try:
        return cloudpickle.dumps((stage.rdd, action), pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        raise PicklingError(_explain_pickling_failure(stage, action, error)) from error


_ADVICE = ("Functions run on the workers, so everything they use must be picklable: create "
           "locks, files, connections and contexts inside the function, not outside it.")


def _explain_pickling_failure(stage, action, error) -> str:
    for rdd in stage.rdds:
        for name, value in vars(rdd).items():
            if name.startswith("_") or not callable(value):
                continue
            try:
                cloudpickle.dumps(value)
            except Exception as inner:
                return (f"Could not serialize the function of {rdd.op_name} at {rdd.call_site} "
                        f"({_describe(_users_function(value))}): {inner}. {_ADVICE}")
    # Not in the RDDs: in what the stage does with them (an action's function, a shuffle's).
    for value in _action_functions(action):
        try:
            cloudpickle.dumps(value)
        except Exception as inner:
            return (f"Could not serialize the tasks of stage {stage.stage_id} ({stage.name}): "
                    f"{_describe(_users_function(value))}: {inner}. {_ADVICE}")
    return f"Could not serialize the tasks of stage {stage.stage_id} ({stage.name}): {error}"


def _action_functions(action) -> list:
    """The user functions a stage carries besides its RDDs: a result function, or a shuffle's."""
    if not hasattr(action, "shuffle_id"):
        return [action]
    functions = [action.partitioner.partitionFunc]
    if action.aggregator is not None:
        aggregator = action.aggregator
        functions += [aggregator.create_combiner, aggregator.merge_value, aggregator.merge_combiners]
    return functions


def _users_function(function):
    """The function to blame: ``map(f)`` keeps ``f`` in the closure of MiniSpark's own lambda."""
    for cell in getattr(function, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:   # a cell not yet filled
            continue
        if callable(value) and not _picklable(value):
            return _users_function(value)
    return function


def _picklable(value) -> bool:
    try:
        cloudpickle.dumps(value)
        return True
    except Exception:
        return False


def _describe(function) -> str:
    code = getattr(function, "__code__", None)
    if code is None:
        return repr(function)
    return f"{getattr(function, '__qualname__', function)} defined at {code.co_filename}:{code.co_firstlineno}"


def format_frames(frames) -> str:
    lines = ["Traceback (most recent call last):"]
    for filename, lineno, name, line in frames:
        lines.append(f'  File "{filename}", line {lineno}, in {name}')
        line = line or linecache.getline(filename, lineno).strip()
        if line:
            lines.append(f"    {line}")
    return "\n".join(lines)


def abort_error(task, worker_id, result, failures) -> TaskFailedError:
    """The exception that aborts a job: Spark's wording, then the user's own traceback."""
    remote = format_frames(result.frames) + "\n" + (result.error or "")
    message = (
        f"Job aborted due to stage failure: Task {task.partition} in stage "
        f"{task.stage_id}.{task.stage_attempt} failed {failures} times, most recent failure: "
        f"Lost task {task.partition}.{task.attempt} in stage {task.stage_id}.{task.stage_attempt} "
        f"(TID {task.task_id}) (worker {worker_id}):\n{remote}"
    )
    error = TaskFailedError(message, stage_id=task.stage_id, partition=task.partition,
                            attempt=task.attempt, worker_id=worker_id, remote_traceback=remote)
    cause = None
    if result.exception is not None:
        try:
            cause = pickle.loads(result.exception)
        except Exception:
            cause = None
    error.__cause__ = cause
    return error
