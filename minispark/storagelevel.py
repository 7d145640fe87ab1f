"""StorageLevel: where ``persist()`` keeps the partitions of an RDD (same names as PySpark).

MiniSpark keeps a persisted partition in the worker process that computed it: in its memory for
the MEMORY levels, in a file of that worker for DISK_ONLY. Replication (the ``_2`` levels) is
accepted for compatibility; there is one copy.

>>> StorageLevel.MEMORY_ONLY
StorageLevel(False, True, False, False, 1)
>>> str(StorageLevel.MEMORY_AND_DISK)
'Disk Memory Serialized 1x Replicated'
"""


class StorageLevel:
    """Flags for controlling the storage of an RDD, as ``pyspark.StorageLevel``."""

    def __init__(self, useDisk, useMemory, useOffHeap, deserialized, replication=1):
        self.useDisk = useDisk
        self.useMemory = useMemory
        self.useOffHeap = useOffHeap
        self.deserialized = deserialized
        self.replication = replication

    def __repr__(self):
        return (
            f"StorageLevel({self.useDisk}, {self.useMemory}, {self.useOffHeap}, "
            f"{self.deserialized}, {self.replication})"
        )

    def __str__(self):
        result = ""
        result += "Disk " if self.useDisk else ""
        result += "Memory " if self.useMemory else ""
        result += "OffHeap " if self.useOffHeap else ""
        result += "Deserialized " if self.deserialized else "Serialized "
        result += f"{self.replication}x Replicated"
        return result

    def __eq__(self, other):
        return isinstance(other, StorageLevel) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


StorageLevel.NONE = StorageLevel(False, False, False, False)
StorageLevel.DISK_ONLY = StorageLevel(True, False, False, False)
StorageLevel.DISK_ONLY_2 = StorageLevel(True, False, False, False, 2)
StorageLevel.DISK_ONLY_3 = StorageLevel(True, False, False, False, 3)
StorageLevel.MEMORY_ONLY = StorageLevel(False, True, False, False)
StorageLevel.MEMORY_ONLY_2 = StorageLevel(False, True, False, False, 2)
StorageLevel.MEMORY_AND_DISK = StorageLevel(True, True, False, False)
StorageLevel.MEMORY_AND_DISK_2 = StorageLevel(True, True, False, False, 2)
StorageLevel.OFF_HEAP = StorageLevel(True, True, True, False, 1)
StorageLevel.MEMORY_AND_DISK_DESER = StorageLevel(True, True, False, True)
