"""Merging layers, called on a list of tensors: ``Concatenate``, ``Add``, ``Subtract``,
``Multiply``, ``Average``, ``Maximum``, ``Minimum``, ``Dot``; and Keras's functional forms
(``layers.add([a, b])`` is ``layers.Add()([a, b])``)."""

from __future__ import annotations

import functools
from typing import Any

from layerkit import ops
from layerkit.graph import Tensor, format_shape
from layerkit.layers.layer import Layer


class _Merge(Layer):
    """Element-wise merges: the inputs' shapes must agree (a size-1 axis broadcasts, as in
    Keras); the batch axis may be unknown."""


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


class Subtract(_Merge):
    """The first input minus the second (exactly two inputs)."""

    def _shapes(self, inputs):
        shapes = super()._shapes(inputs)
        if len(shapes) != 2:
            raise ValueError(f"{self._label()} must be called on exactly 2 inputs, got "
                             f"{len(shapes)}")
        return shapes

    def _merge(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Maximum(_Merge):
    """The element-wise maximum of the inputs."""

    def _merge(self, inputs):
        return functools.reduce(ops.maximum, inputs)


class Minimum(_Merge):
    """The element-wise minimum of the inputs."""

    def _merge(self, inputs):
        return functools.reduce(ops.minimum, inputs)


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


class Dot(Layer):
    """The dot product of two batched inputs along ``axes`` (an int for both, or one axis
    each; the batch axis 0 cannot be one), per sample, as Keras's ``batch_dot``:
    ``(batch, n, d) . (batch, m, d)`` over ``axes=2`` is ``(batch, n, m)``. With
    ``normalize=True`` both inputs are L2-normalized along their axis first (a cosine
    similarity)."""

    def __init__(self, axes: Any, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        valid = (isinstance(axes, int) and not isinstance(axes, bool)) or (
            isinstance(axes, list | tuple) and len(axes) == 2
            and all(isinstance(a, int) and not isinstance(a, bool) for a in axes))
        if not valid:
            raise ValueError(f"Dot '{self.name}': axes must be an int or a pair of ints, got "
                             f"{axes!r}")
        self.axes = axes if isinstance(axes, int) else list(axes)
        self.normalize = bool(normalize)


    def _resolved(self, shapes: list[tuple]) -> tuple[int, int]:
        """The two contracted axes, non-negative; errors for bad inputs."""
        if len(shapes) != 2 or any(s is None for s in shapes):
            raise ValueError(f"{self._label()} must be called on 2 inputs of known rank, got "
                             f"shapes {', '.join(map(format_shape, shapes))}")
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        resolved = []
        for axis, shape in zip(pair, shapes):
            if len(shape) < 2 or not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(f"{self._label()}: axes {self.axes} must name a non-batch axis "
                                 f"of inputs of shapes {', '.join(map(format_shape, shapes))}")
            resolved.append(axis % len(shape))
        a, b = resolved
        if None not in (shapes[0][a], shapes[1][b]) and shapes[0][a] != shapes[1][b]:
            raise ValueError(f"{self._label()}: the contracted axes differ in size, "
                             f"{shapes[0][a]} (axis {a} of {format_shape(shapes[0])}) vs "
                             f"{shapes[1][b]} (axis {b} of {format_shape(shapes[1])})")
        return a, b

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or not all(isinstance(t, Tensor) for t in inputs):
            raise ValueError(f"{self._label()} must be called on a list of 2 tensors, got "
                             f"{type(inputs).__name__}")
        a, b = self._resolved([t.shape for t in inputs])
        x, y = inputs
        if self.normalize:
            x, y = ops.normalize(x, axis=a), ops.normalize(y, axis=b)
        # Move the contracted axes next to each other and multiply per sample.
        x = ops.moveaxis(x, a, -1)
        y = ops.moveaxis(y, b, 1)
        x_rest, y_rest = x.shape[1:-1], y.shape[2:]
        x3 = ops.reshape(x, (-1, _size(x_rest), x.shape[-1]))
        y3 = ops.reshape(y, (-1, y.shape[1], _size(y_rest)))
        out = ops.matmul(x3, y3)
        shape = (*x_rest, *y_rest)
        return ops.reshape(out, (-1, *shape) if shape else (-1, 1))

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        a, b = self._resolved(shapes)
        rest = [d for i, d in enumerate(shapes[0][1:], 1) if i != a] + \
            [d for i, d in enumerate(shapes[1][1:], 1) if i != b]
        return (shapes[0][0], *rest) if rest else (shapes[0][0], 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _size(dims: tuple) -> int:
    if any(d is None for d in dims):
        raise ValueError(f"Dot needs the non-contracted, non-batch sizes known, got {dims}")
    return int(functools.reduce(lambda a, b: a * b, dims, 1))


# -- Keras's functional forms ------------------------------------------------------------------
def concatenate(inputs: list, axis: int = -1, **kwargs) -> Tensor:
    """``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: list, **kwargs) -> Tensor:
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs) -> Tensor:
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs) -> Tensor:
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs) -> Tensor:
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs) -> Tensor:
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs) -> Tensor:
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def dot(inputs: list, axes: Any = -1, **kwargs) -> Tensor:
    """``Dot(axes=axes, **kwargs)(inputs)``."""
    return Dot(axes=axes, **kwargs)(inputs)


__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
           "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
