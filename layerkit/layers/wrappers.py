"""Wrappers: layers that hold another layer. ``TimeDistributed`` applies it to every step of a
sequence; ``Bidirectional`` runs a recurrent layer forwards and a copy of it backwards and
merges the two.

Both write their inner layers in their configs as Keras 3 does (``{"module": "keras.layers",
"class_name": ..., "config": ...}``) and hold them under Keras's attribute names (``layer``;
``forward_layer`` and ``backward_layer``), which is where ``.weights.h5`` files keep their
weights.
"""

from __future__ import annotations

from typing import Any

from layerkit import ops
from layerkit.graph import format_shape
from layerkit.graph.ops import unflatten_leading
from layerkit.layers.layer import Layer


def serialize_inner(layer: Layer) -> dict[str, Any]:
    """A held layer's config entry, as Keras 3 writes one."""
    from layerkit.layers import serialize

    return {"module": "keras.layers", **serialize(layer), "registered_name": None}


def deserialize_inner(config: Any, custom_objects: dict | None = None) -> Layer:
    from layerkit.layers import deserialize

    return deserialize(config, custom_objects=custom_objects)


class TimeDistributed(Layer):
    """Applies ``layer`` to each step: ``(batch, steps, ...)`` is seen by the inner layer as
    ``(batch * steps, ...)``, so one set of weights serves every step; the output is
    ``(batch, steps, ...)`` of the inner layer's output per step."""

    def __init__(self, layer: Layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed '{self.name}' wraps a layer, got "
                             f"{type(layer).__name__}")
        self.layer = layer


    def _step_shape(self, input_shape: Any) -> tuple:
        if input_shape is None or len(input_shape) < 3:
            raise ValueError(f"{self._label()} expects inputs of rank 3 or more (batch, steps, "
                             f"...), got shape {format_shape(input_shape)}")
        return (None, *input_shape[2:])

    def build(self, input_shape: Any) -> None:
        with self._sublayer_scope():
            if not self.layer.built:
                self.layer._build_for_shape(self._step_shape(tuple(input_shape)))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = inputs.shape
        step = self._step_shape(shape)
        if any(d is None for d in shape[2:]):
            raise ValueError(f"{self._label()} needs every axis after the steps known, got "
                             f"{format_shape(shape)}")
        flat = ops.reshape(inputs, (-1, *step[1:]))
        outputs = self.layer(flat, training=training)
        if shape[1] is not None:
            return ops.reshape(outputs, (-1, shape[1], *outputs.shape[1:]))
        # The steps unknown too: split the first axis as the inputs' batch and steps are.
        return unflatten_leading(outputs, inputs, 2)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        inner = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (input_shape[0], input_shape[1], *inner[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": serialize_inner(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> TimeDistributed:
        values = dict(config)
        values["layer"] = deserialize_inner(values["layer"], custom_objects)
        return cls(**values)


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """A recurrent ``layer`` over the sequence forwards, a copy of it (``go_backwards``) over
    it backwards, the two outputs merged by ``merge_mode`` (``"concat"``, ``"sum"``,
    ``"mul"``, ``"ave"``, or None for both as a list). With ``return_sequences`` the backward
    outputs are put back in time order first; with ``return_state`` the forward states, then
    the backward ones, follow the output. The layer given is copied (from its config): the
    weights are the copies', ``forward_<name>`` and ``backward_<name>``."""

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs):
        super().__init__(**kwargs)
        label = f"Bidirectional '{self.name}'"
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"{label} wraps a recurrent layer (SimpleRNN, LSTM, GRU), got "
                             f"{type(layer).__name__}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"{label}: merge_mode must be one of 'sum', 'mul', 'ave', "
                             f"'concat' or None, got {merge_mode!r}")
        self.forward_layer = self._copy(layer, "forward")
        if backward_layer is None:
            backward_layer = self._copy(layer, "backward", go_backwards=not layer.go_backwards)
        elif not isinstance(backward_layer, Layer):
            raise ValueError(f"{label}: backward_layer must be a layer, got "
                             f"{type(backward_layer).__name__}")
        self.backward_layer = backward_layer
        for attribute in ("return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(backward_layer, attribute):
                raise ValueError(f"{label}: the forward and backward layers must agree on "
                                 f"{attribute}")
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError(f"{label}: the forward and backward layers must differ in "
                             "go_backwards")
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self._initial_weights = weights

    @staticmethod
    def _copy(layer: Layer, direction: str, **changes: Any) -> Layer:
        config = {**layer.get_config(), **changes}
        base = layer.name.removeprefix(f"{direction}_")
        config["name"] = f"{direction}_{base}"
        return type(layer).from_config(config)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        with self._sublayer_scope():
            for layer in (self.forward_layer, self.backward_layer):
                if not layer.built:
                    layer._build_for_shape(tuple(sequences_shape))
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = list(self._initial_weights), None
            half = len(weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, training=training)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if not self.return_state:
            return output
        return [*output, *states] if self.merge_mode is None else [output, *states]

    def _merge(self, y: Any, y_rev: Any) -> Any:
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) * 0.5
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        out = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return [*out, *states, *states]
        return out[0] if self.merge_mode is not None else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_inner(self.forward_layer),
                "backward_layer": serialize_inner(self.backward_layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> Bidirectional:
        values = dict(config)
        values["layer"] = deserialize_inner(values["layer"], custom_objects)
        if values.get("backward_layer") is not None:
            values["backward_layer"] = deserialize_inner(values["backward_layer"],
                                                         custom_objects)
        return cls(**values)


__all__ = ["Bidirectional", "TimeDistributed"]
