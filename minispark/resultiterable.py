"""ResultIterable: the values of one key after ``groupByKey`` (as in PySpark)."""

from collections.abc import Iterable


class ResultIterable(Iterable):
    """A re-iterable, sized wrapper around the values grouped under one key."""

    def __init__(self, data):
        self.data = data
        self.index = 0
        self.maxindex = len(data)

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        return f"ResultIterable({self.data!r})"
