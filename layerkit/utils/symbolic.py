"""How Keras-API functions (activations, regularizers) take their input.

A symbolic tensor (or a variable), or any input while a model traces its programs
(``layerkit.backend.symbolic_scope``), builds graph ops. Anything else is a value: the function
is traced on a placeholder in a graph of its own and computed at once on the active backend, so
``keras.activations.relu(np.array([-1.0, 2.0]))`` returns ``array([0., 2.], dtype=float32)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from layerkit.graph import (
    Graph,
    Session,
    Tensor,
    convert_to_tensor,
    dtypes,
    get_default_graph,
    placeholder,
)


def is_symbolic(x: Any) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_graph_tensor")


def graph_scope(x: Tensor):
    """Build in x's graph unless the default graph can already take it (it is x's graph, or a
    sub-graph of it, as in a ``scan`` body), so constants land beside x."""
    default = get_default_graph()
    if default.is_ancestor_of(x.graph) or x.graph.is_ancestor_of(default):
        return contextlib.nullcontext()
    return x.graph.as_default()


def as_float_value(x: Any) -> np.ndarray:
    """A value as an array: a float numpy array keeps its dtype; anything else (ints, Python
    numbers and lists) becomes ``floatx()``, as Keras converts inputs."""
    from layerkit import backend

    array = np.asarray(x)
    if not (isinstance(x, np.ndarray | np.generic) and dtypes.is_floating(array.dtype)):
        array = array.astype(backend.floatx())
    return array


def call(fn: Callable[[Tensor], Any], x: Any, what: str = "this function") -> Any:
    """``fn(x)`` as graph ops when x is symbolic (or while tracing), else computed at once.

    A symbolic ``x`` must be floating-point (``what`` names the caller in the error).
    """
    from layerkit import backend

    if is_symbolic(x):
        tensor = convert_to_tensor(x)
        if not dtypes.is_floating(tensor.dtype):
            raise TypeError(f"{what} needs a floating-point tensor; '{tensor.name}' has dtype "
                            f"{tensor.dtype.name} (cast it first)")
        with graph_scope(tensor):
            return fn(tensor)
    value = as_float_value(x)
    if backend.in_symbolic_scope():
        return fn(convert_to_tensor(value))
    graph = Graph()
    with graph.as_default():
        feed = placeholder(value.dtype, value.shape)
        out = fn(feed)
    session = Session(graph=graph)
    try:
        return np.asarray(session.run(out, {feed: value}))
    finally:
        session.close()
