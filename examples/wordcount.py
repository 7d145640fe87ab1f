"""Word count, the "hello world" of Spark, written exactly as it is in PySpark.

Run it with `python3 kit.py lab` (or `.venv/bin/python examples/wordcount.py`). It
writes a small text file, counts its words, prints the ten most common ones, and prints
the lineage of the result: `reduceByKey` needs a shuffle, so the job has two stages.

Importing this file does nothing; the functions below can be reused from a notebook.
"""
import os
import random
import tempfile

from minispark import SparkContext

# The words are drawn with weights 1, 1/2, 1/3, ... (Zipf's law, as in real text), so
# the counts differ enough to make the top ten an interesting ranking.
VOCABULARY = ["spark", "rdd", "partition", "stage", "task", "shuffle", "lineage",
              "driver", "worker", "cache", "map", "reduce", "key", "value", "job",
              "block", "narrow", "wide", "action", "transformation"]


def write_sample_text(path, num_lines=3000, seed=0):
    """Write `num_lines` lines of 5 to 12 words from VOCABULARY to `path`, the same every run."""
    rng = random.Random(seed)  # seeded, so every run counts the same words
    weights = [1 / rank for rank in range(1, len(VOCABULARY) + 1)]
    with open(path, "w") as file:
        for _ in range(num_lines):
            words = rng.choices(VOCABULARY, weights, k=rng.randint(5, 12))
            file.write(" ".join(words) + "\n")


def word_counts(sc, path):
    """The RDD of (word, count) pairs for the text file at `path`."""
    return (sc.textFile(path)
              .flatMap(str.split)
              .map(lambda word: (word, 1))
              .reduceByKey(lambda a, b: a + b))


def main():
    with SparkContext("local[2]", "wordcount") as sc, tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "words.txt")
        write_sample_text(path)
        counts = word_counts(sc, path)

        print("The 10 most common words:")
        for word, count in counts.takeOrdered(10, key=lambda kv: -kv[1]):
            print(f"  {word:<15} {count:>6}")

        print("\nLineage of the counts (each +- starts a new stage, after a shuffle):")
        print(counts.toDebugString().decode())


if __name__ == "__main__":
    main()
