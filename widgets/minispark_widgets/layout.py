"""Where to draw a job's DAG: boxes for RDDs and stages, paths for dependencies.

``layout_plan(plan)`` turns a plan (``planner.describe_plan``: the stages and RDDs of a job) into a
``Layout``: plain integer geometry, computed once per job. The live explorer only restyles it
(``render.render_svg`` colours the stage boxes as events arrive), so a picture never jumps about.

The picture reads like Spark's UI: data flows from the top (the sources) to the bottom (the RDD
the action was called on); each stage is a box around the RDDs its tasks compute, parent stages
above their children; a narrow dependency is a solid edge, a shuffle dependency a dashed one.
An RDD computed by several stages (a cached RDD read twice) is drawn once, in one of them (see
``_Dag._homes``); the other stages' tooltips say where it is.

Two engines place the boxes:

* ``"dot"``: Graphviz's layered layout through pygraphviz, one cluster subgraph per stage.
  No text is given to Graphviz, so it never measures fonts: node sizes are fixed here.
* ``"layered"``: the same idea in pure Python, for machines without pygraphviz
  (:mod:`minispark_widgets.layered`).

Everything is sorted and rounded to integers, so equal plans give equal layouts, byte for byte.

>>> plan = {"stages": [{"stage_id": 0, "kind": "ResultStage", "name": "map at x.py:1",
...                     "num_tasks": 2, "parent_ids": [], "rdd_ids": [1, 0]}],
...         "rdds": [{"rdd_id": 0, "op_name": "parallelize", "class_name": "ParallelCollectionRDD",
...                   "num_partitions": 2, "parents": []},
...                  {"rdd_id": 1, "op_name": "map", "class_name": "MapPartitionsRDD",
...                   "num_partitions": 2, "parents": [{"rdd_id": 0, "shuffle": False}]}]}
>>> layout = layout_plan(plan, engine="layered")
>>> layout.nodes[1].label, layout.nodes[1].sublabel, layout.stages[0].label
('map', 'MapPartitionsRDD [1] · 2 partitions', 'Stage 0 (ResultStage)')
>>> layout.nodes[0].y < layout.nodes[1].y      # the source is above
True
"""

import math
from dataclasses import dataclass

import networkx as nx

# Sizes in pixels, shared with render.py (which draws text at these sizes).
LABEL_SIZE, SUBLABEL_SIZE, HEADER_SIZE = 13, 11, 12
NODE_H = 42          # an RDD box: two lines of text
PAD = 12             # inside a stage box, around its nodes
HEADER_H = 22        # the stage label line at the top of a stage box
GAP = 24             # between slots of one row
ROW_GAP = 30         # between rows inside a stage box
BAND_GAP = 28        # between stage boxes (vertically and horizontally)
DUMMY_W = 12         # the slot a passing edge takes in a row
MARGIN = 16          # around the whole picture
STATE_RESERVE = " · resubmitted"   # render appends the stage state to its label


@dataclass(frozen=True)
class NodeBox:
    """One RDD: a box with its operation (label) and kind, id and partitions (sublabel)."""
    x: int
    y: int
    w: int
    h: int
    label: str        # the operation: "reduceByKey"
    sublabel: str     # "ShuffledRDD [3] · 4 partitions"
    stage_id: int     # the stage box it is drawn in
    detail: str = ""  # for a tooltip: call site, storage level


@dataclass(frozen=True)
class StageBox:
    x: int
    y: int
    w: int
    h: int
    label: str        # "Stage 1 (ResultStage)"
    detail: str = ""  # for a tooltip: "reduceByKey at wordcount.py:12, 4 tasks"
    note: str = ""    # in a box with no RDD of its own: "computes RDD [1] map, drawn in Stage 0"


@dataclass(frozen=True)
class Edge:
    """A dependency, drawn from the parent RDD (src) down to the child RDD (dst).

    ``points`` is a cubic Bézier path: the start, then three points (control, control, end) per
    segment. It starts on the bottom of the parent's box and ends on the top of the child's.
    """
    src_rdd: int
    dst_rdd: int
    shuffle: bool
    points: list


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    nodes: dict       # rdd id -> NodeBox
    stages: dict      # stage id -> StageBox
    edges: list       # Edge, sorted by (src_rdd, dst_rdd)
    engine: str       # "dot" or "layered"


def text_width(text: str, size: int, bold: bool = False) -> int:
    """A generous estimate of the drawn width of ``text`` in a sans-serif font."""
    return math.ceil(len(text) * size * (0.64 if bold else 0.6))


def layout_plan(plan: dict, engine: str = "auto") -> Layout:
    """Place the RDDs, stages and dependencies of ``plan`` (see ``planner.describe_plan``).

    ``engine`` is ``"dot"`` (needs pygraphviz), ``"layered"`` (pure Python) or ``"auto"``
    (dot when pygraphviz imports, else layered).
    """
    if engine not in ("auto", "dot", "layered"):
        raise ValueError(f"engine must be 'auto', 'dot' or 'layered', not {engine!r}")
    dag = _Dag(plan)
    if engine == "auto":
        try:
            import pygraphviz  # noqa: F401
            engine = "dot"
        except ImportError:
            engine = "layered"
    if engine == "dot":
        nodes, stages, paths = _dot(dag)
    else:
        from .layered import layered   # imported here: it builds on this module's sizes

        nodes, stages, paths = layered(dag)
    return _finish(dag, nodes, stages, paths, engine)


class _Dag:
    """The plan as a graph: RDDs, their home stages, edges, and the sizes of the boxes."""

    def __init__(self, plan):
        try:
            stages, rdds = plan["stages"], {r["rdd_id"]: r for r in plan["rdds"]}
        except (KeyError, TypeError) as error:
            raise ValueError("plan must be a dict with 'stages' and 'rdds' lists, as made by "
                             "minispark.planner.describe_plan") from error
        self.rdds, self.stage_info = rdds, {s["stage_id"]: s for s in stages}
        self.stage_ids = sorted(self.stage_info)
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(sorted(rdds))
        for rdd_id in sorted(rdds):
            for parent in rdds[rdd_id].get("parents", []):
                if parent["rdd_id"] in rdds:   # a parent outside the plan is not drawn
                    shuffle = bool(parent["shuffle"]) or bool(
                        self.graph.get_edge_data(parent["rdd_id"], rdd_id, {}).get("shuffle"))
                    self.graph.add_edge(parent["rdd_id"], rdd_id, shuffle=shuffle)
        if not nx.is_directed_acyclic_graph(self.graph):
            raise ValueError("the plan's RDD dependencies form a cycle")
        self.home = self._homes(prefer_small=True)
        if not nx.is_directed_acyclic_graph(self.meta_graph()):
            self.home = self._homes(prefer_small=False)
            if not nx.is_directed_acyclic_graph(self.meta_graph()):
                raise ValueError("the plan's stages depend on each other in a cycle")
        self.members = {s: sorted(r for r, h in self.home.items() if h == s)
                        for s in self.stage_ids}
        # Every node of a stage gets the same width, wide enough for its texts and the label.
        self.node_w = {}
        for s in self.stage_ids:
            header = text_width(self.stage_label(s) + STATE_RESERVE, HEADER_SIZE, bold=True)
            texts = [text_width(self.label(r), LABEL_SIZE, bold=True) for r in self.members[s]]
            texts += [text_width(self.sublabel(r), SUBLABEL_SIZE) for r in self.members[s]]
            if not self.members[s]:
                texts.append(text_width(self.note(s), SUBLABEL_SIZE))
            self.node_w[s] = max([header - 2 * PAD, 120] + [w + 20 for w in texts])

    def stage_label(self, stage_id) -> str:
        return f"Stage {stage_id} ({self.stage_info[stage_id]['kind']})"

    def _homes(self, prefer_small) -> dict:
        """RDD id -> the stage whose box it is drawn in.

        Of the stages that compute an RDD, one that no other of them must wait for; of those,
        the stage with the fewest RDDs (so that ``a`` in ``a.union(b)`` and ``a.reduceByKey``
        is drawn in the small stage of ``a.reduceByKey``, not as part of the union's), then
        the first. When that would make stages draw each other's RDDs in a circle, simply the
        first (stage ids grow from the sources to the result, so that order is always safe).
        """
        stage_graph = nx.DiGraph((p, s) for s in self.stage_ids
                                 for p in self.stage_info[s]["parent_ids"] if p in self.stage_info)
        stage_graph.add_nodes_from(self.stage_ids)
        computed_by = {}
        for s in self.stage_ids:
            for r in self.stage_info[s]["rdd_ids"]:
                computed_by.setdefault(r, []).append(s)
        home = {}
        for r, rdd in sorted(self.rdds.items()):
            stages = computed_by.get(r) or [rdd.get("stage_id")]
            if stages[0] not in self.stage_info:
                raise ValueError(f"RDD {r} belongs to no stage of the plan")
            if prefer_small:
                stages = [s for s in stages if not nx.ancestors(stage_graph, s) & set(stages)]
                home[r] = min(stages, key=lambda s: (len(self.stage_info[s]["rdd_ids"]), s))
            else:
                home[r] = min(stages)
        return home

    def note(self, stage_id) -> str:
        """What an empty stage box says: the stage's last RDD is drawn in another stage."""
        if self.members[stage_id]:
            return ""
        final = self.stage_info[stage_id]["rdd_ids"][0]
        return f"computes RDD [{final}] {self.label(final)}, drawn in Stage {self.home[final]}"

    def label(self, rdd_id) -> str:
        return rdd_label(self.rdds[rdd_id])

    def sublabel(self, rdd_id) -> str:
        rdd, n = self.rdds[rdd_id], self.rdds[rdd_id]["num_partitions"]
        return f"{rdd['class_name']} [{rdd_id}] · {n} partition{'' if n == 1 else 's'}"

    def meta_graph(self) -> nx.DiGraph:
        """Stages, with an edge wherever one stage must be drawn above another."""
        meta, drawn = nx.DiGraph(), set(self.home.values())
        meta.add_nodes_from(self.stage_ids)
        for s in self.stage_ids:
            meta.add_edges_from((p, s) for p in self.stage_info[s]["parent_ids"] if p in meta)
            if s not in drawn:   # all its RDDs are drawn in other stages: below them
                meta.add_edges_from((self.home[r], s) for r in self.stage_info[s]["rdd_ids"]
                                    if r in self.home)
        meta.add_edges_from((self.home[u], self.home[v]) for u, v in self.graph.edges
                            if self.home[u] != self.home[v])
        meta.remove_edges_from(list(nx.selfloop_edges(meta)))
        return meta


def _alap_layers(graph) -> list:
    """Layers of a DAG with every node as low as possible (sinks in the last layer), sorted."""
    generations = list(nx.topological_generations(graph.reverse(copy=False)))
    return [sorted(layer) for layer in reversed(generations)]


def _finish(dag, nodes, stages, paths, engine) -> Layout:
    """Shift everything so the picture starts at (MARGIN, MARGIN), and build the dataclasses."""
    boxes = list(nodes.values()) + list(stages.values())
    if not boxes:
        return Layout(2 * MARGIN, 2 * MARGIN, {}, {}, [], engine)
    points = [point for path in paths.values() for point in path]
    left = min([round(x) for x, _, _, _ in boxes] + [round(x) for x, _ in points])
    top = min([round(y) for _, y, _, _ in boxes] + [round(y) for _, y in points])
    dx, dy = MARGIN - left, MARGIN - top
    node_boxes = {r: NodeBox(round(x) + dx, round(y) + dy, w, h, dag.label(r), dag.sublabel(r),
                             dag.home[r], _node_detail(dag.rdds[r]))
                  for r, (x, y, w, h) in sorted(nodes.items())}
    stage_boxes = {s: StageBox(round(x) + dx, round(y) + dy, round(w), round(h),
                               dag.stage_label(s), _stage_detail(dag, s), dag.note(s))
                   for s, (x, y, w, h) in sorted(stages.items())}
    edges = [Edge(u, v, dag.graph.edges[u, v]["shuffle"],
                  [(round(px) + dx, round(py) + dy) for px, py in paths[u, v]])
             for u, v in sorted(dag.graph.edges)]
    boxes = [*node_boxes.values(), *stage_boxes.values()]
    points = [point for edge in edges for point in edge.points]
    width = max([b.x + b.w for b in boxes] + [x for x, _ in points]) + MARGIN
    height = max([b.y + b.h for b in boxes] + [y for _, y in points]) + MARGIN
    return Layout(width, height, node_boxes, stage_boxes, edges, engine)


def rdd_label(rdd) -> str:
    """An RDD's box label: its operation, after the one the user called when that differs
    (``distinct: map``, ``join: union``), as Spark's UI draws operation scopes."""
    scope = rdd.get("scope")
    return f"{scope}: {rdd['op_name']}" if scope else rdd["op_name"]


def _node_detail(rdd) -> str:
    lines = [f"{rdd.get('scope') or rdd['op_name']} at {rdd.get('call_site', '?')}"]
    if rdd.get("name"):
        lines.append(f"name: {rdd['name']}")
    if rdd.get("storage_level"):
        lines.append(f"persisted: {rdd['storage_level']}")
    return "\n".join(lines)


def _stage_detail(dag, stage_id) -> str:
    info = dag.stage_info[stage_id]
    detail = f"{info.get('name', '')}, {info.get('num_tasks', '?')} tasks"
    others = sorted({dag.home[r] for r in info["rdd_ids"] if dag.home.get(r, stage_id) != stage_id})
    if others:
        detail += "; also computes RDDs drawn in " + ", ".join(f"Stage {s}" for s in others)
    return detail


# ---- engine "dot": Graphviz through pygraphviz ------------------------------------------------

def _dot(dag):
    try:
        import pygraphviz
    except ImportError as error:
        raise ImportError("engine='dot' needs pygraphviz (pip install pygraphviz); "
                          "engine='layered' needs no Graphviz") from error
    # ranksep leaves room for a stage box's bottom padding, the next box's header and padding;
    # newrank ranks all nodes together, so that no edge between clusters is drawn flat.
    graph = pygraphviz.AGraph(directed=True, strict=False, rankdir="TB", newrank="true",
                              nodesep=GAP / 72, ranksep=(2 * PAD + HEADER_H + 14) / 72)
    for r in sorted(dag.rdds):
        graph.add_node(r, shape="box", label="", fixedsize="true",
                       width=dag.node_w[dag.home[r]] / 72, height=NODE_H / 72)
    for u, v in sorted(dag.graph.edges):
        shuffle = dag.graph.edges[u, v]["shuffle"]
        graph.add_edge(u, v, arrowhead="none", weight=1 if shuffle else 4)
    # Invisible edges put a stage's first RDDs below the last RDDs of the stages drawn above it.
    inner = {s: dag.graph.subgraph(dag.members[s]) for s in dag.stage_ids}
    for parent, child in sorted(dag.meta_graph().edges):
        for u in sorted(r for r, n in inner[parent].out_degree if n == 0):
            for v in sorted(r for r, n in inner[child].in_degree if n == 0):
                if not dag.graph.has_edge(u, v):
                    graph.add_edge(u, v, style="invis", weight=0)
    for s in dag.stage_ids:
        members = dag.members[s]
        if not members:   # a stage whose RDDs are all drawn elsewhere: an empty box below them
            members = [f"empty{s}"]
            graph.add_node(members[0], shape="box", label="", style="invis", fixedsize="true",
                           width=dag.node_w[s] / 72, height=NODE_H / 2 / 72)
            for r in sorted(r for r in dag.stage_info[s]["rdd_ids"] if r in dag.rdds):
                graph.add_edge(r, members[0], style="invis")
            for child in dag.stage_ids:   # and above the stages that read its shuffle output
                if s in dag.stage_info[child]["parent_ids"]:
                    for r in dag.members[child]:
                        if any(dag.graph.edges[p, r]["shuffle"] for p in dag.graph.pred[r]):
                            graph.add_edge(members[0], r, style="invis")
        graph.add_subgraph(members, name=f"cluster_{s}", margin=str(PAD))
    graph.layout(prog="dot")

    height = float(graph.graph_attr["bb"].split(",")[3])   # Graphviz's y axis points up

    def point(text):
        x, y = text.split(",")[-2:]
        return float(x), height - float(y)

    nodes = {}
    for r in sorted(dag.rdds):
        x, y = point(graph.get_node(r).attr["pos"])
        w = dag.node_w[dag.home[r]]
        nodes[r] = (round(x) - w // 2, round(y) - NODE_H // 2, w, NODE_H)
    stages = {}
    for s in dag.stage_ids:
        box = graph.get_subgraph(f"cluster_{s}").graph_attr["bb"]
        x0, y0, x1, y1 = (float(v) for v in box.split(","))
        top = height - y1 - HEADER_H
        stages[s] = (x0, top, x1 - x0, height - y0 - top)
    paths = {}
    for u, v in sorted(dag.graph.edges):
        spline = graph.get_edge(u, v).attr["pos"].split()
        paths[u, v] = [point(p) for p in spline if not p.startswith(("s,", "e,"))]
    return nodes, stages, paths
