"""The pool keeper: between jobs, someone must still watch the workers.

During a job the scheduler waits on every worker's socket, so a death or a hang is noticed at
once. Between jobs nobody waits, and a worker killed from a notebook button would look alive
until the next job. The keeper is a thread that, while no job runs, holds the job lock and
lets the scheduler tend the pool (``DAGScheduler.tend_pool``): deaths are handled, hung workers
killed, replacements started, and the events say so right away.

It steps aside whenever a job wants the pool: ``job_wanted()`` counts the jobs waiting and
wakes the keeper's wait, so the hand-over costs well under a millisecond.
"""

import contextlib
import threading


class PoolKeeper(threading.Thread):
    """Between jobs, watches the workers so a death or a hang is handled at once, not at the
    next job. It steps aside (``job_wanted``) whenever a job wants to run."""

    def __init__(self, ctx):
        super().__init__(name="minispark-pool-keeper", daemon=True)
        self.ctx = ctx
        self.jobs_wanting = 0
        self.condition = threading.Condition()
        self.stopping = False

    @contextlib.contextmanager
    def job_wanted(self):
        with self.condition:
            self.jobs_wanting += 1
        self.ctx._pool.wake()            # end the keeper's wait now
        try:
            yield
        finally:
            with self.condition:
                self.jobs_wanting -= 1
                self.condition.notify_all()

    def run(self):
        while True:
            with self.condition:
                while self.jobs_wanting and not self.stopping:
                    self.condition.wait()
            with self.ctx._job_lock:
                if self.stopping:
                    return
                if not self.jobs_wanting:
                    self.ctx._scheduler.tend_pool(0.5)

    def stop(self):
        with self.condition:
            self.stopping = True
            self.condition.notify_all()
        self.ctx._pool.wake()
        self.join(timeout=5)
