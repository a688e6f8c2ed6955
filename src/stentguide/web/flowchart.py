"""Pathway flowcharts as SVG, laid out on the server with no external graph tool.

The layout is the classic layered (Sugiyama) scheme, small enough to read:

1. **Layers** by longest path from the roots, so every edge points down (the
   pathways are acyclic; the protocol loader refuses a cycle).
2. **Dummy nodes** split an edge that spans several layers, so that it is routed
   around the boxes in between rather than through them.
3. **Order** within each layer by repeated barycentre sweeps (down, then up),
   which removes most crossings on graphs of this size.
4. **Coordinates**: each layer is a row, centred on the widest one.

:func:`layout` works on any DAG given as node ids and edges; :func:`protocol_svg`
draws a protocol with the current step and the path taken highlighted.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from stentguide.protocols import ActionNode, OutcomeNode, Protocol

__all__ = ["Layout", "layout", "protocol_svg"]

NODE_WIDTH = 190.0
NODE_HEIGHT = 72.0
H_GAP = 36.0
V_GAP = 84.0
MARGIN = 16.0
_SWEEPS = 6
_WRAP = 24
_EDGE_LABEL = 22
_LINES = 3


@dataclass
class Layout:
    """Where each node and each edge go; coordinates are the centres of the boxes."""

    layers: list[list[str]]
    positions: dict[str, tuple[float, float]]
    routes: dict[tuple[str, str], list[tuple[float, float]]]
    width: float
    height: float
    dummies: set[str] = field(default_factory=set)

    def layer_of(self, node: str) -> int:
        return next(i for i, layer in enumerate(self.layers) if node in layer)


def _longest_path_layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        parents[b].append(a)
        children[a].append(b)
    indegree = {n: len(parents[n]) for n in nodes}
    ready = [n for n in nodes if indegree[n] == 0]
    level = dict.fromkeys(nodes, 0)
    seen = 0
    while ready:
        current = ready.pop(0)
        seen += 1
        for child in children[current]:
            level[child] = max(level[child], level[current] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if seen != len(nodes):
        raise ValueError("the graph has a cycle; a layered layout needs a DAG")
    return level


def _barycentre(node: str, neighbours: dict[str, list[str]], index: dict[str, int]) -> float:
    linked = [index[n] for n in neighbours[node] if n in index]
    return sum(linked) / len(linked) if linked else float(index.get(node, 0))


def layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> Layout:
    """Lay out a DAG: rows of nodes top to bottom, every edge pointing down.

    Raises ``ValueError`` on an edge to an unknown node or on a cycle.
    """
    order = list(dict.fromkeys(nodes))
    known = set(order)
    edge_list = list(dict.fromkeys(edges))
    for a, b in edge_list:
        if a not in known or b not in known:
            raise ValueError(f"edge {a!r} -> {b!r} names an unknown node")
    level = _longest_path_layers(order, edge_list)

    chains: dict[tuple[str, str], list[str]] = {}
    dummies: set[str] = set()
    all_level = dict(level)
    segments: list[tuple[str, str]] = []
    for a, b in edge_list:
        chain = [a]
        for step in range(level[a] + 1, level[b]):
            dummy = f"\x00{a}\x00{b}\x00{step}"
            dummies.add(dummy)
            all_level[dummy] = step
            chain.append(dummy)
        chain.append(b)
        chains[(a, b)] = chain
        segments.extend(itertools.pairwise(chain))

    depth = max(all_level.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for node in [*order, *sorted(dummies)]:
        layers[all_level[node]].append(node)
    ups: dict[str, list[str]] = {n: [] for n in all_level}
    downs: dict[str, list[str]] = {n: [] for n in all_level}
    for a, b in segments:
        downs[a].append(b)
        ups[b].append(a)

    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        rows = range(1, depth) if downward else range(depth - 2, -1, -1)
        for row in rows:
            ref = layers[row - 1] if downward else layers[row + 1]
            index = {n: i for i, n in enumerate(ref)}
            links = ups if downward else downs
            current = {n: i for i, n in enumerate(layers[row])}
            layers[row].sort(key=lambda n: (_barycentre(n, links, index), current[n]))

    widest = max((len(layer) for layer in layers), default=0)
    full = widest * NODE_WIDTH + max(widest - 1, 0) * H_GAP
    positions: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        span = len(layer) * NODE_WIDTH + max(len(layer) - 1, 0) * H_GAP
        left = MARGIN + (full - span) / 2
        y = MARGIN + row * (NODE_HEIGHT + V_GAP) + NODE_HEIGHT / 2
        for col, node in enumerate(layer):
            positions[node] = (left + col * (NODE_WIDTH + H_GAP) + NODE_WIDTH / 2, y)

    routes = {key: [positions[n] for n in chain] for key, chain in chains.items()}
    height = MARGIN * 2 + depth * NODE_HEIGHT + max(depth - 1, 0) * V_GAP
    return Layout(
        layers=[[n for n in layer if n not in dummies] for layer in layers],
        positions={n: p for n, p in positions.items() if n not in dummies},
        routes=routes,
        width=full + 2 * MARGIN,
        height=height,
        dummies=dummies,
    )


def _edges(protocol: Protocol) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for node in protocol.nodes:
        if isinstance(node, OutcomeNode):
            continue
        options = (
            [(b.label, b.next) for b in node.number.branches]
            if node.number is not None
            else [(a.label, a.next) for a in node.answers]
        )
        found.extend((node.id, nxt, label) for label, nxt in options)
    return found


def _path_d(points: list[tuple[float, float]]) -> str:
    (x0, y0), *rest = points
    start = (x0, y0 + NODE_HEIGHT / 2)
    parts = [f"M{start[0]:.1f},{start[1]:.1f}"]
    previous = start
    for index, (x, y) in enumerate(rest):
        last = index == len(rest) - 1
        target = (x, y - NODE_HEIGHT / 2) if last else (x, y)
        mid = (previous[1] + target[1]) / 2
        parts.append(
            f"C{previous[0]:.1f},{mid:.1f} {target[0]:.1f},{mid:.1f} "
            f"{target[0]:.1f},{target[1]:.1f}"
        )
        previous = target
    return " ".join(parts)


def _label_lines(text: str) -> list[str]:
    lines = textwrap.wrap(text, _WRAP) or [""]
    if len(lines) > _LINES:
        lines = [*lines[: _LINES - 1], textwrap.shorten(" ".join(lines[_LINES - 1 :]), _WRAP)]
    return lines


def grouped_next(edges: Sequence[tuple[str, str, str]], source: str) -> list[str]:
    """The labels of every edge leaving ``source``."""
    return [label for a, _b, label in edges if a == source]


def _short(text: str, width: int = _EDGE_LABEL) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _edge_label_at(points: list[tuple[float, float]], index: int) -> tuple[float, float]:
    """Where an edge's answer label goes: just below its source box, fanned by answer."""
    (x0, y0), (x1, _y1) = points[0], points[1]
    top = y0 + NODE_HEIGHT / 2
    t = 0.55
    return x0 + (x1 - x0) * t, top + V_GAP * t + (index % 2) * 14 - 4


def protocol_svg(
    protocol: Protocol,
    *,
    current: str | None = None,
    visited: Sequence[str] = (),
    link_prefix: str | None = None,
) -> str:
    """The protocol as an SVG document.

    ``current`` is drawn with a thick red border, nodes in ``visited`` (the path
    taken so far) and the edges between consecutive ones are drawn bold. With
    ``link_prefix``, each box links to ``{link_prefix}{node id}`` (the node's detail).
    """
    edges = _edges(protocol)
    groups = {n.id: n.category.group.value for n in protocol.outcomes}
    lay = layout([n.id for n in protocol.nodes], [(a, b) for a, b, _ in edges])
    taken = set(itertools.pairwise(visited))
    on_path = set(visited)
    role = "group" if link_prefix is not None else "img"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'width="{lay.width:.0f}" height="{lay.height:.0f}" role="{role}" '
        f'aria-labelledby="fc-title-{protocol.id}" class="flowchart-svg">',
        f'<title id="fc-title-{protocol.id}">Flowchart of {escape(protocol.title)}'
        + (f"; current step {escape(protocol.node(current).title)}" if current else "")
        + "</title>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
        "markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#4a5560'/></marker></defs>",
        "<style>.fc-edge{fill:none;stroke:#7d8891;stroke-width:1.6}"
        ".fc-edge.taken{stroke:#0b4f9c;stroke-width:4}"
        ".fc-label{font:12px system-ui,sans-serif;fill:#222;paint-order:stroke;"
        "stroke:#fff;stroke-width:4px;stroke-linejoin:round}"
        ".fc-node text{font:13px system-ui,sans-serif;fill:#111}"
        ".fc-node rect{stroke:#4a5560;stroke-width:1.5}"
        ".fc-assess rect{fill:#eef3fb}.fc-action rect{fill:#fff}"
        ".fc-outcome rect{fill:#f3f5f7;stroke:#4a5560}"
        ".fc-resolved rect{fill:#e6f4e9;stroke:#1b6e2a}"
        ".fc-changed-pathway rect{fill:#e3edf9;stroke:#0b4f9c;stroke-dasharray:6 3}"
        ".fc-emergency rect{fill:#fde8e8;stroke:#a11212}"
        ".fc-referral rect{fill:#f0e8f7;stroke:#6a3d9a}"
        ".fc-stopped rect{fill:#fff4d6;stroke:#7a4d00}"
        ".fc-visited rect{stroke:#0b4f9c;stroke-width:3}"
        ".fc-current rect{stroke:#c62828;stroke-width:6;fill:#fff4d6}"
        ".fc-current text{font-weight:700}</style>",
    ]
    labels = []
    fan: dict[str, int] = {}
    grouped: dict[tuple[str, str], list[str]] = {}
    for a, b, label in edges:
        grouped.setdefault((a, b), []).append(label)
    for (a, b), names in grouped.items():
        points = lay.routes[(a, b)]
        css = "fc-edge taken" if (a, b) in taken else "fc-edge"
        label = " / ".join(names)
        out.append(
            f'<path class="{css}" d="{_path_d(points)}" marker-end="url(#arrow)">'
            f"<title>{escape(label)}</title></path>"
        )
        if len(names) > 1:
            label = "any answer" if len(names) == len(set(grouped_next(edges, a))) else label
        index = fan.get(a, 0)
        fan[a] = index + 1
        lx, ly = _edge_label_at(points, index)
        labels.append(
            f'<text class="fc-label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" '
            f'aria-hidden="true">{escape(_short(label))}</text>'
        )
    for node in protocol.nodes:
        x, y = lay.positions[node.id]
        kind = node.kind
        classes = [f"fc-node fc-{kind}"]
        if node.id in groups:
            classes.append(f"fc-{groups[node.id]}")
        if node.id in on_path:
            classes.append("fc-visited")
        if node.id == current:
            classes.append("fc-current")
        rx = 30 if isinstance(node, OutcomeNode) else 4 if isinstance(node, ActionNode) else 14
        box = (
            f'<rect x="{x - NODE_WIDTH / 2:.1f}" y="{y - NODE_HEIGHT / 2:.1f}" '
            f'width="{NODE_WIDTH:.0f}" height="{NODE_HEIGHT:.0f}" rx="{rx}"/>'
        )
        lines = _label_lines(node.title)
        first = y - (len(lines) - 1) * 8
        text = "".join(
            f'<tspan x="{x:.1f}" y="{first + i * 16 + 4:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        group = (
            f'<g class="{" ".join(classes)}" data-node="{escape(node.id)}">'
            f"<title>{escape(kind)}: {escape(node.title)}</title>{box}"
            f'<text text-anchor="middle">{text}</text></g>'
        )
        if link_prefix is not None:
            name = escape(f"{kind} step: {node.title}", {'"': "&quot;"})
            group = f'<a href="{escape(link_prefix + node.id)}" aria-label="{name}">{group}</a>'

        out.append(group)
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out)
