"""What of a tree a person may see. Technicians and above see every field; anonymous visitors
and requesters see the self-service projection: no technician wording, scripts to read to a
caller, or check parameters (host names, addresses, shares). Every path that shows a tree's
nodes (tree JSON, flowcharts, tree pages, steps, transcripts) goes through ``for_viewer``."""

from __future__ import annotations

import weakref
from typing import Any

import networkx as nx

from kb.auth.policy import can

# Node fields only the technician view has.
TECHNICIAN_FIELDS = ("text_technician", "script", "params")


# One projection per graph, made once: graphs come from kb.trees.store's cache and are never
# modified, so neither is their projection (callers must not modify either).
_projections: weakref.WeakKeyDictionary[nx.DiGraph, nx.DiGraph] = weakref.WeakKeyDictionary()


def self_service(graph: nx.DiGraph) -> nx.DiGraph:
    """``graph`` without the technician-only node fields (a copy, made once per graph)."""
    projected = _projections.get(graph)
    if projected is None:
        projected = graph.copy()  # new attribute dicts: the cached graph is not touched
        for _node, attrs in projected.nodes(data=True):
            for key in TECHNICIAN_FIELDS:
                attrs.pop(key, None)
        _projections[graph] = projected
    return projected


def for_viewer(graph: nx.DiGraph, viewer: Any) -> nx.DiGraph:
    """The graph as ``viewer`` may see it: whole for technicians and above, else projected."""
    return graph if can(viewer, "tree.read_internal") else self_service(graph)
