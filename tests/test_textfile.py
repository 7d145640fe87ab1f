"""Reading and writing text (rdds.TextFileRDD, wholeTextFiles, saveAsTextFile).

A text file is cut into byte ranges, one per partition, and every task reads its own range:
lines that cross a boundary must be read exactly once, by the split they start in. The oracle
is Hadoop's rule as Python states it: split on "\\n", drop one "\\r" before it, and a final
newline ends the last line (it does not start an empty one).
"""

import gzip
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minispark.errors import SparkException

EXAMPLES = settings(max_examples=25)

line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
                    max_size=30)


def expected_lines(content: bytes) -> list:
    text = content.decode("utf-8")
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def write(path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


@EXAMPLES
@given(lines=st.lists(line_text, max_size=40), crlf=st.booleans(), final_newline=st.booleans(),
       min_partitions=st.integers(1, 9))
def test_every_line_once_whatever_the_splits(sc, tmp_path_factory, lines, crlf, final_newline,
                                             min_partitions):
    ending = "\r\n" if crlf else "\n"
    content = (ending.join(lines) + (ending if final_newline and lines else "")).encode("utf-8")
    path = write(tmp_path_factory.mktemp("text") / "input.txt", content)
    rdd = sc.textFile(path, min_partitions)
    assert rdd.collect() == expected_lines(content)


def test_a_file_cut_into_many_splits(sc, tmp_path):
    lines = [f"line {i} " + "x" * (i % 37) for i in range(2000)]
    content = "\n".join(lines).encode()   # no newline after the last line
    path = write(tmp_path / "big.txt", content)
    rdd = sc.textFile(path, 7)
    assert rdd.getNumPartitions() >= 7
    assert rdd.collect() == lines
    per_partition = rdd.glom().map(len).collect()
    assert all(count > 0 for count in per_partition)


def test_mixed_line_endings_and_empty_lines(sc, tmp_path):
    content = b"first\r\n\r\nthird\n\nfifth\r\nsixth"
    path = write(tmp_path / "mixed.txt", content)
    for partitions in (1, 2, 3, 5, 30):
        assert sc.textFile(path, partitions).collect() == \
            ["first", "", "third", "", "fifth", "sixth"], partitions


def test_multibyte_characters_across_split_boundaries(sc, tmp_path):
    lines = ["ünïcödé €uro ✓ 日本語 " * (i % 4) for i in range(300)]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    path = write(tmp_path / "utf8.txt", content)
    assert sc.textFile(path, 11).collect() == lines


def test_an_empty_file(sc, tmp_path):
    path = write(tmp_path / "empty.txt", b"")
    assert sc.textFile(path).collect() == []
    assert sc.textFile(path, 4).count() == 0


def test_a_file_of_only_a_newline_is_one_empty_line(sc, tmp_path):
    assert sc.textFile(write(tmp_path / "nl.txt", b"\n")).collect() == [""]


def test_a_directory_of_files_in_name_order_skipping_hidden_ones(sc, tmp_path):
    write(tmp_path / "b.txt", b"b1\nb2\n")
    write(tmp_path / "a.txt", b"a1\na2")
    write(tmp_path / "c.txt", b"")
    write(tmp_path / "_SUCCESS", b"")
    write(tmp_path / ".hidden", b"secret\n")
    assert sc.textFile(str(tmp_path)).collect() == ["a1", "a2", "b1", "b2"]
    assert sc.textFile(str(tmp_path), 5).collect() == ["a1", "a2", "b1", "b2"]


def test_a_glob_and_a_comma_separated_list(sc, tmp_path):
    write(tmp_path / "part1.log", b"one\n")
    write(tmp_path / "part2.log", b"two\n")
    write(tmp_path / "notes.txt", b"not a log\n")
    assert sc.textFile(str(tmp_path / "*.log")).collect() == ["one", "two"]
    both = f"{tmp_path / 'notes.txt'},file:{tmp_path / 'part2.log'}"
    assert sc.textFile(both).collect() == ["not a log", "two"]


def test_a_gzipped_file_is_one_split(sc, tmp_path):
    path = tmp_path / "data.txt.gz"
    with gzip.open(path, "wb") as out:
        out.write(b"alpha\nbeta\r\ngamma\n")
    rdd = sc.textFile(str(path), 4)
    assert rdd.getNumPartitions() == 1
    assert rdd.collect() == ["alpha", "beta", "gamma"]


def test_use_unicode_false_gives_bytes(sc, tmp_path):
    path = write(tmp_path / "bytes.txt", "é\nb\n".encode())
    assert sc.textFile(path, use_unicode=False).collect() == ["é".encode(), b"b"]


def test_word_count_of_a_file(sc, tmp_path):
    path = write(tmp_path / "words.txt", b"to be or\nnot to be\n")
    counts = (sc.textFile(path, 3).flatMap(str.split).map(lambda w: (w, 1))
              .reduceByKey(lambda a, b: a + b))
    assert sorted(counts.collect()) == [("be", 2), ("not", 1), ("or", 1), ("to", 2)]


def test_wholeTextFiles(sc, tmp_path):
    contents = {f"f{i}.txt": f"file {i}\nline 2 of {i}\n" * i for i in range(5)}
    for name, text in contents.items():
        write(tmp_path / name, text.encode())
    result = sc.wholeTextFiles(str(tmp_path), 3).collect()
    assert sorted(result) == sorted((f"file:{tmp_path / name}", text)
                                    for name, text in contents.items())
    assert len(result) == len(contents)


def test_wholeTextFiles_of_a_missing_directory(sc, tmp_path):
    with pytest.raises(FileNotFoundError):
        sc.wholeTextFiles(str(tmp_path / "missing"))


@settings(max_examples=10)
@given(data=st.lists(st.one_of(line_text, st.integers()), max_size=30), n=st.integers(1, 5))
def test_saveAsTextFile_round_trip(sc, tmp_path_factory, data, n):
    directory = str(tmp_path_factory.mktemp("saved") / "out")
    sc.parallelize(data, n).saveAsTextFile(directory)
    names = sorted(os.listdir(directory))
    assert names == ["_SUCCESS"] + [f"part-{i:05d}" for i in range(n)]
    assert sc.textFile(directory).collect() == [str(x) for x in data]


def test_saveAsTextFile_refuses_an_existing_directory(sc, tmp_path):
    with pytest.raises(SparkException, match="already exists"):
        sc.parallelize([1]).saveAsTextFile(str(tmp_path))


@pytest.mark.timeout(60)
def test_an_empty_directory_is_an_rdd_without_partitions(sc, tmp_path):
    rdd = sc.textFile(str(tmp_path))
    assert rdd.getNumPartitions() == 0 and rdd.collect() == []
    words = rdd.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    assert words.collect() == []
