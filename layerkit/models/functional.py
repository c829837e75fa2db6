"""The layer graph of a functional model: which recorded calls lead from inputs to outputs.

``Model(inputs, outputs)`` walks back from the outputs through each tensor's
``_keras_history`` (the layer call that produced it) to the inputs, and keeps those calls in an
order where each comes after the calls it depends on. ``replay`` applies them again to new
tensors: that is how a model traces its train program (``training=True``) and its inference
program (``training=False``) from the same layers and weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit.graph import Tensor
from layerkit.layers.input_layer import InputLayer
from layerkit.layers.layer import Node
from layerkit.utils.tree import flatten


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
        for t in flatten((node.args, node.kwargs)):
            if isinstance(t, Tensor):
                visit(t, (*path, layer.name))
        visited.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, ())
    return order


def replay(nodes: list[Node], inputs: list[Tensor], new_inputs: list[Tensor],
           outputs: Any, call: Callable[..., Any] | None = None) -> Any:
    """Apply the recorded calls again, to ``new_inputs`` in place of ``inputs``; each call is
    ``call(layer, *args, **kwargs)`` if given (``clone_model`` calls clones of the layers)."""
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
        args, kwargs = remap(node.args), remap(node.kwargs)
        result = call(node.layer, *args, **kwargs) if call else node.layer(*args, **kwargs)
        for old, new in zip(flatten(node.outputs), flatten(result)):
            mapped[id(old)] = new
    return remap(outputs)


# -- Keras's layer order ----------------------------------------------------------------------
def _node_of(tensor: Tensor) -> Node:
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


def _node_inputs(node: Node) -> list[Tensor]:
    return [t for t in flatten((node.args, node.kwargs))
            if isinstance(t, Tensor) and getattr(t, "_keras_history", None) is not None]


def keras_layer_order(inputs: list[Tensor], outputs: list[Tensor]) -> list[Any]:
    """The model's layers in the order Keras 3 lists them (``model.layers``): by decreasing
    depth from the outputs, ties broken by first visit in a depth-first walk from the outputs.
    Files are matched to models by this order (legacy ``.h5`` weights load by position), so it
    must be Keras's, not merely a valid topological order."""
    input_ids = {id(t) for t in inputs}
    postorder: list[Node] = []
    finished: set[int] = set()
    first_visit: dict[int, int] = {}

    def visit(tensor: Tensor) -> None:
        node = _node_of(tensor)
        if id(node) in finished:
            return
        first_visit.setdefault(id(node.layer), len(first_visit))
        if not isinstance(node.layer, InputLayer) and id(tensor) not in input_ids:
            for t in _node_inputs(node):
                visit(t)
        finished.add(id(node))
        postorder.append(node)

    for t in outputs:
        visit(t)
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Any] = {}
    for node in reversed(postorder):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for t in _node_inputs(node):
            parent = id(_node_of(t))
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:  # inputs no output depends on still belong to the model
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], first_visit[id(layer)], layers[id(layer)] = 0, -1, layer
    return [layers[key] for key in sorted(layer_depth,
                                          key=lambda k: (-layer_depth[k], first_visit[k]))]


# -- configs ----------------------------------------------------------------------------------
def functional_config(model: Any) -> dict[str, Any]:
    """The Keras 3 config of a functional model: each layer's config with the calls
    (``inbound_nodes``) that connect it, and where the inputs and outputs are."""
    from layerkit.layers import serialize

    in_model = {id(n) for n in model._nodes} | {id(_node_of(t)) for t in model.inputs}

    def model_nodes(layer: Any) -> list[Node]:
        return [n for n in layer._inbound_nodes if id(n) in in_model]

    def history(tensor: Tensor) -> list:
        layer, _, tensor_index = tensor._keras_history
        index = [id(n) for n in model_nodes(layer)].index(id(_node_of(tensor)))
        return [layer.name, index, tensor_index]

    def value(item: Any, layer: Any, where: str) -> Any:
        if isinstance(item, Tensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(item.shape), "dtype": item.dtype.name,
                               "keras_history": history(item)}}
        if isinstance(item, list | tuple):
            return [value(i, layer, where) for i in item]
        if isinstance(item, dict):
            return {k: value(v, layer, where) for k, v in item.items()}
        if item is None or isinstance(item, bool | int | float | str):
            return item
        raise ValueError(f"Model '{model.name}': the call of layer '{layer.name}' passes "
                         f"{where}={item!r}, which cannot be written to a model config")

    layers = []
    for layer in model.layers:
        nodes = [] if isinstance(layer, InputLayer) else [
            {"args": [value(a, layer, "an argument") for a in node.args],
             "kwargs": {k: value(v, layer, k) for k, v in node.kwargs.items()}}
            for node in model_nodes(layer)]
        layers.append({**serialize(layer), "name": layer.name, "inbound_nodes": nodes})

    def structure(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: history(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [history(t) for t in item]
        return history(item)

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": structure(model._input_structure),
            "output_layers": structure(model._output_structure)}


def functional_from_config(cls: type, config: dict[str, Any],
                           custom_objects: dict[str, Any] | None = None) -> Any:
    """A functional model rebuilt from ``functional_config`` output (or Keras 3's or Keras 2's
    config of one): the layers are created from their configs and called as recorded."""
    from layerkit.layers import deserialize

    layers: dict[str, Any] = {}
    queues: dict[str, list] = {}
    outputs: dict[tuple[str, int], Any] = {}
    for spec in _config_list(config, "layers"):
        layer = deserialize(spec, custom_objects=custom_objects)
        name = spec.get("name") or layer.name
        layers[name] = layer
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = layer.output
        else:
            queues[name] = list(spec.get("inbound_nodes") or [])
    done = {name: 0 for name in queues}
    while any(queues.values()):
        progressed = False
        for name, queue in queues.items():
            while queue:
                call = _resolve_call(queue[0], outputs)
                if call is None:
                    break  # an input of this call is not computed yet: try again next pass
                args, kwargs = call
                outputs[(name, done[name])] = layers[name](*args, **kwargs)
                done[name] += 1
                queue.pop(0)
                progressed = True
        if not progressed:
            waiting = sorted(name for name, queue in queues.items() if queue)
            raise ValueError(f"Model config {config.get('name')!r}: the calls of layer(s) "
                             f"{waiting} refer to tensors no layer produces")
    inputs = _tensors_at(config.get("input_layers"), outputs, "input_layers")
    result = _tensors_at(config.get("output_layers"), outputs, "output_layers")
    return cls(inputs=inputs, outputs=result, name=config.get("name"),
               trainable=config.get("trainable", True))


def _config_list(config: dict[str, Any], key: str) -> list:
    value = config.get(key)
    if not isinstance(value, list):
        raise ValueError(f"Model config {config.get('name')!r}: {key!r} must be a list")
    return value


def _is_history(item: Any) -> bool:
    return isinstance(item, list | tuple) and len(item) >= 3 and isinstance(item[0], str) \
        and isinstance(item[1], int) and isinstance(item[2], int)


def _lookup(history: Any, outputs: dict) -> Tensor | None:
    name, node_index, tensor_index = history[:3]
    produced = outputs.get((name, node_index))
    if produced is None:
        return None
    flat = flatten(produced)
    if not 0 <= tensor_index < len(flat):
        raise ValueError(f"Model config: layer {name!r} call {node_index} has no output "
                         f"{tensor_index}")
    return flat[tensor_index]


class _NotReady(Exception):
    pass


def _resolve_call(node: Any, outputs: dict) -> tuple[list, dict] | None:
    """``(args, kwargs)`` of one recorded call, or None while an input is missing. Keras 3
    writes ``{"args": [...], "kwargs": {...}}``; Keras 2 wrote ``[[name, node, tensor,
    kwargs], ...]``. The training flag is the model's to set, so a recorded one is dropped."""

    def value(item: Any) -> Any:
        if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
            tensor = _lookup(item.get("config", {}).get("keras_history"), outputs)
            if tensor is None:
                raise _NotReady
            return tensor
        if isinstance(item, list):
            return [value(i) for i in item]
        if isinstance(item, dict):
            return {k: value(v) for k, v in item.items()}
        return item

    try:
        if isinstance(node, dict):
            args, kwargs = value(node.get("args", [])), value(node.get("kwargs", {}))
        elif isinstance(node, list) and all(_is_history(entry) for entry in node):
            tensors = [_lookup(entry, outputs) for entry in node]
            if any(t is None for t in tensors):
                raise _NotReady
            args = [tensors[0] if len(tensors) == 1 else tensors]
            kwargs = dict(node[0][3]) if len(node[0]) > 3 and node[0][3] else {}
        else:
            raise ValueError(f"Model config: cannot read the layer call {node!r}")
    except _NotReady:
        return None
    kwargs.pop("training", None)
    if kwargs.get("mask", 0) is None:
        kwargs.pop("mask")
    return list(args), kwargs


def _tensors_at(spec: Any, outputs: dict, key: str) -> Any:
    def tensor(history: Any) -> Tensor:
        found = _lookup(history, outputs) if _is_history(history) else None
        if found is None:
            raise ValueError(f"Model config: {key} names {history!r}, which no layer produces")
        return found

    if _is_history(spec):
        return tensor(spec)
    if isinstance(spec, dict):
        return {k: tensor(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [tensor(h) for h in spec]
    raise ValueError(f"Model config: {key} must list [layer, node, tensor] triples")
