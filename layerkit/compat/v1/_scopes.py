"""Scope helpers TensorFlow 1 semantics need on top of the core's name scopes.

TF1 names variables and optimizer slots by absolute names (``foo/W``, ``W/Adam``) whatever
name scope is open when they are created, and creates them outside any control-dependency
context (its ``init_scope``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from layerkit.graph.graph import Graph


@contextlib.contextmanager
def absolute_name_scope(graph: Graph, scope: str = "") -> Iterator[str]:
    """Name new ops ``scope/<name>`` (or ``<name>`` for an empty scope), ignoring open scopes."""
    scope = scope.strip("/")
    with graph.name_scope(f"{scope}/" if scope else None) as prefix:
        yield prefix


@contextlib.contextmanager
def init_scope(graph: Graph, scope: str = "") -> Iterator[str]:
    """Create state (variables, slots) in ``graph``: absolute names and no control deps, so
    that a variable's initializer never waits on, or triggers, unrelated ops."""
    with graph.as_default(), graph.control_dependencies(None), \
            absolute_name_scope(graph, scope) as prefix:
        yield prefix
