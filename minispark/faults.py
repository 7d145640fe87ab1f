"""Fault injection: break things on purpose, and watch the engine recover.

``sc.faults`` is how lessons, magics and widget buttons cause real failures:

* ``kill_worker(w)`` sends SIGKILL to worker ``w``: a real process death. Its running task is
  retried elsewhere, its cached blocks and shuffle outputs are gone, a new worker replaces it;
* ``slow_worker(w, seconds)``: every task on ``w`` first sleeps that long (a straggler; with
  ``spark.speculation`` on, a copy of its task runs elsewhere and the faster one wins);
* ``fail_task(stage_id=None, partition=None, times=1, worker_id=None)``: the next matching task
  attempts raise ``InjectedFault`` inside the worker, so the task is retried;
* ``chaos(kill_probability, seed)``: at each task launch, kill the worker that got the task with
  that probability. The decision depends only on the seed and the task's (stage, stage attempt,
  partition, attempt), not on timing, so the same program and seed kill the same tasks every
  run and a lesson replays the same story. While chaos is on, partition ``p`` always runs in
  worker slot ``p mod N`` (a replacement worker takes its predecessor's slot) and tasks run in
  waves of one per slot, a dead worker's files disappearing between waves, so what a kill
  destroys, and therefore what must be recomputed, is reproducible too. Third task attempts and third
  stage attempts are spared, so chaos alone cannot make a job fail;
* ``clear()`` ends slow workers, pending task failures and chaos.

Every injected fault is posted as a ``FaultInjected`` event, so a picture can show the cause
next to the recovery. Injected kills do not count against the task's ``maxFailures``.
"""

import random
import threading
import time
from dataclasses import dataclass

from .events import register_event_type

CHAOS_SPARES_FROM_ATTEMPT = 2


@register_event_type
@dataclass(frozen=True)
class FaultInjected:
    kind: str                      # "kill_worker", "slow_worker", "fail_task", "chaos_kill", ...
    time: float
    worker_id: int | None = None
    stage_id: int | None = None
    partition: int | None = None
    detail: str = ""
    value: float | None = None     # seconds for slow_worker, probability for chaos


@dataclass
class _FailRule:
    stage_id: int | None
    partition: int | None
    worker_id: int | None
    remaining: int


class FaultInjector:
    """The ``sc.faults`` object."""

    def __init__(self, pool, bus):
        self._pool = pool
        self._bus = bus
        self._lock = threading.Lock()
        self._fail_rules: list = []
        self._chaos = None              # (probability, seed) or None
        self._slow: dict = {}           # worker id -> seconds

    def kill_worker(self, worker_id: int) -> None:
        """Kill worker ``worker_id`` with SIGKILL (a real process death)."""
        handle = self._require_worker(worker_id)
        self._post("kill_worker", worker_id=worker_id, detail="SIGKILL")
        self._pool.kill(worker_id, f"killed by sc.faults.kill_worker({worker_id})", injected=True)
        # Return once it is dead, so the next job surely sees it lost (not a moment later).
        handle.process.wait(timeout=5)

    def slow_worker(self, worker_id: int, seconds: float) -> None:
        """Make each task on ``worker_id`` take ``seconds`` longer (0 ends it)."""
        handle = self._require_worker(worker_id)
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        self._slow[worker_id] = seconds
        handle.send(("slow", float(seconds)))
        self._post("slow_worker", worker_id=worker_id, detail=f"+{seconds} s per task",
                   value=float(seconds))

    def fail_task(self, stage_id=None, partition=None, times: int = 1, worker_id=None) -> None:
        """Make the next ``times`` task attempts matching stage, partition and worker raise."""
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        if worker_id is not None:
            self._require_worker(worker_id)
        with self._lock:
            self._fail_rules.append(_FailRule(stage_id, partition, worker_id, times))
        self._post("fail_task", worker_id=worker_id, stage_id=stage_id, partition=partition,
                   detail=f"{times} time(s)")

    def chaos(self, kill_probability: float, seed: int = 0) -> None:
        """Kill the worker of each launched task with ``kill_probability``, reproducibly."""
        if not 0 <= kill_probability <= 1:
            raise ValueError(f"kill_probability must be between 0 and 1, got {kill_probability}")
        self._chaos = (kill_probability, seed) if kill_probability > 0 else None
        self._post("chaos", detail=f"p={kill_probability}, seed={seed}", value=kill_probability)

    def clear(self) -> None:
        """Remove every injected fault that is still active."""
        with self._lock:
            self._fail_rules.clear()
        self._chaos = None
        for worker_id in list(self._slow):
            if worker_id in self._pool.workers:
                self._pool.workers[worker_id].send(("slow", 0.0))
        self._slow.clear()
        self._post("clear")

    # ---- hooks the scheduler calls when it launches a task -------------------------------------
    @property
    def deterministic_placement(self) -> bool:
        """True while chaos is on: the scheduler then places tasks by partition number."""
        return self._chaos is not None

    def should_fail(self, stage_id: int, partition: int, worker_id: int) -> bool:
        with self._lock:
            for rule in self._fail_rules:
                if rule.stage_id in (None, stage_id) and rule.partition in (None, partition) \
                        and rule.worker_id in (None, worker_id):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._fail_rules.remove(rule)
                    return True
        return False

    def should_kill(self, stage_id: int, stage_attempt: int, partition: int, attempt: int) -> bool:
        if self._chaos is None or max(attempt, stage_attempt) >= CHAOS_SPARES_FROM_ATTEMPT:
            return False
        probability, seed = self._chaos
        draw = random.Random(f"{seed}/{stage_id}/{stage_attempt}/{partition}/{attempt}").random()
        return draw < probability

    def chaos_kill(self, worker_id: int, stage_id: int, partition: int) -> None:
        self._post("chaos_kill", worker_id=worker_id, stage_id=stage_id, partition=partition)
        self._pool.kill(worker_id, f"killed by sc.faults.chaos at the start of task "
                                   f"{partition} of stage {stage_id}", injected=True)

    def _require_worker(self, worker_id):
        handle = self._pool.workers.get(worker_id)
        if handle is None:
            alive = sorted(self._pool.workers)
            lost = f"; worker {worker_id} was lost earlier" if worker_id in self._pool.lost else ""
            raise ValueError(f"There is no live worker {worker_id}{lost}. Live workers: {alive}")
        return handle

    def _post(self, kind, **fields):
        self._bus.post(FaultInjected(kind, time.time(), **fields))
