"""Where data comes from: slicing a local collection, and cutting files into splits.

``parallelize`` cuts a Python list into ``numSlices`` slices exactly as PySpark does (records
are batched, then the batches are split evenly), so ``glom()`` shows the same partitions; a
``range`` is cut arithmetically and never materialised.

``textFile`` cuts its files into byte ranges with Hadoop's rules (``FileInputFormat.getSplits``),
looking only at file sizes: no byte of data is read on the driver. Each task then reads its own
range (see ``rdds.TextFileRDD``).

>>> slice_list(list(range(10)), 4)
[[0, 1], [2, 3], [4, 5], [6, 7, 8, 9]]
>>> slice_range(range(0, 6, 2), 5)
[range(0, 0, 2), range(0, 2, 2), range(2, 2, 2), range(2, 4, 2), range(4, 6, 2)]
"""

import glob
import os

from .errors import InvalidInputException


def slice_list(data: list, num_slices: int) -> list:
    """Split like PySpark: records are batched, and the batches are sliced evenly.

    PySpark ships a list in batches of ``min(len // numSlices, 1024)`` records and the JVM
    cuts the sequence of batches into ``numSlices`` even runs; doing the same gives the same
    partitions (``glom()`` shows it).
    """
    batch_size = max(1, min(len(data) // num_slices, 1024))
    batches = [data[i:i + batch_size] for i in range(0, len(data), batch_size)]
    count = len(batches)
    slices = []
    for index in range(num_slices):
        start, end = index * count // num_slices, (index + 1) * count // num_slices
        slices.append([record for batch in batches[start:end] for record in batch])
    return slices


def slice_range(values: range, num_slices: int) -> list:
    """Split a range like PySpark: slice ``i`` starts at ``int(i * size / numSlices)``."""
    size = len(values)
    if size == 0:
        return [range(0)] * num_slices
    step = values.step

    def start_of(split):
        return values.start + int(split * size / num_slices) * step

    return [range(start_of(i), start_of(i + 1), step) for i in range(num_slices)]


def list_input_files(path: str) -> list:
    """Resolve a textFile path (comma list, glob, directory, ``file:`` URI) to sorted files."""
    files = []
    for part in path.split(","):
        part = part.strip()
        if part.startswith("file://"):
            part = part[len("file://"):]
        elif part.startswith("file:"):
            part = part[len("file:"):]
        part = os.path.abspath(os.path.expanduser(part))
        if glob.has_magic(part):
            matches = sorted(glob.glob(part))
            if not matches:
                raise InvalidInputException(f"Input Pattern file:{part} matches 0 files")
        elif os.path.exists(part):
            matches = [part]
        else:
            raise InvalidInputException(f"Input path does not exist: file:{part}")
        for match in matches:
            if os.path.isdir(match):
                files.extend(
                    os.path.join(match, name) for name in sorted(os.listdir(match))
                    if not name.startswith(("_", ".")) and os.path.isfile(os.path.join(match, name)))
            else:
                files.append(match)
    return files


def compute_text_splits(files: list, min_partitions: int, block_size: int = 32 << 20) -> list:
    """Hadoop's FileInputFormat.getSplits: byte ranges of about ``total / min_partitions``.

    A file is cut into pieces of ``max(1, min(goal, block_size))`` bytes; the last piece may be
    up to 10% larger instead of leaving a tiny split (Hadoop's SPLIT_SLOP).
    """
    sizes = [os.path.getsize(f) for f in files]
    goal = sum(sizes) // max(min_partitions, 1)
    split_size = max(1, min(goal, block_size))
    splits = []
    for path, size in zip(files, sizes):
        if path.endswith(".gz") or size == 0:
            splits.append((path, 0, size))
            continue
        remaining = size
        while remaining / split_size > 1.1:
            splits.append((path, size - remaining, split_size))
            remaining -= split_size
        if remaining:
            splits.append((path, size - remaining, remaining))
    return splits
