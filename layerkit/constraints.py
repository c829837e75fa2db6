"""Weight constraints with Keras 3's names, arguments and defaults (``keras.constraints``).

A constraint maps a weight to its projected value. A layer's weight created with
``add_weight(..., constraint=c)`` keeps ``c`` on the variable (``variable.constraint``), and an
optimizer step stores ``c(new_value)`` instead of the new value: the projection runs after each
update, inside the compiled step, as Keras applies it after ``update_step``. Called on an array,
a constraint returns the projected array.
"""

from __future__ import annotations

from typing import Any

from layerkit import backend, ops
from layerkit.ops import eager
from layerkit.utils.serialization import deserialize_object, get_object, serialize_object

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]


class Constraint:
    """Base class: ``constraint(weight) -> projected weight`` (same shape and dtype).

    Subclass it and implement ``__call__`` with ``layerkit.ops``; ``get_config`` lists the
    constructor arguments, for saving."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w: Any, axis: Any) -> Any:
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _axis(axis: Any) -> Any:
    return list(axis) if isinstance(axis, list | tuple) else int(axis)


class MaxNorm(Constraint):
    """Rescales the slices of ``w`` along ``axis`` whose L2 norm exceeds ``max_value`` to that
    norm (``axis=0`` for a Dense kernel: each unit's incoming weights)."""

    def __init__(self, max_value: float = 2, axis: Any = 0):
        self.max_value = max_value
        self.axis = _axis(axis)

    def __call__(self, w: Any) -> Any:
        def build(w):
            norms = _norms(w, self.axis)
            desired = ops.clip(norms, 0, self.max_value)
            return w * (desired / (backend.epsilon() + norms))

        return eager.call_float(build, w, "MaxNorm")

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets the negative entries of ``w`` to 0."""

    def __call__(self, w: Any) -> Any:
        return eager.call_float(lambda w: w * ops.cast(ops.greater_equal(w, 0.0), w.dtype), w,
                                "NonNeg")


class UnitNorm(Constraint):
    """Scales each slice of ``w`` along ``axis`` to L2 norm 1."""

    def __init__(self, axis: Any = 0):
        self.axis = _axis(axis)

    def __call__(self, w: Any) -> Any:
        return eager.call_float(lambda w: w / (backend.epsilon() + _norms(w, self.axis)), w,
                                "UnitNorm")

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of each slice along ``axis`` into ``[min_value, max_value]``, by the
    fraction ``rate`` of the way (``rate=1``: all the way)."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = _axis(axis)

    def __call__(self, w: Any) -> Any:
        def build(w):
            norms = _norms(w, self.axis)
            desired = (self.rate * ops.clip(norms, self.min_value, self.max_value)
                       + (1 - self.rate) * norms)
            return w * (desired / (backend.epsilon() + norms))

        return eager.call_float(build, w, "MinMaxNorm")

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Keras 3's lowercase names are the classes themselves.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

ALL_OBJECTS_DICT: dict[str, Any] = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}


def _unknown(identifier: Any) -> ValueError:
    return ValueError(f"Could not interpret constraint identifier: {identifier!r}. Known "
                      f"constraints: {', '.join(sorted(ALL_OBJECTS_DICT))}")


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """A Keras 3 style config (None for None, as Keras stores an absent constraint)."""
    return serialize_object(constraint, Constraint, ALL_OBJECTS_DICT, "keras.constraints")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None
                ) -> Constraint | None:
    """A constraint from a name (``"max_norm"``) or a ``{"class_name", "config"}`` dict."""
    return deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, _unknown)


def get(identifier: Any) -> Any:
    """A constraint from a name, a config dict, a class (instantiated with its defaults) or an
    instance / callable (returned as is); None gives None."""
    return get_object(identifier, deserialize, _unknown)
