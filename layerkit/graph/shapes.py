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
        if d is None or getattr(d, "value", 0) is None:  # None, or TF1's Dimension(None)
            result.append(None)
        elif isinstance(d, int) or hasattr(d, "__index__"):
            d = int(d)
            if d < 0:
                raise ValueError(f"shape {tuple(shape)} has a negative dimension")
            result.append(d)
        else:
            raise TypeError(f"shape {shape!r} must hold ints or None, not {type(d).__name__}")
    return tuple(result)


class TensorShape(tuple):
    """A static shape of known rank: a tuple of ints and ``None`` (what ``tensor.shape`` is),
    with TensorFlow's ``TensorShape`` methods. Indexing gives ints and None, as in TensorFlow 2
    (``get_shape()`` gives TensorFlow 1's ``Dimension`` objects: ``TensorShapeV1``)."""

    def __new__(cls, dims: Iterable[int | None]) -> TensorShape:
        return super().__new__(cls, as_shape(dims))

    @property
    def rank(self) -> int | None:
        return len(self)

    ndims = rank

    @property
    def dims(self) -> list[Dimension]:
        return [Dimension(d) for d in tuple.__iter__(self)]

    def as_list(self) -> list[int | None]:
        return list(tuple.__iter__(self))

    def is_fully_defined(self) -> bool:
        return all(d is not None for d in tuple.__iter__(self))

    def num_elements(self) -> int | None:
        return num_elements(tuple(tuple.__iter__(self)))

    def is_compatible_with(self, other: Iterable[int | None] | None) -> bool:
        other = _known(other)
        if other is None:
            return True
        return len(other) == len(self) and all(
            a is None or b is None or a == b for a, b in zip(tuple.__iter__(self), other))

    def merge_with(self, other: Iterable[int | None] | None) -> TensorShape:
        """The shape both describe (a known dimension wins over None), or a ValueError."""
        known = _known(other)
        if known is None:
            return self
        if not self.is_compatible_with(known):
            raise ValueError(f"Shapes {fmt(tuple(tuple.__iter__(self)))} and {fmt(known)} are "
                             "not compatible")
        return type(self)(a if a is not None else b
                          for a, b in zip(tuple.__iter__(self), known))

    def concatenate(self, other: Iterable[int | None]) -> TensorShape:
        return type(self)((*tuple.__iter__(self), *(_known(other) or ())))


class Dimension:
    """TensorFlow 1's ``Dimension``: a dimension's ``value`` (an int, or None when unknown),
    comparing equal to that value and converting with ``int()``."""

    def __init__(self, value: int | None):
        self.value = None if value is None or getattr(value, "value", 0) is None \
            else int(getattr(value, "value", value))

    def __int__(self) -> int:
        if self.value is None:
            raise ValueError("Cannot convert an unknown Dimension to an int")
        return self.value

    __index__ = __int__

    def __eq__(self, other: object) -> bool:
        other = getattr(other, "value", other)
        return self.value == other

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Dimension({self.value})"

    def __str__(self) -> str:
        return "?" if self.value is None else str(self.value)


class TensorShapeV1(TensorShape):
    """``tensor.get_shape()``, TensorFlow 1's way: indexing and iteration give ``Dimension``
    objects (``x.get_shape()[1].value``); an unknown rank is ``TensorShapeV1(None)``."""

    def __new__(cls, dims: Iterable[int | None] | None) -> TensorShapeV1:
        shape = super().__new__(cls, () if dims is None else dims)
        shape.unknown_rank = dims is None
        return shape

    @property
    def rank(self) -> int | None:
        return None if self.unknown_rank else len(self)

    ndims = rank

    @property
    def dims(self) -> list[Dimension] | None:
        return None if self.unknown_rank else super().dims

    def __getitem__(self, index: int | slice) -> Dimension | TensorShapeV1:
        if self.unknown_rank:
            return Dimension(None) if isinstance(index, int) else TensorShapeV1(None)
        item = tuple.__getitem__(self, index)
        return TensorShapeV1(item) if isinstance(index, slice) else Dimension(item)

    def __iter__(self):
        return iter(self.dims or [])

    def as_list(self) -> list[int | None]:
        if self.unknown_rank:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return super().as_list()

    def is_fully_defined(self) -> bool:
        return not self.unknown_rank and super().is_fully_defined()

    def is_compatible_with(self, other: Iterable[int | None] | None) -> bool:
        return self.unknown_rank or super().is_compatible_with(other)

    def merge_with(self, other: Iterable[int | None] | None) -> TensorShapeV1:
        if self.unknown_rank:
            return TensorShapeV1(_known(other))
        return super().merge_with(other)

    def __repr__(self) -> str:
        if self.unknown_rank:
            return "TensorShape(None)"
        return f"TensorShape({self.dims!r})"

    def __str__(self) -> str:
        if self.unknown_rank:
            return "<unknown>"
        return "(" + ", ".join(str(d) for d in self.dims) + ("," if len(self) == 1 else "") + ")"


def _known(shape: Iterable[int | None] | None) -> Shape:
    """A shape's dimensions as a tuple, None for an unknown rank."""
    if shape is None or getattr(shape, "unknown_rank", False):
        return None
    return as_shape(tuple(tuple.__iter__(shape)) if isinstance(shape, tuple) else shape)


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
