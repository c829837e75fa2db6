"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any

from layerkit.layers.input_layer import InputLayer
from layerkit.layers.layer import Layer, recording_calls
from layerkit.models.model import Model


class Sequential(Model):
    """``Sequential([layer, layer, ...])``. Built as soon as the input shape is known: from an
    ``Input``/``InputLayer`` first, a first layer given ``input_shape``, or the first call."""

    def __init__(self, layers: list[Layer] | None = None, trainable: bool = True,
                 name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input`` tensor, which sets the input shape)."""
        history = getattr(layer, "_keras_history", None)
        if history is not None and isinstance(history[0], InputLayer):
            layer = history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential '{self.name}' can only add layers, got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(f"Sequential '{self.name}': an InputLayer must come first")
            self._input_layer = layer
        else:
            self._stack.append(layer)
            self._layers = list(self._stack)
        if rebuild:
            self._build_if_shape_known()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop")
        layer = self._stack.pop()
        self._layers = list(self._stack)
        self.built = False
        if rebuild:
            self._build_if_shape_known()
        return layer

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def _batch_shape(self) -> tuple | None:
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._stack:
            return self._stack[0]._batch_input_shape
        return None

    def _build_if_shape_known(self) -> None:
        shape = self._batch_shape()
        if shape is not None and self._stack:
            self.build(shape)

    def build(self, input_shape: Any = None) -> None:
        """Build every layer by tracing the stack on a placeholder of ``input_shape``."""
        input_shape = tuple(input_shape) if input_shape is not None else self._batch_shape()
        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}': the input shape is unknown; start with "
                             "layerkit.Input(shape=...) or call the model on data first")
        dtype = self._input_layer.dtype if self._input_layer else self.dtype
        self._build_input_shape = input_shape
        # As Keras 3: the stack is wired up once on a Keras input, so every layer gets an
        # ``input`` and an ``output`` (a feature extractor can be cut from them).
        if self._input_layer is not None and self._input_layer.batch_shape == input_shape:
            entry = self._input_layer
        else:
            entry = InputLayer(batch_shape=input_shape, dtype=dtype, name=f"{self.name}_input")
        with recording_calls():
            self._wired_output = self.call(entry.output)
        self._wired_input = entry.output
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    @property
    def inputs(self) -> list:
        if self._input_layer is not None:
            return [self._input_layer.output]
        return [self._wired_input] if self.built and hasattr(self, "_wired_input") else []

    @property
    def outputs(self) -> list:
        return [self._wired_output] if self.built and hasattr(self, "_wired_output") else []

    def get_config(self) -> dict[str, Any]:
        from layerkit.layers import serialize

        layers = [serialize(layer) for layer in self._stack]
        if self._input_layer is not None:
            layers.insert(0, serialize(self._input_layer))
        config = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if getattr(self, "_build_input_shape", None) is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        from layerkit.layers import deserialize

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise ValueError(f"Sequential config {config.get('name')!r}: 'layers' must be a list")
        for layer_config in layers:
            model.add(deserialize(layer_config, custom_objects=custom_objects))
        shape = config.get("build_input_shape")
        if not model.built and shape is not None and model._stack:
            model.build(tuple(shape))
        return model


__all__ = ["Sequential"]
