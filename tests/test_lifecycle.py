"""Cancelling jobs, Ctrl-C, and recording a run to replay it later.

Interrupts and cancellations are triggered from a synchronous listener on the scheduler's own
TaskStarted event, so they land while tasks are really running, without sleeping.
"""

import os
import signal
import threading
import time

import pytest

from minispark.errors import JobCancelledError
from minispark.events import EVENT_TYPES, replay


def slow_identity(x):
    time.sleep(0.3)
    return x


def test_cancel_all_jobs_from_another_thread_keeps_the_context_usable(fresh_context):
    sc = fresh_context("local[2]")
    events = []
    sc.addSparkListener(events.append, synchronous=True)

    def cancel_on_first_task(event):
        if type(event).__name__ == "TaskStarted":
            sc.removeSparkListener(cancel_on_first_task)
            threading.Thread(target=sc.cancelAllJobs).start()

    sc.addSparkListener(cancel_on_first_task, synchronous=True)
    started = time.monotonic()
    with pytest.raises(JobCancelledError):
        sc.parallelize(range(40), 20).map(slow_identity).collect()
    assert time.monotonic() - started < 3, "cancelling waited for the whole job"
    assert [e for e in events if type(e).__name__ == "JobEnded"][-1].succeeded is False
    assert sc.parallelize(range(10), 2).sum() == 45
    assert len(sc._pool.workers) == 2


def test_ctrl_c_during_an_action_cancels_it_and_kills_no_driver(fresh_context):
    sc = fresh_context("local[2]")
    old_pids = {h.pid for h in sc._pool.workers.values()}

    def interrupt_on_first_task(event):
        if type(event).__name__ == "TaskStarted":
            sc.removeSparkListener(interrupt_on_first_task)
            os.kill(os.getpid(), signal.SIGINT)   # what Ctrl-C or a kernel interrupt sends

    sc.addSparkListener(interrupt_on_first_task, synchronous=True)
    # A shell starts background jobs with SIGINT ignored; Python's own handler is what we test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            sc.parallelize(range(40), 20).map(slow_identity).collect()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert sc.parallelize(range(10), 2).sum() == 45
    assert len(sc._pool.workers) == 2
    busy_pids = old_pids - {h.pid for h in sc._pool.workers.values()}
    assert busy_pids, "the workers running the interrupted tasks were not stopped"


def test_an_event_log_replays_the_same_events(fresh_context, tmp_path):
    sc = fresh_context("local[2]", {"spark.eventLog.enabled": "true",
                                    "spark.eventLog.dir": str(tmp_path)})
    live = []
    sc.addSparkListener(live.append)
    sc.faults.fail_task(partition=1)
    pairs = sc.parallelize(range(100), 4).map(lambda x: (x % 3, 1)).reduceByKey(lambda a, b: a + b)
    assert sorted(pairs.collect()) == [(0, 34), (1, 33), (2, 33)]
    sc.stop()
    (log,) = tmp_path.iterdir()
    replayed = []
    events = replay(str(log), replayed.append)
    assert replayed == events
    # The log also holds the WorkerAdded events posted before our listener was added.
    assert live and replayed[-len(live):] == live
    kinds = {type(e).__name__ for e in replayed}
    assert {"JobStarted", "StageSubmitted", "TaskStarted", "TaskEnded", "FaultInjected",
            "JobEnded"} <= kinds
    assert all(type(e).__name__ in EVENT_TYPES for e in replayed)
    failed = [e for e in replayed if type(e).__name__ == "TaskEnded" and e.status == "failed"]
    assert failed and "InjectedFault" in failed[0].error


def test_a_task_starts_only_on_a_worker_that_has_finished_starting(fresh_context):
    # A fresh worker spends ~0.1 s importing Python; a task sent before that would wait in its
    # socket, and the timeline would show the start-up as the task's own time.
    sc = fresh_context("local[2]")
    readiness = []

    def note_readiness(event):
        if type(event).__name__ == "TaskStarted":
            readiness.append(sc._pool.workers[event.worker_id].ready)

    sc.addSparkListener(note_readiness, synchronous=True)
    assert sc.parallelize(range(8), 4).map(lambda x: x + 1).sum() == 36
    sc.faults.kill_worker(0)          # its replacement starts during the next job
    assert sc.parallelize(range(8), 4).map(lambda x: x + 1).sum() == 36
    assert readiness and all(readiness)
