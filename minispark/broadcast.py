"""Broadcast variables: a read-only value shipped to each worker once, not with every task.

``sc.broadcast(v)`` pickles ``v`` once into a file of the context. A task's closure carries only
a tiny reference (the broadcast id and the file); the first task on a worker that touches
``.value`` loads the file, and later tasks on that worker reuse the loaded value. Sending a
100 MB lookup table inside every task's closure would instead ship it once per task.

>>> b = sc.broadcast([1, 2, 3, 4, 5])
>>> b.value
[1, 2, 3, 4, 5]
>>> sc.parallelize([0, 0]).flatMap(lambda x: b.value).collect()
[1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
>>> b.unpersist()
"""

import os
import pickle

import cloudpickle

# Values loaded in this (worker) process, by broadcast id: each worker reads a file once.
_loaded_values: dict = {}


class Broadcast:
    """A broadcast variable created with ``SparkContext.broadcast``, as ``pyspark.Broadcast``."""

    def __init__(self, bid: int, path: str, value=None, on_driver=True):
        self.bid = bid
        self._path = path
        self._value = value
        self._on_driver = on_driver
        self._destroyed = False

    @classmethod
    def _create(cls, bid, directory, value):
        path = os.path.join(directory, f"broadcast_{bid}")
        with open(path, "wb") as value_file:
            value_file.write(cloudpickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        return cls(bid, path, value)

    @property
    def value(self):
        """The broadcast value (loaded from the context's file on first use in a worker)."""
        if self._destroyed:
            raise RuntimeError(f"Attempted to use broadcast variable {self.bid} after it was destroyed")
        if self._on_driver:
            return self._value
        if self.bid not in _loaded_values:
            with open(self._path, "rb") as value_file:
                _loaded_values[self.bid] = pickle.load(value_file)
        return _loaded_values[self.bid]

    def unpersist(self, blocking: bool = False) -> None:
        """Delete cached copies on the workers; the value is loaded again if used later."""
        _loaded_values.pop(self.bid, None)

    def destroy(self, blocking: bool = False) -> None:
        """Destroy all data of this broadcast; it cannot be used afterwards."""
        self._destroyed = True
        if os.path.exists(self._path):
            os.unlink(self._path)

    def __reduce__(self):
        if self._destroyed:
            raise RuntimeError(f"Attempted to use broadcast variable {self.bid} after it was destroyed")
        return _broadcast_reference, (self.bid, self._path)

    def __repr__(self):
        return f"<Broadcast id={self.bid}>"


def _broadcast_reference(bid, path):
    return Broadcast(bid, path, on_driver=False)
