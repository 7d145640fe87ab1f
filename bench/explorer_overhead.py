"""What the live DAG explorer costs: a 200-task job with and without it, in one run.

The explorer's model is fed by a synchronous listener and the views are redrawn from the
context's wait callback (at most ten times a second), exactly as a ``%%minispark`` cell does,
minus the kernel round trips (this runs outside Jupyter, so widget messages go nowhere).
Target (issue #5): at most 10% slower than the same job with no explorer.

    python bench/explorer_overhead.py [--repeats 15]
"""

import argparse
import statistics
import time

from minispark import SparkContext, events
from minispark_widgets.explorer import DAGExplorer
from minispark_widgets.model import ExplorerModel


def work(x):
    return sum(i * i for i in range(x, x + 20_000))   # about 1 ms of Python per record


def run_job(sc):
    """200 tasks of about 5 ms each: 1,000 records in 200 partitions."""
    return sc.parallelize(range(1_000), 200).map(work).filter(lambda x: x % 3).count()


def with_explorer(sc):
    explorers = []

    def on_event(event):
        for model, _ in explorers:
            model(event)
        if isinstance(event, events.JobStarted):
            model = ExplorerModel(job_id=event.job_id)
            model(event)
            explorers.append((model, DAGExplorer(sc, model, event.job_id)))

    def refresh():
        for _, explorer in explorers:
            explorer.refresh()

    sc.addSparkListener(on_event, synchronous=True)
    sc.setWaitCallback(refresh)
    try:
        result = run_job(sc)
        for _, explorer in explorers:
            explorer.refresh(force=True)
        return result
    finally:
        sc.setWaitCallback(None)
        sc.removeSparkListener(on_event)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with SparkContext("local[2]", "explorer-overhead") as sc:
        run_job(sc)   # warm the workers
        plain, live = [], []
        for _ in range(args.repeats):   # interleaved, so machine noise hits both alike
            start = time.perf_counter()
            run_job(sc)
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            with_explorer(sc)
            live.append(time.perf_counter() - start)
    plain_median, live_median = statistics.median(plain), statistics.median(live)
    ratio = live_median / plain_median
    print(f"200-task job, median of {args.repeats}: without explorer {plain_median * 1000:.1f} ms, "
          f"with live explorer {live_median * 1000:.1f} ms, ratio {ratio:.3f} "
          f"({'PASS' if ratio <= 1.10 else 'FAIL'}: target <= 1.10)")


if __name__ == "__main__":
    main()
