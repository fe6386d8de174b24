"""The dependency graph of plugins: a deterministic load order, cycles, and the networkx view of it.

The order is computed here without networkx (a heap-ordered Kahn sort, ties by plugin id), so a
host starts without importing it; networkx enters manifold here only, to name cycles and to
give hosts a ``DiGraph``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["build_graph", "dependents", "find_cycles", "load_order"]

Edges = Mapping[str, Iterable[str]]
"""Each plugin id -> the ids it needs (ids that are not keys are ignored)."""


def dependents(edges: Edges) -> dict[str, list[str]]:
    """Each plugin id -> the ids that need it, sorted."""
    needed_by: dict[str, set[str]] = {pid: set() for pid in edges}
    for pid, needs in edges.items():
        for need in needs:
            if need in needed_by:
                needed_by[need].add(pid)
    return {pid: sorted(ids) for pid, ids in needed_by.items()}


def load_order(edges: Edges) -> tuple[list[str], set[str]]:
    """Dependencies before dependents, ties broken by plugin id: the same on every machine.

    Returns the order and the ids left out because they are in a cycle or need one.
    """
    waiting = {pid: len({n for n in needs if n in edges}) for pid, needs in edges.items()}
    needed_by = dependents(edges)
    ready = [pid for pid, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        pid = heapq.heappop(ready)
        order.append(pid)
        for other in needed_by[pid]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, other)
    return order, set(edges) - set(order)


def build_graph(edges: Edges) -> nx.DiGraph[str]:
    """A networkx graph with an edge ``dependency -> dependent`` for each need among the keys."""
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted(edges))
    for plugin, needs in edges.items():
        graph.add_edges_from((need, plugin) for need in needs if need in edges)
    return graph


def find_cycles(edges: Edges) -> list[list[str]]:
    """One cycle per strongly connected knot, in depends-on order from its smallest id.

    ``["a", "b", "c", "a"]`` reads "a depends on b, which depends on c, which depends on a".
    """
    import networkx as nx

    graph = build_graph(edges)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        start = min(component)
        if len(component) == 1 and not graph.has_edge(start, start):
            continue
        reverse = graph.subgraph(component).reverse(copy=False)  # depends-on direction
        # The shortest way back to start, trying successors in id order.
        back = min(
            (nx.shortest_path(reverse, step, start) for step in sorted(reverse.successors(start))),
            key=len,
        )
        cycles.append([start, *back])
    return sorted(cycles)
