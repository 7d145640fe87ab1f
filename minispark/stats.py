"""StatCounter and histogram: summary statistics computed in one pass per partition.

Each partition builds a StatCounter (count, mean, M2, max, min) with Welford's online update;
the driver merges the counters with Chan's parallel formula, so the variance is exact and
numerically stable without a second pass over the data.

>>> StatCounter([1, 2, 3, 4]).mergeStats(StatCounter([5, 6])).mean()
3.5
"""

import math


class StatCounter:
    """Running count, mean, variance, max and min, as ``pyspark.statcounter.StatCounter``."""

    def __init__(self, values=None):
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.maxValue = float("-inf")
        self.minValue = float("inf")
        for value in values or []:
            self.merge(value)

    def merge(self, value) -> "StatCounter":
        delta = value - self.mu
        self.n += 1
        self.mu += delta / self.n
        self.m2 += delta * (value - self.mu)
        self.maxValue = max(self.maxValue, value)
        self.minValue = min(self.minValue, value)
        return self

    def mergeStats(self, other: "StatCounter") -> "StatCounter":
        if other is self:
            return self.mergeStats(other.copy())
        if self.n == 0:
            self.mu, self.m2, self.n = other.mu, other.m2, other.n
            self.maxValue, self.minValue = other.maxValue, other.minValue
        elif other.n != 0:
            delta = other.mu - self.mu
            if other.n * 10 < self.n:
                self.mu = self.mu + (delta * other.n) / (self.n + other.n)
            elif self.n * 10 < other.n:
                self.mu = other.mu - (delta * self.n) / (self.n + other.n)
            else:
                self.mu = (self.mu * self.n + other.mu * other.n) / (self.n + other.n)
            self.maxValue = max(self.maxValue, other.maxValue)
            self.minValue = min(self.minValue, other.minValue)
            self.m2 += other.m2 + (delta * delta * self.n * other.n) / (self.n + other.n)
            self.n += other.n
        return self

    def copy(self) -> "StatCounter":
        clone = StatCounter()
        clone.__dict__.update(self.__dict__)
        return clone

    def count(self):
        return int(self.n)

    def mean(self):
        return float(self.mu)

    def sum(self):
        return float(self.n * self.mu)

    def min(self):
        return self.minValue

    def max(self):
        return self.maxValue

    def variance(self):
        return float("nan") if self.n == 0 else self.m2 / self.n

    def sampleVariance(self):
        return float("nan") if self.n <= 1 else self.m2 / (self.n - 1)

    def stdev(self):
        return math.sqrt(self.variance())

    def sampleStdev(self):
        return math.sqrt(self.sampleVariance())

    def asDict(self, sample=False):
        return {
            "count": self.count(), "mean": self.mean(), "sum": self.sum(),
            "min": self.min(), "max": self.max(),
            "stdev": self.stdev() if not sample else self.sampleStdev(),
            "variance": self.variance() if not sample else self.sampleVariance(),
        }

    def __repr__(self):
        return (f"(count: {self.count()}, mean: {self.mean()}, stdev: {self.stdev()}, "
                f"max: {self.max()}, min: {self.min()})")


def histogram(rdd, buckets):
    """``RDD.histogram``: counts per bucket, with PySpark's rules for the bucket edges.

    ``buckets`` is a number of evenly spaced buckets between the min and max, or a sorted list
    of edges. Every bucket is half-open ``[a, b)`` except the last, which includes its end.
    """
    if isinstance(buckets, int):
        if buckets < 1:
            raise ValueError("number of buckets must be >= 1")

        def comparable(x):
            return x is not None and not (isinstance(x, float) and math.isnan(x))

        filtered = rdd.filter(comparable)

        def min_max(a, b):
            return min(a[0], b[0]), max(a[1], b[1])

        try:
            minv, maxv = filtered.map(lambda x: (x, x)).reduce(min_max)
        except TypeError as error:
            if " empty " in str(error):
                raise ValueError("can not generate buckets from empty RDD") from error
            raise
        except ValueError as error:
            raise ValueError("can not generate buckets from empty RDD") from error
        if minv == maxv or buckets == 1:
            return [minv, maxv], [filtered.count()]
        try:
            inc = (maxv - minv) / buckets
        except TypeError as error:
            raise TypeError("Can not generate buckets with non-number in RDD") from error
        if math.isinf(inc):
            raise ValueError("Can not generate buckets with infinite value")
        inc = int(inc)
        if inc * buckets != maxv - minv:
            inc = (maxv - minv) * 1.0 / buckets
        edges = [i * inc + minv for i in range(buckets)]
        edges.append(maxv)
        returned_edges = edges
        even = True
    elif isinstance(buckets, (list, tuple)):
        if len(buckets) < 2:
            raise ValueError("buckets should have more than one value")
        if any(i is None or isinstance(i, float) and math.isnan(i) for i in buckets):
            raise ValueError("can not have None or NaN in buckets")
        if sorted(buckets) != list(buckets):
            raise ValueError("buckets should be sorted")
        if len(set(buckets)) != len(buckets):
            raise ValueError("buckets should not contain duplicated values")
        edges = list(buckets)
        returned_edges = buckets    # as given, a list or a tuple (as PySpark returns it)
        minv, maxv = edges[0], edges[-1]
        even = False
        inc = None
        try:
            steps = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
        except TypeError:
            pass
        else:
            if max(steps) - min(steps) < 1e-10:
                even = True
                inc = (maxv - minv) / (len(edges) - 1)
    else:
        raise TypeError("buckets should be a list or tuple or number(int or long)")

    from bisect import bisect_right

    def count_partition(iterator):
        counters = [0] * len(edges)
        for value in iterator:
            if value is None or (isinstance(value, float) and math.isnan(value)) \
                    or value > maxv or value < minv:
                continue
            index = int((value - minv) / inc) if even else bisect_right(edges, value) - 1
            counters[index] += 1
        # The last bucket is closed: a value equal to the top edge counts in it.
        last = counters.pop()
        counters[-1] += last
        return [counters]

    def merge_counters(a, b):
        return [i + j for i, j in zip(a, b)]

    return returned_edges, rdd.mapPartitions(count_partition).reduce(merge_counters)
