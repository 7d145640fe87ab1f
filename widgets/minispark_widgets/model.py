"""The explorer's model: what happened, rebuilt from the scheduler's events only.

Every picture in the Jupyter layer is drawn from this model, and the model is fed by nothing but
events (live from ``sc.addSparkListener``, or replayed from an event log). So what a student sees
is what the engine did: a stage turns red because a ``StageCompleted`` said it failed, a task
cell shows worker 1 because a ``TaskStarted`` said so.

State (each a plain field, updated under one lock by ``__call__(event)``):

* ``jobs``: job id -> JobView (description, plan, status);
* ``stages``: stage id -> StageView (state, attempts, one TaskCell per partition);
* ``workers``: worker id -> WorkerView (alive / busy / lost, its running task);
* ``attempts``: every task attempt with start, end, worker and status (for the timeline);
* ``partitions``: rdd id -> partition -> PartitionView (times computed, where cached);
* ``messages``: what happened, in plain words, newest last;
* ``stage_metrics``: shuffle records and bytes per stage (``minispark.metrics.StageMetrics``);
* ``version``: bumped by every event, so views redraw only when something changed.

>>> from minispark import events
>>> model = ExplorerModel()
>>> model(events.WorkerAdded(0, 4242, 0.0))
>>> model(events.WorkerLost(0, 1.0, "killed by sc.faults.kill_worker(0)"))
>>> model.workers[0].state, model.messages[-1]
('lost', 'Worker 0 was lost: killed by sc.faults.kill_worker(0).')
"""

import threading
from collections import deque
from dataclasses import dataclass, field

from minispark.metrics import StageMetrics

STAGE_STATES = ("pending", "running", "done", "failed", "skipped", "resubmitted")


@dataclass
class TaskCell:
    state: str = "pending"          # pending, running, done, failed, lost
    worker_id: int | None = None
    attempt: int = 0
    speculative: bool = False
    error: str | None = None


@dataclass
class StageView:
    stage_id: int
    name: str
    kind: str
    num_tasks: int
    state: str = "pending"
    attempts: int = 0               # submissions so far; >1 means it was resubmitted
    tasks: dict = field(default_factory=dict)   # partition -> TaskCell


@dataclass
class JobView:
    job_id: int
    description: str
    plan: dict
    final_stage_id: int
    start: float
    end: float | None = None
    status: str = "running"         # running, succeeded, failed
    error: str | None = None


@dataclass
class WorkerView:
    worker_id: int
    pid: int | None = None
    state: str = "alive"            # alive, busy, lost
    running: tuple | None = None    # (stage id, partition) it is running
    reason: str | None = None       # why it was lost
    slow: float = 0.0               # seconds added per task by sc.faults.slow_worker


@dataclass
class PartitionView:
    computed: int = 0               # times this partition was computed (not read from cache)
    cached_on: int | None = None    # worker caching it, if any
    records: int | None = None    # known when the partition was cached (the block store counts)


class ExplorerModel:
    """Scheduler events in, explorer state out. Call it with each event."""

    def __init__(self, job_id: int | None = None, max_messages: int = 200):
        self.job_id = job_id          # follow one job only (a per-job explorer), or all
        self.lock = threading.RLock()
        self.version = 0
        self.jobs: dict = {}
        self.stages: dict = {}
        self.workers: dict = {}
        self.attempts: list = []
        self.partitions: dict = {}
        self.messages: deque = deque(maxlen=max_messages)
        self._running: dict = {}      # task id -> index in attempts
        # What each stage's shuffles moved, added up by the engine's own listener.
        self.stage_metrics = StageMetrics(None)

    # ---- reading --------------------------------------------------------------------------
    @property
    def last_job(self) -> JobView | None:
        return self.jobs[max(self.jobs)] if self.jobs else None

    def stage_states(self) -> dict:
        return {stage_id: stage.state for stage_id, stage in self.stages.items()}

    def cached_rdds(self) -> set:
        return {rdd for rdd, parts in self.partitions.items()
                if any(p.cached_on is not None for p in parts.values())}

    # ---- events in --------------------------------------------------------------------------
    def __call__(self, event) -> None:
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            return
        if self.job_id is not None and getattr(event, "job_id", self.job_id) not in (self.job_id, -1):
            return
        with self.lock:
            handler(event)
            self.stage_metrics(event)
            self.version += 1

    def _on_JobStarted(self, e):
        self.jobs[e.job_id] = JobView(e.job_id, e.description, e.plan, e.final_stage_id, e.time)
        for stage in e.plan["stages"]:
            view = self.stages.get(stage["stage_id"])
            if view is None or view.state in ("done", "skipped"):
                self.stages[stage["stage_id"]] = StageView(
                    stage["stage_id"], stage["name"], stage["kind"], stage["num_tasks"],
                    tasks={p: TaskCell() for p in range(stage["num_tasks"])})
        if e.job_id < 0:   # %minispark dag: a plan drawn, never run
            self._say(e.description[:1].upper() + e.description[1:] + ".")
        else:
            self._say(f"Job {e.job_id} started: {e.description}.")

    def _on_JobEnded(self, e):
        job = self.jobs.get(e.job_id)
        if job is None:
            return
        job.end, job.status, job.error = e.time, "succeeded" if e.succeeded else "failed", e.error
        if e.succeeded:
            self._say(f"Job {e.job_id} succeeded.")
        else:
            self._say(f"Job {e.job_id} failed: {_first_line(e.error)}")

    def _on_StageSkipped(self, e):
        stage = self.stages.get(e.stage_id)
        if stage is not None and stage.state == "pending":
            stage.state = "skipped"
            self._say(f"Stage {e.stage_id} skipped: its shuffle output exists from an earlier job.")

    def _on_StageSubmitted(self, e):
        stage = self.stages.setdefault(e.stage_id, StageView(e.stage_id, e.name, "", e.num_tasks))
        stage.attempts += 1
        stage.state = "running" if e.attempt == 0 else "resubmitted"
        for partition in e.partitions:
            stage.tasks[partition] = TaskCell()
        if e.attempt:
            reason = f": {e.reason}" if e.reason else ""
            self._say(f"Stage {e.stage_id} resubmitted (attempt {e.attempt}) for partitions "
                      f"{sorted(e.partitions)}{reason}.")

    def _on_StageCompleted(self, e):
        stage = self.stages.get(e.stage_id)
        if stage is None:
            return
        if e.failure is None:
            stage.state = "done"
        else:
            stage.state = "failed"
            self._say(f"Stage {e.stage_id} attempt {e.attempt} failed: {_first_line(e.failure)}")

    def _on_TaskStarted(self, e):
        stage = self.stages.get(e.stage_id)
        if stage is not None:
            stage.tasks[e.partition] = TaskCell("running", e.worker_id, e.attempt, e.speculative)
        worker = self.workers.setdefault(e.worker_id, WorkerView(e.worker_id))
        worker.state, worker.running = "busy", (e.stage_id, e.partition)
        self._running[e.task_id] = len(self.attempts)
        self.attempts.append({"task_id": e.task_id, "job_id": e.job_id, "worker_id": e.worker_id,
                              "stage_id": e.stage_id, "partition": e.partition,
                              "attempt": e.attempt, "start": e.time, "end": None,
                              "status": "running", "speculative": e.speculative})
        if e.speculative:
            self._say(f"Task {e.partition} of stage {e.stage_id} is slow: a speculative copy "
                      f"started on worker {e.worker_id}.")

    def _on_TaskEnded(self, e):
        index = self._running.pop(e.task_id, None)
        if index is not None:
            self.attempts[index].update(end=e.time, status=e.status)
        worker = self.workers.get(e.worker_id)
        if worker is not None and worker.state == "busy" and worker.running == (e.stage_id, e.partition):
            worker.state, worker.running = "alive", None
        stage = self.stages.get(e.stage_id)
        cell = stage.tasks.get(e.partition) if stage else None
        metrics = e.metrics or {}
        if cell is not None and cell.state != "done":
            cell.worker_id, cell.attempt = e.worker_id, e.attempt
            cell.state = {"success": "done", "worker_lost": "lost"}.get(e.status, "failed")
            cell.error = e.error
        for rdd_id, partition in metrics.get("computed", []):
            self._partition(rdd_id, partition).computed += 1
        for rdd_id, partition in metrics.get("cache_stored", []):
            self._partition(rdd_id, partition).cached_on = e.worker_id
        for rdd_id, partition, records in metrics.get("cache_records", []):
            self._partition(rdd_id, partition).records = records
        if e.status == "failed":
            self._say(f"Task {e.partition} of stage {e.stage_id} failed on worker {e.worker_id} "
                      f"(attempt {e.attempt}): {_first_line(e.error)}")
        elif e.status == "fetch_failed":
            self._say(f"Task {e.partition} of stage {e.stage_id} could not read a shuffle "
                      "output: the map stage must recompute what was lost.")

    def _on_WorkerAdded(self, e):
        replacing = any(w.state == "lost" for w in self.workers.values())
        self.workers[e.worker_id] = WorkerView(e.worker_id, e.pid)
        if replacing:
            self._say(f"Worker {e.worker_id} started to keep the pool at full size.")

    def _on_WorkerLost(self, e):
        worker = self.workers.setdefault(e.worker_id, WorkerView(e.worker_id))
        worker.state, worker.running, worker.reason = "lost", None, e.reason
        self._say(f"Worker {e.worker_id} was lost: {e.reason}.")

    def _on_BlocksLost(self, e):
        for rdd_id, partition in e.cached_blocks:
            self._partition(rdd_id, partition).cached_on = None
        if e.cached_blocks or e.map_outputs:
            self._say(f"With worker {e.worker_id} went {len(e.cached_blocks)} cached "
                      f"partition(s) and {len(e.map_outputs)} shuffle output(s); lineage "
                      "will recompute them when they are needed.")

    def _on_PartitionRecomputed(self, e):
        self._partition(e.rdd_id, e.partition).cached_on = e.worker_id
        self._say(f"Partition {e.partition} of RDD {e.rdd_id} was recomputed from its lineage "
                  f"on worker {e.worker_id} ({e.reason}).")

    def _on_FaultInjected(self, e):
        if e.kind == "slow_worker" and e.worker_id in self.workers:
            self.workers[e.worker_id].slow = e.value or 0.0
        self._say(_describe_fault(e))

    def _partition(self, rdd_id, partition) -> PartitionView:
        return self.partitions.setdefault(rdd_id, {}).setdefault(partition, PartitionView())

    def _say(self, message: str):
        self.messages.append(message)


def _first_line(text) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else "unknown error"


def _describe_fault(e) -> str:
    if e.kind == "kill_worker":
        return f"Fault injected: worker {e.worker_id} killed with SIGKILL."
    if e.kind == "slow_worker":
        return f"Fault injected: worker {e.worker_id} slowed down ({e.detail})."
    if e.kind == "fail_task":
        where = " and ".join(part for part in (
            f"stage {e.stage_id}" if e.stage_id is not None else "",
            f"partition {e.partition}" if e.partition is not None else "",
            f"worker {e.worker_id}" if e.worker_id is not None else "") if part) or "any task"
        return f"Fault injected: the next attempt(s) of {where} will fail ({e.detail})."
    if e.kind == "chaos":
        return f"Chaos on: workers may be killed at task starts ({e.detail})."
    if e.kind == "chaos_kill":
        return (f"Chaos killed worker {e.worker_id} as it started task {e.partition} "
                f"of stage {e.stage_id}.")
    if e.kind == "clear":
        return "All injected faults cleared."
    return f"Fault injected: {e.kind} {e.detail}".strip()
