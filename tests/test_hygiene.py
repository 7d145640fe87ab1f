"""Hygiene: a context leaves nothing behind, neither after stop() nor after its driver is killed.

Processes are checked in /proc, the way a student would check with ``ps``: a worker counts as
gone when its entry is gone or it is a zombie (it has exited; in a container, PID 1 may never
reap it). Waiting is polling with a deadline, never a fixed sleep.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

from minispark import SparkContext


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def worker_children(parent_pid: int) -> list:
    """Live processes whose parent is ``parent_pid`` and that run ``minispark.worker``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid == parent_pid and b"minispark.worker" in command and alive(int(name)):
            found.append(int(name))
    return sorted(found)


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)   # polling interval, not synchronisation: the condition decides
    return condition()


def open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


def test_stop_ends_every_worker_and_removes_the_directory(fresh_context):
    context = fresh_context("local[3]")
    context.parallelize(range(30), 6).map(lambda x: (x % 3, x)).reduceByKey(max).cache().count()
    pids = sorted(handle.pid for handle in context._pool.workers.values())
    assert len(pids) == 3 and all(alive(pid) for pid in pids)
    assert worker_children(os.getpid()) == pids
    local_dir = context.local_dir
    assert os.path.isdir(local_dir) and os.listdir(local_dir)

    context.stop()
    assert not any(alive(pid) for pid in pids)   # stop() waits for them
    assert worker_children(os.getpid()) == []
    assert not os.path.exists(local_dir)
    assert not any(t.name == "minispark-listener-bus" and t.is_alive() for t in threading.enumerate())


def test_stop_twice_and_the_with_statement(fresh_context):
    context = fresh_context("local[1]")
    context.stop()
    context.stop()   # no error, nothing to do
    with SparkContext("local[1]", "with") as scoped:
        assert scoped.parallelize([1, 2, 3]).sum() == 6
        pid = next(iter(scoped._pool.workers.values())).pid
    assert not alive(pid)
    assert SparkContext._active_spark_context is None


def test_a_context_closes_the_files_it_opened(fresh_context):
    fresh_context("local[1]").stop()   # a first context warms up imports and caches
    before = open_fds()
    context = fresh_context("local[2]")
    context.parallelize(range(10), 4).map(lambda x: (x, x)).groupByKey().count()
    context.stop()
    assert open_fds() - before == set()


DRIVER = textwrap.dedent("""
    import sys
    from minispark import SparkConf, SparkContext

    sc = SparkContext("local[2]", "doomed", conf=SparkConf().set("spark.local.dir", sys.argv[1]))
    sc.parallelize(range(20), 4).map(lambda x: (x % 2, x)).reduceByKey(max).count()
    print(sc.local_dir, *[h.pid for h in sc._pool.workers.values()], flush=True)
    sys.stdin.read()   # wait to be killed
""")


def test_workers_exit_when_their_driver_is_killed(tmp_path, fresh_context):
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        local_dir, *pids = driver.stdout.readline().split()
        pids = [int(pid) for pid in pids]
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        assert worker_children(driver.pid) == sorted(pids)
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        driver.stdin.close()
        driver.stdout.close()

    assert wait_until(lambda: not any(alive(pid) for pid in pids), timeout=3.0), \
        "workers outlived their killed driver"
    # The killed driver could not remove its directory; the next context started on the same
    # base directory does.
    assert os.path.isdir(local_dir)
    fresh_context("local[1]", conf={"spark.local.dir": str(tmp_path)})
    assert not os.path.exists(local_dir)
