"""The worker process: receive a task, run it, report, repeat.

A worker is a plain Python process (``python -m minispark.worker``) started by the driver's
``WorkerPool`` with one end of a socket pair. Its loop is the whole protocol:

* ``("task", TaskDescription, binary or None)``: keep the stage binary if it came along (it is
  sent to each worker once per stage), unpickle it for this task, run the task, send
  ``("result", TaskResult)``;
* ``("unpersist", rdd_id)``: drop that RDD's cached blocks;
* ``("slow", seconds)``: from now on, each task first sleeps that long (a fault to inject);
* ``("forget_binary", binary_id)``: drop a stage binary that no job needs any more;
* ``("stop",)``, or the socket closing: exit.

The worker keeps the state that makes it more than a function call: its block store (cached
partitions), its shuffle directory (map outputs it wrote), loaded broadcast values. It never
holds driver state. A watchdog thread exits the process when the driver disappears (a kernel
restart, ``kill -9`` of the driver), so workers never outlive their driver.

A heartbeat thread sends ``("heartbeat", None)`` every ``heartbeat_interval`` seconds, also
while a task runs, so the driver can tell a busy worker (heartbeats) from a hung one (silence).

It ignores SIGINT: Ctrl-C in a terminal is for the driver, which then decides what to cancel.
"""

import faulthandler
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection

import cloudpickle

from . import accumulators
from .storage import BlockStore
from .tasks import TaskResult, run_task


class WorkerEnv:
    """What tasks running in this worker share: its id, directories and cached blocks."""

    def __init__(self, worker_id: int, local_dir: str, spill_threshold: int):
        self.worker_id = worker_id
        self.local_dir = local_dir
        self.shuffle_dir = os.path.join(local_dir, f"worker-{worker_id}")
        os.makedirs(self.shuffle_dir, exist_ok=True)
        self.blocks = BlockStore(self.shuffle_dir)
        self.spill_threshold = spill_threshold
        self.slowdown = 0.0        # seconds each task sleeps first (sc.faults.slow_worker)


class Channel:
    """The worker's end of its socket; a lock lets the heartbeat thread send too."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, data: bytes):
        with self.lock:
            self.conn.send_bytes(data)

    def receive(self):
        return pickle.loads(self.conn.recv_bytes())


def serve(channel: Channel, env: WorkerEnv):
    """The worker loop: run tasks until told to stop or the driver goes away."""
    binaries = {}   # stage binary id -> its pickled bytes, received once per stage
    while True:
        try:
            message = channel.receive()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "task":
            _, task, binary = message
            if binary is not None:
                binaries[task.binary_id] = binary
            loaded, result = _load_binary(binaries[task.binary_id], task, env)
            if result is None:
                result = run_task(task, loaded, env)
            channel.send(_dump_result(result))
        elif kind == "slow":
            env.slowdown = message[1]
        elif kind == "unpersist":
            env.blocks.remove_rdd(message[1])
        elif kind == "forget_binary":
            binaries.pop(message[1], None)
        elif kind == "stop":
            return


def _load_binary(binary: bytes, task, env):
    """Unpickle the stage binary for one task; a failure (a module missing here) fails the task.

    Every task gets its own copy of the functions, as in Spark: state a closure keeps (a
    counter, a list) starts afresh in each task instead of leaking from the previous one.
    """
    accumulators.forget_task_copies()
    try:
        return pickle.loads(binary), None
    except BaseException as error:
        return None, TaskResult(task.task_id, env.worker_id, ok=False,
                                error=f"could not load the task's code on worker {env.worker_id}: "
                                      f"{type(error).__name__}: {error}",
                                frames=[(f.filename, f.lineno, f.name, f.line or "")
                                        for f in traceback.extract_tb(error.__traceback__)])


def _dump_result(result: TaskResult) -> bytes:
    try:
        return cloudpickle.dumps(("result", result), pickle.HIGHEST_PROTOCOL)
    except Exception as error:   # e.g. an accumulator value that cannot be pickled
        failed = TaskResult(result.task_id, result.worker_id, ok=False,
                            error=f"the task's result could not be pickled: {error!r}")
        return cloudpickle.dumps(("result", failed), pickle.HIGHEST_PROTOCOL)


def _send_heartbeats(channel: Channel, interval: float):
    beat = pickle.dumps(("heartbeat", None))
    while True:
        time.sleep(interval)
        try:
            channel.send(beat)
        except OSError:
            return


def _exit_when_driver_dies(driver_pid: int, period: float = 0.5):
    while True:
        if os.getppid() != driver_pid:
            os._exit(3)
        time.sleep(period)


def main(argv):
    fd, worker_id, driver_pid = int(argv[1]), int(argv[2]), int(argv[3])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.enable()   # a crash in native code still prints a Python traceback
    channel = Channel(Connection(fd))
    settings = channel.receive()
    # The driver's import path, so functions from the user's own modules unpickle here.
    sys.path[:0] = [p for p in settings["sys_path"] if p not in sys.path]
    threading.Thread(target=_exit_when_driver_dies, args=(driver_pid,), daemon=True).start()
    env = WorkerEnv(worker_id, settings["local_dir"], settings["spill_threshold"])
    channel.send(pickle.dumps(("ready", os.getpid())))
    threading.Thread(target=_send_heartbeats, args=(channel, settings["heartbeat_interval"]),
                     daemon=True).start()
    serve(channel, env)


if __name__ == "__main__":
    main(sys.argv)
