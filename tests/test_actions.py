"""Actions (actions.py, stats.py), each checked against plain Python on random data."""

import math
import operator
import os
import statistics
from bisect import bisect_right
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLES = settings(max_examples=20)

values = st.lists(st.integers(-1000, 1000), max_size=60)
nonempty = st.lists(st.integers(-1000, 1000), min_size=1, max_size=60)
floats = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)
partitions = st.integers(1, 6)


@EXAMPLES
@given(data=values, n=partitions)
def test_count_collect_sum(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert rdd.count() == len(data)
    assert rdd.collect() == data
    assert rdd.sum() == sum(data)


@EXAMPLES
@given(data=nonempty, n=partitions)
def test_reduce_fold_aggregate_max_min(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert rdd.reduce(operator.add) == sum(data)
    assert rdd.fold(0, operator.add) == sum(data)
    assert rdd.aggregate((0, 0), lambda acc, x: (acc[0] + x, acc[1] + 1),
                         lambda a, b: (a[0] + b[0], a[1] + b[1])) == (sum(data), len(data))
    assert rdd.max() == max(data) and rdd.min() == min(data)
    assert rdd.max(key=lambda x: -x) == min(data)


def append_or_extend(accumulator, value):
    """A fold operation that modifies its first argument, as PySpark allows."""
    accumulator.extend(value if isinstance(value, list) else [value])
    return accumulator


@EXAMPLES
@given(data=values, n=st.integers(1, 12))
def test_fold_and_aggregate_may_modify_their_accumulator(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert sorted(rdd.fold([], append_or_extend)) == sorted(data)
    assert sorted(rdd.aggregate([], append_or_extend, append_or_extend)) == sorted(data)
    assert sorted(rdd.treeAggregate([], append_or_extend, append_or_extend, 2)) == sorted(data)


def test_reduce_of_an_empty_rdd_raises(sc):
    with pytest.raises(ValueError, match="empty"):
        sc.parallelize([], 3).reduce(operator.add)


@EXAMPLES
@given(data=st.lists(st.tuples(st.text("xyz", max_size=2), st.integers()), max_size=60),
       n=partitions)
def test_countByKey(sc, data, n):
    assert dict(sc.parallelize(data, n).countByKey()) == dict(Counter(k for k, _ in data))


@EXAMPLES
@given(data=st.lists(st.text("xyz", max_size=2) | st.integers(-3, 3), max_size=60),
       n=partitions)
def test_countByValue(sc, data, n):
    assert dict(sc.parallelize(data, n).countByValue()) == dict(Counter(data))


@EXAMPLES
@given(data=values, n=st.integers(1, 12), k=st.integers(0, 70))
def test_take_is_a_prefix(sc, data, n, k):
    rdd = sc.parallelize(data, n)
    assert rdd.take(k) == data[:k]
    # With a filter, take must scan past partitions that have nothing.
    assert rdd.filter(lambda x: x > 500).take(k) == [x for x in data if x > 500][:k]


@EXAMPLES
@given(data=values, n=partitions)
def test_first_and_isEmpty(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert rdd.isEmpty() == (not data)
    if data:
        assert rdd.first() == data[0]
    else:
        with pytest.raises(ValueError, match="empty"):
            rdd.first()


@EXAMPLES
@given(data=values, n=partitions, k=st.integers(1, 20))
def test_takeOrdered_and_top(sc, data, n, k):
    rdd = sc.parallelize(data, n)
    assert rdd.takeOrdered(k) == sorted(data)[:k]
    assert rdd.top(k) == sorted(data, reverse=True)[:k]
    by_last_digit = lambda x: abs(x) % 10   # noqa: E731 - many ties
    assert [by_last_digit(x) for x in rdd.takeOrdered(k, key=by_last_digit)] == \
        sorted(map(by_last_digit, data))[:k]
    assert [by_last_digit(x) for x in rdd.top(k, key=by_last_digit)] == \
        sorted(map(by_last_digit, data), reverse=True)[:k]


@EXAMPLES
@given(data=floats, n=partitions)
def test_stats_mean_variance_stdev(sc, data, n):
    rdd = sc.parallelize(data, n)
    close = dict(rel_tol=1e-6, abs_tol=1e-3)
    stats = rdd.stats()
    assert stats.count() == len(data)
    assert math.isclose(stats.mean(), statistics.fmean(data), **close)
    assert stats.max() == max(data) and stats.min() == min(data)
    assert math.isclose(rdd.mean(), statistics.fmean(data), **close)
    assert math.isclose(rdd.variance(), statistics.pvariance(data), rel_tol=1e-6, abs_tol=1e-2)
    assert math.isclose(rdd.stdev(), statistics.pstdev(data), rel_tol=1e-6, abs_tol=1e-2)
    if len(data) > 1:
        assert math.isclose(rdd.sampleVariance(), statistics.variance(data), rel_tol=1e-6, abs_tol=1e-2)
        assert math.isclose(rdd.sampleStdev(), statistics.stdev(data), rel_tol=1e-6, abs_tol=1e-2)


def histogram_oracle(data, edges):
    counts = [0] * (len(edges) - 1)
    for x in data:
        if edges[0] <= x < edges[-1]:
            counts[bisect_right(edges, x) - 1] += 1
        elif x == edges[-1]:
            counts[-1] += 1   # the last bucket includes its right edge
    return counts


@EXAMPLES
@given(data=values, n=partitions,
       edges=st.lists(st.integers(-1200, 1200), min_size=2, max_size=8, unique=True).map(sorted))
def test_histogram_with_given_buckets(sc, data, n, edges):
    result_edges, counts = sc.parallelize(data, n).histogram(edges)
    assert result_edges == edges
    assert counts == histogram_oracle(data, edges)


@EXAMPLES
@given(data=nonempty, n=partitions, buckets=st.integers(1, 10))
def test_histogram_with_even_buckets(sc, data, n, buckets):
    edges, counts = sc.parallelize(data, n).histogram(buckets)
    assert edges[0] == min(data) and edges[-1] == max(data)
    assert len(edges) == (buckets + 1 if min(data) != max(data) else 2)
    assert sum(counts) == len(data)
    assert counts == histogram_oracle(data, edges)


def test_histogram_rejects_bad_buckets(sc):
    rdd = sc.parallelize([1, 2, 3])
    with pytest.raises(ValueError):
        rdd.histogram([3, 1])
    with pytest.raises(ValueError):
        rdd.histogram(0)
    with pytest.raises(ValueError, match="empty"):
        sc.parallelize([], 2).histogram(3)


@EXAMPLES
@given(data=nonempty, n=st.integers(1, 20), depth=st.integers(1, 4))
def test_treeReduce_and_treeAggregate(sc, data, n, depth):
    rdd = sc.parallelize(data, n)
    assert rdd.treeReduce(operator.add, depth) == sum(data)
    assert rdd.treeAggregate((0, 0), lambda acc, x: (acc[0] + x, acc[1] + 1),
                             lambda a, b: (a[0] + b[0], a[1] + b[1]), depth) == (sum(data), len(data))


def test_treeReduce_of_an_empty_rdd_raises(sc):
    with pytest.raises(ValueError):
        sc.parallelize([], 4).treeReduce(operator.add)
    assert sc.parallelize([], 4).treeAggregate(0, operator.add, operator.add) == 0


@EXAMPLES
@given(data=st.lists(st.tuples(st.integers(0, 20), st.integers()), max_size=40), n=partitions)
def test_collectAsMap_last_value_wins(sc, data, n):
    assert sc.parallelize(data, n).collectAsMap() == dict(data)


@EXAMPLES
@given(data=values, n=partitions)
def test_toLocalIterator(sc, data, n):
    assert list(sc.parallelize(data, n).toLocalIterator()) == data


@EXAMPLES
@given(data=nonempty, n=partitions, k=st.integers(0, 80), replace=st.booleans(),
       seed=st.integers(0, 100))
def test_takeSample_size_and_membership(sc, data, n, k, replace, seed):
    sample = sc.parallelize(data, n).takeSample(replace, k, seed)
    assert len(sample) == (k if replace else min(k, len(data)))
    if replace:
        assert set(sample) <= set(data)
    else:
        assert not Counter(sample) - Counter(data)


@EXAMPLES
@given(data=values, n=partitions)
def test_runJob_on_chosen_partitions(sc, data, n):
    rdd = sc.parallelize(data, n)
    parts = rdd.glom().collect()
    chosen = list(range(0, n, 2))
    assert sc.runJob(rdd, lambda it: [sum(it)], chosen) == [sum(parts[p]) for p in chosen]
    assert sc.runJob(rdd, lambda it: list(it)) == data


def test_foreach_runs_on_the_workers(sc, tmp_path):
    # Each element writes a file: the only way to see foreach ran is its side effect.
    directory = str(tmp_path)

    def touch(x):
        with open(os.path.join(directory, f"{x}.{os.getpid()}"), "w"):
            pass

    sc.parallelize(range(10), 4).foreach(touch)
    written = sorted(int(name.split(".")[0]) for name in os.listdir(directory))
    assert written == list(range(10))


def test_foreachPartition_sees_each_partition(sc, tmp_path):
    directory = str(tmp_path)

    def save(iterator):
        records = list(iterator)
        with open(os.path.join(directory, f"from-{records[0]}"), "w") as out:
            out.write(",".join(map(str, records)))

    sc.parallelize(range(9), 3).foreachPartition(save)
    contents = sorted(p.read_text() for p in tmp_path.iterdir())
    assert contents == ["0,1,2", "3,4,5", "6,7,8"]
