"""Fault tolerance: real faults, injected at a chosen moment, never change a job's result.

The fault matrix crosses the kinds of stage (a narrow-only job, the map side of a shuffle, the
result side after a shuffle, a stage reading cached data) with the kinds of fault (a worker
killed with SIGKILL, a worker stopped with SIGSTOP so it hangs, an exception in a task, a lost
shuffle output, a lost cached block). Each combination runs a few seeded trials: the seed picks
the data and which task is hit. Faults are injected from a synchronous listener on the
scheduler's own events (TaskStarted, StageSubmitted), so they land at a known point of the job
without sleeping. After each trial the context is stopped and we check that no worker process
and no file is left behind.
"""

import os
import random
import resource
import signal
import time
from operator import add

import pytest

from minispark import TaskFailedError
from minispark.errors import SparkException

FAST_FAILURE_DETECTION = {
    "spark.executor.heartbeatInterval": "200ms",
    "spark.network.timeout": "1500ms",
    "spark.locality.wait": "100ms",
}

STAGE_KINDS = ["narrow", "shuffle_map", "result_after_shuffle", "reading_cache"]
FAULTS = ["kill", "hang", "exception", "lost_shuffle_output", "lost_cached_block"]
APPLIES = {
    "lost_shuffle_output": {"result_after_shuffle"},
    "lost_cached_block": {"reading_cache"},
}


class FaultAtStage:
    """A synchronous listener that injects one fault into the chosen stage of the next job."""

    def __init__(self, sc, fault, stage_kind, seed):
        self.sc, self.fault, self.stage_kind = sc, fault, stage_kind
        self.rng = random.Random(seed)
        self.target_stage = None
        self.done = False
        self.stopped_pids = []

    def __call__(self, event):
        name = type(event).__name__
        if name == "JobStarted" and self.target_stage is None:
            stages = event.plan["stages"]
            wanted = "ShuffleMapStage" if self.stage_kind == "shuffle_map" else "ResultStage"
            self.target_stage = next(s["stage_id"] for s in stages if s["kind"] == wanted)
            if self.fault == "exception":
                partition = self.rng.randrange(stages[-1]["num_tasks"])
                self.sc.faults.fail_task(stage_id=self.target_stage, partition=partition)
                self.done = True
        elif self.done:
            return
        elif name == "StageSubmitted" and self.fault == "lost_shuffle_output" \
                and event.stage_id == self.target_stage:
            # The map stage is complete; kill a worker holding map outputs before reduces read.
            holders = {s.worker_id for outputs in self.sc._scheduler.map_outputs.values()
                       for s in outputs if s is not None}
            self.sc.faults.kill_worker(self.rng.choice(sorted(holders)))
            self.done = True
        elif name == "TaskStarted" and event.stage_id == self.target_stage \
                and self.fault in ("kill", "hang") and self.rng.random() < 0.5 + 0.5 * (event.partition > 0):
            if self.fault == "kill":
                self.sc.faults.kill_worker(event.worker_id)
            else:
                pid = self.sc._pool.workers[event.worker_id].pid
                os.kill(pid, signal.SIGSTOP)
                self.stopped_pids.append(pid)
            self.done = True


def build_job(sc, stage_kind, seed):
    """Return (rdd, how to run it, expected result) for one trial."""
    rng = random.Random(seed)
    data = [rng.randrange(1000) for _ in range(400)]
    if stage_kind == "narrow":
        rdd = sc.parallelize(data, 6).map(lambda x: x * 3).filter(lambda x: x % 2 == 0)
        return rdd, lambda r: r.collect(), [x * 3 for x in data if x * 3 % 2 == 0]
    expected = {}
    for x in data:
        expected[x % 17] = expected.get(x % 17, 0) + x
    pairs = sc.parallelize(data, 6).map(lambda x: (x % 17, x)).reduceByKey(add, 4)
    if stage_kind in ("shuffle_map", "result_after_shuffle"):
        return pairs, lambda r: sorted(r.collect()), sorted(expected.items())
    cached = sc.parallelize(data, 6).map(lambda x: (x % 17, x)).cache()
    cached.count()   # materialise the cache before the faulty job reads it
    return cached.reduceByKey(add, 4), lambda r: sorted(r.collect()), sorted(expected.items())


def assert_nothing_left(pids, local_dir):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not [p for p in pids if _alive(p)], "worker processes survived sc.stop()"
    assert not os.path.exists(local_dir), "the context's directory survived sc.stop()"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose: its parent (this test process) just has not reaped it.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("stage_kind", STAGE_KINDS)
def test_fault_matrix(fresh_context, stage_kind, fault, seed):
    if stage_kind not in APPLIES.get(fault, set(STAGE_KINDS)):
        pytest.skip(f"{fault} does not apply to a {stage_kind} stage")
    sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
    pids = set()
    sc.addSparkListener(lambda e: pids.add(e.pid) if type(e).__name__ == "WorkerAdded" else None,
                        synchronous=True)
    rdd, run, expected = build_job(sc, stage_kind, seed)
    if fault == "lost_cached_block":
        sc.faults.kill_worker(sorted(sc._pool.workers)[seed % 2])
    injector = FaultAtStage(sc, fault, stage_kind, seed)
    sc.addSparkListener(injector, synchronous=True)

    assert run(rdd) == expected

    events = []
    sc.addSparkListener(events.append)
    sc.listener_bus.wait_until_empty()
    if fault in ("kill", "hang", "lost_shuffle_output"):
        assert injector.done, "the fault was never injected"
    assert len(sc._pool.workers) == 2, "the pool did not keep its size"
    local_dir = sc.local_dir
    for pid in injector.stopped_pids:
        assert not _alive(pid), "a hung worker was not killed"
    sc.stop()
    assert_nothing_left(pids, local_dir)


def test_lost_shuffle_output_resubmits_only_missing_map_partitions(fresh_context):
    sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
    events = []
    sc.addSparkListener(events.append, synchronous=True)
    pairs = sc.parallelize(range(1000), 8).map(lambda x: (x % 10, 1)).reduceByKey(add)
    assert sorted(pairs.collect()) == [(k, 100) for k in range(10)]
    outputs = sc._scheduler.map_outputs[pairs.shuffle_dependency.shuffle_id]
    victim = outputs[0].worker_id
    lost = sorted(i for i, status in enumerate(outputs) if status.worker_id == victim)
    events.clear()
    sc.faults.kill_worker(victim)
    assert sorted(pairs.collect()) == [(k, 100) for k in range(10)]
    job = next(e for e in events if type(e).__name__ == "JobStarted")
    map_stage = next(e for e in events if type(e).__name__ == "StageSubmitted"
                     and e.stage_id != job.final_stage_id)
    assert sorted(map_stage.partitions) == lost   # only what was lost is recomputed


def test_lost_cached_partitions_are_recomputed_and_reported(fresh_context):
    sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
    events = []
    sc.addSparkListener(events.append, synchronous=True)
    cached = sc.parallelize(range(100), 4).map(lambda x: x + 1).cache()
    assert cached.sum() == 5050
    holders = sc._scheduler.blocks.locations
    victim = next(iter(holders.values()))[0]
    lost = sorted(split for (rdd_id, split), (worker, _, _) in holders.items() if worker == victim)
    events.clear()
    sc.faults.kill_worker(victim)
    assert cached.sum() == 5050
    recomputed = sorted(e.partition for e in events if type(e).__name__ == "PartitionRecomputed")
    assert recomputed == lost
    hits = [tuple(hit) for e in events if type(e).__name__ == "TaskEnded"
            for hit in e.metrics.get("cache_hits", [])]
    assert sorted(split for _, split in hits) == sorted(set(range(4)) - set(lost))


def test_busy_worker_that_heartbeats_is_not_killed(fresh_context):
    sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
    events = []
    sc.addSparkListener(events.append, synchronous=True)

    def slow_but_alive(x):
        time.sleep(2.5)   # longer than spark.network.timeout, but the heartbeat thread runs
        return x

    assert sc.parallelize([1, 2], 2).map(slow_but_alive).collect() == [1, 2]
    assert not [e for e in events if type(e).__name__ == "WorkerLost"]


def test_task_timeout_kills_a_task_that_never_returns(fresh_context):
    sc = fresh_context("local[2]", dict(FAST_FAILURE_DETECTION, **{
        "spark.minispark.task.timeout": "1s", "spark.task.maxFailures": 2}))
    with pytest.raises(SparkException, match="spark.minispark.task.timeout"):
        sc.parallelize([1], 1).map(lambda x: time.sleep(60)).collect()
    assert sc.parallelize(range(4)).sum() == 6   # the context is still usable


def test_chaos_is_reproducible_from_its_seed(fresh_context):
    """Same seed, same program: the same workers die at the same tasks, the same stages rerun."""
    stories = []
    for _ in range(2):
        sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
        story = []

        def record(event):
            name = type(event).__name__
            if name == "FaultInjected" and event.kind == "chaos_kill":
                story.append(("kill", event.stage_id, event.partition))
            elif name == "StageSubmitted":
                story.append(("submit", event.stage_id, event.attempt, tuple(sorted(event.partitions))))
            elif name == "TaskEnded":
                story.append(("task", event.stage_id, event.partition, event.attempt, event.status))

        sc.addSparkListener(record, synchronous=True)
        sc.faults.chaos(0.3, seed=11)
        result = sc.parallelize(range(300), 6).map(lambda x: (x % 5, x)).reduceByKey(add).collect()
        assert sorted(result) == sorted((k, sum(x for x in range(300) if x % 5 == k)) for k in range(5))
        first = min(step[1] for step in story)   # stage ids go on counting across contexts
        stories.append(sorted((kind, stage - first, *rest) for kind, stage, *rest in story))
        sc.stop()
    assert any(step[0] == "kill" for step in stories[0])
    assert stories[0] == stories[1]


def test_speculation_beats_a_straggler(fresh_context):
    sc = fresh_context("local[2]", dict(FAST_FAILURE_DETECTION, **{"spark.speculation": "true"}))
    events = []
    sc.addSparkListener(events.append, synchronous=True)
    sc.faults.slow_worker(0, 30)
    assert sc.parallelize(range(8), 8).map(lambda x: x * x).collect() == [x * x for x in range(8)]
    speculative = [e for e in events if type(e).__name__ == "TaskStarted" and e.speculative]
    assert speculative, "no speculative copy was launched"
    sc.faults.clear()


def test_user_error_under_chaos_still_shows_the_users_traceback(fresh_context):
    sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
    sc.faults.chaos(0.3, seed=3)

    def parse(value):
        return int(value)   # fails on "x"

    with pytest.raises(TaskFailedError) as raised:
        sc.parallelize(["1", "2", "x", "4"], 4).map(parse).collect()
    assert "return int(value)   # fails on \"x\"" in str(raised.value)
    assert "ValueError: invalid literal for int()" in str(raised.value)


def test_code_that_kills_its_worker_fails_the_job_with_the_stage_named(fresh_context):
    sc = fresh_context("local[2]", dict(FAST_FAILURE_DETECTION, **{"spark.task.maxFailures": 2}))

    def crash(x):
        os._exit(7)

    with pytest.raises(SparkException, match=r"map at test_fault_tolerance.py:\d+.*exited with code 7"):
        sc.parallelize([1, 2], 2).map(crash).collect()
    assert sc.parallelize([1, 2, 3]).count() == 3
    assert len(sc._pool.workers) == 2


@pytest.mark.slow
def test_soak_hundreds_of_jobs_under_chaos(fresh_context):
    expected = sorted((k, sum(x for x in range(200) if x % 7 == k)) for k in range(7))
    for seed in (1, 2, 3):
        sc = fresh_context("local[2]", FAST_FAILURE_DETECTION)
        sc.faults.chaos(0.05, seed=seed)
        rss_after_warmup = None
        for job in range(100):
            pairs = sc.parallelize(range(200), 4).map(lambda x: (x % 7, x)).reduceByKey(add, 3)
            assert sorted(pairs.collect()) == expected
            assert len(sc._pool.workers) == 2
            if job == 20:
                rss_after_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_after_warmup
        assert grown_kib < 20_000, f"the driver grew by {grown_kib} KiB over 80 jobs"
        assert len(os.listdir(sc.local_dir)) <= 4, "shuffle files of finished jobs pile up"
        sc.stop()
