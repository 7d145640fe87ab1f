"""Checks for exercises: each one tests an answer and, when it is wrong, says why in plain words.

Coursework notebooks end their exercises with one of these. A failing check raises
``ExerciseError`` (an ``AssertionError``) whose message says what was expected, what the
student's code did, and where to look, instead of a bare ``assert`` traceback. An answer that is
still the ``...`` of a blank answer cell fails every check with the same message, "Not answered
yet", so a blank notebook fails all of its checks: the checks bite. Lessons call the checks
through ``exercise``, which prints the verdict instead of raising.

>>> rdd = sc.parallelize([3, 1, 2], 2).map(lambda x: x * 10)
>>> check_result(rdd, [10, 20, 30], ordered=False)
>>> check_stage_count(rdd.map(lambda x: (x, 1)).reduceByKey(lambda a, b: a + b), 2)
>>> check_stage_count(rdd, 2)
Traceback (most recent call last):
    ...
minispark.testing.ExerciseError: Expected a plan with 2 stages, but this RDD needs 1 stage: ...
"""

import math

from .planner import plan_stages, stage_rdds
from .rdd import RDD


class ExerciseError(AssertionError):
    """An exercise's check failed; the message explains the expected answer."""

    def _render_traceback_(self) -> list:
        """What IPython shows: the explanation only (IPython's hook for custom tracebacks).

        The frames inside the check are the check's business, not the student's; a notebook
        shows the message alone, in red like any error name. Plain Python shows all of it.
        """
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


NOT_ANSWERED = ("Not answered yet: replace the ... in the answer cell with your code, run that "
                "cell, then run this one.")


def exercise(title: str, check, answer, *args, **kwargs) -> None:
    """Run a lesson exercise's check and print the verdict (never raises, unlike coursework).

    ``answer`` is what the student's cell produced (``...`` or ``None`` while unanswered);
    ``check`` is one of the ``check_*`` functions, called as ``check(answer, *args)``.

    >>> exercise("Exercise 1", check_result, ..., [1, 2])
    Exercise 1: not answered yet. Replace the ... in the cell above with your answer, run it, then run this cell.
    >>> exercise("Exercise 1", check_result, sc.parallelize([2, 1]), [1, 2], ordered=False)
    Exercise 1: correct.
    """
    if answer is None or answer is Ellipsis:
        print(f"{title}: not answered yet. Replace the ... in the cell above with your answer, "
              "run it, then run this cell.")
        return
    try:
        check(answer, *args, **kwargs)
    except ExerciseError as error:
        print(f"{title}: not yet. {error}")
        return
    print(f"{title}: correct.")


def require_answered(answer) -> None:
    """Raise ``ExerciseError`` while ``answer`` is still the ``...`` of a blank answer cell.

    Every check calls it first, so a blank exercise says so instead of failing in a way that
    has nothing to do with the exercise ("Expected an RDD, but got ellipsis").

    >>> check_result(..., [1, 2])
    Traceback (most recent call last):
        ...
    minispark.testing.ExerciseError: Not answered yet: replace the ... in the answer cell with your code, run that cell, then run this one.
    """
    if answer is Ellipsis:
        raise ExerciseError(NOT_ANSWERED)


def check_result(rdd_or_value, expected, ordered: bool = True, rel_tol: float = 0.0) -> None:
    """The result equals ``expected`` (an RDD is collected first; ``ordered=False`` sorts both).

    With ``rel_tol``, floats anywhere in the result (in tuples and lists too) may differ from
    the expected ones by that fraction: an average computed in another order differs in its
    last digits.

    >>> check_result(sc.parallelize([("a", 0.1 + 0.2)]), [("a", 0.3)], rel_tol=1e-9)
    """
    require_answered(rdd_or_value)
    actual = rdd_or_value.collect() if isinstance(rdd_or_value, RDD) else rdd_or_value
    if actual is None:
        raise ExerciseError("The answer is None: did the exercise cell assign its result?")
    compare_actual, compare_expected = actual, expected
    if not ordered and isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        compare_actual, compare_expected = _sorted(actual), _sorted(expected)
    if not _equal(compare_actual, compare_expected, rel_tol):
        hint = "" if ordered else " (order ignored)"
        if rel_tol:
            hint += f" (numbers within {rel_tol:g} of each other count as equal)"
        raise ExerciseError(f"Expected {_short(expected)}{hint}, but got {_short(actual)}.")


def _equal(actual, expected, rel_tol: float) -> bool:
    if not rel_tol:
        return actual == expected
    if isinstance(actual, float) or isinstance(expected, float):
        return (isinstance(actual, (int, float)) and isinstance(expected, (int, float))
                and math.isclose(actual, expected, rel_tol=rel_tol))
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return (type(actual) is type(expected) and len(actual) == len(expected)
                and all(_equal(a, e, rel_tol) for a, e in zip(actual, expected)))
    return actual == expected


def check_stage_count(rdd: RDD, expected: int) -> None:
    """An action on ``rdd`` would run exactly ``expected`` stages (nothing is run to find out)."""
    require_answered(rdd)
    _require_rdd(rdd)
    stages = plan_stages(rdd)
    if len(stages) != expected:
        names = ", ".join(f"stage {i}: {s.name.split(' at ')[0]}" for i, s in enumerate(stages))
        raise ExerciseError(
            f"Expected a plan with {expected} stage{'s' * (expected != 1)}, but this RDD needs "
            f"{len(stages)} stage{'s' * (len(stages) != 1)}: {names}. Every shuffle "
            "(reduceByKey, groupByKey, join, distinct, repartition ...) starts a new stage, "
            "unless both sides are already partitioned the same way.")


def check_no_shuffle(rdd: RDD, *inputs: RDD) -> None:
    """Computing ``rdd`` from ``inputs`` needs no shuffle (only narrow dependencies between them)."""
    for value in (rdd, *inputs):
        require_answered(value)
        _require_rdd(value)
    stops = {r.id() for r in inputs}
    stack, seen = [rdd], set()
    while stack:
        current = stack.pop()
        if current.id() in seen or current.id() in stops:
            continue
        seen.add(current.id())
        for dependency in current.dependencies:
            if dependency.is_shuffle:
                raise ExerciseError(
                    f"Expected no shuffle, but {_operation(current)} (RDD {current.id()}) "
                    f"shuffles {_operation(dependency.rdd)} (RDD {dependency.rdd.id()}). "
                    "Partition both sides with the same partitioner first (partitionBy), then "
                    "a join or reduceByKey on them with the same number of partitions is narrow.")
            stack.append(dependency.rdd)


def check_computed_once(rdd: RDD, *actions) -> None:
    """Running ``actions`` (functions of no argument) computes each partition of ``rdd`` once.

    That is what ``cache()`` buys: without it, every action recomputes the RDD from its lineage.
    """
    require_answered(rdd)
    _require_rdd(rdd)
    counts = {}

    def count(event):
        if type(event).__name__ == "TaskEnded":
            for rdd_id, partition in event.metrics.get("computed", []):
                if rdd_id == rdd.id():
                    counts[partition] = counts.get(partition, 0) + 1

    ctx = rdd.context
    ctx.addSparkListener(count, synchronous=True)
    try:
        for action in actions:
            action()
    finally:
        ctx.removeSparkListener(count)
    twice = {p: n for p, n in sorted(counts.items()) if n > 1}
    if twice:
        raise ExerciseError(
            f"Expected each partition of RDD {rdd.id()} to be computed once, but partitions "
            f"{sorted(twice)} were computed {max(twice.values())} times. Call .cache() on it "
            "before the first action, so later actions read it from the workers' memory.")


def check_survives_chaos(job, expected, kill_probability: float = 0.2, seed: int = 0,
                         ordered: bool = False) -> None:
    """``job(sc)`` still returns ``expected`` while chaos kills workers (reproducibly).

    A job left as ``def job(sc): return ...`` is not answered yet; one that returns None has
    forgotten its ``return``.
    """
    from .context import SparkContext

    require_answered(job)
    if not callable(job):
        raise ExerciseError(f"Expected a function job(sc), but got {type(job).__name__}: define "
                            "it with def and put the function itself (no parentheses) here.")
    sc = SparkContext._active_spark_context
    if sc is None:
        raise ExerciseError("No SparkContext is running: start one first (%minispark start).")
    sc.faults.chaos(kill_probability, seed)
    try:
        actual = job(sc)
    finally:
        sc.faults.clear()
    lost = sorted(sc._pool.lost)
    require_answered(actual)
    if actual is None:
        raise ExerciseError("job(sc) returned None: does the function end with a return of its "
                            "result?")
    try:
        check_result(actual, expected, ordered)
    except ExerciseError as error:
        raise ExerciseError(f"Under chaos (p={kill_probability}, seed={seed}, workers lost: "
                            f"{lost}): {error}") from None


def stage_rdd_names(rdd: RDD) -> list:
    """The operations of each stage of ``rdd``'s plan, for printing in lessons."""
    return [[r.op_name for r in reversed(stage_rdds(stage.rdd))] for stage in plan_stages(rdd)]


def _operation(rdd) -> str:
    """``groupByKey`` or, for a step of an operation the user called, ``groupByKey (in join)``."""
    return f"{rdd.op_name} (in {rdd.scope})" if rdd.scope else rdd.op_name


def _require_rdd(value):
    if not isinstance(value, RDD):
        raise ExerciseError(f"Expected an RDD, but got {type(value).__name__}: did the exercise "
                            "cell end with an action (collect, count ...) instead of the RDD?")


def _sorted(values):
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


def _short(value, limit=300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."
