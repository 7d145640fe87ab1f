"""The kinds of RDD: how each one computes a partition from its parents.

Every class here answers two questions: how many partitions do I have, and how do I produce
the records of partition ``split`` (``compute``)? Narrow RDDs pull records from their parents'
``iterator``; ``ShuffledRDD`` reads the blocks that the map tasks of the previous stage wrote;
sources read their data themselves (a slice file, a byte range of a text file).

All of them are lazy generators: a partition streams through the chain record by record, so a
stage over a 1 GB file never holds the file in memory.
"""

import gzip
import pickle
import shlex
import threading
from itertools import chain
from subprocess import PIPE, Popen

from . import shuffle
from .dependencies import NarrowDependency, OneToOneDependency, RangeDependency, ShuffleDependency
from .rdd import RDD


class ParallelCollectionRDD(RDD):
    """``sc.parallelize``: each slice is a ``range`` or a file of pickled records.

    The driver writes list data to files once (as PySpark does), so a task carries only the
    file name and the worker reads its own slice.
    """

    def __init__(self, ctx, slices, op_name="parallelize"):
        super().__init__(ctx, op_name=op_name)
        self.slices = slices

    def _num_partitions(self):
        return len(self.slices)

    def compute(self, split, context):
        data = self.slices[split]
        if isinstance(data, range):
            return iter(data)
        with open(data, "rb") as slice_file:
            records = pickle.load(slice_file)
        if context is not None:
            context.metrics.records_read += len(records)
        return iter(records)


class EmptyRDD(RDD):
    """An RDD with no partitions and no records."""

    def _num_partitions(self):
        return 0

    def compute(self, split, context):
        return iter(())


class MapPartitionsRDD(RDD):
    """Applies ``f(split, iterator)`` to each partition of the parent (one-to-one, narrow)."""

    def __init__(self, prev, f, preserves_partitioning=False, op_name="mapPartitions"):
        partitioner = prev.partitioner if preserves_partitioning else None
        super().__init__(prev.ctx, [OneToOneDependency(prev)], partitioner, op_name)
        self.prev = prev
        self.f = f

    def _num_partitions(self):
        return self.prev.getNumPartitions()

    def compute(self, split, context):
        return iter(self.f(split, self.prev.iterator(split, context)))


class ShuffledRDD(RDD):
    """The reduce side of a shuffle: partition ``split`` is read from every map task's output.

    With an aggregator the values of each key are merged (``reduceByKey``, ``combineByKey``);
    without one the records arrive as written (``partitionBy``, ``sortByKey``).
    """

    def __init__(self, prev, partitioner, aggregator=None, map_side_combine=False,
                 op_name="partitionBy"):
        ctx = prev.ctx
        dependency = ShuffleDependency(prev, ctx._new_shuffle_id(), partitioner, aggregator,
                                       map_side_combine)
        super().__init__(ctx, [dependency], partitioner, op_name)
        self.shuffle_dependency = dependency
        ctx._clean_when_unreachable(self, "shuffle", dependency.shuffle_id)

    def _num_partitions(self):
        return self.partitioner.numPartitions

    def compute(self, split, context):
        return shuffle.read_partition(self.shuffle_dependency, split, context)


class UnionRDD(RDD):
    """The partitions of several RDDs, one after another (narrow).

    When all parents have the same partitioner, partition ``i`` is the union of every parent's
    partition ``i`` instead, and the partitioner is kept (Spark's PartitionerAwareUnionRDD):
    co-partitioned data stays co-partitioned, so a later ``join`` needs no shuffle.
    """

    def __init__(self, ctx, parents):
        partitioners = {p.partitioner for p in parents}
        aware = len(partitioners) == 1 and None not in partitioners
        if aware:
            dependencies = [OneToOneDependency(p) for p in parents]
            partitioner = parents[0].partitioner
        else:
            dependencies, start = [], 0
            for parent in parents:
                count = parent.getNumPartitions()
                dependencies.append(RangeDependency(parent, 0, start, count))
                start += count
            partitioner = None
        super().__init__(ctx, dependencies, partitioner, "union")
        self.parents = list(parents)
        self.partitioner_aware = aware

    def _num_partitions(self):
        if self.partitioner_aware:
            return self.parents[0].getNumPartitions()
        return sum(p.getNumPartitions() for p in self.parents)

    def compute(self, split, context):
        if self.partitioner_aware:
            return _chain(parent.iterator(split, context) for parent in self.parents)
        for parent in self.parents:
            count = parent.getNumPartitions()
            if split < count:
                return parent.iterator(split, context)
            split -= count
        raise IndexError(split)


class CoalescedRDD(RDD):
    """Fewer partitions without a shuffle: child ``i`` reads a contiguous run of parents."""

    def __init__(self, prev, num_partitions):
        parent_count = prev.getNumPartitions()
        self.num_partitions = min(num_partitions, parent_count) if parent_count else 0
        self.groups = [
            list(range(i * parent_count // self.num_partitions,
                       (i + 1) * parent_count // self.num_partitions))
            for i in range(self.num_partitions)
        ]
        groups = self.groups
        super().__init__(prev.ctx, [NarrowDependency(prev, lambda split: groups[split])],
                         None, "coalesce")
        self.prev = prev

    def _num_partitions(self):
        return self.num_partitions

    def compute(self, split, context):
        return _chain(self.prev.iterator(p, context) for p in self.groups[split])


class CartesianRDD(RDD):
    """Every pair of a partition of ``first`` and a partition of ``second`` (narrow on both)."""

    def __init__(self, first, second):
        n = second.getNumPartitions()
        super().__init__(first.ctx, [
            NarrowDependency(first, lambda split: [split // n]),
            NarrowDependency(second, lambda split: [split % n]),
        ], None, "cartesian")
        self.first, self.second = first, second

    def _num_partitions(self):
        return self.first.getNumPartitions() * self.second.getNumPartitions()

    def compute(self, split, context):
        n = self.second.getNumPartitions()
        right = list(self.second.iterator(split % n, context))
        for x in self.first.iterator(split // n, context):
            for y in right:
                yield x, y


class ZippedPartitionsRDD(RDD):
    """Partition ``i`` pairs up the records of both parents' partitions ``i`` (``zip``)."""

    def __init__(self, first, second):
        super().__init__(first.ctx, [OneToOneDependency(first), OneToOneDependency(second)],
                         None, "zip")
        self.first, self.second = first, second

    def _num_partitions(self):
        return self.first.getNumPartitions()

    def compute(self, split, context):
        missing = object()
        left = self.first.iterator(split, context)
        right = self.second.iterator(split, context)
        while True:
            x, y = next(left, missing), next(right, missing)
            if x is missing and y is missing:
                return
            if x is missing or y is missing:
                raise ValueError("Can not zip RDDs with unequal numbers of elements in each partition")
            yield x, y


class TextFileRDD(RDD):
    """``sc.textFile``: one partition per byte range (split) of the input files.

    A split is ``(path, start, length)``. Its task opens the file itself, skips the partial line
    it starts in (the previous split reads that line to its end), and reads every line that
    *starts* at or before ``start + length``: Hadoop's LineRecordReader rule, so that each line
    is read by exactly one split and no data passes through the driver.
    """

    def __init__(self, ctx, splits, use_unicode=True):
        super().__init__(ctx, op_name="textFile")
        self.splits = splits
        self.use_unicode = use_unicode

    def _num_partitions(self):
        return len(self.splits)

    def compute(self, split, context):
        path, start, length = self.splits[split]
        # Chunks of lines, flattened in C: no Python frame runs per line.
        return chain.from_iterable(_read_lines(path, start, start + length, self.use_unicode, context))


_CHUNK = 1 << 20


def _read_lines(path, start, end, decode, context):
    """Yield lists of the lines of ``path`` that start in ``[start, end]``, 1 MiB at a time.

    Reading whole chunks and splitting them in C is several times faster than a Python loop
    over lines; only the boundaries need care: the partial line at ``start`` is skipped, and
    after the chunk that reaches ``end`` one more ``readline`` finishes the line that crosses
    (or starts exactly at) ``end``.
    """
    if path.endswith(".gz"):   # gzip cannot be split: the single split reads the whole file
        with gzip.open(path, "rb") as whole_file:
            data = whole_file.read()
        if data:   # the newline at the end of the last line ends it: no empty line follows
            yield _split_lines(data[:-1] if data.endswith(b"\n") else data, decode, context)
        return
    with open(path, "rb") as text_file:
        text_file.seek(start)
        position = start
        if start != 0:
            position += len(text_file.readline())
        if position > end:
            return
        remaining, carry = end - position, b""
        while remaining > 0:
            chunk = text_file.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            buffer = carry + chunk
            cut = buffer.rfind(b"\n")
            if cut < 0:
                carry = buffer
                continue
            carry = buffer[cut + 1:]
            yield _split_lines(buffer[:cut], decode, context)
        carry += text_file.readline()
        if carry:
            yield _split_lines(carry.rstrip(b"\n"), decode, context)


def _split_lines(data: bytes, decode, context):
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if data.endswith(b"\r"):   # the "\r" of a "\r\n" whose "\n" the caller cut off
            data = data[:-1]
    lines = data.decode("utf-8").split("\n") if decode else data.split(b"\n")
    if context is not None:
        context.metrics.records_read += len(lines)
    return lines


class WholeTextFilesRDD(RDD):
    """``sc.wholeTextFiles``: one record ``(path, content)`` per file, files grouped in splits."""

    def __init__(self, ctx, file_groups, use_unicode=True):
        super().__init__(ctx, op_name="wholeTextFiles")
        self.file_groups = file_groups
        self.use_unicode = use_unicode

    def _num_partitions(self):
        return len(self.file_groups)

    def compute(self, split, context):
        for path in self.file_groups[split]:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as whole_file:
                content = whole_file.read()
            yield "file:" + path, content.decode("utf-8") if self.use_unicode else content


class LocalCheckpointRDD(RDD):
    """Stands in for the lineage that ``localCheckpoint`` cut off; it cannot recompute anything."""

    def __init__(self, checkpointed):
        super().__init__(checkpointed.ctx, op_name="localCheckpoint")
        self.num_partitions = checkpointed.getNumPartitions()
        self.checkpointed_id = checkpointed.id()

    def _num_partitions(self):
        return self.num_partitions

    def compute(self, split, context):
        raise RuntimeError(f"Checkpoint block rdd_{self.checkpointed_id}_{split} not found")


class PipeFunction:
    """``rdd.pipe``: feed a partition's elements to a command and read back its output lines."""

    def __init__(self, command, env=None, check_code=False):
        self.command, self.env, self.check_code = command, env, check_code

    def __call__(self, split, iterator):
        process = Popen(shlex.split(self.command), env=self.env or {}, stdin=PIPE, stdout=PIPE)

        def feed():
            for element in iterator:
                process.stdin.write((str(element).rstrip("\n") + "\n").encode("utf-8"))
            process.stdin.close()

        # A thread feeds stdin while we read stdout, so a command with large output cannot
        # deadlock against us.
        threading.Thread(target=feed, daemon=True).start()
        for line in iter(process.stdout.readline, b""):
            yield line.rstrip(b"\n").decode("utf-8")
        process.wait()
        if self.check_code and process.returncode:
            raise RuntimeError(
                f"Pipe function `{self.command}' exited with error code {process.returncode}")


def _chain(iterators):
    for iterator in iterators:
        yield from iterator
