"""Actions: the RDD methods that run a job and bring a result back to the driver.

Each action is a small function applied to every partition *on the workers* (count the
records, sum them, take the first n) and a step on the driver that combines the per-partition
results. Only those small results cross to the driver: ``count`` moves one number per
partition, not the data. ``collect`` is the exception, so use it on small RDDs only.

All of them go through ``SparkContext.runJob`` (PySpark's name), which asks the scheduler to
run one task per partition.
"""

import copy
import gzip
import heapq
import math
import operator
import os
import random
import sys
from collections import defaultdict
from functools import reduce as _reduce

from .sampling import fraction_for_sample_size
from .stats import StatCounter, histogram

# compressionCodecClass of saveAsTextFile: Hadoop's codec class -> (how to open a part, suffix).
_TEXT_CODECS = {"org.apache.hadoop.io.compress.GzipCodec": (gzip.open, ".gz")}


class RDDActions:
    """Actions; mixed into :class:`minispark.rdd.RDD`."""

    def collect(self) -> list:
        """Return a list that contains all the elements in this RDD.

        >>> sc.parallelize([1, 2, 3], 2).collect()
        [1, 2, 3]
        """
        return self.ctx.runJob(self, lambda it: list(it))

    def toLocalIterator(self, prefetchPartitions: bool = False):
        """Iterate over the elements, fetching one partition (one job) at a time."""
        for split in range(self.getNumPartitions()):
            yield from self.ctx.runJob(self, lambda it: list(it), [split])

    def count(self) -> int:
        """Return the number of elements in this RDD.

        >>> sc.parallelize([2, 3, 4]).count()
        3
        """
        return self.mapPartitions(lambda it: [sum(1 for _ in it)]).sum()

    def sum(self):
        """Add up the elements in this RDD.

        >>> sc.parallelize([1.0, 2.0, 3.0]).sum()
        6.0
        """
        return self.mapPartitions(lambda it: [sum(it)]).fold(0, operator.add)

    def reduce(self, f):
        """Reduces the elements using a commutative and associative binary operator.

        >>> from operator import add
        >>> sc.parallelize([1, 2, 3, 4, 5]).reduce(add)
        15
        >>> sc.parallelize([]).reduce(add)
        Traceback (most recent call last):
            ...
        ValueError: Can not reduce() empty RDD
        """
        def reduce_partition(iterator):
            iterator = iter(iterator)
            for initial in iterator:
                return [_reduce(f, iterator, initial)]
            return []

        values = self.ctx.runJob(self, reduce_partition)
        if values:
            return _reduce(f, values)
        raise ValueError("Can not reduce() empty RDD")

    def fold(self, zeroValue, op):
        """Aggregate the elements of each partition, then the results, with ``zeroValue``.

        >>> from operator import add
        >>> sc.parallelize([1, 2, 3, 4, 5]).fold(0, add)
        15
        """
        return _reduce(op, self.ctx.runJob(self, _PartitionFolder(zeroValue, op)), zeroValue)

    def aggregate(self, zeroValue, seqOp, combOp):
        """Aggregate each partition with ``seqOp``, then combine the partials with ``combOp``.

        >>> seq_op = lambda x, y: (x[0] + y, x[1] + 1)
        >>> comb_op = lambda x, y: (x[0] + y[0], x[1] + y[1])
        >>> sc.parallelize([1, 2, 3, 4]).aggregate((0, 0), seq_op, comb_op)
        (10, 4)
        """
        return _reduce(combOp, self.ctx.runJob(self, _PartitionFolder(zeroValue, seqOp)),
                       zeroValue)

    def treeAggregate(self, zeroValue, seqOp, combOp, depth: int = 2):
        """Aggregate in a multi-level tree: partials are combined on workers, not the driver.

        >>> add = lambda x, y: x + y
        >>> sc.parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10).treeAggregate(0, add, add, 2)
        -5
        """
        if depth < 1:
            raise ValueError(f"Depth cannot be smaller than 1 but got depth={depth}.")
        if self.getNumPartitions() == 0:
            return zeroValue

        partial = self.mapPartitions(_PartitionFolder(zeroValue, seqOp))
        num_partitions = partial.getNumPartitions()
        scale = max(math.ceil(num_partitions ** (1.0 / depth)), 2)
        # Add a level only while it shrinks the work of the final reduce.
        while num_partitions > scale + num_partitions / scale:
            num_partitions /= scale
            current = int(num_partitions)
            partial = (partial.mapPartitionsWithIndex(lambda i, it: ((i % current, x) for x in it))
                       .reduceByKey(combOp, current).values())
        return partial.reduce(combOp)

    def treeReduce(self, f, depth: int = 2):
        """Reduce the elements in a multi-level tree pattern.

        >>> add = lambda x, y: x + y
        >>> sc.parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10).treeReduce(add)
        -5
        """
        if depth < 1:
            raise ValueError(f"Depth cannot be smaller than 1 but got depth={depth}.")
        zero = (None, True)   # the flag marks "no element seen yet"

        def op(x, y):
            if x[1]:
                return y
            if y[1]:
                return x
            return f(x[0], y[0]), False

        reduced = self.map(lambda x: (x, False)).treeAggregate(zero, op, op, depth)
        if reduced[1]:
            raise ValueError("Cannot reduce empty RDD.")
        return reduced[0]

    def max(self, key=None):
        """Find the maximum item in this RDD.

        >>> sc.parallelize([1.0, 5.0, 43.0, 10.0]).max()
        43.0
        """
        return self.reduce(max if key is None else (lambda a, b: max(a, b, key=key)))

    def min(self, key=None):
        """Find the minimum item in this RDD.

        >>> sc.parallelize([2.0, 5.0, 43.0, 10.0]).min(key=str)
        10.0
        """
        return self.reduce(min if key is None else (lambda a, b: min(a, b, key=key)))

    def stats(self) -> StatCounter:
        """Count, mean, variance, max and min of the elements, in one pass."""
        return self.mapPartitions(lambda it: [StatCounter(it)]).reduce(lambda a, b: a.mergeStats(b))

    def mean(self):
        """Compute the mean of this RDD's elements.

        >>> sc.parallelize([1, 2, 3]).mean()
        2.0
        """
        return self.stats().mean()

    def variance(self):
        """>>> sc.parallelize([1, 2, 3]).variance()
        0.6666666666666666
        """
        return self.stats().variance()

    def stdev(self):
        """>>> sc.parallelize([1, 2, 3]).stdev()
        0.816496580927726
        """
        return self.stats().stdev()

    def sampleVariance(self):
        """>>> sc.parallelize([1, 2, 3]).sampleVariance()
        1.0
        """
        return self.stats().sampleVariance()

    def sampleStdev(self):
        """>>> sc.parallelize([1, 2, 3]).sampleStdev()
        1.0
        """
        return self.stats().sampleStdev()

    def histogram(self, buckets):
        """Compute a histogram using the given bucket boundaries, or a number of even buckets.

        >>> rdd = sc.parallelize(range(51))
        >>> rdd.histogram(2)
        ([0, 25, 50], [25, 26])
        >>> rdd.histogram([0, 5, 25, 50])
        ([0, 5, 25, 50], [5, 20, 26])
        """
        return histogram(self, buckets)

    def first(self):
        """Return the first element in this RDD.

        >>> sc.parallelize([2, 3, 4]).first()
        2
        """
        taken = self.take(1)
        if taken:
            return taken[0]
        raise ValueError("RDD is empty")

    def isEmpty(self) -> bool:
        """True if and only if the RDD contains no elements at all.

        >>> sc.parallelize([]).isEmpty(), sc.parallelize([1]).isEmpty()
        (True, False)
        """
        return self.getNumPartitions() == 0 or len(self.take(1)) == 0

    def take(self, num: int) -> list:
        """Take the first ``num`` elements, scanning as few partitions as possible.

        It tries one partition first, then grows the number of partitions per job (by up to
        4x) from what it found, as Spark does, so ``take`` on a huge RDD stays cheap.

        >>> sc.parallelize([2, 3, 4, 5, 6]).cache().take(2)
        [2, 3]
        >>> sc.parallelize(range(100), 100).filter(lambda x: x > 90).take(3)
        [91, 92, 93]
        """
        items: list = []
        total = self.getNumPartitions()
        scanned = 0
        while len(items) < num and scanned < total:
            to_try = 1
            if scanned > 0:
                if not items:
                    to_try = scanned * 4
                else:
                    to_try = int(1.5 * num * scanned / len(items)) - scanned
                    to_try = min(max(to_try, 1), scanned * 4)
            left = num - len(items)

            def take_up_to_left(iterator):
                taken = []
                for element in iterator:
                    if len(taken) >= left:
                        break
                    taken.append(element)
                return taken

            splits = range(scanned, min(scanned + to_try, total))
            items += self.ctx.runJob(self, take_up_to_left, splits)
            scanned += to_try
        return items[:num]

    def takeOrdered(self, num: int, key=None) -> list:
        """The ``num`` smallest elements (by ``key``), in ascending order.

        >>> sc.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7]).takeOrdered(6)
        [1, 2, 3, 4, 5, 6]
        >>> sc.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7], 2).takeOrdered(6, key=lambda x: -x)
        [10, 9, 7, 6, 5, 4]
        >>> sc.emptyRDD().takeOrdered(3)
        []
        """
        if num < 0:
            raise ValueError("top N cannot be negative.")
        if num == 0 or self.getNumPartitions() == 0:
            return []

        def merge(a, b):
            return heapq.nsmallest(num, a + b, key)

        return self.mapPartitions(lambda it: [heapq.nsmallest(num, it, key)]).reduce(merge)

    def top(self, num: int, key=None) -> list:
        """The ``num`` largest elements, in descending order.

        >>> sc.parallelize([10, 4, 2, 12, 3]).top(1)
        [12]
        >>> sc.parallelize([2, 3, 4, 5, 6], 2).top(2)
        [6, 5]
        """
        def merge(a, b):
            return heapq.nlargest(num, a + b, key)

        return self.mapPartitions(lambda it: [heapq.nlargest(num, it, key)]).reduce(merge)

    def takeSample(self, withReplacement: bool, num: int, seed=None) -> list:
        """A fixed-size sampled subset of this RDD, shuffled.

        >>> rdd = sc.parallelize(range(0, 10))
        >>> len(rdd.takeSample(True, 20, 1))
        20
        >>> len(rdd.takeSample(False, 5, 2))
        5
        >>> len(rdd.takeSample(False, 15, 3))
        10
        """
        num_stdev = 10.0
        max_sample_size = sys.maxsize - int(num_stdev * (sys.maxsize ** 0.5))
        if num < 0:
            raise ValueError("Sample size cannot be negative.")
        if num > max_sample_size:
            raise ValueError(f"Sample size cannot be greater than {max_sample_size}.")
        if num == 0 or self.getNumPartitions() == 0:
            return []
        initial_count = self.count()
        if initial_count == 0:
            return []
        rand = random.Random(seed)
        if not withReplacement and num >= initial_count:
            samples = self.collect()
            rand.shuffle(samples)
            return samples
        fraction = fraction_for_sample_size(num, initial_count, withReplacement)
        samples = self.sample(withReplacement, fraction, seed).collect()
        # The fraction makes a short sample very unlikely; if it happens, draw again.
        while len(samples) < num:
            seed = rand.randint(0, sys.maxsize)
            samples = self.sample(withReplacement, fraction, seed).collect()
        rand.shuffle(samples)
        return samples[0:num]

    def countByValue(self) -> dict:
        """Return the count of each unique value as a dictionary of (value, count) pairs.

        >>> sorted(sc.parallelize([1, 2, 1, 2, 2], 2).countByValue().items())
        [(1, 2), (2, 3)]
        """
        def count_partition(iterator):
            counts = defaultdict(int)
            for element in iterator:
                counts[element] += 1
            yield counts

        def merge_maps(m1, m2):
            for key, value in m2.items():
                m1[key] += value
            return m1

        return self.mapPartitions(count_partition).reduce(merge_maps)

    def countByKey(self) -> dict:
        """Count the number of elements for each key, and return the result to the master.

        >>> sorted(sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).countByKey().items())
        [('a', 2), ('b', 1)]
        """
        return self.map(lambda kv: kv[0]).countByValue()

    def collectAsMap(self) -> dict:
        """Return the key-value pairs in this RDD to the master as a dictionary.

        >>> m = sc.parallelize([(1, 2), (3, 4)]).collectAsMap()
        >>> m[1], m[3]
        (2, 4)
        """
        return dict(self.collect())

    def lookup(self, key) -> list:
        """Return the list of values for ``key``; with a partitioner, only one partition is read.

        >>> sorted_pairs = sc.parallelize([(i, str(i)) for i in range(1000)]).sortByKey()
        >>> sorted_pairs.lookup(42)
        ['42']
        """
        values = self.filter(lambda kv: kv[0] == key).values()
        if self.partitioner is not None:
            return self.ctx.runJob(values, lambda it: list(it), [self.partitioner(key)])
        return values.collect()

    def foreach(self, f) -> None:
        """Applies a function to all elements of this RDD (on the workers).

        >>> def f(x): print(x)
        >>> sc.parallelize([1, 2, 3, 4, 5]).foreach(f)
        """
        def process_partition(iterator):
            for element in iterator:
                f(element)
            return iter([])

        self.mapPartitions(process_partition).count()

    def foreachPartition(self, f) -> None:
        """Applies a function to each partition's iterator (on the workers)."""
        def process_partition(iterator):
            result = f(iterator)
            try:
                return iter(result)
            except TypeError:
                return iter([])

        self.mapPartitions(process_partition).count()

    def saveAsTextFile(self, path: str, compressionCodecClass=None) -> None:
        """Save this RDD as a directory of text files, one ``part-NNNNN`` per partition.

        Each worker writes its own partition's file; the driver only creates the directory and
        the ``_SUCCESS`` marker, as Hadoop's output committer does.

        ``compressionCodecClass`` may be Hadoop's gzip codec,
        ``"org.apache.hadoop.io.compress.GzipCodec"``: the parts are then gzip files
        ``part-NNNNN.gz`` (which ``textFile`` reads back). Other codecs are not supported.
        """
        from .errors import SparkException

        if compressionCodecClass is not None and compressionCodecClass not in _TEXT_CODECS:
            raise ValueError(
                f"compressionCodecClass {compressionCodecClass!r} is not supported by MiniSpark; "
                f"supported: {', '.join(_TEXT_CODECS)}")
        opener, suffix = _TEXT_CODECS.get(compressionCodecClass, (open, ""))
        directory = os.path.abspath(path[len("file:"):] if path.startswith("file:") else path)
        if os.path.exists(directory):
            raise SparkException(f"Output directory file:{directory} already exists")
        os.makedirs(directory)

        def write_partition(split, iterator):
            final = os.path.join(directory, f"part-{split:05d}{suffix}")
            temporary = os.path.join(directory, f".part-{split:05d}{suffix}.inprogress")
            with opener(temporary, "wb") as part:
                for element in iterator:
                    if not isinstance(element, (str, bytes)):
                        element = str(element)
                    if isinstance(element, str):
                        element = element.encode("utf-8")
                    part.write(element + b"\n")
            os.replace(temporary, final)   # a retried task overwrites, never half-writes
            return []

        self.mapPartitionsWithIndex(write_partition).count()
        open(os.path.join(directory, "_SUCCESS"), "wb").close()


class _PartitionFolder:
    """``iterator -> [fold of its elements with op, from a copy of zero]`` (fold, aggregate).

    ``op`` may modify its first argument, as PySpark allows; each partition therefore starts
    from its own copy of the zero value, never from one another partition has changed.
    """

    def __init__(self, zero, op):
        self.zero, self.op = zero, op

    def __call__(self, iterator):
        accumulator = copy.deepcopy(self.zero)
        for element in iterator:
            accumulator = self.op(accumulator, element)
        return [accumulator]
