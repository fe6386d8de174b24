"""The dependency graph of plugins (networkx enters manifold here): cycles and a deterministic load order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["build_graph", "find_cycles", "load_order"]


def build_graph(dependencies: Mapping[str, Iterable[str]]) -> nx.DiGraph[str]:
    """A graph with an edge ``dependency -> dependent`` for each plugin and each of its dependencies.

    Every key of ``dependencies`` is a node; dependencies that are not keys are left out.
    """
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted(dependencies))
    for plugin, needs in dependencies.items():
        graph.add_edges_from((need, plugin) for need in needs if need in dependencies)
    return graph


def find_cycles(graph: nx.DiGraph[str]) -> list[list[str]]:
    """One cycle per strongly connected knot, in depends-on order from its smallest id.

    ``["a", "b", "c", "a"]`` reads "a depends on b, which depends on c, which depends on a".
    """
    import networkx as nx

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
        path = [start, *back]
        cycles.append(path)
    return sorted(cycles)


def load_order(graph: nx.DiGraph[str]) -> list[str]:
    """Dependencies before dependents, ties broken by plugin id: the same on every machine."""
    import networkx as nx

    return list(nx.lexicographical_topological_sort(graph))
