"""A hash that gives the same answer in every process.

A shuffle sends every record with key ``k`` to reduce partition ``hash(k) % n``. The map tasks
run in different worker processes, so they must all agree on ``hash(k)``; if they do not, the
records of one key land in different partitions and ``reduceByKey`` silently returns one key
several times. Python randomises ``hash(str)`` per process (PYTHONHASHSEED), so the built-in
``hash`` is exactly the wrong tool. This is the classic bug of a home-made Spark.

``portable_hash`` is stable across processes and runs: strings and bytes are hashed from their
UTF-8 bytes with CRC-32, tuples combine their items the way CPython's tuple hash does (as
PySpark's ``portable_hash`` does), and numbers use Python's own numeric hash, which is already
deterministic. For integers the result is the same as PySpark's, so ``partitionBy`` places
integer keys in the same partitions as PySpark.

>>> portable_hash("spark") == portable_hash("spark")
True
>>> portable_hash(None), portable_hash(7), portable_hash(-3)
(0, 7, -3)
>>> portable_hash((1, "a")) == portable_hash((1, "a"))
True
"""

from zlib import crc32

_MAXSIZE = (1 << 63) - 1  # sys.maxsize on 64-bit machines, as PySpark masks with it


def portable_hash(key) -> int:
    """Return a hash of ``key`` that is identical in every Python process."""
    if key is None:
        return 0
    if isinstance(key, str):
        return crc32(key.encode("utf-8", "surrogatepass"))
    if isinstance(key, (bytes, bytearray)):
        return crc32(key)
    if isinstance(key, tuple):
        # CPython's (pre-3.8) tuple hash, as PySpark uses it: order matters, items are mixed in.
        value = 0x345678
        for item in key:
            value ^= portable_hash(item)
            value = (value * 1000003) & _MAXSIZE
        value ^= len(key)
        return -2 if value == -1 else value
    if isinstance(key, frozenset):
        return _combine_unordered(key)
    # int, float, bool, Decimal, Fraction, and user types with a value-based __hash__.
    return hash(key)


def _combine_unordered(items) -> int:
    """Hash a set: the sum of the item hashes, so the order of iteration does not matter."""
    return sum(portable_hash(item) for item in items) & 0x7FFFFFFFFFFFFFFF
