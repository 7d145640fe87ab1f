"""Partitioners: which reduce partition a key goes to.

A partitioner is a pair ``(numPartitions, partitionFunc)``; the partition of key ``k`` is
``partitionFunc(k) % numPartitions``. Two RDDs partitioned by equal partitioners have every key
in the same partition index, so joining or cogrouping them needs no shuffle. This is why the
partitioner is part of an RDD's identity (``rdd.partitioner``), as in PySpark.

* hash partitioning (the default for ``reduceByKey``, ``groupByKey``, ``partitionBy``) uses
  :func:`~minispark.hashing.portable_hash`;
* range partitioning (``sortByKey``) cuts the key space at boundaries taken from a sample of
  the keys, so that partition ``i`` holds only keys smaller than those of partition ``i + 1``.

>>> p = Partitioner(4, portable_hash)
>>> [p(k) for k in [0, 1, 5, 6]]
[0, 1, 1, 2]
>>> RangePartitionFunction([10, 20], ascending=True)(15)
1
"""

from bisect import bisect_left

from .hashing import portable_hash


class Partitioner:
    """``numPartitions`` and ``partitionFunc``, as ``pyspark.rdd.Partitioner``."""

    def __init__(self, numPartitions: int, partitionFunc=portable_hash):
        self.numPartitions = numPartitions
        self.partitionFunc = partitionFunc

    def __call__(self, key) -> int:
        return self.partitionFunc(key) % self.numPartitions

    def __eq__(self, other):
        return (
            isinstance(other, Partitioner)
            and self.numPartitions == other.numPartitions
            and self.partitionFunc == other.partitionFunc
        )

    def __hash__(self):
        return hash(self.numPartitions)

    def __repr__(self):
        name = getattr(self.partitionFunc, "__name__", type(self.partitionFunc).__name__)
        return f"Partitioner({self.numPartitions}, {name})"


class RangePartitionFunction:
    """Maps a key to the index of its range among sorted ``bounds`` (used by ``sortByKey``).

    With ``n - 1`` bounds there are ``n`` ranges. For a descending sort the ranges are numbered
    from the other end, so partition 0 still holds the first keys of the result.
    """

    __name__ = "rangePartitioner"

    def __init__(self, bounds, ascending=True, keyfunc=lambda key: key):
        self.bounds = list(bounds)
        self.ascending = ascending
        self.keyfunc = keyfunc

    def __call__(self, key) -> int:
        index = bisect_left(self.bounds, self.keyfunc(key))
        return index if self.ascending else len(self.bounds) - index

    def __eq__(self, other):
        return (
            isinstance(other, RangePartitionFunction)
            and self.bounds == other.bounds
            and self.ascending == other.ascending
        )

    def __hash__(self):
        return hash((len(self.bounds), self.ascending))
