"""portable_hash (hashing.py): every process must send a key to the same reduce partition.

The classic bug of a home-made Spark is partitioning with the built-in ``hash``: Python
randomises ``hash(str)`` per process, so two map tasks on two workers send the same string key
to different reduce partitions, and ``reduceByKey`` returns that key twice.
"""

import enum
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from minispark import TaskContext
from minispark.hashing import portable_hash

SAMPLE_KEYS = ["spark", "", "ünïcode", b"bytes", ("a", 1), (1, ("b", None)), None, 7, -3,
               2.5, True, frozenset({"x", "y"})]


@dataclass(frozen=True)
class Word:
    text: str


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


def test_keys_that_hash_their_strings_with_the_builtin_hash_come_back_once(sc):
    # portable_hash cannot see inside a dataclass or an Enum: they use hash(str), so the
    # workers must all hash strings alike (PySpark fixes PYTHONHASHSEED for the same reason).
    words = [Word(f"w{i % 20}") for i in range(400)]
    counts = sc.parallelize(words, 16).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b, 5)
    assert sorted((w.text, n) for w, n in counts.collect()) == \
        sorted((f"w{i}", 20) for i in range(20))
    colors = [list(Color)[i % 3] for i in range(300)]
    by_color = sc.parallelize(colors, 16).map(lambda c: (c, 1)).reduceByKey(lambda a, b: a + b, 4)
    assert sorted((c.value, n) for c, n in by_color.collect()) == \
        [("blue", 100), ("green", 100), ("red", 100)]


def test_every_worker_hashes_strings_alike(sc):
    def builtin_hash_per_worker(_, iterator):
        list(iterator)
        return [(TaskContext.get().workerId(), hash("spark"))]

    seen = dict(sc.parallelize(range(16), 16).mapPartitionsWithIndex(builtin_hash_per_worker).collect())
    assert len(seen) == 2, "both workers should have run tasks"
    assert len(set(seen.values())) == 1


def test_portable_hash_is_the_same_in_other_processes():
    mine = [portable_hash(k) for k in SAMPLE_KEYS]
    script = (f"from minispark.hashing import portable_hash\n"
              f"print([portable_hash(k) for k in {SAMPLE_KEYS!r}])")
    for seed in ("1", "2"):
        output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert output.strip() == repr(mine)


def test_portable_hash_of_ints_and_tuples_is_pysparks():
    # PySpark: ints hash to themselves; tuples mix items like CPython 2's tuple hash.
    assert [portable_hash(i) for i in (0, 1, -3, 2**40)] == [0, 1, -3, 2**40]
    expected = 0x345678
    for item in (1, 2):
        expected = ((expected ^ item) * 1000003) & sys.maxsize
    assert portable_hash((1, 2)) == expected ^ 2
    assert portable_hash((1, 2)) != portable_hash((2, 1))


@settings(max_examples=15)
@given(words=st.lists(st.text("abcdefgh", min_size=1, max_size=4), min_size=1, max_size=300),
       n=st.integers(2, 16), m=st.integers(2, 8))
def test_reduceByKey_over_string_keys_returns_each_key_once(sc, words, n, m):
    result = sc.parallelize(words, n).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b, m)
    counts = result.collect()
    assert len(counts) == len({w for w, _ in counts}), "a key came back twice"
    assert dict(counts) == dict(Counter(words))


def test_word_count_on_many_partitions_returns_each_word_once(sc):
    words = [f"word{i % 97}" for i in range(5000)]
    counts = sc.parallelize(words, 32).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b, 7)
    result = counts.collect()
    assert sorted(result) == sorted(Counter(words).items())


@settings(max_examples=15)
@given(keys=st.lists(st.one_of(st.text(max_size=3), st.tuples(st.text(max_size=2), st.integers())),
                     max_size=80),
       n=st.integers(1, 12), target=st.integers(1, 7))
def test_partitionBy_puts_each_key_where_portable_hash_says(sc, keys, n, target):
    parts = sc.parallelize([(k, None) for k in keys], n).partitionBy(target).glom().collect()
    placed = [(repr(k), index) for index, part in enumerate(parts) for k, _ in part]
    assert sorted(placed) == sorted((repr(k), portable_hash(k) % target) for k in keys)
