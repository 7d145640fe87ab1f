"""Measuring an engine: one fresh process per run, its answer as one JSON line, its memory.

Every measurement runs in a fresh Python process (``run_fresh``), so that one engine's imports,
caches and leftover workers never touch the next one's numbers. That process ends by printing
one JSON line (``report``); a skip or a failure is such a line too, never a crash of the run.

Peak memory is taken three ways, all in megabytes (10**6 bytes) of resident memory (RSS):

* ``driver_mb``: the process's own peak, ``getrusage(RUSAGE_SELF).ru_maxrss``, exact;
* ``workers_mb``: the peak of the *sum* over all its descendant processes (workers; for PySpark
  also the JVM), sampled every ``SAMPLE_SECONDS`` by the parent from ``/proc`` (or psutil where
  there is no ``/proc``), so a peak shorter than a sample can be missed;
* ``largest_child_mb``: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read after the engine stopped:
  the exact peak of the single largest descendant that was waited for.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback

SAMPLE_SECONDS = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# ru_maxrss is in kilobytes on Linux and in bytes on macOS.
MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024


# ---- inside the measured process -----------------------------------------------------------
def report(measure) -> None:
    """Run ``measure()`` (returning a dict) and print its outcome as the last stdout line."""
    try:
        outcome = {"status": "ok", **measure()}
    except Exception as exc:   # a failed engine is a row in the table, not a crashed run
        outcome = {"status": "failed", "error": repr(exc), "traceback": traceback.format_exc()}
    outcome["driver_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * MAXRSS_BYTES / 1e6
    outcome["largest_child_mb"] = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                   * MAXRSS_BYTES / 1e6)
    print(json.dumps(outcome), flush=True)


def skipped(reason: str) -> None:
    print(json.dumps({"status": "skipped", "reason": reason}), flush=True)


# ---- in the parent: run, sample memory, read the answer -----------------------------------
def descendants_rss(pid: int) -> int | None:
    """Bytes of RSS summed over every descendant of ``pid`` (not ``pid`` itself)."""
    if not os.path.isdir("/proc"):
        try:
            import psutil
        except ImportError:
            return None
        total = 0
        try:
            for child in psutil.Process(pid).children(recursive=True):
                total += child.memory_info().rss
        except psutil.Error:
            pass    # a process exited while we looked
        return total
    children_of: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # The command name may contain spaces: the fields after ')' are safe.
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children_of.setdefault(parent, []).append(int(entry))
    total, stack = 0, list(children_of.get(pid, []))
    while stack:
        child = stack.pop()
        stack.extend(children_of.get(child, []))
        try:
            with open(f"/proc/{child}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_BYTES
        except (OSError, IndexError, ValueError):
            pass    # it exited between the scan and the read
    return total


def run_fresh(argv: list[str], env: dict, timeout: float) -> dict:
    """Run ``argv`` as a fresh process, sample its workers' memory, and return its JSON line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        # A session of its own, so a timeout can end the process together with its workers.
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env,
                                   start_new_session=True)
        deadline = time.monotonic() + timeout
        peak = None
        while process.poll() is None:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return {"status": "failed", "error": f"timed out after {timeout:.0f} s"}
            sample = descendants_rss(process.pid)
            if sample is not None:
                peak = max(peak or 0, sample)
            time.sleep(SAMPLE_SECONDS)
        out.seek(0)
        err.seek(0)
        outcome = _last_json_line(out.read())
        if outcome is None:
            return {"status": "failed",
                    "error": f"exit code {process.returncode}, no JSON answer",
                    "stderr": err.read()[-3000:]}
    outcome["workers_mb"] = None if peak is None else peak / 1e6
    return outcome


def _last_json_line(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None
