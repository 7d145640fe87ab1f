"""``RDD.toDebugString``: the lineage as text, in Spark's exact layout.

Each line is an RDD: ``(partitions) Name[id] at operation at file:line [storage level]``.
Indentation changes at shuffle boundaries: an RDD behind a ``+-`` is the map side of a
shuffle, so the lines after it belong to an earlier stage. Reading the indentation is reading
the stages. A cached RDD that has blocks on the workers gets a ``CachedPartitions`` line.
"""

import re


def debug_string(rdd) -> str:
    return "\n".join(_first(rdd))


def _describe(rdd) -> list:
    level = rdd.getStorageLevel()
    persistence = str(level) if rdd.is_cached else ""
    lines = [f"{rdd!r} [{persistence}]"]
    ctx = rdd._ctx
    if rdd.is_cached and ctx is not None and ctx._scheduler is not None:
        count, memory, disk = ctx._scheduler.blocks.storage_info(rdd.id())
        if count:
            lines.append(f"    CachedPartitions: {count}; MemorySize: {_bytes(memory)}; "
                         f"DiskSize: {_bytes(disk)}")
    return lines


def _children(rdd, prefix) -> list:
    dependencies = rdd.dependencies
    lines = []
    for index, dependency in enumerate(dependencies):
        last = index == len(dependencies) - 1
        lines += _debug(dependency.rdd, prefix, dependency.is_shuffle, last)
    return lines


def _first(rdd) -> list:
    partitions = f"({rdd.getNumPartitions()})"
    left = (len(partitions) - 1) // 2
    next_prefix = " " * left + "|" + " " * (len(partitions) - left)
    described = _describe(rdd)
    lines = [f"{partitions} {described[0]}"] + [f"{next_prefix} {d}" for d in described[1:]]
    return lines + _children(rdd, next_prefix)


def _debug(rdd, prefix, is_shuffle, is_last) -> list:
    if not is_shuffle:
        return [prefix + d for d in _describe(rdd)] + _children(rdd, prefix)
    partitions = f"({rdd.getNumPartitions()})"
    left = (len(partitions) - 1) // 2
    this_prefix = re.sub(r"\|\s+$", "", prefix)
    next_prefix = (this_prefix + ("  " if is_last else "| ") + " " * left + "|"
                   + " " * (len(partitions) - left))
    described = _describe(rdd)
    lines = [f"{this_prefix}+-{partitions} {described[0]}"] + [next_prefix + d for d in described[1:]]
    return lines + _children(rdd, next_prefix)


def _bytes(size: int) -> str:
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {units[unit]}"
