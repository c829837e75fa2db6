"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

Each is its activation function as a layer, with the function's arguments as the layer's
(``PReLU`` learns its negative slope). They keep the input's shape.
"""

from __future__ import annotations

from typing import Any

from layerkit import activations, constraints, initializers, ops, regularizers
from layerkit.graph import format_shape
from layerkit.layers.layer import Layer


class _Elementwise(Layer):
    """A layer that maps each input entry on its own: the output shape is the input's."""


    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def _non_negative(value: Any, what: str, label: str, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{label}: {what} must be a non-negative number, got {value!r}")
    return value


class ReLU(_Elementwise):
    """``activations.relu`` with ``max_value`` (a cap), ``negative_slope`` (below the
    threshold) and ``threshold``; all three non-negative, as Keras requires."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        self.max_value = _non_negative(max_value, "max_value", label, allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", label)
        self.threshold = _non_negative(threshold, "threshold", label)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras's default slope is 0.3)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", self._label())

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(_Elementwise):
    """``relu(x) - alpha * relu(-x)`` with a learned ``alpha`` of the input's non-batch shape;
    the axes in ``shared_axes`` (1-based, e.g. ``[1, 2]`` for the spatial axes of an image)
    share one slope."""

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, list | tuple) \
                else [shared_axes]

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        shared = self.shared_axes or []
        if any(not isinstance(a, int) or not 1 <= a < rank for a in shared):
            raise ValueError(f"shared_axes {self.shared_axes} must name non-batch axes "
                             f"(1 to {rank - 1}) of inputs of shape {format_shape(input_shape)}")
        shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
        if None in shape:
            raise ValueError(f"every axis not in shared_axes must have a known size, got "
                             f"inputs of shape {format_shape(input_shape)}")
        self.alpha = self.add_weight(shape, self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class Softmax(_Elementwise):
    """``softmax`` over ``axis`` (an int or a list of axes). With ``mask`` (True or > 0.5 where
    an entry counts, broadcastable to the inputs), masked entries get probability 0 and the
    rest share all of it, as in Keras."""

    def __init__(self, axis: Any = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._checked_mask(inputs, ops.convert_to_tensor(mask))
            inputs = ops.where(mask, inputs, -1e9)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if len(axes) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=axes, keepdims=True))
        else:
            outputs = ops.softmax(inputs, axis=axes[0])
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def _checked_mask(self, inputs: Any, mask: Any) -> Any:
        shape, mask_shape = inputs.shape, mask.shape
        fits = len(mask_shape) <= len(shape) and all(
            m in (None, 1) or d in (None, m) for m, d in zip(mask_shape[::-1], shape[::-1]))
        if not fits:
            raise ValueError(f"{self._label()}: the mask must broadcast to the inputs, got "
                             f"mask shape {format_shape(mask_shape)} for inputs of shape "
                             f"{format_shape(shape)}")
        return mask if mask.dtype == "bool" else ops.greater(mask, 0.5)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
