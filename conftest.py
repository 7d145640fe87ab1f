"""Shared fixtures (at the root, so the doctests in minispark/ get them too): one context per test session for doctests and most tests.

Starting workers costs a few hundred milliseconds, so tests share one ``local[2]`` context
(two workers, like a student's laptop). Tests that break or stop a context make their own.
"""

import pytest

from minispark import SparkContext


@pytest.fixture(scope="session")
def sc():
    context = SparkContext("local[2]", "tests")
    yield context
    context.stop()


@pytest.fixture(autouse=True)
def _doctest_sc(request):
    """Doctests in minispark/ use a global ``sc``, as PySpark's do."""
    if isinstance(request.node, pytest.DoctestItem):
        request.node.dtest.globs["sc"] = request.getfixturevalue("sc")
