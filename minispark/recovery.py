"""Recovery: what the scheduler does when something goes wrong, in Spark's two named paths.

* **Task retry** (``_task_failed`` -> ``_retry``): a task whose user code raised is queued again
  as the next attempt of the same partition, on another worker when there is one, up to
  ``spark.task.maxFailures`` attempts; then the job is aborted with the user's own traceback.
* **Stage resubmission** (``_fetch_failed``): a reduce task that cannot read a map output proves
  that output lost. The scheduler forgets it, parks the reading stage, and resubmits the parent
  ShuffleMapStage for its *missing partitions only*; the reading stage runs again when they
  are back. A failure reported by an older attempt, or about an output recomputed since, is
  ignored, so a late report cannot undo a recovery.

A **lost worker** (``_worker_lost``: its socket closed, or it was killed for missing heartbeats)
triggers both: the task it ran is retried, its cached blocks and map outputs are forgotten (the
next reader recomputes them from lineage, or fails a fetch), and a new worker takes its place.
Deaths the program caused count against the task's attempts; injected faults and hangs do not.

Also here: heartbeat and task-timeout checks (``_check_liveness``), speculative copies of
stragglers (``_speculate``), cancelling a job (``_kill_running``) and watching the pool between
jobs (``tend_pool``). These are methods of :class:`~minispark.scheduler.DAGScheduler`, kept in a
module of their own so that each of the two files reads in one sitting.
"""

import time

from . import events
from .errors import SparkException
from .planner import ShuffleMapStage
from .pool import WorkerDied
from .speculation import stragglers
from .user_code import abort_error

MAX_CONSECUTIVE_STAGE_ATTEMPTS = 4   # spark.stage.maxConsecutiveAttempts


class Recovery:
    """Task retries, stage resubmission and lost workers; mixed into the DAGScheduler."""

    def _check_liveness(self, job):
        """Kill workers that stopped heartbeating, and tasks past the optional task timeout."""
        timeout = self.settings.heartbeat_timeout
        for worker_id in self.pool.unresponsive(timeout):
            self.pool.kill(worker_id, f"worker {worker_id} sent no heartbeat for {timeout:g} s "
                                      "(hung or stopped)", injected=True)
        limit = self.settings.task_timeout
        if limit is None:
            return
        now = time.time()
        for task, worker_id, started in list(job.launched.values()):
            if now - started > limit:
                self.pool.kill(worker_id, f"task {task.partition} of stage {task.stage_id} ran "
                                          f"longer than spark.minispark.task.timeout={limit:g} s")

    def _speculate(self, job):
        now = time.time()
        for stage_id in list(job.running):
            running = {t.task_id: now - started for t, _, started in job.launched.values()
                       if t.stage_id == stage_id and t.task_id not in job.speculated
                       and t.partition in job.stage_remaining.get(stage_id, ())}
            slow = stragglers(running, job.durations.get(stage_id, []),
                              job.stages[stage_id].num_tasks,
                              self.settings.speculation_multiplier,
                              self.settings.speculation_quantile)
            for task_id in slow:
                task, worker_id, _ = job.launched[task_id]
                job.speculated.add(task_id)
                self._queue_task(job, job.stages[stage_id], task.partition, task.output_index,
                                 task.stage_attempt, task.binary_id, task.attempt + 1, worker_id,
                                 speculative=True)

    def _task_failed(self, job, task, worker_id, result):
        key = (task.stage_id, task.partition)
        job.failures[key] = job.failures.get(key, 0) + 1
        if job.failures[key] >= self.max_failures:
            raise abort_error(task, worker_id, result, job.failures[key])
        self._retry(job, task, worker_id)

    def _retry(self, job, task, worker_id):
        """Task retry: the same partition again, attempt + 1, preferably on another worker."""
        stage = job.stages[task.stage_id]
        if task.stage_id not in job.running:
            return   # the stage was resubmitted meanwhile; the new attempt covers it
        self._queue_task(job, stage, task.partition, task.output_index, task.stage_attempt,
                         task.binary_id, task.attempt + 1, worker_id)

    def _fetch_failed(self, job, task, result):
        """Stage resubmission: rerun the lost map tasks, then this stage's missing partitions."""
        shuffle_id, map_id = result.fetch_failed
        outputs = self.map_outputs.get(shuffle_id)
        given = task.shuffle_inputs.get(shuffle_id, ())
        # Forget the map output only if it is the one this task was told to read: a late
        # failure must not undo an output that was recomputed meanwhile.
        if outputs and 0 <= map_id < len(given) and outputs[map_id] == given[map_id]:
            outputs[map_id] = None
        if task.stage_attempt != self.stage_attempts.get(task.stage_id):
            return   # a task of an older attempt of this stage: the current attempt covers it
        stage = job.stages[task.stage_id]
        if task.stage_id in job.running:
            job.running.discard(task.stage_id)
            job.queue = [q for q in job.queue if q.task.stage_id != task.stage_id]
            self._post(events.StageCompleted(task.stage_id, task.stage_attempt, job.job_id,
                                             time.time(), failure=result.error))
            count = job.fetch_failures.get(task.stage_id, 0) + 1
            job.fetch_failures[task.stage_id] = count
            if count > MAX_CONSECUTIVE_STAGE_ATTEMPTS:
                raise SparkException(f"Stage {task.stage_id} failed {count} times because of "
                                     f"lost shuffle output: {result.error}")
        job.waiting.add(stage.stage_id)
        parent = self.planner.shuffle_stages[shuffle_id]
        job.stages.setdefault(parent.stage_id, parent)
        if parent.stage_id not in job.running and parent.stage_id not in job.waiting:
            self._submit_stage(job, parent)

    def _worker_lost(self, job, died):
        reason = died.reason or f"worker {died.worker_id} exited with code {died.exit_code}"
        now = time.time()
        if not died.was_ready and not died.reason:   # it died by itself while starting
            self.startup_failures += 1
            if self.startup_failures >= 3:
                raise SparkException(
                    f"Worker processes exit while starting ({reason}); their error messages "
                    "are printed above. Check that `python -m minispark.worker` can import "
                    "minispark with this Python.")
        self._post(events.WorkerLost(died.worker_id, now, reason))
        lost_blocks = self.blocks.remove_worker(died.worker_id)
        for block in lost_blocks:
            self.lost_blocks[block] = f"cached block lost with worker {died.worker_id} ({reason})"
        lost_outputs = []
        for shuffle_id, outputs in self.map_outputs.items():
            for map_id, status in enumerate(outputs):
                if status is not None and status.worker_id == died.worker_id:
                    outputs[map_id] = None
                    lost_outputs.append([shuffle_id, map_id])
        self._post(events.BlocksLost(died.worker_id, now, [list(b) for b in lost_blocks],
                                     lost_outputs))
        replacement = self.pool.replace(died.worker_id, reason)
        if self.faults is None or not self.faults.deterministic_placement:
            self.pool.remove_lost_directories()
        self._post(events.WorkerAdded(replacement.worker_id, replacement.pid, time.time()))
        self._requeue_lost_map_outputs(job, lost_outputs)
        launched = job.launched.pop(died.task.task_id, None) if died.task else None
        if launched is None:
            return
        task, worker_id, started = launched
        self._post(events.TaskEnded(task.task_id, task.stage_id, task.stage_attempt,
                                    task.partition, task.attempt, worker_id, now, now - started,
                                    "worker_lost", reason, {}, job.job_id))
        if not died.injected:   # a death the program caused counts against the task
            key = (task.stage_id, task.partition)
            job.failures[key] = job.failures.get(key, 0) + 1
            if job.failures[key] >= self.max_failures:
                stage = job.stages[task.stage_id]
                raise SparkException(
                    f"Task {task.partition} in stage {task.stage_id} ({stage.name}) failed "
                    f"{job.failures[key]} times; most recent failure: its worker died ({reason}). "
                    "Code that ends its process (os._exit, a crash in native code, running out "
                    "of memory) fails this way; the worker's last messages are printed above.")
        if task.partition in job.stage_remaining.get(task.stage_id, ()):
            self._retry(job, task, worker_id)

    def _requeue_lost_map_outputs(self, job, lost_outputs):
        """A running map stage whose finished outputs were lost must run those partitions again."""
        for stage_id in list(job.running):
            stage = job.stages[stage_id]
            if not isinstance(stage, ShuffleMapStage):
                continue
            shuffle_id = stage.shuffle_dependency.shuffle_id
            remaining = job.stage_remaining[stage_id]
            for lost_shuffle, map_id in lost_outputs:
                if lost_shuffle == shuffle_id and map_id not in remaining:
                    remaining.add(map_id)
                    self._queue_task(job, stage, map_id, map_id, self.stage_attempts[stage_id],
                                     self.binaries[stage_id][0], 0, None)

    def _kill_running(self, job):
        """Cancel: kill the workers running this job's tasks (they are replaced)."""
        for task, worker_id, _ in list(job.launched.values()):
            self.pool.kill(worker_id)
        deadline = time.time() + 5
        while job.launched and time.time() < deadline:
            for happened in self.pool.wait(0.5):
                if isinstance(happened, WorkerDied):
                    job.launched.pop(getattr(happened.task, "task_id", None), None)
                    self._worker_lost(job, happened)
