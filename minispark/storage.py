"""Cached partitions: kept by the worker that computed them, tracked by the driver.

When a task reaches a persisted RDD, it asks its worker's ``BlockStore`` for the block
``rdd_<id>_<partition>``. On a hit the records come from the store and the lineage below that
RDD is not touched at all; on a miss the partition is computed from its lineage, stored, and the
task reports the new block in its metrics. The driver's ``BlockLocations`` records which worker
holds each block, and the scheduler sends the next task for that partition to that worker
(locality). A block lost with its worker is simply computed again from lineage next time.

Blocks are kept as pickled batches (PySpark's default levels are serialized), so the size of a
cached partition is known exactly; DISK_ONLY blocks go to a file in the worker's directory.
"""

import os
import pickle

import cloudpickle

_BATCH = 1024


class BlockStore:
    """A worker's cached partitions: ``(rdd id, partition) -> list of pickled batches``."""

    def __init__(self, directory: str):
        self.directory = directory
        self.memory: dict = {}
        self.disk: dict = {}

    def get_or_compute(self, rdd, split: int, context):
        key = (rdd.id(), split)
        if key in self.memory or key in self.disk:
            context.metrics.cache_hits.append(key)
            return self._read(key)
        records = list(rdd.compute_or_fail_checkpoint(split, context))
        batches = [cloudpickle.dumps(records[i:i + _BATCH], pickle.HIGHEST_PROTOCOL)
                   for i in range(0, len(records), _BATCH)]
        size = sum(len(b) for b in batches)
        level = rdd.getStorageLevel()
        if level.useMemory:
            self.memory[key] = batches
        else:
            path = os.path.join(self.directory, f"rdd_{key[0]}_{key[1]}")
            with open(path, "wb") as block_file:
                pickle.dump(batches, block_file, pickle.HIGHEST_PROTOCOL)
            self.disk[key] = path
        context.metrics.cache_stored.append((key[0], split, size, bool(level.useMemory), len(records)))
        return iter(records)

    def _read(self, key):
        if key in self.memory:
            batches = self.memory[key]
        else:
            with open(self.disk[key], "rb") as block_file:
                batches = pickle.load(block_file)
        for batch in batches:
            yield from pickle.loads(batch)

    def remove_rdd(self, rdd_id: int):
        for key in [k for k in self.memory if k[0] == rdd_id]:
            del self.memory[key]
        for key in [k for k in self.disk if k[0] == rdd_id]:
            os.unlink(self.disk.pop(key))


class BlockLocations:
    """The driver's map of cached blocks: which worker holds each ``(rdd id, partition)``."""

    def __init__(self):
        self.locations: dict = {}   # (rdd id, partition) -> (worker id, bytes, in memory)

    def add(self, rdd_id, split, worker_id, size, in_memory=True):
        self.locations[(rdd_id, split)] = (worker_id, size, in_memory)

    def worker_of(self, rdd_id, split):
        entry = self.locations.get((rdd_id, split))
        return None if entry is None else entry[0]

    def remove_rdd(self, rdd_id):
        for key in [k for k in self.locations if k[0] == rdd_id]:
            del self.locations[key]

    def remove_worker(self, worker_id) -> list:
        """Forget the blocks of a lost worker; return them."""
        lost = [k for k, v in self.locations.items() if v[0] == worker_id]
        for key in lost:
            del self.locations[key]
        return lost

    def storage_info(self, rdd_id):
        """``(cached partitions, memory bytes, disk bytes)`` of one RDD."""
        entries = [v for k, v in self.locations.items() if k[0] == rdd_id]
        memory = sum(size for _, size, in_memory in entries if in_memory)
        disk = sum(size for _, size, in_memory in entries if not in_memory)
        return len(entries), memory, disk
