"""The DAG layout (layout.py): real plans of real lineages, placed by both engines.

Each lineage is built on the shared context and planned without running a job, exactly as a
``JobStarted`` event would carry it. The checks are about structure, never about exact
coordinates: every RDD and stage is drawn, nodes sit inside their stage's box and nowhere else,
parents are above children, the edges are the plan's dependencies, no edge runs behind a node,
and equal plans give byte-identical pictures, even in another process.
"""

import copy
import json
import os
import random
import subprocess
import sys
from operator import add

import pytest

from minispark.planner import StagePlanner, describe_plan
from minispark_widgets.layout import Layout, layout_plan
from minispark_widgets.render import render_svg

try:
    import pygraphviz  # noqa: F401  (only to know whether the dot engine can be tested)
    ENGINES = ["dot", "layered"]
except ImportError:
    ENGINES = [pytest.param("dot", marks=pytest.mark.skip(reason="pygraphviz is not installed")),
               "layered"]


def plan_of(rdd) -> dict:
    """The plan a JobStarted event would carry for an action on ``rdd``."""
    final = StagePlanner().result_stage(rdd, None, range(rdd.getNumPartitions()), job_id=0)
    return describe_plan(final)


# ---- lineages ----------------------------------------------------------------------------------

def word_count(sc, tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("the quick brown fox\njumps over the lazy dog\n" * 10)
    return sc.textFile(str(path), 2).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)


def join(sc, tmp_path):
    users = sc.parallelize([(1, "ann"), (2, "bob")], 2).mapValues(str.title)
    orders = sc.parallelize([(1, 9.5), (1, 3.0), (2, 7.25)], 3).filter(lambda kv: kv[1] > 1)
    return users.join(orders).mapValues(lambda pair: pair[1])


def union_of_a_cached_rdd(sc, tmp_path):
    cached = sc.parallelize(range(20), 2).map(lambda x: (x % 4, x)).cache()
    return cached.union(cached.filter(lambda kv: kv[1] % 2)).reduceByKey(add).sortByKey()


def long_narrow_chain(sc, tmp_path):
    rdd = sc.parallelize(range(10), 2)
    for step in range(45):
        rdd = rdd.map(lambda x, step=step: x + step)
    return rdd.map(lambda x: (x % 3, x)).reduceByKey(add).filter(bool)


def rdd_read_by_two_stages(sc, tmp_path):
    pairs = sc.parallelize(range(10), 2).map(lambda x: (x % 3, x))
    longer = pairs.mapValues(str).mapValues(len)
    other = sc.parallelize([(1, "x")], 2)
    return longer.union(other).reduceByKey(max).join(pairs.reduceByKey(min))


def cached_rdd_read_by_two_identical_stages(sc, tmp_path):
    cached = sc.parallelize(range(10), 2).map(lambda x: (x % 3, x)).cache()
    return cached.reduceByKey(max).join(cached.groupByKey())


def page_rank(sc, tmp_path):
    links = sc.parallelize([(1, [2, 3]), (2, [1]), (3, [1, 2])], 2).partitionBy(2).cache()
    ranks = links.mapValues(lambda _: 1.0)
    for _ in range(3):
        contributions = links.join(ranks).flatMap(
            lambda kv: [(dest, kv[1][1] / len(kv[1][0])) for dest in kv[1][0]])
        ranks = contributions.reduceByKey(add, 2).mapValues(lambda r: 0.15 + 0.85 * r)
    return ranks


LINEAGES = [word_count, join, union_of_a_cached_rdd, long_narrow_chain, rdd_read_by_two_stages,
            cached_rdd_read_by_two_identical_stages, page_rank]


@pytest.fixture(params=LINEAGES, ids=lambda f: f.__name__)
def plan(request, sc, tmp_path):
    return plan_of(request.param(sc, tmp_path))


# ---- geometry helpers -----------------------------------------------------------------------

def inside(inner, outer) -> bool:
    return (outer.x <= inner.x and inner.x + inner.w <= outer.x + outer.w
            and outer.y <= inner.y and inner.y + inner.h <= outer.y + outer.h)


def overlap(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def on_border(point, box, tolerance=2) -> bool:
    x, y = point
    within = (box.x - tolerance <= x <= box.x + box.w + tolerance
              and box.y - tolerance <= y <= box.y + box.h + tolerance)
    return within and min(abs(x - box.x), abs(x - box.x - box.w),
                          abs(y - box.y), abs(y - box.y - box.h)) <= tolerance


def bezier_samples(points, steps=24):
    """Points along a cubic Bézier path (start, then control, control, end per segment)."""
    for i in range(1, len(points), 3):
        p0, p1, p2, p3 = points[i - 1:i + 3]
        for k in range(steps + 1):
            t = k / steps
            yield tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c
                        + t ** 3 * d for a, b, c, d in zip(p0, p1, p2, p3))


# ---- structure --------------------------------------------------------------------------------
# Each check_... function states one property of a layout; the tests below apply them to the
# named lineages, and to random ones.

def check_every_rdd_and_stage_is_drawn_where_the_plan_puts_it(plan, layout, engine):
    assert isinstance(layout, Layout) and layout.engine == engine
    assert sorted(layout.nodes) == sorted(r["rdd_id"] for r in plan["rdds"])
    assert sorted(layout.stages) == sorted(s["stage_id"] for s in plan["stages"])
    stage_rdds = {s["stage_id"]: set(s["rdd_ids"]) for s in plan["stages"]}
    for rdd in plan["rdds"]:
        node = layout.nodes[rdd["rdd_id"]]
        assert rdd["rdd_id"] in stage_rdds[node.stage_id]     # drawn in a stage that computes it
        # The operation, after the one the user called when it is a step of it (join: union).
        scope = rdd.get("scope")
        assert node.label == (f"{scope}: {rdd['op_name']}" if scope else rdd["op_name"])
        assert f"{rdd['class_name']} [{rdd['rdd_id']}]" in node.sublabel
        assert f"{rdd['num_partitions']} partition" in node.sublabel
    for stage in plan["stages"]:
        assert layout.stages[stage["stage_id"]].label == \
            f"Stage {stage['stage_id']} ({stage['kind']})"


def check_boxes_contain_their_rdds_and_nothing_overlaps(plan, layout, engine):
    nodes, stages = layout.nodes, layout.stages
    for rdd_id, node in nodes.items():
        assert inside(node, stages[node.stage_id]), (rdd_id, node, stages[node.stage_id])
        for stage_id, box in stages.items():
            if stage_id != node.stage_id:
                assert not overlap(node, box), (rdd_id, stage_id)
    for a in sorted(nodes):
        for b in sorted(nodes):
            assert a == b or not overlap(nodes[a], nodes[b]), (a, b)
    for a in sorted(stages):
        for b in sorted(stages):
            assert a == b or not overlap(stages[a], stages[b]), (a, b)
    for box in [*nodes.values(), *stages.values()]:
        assert all(isinstance(v, int) for v in (box.x, box.y, box.w, box.h))
        assert 0 <= box.x and box.x + box.w <= layout.width
        assert 0 <= box.y and box.y + box.h <= layout.height


def check_edges_are_the_plans_dependencies_and_flow_downwards(plan, layout, engine):
    expected = {(p["rdd_id"], r["rdd_id"], p["shuffle"])
                for r in plan["rdds"] for p in r["parents"]}
    assert {(e.src_rdd, e.dst_rdd, e.shuffle) for e in layout.edges} == expected
    assert len(layout.edges) == len({(u, v) for u, v, _ in expected})   # each drawn once
    shuffles = {(u, v) for u, v, shuffle in expected if shuffle}
    assert {(e.src_rdd, e.dst_rdd) for e in layout.edges if e.shuffle} == shuffles
    for edge in layout.edges:
        parent, child = layout.nodes[edge.src_rdd], layout.nodes[edge.dst_rdd]
        assert parent.y + parent.h <= child.y                 # sources at the top
        assert all(isinstance(c, int) for point in edge.points for c in point)
        assert all(8 <= x <= layout.width - 8 and 8 <= y <= layout.height - 8
                   for x, y in edge.points)                 # inside the picture, not on its rim
        assert (len(edge.points) - 1) % 3 == 0 and len(edge.points) >= 4
        assert on_border(edge.points[0], parent) and on_border(edge.points[-1], child)
        if engine == "layered":   # out of the bottom, into the top
            assert edge.points[0][1] == parent.y + parent.h and edge.points[-1][1] == child.y


def check_parent_stages_are_above_their_children(plan, layout, engine):
    for stage in plan["stages"]:
        child = layout.stages[stage["stage_id"]]
        for parent_id in stage["parent_ids"]:
            parent = layout.stages[parent_id]
            assert parent.y < child.y
            if engine == "layered":   # stage boxes come in bands, parents in an earlier band
                assert parent.y + parent.h < child.y


def check_no_edge_runs_behind_a_node(plan, layout, engine):
    """The pitfall of straight edges that skip a row: they vanish behind the middle node."""
    for edge in layout.edges:
        for rdd_id, node in layout.nodes.items():
            if rdd_id in (edge.src_rdd, edge.dst_rdd):
                continue
            for x, y in bezier_samples(edge.points):
                assert not (node.x + 3 < x < node.x + node.w - 3
                            and node.y + 3 < y < node.y + node.h - 3), (edge, rdd_id)


CHECKS = [check_every_rdd_and_stage_is_drawn_where_the_plan_puts_it,
          check_boxes_contain_their_rdds_and_nothing_overlaps,
          check_edges_are_the_plans_dependencies_and_flow_downwards,
          check_parent_stages_are_above_their_children,
          check_no_edge_runs_behind_a_node]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__[len("check_"):])
def test_layout_of_a_lineage(plan, engine, check):
    check(plan, layout_plan(plan, engine=engine), engine)


def random_lineage(sc, rng):
    """Up to 25 random transformations: narrow ones, shuffles, unions, joins, caching."""
    rdds = [sc.parallelize([(i, i) for i in range(6)], rng.randint(1, 3))]
    for _ in range(rng.randint(1, 25)):
        rdd = rng.choice(rdds[-4:] if rng.random() < 0.7 else rdds)
        other = rng.choice(rdds)
        rdds.append(rng.choice([
            lambda: rdd.mapValues(abs), lambda: rdd.filter(bool),
            lambda: rdd.reduceByKey(add, rng.randint(1, 3)), lambda: rdd.union(other),
            lambda: rdd.join(other), lambda: rdd.cache().mapValues(str).mapValues(len),
            lambda: sc.parallelize([(1, 1)], rng.randint(1, 3)).union(rdd),
            lambda: rdd.groupByKey().mapValues(len)])())
    return rdds[-1]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", range(25))
def test_layout_of_a_random_lineage(sc, engine, seed):
    plan = plan_of(random_lineage(sc, random.Random(seed)))
    layout = layout_plan(plan, engine=engine)
    for check in CHECKS:
        check(plan, layout, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_rdd_computed_by_several_stages_is_drawn_once(sc, tmp_path, engine):
    plan = plan_of(rdd_read_by_two_stages(sc, tmp_path))
    shared = [r for r in plan["rdds"]
              if sum(r["rdd_id"] in s["rdd_ids"] for s in plan["stages"]) > 1]
    assert shared                                         # the lineage really shares RDDs
    layout = layout_plan(plan, engine=engine)
    assert len(layout.nodes) == len(plan["rdds"])
    # drawn in the small stage that only computes `pairs`, not in the union's stage
    small = min(plan["stages"], key=lambda s: len(s["rdd_ids"]))
    assert {layout.nodes[r["rdd_id"]].stage_id for r in shared} == {small["stage_id"]}
    bigger = [s for s in plan["stages"] if s["stage_id"] != small["stage_id"]
              and set(small["rdd_ids"]) <= set(s["rdd_ids"])][0]
    assert f"drawn in Stage {small['stage_id']}" in layout.stages[bigger["stage_id"]].detail


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stage_whose_rdds_are_all_drawn_elsewhere_gets_a_box_that_says_so(sc, tmp_path, engine):
    plan = plan_of(cached_rdd_read_by_two_identical_stages(sc, tmp_path))
    first, second = plan["stages"][0], plan["stages"][1]
    assert set(first["rdd_ids"]) == set(second["rdd_ids"])
    layout = layout_plan(plan, engine=engine)
    assert not [n for n in layout.nodes.values() if n.stage_id == second["stage_id"]]
    final = first["rdd_ids"][0]
    assert layout.stages[second["stage_id"]].note == \
        f"computes RDD [{final}] map, drawn in Stage {first['stage_id']}"


# ---- determinism ------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_equal_plans_give_identical_layouts_and_svg(plan, engine):
    shuffled = copy.deepcopy(plan)
    random.Random(7).shuffle(shuffled["rdds"])
    random.Random(8).shuffle(shuffled["stages"])
    first, second = layout_plan(plan, engine=engine), layout_plan(json.loads(json.dumps(shuffled)),
                                                                  engine=engine)
    assert first == second
    assert render_svg(first, {0: "done"}) == render_svg(second, {0: "done"})


@pytest.mark.parametrize("engine", ENGINES)
def test_the_svg_is_byte_stable_across_processes(sc, tmp_path, engine):
    """nbval compares widget reprs, which hold the SVG: another interpreter, another hash seed."""
    plan = plan_of(page_rank(sc, tmp_path))
    here = render_svg(layout_plan(plan, engine=engine), {0: "done", 1: "running"})
    script = ("import json, sys\n"
              "from minispark_widgets.layout import layout_plan\n"
              "from minispark_widgets.render import render_svg\n"
              "plan = json.loads(sys.stdin.read())\n"
              f"sys.stdout.write(render_svg(layout_plan(plan, engine={engine!r}), "
              "{0: 'done', 1: 'running'}))\n")
    there = subprocess.run([sys.executable, "-c", script], input=json.dumps(plan), text=True,
                           capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert there == here


# ---- engines and bad input ----------------------------------------------------------------------

def test_auto_uses_dot_when_pygraphviz_imports_and_the_layered_engine_otherwise(sc, tmp_path,
                                                                                 monkeypatch):
    plan = plan_of(join(sc, tmp_path))
    expected = "dot" if ENGINES[0] == "dot" else "layered"
    assert layout_plan(plan).engine == expected
    monkeypatch.setitem(sys.modules, "pygraphviz", None)   # `import pygraphviz` now fails
    assert layout_plan(plan).engine == "layered"
    with pytest.raises(ImportError, match="engine='layered' needs no Graphviz"):
        layout_plan(plan, engine="dot")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_single_rdd(sc, engine):
    rdd = sc.parallelize([1, 2, 3], 1)
    layout = layout_plan(plan_of(rdd), engine=engine)
    assert list(layout.nodes) == [rdd.id()] and layout.edges == [] and len(layout.stages) == 1
    node = layout.nodes[rdd.id()]
    assert (node.label, node.sublabel) == ("parallelize", f"ParallelCollectionRDD [{rdd.id()}] "
                                                          "· 1 partition")
    assert inside(node, layout.stages[node.stage_id])


def test_bad_input_is_refused_with_a_clear_error(sc, tmp_path):
    plan = plan_of(word_count(sc, tmp_path))
    with pytest.raises(ValueError, match="engine must be 'auto', 'dot' or 'layered'"):
        layout_plan(plan, engine="neato")
    with pytest.raises(ValueError, match="describe_plan"):
        layout_plan({"rdds": []})
    orphan = copy.deepcopy(plan)
    for stage in orphan["stages"]:
        stage["rdd_ids"] = [r for r in stage["rdd_ids"] if r != orphan["rdds"][0]["rdd_id"]]
    orphan["rdds"][0]["stage_id"] = 99
    with pytest.raises(ValueError, match="belongs to no stage"):
        layout_plan(orphan)
