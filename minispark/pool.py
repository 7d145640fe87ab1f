"""The worker pool: the driver's side of the worker processes.

``WorkerPool`` starts N worker processes once per context and keeps them for every job. Each
worker gets its own socket pair, so the *scheduler* chooses which worker runs which task (needed
for cache locality and for retrying elsewhere) instead of a shared queue choosing for it.

Workers are started with ``subprocess`` as ``python -m minispark.worker``: a fresh interpreter
(safe in a threaded Jupyter kernel, where ``fork`` can deadlock) that never re-imports the
user's ``__main__`` script (which ``multiprocessing``'s spawn would do). User functions reach
the workers pickled with cloudpickle, so lambdas and notebook functions work.

``wait`` is the scheduler's only blocking call. It waits on all sockets at once
(``multiprocessing.connection.wait``) and returns what happened: task results, and workers
that died. A worker that dies closes its socket, so its death is seen at once, with no polling.

State, per worker (``WorkerHandle``):

* ``worker_id``: numbered from 0 like Spark's executors; a replacement gets a new number;
* ``running``: the TaskDescription it is running, or None when idle;
* ``binaries``: ids of the stage binaries it already has (so each is sent once);
* ``last_seen``: when it last said anything (results, heartbeats): silence means a hang;
* ``kill_reason`` / ``injected``: why the driver killed it, and whether that was a fault
  injected on purpose (which does not count against the task it was running).

A lost worker's directory (its shuffle outputs and disk blocks) is deleted with it, as a lost
machine's disk would be: whatever read those files must recompute them from lineage.
"""

import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from .tasks import TaskResult

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class WorkerHandle:
    worker_id: int
    process: subprocess.Popen
    conn: Connection
    slot: int = 0                                # 0..N-1; a replacement takes the dead one's slot
    running: object = None                       # TaskDescription or None
    binaries: set = field(default_factory=set)
    ready: bool = False
    last_seen: float = field(default_factory=time.monotonic)
    kill_reason: str | None = None
    injected: bool = False
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: tuple) -> bool:
        """Send a pickled message; False when the worker is gone (``wait`` will report it)."""
        try:
            with self.send_lock:
                self.conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
            return True
        except OSError:
            return False

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass(frozen=True)
class WorkerDied:
    """``wait`` reports this when a worker's socket closed: the process is gone."""
    worker_id: int
    task: object          # the TaskDescription it was running, or None
    exit_code: int | None
    was_ready: bool = True   # False: it died while starting (a broken environment)
    reason: str = ""         # why it died, when the driver knows (killed for a hang ...)
    injected: bool = False   # killed on purpose by sc.faults


class WorkerPool:
    """N worker processes, each with its own connection, started once and reused."""

    def __init__(self, num_workers: int, local_dir: str, spill_threshold: int,
                 heartbeat_interval: float = 1.0):
        self.local_dir = local_dir
        self.spill_threshold = spill_threshold
        self.heartbeat_interval = heartbeat_interval
        self.workers: dict[int, WorkerHandle] = {}
        self.lost: dict[int, str] = {}            # worker id -> why it was lost
        self._lost_directories: list = []          # directories of lost workers, to delete
        self._pending: list = []                   # reports seen early, for the next wait()
        self._next_id = 0
        # Writing a byte to the waker ends a wait() early (cancelling a job from another thread).
        self._waker_receive, self._waker_send = socket.socketpair()
        for _ in range(num_workers):
            self.start_worker()

    # ---- lifecycle -------------------------------------------------------------------------
    def start_worker(self, slot: int | None = None) -> WorkerHandle:
        worker_id = self._next_id
        slot = len(self.workers) if slot is None else slot
        self._next_id += 1
        driver_end, worker_end = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [_PACKAGE_PARENT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        # One string hash for all workers, as PySpark sets it: portable_hash covers str keys,
        # but a dataclass or an Enum key hashes its strings with the built-in hash.
        env.setdefault("PYTHONHASHSEED", "0")
        process = subprocess.Popen(
            [sys.executable, "-m", "minispark.worker", str(worker_end.fileno()), str(worker_id),
             str(os.getpid())],
            pass_fds=[worker_end.fileno()], env=env, start_new_session=True)
        worker_end.close()
        conn = Connection(driver_end.detach())
        conn.send_bytes(pickle.dumps({
            "sys_path": [p for p in sys.path if p],
            "local_dir": self.local_dir,
            "spill_threshold": self.spill_threshold,
            "heartbeat_interval": self.heartbeat_interval,
        }))
        handle = WorkerHandle(worker_id, process, conn, slot)
        self.workers[worker_id] = handle
        return handle

    def replace(self, worker_id: int, reason: str) -> WorkerHandle:
        """Forget a dead worker (its number stays in ``lost``) and start a new one in its slot."""
        slot = self.workers[worker_id].slot
        self._discard(worker_id, reason)
        return self.start_worker(slot)

    def kill(self, worker_id: int, reason: str = "killed by the driver", injected=False) -> None:
        """SIGKILL a worker. Its death is then reported by ``wait`` like any other."""
        handle = self.workers.get(worker_id)
        if handle is not None and handle.process.poll() is None:
            handle.kill_reason, handle.injected = reason, injected
            os.kill(handle.pid, signal.SIGKILL)

    def unresponsive(self, timeout: float) -> list:
        """Workers silent for longer than ``timeout`` seconds (no heartbeat, no result)."""
        now = time.monotonic()
        return [h.worker_id for h in self.workers.values()
                if now - h.last_seen > timeout and h.kill_reason is None]

    def stop(self, timeout: float = 2.0) -> None:
        """Ask every worker to exit; kill those that do not within ``timeout``."""
        for handle in self.workers.values():
            handle.send(("stop",))
        deadline = time.time() + timeout
        for handle in self.workers.values():
            try:
                handle.process.wait(max(0.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                handle.process.kill()
                handle.process.wait()
            handle.conn.close()
        self.workers.clear()
        self._waker_receive.close()
        self._waker_send.close()

    def _discard(self, worker_id, reason):
        handle = self.workers.pop(worker_id, None)
        if handle is None:
            return
        self.lost[worker_id] = reason
        if handle.process.poll() is None:
            handle.process.kill()
        handle.process.wait()
        handle.conn.close()
        self._lost_directories.append(os.path.join(self.local_dir, f"worker-{worker_id}"))

    def remove_lost_directories(self) -> None:
        """Delete the directories of lost workers: their shuffle outputs are gone for good."""
        while self._lost_directories:
            shutil.rmtree(self._lost_directories.pop(), ignore_errors=True)

    # ---- tasks -----------------------------------------------------------------------------
    def idle_workers(self, starting_too: bool = False) -> list:
        """Workers ready for a task. One still starting (importing Python) gets none yet: the
        task would wait in its socket, and its timeline would show the start-up as task time.
        ``starting_too`` counts those as idle too (chaos's fixed waves need every slot)."""
        return [h for h in self.workers.values()
                if h.running is None and (h.ready or starting_too)]

    def all_ready(self) -> bool:
        return all(h.ready for h in self.workers.values())

    def wait_until_ready(self, timeout: float) -> None:
        """Block until every worker has started, for at most ``timeout`` seconds.

        A new context calls it, so that its first job finds all its workers ready (and places
        its first tasks the same way on every run). A death seen meanwhile ends the wait; it is
        kept for the next ``wait``, which reports it as usual.
        """
        deadline = time.monotonic() + timeout
        while not self.all_ready() and not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._pending.extend(self.wait(left))

    def launch(self, worker_id: int, task, binary: bytes) -> bool:
        """Send ``task`` to a worker (with its stage binary if that worker lacks it).

        Returns False when the worker is already gone (``wait`` will report it).
        """
        handle = self.workers[worker_id]
        send_binary = binary if task.binary_id not in handle.binaries else None
        if not handle.send(("task", task, send_binary)):
            return False
        handle.binaries.add(task.binary_id)
        handle.running = task
        return True

    def send_all(self, message: tuple) -> None:
        """Send a control message (unpersist, forget_binary) to every live worker."""
        for handle in list(self.workers.values()):
            handle.send(message)   # a dead worker is reported by wait()

    def wake(self) -> None:
        """Make a ``wait`` in progress (in another thread) return now."""
        self._waker_send.send(b"!")

    def wait(self, timeout: float | None) -> list:
        """Block until a worker has something to say; return ``TaskResult``s and ``WorkerDied``s."""
        if self._pending:
            happened, self._pending = self._pending, []
            return happened
        by_conn = {h.conn: h for h in self.workers.values()}
        happened = []
        for conn in wait(list(by_conn) + [self._waker_receive], timeout):
            if conn is self._waker_receive:
                conn.recv(4096)
                continue
            handle = by_conn[conn]
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                exit_code = handle.process.wait()
                happened.append(WorkerDied(handle.worker_id, handle.running, exit_code,
                                           handle.ready, handle.kill_reason or "", handle.injected))
                handle.running = None
                continue
            try:
                kind, payload = pickle.loads(data)
            except Exception as error:   # e.g. a result holding an object the driver cannot import
                kind, payload = "result", TaskResult(
                    handle.running.task_id if handle.running else -1, handle.worker_id, ok=False,
                    error=f"the driver could not unpickle the task's result: {error!r}")
            handle.last_seen = time.monotonic()
            if kind == "ready":
                handle.ready = True
            elif kind == "result":
                handle.running = None
                happened.append(payload)
        return happened
