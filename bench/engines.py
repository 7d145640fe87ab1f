"""The engines compared, each behind the same four calls: start, word_count, tiny_job, stop.

An engine is one way to run the two workloads:

* ``word_count(path, partitions)``: count every whitespace-separated word of a text file and
  return the ``(word, count)`` pairs to the driver;
* ``tiny_job()``: ``sum(x * 2 for x in range(1000))`` cut into 4 partitions, i.e. for the RDD
  engines exactly ``sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum()``.

Engines (``ENGINES`` maps each name to its class):

* ``python``: one process, ``collections.Counter`` over the file (no parallelism at all);
* ``mp-counter``: a ``multiprocessing.Pool``; each task counts one byte range of the file with
  ``Counter(block.split())``, the fastest pure Python we know;
* ``mp-records``: the same pool, but each task calls the user functions an RDD engine has to
  call: ``split_line`` per line, ``to_pair`` per word, and ``add`` in a dict combiner per
  partition. This is the floor for any engine that runs these functions, and the baseline that
  every ratio is taken against;
* ``minispark``: ``sc.textFile(path, partitions).flatMap(split_line).map(to_pair)
  .reduceByKey(add).collect()`` on ``SparkContext("local[W]")``;
* ``pyspark``: the same RDD job on PySpark's ``local[W]`` (JVM driver, W task slots, one Python
  worker per running task);
* ``dask``: ``dask.bag.read_text(path, blocksize=size / partitions).map(split_line).flatten()
  .frequencies()`` on the multiprocessing scheduler with a process pool of W workers kept for the
  whole run (dask would otherwise start a new pool for every ``compute``).

``unavailable(name)`` says why an engine cannot run here (not installed, no Java), or None.
The user functions live in this module so every engine runs the very same code; benchmark
processes get ``bench/`` on ``PYTHONPATH`` so that workers can import them.
"""

import importlib
import math
import os
import shutil
import subprocess
from collections import Counter

from corpus import byte_ranges, read_blocks

TINY_PARTITIONS = 4
TINY_DATA = range(1000)


# ---- the user functions, shared by every engine ------------------------------------------
def split_line(line):
    return line.split()


def to_pair(word):
    return (word, 1)


def add(a, b):
    return a + b


def double(x):
    return x * 2


# ---- the tasks of the multiprocessing engines (module level, so a Pool can pickle them) --
def count_with_counter(path, start, end):
    counts = Counter()
    for block in read_blocks(path, start, end):
        counts.update(block.split())
    return counts


def count_records(path, start, end):
    combiners = {}
    for block in read_blocks(path, start, end):
        for line in block.splitlines():
            for word in split_line(line):
                key, value = to_pair(word)
                combiners[key] = add(combiners[key], value) if key in combiners else value
    return combiners


def sum_doubled(numbers):
    return sum(map(double, numbers))


def tiny_slices():
    """``TINY_DATA`` cut into ``TINY_PARTITIONS`` slices, as ``parallelize`` cuts it."""
    n = len(TINY_DATA)
    return [TINY_DATA[i * n // TINY_PARTITIONS:(i + 1) * n // TINY_PARTITIONS]
            for i in range(TINY_PARTITIONS)]


# ---- the engines -------------------------------------------------------------------------
class SingleProcess:
    requires = ()

    def __init__(self, workers):
        self.workers = workers     # ignored: one process is the point

    def start(self):
        pass

    def word_count(self, path, partitions):
        return list(count_with_counter(path, 0, os.path.getsize(path)).items())

    def tiny_job(self):
        return sum(map(sum_doubled, tiny_slices()))

    def stop(self):
        pass


class MultiprocessingCounter(SingleProcess):
    task = staticmethod(count_with_counter)

    def start(self):
        import multiprocessing
        self.pool = multiprocessing.Pool(self.workers)

    def word_count(self, path, partitions):
        totals = Counter()
        for counts in self.pool.starmap(self.task, self.tasks(path, partitions)):
            totals.update(counts)
        return list(totals.items())

    @staticmethod
    def tasks(path, partitions):
        return [(path, start, end) for start, end in byte_ranges(path, partitions)]

    def tiny_job(self):
        return sum(self.pool.map(sum_doubled, tiny_slices()))

    def stop(self):
        self.pool.close()
        self.pool.join()


class MultiprocessingRecords(MultiprocessingCounter):
    task = staticmethod(count_records)

    def word_count(self, path, partitions):
        totals = {}
        for combiners in self.pool.starmap(self.task, self.tasks(path, partitions)):
            for key, value in combiners.items():
                totals[key] = add(totals[key], value) if key in totals else value
        return list(totals.items())


class MiniSpark(SingleProcess):
    requires = ("minispark",)

    def start(self):
        from minispark import SparkContext
        self.sc = SparkContext(f"local[{self.workers}]", "bench")

    def word_count(self, path, partitions):
        return (self.sc.textFile(path, partitions).flatMap(split_line).map(to_pair)
                .reduceByKey(add).collect())

    def tiny_job(self):
        return self.sc.parallelize(TINY_DATA, TINY_PARTITIONS).map(lambda x: x * 2).sum()

    def stop(self):
        self.sc.stop()


class PySpark(MiniSpark):
    requires = ("pyspark",)

    def start(self):
        from pyspark import SparkConf, SparkContext
        conf = (SparkConf().setMaster(f"local[{self.workers}]").setAppName("bench")
                # No web UI and no console progress bar: neither is part of running a job.
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false"))
        self.sc = SparkContext(conf=conf)
        self.sc.setLogLevel("ERROR")


class DaskBag(SingleProcess):
    requires = ("dask.bag",)

    def start(self):
        from concurrent.futures import ProcessPoolExecutor

        import dask
        import dask.multiprocessing
        self.pool = ProcessPoolExecutor(self.workers,
                                        mp_context=dask.multiprocessing.get_context())
        self.config = dask.config.set(scheduler="processes", pool=self.pool,
                                      num_workers=self.workers)

    def word_count(self, path, partitions):
        import dask.bag
        blocksize = math.ceil(os.path.getsize(path) / partitions)
        bag = dask.bag.read_text(path, blocksize=blocksize)
        return bag.map(split_line).flatten().frequencies().compute()

    def tiny_job(self):
        import dask.bag
        bag = dask.bag.from_sequence(TINY_DATA, npartitions=TINY_PARTITIONS)
        return bag.map(lambda x: x * 2).sum().compute()

    def stop(self):
        self.config.__exit__(None, None, None)
        self.pool.shutdown()


ENGINES = {
    "python": SingleProcess,
    "mp-counter": MultiprocessingCounter,
    "mp-records": MultiprocessingRecords,
    "minispark": MiniSpark,
    "dask": DaskBag,
    "pyspark": PySpark,
}


def unavailable(name: str) -> str | None:
    """Why engine ``name`` cannot run in this Python, or None when it can."""
    for module in ENGINES[name].requires:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any import failure means "skip", with its reason
            return f"cannot import {module}: {exc!r}"
    if name == "minispark":
        import minispark
        if not hasattr(minispark, "SparkContext"):
            return "minispark does not export SparkContext yet (engine not finished?)"
    if name == "pyspark":
        java = shutil.which("java")
        if java is None:
            return "no java on PATH: PySpark needs Java 17 or later"
        try:
            subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"`java -version` failed: {exc!r}"
    return None
