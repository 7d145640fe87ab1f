"""Dependencies: the edges of the lineage graph.

Every RDD knows how each of its partitions is made from the partitions of its parents. That
knowledge is a *dependency*, and its kind decides how the job runs:

* A **narrow** dependency: each child partition needs a small, known set of parent partitions
  (``map``, ``filter``, ``union``, ``coalesce``, ``cartesian``). The child partition can be
  computed in the same task as its parents, record by record, with no data movement.
  ``OneToOneDependency`` (partition i needs parent partition i) and ``RangeDependency``
  (``union``: a run of child partitions maps to the parent's) are the common cases.
* A **shuffle** (wide) dependency: each child partition needs a piece of *every* parent
  partition (``reduceByKey``, ``groupByKey``, ``join``, ``sortByKey``). The parent must be
  computed completely and its records redistributed by key before any child partition can
  start. The planner cuts the job into stages exactly here.

A ``ShuffleDependency`` carries what the shuffle needs: the partitioner that sends each key to a
reduce partition and, optionally, an ``Aggregator`` whose functions let map tasks combine values
of the same key before writing them (map-side combine).

>>> from minispark.partitioner import Partitioner
>>> agg = Aggregator(lambda v: v, lambda c, v: c + v, lambda c1, c2: c1 + c2)
>>> agg.combine_values_by_key(iter([("a", 1), ("b", 1), ("a", 1)]))
{'a': 2, 'b': 1}
"""

from dataclasses import dataclass
from typing import Callable


class Dependency:
    """An edge from a child RDD to one parent RDD."""

    is_shuffle = False

    def __init__(self, rdd):
        self.rdd = rdd


class NarrowDependency(Dependency):
    """Each child partition depends on the parent partitions that ``get_parents`` names."""

    def __init__(self, rdd, get_parents: Callable[[int], list]):
        super().__init__(rdd)
        self.get_parents = get_parents


class OneToOneDependency(NarrowDependency):
    """Child partition ``i`` is computed from parent partition ``i``."""

    def __init__(self, rdd):
        super().__init__(rdd, lambda partition: [partition])


class RangeDependency(NarrowDependency):
    """Child partitions ``out_start .. out_start+length-1`` are parent partitions ``in_start ..``."""

    def __init__(self, rdd, in_start: int, out_start: int, length: int):
        def get_parents(partition):
            if out_start <= partition < out_start + length:
                return [partition - out_start + in_start]
            return []

        super().__init__(rdd, get_parents)


@dataclass(frozen=True)
class Aggregator:
    """The three functions of ``combineByKey``: how values of one key become one combiner."""

    create_combiner: Callable
    merge_value: Callable
    merge_combiners: Callable

    def combine_values_by_key(self, records, combiners=None) -> dict:
        """Fold ``(key, value)`` records into ``{key: combiner}`` (the map-side combine)."""
        combiners = {} if combiners is None else combiners
        create, merge = self.create_combiner, self.merge_value
        for key, value in records:
            if key in combiners:
                combiners[key] = merge(combiners[key], value)
            else:
                combiners[key] = create(value)
        return combiners

    def combine_combiners_by_key(self, records, combiners=None) -> dict:
        """Fold ``(key, combiner)`` records into ``{key: combiner}`` (the reduce side)."""
        combiners = {} if combiners is None else combiners
        merge = self.merge_combiners
        for key, combiner in records:
            if key in combiners:
                combiners[key] = merge(combiners[key], combiner)
            else:
                combiners[key] = combiner
        return combiners


class ShuffleDependency(Dependency):
    """The parent's records are redistributed by key into ``partitioner.numPartitions`` partitions.

    When the lineage is pickled for a task, the parent RDD is left out: the tasks of the child
    stage read the shuffle's output files, never recompute the parent. This is where the task of
    one stage stops carrying the code of the stage before it.
    """

    is_shuffle = True

    def __init__(self, rdd, shuffle_id: int, partitioner, aggregator: Aggregator | None = None,
                 map_side_combine: bool = False):
        super().__init__(rdd)
        self.shuffle_id = shuffle_id
        self.partitioner = partitioner
        self.aggregator = aggregator
        self.map_side_combine = map_side_combine and aggregator is not None
        self.num_map_partitions = rdd.getNumPartitions()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["rdd"] = None
        return state

    def __repr__(self):
        return f"ShuffleDependency(shuffle {self.shuffle_id}, {self.partitioner})"
