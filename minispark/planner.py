"""The planner: cut an RDD's lineage into stages at shuffle boundaries.

A stage is a maximal chain of narrow dependencies; every ShuffleDependency starts a new stage.
Inside a stage, records flow from RDD to RDD through iterators in one task per partition, with
no data movement. At a shuffle dependency the parent side must be completely computed and
written as shuffle blocks before the child side can read them, so the parent side becomes its
own stage, which must finish first.

* A **ShuffleMapStage** ends in the parent RDD of a shuffle; its tasks write map outputs.
* The **ResultStage** ends in the RDD an action was called on; its tasks compute the action's
  function on each partition.

Planning is a walk of the lineage: from the final RDD, follow narrow dependencies (the same
stage) until a shuffle dependency is met; that dependency's parent RDD is the last RDD of a
parent stage, planned the same way. A ShuffleMapStage is remembered by its shuffle id, so a later
job that reaches the same shuffle reuses the stage, and when its map outputs still exist the
scheduler *skips* it instead of running it again.

The functions here are pure: they read the lineage and return data. ``plan_stages`` plans an
RDD without any scheduler, for tests and pictures:

>>> words = sc.parallelize(["a b", "b c"], 2).flatMap(str.split).map(lambda w: (w, 1))
>>> counts = words.reduceByKey(lambda a, b: a + b)
>>> [(s.kind, s.num_tasks, [r.op_name for r in s.rdds]) for s in plan_stages(counts)]
[('ShuffleMapStage', 2, ['map', 'flatMap', 'parallelize']), ('ResultStage', 2, ['reduceByKey'])]
"""

import itertools
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Stage:
    stage_id: int
    rdd: object              # the last RDD of the stage (the one its tasks compute)
    num_tasks: int           # partitions of ``rdd`` (a ResultStage may run fewer: ``partitions``)
    parents: tuple           # the stages that must finish first
    first_job_id: int

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def name(self) -> str:
        return self.rdd.call_label   # Spark names a stage after its last RDD's call site

    @property
    def rdds(self) -> list:
        """The RDDs computed inside this stage, from its last RDD back to its first."""
        return stage_rdds(self.rdd)

    def __repr__(self):
        return f"{self.kind}({self.stage_id}, {self.name!r}, tasks={self.num_tasks})"


@dataclass(frozen=True, eq=False, repr=False)
class ShuffleMapStage(Stage):
    shuffle_dependency: object = None   # the dependency whose map side this stage writes


@dataclass(frozen=True, eq=False, repr=False)
class ResultStage(Stage):
    func: object = None                 # the action's function, applied to each partition
    partitions: tuple = ()              # the partitions the action needs (take may need few)


def stage_rdds(rdd) -> list:
    """All RDDs reachable from ``rdd`` through narrow dependencies (depth first, no recursion).

    An explicit stack instead of recursion: iterative programs build lineages thousands of
    RDDs deep, deeper than Python's recursion limit.
    """
    seen, order, stack = set(), [], [rdd]
    while stack:
        current = stack.pop()
        if current.id() in seen:
            continue
        seen.add(current.id())
        order.append(current)
        for dependency in reversed(current.dependencies):
            if not dependency.is_shuffle:
                stack.append(dependency.rdd)
    return order


def shuffle_dependencies_of_stage(rdd) -> list:
    """The shuffle dependencies met when walking back from ``rdd`` through narrow ones."""
    found = []
    for current in stage_rdds(rdd):
        for dependency in current.dependencies:
            if dependency.is_shuffle and dependency not in found:
                found.append(dependency)
    return found


class StagePlanner:
    """Creates stages with increasing ids and reuses ShuffleMapStages by shuffle id."""

    def __init__(self, stage_ids=None):
        self.stage_ids = stage_ids if stage_ids is not None else itertools.count()
        self.shuffle_stages: dict = {}    # shuffle id -> ShuffleMapStage
        self.first_stage_id = None        # the first id this planner handed out

    def result_stage(self, rdd, func, partitions, job_id) -> ResultStage:
        parents = self._parent_stages(rdd, job_id)
        return ResultStage(self._new_id(), rdd, rdd.getNumPartitions(), tuple(parents), job_id,
                           func=func, partitions=tuple(partitions))

    def _parent_stages(self, rdd, job_id) -> list:
        return [self.shuffle_map_stage(dep, job_id) for dep in shuffle_dependencies_of_stage(rdd)]

    def shuffle_map_stage(self, dependency, job_id) -> ShuffleMapStage:
        stage = self.shuffle_stages.get(dependency.shuffle_id)
        if stage is None:
            # Parents first, so stage ids grow from the sources to the result, as in Spark.
            parents = self._parent_stages(dependency.rdd, job_id)
            stage = ShuffleMapStage(self._new_id(), dependency.rdd,
                                    dependency.rdd.getNumPartitions(), tuple(parents), job_id,
                                    shuffle_dependency=dependency)
            self.shuffle_stages[dependency.shuffle_id] = stage
        return stage

    def _new_id(self) -> int:
        stage_id = next(self.stage_ids)
        if self.first_stage_id is None:
            self.first_stage_id = stage_id
        return stage_id


def all_stages(final_stage) -> list:
    """The stages of a job, parents before children, each once."""
    ordered, seen = [], set()
    stack = [(final_stage, False)]
    while stack:
        stage, expanded = stack.pop()
        if stage.stage_id in seen:
            continue
        if expanded:
            seen.add(stage.stage_id)
            ordered.append(stage)
            continue
        stack.append((stage, True))
        for parent in reversed(stage.parents):
            if parent.stage_id not in seen:
                stack.append((parent, False))
    return ordered


def plan_stages(rdd) -> list:
    """Plan the stages an action on ``rdd`` would run, without running or registering anything."""
    final = StagePlanner().result_stage(rdd, None, range(rdd.getNumPartitions()), job_id=-1)
    return all_stages(final)


def describe_plan(final_stage, block_locations=None) -> dict:
    """The plan as plain data (for events, the event log and the DAG pictures)."""
    stages, rdds = [], {}
    for stage in all_stages(final_stage):
        members = stage.rdds
        stages.append({
            "stage_id": stage.stage_id, "kind": stage.kind, "name": stage.name,
            "num_tasks": stage.num_tasks, "parent_ids": [p.stage_id for p in stage.parents],
            "rdd_ids": [r.id() for r in members],
        })
        for rdd in members:
            rdds[rdd.id()] = {
                "rdd_id": rdd.id(), "name": rdd.name(), "op_name": rdd.op_name,
                "scope": rdd.scope,
                "class_name": type(rdd).__name__, "call_site": rdd.call_site,
                "num_partitions": rdd.getNumPartitions(),
                "storage_level": str(rdd.getStorageLevel()) if rdd.is_cached else None,
                "parents": [{"rdd_id": d.rdd.id(), "shuffle": d.is_shuffle}
                            for d in rdd.dependencies if d.rdd is not None],
                "stage_id": stage.stage_id,
            }
    return {"stages": stages, "rdds": sorted(rdds.values(), key=lambda r: r["rdd_id"])}
