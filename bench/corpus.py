"""The word-count corpus: a deterministic text generator and a line-aligned file splitter.

The generator draws a vocabulary of ``VOCABULARY_SIZE`` made-up words from a fixed seed, then
writes lines of 5 to 15 words (10 on average), each word drawn with a Zipf-like weight
``1 / rank`` (shortest words first) so that a few short words are very common and most are rare,
as in real text. The same
seed and size always give the same bytes, so every engine and every run counts the same file.
A corpus is written once into ``bench/.cache/`` and reused.

``byte_ranges`` cuts a file into equal byte ranges and ``read_blocks`` reads one range the way
Hadoop's ``TextInputFormat`` does (and so ``sc.textFile``): a range owns every line that *starts*
inside it, so each line is read exactly once even when a cut falls in the middle of it.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "lines.txt")
>>> with open(path, "w") as f:
...     _ = f.write("a b\\nc d e\\nf\\n")
>>> [list(read_blocks(path, start, end)) for start, end in byte_ranges(path, 2)]
[['a b\\nc d e\\n'], ['f\\n']]
"""

import bisect
import itertools
import os
import random

CACHE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
SEED = 42
VOCABULARY_SIZE = 5000
LINES_PER_BATCH = 10_000
BLOCK_BYTES = 4 * 1024 * 1024    # read_blocks hands out text ~4 MB at a time, to bound memory


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    """``size`` distinct lowercase words of 2 to 10 letters, in the order ``rng`` draws them."""
    words: dict[str, None] = {}   # a dict keeps the draw order, so the result is deterministic
    while len(words) < size:
        length = rng.randint(2, 10)
        words["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=length))] = None
    return list(words)


def generate(path: str, size_bytes: int, seed: int = SEED) -> None:
    """Write at least ``size_bytes`` of text (whole lines) to ``path``, deterministically."""
    rng = random.Random(seed)
    # Short words are the common ones, as in real text ("the", "of", "and").
    vocabulary = sorted(make_vocabulary(rng, VOCABULARY_SIZE), key=len)
    # Zipf-like: the word of rank r is drawn with weight 1 / r.
    cumulative_weights = list(itertools.accumulate(1 / rank for rank in
                                                   range(1, VOCABULARY_SIZE + 1)))
    written = 0
    temporary = path + ".partial"
    with open(temporary, "w", encoding="ascii", newline="\n") as out:
        while written < size_bytes:
            lengths = [rng.randint(5, 15) for _ in range(LINES_PER_BATCH)]
            words = iter(rng.choices(vocabulary, cum_weights=cumulative_weights,
                                     k=sum(lengths)))
            text = "".join(" ".join(itertools.islice(words, n)) + "\n" for n in lengths)
            # Stop at the first line boundary past the target size.
            if written + len(text) > size_bytes:
                line_ends = list(itertools.accumulate(len(line) for line in
                                                      text.splitlines(keepends=True)))
                text = text[:line_ends[bisect.bisect_left(line_ends, size_bytes - written)]]
            out.write(text)
            written += len(text)
    os.replace(temporary, path)   # a run killed half-way never leaves a short corpus behind


def corpus_path(size_mb: float, seed: int = SEED, cache_dir: str = CACHE_DIR) -> str:
    """The cached corpus of ``size_mb`` megabytes (10**6 bytes), generated on first use."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"corpus-{size_mb:g}MB-seed{seed}.txt")
    if not os.path.exists(path):
        generate(path, int(size_mb * 1_000_000), seed)
    return path


def byte_ranges(path: str, count: int) -> list[tuple[int, int]]:
    """Cut the file into ``count`` ranges ``(start, end)`` of nearly equal size."""
    size = os.path.getsize(path)
    cuts = [size * i // count for i in range(count + 1)]
    return list(zip(cuts[:-1], cuts[1:]))


def read_blocks(path: str, start: int, end: int, block_bytes: int = BLOCK_BYTES):
    """Yield the text of the lines that start in ``[start, end)``, a few MB at a time."""
    with open(path, "rb") as f:
        if start > 0:
            # Skip the line that started before us: its owner is the previous range.
            f.seek(start - 1)
            f.readline()
        position = f.tell()
        while position < end:
            block = f.read(min(block_bytes, end - position))
            if not block:
                break
            if not block.endswith(b"\n"):
                block += f.readline()   # finish the line that started inside our range
            position = f.tell()
            yield block.decode("utf-8")
