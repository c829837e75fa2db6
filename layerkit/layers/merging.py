"""Merging layers, called on a list of tensors: ``Concatenate``, ``Add``, ``Multiply``,
``Average``."""

from __future__ import annotations

import functools
from typing import Any

from layerkit import ops
from layerkit.graph import Tensor, format_shape
from layerkit.layers.layer import Layer


class _Merge(Layer):
    """Element-wise merges: the inputs' shapes must agree (a size-1 axis broadcasts, as in
    Keras); the batch axis may be unknown."""

    def _label(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _shapes(self, inputs: Any) -> list[tuple | None]:
        if not isinstance(inputs, list | tuple) or not inputs \
                or not all(isinstance(t, Tensor) for t in inputs):
            raise ValueError(f"{self._label()} must be called on a list of tensors, got "
                             f"{type(inputs).__name__}")
        return [t.shape for t in inputs]

    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, inputs):
        shapes = self._shapes(inputs)
        self.compute_output_shape(shapes)  # checks that the shapes agree
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape):
        known = [s for s in input_shape if s is not None]
        if len(known) < len(input_shape):
            return None
        rank = max(len(s) for s in known)
        out = []
        for axis in range(-rank, 0):
            dims = {s[axis] for s in known if len(s) >= -axis} - {1}
            sized = dims - {None}
            if len(sized) > 1:
                raise ValueError(f"{self._label()}: inputs have incompatible shapes "
                                 f"{', '.join(format_shape(s) for s in input_shape)} (axis {axis}: "
                                 f"sizes {sorted(sized)})")
            out.append(sized.pop() if sized else (None if None in dims else 1))
        return tuple(out)

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        raise NotImplementedError


class Add(_Merge):
    """The element-wise sum of the inputs."""

    def _merge(self, inputs):
        return functools.reduce(ops.add, inputs)


class Multiply(_Merge):
    """The element-wise product of the inputs."""

    def _merge(self, inputs):
        return functools.reduce(ops.multiply, inputs)


class Average(_Merge):
    """The element-wise mean of the inputs."""

    def _merge(self, inputs):
        return functools.reduce(ops.add, inputs) * (1.0 / len(inputs))


class Concatenate(Layer):
    """The inputs joined along ``axis``; every other axis must match."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or not inputs \
                or not all(isinstance(t, Tensor) for t in inputs):
            raise ValueError(f"Concatenate '{self.name}' must be called on a list of tensors, "
                             f"got {type(inputs).__name__}")
        self.compute_output_shape([t.shape for t in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        if any(s is None for s in input_shape):
            return None
        listed = ", ".join(format_shape(s) for s in input_shape)
        label = f"Concatenate '{self.name}'"
        ranks = {len(s) for s in input_shape}
        if len(ranks) > 1:
            raise ValueError(f"{label}: inputs have different ranks: shapes {listed}")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"{label}: axis {self.axis} is out of range for inputs of shapes "
                             f"{listed}")
        axis = self.axis % rank
        out = []
        for i in range(rank):
            dims = [s[i] for s in input_shape]
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            sized = set(dims) - {None}
            if len(sized) > 1:
                raise ValueError(f"{label}: inputs must match on every axis but the "
                                 f"concatenation axis {self.axis}, got shapes {listed}")
            out.append(sized.pop() if sized else None)
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


__all__ = ["Add", "Average", "Concatenate", "Multiply"]
