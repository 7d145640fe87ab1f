"""Fixtures for the engine's tests (the contexts themselves are in the root conftest.py)."""

import pytest

from recording import record_events


@pytest.fixture
def recorder(sc):
    """An EventRecorder on the shared context, removed after the test."""
    recording = record_events(sc)
    yield recording
    sc.removeSparkListener(recording)
