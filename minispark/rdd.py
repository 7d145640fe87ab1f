"""The RDD: a lazy, partitioned collection that remembers how it was made.

An RDD is a *recipe*, not data. It has a number of partitions, a list of dependencies on parent
RDDs (its lineage), and a ``compute(split, context)`` method that produces the records of one
partition as an iterator, usually by pulling records from a parent's iterator. Transformations
(``map``, ``filter``, ``reduceByKey`` ...) only build a new RDD on top of the old one; nothing
runs until an *action* (``collect``, ``count`` ...) asks the context to run a job.

Because every partition can be recomputed from its lineage, a lost partition (a dead worker, an
evicted cache block) is never fatal: the scheduler simply computes it again. That is the idea of
the RDD paper (Zaharia et al., NSDI 2012), and the reason this class keeps its dependencies.

This module holds the RDD class with its element-wise transformations. Key-value operations are
in :mod:`minispark.pairs`, actions in :mod:`minispark.actions`, and the concrete kinds of RDD
(how each computes a partition) in :mod:`minispark.rdds`.

>>> rdd = sc.parallelize(range(10), 2).map(lambda x: x * x).filter(lambda x: x % 2 == 0)
>>> rdd.getNumPartitions(), rdd.collect()
(2, [0, 4, 16, 36, 64])
"""

import random
from itertools import chain

from .actions import RDDActions
from .callsite import user_call
from .dependencies import OneToOneDependency
from .errors import SparkException
from .hashing import portable_hash
from .pairs import PairRDDFunctions
from .sampling import RDDRangeSampler, RDDSampler
from .storagelevel import StorageLevel

_NOT_ON_WORKER = (
    "It appears that you are attempting to reference SparkContext or an RDD from inside a "
    "transformation or action. RDD transformations and actions can only be invoked by the "
    "driver, not inside of other transformations; for example, rdd1.map(lambda x: "
    "rdd2.values.count() * x) is invalid. See SPARK-5063."
)


class RDD(PairRDDFunctions, RDDActions):
    """A Resilient Distributed Dataset, with the API of ``pyspark.RDD``."""

    def __init__(self, ctx, dependencies=(), partitioner=None, op_name=None):
        self._ctx = ctx
        self._rdd_id = ctx._new_rdd_id()
        self.dependencies = list(dependencies)
        self.partitioner = partitioner
        self.op_name = op_name or type(self).__name__   # the transformation that made it
        operation, self.call_site = user_call()          # where in user code it was made
        # The operation the user called, when it made this RDD as one of several
        # (distinct -> map, reduceByKey, map): Spark's operation scope. None when the same.
        self.scope = operation if operation not in (None, self.op_name) else None
        self._name = None
        self._storage_level = StorageLevel.NONE
        self.is_cached = False
        self._checkpoint_state = None   # None, "pending" or "done" (localCheckpoint)

    # ---- what each kind of RDD defines -------------------------------------------------
    def _num_partitions(self) -> int:
        raise NotImplementedError

    def compute(self, split: int, context):
        """Return an iterator over the records of partition ``split``."""
        raise NotImplementedError

    # ---- identity and lineage ----------------------------------------------------------
    @property
    def ctx(self):
        if self._ctx is None:
            raise SparkException(_NOT_ON_WORKER)
        return self._ctx

    @property
    def context(self):
        """The SparkContext this RDD was created on."""
        return self.ctx

    def id(self) -> int:
        """A unique id for this RDD (within its SparkContext)."""
        return self._rdd_id

    def name(self):
        """The name of this RDD, or None."""
        return self._name

    def setName(self, name: str) -> "RDD":
        """Assign a name to this RDD (shown by ``toDebugString`` and the DAG pictures)."""
        self._name = name
        return self

    def getNumPartitions(self) -> int:
        """Returns the number of partitions in RDD.

        >>> sc.parallelize([1, 2, 3, 4], 2).getNumPartitions()
        2
        """
        return self._num_partitions()

    def __getstate__(self):
        # An RDD travels to the workers as part of a task; the context stays on the driver.
        state = dict(self.__dict__)
        state["_ctx"] = None
        return state

    def __repr__(self):
        name = f"{self._name} " if self._name else ""
        return f"{name}{type(self).__name__}[{self._rdd_id}] at {self.call_label}"

    @property
    def call_label(self) -> str:
        """What Spark calls this RDD's call site: ``distinct at In[3]:1``, the operation the
        user called (not ``map``, one of the steps ``distinct`` is made of) and where."""
        return f"{self.scope or self.op_name} at {self.call_site}"

    def toDebugString(self) -> bytes:
        """A description of this RDD and its lineage, in Spark's format (as bytes, like PySpark).

        Each ``+-`` starts a new stage: the RDD under it is the input of a shuffle.

        >>> rdd = sc.parallelize([("a", 1)], 2).reduceByKey(lambda a, b: a + b)
        >>> print(rdd.toDebugString().decode())  # doctest: +ELLIPSIS
        (2) ShuffledRDD[...] at reduceByKey at ... []
         +-(2) ParallelCollectionRDD[...] at parallelize at ... []
        """
        from .debugstring import debug_string

        return debug_string(self).encode("utf-8")

    # ---- the iterator a task pulls records from ----------------------------------------
    def iterator(self, split: int, context):
        """Records of partition ``split``: from the cache when persisted, else computed."""
        if self._storage_level != StorageLevel.NONE and context is not None:
            return context.env.blocks.get_or_compute(self, split, context)
        return self.compute_or_fail_checkpoint(split, context)

    def compute_or_fail_checkpoint(self, split: int, context):
        """Compute a partition; a locally checkpointed RDD has no lineage left to do it with."""
        if self._checkpoint_state == "done":
            raise SparkException(
                f"Checkpoint block rdd_{self._rdd_id}_{split} not found! Either the worker that "
                "originally checkpointed this partition is no longer alive, or the original RDD "
                "is unpersisted. localCheckpoint() trades fault tolerance for a short lineage."
            )
        if context is not None:
            context.metrics.computed.append((self._rdd_id, split))
        return self.compute(split, context)

    # ---- persistence -------------------------------------------------------------------
    def cache(self) -> "RDD":
        """Persist this RDD with the default storage level (MEMORY_ONLY)."""
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self, storageLevel: StorageLevel = StorageLevel.MEMORY_ONLY) -> "RDD":
        """Keep each partition on the worker that computes it, for the next actions.

        >>> rdd = sc.parallelize(["b", "a", "c"]).persist()
        >>> rdd.is_cached, rdd.getStorageLevel()
        (True, StorageLevel(False, True, False, False, 1))

        As in Spark, a level cannot be changed once assigned (``unpersist()`` first), except on
        an RDD marked by ``localCheckpoint()``.

        >>> _ = rdd.persist(StorageLevel.DISK_ONLY)  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
            ...
        SparkException: Cannot change storage level of an RDD after it was already assigned a level
        """
        if (self._storage_level != StorageLevel.NONE and storageLevel != self._storage_level
                and self._checkpoint_state is None):
            raise SparkException("Cannot change storage level of an RDD after it was already "
                                 "assigned a level")
        if not self.is_cached:
            self.ctx._clean_when_unreachable(self, "cached", self._rdd_id)
        self.is_cached = True
        self._storage_level = storageLevel
        return self

    def unpersist(self, blocking: bool = False) -> "RDD":
        """Mark the RDD as non-persistent, and remove its blocks from the workers."""
        self.is_cached = False
        self._storage_level = StorageLevel.NONE
        self.ctx._unpersist_rdd(self._rdd_id)
        return self

    def getStorageLevel(self) -> StorageLevel:
        """Get the RDD's current storage level."""
        return self._storage_level

    def localCheckpoint(self) -> None:
        """Cut this RDD's lineage once it has been computed, keeping its partitions on the workers.

        Faster than recomputing a long lineage, but not fault tolerant: a partition lost with its
        worker cannot be recomputed (the job that needs it fails), as in Spark.
        """
        if self._storage_level == StorageLevel.NONE:
            self.persist(StorageLevel.MEMORY_AND_DISK)
        self._checkpoint_state = "pending"

    def isLocallyCheckpointed(self) -> bool:
        return self._checkpoint_state is not None

    def isCheckpointed(self) -> bool:
        return self._checkpoint_state == "done"

    def _mark_checkpointed(self):
        """Called by the context once every partition is stored: forget the lineage."""
        self._checkpoint_state = "done"
        self.dependencies = [OneToOneDependency(rdds.LocalCheckpointRDD(self))]

    # ---- element-wise transformations (narrow) ------------------------------------------
    def mapPartitionsWithIndex(self, f, preservesPartitioning=False) -> "RDD":
        """Return a new RDD by applying ``f(index, iterator)`` to each partition.

        >>> rdd = sc.parallelize([1, 2, 3, 4], 4)
        >>> rdd.mapPartitionsWithIndex(lambda index, it: [index]).sum()
        6
        """
        return rdds.MapPartitionsRDD(self, f, preservesPartitioning, "mapPartitionsWithIndex")

    def mapPartitions(self, f, preservesPartitioning=False) -> "RDD":
        """Return a new RDD by applying ``f(iterator)`` to each partition.

        >>> rdd = sc.parallelize([1, 2, 3, 4], 2)
        >>> rdd.mapPartitions(lambda iterator: [sum(iterator)]).collect()
        [3, 7]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: f(it), preservesPartitioning,
                                     "mapPartitions")

    def mapPartitionsWithSplit(self, f, preservesPartitioning=False) -> "RDD":
        """Deprecated alias of :meth:`mapPartitionsWithIndex`."""
        return self.mapPartitionsWithIndex(f, preservesPartitioning)

    def map(self, f, preservesPartitioning=False) -> "RDD":
        """Return a new RDD by applying a function to each element of this RDD.

        >>> sorted(sc.parallelize(["b", "a", "c"]).map(lambda x: (x, 1)).collect())
        [('a', 1), ('b', 1), ('c', 1)]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: map(f, it), preservesPartitioning,
                                     "map")

    def flatMap(self, f, preservesPartitioning=False) -> "RDD":
        """Apply ``f`` to each element and flatten the results.

        >>> sorted(sc.parallelize([2, 3, 4]).flatMap(lambda x: range(1, x)).collect())
        [1, 1, 1, 2, 2, 3]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: chain.from_iterable(map(f, it)),
                                     preservesPartitioning, "flatMap")

    def filter(self, f) -> "RDD":
        """Return a new RDD containing only the elements that satisfy a predicate.

        >>> sc.parallelize([1, 2, 3, 4, 5]).filter(lambda x: x % 2 == 0).collect()
        [2, 4]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: filter(f, it), True, "filter")

    def glom(self) -> "RDD":
        """Return an RDD created by coalescing all elements within each partition into a list.

        >>> sorted(sc.parallelize([1, 2, 3, 4], 2).glom().collect())
        [[1, 2], [3, 4]]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: [list(it)], False, "glom")

    def keyBy(self, f) -> "RDD":
        """Creates tuples of the elements in this RDD by applying ``f`` (the key) to each.

        >>> sc.parallelize(range(3)).keyBy(lambda x: x * x).collect()
        [(0, 0), (1, 1), (4, 2)]
        """
        return rdds.MapPartitionsRDD(self, lambda _, it: ((f(x), x) for x in it), False,
                                     "keyBy")

    def sample(self, withReplacement: bool, fraction: float, seed=None) -> "RDD":
        """Return a sampled subset of this RDD (each partition sampled with its own generator).

        >>> rdd = sc.parallelize(range(100), 4)
        >>> 6 <= rdd.sample(False, 0.1, 81).count() <= 14
        True
        """
        if not fraction >= 0:
            raise ValueError(f"Negative fraction value: {fraction}")
        sampler = RDDSampler(withReplacement, fraction, seed)
        return rdds.MapPartitionsRDD(self, sampler.func, True, "sample")

    def randomSplit(self, weights, seed=None) -> list:
        """Randomly splits this RDD with the provided weights.

        >>> rdd = sc.parallelize(range(500), 1)
        >>> rdd1, rdd2 = rdd.randomSplit([2, 3], 17)
        >>> len(rdd1.collect() + rdd2.collect())
        500
        """
        if not all(w >= 0 for w in weights):
            raise ValueError("Weights must be nonnegative")
        total = float(sum(weights))
        if not total > 0:
            raise ValueError("Sum of weights must be positive")
        cumulative = [0.0]
        for weight in weights:
            cumulative.append(cumulative[-1] + weight / total)
        if seed is None:
            seed = random.randint(0, 2**32 - 1)
        return [
            rdds.MapPartitionsRDD(self, RDDRangeSampler(lower, upper, seed).func, True,
                                  "randomSplit")
            for lower, upper in zip(cumulative, cumulative[1:])
        ]

    def union(self, other: "RDD") -> "RDD":
        """Return the union of this RDD and another one.

        >>> rdd = sc.parallelize([1, 1, 2, 3])
        >>> rdd.union(rdd).collect()
        [1, 1, 2, 3, 1, 1, 2, 3]
        """
        return self.ctx.union([self, other])

    def __add__(self, other: "RDD") -> "RDD":
        if not isinstance(other, RDD):
            raise TypeError(f"unsupported operand type(s) for +: 'RDD' and '{type(other).__name__}'")
        return self.union(other)

    def cartesian(self, other: "RDD") -> "RDD":
        """Return the Cartesian product of this RDD and another one.

        >>> rdd = sc.parallelize([1, 2])
        >>> sorted(rdd.cartesian(rdd).collect())
        [(1, 1), (1, 2), (2, 1), (2, 2)]
        """
        return rdds.CartesianRDD(self, other)

    def zip(self, other: "RDD") -> "RDD":
        """Zips this RDD with another one: pairs of the n-th elements of each partition.

        Both RDDs must have the same number of partitions and the same number of elements in
        each partition.

        >>> x = sc.parallelize(range(0, 5))
        >>> y = sc.parallelize(range(1000, 1005))
        >>> x.zip(y).collect()
        [(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)]
        """
        if self.getNumPartitions() != other.getNumPartitions():
            raise ValueError("Can only zip with RDD which has the same number of partitions")
        return rdds.ZippedPartitionsRDD(self, other)

    def zipWithIndex(self) -> "RDD":
        """Zips this RDD with its element indices (runs a job to count each partition first).

        >>> sc.parallelize(["a", "b", "c", "d"], 3).zipWithIndex().collect()
        [('a', 0), ('b', 1), ('c', 2), ('d', 3)]
        """
        starts = [0]
        if self.getNumPartitions() > 1:
            counts = self.mapPartitions(lambda it: [sum(1 for _ in it)]).collect()
            for count in counts[:-1]:
                starts.append(starts[-1] + count)

        def with_index(split, iterator):
            for index, value in enumerate(iterator, starts[split]):
                yield value, index

        return rdds.MapPartitionsRDD(self, with_index, False, "zipWithIndex")

    def zipWithUniqueId(self) -> "RDD":
        """Zips with ids k, n+k, 2n+k ... in partition k of n (no job needed).

        >>> sc.parallelize(["a", "b", "c", "d", "e"], 3).zipWithUniqueId().collect()
        [('a', 0), ('b', 1), ('c', 4), ('d', 2), ('e', 5)]
        """
        n = self.getNumPartitions()

        def with_id(split, iterator):
            for index, value in enumerate(iterator):
                yield value, index * n + split

        return rdds.MapPartitionsRDD(self, with_id, False, "zipWithUniqueId")

    def coalesce(self, numPartitions: int, shuffle: bool = False) -> "RDD":
        """Return a new RDD that is reduced into ``numPartitions`` partitions (no shuffle).

        >>> sc.parallelize([1, 2, 3, 4, 5], 3).glom().collect()
        [[1], [2, 3], [4, 5]]
        >>> sc.parallelize([1, 2, 3, 4, 5], 3).coalesce(1).glom().collect()
        [[1, 2, 3, 4, 5]]
        """
        if not numPartitions > 0:
            raise ValueError("Number of partitions must be positive.")
        if shuffle:
            return self._repartition_by_shuffle(numPartitions)
        return rdds.CoalescedRDD(self, numPartitions)

    def repartition(self, numPartitions: int) -> "RDD":
        """Return a new RDD that has exactly ``numPartitions`` partitions, by a shuffle.

        >>> rdd = sc.parallelize([1, 2, 3, 4, 5, 6, 7], 4)
        >>> len(rdd.repartition(2).glom().collect())
        2
        """
        return self.coalesce(numPartitions, shuffle=True)

    def _repartition_by_shuffle(self, numPartitions):
        def distribute(split, iterator):
            # Deal records round-robin, starting at a place that depends on the partition.
            position = portable_hash(split) % numPartitions
            for record in iterator:
                position = (position + 1) % numPartitions
                yield position, record

        keyed = rdds.MapPartitionsRDD(self, distribute, False, "repartition")
        return keyed.partitionBy(numPartitions, _identity_partition).values()

    def distinct(self, numPartitions=None) -> "RDD":
        """Return a new RDD containing the distinct elements (a shuffle).

        >>> sorted(sc.parallelize([1, 1, 2, 3]).distinct().collect())
        [1, 2, 3]
        """
        return (self.map(lambda x: (x, None))
                .reduceByKey(lambda x, _: x, numPartitions)
                .map(lambda x: x[0]))

    def intersection(self, other: "RDD") -> "RDD":
        """Return the intersection of this RDD and another one, without duplicates.

        >>> rdd1 = sc.parallelize([1, 10, 2, 3, 4, 5])
        >>> rdd2 = sc.parallelize([1, 6, 2, 3, 7, 8])
        >>> sorted(rdd1.intersection(rdd2).collect())
        [1, 2, 3]
        """
        return (self.map(lambda v: (v, None))
                .cogroup(other.map(lambda v: (v, None)))
                .filter(lambda k_vs: all(k_vs[1]))
                .keys())

    def subtract(self, other: "RDD", numPartitions=None) -> "RDD":
        """Return each value in this RDD that is not contained in ``other``.

        >>> x = sc.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 3)])
        >>> y = sc.parallelize([("a", 3), ("c", None)])
        >>> sorted(x.subtract(y).collect())
        [('a', 1), ('b', 4), ('b', 5)]
        """
        keyed_other = other.map(lambda x: (x, True))
        return self.map(lambda x: (x, True)).subtractByKey(keyed_other, numPartitions).keys()

    def groupBy(self, f, numPartitions=None, partitionFunc=portable_hash) -> "RDD":
        """Return an RDD of grouped items, grouped by the key ``f(item)``.

        >>> rdd = sc.parallelize([1, 1, 2, 3, 5, 8])
        >>> sorted([(x, sorted(y)) for (x, y) in rdd.groupBy(lambda x: x % 2).collect()])
        [(0, [2, 8]), (1, [1, 1, 3, 5])]
        """
        return self.map(lambda x: (f(x), x)).groupByKey(numPartitions, partitionFunc)

    def sortBy(self, keyfunc, ascending=True, numPartitions=None) -> "RDD":
        """Sorts this RDD by the given ``keyfunc``.

        >>> tmp = [("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]
        >>> sc.parallelize(tmp).sortBy(lambda x: x[0]).collect()
        [('1', 3), ('2', 5), ('a', 1), ('b', 2), ('d', 4)]
        >>> sc.parallelize(tmp).sortBy(lambda x: x[1]).collect()
        [('a', 1), ('b', 2), ('1', 3), ('d', 4), ('2', 5)]
        """
        return self.keyBy(keyfunc).sortByKey(ascending, numPartitions).values()

    def pipe(self, command: str, env=None, checkCode: bool = False) -> "RDD":
        """Return an RDD created by piping elements to a forked external process.

        >>> sc.parallelize(["1", "2", "", "3"]).pipe("cat").collect()
        ['1', '2', '', '3']
        """
        return rdds.MapPartitionsRDD(self, rdds.PipeFunction(command, env, checkCode), False,
                                     "pipe")

    # ---- helpers shared by the transformations -----------------------------------------
    def _default_reduce_partitions(self) -> int:
        """PySpark's rule: spark.default.parallelism when set, else this RDD's partition count."""
        if self.ctx._conf.contains("spark.default.parallelism"):
            return self.ctx.defaultParallelism
        return self.getNumPartitions()


def _identity_partition(key):
    return key


# Imported last: the concrete kinds of RDD are subclasses of the class above.
from . import rdds  # noqa: E402
