"""The pure-Python layout engine, for machines without pygraphviz (``layout_plan(engine="layered")``).

Stages are cut into *bands* (rows of stage boxes, parents above children); inside its box each
stage's RDDs are cut into rows by ``networkx.topological_generations``, each as low as it can go
(a source joins just above its first child, so edges stay short). An edge that skips rows gets a
*dummy* slot in every row it crosses (inside its own stage box, or in a channel between boxes),
so it bends around nodes instead of running behind them. In each row the slots are ordered by
the mean position of their parents (the barycenter heuristic) to avoid crossings. Edges are
drawn as Bézier S-curves through their slots.
"""

from .layout import BAND_GAP, DUMMY_W, GAP, HEADER_H, NODE_H, PAD, ROW_GAP, _alap_layers


def layered(dag):
    # 1. Stage bands, parents above children; in each band order the stages by barycenter.
    meta = dag.meta_graph()
    bands = _order(_alap_layers(meta), meta)
    band_of = {s: b for b, band in enumerate(bands) for s in band}
    # 2. Rows: inside its stage each RDD gets a row; stages end on their band's last row.
    stage_rows, first_row, row_band = {}, [], []
    for b, band in enumerate(bands):
        for s in band:
            stage_rows[s] = _alap_layers(dag.graph.subgraph(dag.members[s])) or [[]]
        count = max(len(stage_rows[s]) for s in band)
        first_row.append(len(row_band))
        row_band += [b] * count
    row_of = {}
    for s, layers in stage_rows.items():
        end = first_row[band_of[s]] + sum(1 for band in row_band if band == band_of[s])
        for i, layer in enumerate(layers):
            row_of.update({r: end - len(layers) + i for r in layer})
    # 3. Slots: a node, or a dummy (u, v, row) where edge u -> v crosses a row. A dummy lies in
    #    its parent's stage box, its child's, or (in other bands) in a channel between boxes.
    slots = [[] for _ in row_band]          # row -> [(container, key)]
    for r, row in sorted(row_of.items()):
        slots[row].append((("stage", dag.home[r]), r))
    for u, v in sorted(dag.graph.edges):
        for row in range(row_of[u] + 1, row_of[v]):
            home = [s for s in (dag.home[u], dag.home[v]) if band_of[s] == row_band[row]]
            slots[row].append((("stage", home[0]) if home else ("channel",), (u, v, row)))
    for s in dag.stage_ids:
        if not dag.members[s]:
            slots[first_row[band_of[s]] + row_band.count(band_of[s]) - 1].append(
                (("stage", s), ("empty", s)))
    # 4. Columns of each band, then x for each slot, row by row from the top.
    width_of = {}
    for s in dag.stage_ids:
        contents = [[k for c, k in row if c == ("stage", s)] for row in slots]
        width_of[("stage", s)] = 2 * PAD + max(
            [dag.node_w[s]] + [_content_width(dag, keys) for keys in contents])
    x_of, columns = {}, {}
    for b, band in enumerate(bands):
        rows = [i for i, rb in enumerate(row_band) if rb == b]
        columns[b] = _band_columns(dag, band, rows, slots, x_of, width_of)
        for row in rows:
            _place_row(dag, row, slots[row], columns[b], x_of)
    # 5. y for each row; boxes; edge paths through their dummies.
    y_of, y = [], 0
    for row, b in enumerate(row_band):
        if row:
            y += ROW_GAP if row_band[row - 1] == b else 2 * PAD + HEADER_H + BAND_GAP
        y_of.append(y)
        y += NODE_H
    nodes = {}
    for r in row_of:
        w = dag.node_w[dag.home[r]]
        nodes[r] = (x_of[r] - w / 2, y_of[row_of[r]], w, NODE_H)
    stages = {}
    for s in dag.stage_ids:
        left, width = columns[band_of[s]][("stage", s)]
        bottom = first_row[band_of[s]] + row_band.count(band_of[s]) - 1
        top = bottom - len(stage_rows[s]) + 1
        y0 = y_of[top] - PAD - HEADER_H
        stages[s] = (left, y0, width, y_of[bottom] + NODE_H + PAD - y0)
    paths = {}
    for u, v in sorted(dag.graph.edges):
        ports = [(x_of[u], y_of[row_of[u]] + NODE_H)]
        for row in range(row_of[u] + 1, row_of[v]):
            ports += [(x_of[(u, v, row)], y_of[row]), (x_of[(u, v, row)], y_of[row] + NODE_H)]
        ports.append((x_of[v], y_of[row_of[v]]))
        paths[u, v] = _bezier(ports)
    return nodes, stages, paths


def _order(layers, graph) -> list:
    """Order each layer by the mean position of its neighbours (down, up, down sweeps)."""
    position = {n: (i + 0.5) / len(layer) for layer in layers for i, n in enumerate(layer)}
    for neighbours, sweep in ((graph.predecessors, layers), (graph.successors, layers[::-1]),
                              (graph.predecessors, layers)):
        for layer in sweep:
            def key(n):
                around = [position[m] for m in neighbours(n)]
                return (sum(around) / len(around) if around else position[n], position[n], n)
            layer.sort(key=key)
            position.update({n: (i + 0.5) / len(layer) for i, n in enumerate(layer)})
    return layers


def _slot_width(dag, key) -> float:
    if isinstance(key, int):
        return dag.node_w[dag.home[key]]
    if key[0] == "empty":
        return dag.node_w[key[1]]
    return DUMMY_W


def _content_width(dag, keys) -> float:
    return sum(_slot_width(dag, k) for k in keys) + GAP * max(len(keys) - 1, 0)


def _band_columns(dag, band, rows, slots, x_of, width_of) -> dict:
    """Container -> (left, width) for one band: channel 0, stage, channel 1, stage, ... channel k.

    The band is centred on x = 0. A passing edge takes the channel nearest to where it was in
    the row above (chosen with empty channels, then the channels are widened to fit).
    """
    def arrange(channel_widths):
        spans, x = {}, -(sum(width_of[("stage", s)] for s in band) + sum(channel_widths)) / 2
        for i, s in enumerate(band + [None]):
            spans[("channel", i)] = (x, channel_widths[i])
            x += channel_widths[i]
            if s is not None:
                spans[("stage", s)] = (x, width_of[("stage", s)])
                x += width_of[("stage", s)]
        return spans

    spans = arrange([BAND_GAP] * (len(band) + 1))
    chosen = {}                              # (u, v) -> channel
    for row in rows:
        for i, (container, key) in enumerate(slots[row]):
            if container == ("channel",):
                u, v, _ = key
                if (u, v) not in chosen:
                    above = x_of.get((u, v, row - 1), x_of[u])
                    chosen[u, v] = min(range(len(band) + 1), key=lambda c: (
                        abs(spans[("channel", c)][0] + spans[("channel", c)][1] / 2 - above), c))
                slots[row][i] = (("channel", chosen[u, v]), key)
    widths = [BAND_GAP + max(_content_width(dag, [k for c, k in slots[row] if c == ("channel", i)])
                             for row in rows) for i in range(len(band) + 1)]
    return arrange(widths)


def _place_row(dag, row, slots, spans, x_of):
    """Give each slot of a row an x (its centre): near its parents, without overlaps."""
    def wanted(key):
        if isinstance(key, int):   # a parent's position, or of the dummy just above
            above = [x_of.get((p, key, row - 1), x_of.get(p))
                     for p in sorted(dag.graph.predecessors(key))]
            above = [x for x in above if x is not None]
        elif key[0] == "empty":
            above = []
        else:
            u, v, _ = key
            above = [x_of.get((u, v, row - 1), x_of[u])]
        return sum(above) / len(above) if above else None

    for container in sorted({c for c, _ in slots}, key=str):
        left, width = spans[container]
        keys = [k for c, k in slots if c == container]
        inner_left = left + (PAD if container[0] == "stage" else BAND_GAP / 2)
        inner_right = left + width - (PAD if container[0] == "stage" else BAND_GAP / 2)
        content = _content_width(dag, keys)
        # Slots with no parents placed yet share the free middle of the container.
        spread = inner_left + (inner_right - inner_left - content) / 2
        want = {}
        for k in keys:
            w = _slot_width(dag, k)
            want[k] = wanted(k) if wanted(k) is not None else spread + w / 2
            spread += w + GAP
        keys.sort(key=lambda k: (want[k], isinstance(k, tuple), str(k)))
        # Push right to remove overlaps, then back left to stay inside the container.
        edge = inner_left
        for k in keys:
            w = _slot_width(dag, k)
            x_of[k] = max(want[k], edge + w / 2)
            edge = x_of[k] + w / 2 + GAP
        edge = inner_right
        for k in reversed(keys):
            w = _slot_width(dag, k)
            x_of[k] = min(x_of[k], edge - w / 2)
            edge = x_of[k] - w / 2 - GAP


def _bezier(ports) -> list:
    """A smooth path through ports: S-curves between rows, straight lines through a row."""
    path = [ports[0]]
    for (x0, y0), (x1, y1) in zip(ports, ports[1:]):
        if x0 == x1:
            path += [(x0, y0 + (y1 - y0) / 3), (x1, y0 + 2 * (y1 - y0) / 3), (x1, y1)]
        else:
            middle = (y0 + y1) / 2
            path += [(x0, middle), (x1, middle), (x1, y1)]
    return path
