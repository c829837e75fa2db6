"""Weight regularizers with Keras 3's names, arguments and defaults (``keras.regularizers``).

A regularizer is called on a weight (a variable or any float tensor) and returns a scalar
tensor, the penalty a layer adds to its losses; gradients flow through it like any graph op.
Called on a value (a numpy array) outside a model's tracing it returns the penalty's value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layerkit import ops
from layerkit.graph import Tensor, constant
from layerkit.ops import eager
from layerkit.utils.serialization import deserialize_object, get_object, serialize_object

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]


def validate_float_arg(value: Any, name: str) -> float:
    """``value`` as a float if it is a finite, non-negative number; else a ValueError."""
    if (isinstance(value, bool) or not isinstance(value, int | float | np.number)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar penalty``.

    Any function from a weight tensor to a scalar tensor works as a regularizer too; subclass
    this to get ``get_config`` / ``from_config`` (needed to save a model's config).
    """

    def __call__(self, x: Any) -> Any:
        return 0.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def _zero_like(x: Tensor) -> Tensor:
    """A scalar 0 of x's dtype, in x's graph."""
    return constant(np.zeros((), x.dtype))


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``. Both factors default to 0 here; the string
    ``"l1_l2"`` gives ``L1L2(l1=0.01, l2=0.01)``, as Keras documents."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Any:
        def build(x: Tensor) -> Tensor:
            penalty = None
            if self.l1:
                penalty = self.l1 * ops.sum(ops.abs(x))
            if self.l2:
                term = self.l2 * ops.sum(ops.square(x))
                penalty = term if penalty is None else penalty + term
            return _zero_like(x) if penalty is None else penalty

        return eager.call_float(build, x)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))``."""

    def __init__(self, l1: float = 0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Any) -> Any:
        return eager.call_float(lambda t: self.l1 * ops.sum(ops.abs(t)), x)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(square(x))``."""

    def __init__(self, l2: float = 0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Any:
        return eager.call_float(lambda t: self.l2 * ops.sum(ops.square(t)), x)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns (``"columns"``) of a 2-D weight towards
    being orthogonal: ``factor * 0.5 * sum |u_i . u_j|`` over pairs ``i != j`` of the
    L2-normalized rows/columns, divided by the number of pairs (as Keras)."""

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = validate_float_arg(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError("Invalid value for argument `mode`. Expected one of "
                             f'{{"rows", "columns"}}. Received: mode={mode!r}')
        self.mode = mode

    def __call__(self, x: Any) -> Any:
        return eager.call_float(self._build, x)

    def _build(self, x: Tensor) -> Tensor:
        from layerkit import backend

        if x.shape is None or len(x.shape) != 2 or None in x.shape:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2 and a known "
                             f"shape. Received: inputs.shape={x.shape}")
        axis = 1 if self.mode == "rows" else 0
        norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
        unit = x / ops.maximum(norm, backend.epsilon())
        if self.mode == "rows":
            product, size = unit @ ops.transpose(unit), x.shape[0]
        else:
            product, size = ops.transpose(unit) @ unit, x.shape[1]
        off_diagonal = product * constant(1.0 - np.eye(size), dtype=x.dtype)
        num_pairs = size * (size - 1.0) / 2.0
        if num_pairs == 0:
            return _zero_like(x)
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / num_pairs)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras 3's lowercase names are the classes themselves.
l1, l2, orthogonal_regularizer = L1, L2, OrthogonalRegularizer
l1_l2 = L1L2

ALL_OBJECTS_DICT: dict[str, Any] = {
    "Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
}


def _unknown(identifier: Any) -> ValueError:
    names = ", ".join(sorted([*ALL_OBJECTS_DICT, "l1_l2"]))
    return ValueError(f"Could not interpret regularizer identifier: {identifier!r}. Known "
                      f"regularizers: {names}")


def serialize(regularizer: Regularizer | None) -> dict[str, Any] | None:
    """A Keras 3 style config: ``{"module", "class_name", "config", "registered_name"}``
    (None for None, as Keras stores an absent regularizer)."""
    return serialize_object(regularizer, Regularizer, ALL_OBJECTS_DICT, "keras.regularizers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None
                ) -> Regularizer | None:
    """A regularizer from a name or a ``{"class_name": ..., "config": {...}}`` dict."""
    if config == "l1_l2":
        return L1L2(l1=0.01, l2=0.01)
    return deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, _unknown)


def get(identifier: Any) -> Any:
    """A regularizer from a name (``"l2"``), a config dict, a class (instantiated with its
    defaults) or an instance / callable (returned as is); None gives None."""
    return get_object(identifier, deserialize, _unknown)
