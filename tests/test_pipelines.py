"""Random pipelines: chains of transformations, checked against the same chain on a list.

Single operations are tested one by one elsewhere; here hypothesis composes them, so the
planner and the scheduler meet lineages nobody wrote by hand: shuffles after shuffles, an RDD
joined or unioned with itself (a diamond: one shuffle read by two branches), co-partitioned
joins, cached RDDs in the middle, and a second action on the same RDD (skipped stages).
"""

from collections import defaultdict
from operator import add

from hypothesis import given, settings
from hypothesis import strategies as st


def reduce_by_key(pairs, f):
    out = {}
    for k, v in pairs:
        out[k] = f(out[k], v) if k in out else v
    return list(out.items())


def group_sums(pairs):
    groups = defaultdict(list)
    for k, v in pairs:
        groups[k].append(v)
    return [(k, sum(vs)) for k, vs in groups.items()]


def self_join(pairs):
    groups = defaultdict(list)
    for k, v in pairs:
        groups[k].append(v)
    return [(k, v + w) for k, vs in groups.items() for v in vs for w in vs]


# Each step: (name, what it does to an RDD of (int, int), what it does to a list of pairs).
# n is a partition count drawn by hypothesis for the steps that take one.
STEPS = {
    "mapValues": (lambda r, n: r.mapValues(lambda v: v * 3 + 1),
                  lambda p, n: [(k, v * 3 + 1) for k, v in p]),
    "rekey": (lambda r, n: r.map(lambda kv: (kv[1] % 7, kv[0])),
              lambda p, n: [(v % 7, k) for k, v in p]),
    "filter": (lambda r, n: r.filter(lambda kv: (kv[0] + kv[1]) % 3 != 0),
               lambda p, n: [(k, v) for k, v in p if (k + v) % 3 != 0]),
    "flatMap": (lambda r, n: r.flatMap(lambda kv: [kv, (kv[0] + 1, kv[1])]),
                lambda p, n: [x for k, v in p for x in ((k, v), (k + 1, v))]),
    "reduceByKey": (lambda r, n: r.reduceByKey(add, n), lambda p, n: reduce_by_key(p, add)),
    "groupByKey": (lambda r, n: r.groupByKey(n).mapValues(sum), lambda p, n: group_sums(p)),
    "partitionBy": (lambda r, n: r.partitionBy(n), lambda p, n: p),
    "repartition": (lambda r, n: r.repartition(n), lambda p, n: p),
    "coalesce": (lambda r, n: r.coalesce(n), lambda p, n: p),
    "cache": (lambda r, n: r.cache(), lambda p, n: p),
    "union_self": (lambda r, n: r.union(r.mapValues(lambda v: -v)),
                   lambda p, n: p + [(k, -v) for k, v in p]),
    "join_self": (lambda r, n: r.join(r, n).mapValues(lambda vw: vw[0] + vw[1]),
                  lambda p, n: self_join(p)),
    "distinct": (lambda r, n: r.distinct(n), lambda p, n: list(set(p))),
    "sortByKey": (lambda r, n: r.sortByKey(True, n), lambda p, n: sorted(p)),
}

steps = st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.integers(1, 4)), min_size=1,
                 max_size=5)
pairs = st.lists(st.tuples(st.integers(0, 6), st.integers(-20, 20)), max_size=25)


@settings(max_examples=30)
@given(data=pairs, n=st.integers(1, 4), pipeline=steps)
def test_random_pipelines_match_the_same_steps_on_a_list(sc, data, n, pipeline):
    # join_self squares the size of each key's group; keep the oracle small.
    rdd, expected = sc.parallelize(data, n), list(data)
    cached = []
    for name, partitions in pipeline:
        to_rdd, to_list = STEPS[name]
        rdd, expected = to_rdd(rdd, partitions), to_list(expected, partitions)
        if name == "cache":
            cached.append(rdd)
        if len(expected) > 2000:
            break
    try:
        assert sorted(rdd.collect()) == sorted(expected)
        assert rdd.count() == len(expected)   # a second job: its shuffles are skipped
    finally:
        for each in cached:
            each.unpersist()
