"""What the live DAG explorer costs: a 200-task job with and without it, in one run.

The explorer's widgets are built before the job (as a ``%%minispark`` cell keeps one spare),
its model is fed by a synchronous listener and the views are redrawn from the context's wait
callback (at most ten times a second), exactly as a ``%%minispark`` cell does, minus the kernel
round trips (this runs outside Jupyter, so widget messages go nowhere).
Target (issue #5): at most 10% slower than the same job with no explorer.

    python bench/explorer_overhead.py [--repeats 15]
"""

import argparse
import statistics
import time

from minispark import SparkContext, events
from minispark_widgets import _warm_up_layout
from minispark_widgets.explorer import DAGExplorer
from minispark_widgets.model import ExplorerModel


def work(x):
    return sum(i * i for i in range(x, x + 20_000))   # about 1 ms of Python per record


def run_job(sc):
    """200 tasks of about 5 ms each: 1,000 records in 200 partitions."""
    return sc.parallelize(range(1_000), 200).map(work).filter(lambda x: x % 3).count()


class LiveExplorer:
    """What a ``%%minispark`` cell attaches, minus the kernel: built before the job."""

    def __init__(self, sc):
        self.sc = sc
        self.model = ExplorerModel()
        started = time.perf_counter()
        self.explorer = DAGExplorer(sc, self.model)
        self.build_seconds = time.perf_counter() - started
        self.bound = False

    def on_event(self, event):
        if isinstance(event, events.JobStarted) and not self.bound:
            self.model.job_id, self.bound = event.job_id, True
            self.model(event)
            self.explorer.bind(event.job_id)
        elif self.bound:
            self.model(event)

    def run(self, job):
        """Time ``job(sc)`` from the action's call to its result, with the explorer live."""
        self.sc.addSparkListener(self.on_event, synchronous=True)
        self.sc.setWaitCallback(self.explorer.refresh)
        try:
            started = time.perf_counter()
            job(self.sc)
            self.explorer.refresh(force=True)   # the final picture is part of the cost
            return time.perf_counter() - started
        finally:
            self.sc.setWaitCallback(None)
            self.sc.removeSparkListener(self.on_event)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    _warm_up_layout()   # as %load_ext minispark does
    with SparkContext("local[2]", "explorer-overhead") as sc:
        run_job(sc)   # warm the workers
        plain, live, builds = [], [], []
        for _ in range(args.repeats):   # interleaved, so machine noise hits both alike
            start = time.perf_counter()
            run_job(sc)
            plain.append(time.perf_counter() - start)
            attached = LiveExplorer(sc)
            builds.append(attached.build_seconds)
            live.append(attached.run(run_job))
    plain_median, live_median = statistics.median(plain), statistics.median(live)
    ratio = live_median / plain_median
    print(f"200-task job, median of {args.repeats}: without explorer {plain_median * 1000:.1f} ms, "
          f"with live explorer {live_median * 1000:.1f} ms, ratio {ratio:.3f} "
          f"({'PASS' if ratio <= 1.10 else 'FAIL'}: target <= 1.10); building the explorer's "
          f"widgets before the job: {statistics.median(builds) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
