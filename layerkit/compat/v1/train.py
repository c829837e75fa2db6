"""``tf.train``: optimizers, the global step, learning-rate decay and checkpoints."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.compat.v1._scopes import init_scope
from layerkit.compat.v1.optimizers import (
    AdadeltaOptimizer,
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from layerkit.compat.v1.saver import (
    CheckpointState,
    Saver,
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
)
from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Graph, Tensor, get_default_graph
from layerkit.graph.opdef import constant
from layerkit.graph.variables import Variable

__all__ = [
    "AdadeltaOptimizer", "AdagradOptimizer", "AdamOptimizer", "CheckpointState",
    "GradientDescentOptimizer", "MomentumOptimizer", "Optimizer", "RMSPropOptimizer", "Saver",
    "checkpoint_exists", "create_global_step", "exponential_decay", "get_checkpoint_state",
    "get_global_step", "get_or_create_global_step", "global_step", "latest_checkpoint",
]

GLOBAL_STEP = "global_step"  # the collection TF1 files the global step under


def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The global step variable of ``graph`` (the default graph), or None if there is none."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError("There are several global step variables in the graph")
    return found[0] if found else None


def create_global_step(graph: Graph | None = None) -> Variable:
    """Create the global step: a non-trainable int64 scalar variable named ``global_step``
    starting at 0. Raises if the graph has one already."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("global_step already exists.")
    with init_scope(graph):
        step = Variable(constant(0, dtype=dtypes.int64), trainable=False, name="global_step")
    graph.add_to_collection(GLOBAL_STEP, step)
    return step


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The global step of ``graph`` (the default graph), created on first use."""
    found = get_global_step(graph)
    return found if found is not None else create_global_step(graph)


def global_step(sess: Any, global_step_tensor: Tensor) -> int:
    """The current value of the global step, as an int."""
    return int(sess.run(global_step_tensor))


def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                      decay_rate: Any, staircase: bool = False, name: str | None = None) -> Tensor:
    """``learning_rate * decay_rate ** (global_step / decay_steps)``; with ``staircase`` the
    exponent is rounded down, so the rate drops every ``decay_steps`` steps."""
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    lr = learning_rate if isinstance(learning_rate, Tensor) else constant(
        learning_rate, dtype=dtypes.float32)
    exponent = ops.cast(global_step, lr.dtype) / _as(decay_steps, lr.dtype)
    if staircase:  # floor of a non-negative value: truncate through an integer cast
        exponent = ops.cast(ops.cast(exponent, dtypes.int64), lr.dtype)
    return ops.multiply(lr, ops.power(_as(decay_rate, lr.dtype), exponent), name=name)


def _as(value: Any, dtype: np.dtype) -> Tensor:
    return ops.cast(value, dtype) if isinstance(value, Tensor) else constant(value, dtype=dtype)
