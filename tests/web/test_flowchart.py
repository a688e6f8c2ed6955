"""The layered layout: edges point down, boxes never overlap; the SVG highlights the step."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.protocols import get_protocol, load_protocols
from stentguide.web.flowchart import NODE_WIDTH, layout, protocol_svg


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    count = draw(st.integers(min_value=1, max_value=14))
    nodes = [f"n{i}" for i in range(count)]
    pairs = [(a, b) for a, b in itertools.combinations(range(count), 2)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=30)) if pairs else []
    return nodes, [(nodes[a], nodes[b]) for a, b in chosen]


@given(dags())
def test_layout_edges_go_down_and_boxes_do_not_overlap(
    graph: tuple[list[str], list[tuple[str, str]]],
) -> None:
    nodes, edges = graph
    lay = layout(nodes, edges)
    assert set(lay.positions) == set(nodes)
    for a, b in edges:
        assert lay.positions[a][1] < lay.positions[b][1]
        route = lay.routes[(a, b)]
        assert [y for _, y in route] == sorted(y for _, y in route)
    for layer in lay.layers:
        xs = sorted(lay.positions[n][0] for n in layer)
        assert all(b - a >= NODE_WIDTH for a, b in itertools.pairwise(xs))
    for x, y in lay.positions.values():
        assert 0 < x < lay.width and 0 < y < lay.height


def test_layout_refuses_a_cycle() -> None:
    with pytest.raises(ValueError, match="cycle"):
        layout(["a", "b"], [("a", "b"), ("b", "a")])


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_protocol_svg_is_valid_and_highlights_the_current_step(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    current = protocol.outcomes[0].id
    svg = protocol_svg(protocol, current=current, visited=[protocol.start])
    root = ET.fromstring(svg)
    groups = root.findall(".//{http://www.w3.org/2000/svg}g")
    assert len(groups) == len(protocol.nodes)
    highlighted = [g.get("data-node") for g in groups if "fc-current" in (g.get("class") or "")]
    assert highlighted == [current]
