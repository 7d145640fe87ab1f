"""Accumulators: counters that tasks add to and only the driver reads.

A task gets a *copy* of the accumulator set to zero (the ``__reduce__`` below); whatever the
task adds goes into that copy, and the copy's value travels back with the task's result. The
driver adds it to the real accumulator, once per task: a retried or duplicate attempt of the
same task is not counted again. Updates made inside a *transformation* may still be counted
more than once when a stage is recomputed (a lost shuffle output, an uncached RDD used by two
actions), exactly as in Spark; updates inside actions (``foreach``) are counted once.

>>> counter = sc.accumulator(0)
>>> sc.parallelize([1, 2, 3, 4]).foreach(lambda x: counter.add(x))
>>> counter.value
10
"""

import copy

# Accumulator copies living in this worker process, by id (a task may use several copies).
_worker_copies: dict = {}


class AccumulatorParam:
    """How to add values of a type: ``zero(value)`` and ``addInPlace(value1, value2)``."""

    def zero(self, value):
        raise NotImplementedError

    def addInPlace(self, value1, value2):
        raise NotImplementedError


class AddingAccumulatorParam(AccumulatorParam):
    """An AccumulatorParam that uses ``+=`` and a fixed zero value."""

    def __init__(self, zero_value):
        self.zero_value = zero_value

    def zero(self, value):
        return self.zero_value

    def addInPlace(self, value1, value2):
        value1 += value2
        return value1


INT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0)
FLOAT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0)
COMPLEX_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0j)


class Accumulator:
    """A shared variable that can be accumulated (``add`` or ``+=``), as ``pyspark.Accumulator``."""

    def __init__(self, aid: int, value, accum_param: AccumulatorParam):
        self.aid = aid
        self.accum_param = accum_param
        self._value = value
        self._in_task = False

    def __reduce__(self):
        return _task_copy, (self.aid, self.accum_param.zero(self._value), self.accum_param)

    @property
    def value(self):
        """The accumulated value; only readable on the driver."""
        if self._in_task:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._value

    @value.setter
    def value(self, value):
        if self._in_task:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        self._value = value

    def add(self, term) -> None:
        """Adds a term to this accumulator's value."""
        self._value = self.accum_param.addInPlace(self._value, term)

    def __iadd__(self, term):
        self.add(term)
        return self

    def __str__(self):
        return str(self._value)

    def __repr__(self):
        return f"Accumulator<id={self.aid}, value={self._value}>"


def _task_copy(aid, zero, accum_param):
    accumulator = Accumulator(aid, copy.deepcopy(zero), accum_param)
    accumulator._in_task = True
    accumulator._zero = zero
    _worker_copies.setdefault(aid, []).append(accumulator)
    return accumulator


def forget_task_copies():
    """Before a task unpickles its functions: the copies of the previous task are done with."""
    _worker_copies.clear()


def collect_task_updates() -> dict:
    """After a task: ``{aid: value added by this task}`` for the accumulators it changed."""
    updates = {}
    for aid, copies in _worker_copies.items():
        for accumulator in copies:
            if accumulator._value != accumulator._zero:
                param = accumulator.accum_param
                updates[aid] = (param.addInPlace(updates[aid], accumulator._value)
                                if aid in updates else accumulator._value)
    return updates


def default_param(value) -> AccumulatorParam:
    """The AccumulatorParam PySpark picks for int, float and complex values."""
    if isinstance(value, int):
        return INT_ACCUMULATOR_PARAM
    if isinstance(value, float):
        return FLOAT_ACCUMULATOR_PARAM
    if isinstance(value, complex):
        return COMPLEX_ACCUMULATOR_PARAM
    raise TypeError(f"No default accumulator param for type {type(value)}")
