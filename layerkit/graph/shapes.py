"""Static shapes: a tuple of ints with ``None`` for an unknown dimension, or ``None`` for an
unknown rank (a placeholder declared without a shape)."""

from __future__ import annotations

from collections.abc import Iterable

Dim = int | None
Shape = tuple[Dim, ...] | None


def as_shape(shape: Iterable[int | None] | int | None) -> Shape:
    """Normalize a user-given shape (list, tuple, int or None)."""
    if shape is None:
        return None
    if isinstance(shape, int):
        shape = (shape,)
    result = []
    for d in shape:
        if d is None:
            result.append(None)
        elif isinstance(d, int) or hasattr(d, "__index__"):
            d = int(d)
            if d < 0:
                raise ValueError(f"shape {tuple(shape)} has a negative dimension")
            result.append(d)
        else:
            raise TypeError(f"shape {shape!r} must hold ints or None, not {type(d).__name__}")
    return tuple(result)


def format_shape(shape: Shape) -> str:
    """A shape as users write it: ``(None, 10)``, or ``<unknown>`` for an unknown rank."""
    return "<unknown>" if shape is None else str(tuple(shape))


fmt = format_shape  # the short name the core's error messages use


def num_elements(shape: Shape) -> int | None:
    if shape is None or any(d is None for d in shape):
        return None
    n = 1
    for d in shape:
        n *= d
    return n


def broadcast(a: Shape, b: Shape, op_name: str | None = None) -> Shape:
    """The numpy broadcast of two static shapes, or a ValueError (naming ``op_name`` if given;
    a shape rule's errors get the op's name from ``apply``)."""
    if a is None or b is None:
        return None
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            prefix = f"{op_name}: " if op_name else ""
            raise ValueError(
                f"{prefix}shapes {fmt(a)} and {fmt(b)} cannot be broadcast together "
                f"(dimension {-i}: {x} vs {y})"
            )
    return tuple(reversed(out))


def is_compatible(value_shape: tuple[int, ...], static: Shape) -> bool:
    """Whether a concrete shape matches a static one (None matches anything)."""
    if static is None:
        return True
    if len(value_shape) != len(static):
        return False
    return all(s is None or s == v for v, s in zip(value_shape, static))


def normalize_axis(axis: int, rank: int, op_name: str) -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"{op_name}: axis {axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def normalize_axes(axis, rank: int, op_name: str) -> tuple[int, ...]:
    """``axis`` (None, an int, or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, int):
        axis = (axis,)
    axes = tuple(sorted(normalize_axis(int(a), rank, op_name) for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op_name}: repeated axis in {tuple(axis)}")
    return axes
