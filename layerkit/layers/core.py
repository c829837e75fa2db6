"""Core layers: ``Dense``, ``Activation``, ``Dropout``, ``Flatten``."""

from __future__ import annotations

import math
from typing import Any

from layerkit import activations, ops
from layerkit import backend as K
from layerkit.graph import format_shape

# Dropout masks still come from the core's stateful Bernoulli op (new per program run);
# moving them onto keras.random's SeedGenerator changes what a resumed run reproduces.
from layerkit.graph import ops as graph_random
from layerkit.layers.kernel_arguments import kernel_config, take_kernel_arguments
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last axis of the inputs."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense '{self.name}': units must be a positive int, got {units!r}")
        check_unsupported(f"Dense '{self.name}'", {"lora_rank": (lora_rank, None),
            "lora_alpha": (lora_alpha, None), "quantization_config": (quantization_config, None)})
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)

    def build(self, input_shape: Any) -> None:
        if input_shape is None or len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"the last dimension of the inputs must be known, got "
                             f"{format_shape(input_shape)}")
        self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = (self.add_weight((self.units,), self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs):
        expected = self.kernel.shape[0]
        if inputs.shape is not None and inputs.shape[-1] not in (None, expected):
            raise ValueError(f"Dense '{self.name}' expects inputs whose last dimension is "
                             f"{expected}, got shape {format_shape(inputs.shape)}")
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                **kernel_config(self), "quantization_config": None}


class Activation(Layer):
    """Applies an activation function (a name such as ``"relu"``, or a callable)."""

    def __init__(self, activation: Any, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


def noise_like(inputs: Any, noise_shape: Any, label: str) -> Any:
    """A tensor whose run-time shape is ``noise_shape`` (Keras's: None or the inputs' size
    for an axis that draws per entry, 1 for one that shares its draw): ``inputs`` cut to one
    entry along the shared axes, for the core's random ops to take the shape of."""
    if noise_shape is None:
        return inputs
    shape = inputs.shape
    if len(noise_shape) != len(shape):
        raise ValueError(f"{label}: noise_shape {tuple(noise_shape)} must have the inputs' rank "
                         f"{len(shape)}, got inputs of shape {format_shape(shape)}")
    index = []
    for n, d in zip(noise_shape, shape):
        if n is not None and n != 1 and (d is None or n != d):
            raise ValueError(f"{label}: noise_shape {tuple(noise_shape)} does not broadcast to "
                             f"inputs of shape {format_shape(shape)} (each entry None, 1 or the "
                             "inputs' size)")
        index.append(slice(0, 1) if n == 1 and d != 1 else slice(None))
    return inputs[tuple(index)]


class Dropout(Layer):
    """In training, zeroes each input with probability ``rate`` and scales the rest by
    ``1 / (1 - rate)``; in inference, passes inputs through. With ``noise_shape`` (e.g.
    ``(None, 1, features)``) the axes of size 1 share one draw: whole slices are dropped."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"{type(self).__name__} '{self.name}': rate must be a number in "
                             f"[0, 1], got {rate!r}")
        if noise_shape is not None and not isinstance(noise_shape, list | tuple):
            raise ValueError(f"{type(self).__name__} '{self.name}': noise_shape must be a tuple, "
                             f"got {noise_shape!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate == 1.0:
            return inputs * 0.0
        like = noise_like(inputs, self._noise_shape(inputs), f"Dropout '{self.name}'")
        keep = graph_random.random_bernoulli(like, p=1.0 - self.rate, dtype=inputs.dtype,
                                             seed=self.seed)
        return inputs * keep * (1.0 / (1.0 - self.rate))

    def _noise_shape(self, inputs: Any) -> Any:
        return self.noise_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": noise_shape}


class Flatten(Layer):
    """Reshapes ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``. With
    ``data_format="channels_first"`` the channel axis (axis 1) is moved last before flattening,
    as Keras does, so the order of the features matches a channels_last model's."""

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        value = K.image_data_format() if data_format is None else data_format
        if value not in ("channels_last", "channels_first"):
            raise ValueError(f"Flatten '{self.name}': data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")
        self.data_format = value

    def call(self, inputs):
        rest = inputs.shape[1:] if inputs.shape is not None else None
        if rest is None or any(d is None for d in rest):
            raise ValueError(f"Flatten '{self.name}' needs every non-batch dimension known, got "
                             f"{format_shape(inputs.shape)}")
        if self.data_format == "channels_first" and len(rest) > 1:
            inputs = ops.transpose(inputs, (0, *range(2, len(rest) + 1), 1))
        return ops.reshape(inputs, (-1, math.prod(rest)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder layer, e.g. where an architecture makes a
    block optional)."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
