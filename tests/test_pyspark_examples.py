"""PySpark's own docstring examples, run unchanged on MiniSpark.

The examples of the methods MiniSpark implements are stored, verbatim, in
``pyspark_examples/rdd_examples.txt`` (copied from the docstrings of Apache Spark 4.x,
Apache License 2.0; the file names the source files and commits). Each method's examples are one
test case, run as a doctest with the flags MiniSpark's own doctests use (NORMALIZE_WHITESPACE |
ELLIPSIS; PySpark's ``_test()`` uses ELLIPSIS alone, which NORMALIZE_WHITESPACE only loosens).

The globals are what PySpark's ``_test()`` gives its doctests that they rely on: ``sc``, here the
shared context of the root conftest.py. Everything else the examples import themselves, as in
``from pyspark import StorageLevel``. For those imports the test registers an alias, for the
duration of each test only: ``sys.modules["pyspark"]`` is a small stand-in package whose
attributes are the public names of ``minispark`` (``minispark.__all__``: SparkContext,
StorageLevel, Broadcast, Accumulator, AccumulatorParam ...), and ``pyspark.<module>`` for the
modules that exist under the same name in both (``pyspark.accumulators``, ``pyspark.context`` ...)
is the ``minispark`` module itself. The test adds no pyspark file to the repository and installs
nothing (PySpark is not a dependency), and the alias is removed again after each test
(monkeypatch), so no other test can import ``pyspark`` by accident. A name missing from
MiniSpark's top level makes the example's import fail, so the alias checks that MiniSpark is
importable the way PySpark's examples import it.

Two examples show things that only exist because PySpark drives a JVM: the py4j exception type
``py4j.protocol.Py4JJavaError`` (RDD.persist) and the Scala class name ``PythonRDD`` in a debug
string (RDD.toDebugString). Those cases are expected failures, and precisely so: each names its
out-of-scope examples, the test raises :class:`OutOfScope` only when exactly those fail (and one
that expects an exception did raise one, of MiniSpark's type), and the xfail mark accepts only
that exception. Any other failing example in such a case fails the test; if the out-of-scope
examples start to pass, the strict xfail fails too.
"""

import doctest
import importlib
import sys
import types
from pathlib import Path

import pytest

import minispark

EXAMPLES_FILE = Path(__file__).parent / "pyspark_examples" / "rdd_examples.txt"
OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

# Modules of the same name and role in PySpark and MiniSpark: `import pyspark.<name>` gives the
# MiniSpark module. (Spark 4 also has them under pyspark.core.*, which no example here uses.)
SAME_MODULES = ["accumulators", "broadcast", "conf", "context", "rdd", "resultiterable",
                "storagelevel", "taskcontext"]


class OutOfScope(Exception):
    """Exactly the examples of a case that need a JVM (or Hadoop) failed, and nothing else."""


# Method -> (reason, markers). A marker is a string found in the source or the expected output of
# each example that is out of scope; those examples, and only those, must fail.
OUT_OF_SCOPE = {
    "RDD.persist": (
        "expects the JVM's exception type py4j.protocol.Py4JJavaError when a storage level is "
        "overridden (MiniSpark raises minispark.errors.SparkException, with Spark's message)",
        ["py4j.protocol.Py4JJavaError"],
    ),
    "RDD.toDebugString": (
        "expects the JVM class name PythonRDD, the Scala RDD that runs Python functions in "
        "PySpark; MiniSpark has no JVM side",
        ["PythonRDD"],
    ),
}


def load_sections(path=EXAMPLES_FILE):
    """``{"Class.method": (doctest text, line number of its first line in the file)}``."""
    sections, name, start, lines = {}, None, 0, []
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(text):
        if line.startswith("=== "):
            if name is not None:
                sections[name] = ("".join(lines), start)
            name, start, lines = line[4:].strip(), number + 1, []
        elif name is not None:
            lines.append(line)
    if name is not None:
        sections[name] = ("".join(lines), start)
    return sections


SECTIONS = load_sections()


def cases():
    for name in SECTIONS:
        if name in OUT_OF_SCOPE:
            reason, _ = OUT_OF_SCOPE[name]
            mark = pytest.mark.xfail(strict=True, raises=OutOfScope, reason=reason)
            yield pytest.param(name, id=name, marks=mark)
        else:
            yield pytest.param(name, id=name)


@pytest.fixture
def pyspark_alias(monkeypatch):
    """Make ``import pyspark`` (and ``pyspark.<module>``) give MiniSpark, for this test only."""
    package = types.ModuleType("pyspark", "MiniSpark under PySpark's name, for PySpark's examples.")
    package.__path__ = []          # a package: submodules are looked up in sys.modules only
    for name in minispark.__all__:
        setattr(package, name, getattr(minispark, name))
    monkeypatch.setitem(sys.modules, "pyspark", package)
    for name in SAME_MODULES:
        module = importlib.import_module(f"minispark.{name}")
        setattr(package, name, module)
        monkeypatch.setitem(sys.modules, f"pyspark.{name}", module)
    return package


class RecordingRunner(doctest.DocTestRunner):
    """A DocTestRunner that also keeps the failing examples, with what each one gave instead."""

    def __init__(self):
        super().__init__(optionflags=OPTIONFLAGS, verbose=False)
        self.failed = []            # (example, output; with a traceback if it raised)

    def report_failure(self, out, test, example, got):
        self.failed.append((example, got))
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(self, out, test, example, exc_info):
        self.failed.append((example, "Traceback (most recent call last):\n"))
        super().report_unexpected_exception(out, test, example, exc_info)


def run_examples(name, sc):
    """Run the examples of ``name``; return (failures as (example, got), doctest's report)."""
    text, first_line = SECTIONS[name]
    # Like PySpark's _test(): `sc` in the globals, nothing else the examples need. The module
    # name is not importable, so functions the examples define are pickled by value.
    globs = {"sc": sc, "__name__": "pyspark_examples"}
    test = doctest.DocTestParser().get_doctest(text, globs, name, str(EXAMPLES_FILE), first_line)
    runner = RecordingRunner()
    report = []
    runner.run(test, out=report.append, clear_globs=True)
    return runner.failed, "".join(report)


def is_marked(example, markers):
    text = example.source + example.want + (example.exc_msg or "")
    return any(marker in text for marker in markers)


def out_of_scope_failure(example, got):
    """The example failed only in what needs a JVM: where it expects an exception, it raised one
    (of another type: MiniSpark has no py4j), so only the exception's type and text differ."""
    return example.exc_msg is None or "Traceback (most recent call last)" in got


@pytest.mark.parametrize("name", list(cases()))
def test_pyspark_examples(name, sc, pyspark_alias):
    failures, report = run_examples(name, sc)
    if name in OUT_OF_SCOPE:
        reason, markers = OUT_OF_SCOPE[name]
        out_of_scope = [example for example in doctest.DocTestParser().get_examples(
            SECTIONS[name][0]) if is_marked(example, markers)]
        assert out_of_scope, f"no example of {name} matches the markers {markers}"
        in_scope_failures = [(example, got) for example, got in failures
                             if not (is_marked(example, markers)
                                     and out_of_scope_failure(example, got))]
        assert not in_scope_failures, f"PySpark's examples of {name} failed on MiniSpark:\n{report}"
        if len(failures) == len(out_of_scope):
            raise OutOfScope(f"{reason}:\n{report}")
        # Some out-of-scope example passed: no OutOfScope, so the strict xfail reports it.
        return
    assert not failures, f"PySpark's examples of {name} failed on MiniSpark:\n{report}"


def test_every_method_of_the_issue_has_its_examples():
    """The data file holds the examples of each method the issue lists (those that have any)."""
    context_methods = ["parallelize", "range", "textFile", "wholeTextFiles", "emptyRDD", "union",
                       "broadcast", "accumulator", "runJob"]
    rdd_methods = """map flatMap filter mapPartitions mapPartitionsWithIndex mapValues
        flatMapValues keys values keyBy glom sample randomSplit distinct union intersection
        subtract subtractByKey cartesian zip zipWithIndex zipWithUniqueId groupBy groupByKey
        reduceByKey foldByKey aggregateByKey combineByKey sortByKey sortBy join leftOuterJoin
        rightOuterJoin fullOuterJoin cogroup partitionBy repartition coalesce pipe collect count
        first take takeSample takeOrdered top reduce fold aggregate treeReduce treeAggregate sum
        mean max min stdev variance histogram countByKey countByValue collectAsMap lookup
        foreach foreachPartition isEmpty saveAsTextFile cache persist unpersist getStorageLevel
        localCheckpoint id name setName getNumPartitions context toDebugString""".split()
    # RDD.stats, RDD.is_cached and RDD.partitioner are in the issue's list too, but their
    # PySpark docstrings have no examples (is_cached is used in those of persist and unpersist).
    expected = [f"SparkContext.{m}" for m in context_methods] + [f"RDD.{m}" for m in rdd_methods]
    assert list(SECTIONS) == expected
    for name, (text, _) in SECTIONS.items():
        assert doctest.DocTestParser().get_examples(text), f"{name} has no examples"


def test_the_imports_of_pyspark_examples_resolve_to_minispark(pyspark_alias):
    """The import forms PySpark's documentation uses, through the alias, give MiniSpark's classes
    (the accumulators module's own example imports AccumulatorParam from pyspark.accumulators)."""
    from pyspark import Accumulator, AccumulatorParam, Broadcast, SparkConf, SparkContext
    from pyspark import StorageLevel
    from pyspark.accumulators import AccumulatorParam as ModuleAccumulatorParam
    from pyspark.context import SparkContext as ModuleSparkContext

    assert (Accumulator, AccumulatorParam, Broadcast, SparkConf, SparkContext, StorageLevel) == (
        minispark.Accumulator, minispark.AccumulatorParam, minispark.Broadcast,
        minispark.SparkConf, minispark.SparkContext, minispark.StorageLevel)
    assert ModuleAccumulatorParam is AccumulatorParam and ModuleSparkContext is SparkContext
