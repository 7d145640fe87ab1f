"""A worker killed mid-job (pool.py, scheduler.py): the job still returns the right answer.

The kill is a real SIGKILL, sent by a synchronous listener at the moment the scheduler reports
that a chosen task started, so the worker dies while it runs that task, every time.
"""

import os
import signal
import time

import pytest

from minispark import events


class KillWorkerWhenTaskStarts:
    """A synchronous listener: SIGKILL the worker that starts ``partition`` of the n-th stage.

    Synchronous listeners see events in order, as they are posted, so counting StageSubmitted
    events here tells which stage a task belongs to (``stage_number`` 1 is the first submitted).
    """

    def __init__(self, context, partition, stage_number=1):
        self.context = context
        self.partition = partition
        self.stage_number = stage_number
        self.stages_submitted = []
        self.killed = []   # (worker id, pid)

    def __call__(self, event):
        if isinstance(event, events.StageSubmitted):
            self.stages_submitted.append(event.stage_id)
        if not isinstance(event, events.TaskStarted) or self.killed:
            return
        if len(self.stages_submitted) < self.stage_number:
            return
        if (event.stage_id, event.partition) != (self.stages_submitted[self.stage_number - 1],
                                                 self.partition):
            return
        pid = self.context._pool.workers[event.worker_id].pid
        os.kill(pid, signal.SIGKILL)
        self.killed.append((event.worker_id, pid))


@pytest.fixture
def killer(sc):
    listeners = []

    def install(partition, stage_number=1):
        listener = KillWorkerWhenTaskStarts(sc, partition, stage_number)
        sc.addSparkListener(listener, synchronous=True)
        listeners.append(listener)
        return listener

    yield install
    for listener in listeners:
        sc.removeSparkListener(listener)


def slow_identity(x):
    time.sleep(0.3)
    return x


def slow_square(x):
    time.sleep(0.2)
    return x * x


def test_a_job_survives_a_killed_worker(sc, recorder, killer):
    before = set(sc._pool.workers)
    kill = killer(partition=2)
    assert sc.parallelize(range(8), 8).map(slow_square).collect() == [x * x for x in range(8)]

    assert len(kill.killed) == 1
    dead_worker, dead_pid = kill.killed[0]
    job = recorder.last_job_id()
    lost = recorder.of(events.WorkerLost)
    assert [e.worker_id for e in lost] == [dead_worker]
    added = [e for e in recorder.of(events.WorkerAdded) if e.worker_id not in before]
    assert len(added) == 1 and added[0].pid != dead_pid
    assert len(sc._pool.workers) == len(before)
    assert dead_worker not in sc._pool.workers and added[0].worker_id in sc._pool.workers

    lost_task = recorder.of(events.TaskEnded, job_id=job, status="worker_lost")
    assert [(e.partition, e.attempt) for e in lost_task] == [(2, 0)]
    retried = recorder.of(events.TaskEnded, job_id=job, partition=2, status="success")
    assert [e.attempt for e in retried] == [1]
    assert recorder.of(events.JobEnded, job_id=job)[0].succeeded


def test_map_outputs_lost_with_a_worker_are_recomputed(sc, recorder, killer):
    data = [(i % 5, 1) for i in range(100)]
    pairs = sc.parallelize(data, 4).map(lambda kv: kv)
    counts = pairs.reduceByKey(lambda a, b: a + b, 2).mapValues(lambda v: (time.sleep(0.2), v)[1])
    # Kill the worker of the first *reduce* task: by then every map output exists, and the
    # dead worker takes its share of them along.
    kill = killer(partition=0, stage_number=2)
    assert sorted(counts.collect()) == [(k, 20) for k in range(5)]

    assert len(kill.killed) == 1
    job = recorder.last_job_id()
    blocks_lost = recorder.of(events.BlocksLost)
    assert len(blocks_lost) == 1 and blocks_lost[0].map_outputs, "the dead worker had map outputs"
    submitted = recorder.of(events.StageSubmitted, job_id=job)
    map_stage = submitted[0].stage_id
    assert any(s.stage_id == map_stage and s.attempt >= 1 for s in submitted), \
        "the map stage was not resubmitted for its lost outputs"
    assert len(sc._pool.workers) == 2


def test_the_context_works_normally_after_a_worker_death(sc, killer):
    killer(partition=0)
    assert sc.parallelize(range(4), 4).map(slow_square).sum() == 14
    assert sorted(sc.parallelize(["a", "b", "a"], 3).map(lambda w: (w, 1))
                  .reduceByKey(lambda a, b: a + b).collect()) == [("a", 2), ("b", 1)]


class KillOneSlowTheOther:
    """When reduce partition 0 starts: SIGKILL its worker, and make the other worker slow.

    The other worker then runs reduce partition 1 of the *first* stage attempt only after the
    dead worker's files are gone, so that task reports a fetch failure late: after the map
    stage was already resubmitted and its lost outputs recomputed.
    """

    def __init__(self, context):
        self.context = context
        self.stages = []
        self.done = False

    def __call__(self, event):
        if isinstance(event, events.StageSubmitted):
            self.stages.append(event.stage_id)
        if self.done or not isinstance(event, events.TaskStarted) or len(self.stages) < 2:
            return
        if (event.stage_id, event.partition) == (self.stages[1], 0):
            self.done = True
            other = next(w for w in self.context._pool.workers if w != event.worker_id)
            self.context.faults.slow_worker(other, 0.6)
            os.kill(self.context._pool.workers[event.worker_id].pid, signal.SIGKILL)


def test_a_late_fetch_failure_from_an_old_attempt_does_not_undo_recovery(fresh_context):
    """Spark ignores fetch failures of older stage attempts; so must we, or recovery repeats."""
    context = fresh_context("local[2]")
    seen = []
    context.addSparkListener(KillOneSlowTheOther(context), synchronous=True)
    context.addSparkListener(seen.append, synchronous=True)
    pairs = context.parallelize([(i % 5, 1) for i in range(100)], 4)
    # Slow reduce tasks: the job still runs when the late failure arrives.
    counts = pairs.reduceByKey(lambda a, b: a + b, 2).mapValues(slow_identity)
    assert sorted(counts.collect()) == [(k, 20) for k in range(5)]
    context.faults.clear()

    map_stage = next(e.stage_id for e in seen if isinstance(e, events.StageSubmitted))
    map_attempts = [e.attempt for e in seen
                    if isinstance(e, events.StageSubmitted) and e.stage_id == map_stage]
    assert any(isinstance(e, events.TaskEnded) and e.status == "fetch_failed" for e in seen)
    assert map_attempts == [0, 1]   # the lost outputs are recomputed once
