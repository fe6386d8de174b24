"""The load order: dependencies first, ties by id, the same as networkx's lexicographic sort; cycles named."""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from manifold.graph.order import build_graph, find_cycles, load_order

ids = st.sampled_from([f"p{i}" for i in range(12)])


@given(st.dictionaries(ids, st.lists(ids, max_size=4), max_size=12))
def test_order_matches_networkx_and_leaves_out_exactly_the_knotted(edges: dict[str, list[str]]) -> None:
    order, knotted = load_order(edges)
    graph = build_graph(edges)
    if nx.is_directed_acyclic_graph(graph):
        assert order == list(nx.lexicographical_topological_sort(graph))
        assert knotted == set()
    else:
        in_cycles = {pid for cycle in find_cycles(edges) for pid in cycle}
        blocked = in_cycles | {d for pid in in_cycles for d in nx.descendants(graph, pid)}
        assert knotted == blocked
        assert set(order) == set(edges) - blocked
    position = {pid: i for i, pid in enumerate(order)}
    for pid in order:
        for need in edges[pid]:
            if need in edges:
                assert position[need] < position[pid]


def test_a_cycle_is_named_from_its_smallest_id() -> None:
    assert find_cycles({"c": ["a"], "a": ["b"], "b": ["c"], "d": ["d"], "e": []}) == [
        ["a", "b", "c", "a"],
        ["d", "d"],
    ]
