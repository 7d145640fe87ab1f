"""Shared fixtures (at the root, so the doctests in minispark/ get them too).

One context for (almost) everything. Starting workers costs a few hundred milliseconds, so
tests and doctests share one ``local[2]`` context (two workers, like a student's laptop),
created on first use by ``sc``.

Some tests need a context of their own: a special configuration (a tiny spill threshold), or a
context they stop to check what ``stop()`` cleans up. Like PySpark, MiniSpark allows one
active SparkContext per process, so the two cannot coexist. The ``fresh_context`` fixture
therefore *stops* the shared context, gives the test a factory for its own contexts, and stops
those afterwards; the next test that asks for ``sc`` gets a newly started shared context.
Nothing is patched: every context in the test session is a real one, made the public way.

``sc`` is function-scoped so that it can notice that the shared context was stopped; it
returns the same object to every test until then. Hypothesis warns about function-scoped
fixtures because they are not reset between examples; that sharing is exactly what we want
here, so the profile below silences that one health check (and the per-example deadline:
examples run real jobs on real processes, whose timing is not the property under test).

``recorder`` (and ``record_events(context)`` for a context of the test's own) listens to the
event stream, the same stream the progress bar and the Jupyter layer read, so tests assert on
what the scheduler says it did: which stages ran or were skipped, which task ran on which
worker, what each task's metrics were. (They live here, not in a tests/conftest.py, because
``--doctest-modules`` imports every conftest.py under tests/ by its bare name, and two of them
would collide.)
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from minispark import SparkConf, SparkContext, events

# Coursework (notebooks/coursework/): nbval runs the solutions/ like the lessons. The student
# versions in assignments/ are not collected: while their exercises are blank, every grading cell
# raises ExerciseError on purpose (tests/test_coursework.py runs them and checks exactly that).
# Nor is submissions/, where an instructor may put students' work to grade with
# `python -m minispark_widgets.grade`.
collect_ignore_glob = ["notebooks/coursework/assignments/*", "notebooks/coursework/submissions/*"]

settings.register_profile(
    "minispark", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile("minispark")


class SharedContext:
    """The session's shared ``local[2]`` context, started on first use and after a stop."""

    def __init__(self):
        self.context = None

    def get(self) -> SparkContext:
        if self.context is None or self.context._stopped:
            self.context = SparkContext("local[2]", "tests")
        return self.context

    def stop(self) -> None:
        if self.context is not None:
            self.context.stop()
            self.context = None


@pytest.fixture(scope="session")
def _shared_context():
    shared = SharedContext()
    yield shared
    shared.stop()


@pytest.fixture
def sc(_shared_context):
    """The shared ``local[2]`` context (do not stop it; use ``fresh_context`` for that)."""
    return _shared_context.get()


@pytest.fixture
def fresh_context(_shared_context):
    """A factory ``fresh_context(master="local[2]", conf={key: value})`` for the test's own contexts.

    The shared context is stopped first (only one context may be active); every context made
    here is stopped when the test ends, and ``sc`` starts a new shared one when next asked.
    """
    _shared_context.stop()
    made = []

    def make(master="local[2]", conf=None):
        spark_conf = SparkConf().setAll((conf or {}).items())
        context = SparkContext(master, "tests-fresh", conf=spark_conf)
        made.append(context)
        return context

    yield make
    for context in made:
        context.stop()


class EventRecorder:
    """A listener that keeps every event; ``of(kind)`` waits for delivery, then filters."""

    def __init__(self, context):
        self.context = context
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def of(self, kind, **fields) -> list:
        """Delivered events of class ``kind`` whose attributes equal ``fields``."""
        assert self.context.listener_bus.wait_until_empty(), "listener bus did not drain"
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, name) == value for name, value in fields.items())]

    def last_job_id(self) -> int:
        return self.of(events.JobStarted)[-1].job_id


@pytest.fixture
def record_events():
    """A factory ``record_events(context) -> EventRecorder``; the listeners go after the test."""
    started = []

    def start(context):
        recording = EventRecorder(context)
        context.addSparkListener(recording)
        started.append((context, recording))
        return recording

    yield start
    for context, recording in started:
        context.removeSparkListener(recording)


@pytest.fixture
def recorder(sc, record_events):
    """An EventRecorder on the shared context."""
    return record_events(sc)


@pytest.fixture(autouse=True)
def _doctest_sc(request):
    """Doctests in minispark/ use a global ``sc``, as PySpark's do."""
    if isinstance(request.node, pytest.DoctestItem):
        request.node.dtest.globs["sc"] = request.getfixturevalue("sc")


def pytest_configure(config):
    """pyproject.toml's ``--nbval-sanitize-with nbval_sanitize.cfg`` names a file in this folder.

    nbval opens it relative to the current directory, so ``pytest demo.ipynb`` run inside
    notebooks/ would not find it; make the path absolute when it is not found where pytest runs.
    """
    sanitize_with = config.getoption("nbval_sanitize_with", None)
    if sanitize_with and not os.path.exists(sanitize_with):
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize_with)
