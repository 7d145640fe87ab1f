"""Draw a ``Layout`` as SVG: stage boxes coloured by state, RDD boxes, dependency arrows.

``render_svg`` is a pure function from a layout (computed once per job) and the current state
(each stage's state, marks on RDDs) to a standalone SVG string. The live explorer calls it
again whenever an event changes the state; the geometry never moves, only the styles change.

How a state is shown, so that it is never told by colour alone (the Okabe-Ito colours stay
distinguishable with the common colour-vision deficiencies, and each state has its own line):

=============  ======================  ===================================
state          box colour              box outline
=============  ======================  ===================================
pending        grey                    thin, dotted
running        blue                    thick, solid
done           bluish green            thin, solid
failed         vermillion              thick, long dashes
skipped        white, RDDs faded       thin, dashed
resubmitted    orange                  thick, dash-dot
=============  ======================  ===================================

A narrow dependency is a thin solid arrow; a shuffle dependency a thick dashed one. A cached
RDD has a double border and a "cached" tag; the RDDs being computed are highlighted.

Every element carries CSS classes and data attributes (``ms-stage ms-state-running``,
``data-stage-id``; ``ms-node``, ``data-rdd-id``; ``ms-edge ms-shuffle``) for browser tests.
Presentation attributes give a readable black-and-white picture even where the embedded
``<style>`` is dropped; the style sheet adds the state colours. Output is deterministic.

>>> from minispark_widgets.layout import Layout, NodeBox, StageBox
>>> layout = Layout(200, 120, {0: NodeBox(20, 40, 160, 42, "parallelize", "[0]", 0)},
...                 {0: StageBox(8, 8, 184, 90, "Stage 0 (ResultStage)")}, [], "layered")
>>> svg = render_svg(layout, {0: "running"})
>>> 'class="ms-stage ms-state-running" data-stage-id="0"' in svg
True
"""

import math
import re
from xml.sax.saxutils import escape

from .layout import HEADER_SIZE, LABEL_SIZE, SUBLABEL_SIZE, text_width

RDD_MARKS = ("cached", "computing")
FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
TITLE_H, LEGEND_ROW_H, MIN_WIDTH = 30, 22, 420   # MIN_WIDTH keeps the legend to a few lines

# The look of each stage state: (fill, stroke, stroke width, dash pattern).
STATE_LOOKS = {
    "pending": ("#f7f7f7", "#8c8c8c", 1.5, "2 3"),
    "running": ("#e3f0fa", "#0072b2", 3, None),
    "done": ("#e0f3ec", "#009e73", 1.5, None),
    "failed": ("#fbe5d9", "#d55e00", 3, "9 4"),
    "skipped": ("#ffffff", "#a6a6a6", 1.5, "6 4"),
    "resubmitted": ("#fdf0d5", "#e69f00", 3, "12 3 3 3"),
}
STAGE_STATES = tuple(STATE_LOOKS)


def _style() -> str:
    """The style sheet. Legend samples have their own classes (ms-key-...), so that a test
    looking for ``.ms-state-running`` or ``.ms-edge`` finds only the picture's elements."""
    rules = [".ms-dag text { fill: #1a1a1a; }"]
    for state, (fill, stroke, width, dashes) in STATE_LOOKS.items():
        dash = f" stroke-dasharray: {dashes};" if dashes else ""
        rules.append(f".ms-dag .ms-state-{state} .ms-stage-box, .ms-dag .ms-key-{state} rect "
                     f"{{ fill: {fill}; stroke: {stroke}; stroke-width: {width};{dash} }}")
        rules.append(f".ms-dag .ms-label-{state} rect {{ fill: {fill}; }}")
    rules += [
        ".ms-dag .ms-stage-state { font-weight: normal; font-style: italic; fill: #404040; }",
        ".ms-dag .ms-label-skipped text { fill: #6e6e6e; }",
        ".ms-dag .ms-in-skipped { opacity: 0.5; }",
        ".ms-dag .ms-node-box { fill: #ffffff; stroke: #4d4d4d; stroke-width: 1.2; }",
        ".ms-dag .ms-node-label { font-weight: bold; }",
        ".ms-dag .ms-node-sublabel { fill: #595959; }",
        ".ms-dag .ms-computing .ms-node-box, .ms-dag .ms-key-computing rect "
        "{ fill: #fff3b0; stroke: #1a1a1a; stroke-width: 2.5; }",
        ".ms-dag .ms-cached-ring { fill: none; stroke: #a0457e; stroke-width: 1.2; }",
        ".ms-dag .ms-cached-tag rect { fill: #f6e8f1; stroke: #a0457e; }",
        ".ms-dag .ms-cached-tag path { fill: #f6e8f1; stroke: #7a2f5f; }",
        ".ms-dag .ms-cached-tag text { fill: #7a2f5f; font-weight: bold; }",
    ]
    for kind, colour, width, dash in (("narrow", "#595959", 1.5, ""),
                                      ("shuffle", "#262626", 2.4, " stroke-dasharray: 7 4;")):
        rules += [f".ms-dag .ms-{kind} path, .ms-dag .ms-key-{kind} path "
                  f"{{ fill: none; stroke: {colour}; stroke-width: {width};{dash} }}",
                  f".ms-dag .ms-{kind} polygon, .ms-dag .ms-key-{kind} polygon "
                  f"{{ fill: {colour}; }}"]
    return "\n".join(rules)


STYLE = _style()


def render_svg(layout, stage_states: dict = None, rdd_marks: dict = None,
               title: str | None = None) -> str:
    """The layout as a standalone SVG string.

    Parameters
    ----------
    layout: a ``layout.Layout`` (from ``layout_plan``).
    stage_states: stage id -> one of ``STAGE_STATES``; a stage not listed is "pending". When
        given, each stage label shows its state and the legend explains the six states.
    rdd_marks: rdd id -> a set of ``RDD_MARKS`` ("cached", "computing").
    title: an optional line of text above the picture.
    """
    states = {s: (stage_states or {}).get(s, "pending") for s in layout.stages}
    marks = {r: sorted((rdd_marks or {}).get(r, ())) for r in layout.nodes}
    for stage_id, state in sorted(states.items()):
        if state not in STAGE_STATES:
            raise ValueError(f"stage {stage_id} has state {state!r}; "
                             f"a stage state is one of {', '.join(STAGE_STATES)}")
    for rdd_id, rdd in sorted(marks.items()):
        for mark in rdd:
            if mark not in RDD_MARKS:
                raise ValueError(f"RDD {rdd_id} has mark {mark!r}; "
                                 f"an RDD mark is one of {', '.join(RDD_MARKS)}")
    top = TITLE_H if title else 0
    legend, legend_h = _legend(max(layout.width, MIN_WIDTH), stage_states is not None,
                               rdd_marks is not None)
    width, height = max(layout.width, MIN_WIDTH), top + layout.height + legend_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ms-dag" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" '
             f'role="img" aria-label={_attr(title or "DAG of RDDs and stages")}>',
             f"<style>{STYLE}</style>"]
    if title:
        parts.append(f'<text class="ms-title" x="16" y="20" font-size="15" '
                     f'font-weight="bold">{_text(title)}</text>')
    parts.append(f'<g transform="translate(0,{top})">')
    for stage_id, box in sorted(layout.stages.items()):
        parts.append(_stage(stage_id, box, states[stage_id]))
    for edge in sorted(layout.edges, key=lambda e: (e.src_rdd, e.dst_rdd)):
        parts.append(_edge(edge))
    for stage_id, box in sorted(layout.stages.items()):   # over the edges that enter the box
        parts.append(_stage_label(stage_id, box, states[stage_id], stage_states is not None))
    for rdd_id, node in sorted(layout.nodes.items()):
        parts.append(_node(rdd_id, node, marks[rdd_id], states.get(node.stage_id)))
    parts.append("</g>")
    parts.append(f'<g class="ms-legend" transform="translate(0,{top + layout.height})">'
                 f'{legend}</g>')
    parts.append("</svg>")
    return "\n".join(parts)


def _text(text) -> str:
    """Escape text for XML, dropping control characters that XML 1.0 forbids."""
    return escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "?", str(text)))


def _attr(text) -> str:
    return '"' + _text(text).replace('"', "&quot;") + '"'


def _stage(stage_id, box, state) -> str:
    """The box (its label comes later, over the edges), and the note of an empty box."""
    tooltip = f"{box.label}: {state}" + (f"\n{box.detail}" if box.detail else "")
    note = ""
    if box.note:
        note = (f'<text class="ms-stage-note" x="{box.x + box.w // 2}" '
                f'y="{box.y + (box.h + 22) // 2 + 4}" font-size="{SUBLABEL_SIZE}" '
                f'font-style="italic" text-anchor="middle">{_text(box.note)}</text>')
    return (f'<g class="ms-stage ms-state-{state}" data-stage-id="{stage_id}">'
            f"<title>{_text(tooltip)}</title>"
            f'<rect class="ms-stage-box" x="{box.x}" y="{box.y}" width="{box.w}" '
            f'height="{box.h}" rx="8" fill="#f7f7f7" stroke="#8c8c8c"/>{note}</g>')


def _stage_label(stage_id, box, state, show_state) -> str:
    """The label on a patch of the box's colour, so that edges pass behind it."""
    state_text = f" · {state}" if show_state else ""
    width = text_width(box.label + state_text, HEADER_SIZE, bold=True) + 8
    return (f'<g class="ms-stage-label ms-label-{state}" data-stage-id="{stage_id}">'
            f'<rect x="{box.x + 6}" y="{box.y + 4}" width="{min(width, box.w - 12)}" '
            f'height="18" fill="#f7f7f7"/>'
            f'<text x="{box.x + 10}" y="{box.y + 17}" font-size="{HEADER_SIZE}" '
            f'font-weight="bold">{_text(box.label)}<tspan class="ms-stage-state">'
            f'{_text(state_text)}</tspan></text></g>')


def _edge(edge) -> str:
    kind = "ms-shuffle" if edge.shuffle else "ms-narrow"
    return (f'<g class="ms-edge {kind}" data-src-rdd="{edge.src_rdd}" '
            f'data-dst-rdd="{edge.dst_rdd}">{_arrow(edge.points, edge.shuffle)}</g>')


def _arrow(points, shuffle) -> str:
    if len(points) >= 4 and (len(points) - 1) % 3 == 0:   # a cubic Bézier path
        path = f"M{points[0][0]},{points[0][1]}" + "".join(
            " C" + " ".join(f"{x},{y}" for x, y in points[i:i + 3])
            for i in range(1, len(points), 3))
    else:
        path = "M" + " L".join(f"{x},{y}" for x, y in points)
    head = _arrowhead(points, 11 if shuffle else 8)
    return (f'<path d="{path}" fill="none" stroke="#595959"/>'
            f'<polygon points="{head}" fill="#595959"/>')


def _arrowhead(points, length) -> str:
    """A triangle whose tip is the path's last point, pointing along its last direction."""
    tip_x, tip_y = points[-1]
    for x, y in reversed(points[:-1]):
        if (x, y) != (tip_x, tip_y):
            break
    else:
        x, y = tip_x, tip_y - 1
    distance = math.hypot(tip_x - x, tip_y - y)
    dx, dy = (tip_x - x) / distance, (tip_y - y) / distance
    base_x, base_y = tip_x - dx * length, tip_y - dy * length
    half = length * 0.45
    corners = [(tip_x, tip_y), (base_x - dy * half, base_y + dx * half),
               (base_x + dy * half, base_y - dx * half)]
    return " ".join(f"{round(cx)},{round(cy)}" for cx, cy in corners)


def _node(rdd_id, node, marks, stage_state) -> str:
    classes = "ms-node" + "".join(f" ms-{mark}" for mark in marks)
    if stage_state == "skipped":
        classes += " ms-in-skipped"
    centre = node.x + node.w // 2
    tooltip = f"{node.label} — {node.sublabel}" + (f"\n{node.detail}" if node.detail else "")
    parts = [f'<g class="{classes}" data-rdd-id="{rdd_id}" data-stage-id="{node.stage_id}">',
             f"<title>{_text(tooltip)}</title>",
             f'<rect class="ms-node-box" x="{node.x}" y="{node.y}" width="{node.w}" '
             f'height="{node.h}" rx="6" fill="#ffffff" stroke="#4d4d4d"/>']
    if "cached" in marks:
        parts.append(f'<rect class="ms-cached-ring" x="{node.x + 3}" y="{node.y + 3}" '
                     f'width="{node.w - 6}" height="{node.h - 6}" rx="4" fill="none" '
                     f'stroke="#4d4d4d"/>')
    parts.append(f'<text class="ms-node-label" x="{centre}" y="{node.y + node.h // 2 - 3}" '
                 f'font-size="{LABEL_SIZE}" text-anchor="middle">{_text(node.label)}</text>')
    parts.append(f'<text class="ms-node-sublabel" x="{centre}" y="{node.y + node.h // 2 + 12}" '
                 f'font-size="{SUBLABEL_SIZE}" text-anchor="middle">{_text(node.sublabel)}</text>')
    if "cached" in marks:
        parts.append(_cached_tag(node.x + node.w - 66, node.y - 9))
    parts.append("</g>")
    return "".join(parts)


def _cached_tag(x, y) -> str:
    """A small tag with a disk (a cylinder) and the word "cached"."""
    disk = "M5,5 a4,2 0 0,0 8,0 a4,2 0 0,0 -8,0 v7 a4,2 0 0,0 8,0 v-7"
    return (f'<g class="ms-cached-tag" transform="translate({x},{y})">'
            f'<rect width="60" height="18" rx="9" fill="#ffffff" stroke="#4d4d4d"/>'
            f'<path d="{disk}" fill="#ffffff" stroke="#4d4d4d" transform="translate(2,0)"/>'
            f'<text x="20" y="13" font-size="10">cached</text></g>')


def _legend(width, show_states, show_marks) -> tuple:
    """The legend's SVG and height: items laid out left to right, wrapping at ``width``."""
    arrow = [(0, 6), (10, 6), (20, 6), (30, 6)]
    items = [("narrow dependency", f'<g class="ms-key-narrow">{_arrow(arrow, False)}</g>'),
             ("shuffle dependency", f'<g class="ms-key-shuffle">{_arrow(arrow, True)}</g>')]
    if show_marks:
        items += [("cached RDD", _cached_tag(0, -4)),
                  ("being computed", '<g class="ms-key-computing"><rect y="-2" width="30" '
                   'height="14" rx="3" fill="#ffffff" stroke="#4d4d4d"/></g>')]
    if show_states:
        items += [(state, f'<g class="ms-key-{state}"><rect y="-2" width="30" height="14" '
                          f'rx="3" fill="#f7f7f7" stroke="#8c8c8c"/></g>')
                  for state in STAGE_STATES]
    parts, x, y = [], 16, 4
    for label, sample in items:
        sample_w = 64 if label == "cached RDD" else 34
        item_w = sample_w + 6 + text_width(label, 11) + 12
        if x > 16 and x + item_w > width - 8:
            x, y = 16, y + LEGEND_ROW_H
        parts.append(f'<g transform="translate({x},{y})">{sample}<text x="{sample_w + 6}" '
                     f'y="10" font-size="11">{_text(label)}</text></g>')
        x += item_w
    return "".join(parts), y + LEGEND_ROW_H

