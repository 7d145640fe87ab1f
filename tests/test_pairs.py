"""Key-value operations (pairs.py), each checked against a plain-Python oracle.

Keys are drawn from a small alphabet so that the same key appears in many partitions: the
cases where a shuffle has real work to do (and where a bad hash would split one key).
"""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from minispark.hashing import portable_hash

EXAMPLES = settings(max_examples=20)

keys = st.one_of(st.text("abcde", max_size=2), st.integers(-4, 4))
sortable_keys = st.text("abcde", max_size=3)
pairs = st.lists(st.tuples(keys, st.integers(-100, 100)), max_size=60)
sortable_pairs = st.lists(st.tuples(sortable_keys, st.integers(-100, 100)), max_size=60)
partitions = st.integers(1, 6)
reduce_partitions = st.none() | st.integers(1, 5)


def grouped(data) -> dict:
    """key -> list of values, in order of appearance."""
    groups = defaultdict(list)
    for key, value in data:
        groups[key].append(value)
    return dict(groups)


def as_dict(result) -> dict:
    """A collected pair RDD as a dict, checking that no key appears twice."""
    keys_seen = [k for k, _ in result]
    assert len(keys_seen) == len(set(keys_seen)), f"a key appears twice: {sorted(map(repr, keys_seen))}"
    return dict(result)


def join_oracle(left, right, keep_left=False, keep_right=False) -> list:
    """Pairs of values per key; ``keep_left`` keeps left keys without a match (with None)."""
    left_groups, right_groups = grouped(left), grouped(right)
    out = []
    for key in set(left_groups) | set(right_groups):
        lvalues = left_groups.get(key, [None] if keep_right else [])
        rvalues = right_groups.get(key, [None] if keep_left else [])
        out += [(key, (v, w)) for v in lvalues for w in rvalues]
    return out


def canonical(result) -> list:
    """Sort pairs whose keys mix ints and strings."""
    return sorted(result, key=repr)


@settings(max_examples=25)
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_groupByKey(sc, data, n, m):
    result = sc.parallelize(data, n).groupByKey(m).mapValues(sorted).collect()
    assert as_dict(result) == {k: sorted(v) for k, v in grouped(data).items()}


@settings(max_examples=25)
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_reduceByKey(sc, data, n, m):
    result = sc.parallelize(data, n).reduceByKey(lambda a, b: a + b, m).collect()
    assert as_dict(result) == {k: sum(v) for k, v in grouped(data).items()}


@EXAMPLES
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_reduceByKey_number_of_partitions(sc, data, n, m):
    rdd = sc.parallelize(data, n).reduceByKey(max, m)
    assert rdd.getNumPartitions() == (m if m is not None else n)


@EXAMPLES
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_foldByKey_with_a_mutable_zero(sc, data, n, m):
    # The fold mutates its accumulator: the zero list must be copied per key, or keys would
    # share (and grow) one list.
    def fold(acc, v):
        acc.extend(v if isinstance(v, list) else [v])
        return acc

    result = sc.parallelize(data, n).foldByKey([], fold, m)
    assert {k: sorted(v) for k, v in as_dict(result.collect()).items()} == \
        {k: sorted(v) for k, v in grouped(data).items()}


@EXAMPLES
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_aggregateByKey_sum_and_count(sc, data, n, m):
    result = sc.parallelize(data, n).aggregateByKey(
        (0, 0), lambda acc, v: (acc[0] + v, acc[1] + 1),
        lambda a, b: (a[0] + b[0], a[1] + b[1]), m).collect()
    assert as_dict(result) == {k: (sum(v), len(v)) for k, v in grouped(data).items()}


@EXAMPLES
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_combineByKey_to_sets(sc, data, n, m):
    def add(combiner, value):
        combiner.add(value)
        return combiner

    result = sc.parallelize(data, n).combineByKey(
        lambda v: {v}, add, lambda a, b: a | b, m).collect()
    assert as_dict(result) == {k: set(v) for k, v in grouped(data).items()}


@EXAMPLES
@given(data=sortable_pairs, n=partitions, m=reduce_partitions, ascending=st.booleans())
def test_sortByKey_orders_keys_across_partitions(sc, data, n, m, ascending):
    rdd = sc.parallelize(data, n).sortByKey(ascending, m)
    result = rdd.collect()
    assert [k for k, _ in result] == sorted((k for k, _ in data), reverse=not ascending)
    assert sorted(result) == sorted(data)
    # Partition i holds only keys that come before those of partition i + 1.
    parts = [[k for k, _ in part] for part in rdd.glom().collect() if part]
    for before, after in zip(parts, parts[1:]):
        assert (before[-1] <= after[0]) if ascending else (before[-1] >= after[0])


@EXAMPLES
@given(data=sortable_pairs, n=partitions)
def test_sortByKey_with_keyfunc(sc, data, n):
    result = sc.parallelize(data, n).sortByKey(True, 3, keyfunc=lambda k: (len(k), k)).collect()
    assert [k for k, _ in result] == sorted((k for k, _ in data), key=lambda k: (len(k), k))


def test_sortByKey_distinct_keys_exact_order(sc):
    data = [(f"k{i:03d}", i) for i in range(200)][::-1]
    assert sc.parallelize(data, 5).sortByKey(True, 4).collect() == sorted(data)
    assert sc.parallelize(data, 5).sortByKey(False, 4).collect() == sorted(data, reverse=True)


join_inputs = dict(left=pairs, right=pairs, n=partitions, m=partitions, r=reduce_partitions)


@EXAMPLES
@given(**join_inputs)
def test_join(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).join(sc.parallelize(right, m), r).collect()
    assert canonical(result) == canonical(join_oracle(left, right))


@EXAMPLES
@given(**join_inputs)
def test_leftOuterJoin(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).leftOuterJoin(sc.parallelize(right, m), r).collect()
    assert canonical(result) == canonical(join_oracle(left, right, keep_left=True))


@EXAMPLES
@given(**join_inputs)
def test_rightOuterJoin(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).rightOuterJoin(sc.parallelize(right, m), r).collect()
    assert canonical(result) == canonical(join_oracle(left, right, keep_right=True))


@EXAMPLES
@given(**join_inputs)
def test_fullOuterJoin(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).fullOuterJoin(sc.parallelize(right, m), r).collect()
    assert canonical(result) == canonical(join_oracle(left, right, keep_left=True, keep_right=True))


@EXAMPLES
@given(**join_inputs)
def test_cogroup(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).cogroup(sc.parallelize(right, m), r) \
        .mapValues(lambda vs: (sorted(vs[0]), sorted(vs[1]))).collect()
    lg, rg = grouped(left), grouped(right)
    expected = {k: (sorted(lg.get(k, [])), sorted(rg.get(k, []))) for k in set(lg) | set(rg)}
    assert as_dict(result) == expected


@EXAMPLES
@given(a=pairs, b=pairs, c=pairs, n=partitions)
def test_groupWith_three_rdds(sc, a, b, c, n):
    rdds = [sc.parallelize(x, n) for x in (a, b, c)]
    result = rdds[0].groupWith(rdds[1], rdds[2]).mapValues(lambda vs: tuple(map(sorted, vs)))
    groups = [grouped(x) for x in (a, b, c)]
    every_key = set().union(*groups)
    assert as_dict(result.collect()) == {
        k: tuple(sorted(g.get(k, [])) for g in groups) for k in every_key}


@EXAMPLES
@given(**join_inputs)
def test_subtractByKey(sc, left, right, n, m, r):
    result = sc.parallelize(left, n).subtractByKey(sc.parallelize(right, m), r).collect()
    right_keys = {k for k, _ in right}
    assert canonical(result) == canonical([kv for kv in left if kv[0] not in right_keys])


@EXAMPLES
@given(data=pairs, n=partitions, target=st.integers(1, 6))
def test_partitionBy_places_key_k_in_partition_portable_hash_mod_n(sc, data, n, target):
    rdd = sc.parallelize(data, n).partitionBy(target)
    parts = rdd.glom().collect()
    assert len(parts) == target
    for index, part in enumerate(parts):
        for key, _ in part:
            assert portable_hash(key) % target == index
    assert canonical(x for part in parts for x in part) == canonical(data)


@EXAMPLES
@given(data=pairs, n=partitions)
def test_partitionBy_with_a_custom_function(sc, data, n):
    parts = sc.parallelize(data, n).partitionBy(3, lambda k: len(str(k))).glom().collect()
    for index, part in enumerate(parts):
        assert all(len(str(k)) % 3 == index for k, _ in part)


@EXAMPLES
@given(data=pairs, n=partitions)
def test_mapValues_flatMapValues_keys_values(sc, data, n):
    rdd = sc.parallelize(data, n)
    assert rdd.mapValues(lambda v: v * 2).collect() == [(k, v * 2) for k, v in data]
    assert rdd.flatMapValues(lambda v: range(v % 3)).collect() == \
        [(k, i) for k, v in data for i in range(v % 3)]
    assert rdd.keys().collect() == [k for k, _ in data]
    assert rdd.values().collect() == [v for _, v in data]


@EXAMPLES
@given(data=pairs, n=partitions, m=reduce_partitions)
def test_groupBy(sc, data, n, m):
    result = sc.parallelize(data, n).groupBy(lambda kv: kv[1] % 4, m) \
        .mapValues(lambda group: sorted(group, key=repr)).collect()
    expected = defaultdict(list)
    for kv in data:
        expected[kv[1] % 4].append(kv)
    assert as_dict(result) == {k: sorted(v, key=repr) for k, v in expected.items()}


def test_mapValues_keeps_the_partitioner_and_map_drops_it(sc):
    rdd = sc.parallelize([(1, 2)], 2).partitionBy(3)
    assert rdd.mapValues(str).partitioner == rdd.partitioner
    assert rdd.map(lambda kv: kv).partitioner is None


def test_partitionBy_twice_with_the_same_partitioner_is_the_same_rdd(sc):
    rdd = sc.parallelize([(1, 2)], 2).partitionBy(3)
    assert rdd.partitionBy(3) is rdd
    assert rdd.partitionBy(4) is not rdd


def test_lookup_with_and_without_partitioner(sc):
    data = [(i % 10, i) for i in range(100)]
    plain = sc.parallelize(data, 4)
    assert sorted(plain.lookup(3)) == [i for i in range(100) if i % 10 == 3]
    assert sorted(plain.partitionBy(4).lookup(3)) == [i for i in range(100) if i % 10 == 3]
    assert plain.lookup(42) == []
