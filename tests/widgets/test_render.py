"""The SVG of a DAG (render.py): well-formed, findable by class, escaped, deterministic.

The SVG is parsed with ``xml.etree`` (a browser is stricter about nothing here that XML is not),
and elements are found the way a browser test finds them: by CSS class and data attribute.
"""

import xml.etree.ElementTree as ET
from operator import add

import pytest

from minispark.planner import StagePlanner, describe_plan
from minispark_widgets.layout import layout_plan
from minispark_widgets.render import RDD_MARKS, STAGE_STATES, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def plan_of(rdd) -> dict:
    final = StagePlanner().result_stage(rdd, None, range(rdd.getNumPartitions()), job_id=0)
    return describe_plan(final)


@pytest.fixture
def word_count_plan(sc):
    lines = sc.parallelize(["a b c", "b c", "c"] * 5, 3)
    return plan_of(lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add, 2))


@pytest.fixture
def cached_join_plan(sc):
    cached = sc.parallelize(range(12), 2).map(lambda x: (x % 3, x)).cache()
    other = sc.parallelize([(0, "zero"), (1, "one")], 3)
    return plan_of(cached.union(cached.mapValues(abs)).join(other))


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def with_class(root, name) -> list:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def text_of(element) -> str:
    return "".join(element.itertext())


def test_the_svg_is_well_formed_and_every_element_can_be_found(cached_join_plan):
    layout = layout_plan(cached_join_plan)
    stage_ids = sorted(layout.stages)
    states = {stage_ids[0]: "done", stage_ids[-1]: "running"}
    root = parse(render_svg(layout, states))
    assert int(root.get("width")) >= layout.width and int(root.get("height")) > layout.height
    assert root.find(SVG + "style") is not None

    stages = with_class(root, "ms-stage")
    assert sorted(int(g.get("data-stage-id")) for g in stages) == stage_ids
    for g in stages:
        stage_id = int(g.get("data-stage-id"))
        assert f"ms-state-{states.get(stage_id, 'pending')}" in g.get("class").split()
    nodes = with_class(root, "ms-node")
    assert sorted(int(g.get("data-rdd-id")) for g in nodes) == sorted(layout.nodes)
    for g in nodes:
        node = layout.nodes[int(g.get("data-rdd-id"))]
        assert int(g.get("data-stage-id")) == node.stage_id
        assert node.label in text_of(g) and node.sublabel in text_of(g)
    edges = with_class(root, "ms-edge")
    assert len(edges) == len(layout.edges)
    shuffles = {(str(e.src_rdd), str(e.dst_rdd)) for e in layout.edges if e.shuffle}
    assert {(g.get("data-src-rdd"), g.get("data-dst-rdd"))
            for g in with_class(root, "ms-shuffle")} == shuffles
    assert len(with_class(root, "ms-narrow")) == len(layout.edges) - len(shuffles)
    for g in edges:   # a path with an arrowhead
        assert g.find(SVG + "path") is not None and g.find(SVG + "polygon") is not None


def test_each_state_has_its_class_its_word_and_a_legend_entry(word_count_plan):
    layout = layout_plan(word_count_plan)
    (first, second) = sorted(layout.stages)
    for state in STAGE_STATES:
        root = parse(render_svg(layout, {first: state, second: "done"}))
        (stage,) = [g for g in with_class(root, "ms-stage") if g.get("data-stage-id") == str(first)]
        assert f"ms-state-{state}" in stage.get("class")
        (label,) = [g for g in with_class(root, "ms-stage-label")
                    if g.get("data-stage-id") == str(first)]
        assert text_of(label) == f"Stage {first} (ShuffleMapStage) · {state}"
        legend = text_of(with_class(root, "ms-legend")[0])
        assert all(word in legend for word in STAGE_STATES)
        # the legend's samples are not mistaken for stages by a browser test
        assert len(with_class(root, f"ms-state-{state}")) == 1 + (state == "done")


def test_without_states_every_stage_is_pending_and_the_legend_shows_only_edges(word_count_plan):
    root = parse(render_svg(layout_plan(word_count_plan)))
    assert all("ms-state-pending" in g.get("class") for g in with_class(root, "ms-stage"))
    legend = text_of(with_class(root, "ms-legend")[0])
    assert "narrow dependency" in legend and "shuffle dependency" in legend
    assert "running" not in legend and "cached" not in legend


def test_marks_show_cached_and_computing_rdds(cached_join_plan):
    layout = layout_plan(cached_join_plan)
    cached = [r["rdd_id"] for r in cached_join_plan["rdds"] if r["storage_level"]]
    computing = max(layout.nodes)
    marks = {rdd_id: {"cached"} for rdd_id in cached}
    marks[computing] = {"computing"}
    root = parse(render_svg(layout, rdd_marks=marks))
    assert [int(g.get("data-rdd-id")) for g in with_class(root, "ms-cached")] == cached
    for g in with_class(root, "ms-cached"):
        assert "cached" in text_of(g)
        assert with_class(g, "ms-cached-ring")      # the double border
    assert [int(g.get("data-rdd-id")) for g in with_class(root, "ms-computing")] == [computing]
    assert "cached RDD" in text_of(with_class(root, "ms-legend")[0])


def test_text_from_user_code_is_escaped(word_count_plan):
    plan = word_count_plan
    rdd = plan["rdds"][0]
    rdd["call_site"] = "<ipython-input-3-5f2a>:2"
    rdd["name"] = 'lines "of" <book> & co\x01'
    rdd["op_name"] = "map<&>"
    plan["stages"][0]["name"] = "map at <ipython-input-3-5f2a>:2"
    svg = render_svg(layout_plan(plan), title='Job 0: collect at <ipython-input-3> & "more"')
    root = parse(svg)
    assert "<ipython-input" not in svg and "&lt;ipython-input-3-5f2a&gt;:2" in svg
    (node,) = [g for g in with_class(root, "ms-node") if g.get("data-rdd-id") == str(rdd["rdd_id"])]
    assert "map<&>" in text_of(node)
    tooltip = node.find(SVG + "title").text
    assert "map<&> at <ipython-input-3-5f2a>:2" in tooltip and 'lines "of" <book> & co?' in tooltip
    assert with_class(root, "ms-title")[0].text == 'Job 0: collect at <ipython-input-3> & "more"'
    assert root.get("aria-label") == 'Job 0: collect at <ipython-input-3> & "more"'


def test_the_output_is_deterministic(cached_join_plan):
    layout = layout_plan(cached_join_plan)
    ids = sorted(layout.stages)
    states = {s: "done" for s in ids}
    marks = {r: {"computing", "cached"} for r in sorted(layout.nodes)}
    once = render_svg(layout, states, marks, title="t")
    reversed_states = dict(reversed(list(states.items())))
    reversed_marks = {r: {"cached", "computing"} for r in sorted(layout.nodes, reverse=True)}
    assert render_svg(layout, reversed_states, reversed_marks, title="t") == once


def test_unknown_states_and_marks_are_refused(word_count_plan):
    layout = layout_plan(word_count_plan)
    stage_id, rdd_id = min(layout.stages), min(layout.nodes)
    with pytest.raises(ValueError, match="a stage state is one of pending, running"):
        render_svg(layout, {stage_id: "finished"})
    with pytest.raises(ValueError, match="an RDD mark is one of cached, computing"):
        render_svg(layout, rdd_marks={rdd_id: {"persisted"}})
    assert RDD_MARKS == ("cached", "computing")


def test_a_second_svg_reader_draws_it(word_count_plan, tmp_path):
    cairosvg = pytest.importorskip("cairosvg")
    layout = layout_plan(word_count_plan)
    svg = render_svg(layout, {min(layout.stages): "done", max(layout.stages): "running"},
                     {min(layout.nodes): {"cached"}}, title="word count")
    png = tmp_path / "word_count.png"
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(png))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
