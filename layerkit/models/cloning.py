"""``keras.models.clone_model``: the same architecture with new layers (fresh weights).

A functional model is rebuilt by replaying its recorded layer calls on new inputs, each layer
replaced by its clone (a layer called twice is cloned once, so sharing is kept); a
``Sequential`` is rebuilt from its cloned layers; a subclassed model from its config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit.layers.input_layer import Input, InputLayer
from layerkit.layers.layer import Layer
from layerkit.models import functional
from layerkit.models.model import Model
from layerkit.models.sequential import Sequential
from layerkit.utils.tree import flatten, pack_sequence_as


def clone_model(model: Model, input_tensors: Any = None,
                clone_function: Callable[[Layer], Layer] | None = None,
                call_function: Callable[..., Any] | None = None, recursive: bool = False,
                **kwargs: Any) -> Model:
    """A new model of ``model``'s architecture, with new layers and so freshly initialized
    weights (copy them with ``set_weights(model.get_weights())``).

    Args:
        input_tensors: new ``keras.Input`` tensors for a functional model (default: new ones
            like the model's).
        clone_function: ``layer -> new layer`` for each layer (default: the layer's class from
            its config). Return the layer itself to share it with the original.
        call_function: ``(layer, *args, **kwargs) -> outputs``, how each layer call of a
            functional model is made again (default: ``layer(*args, **kwargs)``).
        recursive: clone nested models with ``clone_model`` too (with ``clone_function``)
            rather than by ``clone_function``.
    """
    if kwargs:
        raise TypeError(f"clone_model() got unexpected arguments {sorted(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"clone_model() takes a Model, got {type(model).__name__}")
    clone = _layer_cloner(clone_function, call_function, recursive)
    if isinstance(model, Sequential):
        if input_tensors is not None or call_function is not None:
            raise ValueError(f"clone_model(): input_tensors and call_function apply to "
                             f"functional models; '{model.name}' is a Sequential")
        return _clone_sequential(model, clone)
    if not getattr(model, "_functional", False):
        if clone_function is not None or input_tensors is not None:
            raise ValueError(f"clone_model(): model '{model.name}' is subclassed "
                             f"({type(model).__name__}): it is cloned from its config, so "
                             "clone_function and input_tensors do not apply")
        return type(model).from_config(model.get_config())
    return _clone_functional(model, clone, input_tensors, call_function)


def _layer_cloner(clone_function: Callable[[Layer], Layer] | None,
                  call_function: Callable[..., Any] | None,
                  recursive: bool) -> Callable[[Layer], Layer]:
    """``layer -> clone``, once per layer (a shared layer stays shared in the clone)."""
    made: dict[int, Layer] = {}

    def clone(layer: Layer) -> Layer:
        if id(layer) not in made:
            if recursive and isinstance(layer, Model):
                made[id(layer)] = clone_model(layer, clone_function=clone_function,
                                              call_function=call_function, recursive=True)
            elif clone_function is not None:
                made[id(layer)] = clone_function(layer)
            else:
                made[id(layer)] = type(layer).from_config(layer.get_config())
        return made[id(layer)]

    return clone


def _clone_sequential(model: Sequential, clone: Callable[[Layer], Layer]) -> Sequential:
    layers: list[Any] = [clone(layer) for layer in model.layers]
    if model._input_layer is not None:
        source = model._input_layer
        layers.insert(0, Input(batch_shape=source.batch_shape, dtype=source.dtype,
                               name=source.name))
    return Sequential(layers, trainable=model.trainable, name=model.name)


def _clone_functional(model: Model, clone: Callable[[Layer], Layer], input_tensors: Any,
                      call_function: Callable[..., Any] | None) -> Model:
    if input_tensors is None:
        new_inputs = [_input_like(t) for t in model.inputs]
    else:
        new_inputs = flatten(input_tensors)
        if len(new_inputs) != len(model.inputs):
            raise ValueError(f"clone_model(): model '{model.name}' has {len(model.inputs)} "
                             f"input(s), input_tensors holds {len(new_inputs)}")

    def call(layer: Layer, *args: Any, **kwargs: Any) -> Any:
        new_layer = clone(layer)
        if call_function is not None:
            return call_function(new_layer, *args, **kwargs)
        return new_layer(*args, **kwargs)

    outputs = functional.replay(model._nodes, model.inputs, new_inputs,
                                model._output_structure, call=call)
    inputs = pack_sequence_as(model._input_structure, new_inputs)
    return Model(inputs, outputs, name=model.name, trainable=model.trainable)


def _input_like(tensor: Any) -> Any:
    layer: InputLayer = tensor._keras_history[0]
    return Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name)


__all__ = ["clone_model"]
