"""Context start time and tiny-job latency with one engine, in this fresh process.

Three numbers, each from ``time.perf_counter``:

* ``start_s``: ``SparkContext("local[2]", "bench")`` (or the engine's pool) until it returns;
  the imports are done before the clock starts;
* ``first_job_s``: the first tiny job right after, on the cold context (workers may still be
  starting, code not yet loaded);
* ``times``: then ``repeats`` more tiny jobs on the warm context, one at a time. The tiny job is
  ``sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum()`` (== 999000), or its equivalent in
  the non-RDD engines (``engines.py``).

``run.py`` starts this script once per start-time sample, each time in a fresh process.

    python bench/latency.py --engine minispark --repeats 200
"""

import argparse
import time

from engines import ENGINES, unavailable
from measure import report, skipped

EXPECTED = 999_000


def measure(engine_name: str, workers: int, repeats: int):
    engine = ENGINES[engine_name](workers)
    started = time.perf_counter()
    engine.start()
    start_s = time.perf_counter() - started
    times = []
    try:
        started = time.perf_counter()
        answers = [engine.tiny_job()]
        first_job_s = time.perf_counter() - started
        for _ in range(repeats):
            started = time.perf_counter()
            answers.append(engine.tiny_job())
            times.append(time.perf_counter() - started)
    finally:
        engine.stop()
    wrong = [answer for answer in answers if answer != EXPECTED]
    if wrong:
        raise RuntimeError(f"tiny job answered {wrong[0]!r}, expected {EXPECTED}")
    return {"start_s": start_s, "first_job_s": first_job_s, "times": times}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", required=True, choices=sorted(ENGINES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    reason = unavailable(args.engine)
    if reason:
        skipped(reason)
        return
    report(lambda: measure(args.engine, args.workers, args.repeats))


if __name__ == "__main__":
    main()
