"""The layer graph of a functional model: which recorded calls lead from inputs to outputs.

``Model(inputs, outputs)`` walks back from the outputs through each tensor's
``_keras_history`` (the layer call that produced it) to the inputs, and keeps those calls in an
order where each comes after the calls it depends on. ``replay`` applies them again to new
tensors: that is how a model traces its train program (``training=True``) and its inference
program (``training=False``) from the same layers and weights.
"""

from __future__ import annotations

from typing import Any

from layerkit.graph import Tensor
from layerkit.layers.input_layer import InputLayer
from layerkit.layers.layer import Node, _flatten


def nodes_between(inputs: list[Tensor], outputs: list[Tensor]) -> list[Node]:
    """The recorded calls computing ``outputs`` from ``inputs``, dependencies first."""
    known = {id(t) for t in inputs}
    order: list[Node] = []
    visited: set[int] = set()

    def visit(tensor: Tensor, path: tuple[str, ...]) -> None:
        if id(tensor) in known:
            return
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            raise ValueError(f"Output tensor '{tensor.name}' was not produced by Keras layers "
                             "(every tensor between inputs and outputs must come from a layer "
                             "call)")
        layer, node_index, _ = history
        if isinstance(layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: the model needs input '{layer.name}' "
                f"(reached through {' <- '.join(path) or 'an output'}), which is not among the "
                f"model's inputs {[t.name for t in inputs]}"
            )
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return
        for t in _flatten((node.args, node.kwargs)):
            if isinstance(t, Tensor):
                visit(t, (*path, layer.name))
        visited.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, ())
    return order


def replay(nodes: list[Node], inputs: list[Tensor], new_inputs: list[Tensor],
           outputs: Any) -> Any:
    """Apply the recorded calls again, to ``new_inputs`` in place of ``inputs``."""
    mapped = {id(old): new for old, new in zip(inputs, new_inputs)}

    def remap(structure: Any) -> Any:
        if isinstance(structure, Tensor):
            return mapped[id(structure)]
        if isinstance(structure, list | tuple):
            return type(structure)(remap(s) for s in structure)
        if isinstance(structure, dict):
            return {k: remap(v) for k, v in structure.items()}
        return structure

    for node in nodes:
        result = node.layer(*remap(node.args), **remap(node.kwargs))
        for old, new in zip(_flatten(node.outputs), _flatten(result)):
            mapped[id(old)] = new
    return remap(outputs)
