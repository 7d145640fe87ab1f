"""Element-wise and set transformations (rdd.py, rdds.py), each checked against plain Python.

Every test draws random data and a random number of partitions, runs the operation on the
shared context's worker processes, and compares with what the same operation gives on a list.
``sorted`` is used where Spark does not promise an order (after a shuffle); where PySpark does
promise it (narrow operations on a parallelized list, ``union``, ``zipWithIndex``,
``coalesce``), the exact order is checked.
"""

from collections import Counter
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLES = settings(max_examples=20)

values = st.lists(st.integers(-50, 50), max_size=60)
small_values = st.lists(st.integers(-5, 5), max_size=12)
partitions = st.integers(1, 6)


@EXAMPLES
@given(data=values, n=partitions)
def test_map_keeps_order(sc, data, n):
    assert sc.parallelize(data, n).map(lambda x: x * 3 - 1).collect() == [x * 3 - 1 for x in data]


@EXAMPLES
@given(data=values, n=partitions)
def test_flatMap(sc, data, n):
    expected = [y for x in data for y in range(x % 4)]
    assert sc.parallelize(data, n).flatMap(lambda x: range(x % 4)).collect() == expected


@EXAMPLES
@given(data=values, n=partitions)
def test_filter(sc, data, n):
    assert sc.parallelize(data, n).filter(lambda x: x % 3 == 0).collect() == \
        [x for x in data if x % 3 == 0]


@EXAMPLES
@given(data=values, n=partitions)
def test_glom_splits_into_n_contiguous_partitions(sc, data, n):
    parts = sc.parallelize(data, n).glom().collect()
    assert len(parts) == n
    assert [x for part in parts for x in part] == data
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= max(1, len(data) // n) + 1   # evenly sliced


@EXAMPLES
@given(data=values, n=partitions)
def test_mapPartitions_sees_each_partition_once(sc, data, n):
    rdd = sc.parallelize(data, n)
    sums = rdd.mapPartitions(lambda it: [sum(it)]).collect()
    assert sums == [sum(part) for part in rdd.glom().collect()]
    assert len(sums) == n and sum(sums) == sum(data)
    assert rdd.mapPartitions(lambda it: (x + 1 for x in it)).collect() == [x + 1 for x in data]


@EXAMPLES
@given(data=values, n=partitions)
def test_mapPartitionsWithIndex_passes_the_partition_index(sc, data, n):
    rdd = sc.parallelize(data, n)
    tagged = rdd.mapPartitionsWithIndex(lambda i, it: ((i, x) for x in it)).collect()
    expected = [(i, x) for i, part in enumerate(rdd.glom().collect()) for x in part]
    assert tagged == expected


@EXAMPLES
@given(data=values, n=partitions)
def test_keyBy(sc, data, n):
    assert sc.parallelize(data, n).keyBy(lambda x: x % 7).collect() == [(x % 7, x) for x in data]


@EXAMPLES
@given(data=values, n=partitions, reduce_partitions=st.none() | partitions)
def test_distinct(sc, data, n, reduce_partitions):
    result = sc.parallelize(data, n).distinct(reduce_partitions).collect()
    assert sorted(result) == sorted(set(data))


@EXAMPLES
@given(a=values, b=values, n=partitions, m=partitions)
def test_union_keeps_both_orders(sc, a, b, n, m):
    union = sc.parallelize(a, n).union(sc.parallelize(b, m))
    assert union.getNumPartitions() == n + m
    assert union.collect() == a + b
    assert sc.union([sc.parallelize(a, n), sc.parallelize(b, m)]).collect() == a + b


@EXAMPLES
@given(a=values, b=values, n=partitions, m=partitions)
def test_intersection(sc, a, b, n, m):
    result = sc.parallelize(a, n).intersection(sc.parallelize(b, m)).collect()
    assert sorted(result) == sorted(set(a) & set(b))


@EXAMPLES
@given(a=values, b=values, n=partitions, m=partitions)
def test_subtract_keeps_duplicates_of_the_left_side(sc, a, b, n, m):
    result = sc.parallelize(a, n).subtract(sc.parallelize(b, m)).collect()
    assert sorted(result) == sorted(x for x in a if x not in set(b))


@EXAMPLES
@given(a=small_values, b=small_values, n=partitions, m=partitions)
def test_cartesian(sc, a, b, n, m):
    product_rdd = sc.parallelize(a, n).cartesian(sc.parallelize(b, m))
    assert product_rdd.getNumPartitions() == n * m
    assert sorted(product_rdd.collect()) == sorted(product(a, b))


@EXAMPLES
@given(data=values, n=partitions)
def test_zip_with_a_mapped_copy(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert rdd.zip(rdd.map(str)).collect() == [(x, str(x)) for x in data]
    other = sc.parallelize([x * 2 for x in data], n)   # sliced the same way
    assert rdd.zip(other).collect() == [(x, x * 2) for x in data]


def test_zip_refuses_different_partition_counts(sc):
    try:
        sc.parallelize(range(4), 2).zip(sc.parallelize(range(4), 3))
    except ValueError as error:
        assert "same number of partitions" in str(error)
    else:
        raise AssertionError("zip of 2 and 3 partitions did not raise")


@EXAMPLES
@given(data=values, n=partitions)
def test_zipWithIndex_numbers_in_order(sc, data, n):
    assert sc.parallelize(data, n).zipWithIndex().collect() == [(x, i) for i, x in enumerate(data)]


@EXAMPLES
@given(data=values, n=partitions)
def test_zipWithUniqueId_gives_distinct_ids(sc, data, n):
    pairs = sc.parallelize(data, n).zipWithUniqueId().collect()
    assert [x for x, _ in pairs] == data
    assert len({i for _, i in pairs}) == len(data)


@EXAMPLES
@given(data=values, n=partitions, target=partitions)
def test_repartition(sc, data, n, target):
    rdd = sc.parallelize(data, n).repartition(target)
    parts = rdd.glom().collect()
    assert len(parts) == target
    assert Counter(x for part in parts for x in part) == Counter(data)


@EXAMPLES
@given(data=values, n=partitions, target=partitions)
def test_coalesce_without_shuffle_keeps_order(sc, data, n, target):
    rdd = sc.parallelize(data, n).coalesce(target)
    assert rdd.getNumPartitions() == min(n, target)
    assert rdd.collect() == data


@EXAMPLES
@given(data=values, n=partitions, target=partitions)
def test_coalesce_with_shuffle(sc, data, n, target):
    rdd = sc.parallelize(data, n).coalesce(target, shuffle=True)
    assert rdd.getNumPartitions() == target
    assert sorted(rdd.collect()) == sorted(data)


@EXAMPLES
@given(data=st.lists(st.tuples(st.integers(-9, 9), st.text("ab", max_size=2)), max_size=40),
       n=partitions, ascending=st.booleans(), target=st.none() | partitions)
def test_sortBy(sc, data, n, ascending, target):
    result = sc.parallelize(data, n).sortBy(lambda x: x[0], ascending, target).collect()
    # Only the keys are ordered; elements with equal keys may come in any order.
    assert [x[0] for x in result] == sorted((x[0] for x in data), reverse=not ascending)
    assert sorted(result) == sorted(data)


@EXAMPLES
@given(data=values, n=partitions, seed=st.integers(0, 1000))
def test_sample_is_a_subset_and_repeatable(sc, data, n, seed):
    rdd = sc.parallelize(data, n)
    sample = rdd.sample(False, 0.5, seed).collect()
    assert sample == rdd.sample(False, 0.5, seed).collect()
    remaining = iter(data)   # a Bernoulli sample keeps elements in their order:
    assert all(any(x == y for y in remaining) for x in sample)   # a subsequence of data


@EXAMPLES
@given(data=values, n=partitions, seed=st.integers(0, 1000))
def test_randomSplit_puts_every_element_in_exactly_one_split(sc, data, n, seed):
    splits = sc.parallelize(data, n).randomSplit([1, 2, 3], seed)
    assert Counter(x for split in splits for x in split.collect()) == Counter(data)


def test_sample_full_fraction_without_replacement_keeps_everything(sc):
    assert sc.parallelize(range(50), 3).sample(False, 1.0, 7).collect() == list(range(50))


def test_pipe_round_trips_lines(sc):
    assert sc.parallelize(["b", "a", "c"], 2).pipe("cat").collect() == ["b", "a", "c"]


@pytest.mark.timeout(60)   # these used to hang: a stage with no tasks never finished
def test_operations_on_an_rdd_with_no_partitions(sc):
    empty = sc.emptyRDD()
    assert empty.getNumPartitions() == 0
    assert (empty.collect(), empty.count(), empty.take(3), empty.isEmpty()) == ([], 0, [], True)
    assert empty.map(lambda x: x).glom().collect() == []
    assert empty.repartition(3).collect() == []
    assert empty.distinct().collect() == []
    assert empty.map(lambda x: (x, 1)).reduceByKey(lambda a, b: a + b).collect() == []
    assert empty.map(lambda x: (x, 1)).groupByKey(2).collect() == []
    assert empty.union(sc.parallelize([1, 2], 2)).repartition(2).count() == 2
    assert empty.cartesian(sc.parallelize([1])).collect() == []
    pairs = sc.parallelize([(1, "a")], 2)
    assert pairs.join(empty.map(lambda x: (x, x))).collect() == []
    assert pairs.leftOuterJoin(empty.map(lambda x: (x, x))).collect() == [(1, ("a", None))]


def test_each_task_gets_its_own_copy_of_the_functions_state(sc):
    """In PySpark every task unpickles its closure afresh, so state in it starts anew."""
    seen = []

    def number_within_task(x):
        seen.append(x)
        return len(seen)

    assert sc.parallelize(range(8), 4).map(number_within_task).collect() == [1, 2] * 4
