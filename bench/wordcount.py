"""Word count with one engine in this process: start it once, count the corpus N times.

``run.py`` starts this script in a fresh process for every engine and corpus size, and reads the
JSON line it prints last: the wall time of each repeat (``times``), the context start time and
a digest of the answer, so that ``run.py`` can check that every engine counted the same words.
Each repeat returns all ``(word, count)`` pairs to the driver, as ``collect()`` does.

    python bench/wordcount.py --engine minispark --corpus bench/.cache/corpus-20MB-seed42.txt
"""

import argparse
import hashlib
import time

from engines import ENGINES, unavailable
from measure import report, skipped


def digest(pairs) -> dict:
    """What the answer must be, in a few numbers: distinct words, total words, a hash."""
    items = sorted(pairs)
    return {"distinct": len(items), "total": sum(count for _, count in items),
            "sha256": hashlib.sha256(repr(items).encode()).hexdigest()[:16]}


def measure(engine_name: str, corpus: str, partitions: int, workers: int, repeats: int):
    engine = ENGINES[engine_name](workers)
    started = time.perf_counter()
    engine.start()
    start_s = time.perf_counter() - started
    times, digests = [], []
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            pairs = engine.word_count(corpus, partitions)
            times.append(time.perf_counter() - started)
            digests.append(digest(pairs))
    finally:
        engine.stop()
    if any(d != digests[0] for d in digests):
        raise RuntimeError(f"the answer changed between repeats: {digests}")
    return {"times": times, "start_s": start_s, "answer": digests[0]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", required=True, choices=sorted(ENGINES))
    parser.add_argument("--corpus", required=True, help="path of the text file to count")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    reason = unavailable(args.engine)
    if reason:
        skipped(reason)
        return
    report(lambda: measure(args.engine, args.corpus, args.partitions, args.workers,
                           args.repeats))


if __name__ == "__main__":
    main()
