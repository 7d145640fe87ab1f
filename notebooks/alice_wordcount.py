"""The capstone's word count as a Spark application (lesson 10 runs it, then moves it to Spark).

    python alice_wordcount.py [PATH]          # MiniSpark, two worker processes on this machine
    %run alice_wordcount.py                   # in a notebook: uses the notebook's running `sc`

On Apache Spark, change the import line (and nothing else), then submit it to a cluster:

    spark-submit --master spark://HOST:7077 alice_wordcount.py hdfs:///books/alice29.txt

Importing this file runs nothing.
"""
import re
import sys
from operator import add

from minispark import SparkConf, SparkContext     # Apache Spark: from pyspark import ...

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def words_of(line):
    """The words of a line, lower-cased; a possessive 's is cut (Alice's -> alice)."""
    return [word.removesuffix("'s") for word in WORD.findall(line.lower())]


def word_counts(sc, path):
    """The RDD of (word, count) pairs of the text file at ``path``."""
    lines = sc.textFile(path, minPartitions=4)
    return lines.flatMap(words_of).map(lambda word: (word, 1)).reduceByKey(add)


def main(path="data/alice29.txt"):
    # spark-submit --master sets spark.master; run directly, the program uses two local workers.
    conf = SparkConf().setAppName("alice-wordcount").setIfMissing("spark.master", "local[2]")
    sc = SparkContext.getOrCreate(conf)        # in a notebook: the context that is already running
    counts = word_counts(sc, path)
    print("most frequent words:", counts.takeOrdered(5, key=lambda pair: (-pair[1], pair[0])))
    print(counts.toDebugString().decode())


if __name__ == "__main__":
    main(*sys.argv[1:])
