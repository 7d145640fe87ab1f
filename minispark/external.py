"""Bounded-memory aggregation and sorting: spill sorted runs to disk, merge them back.

A reduce task may receive more keys than fit in memory. Like Spark's ExternalAppendOnlyMap, the
merger below folds records into an in-memory dict; when the dict holds more than ``limit`` keys
it sorts its items by key *hash* (keys need not be orderable), writes them to a temporary file
(a spill) and starts a fresh dict. At the end the spills and the last dict are merged with
``heapq.merge``: items arrive ordered by hash, so all combiners of one key arrive together (keys
that collide on a hash are told apart by equality in a small dict).

``sort_partition`` does the same for ``sortByKey``: sorted runs of at most ``limit`` records,
spilled and merged.

>>> from minispark.dependencies import Aggregator
>>> agg = Aggregator(lambda v: v, lambda c, v: c + v, lambda a, b: a + b)
>>> merger = ExternalMerger(agg, limit=2)
>>> merger.merge_values([("a", 1), ("b", 1), ("c", 1), ("a", 1)])
>>> sorted(merger.items()), merger.spills > 0
([('a', 2), ('b', 1), ('c', 1)], True)
>>> list(sort_partition(iter([3, 1, 2, 5, 4]), lambda x: x, False, limit=2))
[1, 2, 3, 4, 5]
"""

import heapq
import os
import pickle
import tempfile
from itertools import groupby

from .hashing import portable_hash

_BATCH = 1000


class ExternalMerger:
    """Combine ``(key, value)`` or ``(key, combiner)`` records with at most ``limit`` keys in memory."""

    def __init__(self, aggregator, limit: int, directory: str | None = None):
        self.aggregator = aggregator
        self.limit = limit
        self.directory = directory
        self.data: dict = {}
        self.spill_files: list = []
        self.spills = 0
        self.spill_bytes = 0

    def merge_values(self, records):
        """Fold raw values into combiners (createCombiner / mergeValue)."""
        create, merge = self.aggregator.create_combiner, self.aggregator.merge_value
        self._merge(records, create, merge)

    def merge_combiners(self, records):
        """Fold combiners from map tasks into combiners (mergeCombiners)."""
        self._merge(records, _identity, self.aggregator.merge_combiners)

    def _merge(self, records, create, merge):
        data, limit = self.data, self.limit
        for key, value in records:
            if key in data:
                data[key] = merge(data[key], value)
            else:
                data[key] = create(value)
                if len(data) >= limit:
                    self._spill()
                    data = self.data

    def _spill(self):
        items = sorted(self.data.items(), key=_hash_of_item)
        self.spill_files.append(_write_run(items, self.directory, self))
        self.spills += 1
        self.data = {}

    def items(self):
        """Iterate over ``(key, combiner)``, each key once."""
        if not self.spill_files:
            yield from self.data.items()
            return
        runs = [_read_run(f) for f in self.spill_files]
        runs.append(iter(sorted(self.data.items(), key=_hash_of_item)))
        self.data = {}
        merge = self.aggregator.merge_combiners
        merged = heapq.merge(*runs, key=_hash_of_item)
        for _, same_hash in groupby(merged, key=_hash_of_item):
            group: dict = {}
            for key, combiner in same_hash:
                group[key] = merge(group[key], combiner) if key in group else combiner
            yield from group.items()


def sort_partition(iterator, key, reverse: bool, limit: int, directory=None, metrics=None):
    """Sort records by ``key`` holding at most ``limit`` of them in memory at once.

    Spilled bytes are added to ``metrics.spill_bytes`` when a task's metrics are given.
    """
    runs, chunk = [], []
    stats = metrics if metrics is not None else _SpillStats()
    for record in iterator:
        chunk.append(record)
        if len(chunk) >= limit:
            chunk.sort(key=key, reverse=reverse)
            runs.append(_read_run(_write_run(chunk, directory, stats)))
            chunk = []
    chunk.sort(key=key, reverse=reverse)
    if not runs:
        return iter(chunk)
    runs.append(iter(chunk))
    return heapq.merge(*runs, key=key, reverse=reverse)


class _SpillStats:
    spill_bytes = 0


def _write_run(items, directory, stats) -> str:
    handle, path = tempfile.mkstemp(prefix="spill-", dir=directory)
    with os.fdopen(handle, "wb") as run_file:
        for start in range(0, len(items), _BATCH):
            pickle.dump(items[start:start + _BATCH], run_file, pickle.HIGHEST_PROTOCOL)
        stats.spill_bytes += run_file.tell()
    return path


def _read_run(path):
    """Yield the records of a spill file, then delete it."""
    try:
        with open(path, "rb") as run_file:
            while True:
                try:
                    batch = pickle.load(run_file)
                except EOFError:
                    return
                yield from batch
    finally:
        os.unlink(path)


def _hash_of_item(item):
    return portable_hash(item[0])


def _identity(value):
    return value
