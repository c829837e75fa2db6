"""``Model``: layers grouped with a training API. Functional (``Model(inputs, outputs)``) or
subclassed (layers as attributes, ``call`` written by hand)."""

from __future__ import annotations

import json
from typing import Any

from layerkit import formats
from layerkit.graph import Tensor
from layerkit.layers.input_layer import InputLayer
from layerkit.layers.layer import Layer
from layerkit.models import functional
from layerkit.models.arguments import short_repr
from layerkit.models.summary import print_summary
from layerkit.models.trainer import Trainer
from layerkit.utils.tree import flatten


class Model(Trainer, Layer):
    """A model. ``Model(inputs, outputs, name=None)`` builds a functional model from symbolic
    tensors (``layerkit.Input`` and layer calls); a subclass defines layers in ``__init__``
    and the computation in ``call(inputs, training=None)``."""

    _is_model = True

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        Layer.__init__(self, name=kwargs.pop("name", None),
                       trainable=kwargs.pop("trainable", True), dtype=kwargs.pop("dtype", None),
                       **kwargs)
        Trainer.__init__(self)
        self._functional = inputs is not None
        if self._functional:
            if outputs is None:
                raise ValueError(f"Model '{self.name}': give outputs with inputs")
            self._init_functional(inputs, outputs)

    def _init_functional(self, inputs: Any, outputs: Any) -> None:
        self._input_structure = inputs
        self._output_structure = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._check_functional_tensors()
        self._nodes = functional.nodes_between(self.inputs, self.outputs)
        self._layers = functional.keras_layer_order(self.inputs, self.outputs)
        self.built = True

    def _check_functional_tensors(self) -> None:
        """Inputs from ``layerkit.Input()`` and outputs that are tensors, before the graph walk
        would fail on them with an AttributeError."""
        for where, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            for t in tensors:
                if not isinstance(t, Tensor):
                    raise TypeError(f"Model '{self.name}': {where} must be symbolic tensors, "
                                    f"got {type(t).__name__}: {short_repr(t)}")
        for t in self.inputs:
            history = getattr(t, "_keras_history", None)
            if history is None or not isinstance(history[0], InputLayer):
                raise ValueError(f"Model '{self.name}': inputs must come from layerkit.Input(), "
                                 f"got {short_repr(t)}")

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}' has no layer named {name!r}; its layers are "
                         f"{[layer.name for layer in self.layers]}")

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not self._functional:
            raise NotImplementedError(f"Model subclass {type(self).__name__} must implement "
                                      "call()")
        new_inputs = flatten(inputs)
        if len(new_inputs) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), got "
                             f"{len(new_inputs)}")
        return functional.replay(self._nodes, self.inputs, new_inputs, self._output_structure)

    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print the layers, their output shapes and parameter counts."""
        print_summary(self, line_length or 80, print_fn or print, show_trainable)

    # A functional (or built Sequential) model knows its inputs and outputs before any call.
    @property
    def input(self) -> Any:
        if getattr(self, "_functional", False):
            return self._input_structure
        inputs = getattr(self, "inputs", None)
        return inputs[0] if inputs else Layer.input.fget(self)

    @property
    def output(self) -> Any:
        if getattr(self, "_functional", False):
            return self._output_structure
        outputs = getattr(self, "outputs", None)
        return outputs[0] if outputs else Layer.output.fget(self)

    @property
    def input_shape(self) -> Any:
        return self._shapes_or(getattr(self, "inputs", None), Layer.input_shape)

    @property
    def output_shape(self) -> Any:
        return self._shapes_or(getattr(self, "outputs", None), Layer.output_shape)

    def _shapes_or(self, tensors: Any, fallback: property) -> Any:
        if not tensors:
            return fallback.fget(self)
        shapes = [tuple(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self) -> list[str]:
        return [t._keras_history[0].name for t in getattr(self, "inputs", [])]

    @property
    def output_names(self) -> list[str]:
        return [t._keras_history[0].name for t in getattr(self, "outputs", [])]

    def get_config(self) -> dict[str, Any]:
        """A functional model's layers and their connections (Keras 3's format). A subclassed
        model must override this (and ``from_config``) to be saved whole."""
        if not self._functional:
            raise NotImplementedError(
                f"Model '{self.name}' ({type(self).__name__}) is a subclassed model: override "
                "get_config() and from_config() to save it whole, or use save_weights()")
        return functional.functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                    ) -> Model:
        """A model from ``get_config`` output; only built-in classes and ``custom_objects``
        are ever instantiated."""
        if "layers" in config:
            return functional.functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture (class and config, no weights) as a JSON string."""
        return json.dumps(formats.serialize_model(self), **kwargs)

    # -- persistence (see layerkit.formats) --------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
             **kwargs: Any) -> None:
        """Save the architecture, weights, compile arguments and optimizer state to an HDF5
        file (``.h5``/``.hdf5``, Keras's legacy layout); the write is atomic."""
        formats.save_model(self, filepath, overwrite=overwrite,
                           include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights (and the optimizer's state) to ``.weights.h5`` (Keras 3's layout) or
        ``.h5`` (Keras's legacy layout); the write is atomic."""
        formats.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, by_name: bool = False,
                     **kwargs: Any) -> None:
        """Load weights saved by ``save_weights``/``save`` (or by Keras). Legacy ``.h5``
        files match layers by position, or by name with ``by_name=True``."""
        formats.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name,
                             **kwargs)
