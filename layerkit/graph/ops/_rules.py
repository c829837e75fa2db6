"""Shape/dtype rules shared by several op definitions."""

from __future__ import annotations

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor
from layerkit.graph.shapes import broadcast, normalize_axes


def same_dtype(*tensors: Tensor):
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:
            names = ", ".join(f"'{x.name}' ({x.dtype.name})" for x in tensors)
            raise TypeError(f"inputs {names} must have the same dtype")
    return dtype


def require_float(*tensors: Tensor) -> None:
    for t in tensors:
        if not dtypes.is_floating(t.dtype):
            raise TypeError(
                f"input '{t.name}' has dtype {t.dtype.name}; this op needs a floating-point "
                "tensor (cast it first)"
            )


def require_numeric(*tensors: Tensor) -> None:
    for t in tensors:
        if t.dtype == dtypes.bool_:
            raise TypeError(f"input '{t.name}' is bool; this op needs a numeric tensor")


def elementwise(*tensors: Tensor):
    """Broadcast shape and common dtype of an element-wise op's inputs."""
    dtype = same_dtype(*tensors)
    shape = tensors[0].shape
    for t in tensors[1:]:
        shape = broadcast(shape, t.shape)
    return shape, dtype


def reduced_shape(shape, axis, keepdims: bool):
    """The shape left after reducing ``axis`` (None: all axes) of ``shape``."""
    if shape is None:
        return None
    axes = normalize_axes(axis, len(shape), "reduction")
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def canonical_axes(x: Tensor, axis, op_name: str):
    """``axis`` as a sorted tuple of non-negative ints when x's rank is known (None stays None)."""
    if axis is None or x.shape is None:
        return None if axis is None else (axis if isinstance(axis, int) else tuple(axis))
    return normalize_axes(axis, len(x.shape), op_name)
