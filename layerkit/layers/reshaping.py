"""Reshaping layers: ``Reshape``, ``Permute``, ``RepeatVector``. None has weights; each leaves
the batch dimension alone."""

from __future__ import annotations

import math
from typing import Any

from layerkit import ops
from layerkit.graph import format_shape
from layerkit.layers.layer import Layer


def _int_tuple(value: Any, what: str, label: str) -> tuple[int, ...]:
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or not all(hasattr(v, "__index__") and not isinstance(v, bool)
                                for v in items):
        raise ValueError(f"{label}: {what} must be a tuple of ints, got {value!r}")
    return tuple(int(v) for v in items)


class Reshape(Layer):
    """``(batch, *any)`` to ``(batch, *target_shape)``, elements in row-major order. One entry
    of ``target_shape`` may be -1: it takes whatever size keeps the element count."""

    def __init__(self, target_shape: Any, **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        self.target_shape = _int_tuple(target_shape, "target_shape", label)
        if any(d < -1 or d == 0 for d in self.target_shape) \
                or self.target_shape.count(-1) > 1:
            raise ValueError(f"{label}: target_shape {self.target_shape} must hold positive "
                             "sizes and at most one -1")


    def _resolved(self, input_shape: Any) -> tuple:
        """``target_shape`` with its -1 worked out from ``input_shape`` (left -1, i.e. unknown,
        when the input's non-batch size is unknown); an error if the sizes cannot match."""
        if input_shape is None or any(d is None for d in input_shape[1:]):
            return self.target_shape
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        what = (f"{self._label()} cannot reshape inputs of shape {format_shape(input_shape)} to "
                f"(batch, {', '.join(map(str, self.target_shape))})")
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"{what}: {size} elements per sample is not a multiple of "
                                 f"{known}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            raise ValueError(f"{what}: {size} elements per sample vs {known}")
        return self.target_shape

    def call(self, inputs):
        target = self._resolved(inputs.shape)
        if -1 in target:
            raise ValueError(f"{self._label()}: the non-batch dimensions of the inputs must be "
                             f"known to resolve the -1 in target_shape {self.target_shape}, got "
                             f"{format_shape(inputs.shape)}")
        return ops.reshape(inputs, (-1, *target))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch = None if input_shape is None else input_shape[0]
        return (batch, *(None if d == -1 else d for d in self._resolved(input_shape)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes: output axis ``i`` (1-based) is input axis ``dims[i-1]``,
    as Keras counts them (``Permute((2, 1))`` swaps the two axes after the batch)."""

    def __init__(self, dims: Any, **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        self.dims = _int_tuple(dims, "dims", label)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"{label}: dims {self.dims} must be a permutation of 1..n, the "
                             "non-batch axes counted from 1 (the batch axis 0 never moves)")


    def _check(self, shape: Any) -> None:
        if shape is not None and len(shape) != len(self.dims) + 1:
            raise ValueError(f"{self._label()} with dims {self.dims} expects inputs of rank "
                             f"{len(self.dims) + 1} (batch and {len(self.dims)} more axes), got "
                             f"shape {format_shape(shape)}")

    def call(self, inputs):
        self._check(inputs.shape)
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Any) -> tuple | None:
        if input_shape is None:
            return None
        self._check(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """``(batch, features)`` to ``(batch, n, features)``: each sample repeated ``n`` times."""

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not hasattr(n, "__index__") or int(n) < 1:
            raise ValueError(f"{self._label()}: n must be a positive int, got {n!r}")
        self.n = int(n)


    def _check(self, shape: Any) -> None:
        if shape is not None and len(shape) != 2:
            raise ValueError(f"{self._label()} expects inputs of rank 2 (batch, features), got "
                             f"shape {format_shape(shape)}")

    def call(self, inputs):
        self._check(inputs.shape)
        return ops.tile(ops.expand_dims(inputs, 1), (1, self.n, 1))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if input_shape is None:
            return (None, self.n, None)
        self._check(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


__all__ = ["Permute", "RepeatVector", "Reshape"]
