"""The DAG scheduler: run a job's stages in order, one task per partition, on the worker pool.

The algorithm (Spark's DAGScheduler, small enough to read in one sitting):

1. The planner turns the action's RDD into a ResultStage whose parents are ShuffleMapStages.
2. ``submit_stage`` submits a stage whose parent stages are all *available* (every map output
   exists); otherwise it submits the missing parents first and parks the stage in ``waiting``.
   A parent whose output survives from an earlier job is not run again: it is *skipped*. A
   parent is not needed at all when the RDD that reads it is completely cached.
3. Submitting a stage queues one task per *missing* partition. Whenever a worker is idle, the
   scheduler gives it a queued task, preferring the worker that caches the task's input
   (waiting up to ``spark.locality.wait`` for it), and avoiding the worker a retry failed on.
4. When a task finishes, its result is recorded: a map output is registered by shuffle id, a
   result value is stored. When a stage has no partitions left, it completes, and each waiting
   stage is submitted again (it now has its parents, or submits what is still missing).
5. The job ends when the ResultStage has every partition.

Two recovery paths, with two names, as in Spark:

* **task retry**: a task whose user code raised is queued again (attempt + 1) on another worker,
  up to ``spark.task.maxFailures`` attempts; then the job is aborted with the user's traceback;
* **stage resubmission**: a reduce task that cannot read a map output (``FetchFailed``) means
  that output is lost. The map output is unregistered, the parent ShuffleMapStage is submitted
  again for its *missing partitions only*, and the reduce stage waits until they are back.

A lost worker triggers both: its running task is retried, and its map outputs and cached blocks
are forgotten (recomputed from lineage when needed). A new worker takes its place. These paths
live in :mod:`minispark.recovery`; this module is the normal flow.

State of a job (``JobState``), each a plain field:

* ``waiting``: stages whose parents are not yet available;
* ``running``: stages with tasks queued or running;
* ``queue``: tasks submitted but not launched (with locality preferences);
* ``launched``: task id -> (task, worker id, start time) for tasks running now;
* ``stage_remaining``: stage id -> partitions its current attempt still has to finish;
* ``failures``: (stage id, partition) -> failed attempts so far;
* ``results`` / ``finished``: the result stage's values, by position, and which are done.

>>> sc.parallelize([1, 2, 3], 3).map(lambda x: x * 10).collect()
[10, 20, 30]
"""

import itertools
import os
import pickle
import time
from dataclasses import dataclass, field, replace

from . import events
from .errors import JobCancelledError
from .user_code import stage_binary
from .planner import ShuffleMapStage, StagePlanner, all_stages, describe_plan, shuffle_dependencies_of_stage
from .pool import WorkerDied
from .recovery import Recovery
from .storage import BlockLocations
from .tasks import TaskDescription

# Job, stage and task ids count up for the whole process, not per context, so that pictures
# and logs of a notebook that stops and starts contexts never show two different "job 0"s.
_JOB_IDS, _STAGE_IDS, _TASK_IDS = itertools.count(), itertools.count(), itertools.count()


@dataclass(frozen=True)
class SchedulerSettings:
    max_failures: int = 4                # spark.task.maxFailures
    locality_wait: float = 3.0           # spark.locality.wait (seconds)
    heartbeat_timeout: float = 10.0      # spark.network.timeout: silence before a worker is killed
    task_timeout: float | None = None    # spark.minispark.task.timeout: optional bound per task
    speculation: bool = False            # spark.speculation
    speculation_multiplier: float = 1.5  # spark.speculation.multiplier
    speculation_quantile: float = 0.75   # spark.speculation.quantile


@dataclass
class QueuedTask:
    task: TaskDescription
    preferred_worker: int | None     # the worker caching this task's input, if any
    avoid_worker: int | None         # the worker the previous attempt failed on
    queued_at: float


@dataclass
class JobState:
    job_id: int
    final_stage: object
    results: list
    stages: dict = field(default_factory=dict)           # stage id -> Stage
    waiting: set = field(default_factory=set)            # stage ids waiting for parents
    running: set = field(default_factory=set)            # stage ids with tasks to run
    queue: list = field(default_factory=list)            # QueuedTask, oldest first
    launched: dict = field(default_factory=dict)         # task id -> (task, worker, start)
    stage_remaining: dict = field(default_factory=dict)  # stage id -> partitions left
    failures: dict = field(default_factory=dict)         # (stage, partition) -> failures
    finished: set = field(default_factory=set)           # result positions done
    fetch_failures: dict = field(default_factory=dict)   # stage id -> resubmissions
    durations: dict = field(default_factory=dict)        # stage id -> finished task seconds
    speculated: set = field(default_factory=set)         # task ids that got a copy


class DAGScheduler(Recovery):
    def __init__(self, pool, bus, settings: SchedulerSettings, on_accumulators, faults=None):
        self.pool = pool
        self.bus = bus
        self.settings = settings
        self.max_failures = settings.max_failures
        self.locality_wait = settings.locality_wait
        self.on_accumulators = on_accumulators    # called with {aid: update} per counted task
        self.faults = faults                      # the FaultInjector, consulted at each launch
        self.planner = StagePlanner(_STAGE_IDS)
        self.map_outputs: dict = {}      # shuffle id -> [MapStatus or None] per map partition
        self.blocks = BlockLocations()   # cached partitions -> worker
        self.stage_attempts: dict = {}   # stage id -> latest attempt number
        self.binaries: dict = {}         # stage id -> (binary id, bytes)
        self.shuffle_reads: dict = {}    # stage id -> the shuffle dependencies its tasks read
        self.startup_failures = 0        # workers that died before they were ready
        self.lost_blocks: dict = {}      # (rdd id, partition) -> why its cached block was lost
        self.cancel_reason = None        # set by cancel() from another thread
        self.wait_callback = None        # called on the driver thread while a job waits
        self.running_group = None        # job group of the job running now

    # ---- a job from start to end ----------------------------------------------------------
    def run_job(self, rdd, func, partitions, description, group_id=None) -> list:
        self.tend_pool(0)   # a worker that died just before this job is handled first
        job_id = next(_JOB_IDS)
        final = self.planner.result_stage(rdd, func, partitions, job_id)
        job = JobState(job_id, final, [None] * len(partitions))
        job.stages = {s.stage_id: s for s in all_stages(final)}
        self._post(events.JobStarted(job_id, time.time(), description, final.stage_id,
                                     list(job.stages), describe_plan(final), group_id))
        self.cancel_reason, self.running_group = None, group_id
        try:
            self._submit_stage(job, final)
            for stage_id in job.stages:
                if stage_id not in job.waiting and stage_id not in job.running:
                    # Its shuffle output exists from an earlier job, or cached data replaces it.
                    self._post(events.StageSkipped(stage_id, job_id, time.time()))
            while len(job.finished) < len(job.results):
                self._launch_tasks(job)
                if self.wait_callback is not None:
                    self.wait_callback()   # right after launching: the workers are busy now
                for happened in self.pool.wait(self._wait_timeout(job)):
                    self._handle(job, happened)
                self._check_liveness(job)
                if self.settings.speculation:
                    self._speculate(job)
                if self.cancel_reason is not None:
                    raise JobCancelledError(f"Job {job_id} cancelled: {self.cancel_reason}")
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, JobCancelledError)):
                self._kill_running(job)
            reason = f"{type(error).__name__}: {error}"
            for stage_id in sorted(job.running):   # every started stage gets its end event
                self._post(events.StageCompleted(stage_id, self.stage_attempts[stage_id], job_id,
                                                 time.time(), failure=reason))
            self._post(events.JobEnded(job_id, time.time(), False, reason))
            raise
        finally:
            self.running_group = None
            self._forget_binary(final)
        self._post(events.JobEnded(job_id, time.time(), True))
        return job.results

    def tend_pool(self, timeout: float) -> None:
        """Between jobs: notice dead or hung workers at once, and replace them.

        Results that arrive now belong to jobs that already ended (a cancelled job's tasks);
        they are dropped, which frees their workers.
        """
        between_jobs = JobState(-1, None, [])
        for happened in self.pool.wait(timeout):
            if isinstance(happened, WorkerDied):
                self._worker_lost(between_jobs, happened)
        self._check_liveness(between_jobs)

    def remove_shuffle(self, shuffle_id: int) -> None:
        """Forget a shuffle no RDD can read any more, and delete its map output files."""
        self.planner.shuffle_stages.pop(shuffle_id, None)
        for status in self.map_outputs.pop(shuffle_id, []):
            if status is not None and os.path.exists(status.path):
                os.unlink(status.path)

    def cancel(self, reason: str, group_id=None) -> None:
        """Cancel the running job (of ``group_id``, when given); safe from any thread."""
        if group_id is None or group_id == self.running_group:
            self.cancel_reason = reason
            self.pool.wake()

    def _wait_timeout(self, job):
        # Tasks held back for locality must be looked at again when their wait runs out, and
        # a wait callback (widget clicks in Jupyter) must run often enough to feel immediate.
        if self.wait_callback is not None or (job.queue and self.pool.idle_workers()):
            return 0.05
        return 1.0

    # ---- submitting stages ----------------------------------------------------------------
    def _submit_stage(self, job, stage):
        if stage.stage_id in job.waiting or stage.stage_id in job.running:
            return
        missing = self._missing_parent_stages(job, stage)
        if not missing:
            self._submit_missing_tasks(job, stage)
            return
        # Waiting first: a parent with nothing to run finishes inside this loop, and must find
        # this stage waiting for it.
        job.waiting.add(stage.stage_id)
        for parent in missing:
            self._submit_stage(job, parent)

    def _missing_parent_stages(self, job, stage) -> list:
        missing, seen, stack = [], set(), [stage.rdd]
        while stack:
            rdd = stack.pop()
            if rdd.id() in seen or self._fully_cached(rdd):
                continue   # a completely cached RDD needs nothing below it
            seen.add(rdd.id())
            for dependency in rdd.dependencies:
                if not dependency.is_shuffle:
                    stack.append(dependency.rdd)
                    continue
                parent = self.planner.shuffle_map_stage(dependency, job.job_id)
                job.stages.setdefault(parent.stage_id, parent)
                if not self._available(parent) and parent not in missing:
                    missing.append(parent)
        return missing

    def _fully_cached(self, rdd) -> bool:
        return rdd.is_cached and all(self.blocks.worker_of(rdd.id(), split) is not None
                                     for split in range(rdd.getNumPartitions()))

    def _available(self, stage) -> bool:
        outputs = self.map_outputs.get(stage.shuffle_dependency.shuffle_id)
        return outputs is not None and all(status is not None for status in outputs)

    def _submit_missing_tasks(self, job, stage, reason=""):
        if isinstance(stage, ShuffleMapStage):
            outputs = self.map_outputs.setdefault(stage.shuffle_dependency.shuffle_id,
                                                  [None] * stage.num_tasks)
            partitions = [p for p in range(stage.num_tasks) if outputs[p] is None]
            positions = partitions
        else:
            positions = [i for i in range(len(stage.partitions)) if i not in job.finished]
            partitions = [stage.partitions[i] for i in positions]
        attempt = self.stage_attempts.get(stage.stage_id, -1) + 1
        self.stage_attempts[stage.stage_id] = attempt
        binary_id, _ = self._binary(stage)
        self._post(events.StageSubmitted(stage.stage_id, attempt, job.job_id, time.time(),
                                         stage.name, stage.num_tasks, partitions, reason))
        job.running.add(stage.stage_id)
        job.stage_remaining[stage.stage_id] = set(partitions)
        for position, partition in zip(positions, partitions):
            self._queue_task(job, stage, partition, position, attempt, binary_id, 0, None)
        if not partitions:   # nothing was missing after all (e.g. outputs came back meanwhile)
            self._stage_finished(job, stage)

    def _queue_task(self, job, stage, partition, position, stage_attempt, binary_id, attempt,
                    avoid_worker, speculative=False):
        task = TaskDescription(
            next(_TASK_IDS), job.job_id, stage.stage_id, stage_attempt, partition, attempt,
            "shuffle_map" if isinstance(stage, ShuffleMapStage) else "result", binary_id,
            self._shuffle_inputs(stage), position, speculative=speculative)
        job.queue.append(QueuedTask(task, self._preferred_worker(stage.rdd, partition),
                                    avoid_worker, time.time()))

    def _shuffle_inputs(self, stage) -> dict:
        if stage.stage_id not in self.shuffle_reads:
            self.shuffle_reads[stage.stage_id] = shuffle_dependencies_of_stage(stage.rdd)
        return {dep.shuffle_id: tuple(self.map_outputs.get(dep.shuffle_id, ()))
                for dep in self.shuffle_reads[stage.stage_id]}

    def _preferred_worker(self, rdd, partition):
        """The worker caching this partition of ``rdd`` or of a narrow ancestor, if any."""
        stack = [(rdd, partition)]
        while stack:
            current, split = stack.pop()
            if current.is_cached:
                worker = self.blocks.worker_of(current.id(), split)
                if worker is not None and worker in self.pool.workers:
                    return worker
            for dependency in current.dependencies:
                if not dependency.is_shuffle:
                    stack.extend((dependency.rdd, p) for p in dependency.get_parents(split))
        return None

    def _binary(self, stage):
        if stage.stage_id not in self.binaries:
            binary_id = stage.stage_id
            self.binaries[stage.stage_id] = (binary_id, stage_binary(stage))
        return self.binaries[stage.stage_id]

    def _forget_binary(self, stage):
        self.shuffle_reads.pop(stage.stage_id, None)
        if self.binaries.pop(stage.stage_id, None) is not None:
            self.pool.send_all(("forget_binary", stage.stage_id))
            for handle in self.pool.workers.values():
                handle.binaries.discard(stage.stage_id)

    # ---- launching tasks --------------------------------------------------------------------
    def _launch_tasks(self, job):
        waves = self.faults is not None and self.faults.deterministic_placement
        if waves:
            # Under chaos, tasks run in waves (one per worker slot) so that what a kill destroys
            # never depends on timing: a lost worker's files disappear between waves only.
            if job.launched:
                return
            self.pool.remove_lost_directories()
        # A wave fills every slot at once, a replacement worker still starting included (its
        # task waits in its socket): when a wave starts must not depend on start-up times.
        for handle in sorted(self.pool.idle_workers(starting_too=waves), key=lambda h: h.slot):
            queued = self._pick_task(job, handle.worker_id)
            if queued is None:
                continue
            task = queued.task
            if self.faults is not None and self.faults.should_fail(task.stage_id, task.partition,
                                                                   handle.worker_id):
                task = replace(task, inject_failure=True)
            _, binary = self.binaries[task.stage_id]
            # Chaos counts stages from this context's first, so a rerun in the same process
            # (whose stage ids continue) draws the same kills.
            doomed = self.faults is not None and self.faults.should_kill(
                task.stage_id - self.planner.first_stage_id, task.stage_attempt, task.partition,
                task.attempt)
            if doomed:
                # SIGKILL before the task is sent: it can never run, whatever the timing.
                self.faults.chaos_kill(handle.worker_id, task.stage_id, task.partition)
            if not self.pool.launch(handle.worker_id, task, binary):
                if not doomed:
                    job.queue.insert(0, queued)
                    continue
                handle.running = task   # its death reports this task as lost
            job.launched[task.task_id] = (task, handle.worker_id, time.time())
            self._post(events.TaskStarted(task.task_id, task.stage_id, task.stage_attempt,
                                          task.partition, task.attempt, handle.worker_id,
                                          time.time(), job.job_id, task.speculative))

    def _pick_task(self, job, worker_id):
        now, alive = time.time(), len(self.pool.workers)
        if self.faults is not None and self.faults.deterministic_placement:
            # Under chaos, partition p always runs in worker slot p mod N, so what a kill
            # destroys (the outputs that slot already wrote) is as reproducible as the kill.
            slot = self.pool.workers[worker_id].slot
            for index, queued in enumerate(job.queue):
                if queued.task.partition % alive == slot:
                    return job.queue.pop(index)
            return None
        for index, queued in enumerate(job.queue):
            waited_enough = now - queued.queued_at >= self.locality_wait
            if queued.preferred_worker not in (None, worker_id) and not waited_enough \
                    and queued.preferred_worker in self.pool.workers:
                continue
            if queued.avoid_worker == worker_id and alive > 1 and not waited_enough:
                continue
            return job.queue.pop(index)
        return None

    # ---- what happened ----------------------------------------------------------------------
    def _handle(self, job, happened):
        if isinstance(happened, WorkerDied):
            self._worker_lost(job, happened)
            return
        result = happened
        launched = job.launched.pop(result.task_id, None)
        if launched is None:
            return   # a late result of a task from a job that already ended
        task, worker_id, started = launched
        for rdd_id, split, size, in_memory, _ in result.metrics.cache_stored:
            self.blocks.add(rdd_id, split, worker_id, size, in_memory)
            reason = self.lost_blocks.pop((rdd_id, split), None)
            if reason is not None:
                self._post(events.PartitionRecomputed(rdd_id, split, worker_id, time.time(), reason))
        if result.ok:
            job.durations.setdefault(task.stage_id, []).append(time.time() - started)
        status = "success" if result.ok else ("fetch_failed" if result.fetch_failed else "failed")
        self._post(events.TaskEnded(task.task_id, task.stage_id, task.stage_attempt,
                                    task.partition, task.attempt, worker_id, time.time(),
                                    time.time() - started, status, result.error,
                                    _metrics_dict(result.metrics), job.job_id))
        if result.ok:
            self._task_succeeded(job, task, result)
        elif result.fetch_failed:
            self._fetch_failed(job, task, result)
        else:
            self._task_failed(job, task, worker_id, result)

    def _task_succeeded(self, job, task, result):
        stage = job.stages[task.stage_id]
        remaining = job.stage_remaining.get(task.stage_id, set())
        first_success = task.partition in remaining
        if task.kind == "shuffle_map":
            self.map_outputs[stage.shuffle_dependency.shuffle_id][task.partition] = result.map_status
        elif task.output_index not in job.finished:
            job.results[task.output_index] = pickle.loads(result.value)
            job.finished.add(task.output_index)
        if first_success and result.accumulator_updates:
            self.on_accumulators(result.accumulator_updates)
        remaining.discard(task.partition)
        if task.stage_id in job.running and not remaining:
            self._stage_finished(job, stage)

    def _stage_finished(self, job, stage):
        job.running.discard(stage.stage_id)
        self._post(events.StageCompleted(stage.stage_id, self.stage_attempts[stage.stage_id],
                                         job.job_id, time.time()))
        if isinstance(stage, ShuffleMapStage) and not self._available(stage):
            # Some output was lost while the stage ran (its worker died): run those again.
            self._submit_missing_tasks(job, stage, reason="map outputs lost while running")
            return
        for waiting_id in sorted(job.waiting):
            job.waiting.discard(waiting_id)
            self._submit_stage(job, job.stages[waiting_id])

    def _post(self, event):
        self.bus.post(event)


def _metrics_dict(metrics) -> dict:
    return {
        "records_read": metrics.records_read, "records_written": metrics.records_written,
        "shuffle_bytes_read": metrics.shuffle_bytes_read,
        "shuffle_bytes_written": metrics.shuffle_bytes_written,
        "shuffle_records_written": metrics.shuffle_records_written,
        "spill_bytes": metrics.spill_bytes,
        "cache_hits": [list(k) for k in metrics.cache_hits],
        "cache_stored": [[r, p] for r, p, _, _, _ in metrics.cache_stored],
        "cache_records": [[r, p, n] for r, p, _, _, n in metrics.cache_stored],
        "computed": [list(k) for k in metrics.computed],
    }
