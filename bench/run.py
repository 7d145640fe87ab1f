"""Run every benchmark, print a table of medians against the targets, and save the results.

    python3 bench/run.py            # 20 MB and 100 MB word count, 5 repeats; 200 tiny jobs
    python3 bench/run.py --quick    # a smoke run: 5 MB, 2 repeats, 20 tiny jobs

The steps: set up ``bench/.venv-bench`` (``environment.py``), generate the corpora once
(``corpus.py``), then for each corpus size and each engine run ``wordcount.py`` in a fresh
process, then for each engine run ``latency.py`` in ``--starts`` fresh processes (the first also
times the tiny jobs). ``measure.run_fresh`` samples each process's workers' memory while it runs.
Every ratio is an engine's median over the ``mp-records`` median: the hand-written
multiprocessing code that calls the same user functions an RDD engine must call.
The results go to ``bench/results/<time>.json`` (and ``latest.json``).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

from corpus import corpus_path
from engines import ENGINES
from environment import BENCH_DIR, REPO_DIR, ensure_bench_env
from measure import run_fresh

BASELINE = "mp-records"
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
# The targets, for MiniSpark on 2 workers.
TARGET_RATIO = 1.3            # word count on the largest corpus, times the mp-records median
TARGET_TINY_S = 0.005         # median tiny-job latency on a warm context
TARGET_START_S = 1.0          # SparkContext("local[2]") until it returns


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5 MB corpus, 2 repeats, 20 tiny jobs, 1 start")
    parser.add_argument("--sizes", type=float, nargs="+", help="corpus sizes in MB")
    parser.add_argument("--repeats", type=int, help="word-count runs per engine and size")
    parser.add_argument("--tiny-repeats", type=int, help="tiny jobs per engine")
    parser.add_argument("--starts", type=int, help="fresh processes timing the context start")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per engine")
    parser.add_argument("--partitions-per-worker", type=int, default=2)
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--no-install", action="store_true",
                        help="do not set up bench/.venv-bench; use the running Python")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per process")
    args = parser.parse_args(argv)
    quick = {"sizes": [5], "repeats": 2, "tiny_repeats": 20, "starts": 1}
    full = {"sizes": [20, 100], "repeats": 5, "tiny_repeats": 200, "starts": 3}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def versions(python: str, env: dict) -> dict:
    """Versions of the interpreter, the engines and Java, as the engines' Python sees them."""
    script = ("import json, platform, importlib.metadata as m\n"
              "v = {'python': platform.python_version()}\n"
              "for name in ('minispark', 'dask', 'pyspark', 'cloudpickle'):\n"
              "    try: v[name] = m.version(name)\n"
              "    except m.PackageNotFoundError: v[name] = None\n"
              "print(json.dumps(v))")
    found = json.loads(subprocess.run([python, "-c", script], env=env, capture_output=True,
                                      text=True, check=True).stdout)
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60)
        found["java"] = (java.stderr or java.stdout).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        found["java"] = None
    found.update(platform=platform.platform(), cpus=os.cpu_count(), executable=python,
                 load_average=os.getloadavg() if hasattr(os, "getloadavg") else None)
    return found


def run_word_count(args, python, env) -> dict:
    results = {}
    for size in args.sizes:
        path = corpus_path(size)
        results[f"{size:g}"] = by_engine = {}
        for name in args.engines:
            log(f"word count {size:g} MB: {name} ...")
            by_engine[name] = run_fresh(
                [python, os.path.join(BENCH_DIR, "wordcount.py"), "--engine", name,
                 "--corpus", path, "--workers", str(args.workers),
                 "--partitions", str(args.workers * args.partitions_per_worker),
                 "--repeats", str(args.repeats)], env, args.timeout)
            log(f"    {summary(by_engine[name])}")
        check_answers(by_engine)
    return results


def run_latency(args, python, env) -> dict:
    results = {}
    for name in args.engines:
        log(f"context start and tiny jobs: {name} ...")
        runs = [run_fresh([python, os.path.join(BENCH_DIR, "latency.py"), "--engine", name,
                           "--workers", str(args.workers),
                           "--repeats", str(args.tiny_repeats if i == 0 else 0)],
                          env, args.timeout)
                for i in range(args.starts)]
        failed = [run for run in runs if run["status"] != "ok"]
        result = failed[0] if failed else runs[0]
        if not failed:
            result["start_times"] = [run["start_s"] for run in runs]
            result["first_job_times"] = [run["first_job_s"] for run in runs]
        results[name] = result
        log(f"    {summary(result)}")
    return results


def summary(result: dict) -> str:
    if result["status"] != "ok":
        return f"{result['status']}: {result.get('reason') or result.get('error')}"
    return "ok, median {:.4f} s".format(statistics.median(result["times"] or [float("nan")]))


def check_answers(by_engine: dict) -> None:
    """Mark every engine whose word counts differ from the single-process Python answer."""
    answers = [result["answer"] for result in by_engine.values() if result["status"] == "ok"]
    reference = by_engine.get("python", {}).get("answer") or (answers[0] if answers else None)
    for result in by_engine.values():
        if result["status"] == "ok" and result["answer"] != reference:
            result.update(status="wrong", error=f"answer {result['answer']} != {reference}")


# ---- the report --------------------------------------------------------------------------
def median(result, key="times"):
    return statistics.median(result[key]) if result.get("status") == "ok" else None


def fmt(value, pattern="{:.3f}"):
    return "-" if value is None else pattern.format(value)


def note(result: dict) -> str:
    if result["status"] == "ok":
        return ""
    return f"{result['status']}: {result.get('reason') or result.get('error')}"[:90]


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, ["-" * width for width in widths]] + rows]
    return "\n".join(lines)


def word_count_table(size: str, by_engine: dict, args) -> str:
    baseline = median(by_engine.get(BASELINE, {}))
    rows = []
    for name, result in by_engine.items():
        middle = median(result)
        if middle is None:
            rows.append([name] + ["-"] * 7 + [note(result)])
            continue
        rows.append([name, fmt(middle), fmt(middle / baseline if baseline else None, "{:.2f}x"),
                     fmt(min(result["times"])), fmt(result["start_s"]),
                     fmt(result["driver_mb"], "{:.0f}"), fmt(result["workers_mb"], "{:.0f}"),
                     fmt(result["largest_child_mb"], "{:.0f}"), ""])
    title = (f"Word count, {size} MB corpus: {args.workers} workers, "
             f"{args.workers * args.partitions_per_worker} partitions, "
             f"median of {args.repeats} runs (ratio: over {BASELINE})")
    return title + "\n" + table(["engine", "median s", "ratio", "min s", "start s", "driver MB",
                                 "workers MB", "largest child MB", "note"], rows)


def latency_table(by_engine: dict, args) -> str:
    baseline = median(by_engine.get(BASELINE, {}))
    rows = []
    for name, result in by_engine.items():
        middle = median(result)
        times = result.get("times") or []
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 2 else None
        rows.append([name, fmt(median(result, "start_times")),
                     fmt(median(result, "first_job_times")),
                     fmt(middle and middle * 1e3, "{:.2f}"), fmt(p90 and p90 * 1e3, "{:.2f}"),
                     fmt(middle / baseline if middle and baseline else None, "{:.2f}x"),
                     note(result)])
    title = (f"Context start (median of {args.starts} fresh processes) and tiny job "
             f"sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum() on a warm context "
             f"(median of {args.tiny_repeats})")
    return title + "\n" + table(["engine", "start s", "first job s", "tiny median ms",
                                 "tiny p90 ms", "ratio", "note"], rows)


def targets(word_count: dict, latency: dict) -> list[dict]:
    """The issue's targets for MiniSpark, each with what was measured and pass/fail/n-a."""
    size = max(word_count, key=float)
    by_engine = word_count[size]
    mini, base = median(by_engine.get("minispark", {})), median(by_engine.get(BASELINE, {}))
    checks = []

    def check(name, measured, passed):
        result = "n/a" if passed is None else ("PASS" if passed else "FAIL")
        checks.append({"target": name, "measured": measured, "result": result})

    both = mini is not None and base is not None
    check(f"word count {size} MB within {TARGET_RATIO}x of {BASELINE}",
          f"{mini / base:.2f}x ({mini:.2f} s vs {base:.2f} s)" if both else "-",
          mini / base <= TARGET_RATIO if both else None)
    for rival, label in (("dask", "Dask bag"), ("pyspark", "PySpark RDD")):
        other = median(by_engine.get(rival, {}))
        both = mini is not None and other is not None
        check(f"word count {size} MB faster than {label}",
              f"{mini:.2f} s vs {other:.2f} s" if both else "-",
              mini < other if both else None)
    tiny = median(latency.get("minispark", {}))
    check(f"tiny-job median under {TARGET_TINY_S * 1e3:g} ms",
          fmt(tiny and tiny * 1e3, "{:.2f} ms"), tiny < TARGET_TINY_S if tiny else None)
    start = median(latency.get("minispark", {}), "start_times")
    first = median(latency.get("minispark", {}), "first_job_times")
    check(f"context start under {TARGET_START_S:g} s",
          f"{start:.3f} s (first job done at +{first:.3f} s)" if start is not None else "-",
          start < TARGET_START_S if start is not None else None)
    return checks


def main(argv=None) -> None:
    args = parse_args(argv)
    python = sys.executable if args.no_install else ensure_bench_env(log)
    env = dict(os.environ)
    # bench/ on the path so that workers can import the shared user functions in engines.py.
    env["PYTHONPATH"] = os.pathsep.join(
        [BENCH_DIR, REPO_DIR] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > 0.5:
        warnings.warn(f"load average {os.getloadavg()[0]:.2f} before the run: other processes "
                      "are busy, so the timings will be noisy", stacklevel=1)
    log(f"generating or reusing corpora of {', '.join(f'{s:g}' for s in args.sizes)} MB")
    for size in args.sizes:
        corpus_path(size)
    results = {"settings": dict(vars(args)),
               "environment": versions(python, env),
               "word_count": run_word_count(args, python, env),
               "latency": run_latency(args, python, env)}
    results["targets"] = checks = targets(results["word_count"], results["latency"])

    print()
    for size, by_engine in results["word_count"].items():
        print(word_count_table(size, by_engine, args), end="\n\n")
    print(latency_table(results["latency"], args), end="\n\n")
    quick = " (quick run: the targets are meant for the full run)" if args.quick else ""
    print(f"MiniSpark targets on {args.workers} workers{quick}")
    print(table(["target", "measured", "result"],
                [[c["target"], c["measured"], c["result"]] for c in checks]))

    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, time.strftime("%Y%m%d-%H%M%S") + ".json")
    for destination in (path, os.path.join(RESULTS_DIR, "latest.json")):
        with open(destination, "w") as f:
            json.dump(results, f, indent=1)
    print(f"\nresults written to {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
