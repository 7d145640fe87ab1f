"""Operations on RDDs of ``(key, value)`` pairs (Spark's PairRDDFunctions).

Almost all of them are one idea: ``combineByKey``. It takes three functions (start a combiner
from a value, fold a value into a combiner, merge two combiners) and runs them on both sides of
a shuffle. Map tasks fold the values of their partition into one combiner per key *before*
writing shuffle blocks (map-side combine), and reduce tasks merge the combiners that arrive for
each key. ``reduceByKey``, ``foldByKey`` and ``aggregateByKey`` are ``combineByKey`` with
particular functions; ``groupByKey`` collects lists and so cannot shrink anything map-side,
which is why it shuffles every value.

Joins follow PySpark: both sides are tagged (``(1, v)`` and ``(2, w)``), unioned, grouped by key
with one shuffle, and each group is turned into its pairs. When both sides already have the same
partitioner, the union keeps it and the grouping needs no shuffle at all.
"""

import copy

from .dependencies import Aggregator
from .hashing import portable_hash
from .partitioner import Partitioner, RangePartitionFunction
from .resultiterable import ResultIterable


class PairRDDFunctions:
    """Key-value transformations; mixed into :class:`minispark.rdd.RDD`."""

    # ---- per-value -----------------------------------------------------------------------
    def mapValues(self, f):
        """Apply ``f`` to each value, keeping keys and the partitioner.

        >>> x = sc.parallelize([("a", ["apple", "banana", "lemon"]), ("b", ["grapes"])])
        >>> sorted(x.mapValues(len).collect())
        [('a', 3), ('b', 1)]
        """
        return self._map_records(lambda kv: (kv[0], f(kv[1])), "mapValues", preserve=True)

    def flatMapValues(self, f):
        """Flat-map each value, keeping keys and the partitioner.

        >>> x = sc.parallelize([("a", ["x", "y", "z"]), ("b", ["p", "r"])])
        >>> x.flatMapValues(lambda value: value).collect()
        [('a', 'x'), ('a', 'y'), ('a', 'z'), ('b', 'p'), ('b', 'r')]
        """
        from .rdds import MapPartitionsRDD

        def flat_map_values(_, iterator):
            for key, value in iterator:
                for item in f(value):
                    yield key, item

        return MapPartitionsRDD(self, flat_map_values, True, "flatMapValues")

    def keys(self):
        """Return an RDD with the keys of each tuple.

        >>> sc.parallelize([(1, 2), (3, 4)]).keys().collect()
        [1, 3]
        """
        return self._map_records(lambda kv: kv[0], "keys")

    def values(self):
        """Return an RDD with the values of each tuple.

        >>> sc.parallelize([(1, 2), (3, 4)]).values().collect()
        [2, 4]
        """
        return self._map_records(lambda kv: kv[1], "values")

    def _map_records(self, f, op_name, preserve=False):
        from .rdds import MapPartitionsRDD

        return MapPartitionsRDD(self, lambda _, it: map(f, it), preserve, op_name)

    # ---- the shuffle operations ------------------------------------------------------------
    def partitionBy(self, numPartitions, partitionFunc=portable_hash):
        """Return a copy of the RDD partitioned by ``partitionFunc(key) % numPartitions``.

        >>> pairs = sc.parallelize([1, 2, 3, 4, 2, 4, 1]).map(lambda x: (x, x))
        >>> sets = pairs.partitionBy(2).glom().collect()
        >>> len(set(sets[0]).intersection(set(sets[1])))
        0
        """
        from .rdds import ShuffledRDD

        if numPartitions is None:
            numPartitions = self._default_reduce_partitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return self
        return ShuffledRDD(self, partitioner, op_name="partitionBy")

    def combineByKey(self, createCombiner, mergeValue, mergeCombiners, numPartitions=None,
                     partitionFunc=portable_hash):
        """Turn ``RDD[(K, V)]`` into ``RDD[(K, C)]`` with three functions, combining map-side.

        >>> x = sc.parallelize([("a", 1), ("b", 1), ("a", 2)])
        >>> def to_list(a): return [a]
        >>> def append(a, b): a.append(b); return a
        >>> def extend(a, b): a.extend(b); return a
        >>> sorted(x.combineByKey(to_list, append, extend).collect())
        [('a', [1, 2]), ('b', [1])]
        """
        return self._combine_by_key(Aggregator(createCombiner, mergeValue, mergeCombiners),
                                    numPartitions, partitionFunc, True, "combineByKey")

    def _combine_by_key(self, aggregator, numPartitions, partitionFunc, map_side_combine,
                        op_name):
        from .rdds import MapPartitionsRDD, ShuffledRDD

        if numPartitions is None:
            numPartitions = self._default_reduce_partitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            # Already partitioned this way: every key is in one partition, no shuffle needed.
            def combine_locally(_, iterator):
                return iter(aggregator.combine_values_by_key(iterator).items())

            return MapPartitionsRDD(self, combine_locally, True, op_name)
        return ShuffledRDD(self, partitioner, aggregator, map_side_combine, op_name)

    def reduceByKey(self, func, numPartitions=None, partitionFunc=portable_hash):
        """Merge the values for each key using an associative and commutative ``func``.

        Values are reduced map-side first, so each map task sends one record per key.

        >>> from operator import add
        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)])
        >>> sorted(rdd.reduceByKey(add).collect())
        [('a', 2), ('b', 1)]
        """
        return self._combine_by_key(Aggregator(_identity, func, func), numPartitions,
                                    partitionFunc, True, "reduceByKey")

    def foldByKey(self, zeroValue, func, numPartitions=None, partitionFunc=portable_hash):
        """Merge the values for each key with ``func`` and a neutral ``zeroValue``.

        >>> from operator import add
        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)])
        >>> sorted(rdd.foldByKey(0, add).collect())
        [('a', 2), ('b', 1)]
        """
        def create(value):
            return func(copy.deepcopy(zeroValue), value)

        return self._combine_by_key(Aggregator(create, func, func), numPartitions,
                                    partitionFunc, True, "foldByKey")

    def aggregateByKey(self, zeroValue, seqFunc, combFunc, numPartitions=None,
                       partitionFunc=portable_hash):
        """Aggregate the values of each key with ``seqFunc`` and merge partials with ``combFunc``.

        >>> pairs = sc.parallelize([("a", 3), ("b", 4), ("a", 5)])
        >>> sorted(pairs.aggregateByKey((0, 0), lambda c, v: (c[0] + v, c[1] + 1),
        ...                             lambda a, b: (a[0] + b[0], a[1] + b[1])).collect())
        [('a', (8, 2)), ('b', (4, 1))]
        """
        def create(value):
            return seqFunc(copy.deepcopy(zeroValue), value)

        return self._combine_by_key(Aggregator(create, seqFunc, combFunc), numPartitions,
                                    partitionFunc, True, "aggregateByKey")

    def groupByKey(self, numPartitions=None, partitionFunc=portable_hash):
        """Group the values for each key into a single sequence (a ResultIterable).

        Every value crosses the shuffle: for sums and counts prefer ``reduceByKey``.

        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)])
        >>> sorted(rdd.groupByKey().mapValues(len).collect())
        [('a', 2), ('b', 1)]
        >>> sorted(rdd.groupByKey().mapValues(list).collect())
        [('a', [1, 1]), ('b', [1])]
        """
        grouped = self._combine_by_key(Aggregator(_single_list, _append, _extend),
                                       numPartitions, partitionFunc, False, "groupByKey")
        return grouped.mapValues(ResultIterable)

    def sortByKey(self, ascending=True, numPartitions=None, keyfunc=lambda x: x):
        """Sort the RDD by key: range-partition by sampled bounds, then sort each partition.

        Runs two small jobs first (a count and a sample of the keys), as Spark does, to choose
        the range boundaries.

        >>> tmp = [("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]
        >>> sc.parallelize(tmp).sortByKey().first()
        ('1', 3)
        >>> sc.parallelize(tmp).sortByKey(True, 2).glom().collect()
        [[('1', 3), ('2', 5), ('a', 1)], [('b', 2), ('d', 4)]]
        """
        from .external import sort_partition
        from .rdds import MapPartitionsRDD, ShuffledRDD
        from .taskcontext import TaskContext

        if numPartitions is None:
            numPartitions = self._default_reduce_partitions()
        limit = self.ctx._spill_threshold

        def sort(_, iterator):
            # Runs spill into the worker's directory (deleted with it) and count in its metrics.
            task = TaskContext.get()
            return sort_partition(iterator, lambda kv: keyfunc(kv[0]), not ascending, limit,
                                  task.env.shuffle_dir if task else None,
                                  task.metrics if task else None)

        if numPartitions == 1:
            source = self.coalesce(1) if self.getNumPartitions() > 1 else self
            return MapPartitionsRDD(source, sort, True, "sortByKey")
        size = self.count()
        if not size:
            return self
        fraction = min(numPartitions * 20.0 / max(size, 1), 1.0)
        samples = sorted(self.sample(False, fraction, 1).map(lambda kv: keyfunc(kv[0])).collect())
        bounds = [samples[int(len(samples) * (i + 1) / numPartitions)]
                  for i in range(numPartitions - 1)] if samples else []
        partitioner = Partitioner(numPartitions, RangePartitionFunction(bounds, ascending, keyfunc))
        shuffled = ShuffledRDD(self, partitioner, op_name="sortByKey")
        return MapPartitionsRDD(shuffled, sort, True, "sortByKey")

    def subtractByKey(self, other, numPartitions=None):
        """Return each ``(key, value)`` pair in self that has no pair with matching key in other.

        >>> x = sc.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 2)])
        >>> y = sc.parallelize([("a", 3), ("c", None)])
        >>> sorted(x.subtractByKey(y).collect())
        [('b', 4), ('b', 5)]
        """
        def only_in_self(pair):
            _, (mine, theirs) = pair
            return mine and not theirs

        return self.cogroup(other, numPartitions).filter(only_in_self).flatMapValues(lambda v: v[0])

    # ---- joins ---------------------------------------------------------------------------
    def cogroup(self, other, numPartitions=None):
        """For each key, the values of self and of other, as a pair of ResultIterables.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> [(k, tuple(map(list, v))) for k, v in sorted(list(x.cogroup(y).collect()))]
        [('a', ([1], [2])), ('b', ([4], []))]
        """
        return self.groupWith(other, numPartitions=numPartitions)

    def groupWith(self, other, *others, numPartitions=None):
        """Alias for cogroup with support for several RDDs."""
        parents = [self, other, *others]
        tagged = [rdd.mapValues(_Tag(i)) for i, rdd in enumerate(parents)]
        unioned = self.ctx.union(tagged)
        count = len(parents)

        def dispatch(tagged_values):
            buffers = [[] for _ in range(count)]
            for tag, value in tagged_values:
                buffers[tag].append(value)
            return tuple(ResultIterable(values) for values in buffers)

        return unioned.groupByKey(numPartitions).mapValues(dispatch)

    def join(self, other, numPartitions=None):
        """Inner join: ``(k, (v1, v2))`` for every pair of values with the same key.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2), ("a", 3)])
        >>> sorted(x.join(y).collect())
        [('a', (1, 2)), ('a', (1, 3))]
        """
        return self._join(other, numPartitions, False, False)

    def leftOuterJoin(self, other, numPartitions=None):
        """Left outer join: keys of self without a match in other pair with None.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> sorted(x.leftOuterJoin(y).collect())
        [('a', (1, 2)), ('b', (4, None))]
        """
        return self._join(other, numPartitions, False, True)

    def rightOuterJoin(self, other, numPartitions=None):
        """Right outer join: keys of other without a match in self pair with None.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> sorted(y.rightOuterJoin(x).collect())
        [('a', (2, 1)), ('b', (None, 4))]
        """
        return self._join(other, numPartitions, True, False)

    def fullOuterJoin(self, other, numPartitions=None):
        """Full outer join: unmatched keys of either side pair with None.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2), ("c", 8)])
        >>> sorted(x.fullOuterJoin(y).collect())
        [('a', (1, 2)), ('b', (4, None)), ('c', (None, 8))]
        """
        return self._join(other, numPartitions, True, True)

    def _join(self, other, numPartitions, keep_left_unmatched_right, keep_unmatched_left):
        left = self.mapValues(_Tag(1))
        right = other.mapValues(_Tag(2))
        pad_left, pad_right = keep_left_unmatched_right, keep_unmatched_left

        def dispatch(tagged_values):
            left_values, right_values = [], []
            for tag, value in tagged_values:
                (left_values if tag == 1 else right_values).append(value)
            if pad_left and not left_values:
                left_values.append(None)
            if pad_right and not right_values:
                right_values.append(None)
            return [(v, w) for v in left_values for w in right_values]

        return self.ctx.union([left, right]).groupByKey(numPartitions).flatMapValues(dispatch)


class _Tag:
    """``value -> (tag, value)``: marks which input of a join a value came from."""

    def __init__(self, tag):
        self.tag = tag

    def __call__(self, value):
        return self.tag, value


def _identity(value):
    return value


def _single_list(value):
    return [value]


def _append(values, value):
    values.append(value)
    return values


def _extend(values, more):
    values.extend(more)
    return values
