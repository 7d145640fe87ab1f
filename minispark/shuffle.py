"""The shuffle: map tasks write blocks to files, reduce tasks read their block from each file.

A shuffle moves every record with key ``k`` to reduce partition ``partitioner(k)``. It happens
in two halves, in two stages, on the workers; the driver only learns *where* the output is.

**Map side** (``write_map_output``, the last step of a ShuffleMapTask). The task pulls the
records of its partition and:

1. with an aggregator and map-side combine (``reduceByKey``...): folds values into one
   combiner per key in a dict, so each key is written once per map task, not once per record;
   without (``groupByKey``, ``partitionBy``): buffers records per reduce partition;
2. when the buffer holds more than ``limit`` entries, *spills*: writes its contents, grouped by
   reduce partition, to a spill file and starts again, so memory stays bounded;
3. at the end concatenates, for each reduce partition in turn, its segments from every spill
   and from memory into one data file, and returns a ``MapStatus``: the file and the offset
   where each reduce partition's block starts (Spark's sort-based shuffle: one file per map
   task plus an index, instead of one file per map and reduce partition).

**Reduce side** (``read_partition``, inside ``ShuffledRDD.compute``). Reduce task ``r`` gets the
list of MapStatus of the shuffle, reads bytes ``offsets[r]:offsets[r+1]`` of every map output
file (its *block*), and merges combiners per key (spilling through ``ExternalMerger`` when the
keys do not fit in memory) or simply streams the records. A missing map output raises
``FetchFailedError``: the scheduler then reruns that map task and retries the stage.

Blocks are sequences of pickled batches of records (cloudpickle, so records may be instances of
classes defined in a notebook).
"""

import io
import os
import pickle
import tempfile
from dataclasses import dataclass

import cloudpickle

from .errors import FetchFailedError
from .external import ExternalMerger

BATCH_SIZE = 1024


@dataclass(frozen=True)
class MapStatus:
    """Where one map task's output is: its file and the block offsets per reduce partition."""

    shuffle_id: int
    map_id: int
    worker_id: int
    path: str
    offsets: tuple        # len = reduce partitions + 1; block r is offsets[r]:offsets[r+1]

    def block_size(self, reduce_id: int) -> int:
        return self.offsets[reduce_id + 1] - self.offsets[reduce_id]


def write_map_output(dependency, records, context, map_id: int) -> MapStatus:
    """Partition (and combine) ``records`` into one shuffle file; return its MapStatus."""
    env = context.env
    partitioner = dependency.partitioner
    num_reduce = partitioner.numPartitions
    limit = env.spill_threshold
    spills: list[tuple[str, list]] = []
    metrics = context.metrics

    if dependency.map_side_combine:
        create = dependency.aggregator.create_combiner
        merge = dependency.aggregator.merge_value
        combiners: dict = {}
        for key, value in records:
            if key in combiners:
                combiners[key] = merge(combiners[key], value)
            else:
                combiners[key] = create(value)
                if len(combiners) >= limit:
                    spills.append(_spill(_bucket_items(combiners.items(), partitioner, num_reduce),
                                         env.shuffle_dir, metrics))
                    combiners = {}
        buckets = _bucket_items(combiners.items(), partitioner, num_reduce)
    else:
        buckets = [[] for _ in range(num_reduce)]
        buffered = 0
        for record in records:
            buckets[partitioner(record[0])].append(record)
            buffered += 1
            if buffered >= limit:
                spills.append(_spill(buckets, env.shuffle_dir, metrics))
                buckets = [[] for _ in range(num_reduce)]
                buffered = 0

    metrics.shuffle_records_written = sum(len(b) for b in buckets) + sum(
        count for _, _, count in spills)
    metrics.records_written = metrics.shuffle_records_written
    name = f"shuffle_{dependency.shuffle_id}_{map_id}_{context.taskAttemptId()}.data"
    final_path = os.path.join(env.shuffle_dir, name)
    offsets = [0]
    with open(final_path + ".tmp", "wb") as out:
        for reduce_id in range(num_reduce):
            for spill_path, spill_offsets, _ in spills:
                out.write(_read_range(spill_path, spill_offsets[reduce_id],
                                      spill_offsets[reduce_id + 1]))
            _write_batches(out, buckets[reduce_id])
            offsets.append(out.tell())
    os.replace(final_path + ".tmp", final_path)   # readers never see a half-written file
    for spill_path, _, _ in spills:
        os.unlink(spill_path)
    metrics.shuffle_bytes_written = offsets[-1]
    return MapStatus(dependency.shuffle_id, map_id, context.workerId(), final_path, tuple(offsets))


def read_partition(dependency, reduce_id: int, context):
    """The records of reduce partition ``reduce_id``: merged per key when there is an aggregator."""
    statuses = context.shuffle_inputs.get(dependency.shuffle_id)
    if statuses is None:
        raise FetchFailedError(dependency.shuffle_id, -1, "no map output locations were sent")
    records = _fetch_blocks(dependency.shuffle_id, statuses, reduce_id, context)
    aggregator = dependency.aggregator
    if aggregator is None:
        return records
    merger = ExternalMerger(aggregator, context.env.spill_threshold, context.env.shuffle_dir)
    if dependency.map_side_combine:
        merger.merge_combiners(records)
    else:
        merger.merge_values(records)
    context.metrics.spill_bytes += merger.spill_bytes
    return merger.items()


def _fetch_blocks(shuffle_id, statuses, reduce_id, context):
    # Check every location before reading any, so a lost map output fails the task at once.
    for map_id, status in enumerate(statuses):
        if status is None or not os.path.exists(status.path):
            raise FetchFailedError(shuffle_id, map_id, "map output is missing (its worker was lost)")
    return _iterate_blocks(shuffle_id, statuses, reduce_id, context)


def _iterate_blocks(shuffle_id, statuses, reduce_id, context):
    metrics = context.metrics
    for map_id, status in enumerate(statuses):
        start, end = status.offsets[reduce_id], status.offsets[reduce_id + 1]
        if start == end:
            continue
        try:
            block = _read_range(status.path, start, end)
        except OSError as error:
            raise FetchFailedError(shuffle_id, map_id, str(error)) from error
        metrics.shuffle_bytes_read += len(block)
        for batch in _load_batches(block):
            metrics.records_read += len(batch)
            yield from batch


def _bucket_items(items, partitioner, num_reduce):
    buckets = [[] for _ in range(num_reduce)]
    for item in items:
        buckets[partitioner(item[0])].append(item)
    return buckets


def _spill(buckets, directory, metrics):
    """Write buckets to a spill file; return (path, block offsets, record count)."""
    handle, path = tempfile.mkstemp(prefix="spill-", dir=directory)
    offsets = [0]
    with os.fdopen(handle, "wb") as spill_file:
        for bucket in buckets:
            _write_batches(spill_file, bucket)
            offsets.append(spill_file.tell())
    metrics.spill_bytes += offsets[-1]
    return path, offsets, sum(len(b) for b in buckets)


def _write_batches(out, records):
    for start in range(0, len(records), BATCH_SIZE):
        out.write(cloudpickle.dumps(records[start:start + BATCH_SIZE], pickle.HIGHEST_PROTOCOL))


def _load_batches(block: bytes):
    stream = io.BytesIO(block)
    while stream.tell() < len(block):
        yield pickle.load(stream)


def _read_range(path, start, end) -> bytes:
    with open(path, "rb") as data_file:
        data_file.seek(start)
        return data_file.read(end - start)

