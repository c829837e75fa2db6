"""Array manipulation: reshaping, indexing, joining, padding, broadcasting.

Axis attributes are stored as the user gave them (negative axes included) and checked by the
shape rules, so every bad axis is reported through ``apply`` with the op's type and name; the
kernels resolve negative axes against the run-time rank, which also serves unknown ranks.
"""

from __future__ import annotations

__all__ = [
    "reshape", "unflatten_leading", "transpose", "expand_dims", "squeeze", "concat", "stack",
    "split", "flip", "getitem",
    "gather", "take_along_axis", "one_hot", "sort", "argsort", "top_k", "pad", "broadcast_to",
    "tile", "zeros_like", "ones_like",
]

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor, overload_operator
from layerkit.graph.opdef import apply, apply1, convert_operands, convert_to_tensor, define_op
from layerkit.graph.ops._rules import require_numeric, same_dtype
from layerkit.graph.shapes import Shape, broadcast, fmt, num_elements

Axes = int | Sequence[int]


class IndexOutOfRangeError(IndexError, ValueError):
    """An index past the end of a known dimension: an ``IndexError`` as in Python, and a
    ``ValueError`` so ``apply`` reports it with the op's name like other build-time errors."""


# -- helpers shared by the rules --------------------------------------------------------------
def _axis(axis: int, rank: int, shape: Shape, new: int = 0) -> int:
    """``axis`` as a non-negative int for a result of ``rank`` dims: a tensor of ``shape``
    with ``new`` axes inserted (``shape`` is for the message)."""
    if not -rank <= axis < rank:
        added = f" with {new} new axis" if new else ""
        raise ValueError(f"axis {axis} is out of range for a tensor of shape {fmt(shape)}"
                         f"{added}")
    return axis % rank


def _axes(axis: Axes, rank: int, shape: Shape, new: int = 0) -> tuple[int, ...]:
    """``axis`` (an int or a sequence) as a tuple of distinct non-negative ints."""
    axes = tuple(_axis(a, rank, shape, new)
                 for a in ((axis,) if isinstance(axis, int) else axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    return axes


def _ints(values: Any, what: str, op: str) -> tuple[int, ...]:
    """A sequence of Python ints (numpy ints accepted) as a tuple, for use as an attribute."""
    if isinstance(values, Tensor):
        raise TypeError(f"{op}: {what} must be Python ints, not the tensor '{values.name}'")
    seq = (values,) if isinstance(values, numbers.Integral) else values
    try:
        return tuple(operator.index(v) for v in seq)
    except TypeError:
        raise TypeError(f"{op}: {what} must be a sequence of ints, got {values!r}") from None


def _number(value: Any, what: str, op: str) -> int | float:
    """A real number as a plain Python int or float (numpy scalars too), for an attribute."""
    if not isinstance(value, numbers.Real) or isinstance(value, Tensor):
        raise TypeError(f"{op}: {what} must be a number, got {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _axis_attr(axis: Any, op: str) -> int | tuple[int, ...]:
    """An int stays an int; a sequence becomes a tuple of ints."""
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    return _ints(axis, "axis", op)


# -- reshaping --------------------------------------------------------------------------------
@define_op("reshape")
def _reshape_rule(x, *, shape):
    return _reshaped(x.shape, shape), x.dtype


def _reshaped(old: Shape, new: tuple[int, ...]) -> Shape:
    what = f"cannot reshape a tensor of shape {fmt(old)} into shape {fmt(new)}"
    if any(d < -1 for d in new) or sum(d == -1 for d in new) > 1:
        raise ValueError(f"{what}: dimensions must be >= 0, with at most one -1")
    infer = -1 in new
    known = math.prod(d for d in new if d != -1)
    if old is None:
        return tuple(None if d == -1 else d for d in new)
    total = num_elements(old)
    if total is None:
        # Some input dims are unknown: its size is a multiple of the known ones.
        part = math.prod(d for d in old if d is not None)
        if not infer and (known % part if part else known):
            raise ValueError(f"{what}: {known} elements is not a multiple of {part}")
        return tuple(None if d == -1 else d for d in new)
    if infer and (known == 0 or total % known):
        raise ValueError(f"{what}: {total} elements cannot be split into parts of {known}")
    if not infer and known != total:
        raise ValueError(f"{what}: {total} elements vs {known}")
    return tuple(total // known if d == -1 else d for d in new)


def reshape(x, shape: Sequence[int], name: str | None = None) -> Tensor:
    """``x`` with its elements (in row-major order) arranged in ``shape``.

    One dimension of ``shape`` may be -1: it is whatever size makes the element count match
    (so ``reshape(x, (-1, 784))`` works with an unknown batch size).
    """
    x = convert_to_tensor(x)
    return apply1("reshape", [x], {"shape": _ints(shape, "shape", "reshape")}, name=name)


@define_op("unflatten_leading")
def _unflatten_leading_rule(x, like, *, count):
    if like.shape is not None and len(like.shape) < count:
        raise ValueError(f"unflatten_leading: 'like' {fmt(like.shape)} has fewer than {count} "
                         "axes")
    lead = (None,) * count if like.shape is None else tuple(like.shape[:count])
    if x.shape is not None and None not in lead and x.shape[0] is not None \
            and x.shape[0] != math.prod(lead):
        raise ValueError(f"unflatten_leading: the first axis of {fmt(x.shape)} has "
                         f"{x.shape[0]} entries, not the {math.prod(lead)} of {fmt(lead)}")
    rest = None if x.shape is None else tuple(x.shape[1:])
    return (None if rest is None else (*lead, *rest)), x.dtype


def unflatten_leading(x, like, count: int = 2, name: str | None = None) -> Tensor:
    """``x`` with its first axis split into the first ``count`` axes of ``like`` (as sized at
    run time): undoes ``reshape(y, (-1, *rest))`` on a ``y`` shaped like ``like``, when several
    of those axes are unknown when the graph is built (``TimeDistributed`` over a batch and a
    number of steps both unknown). Only ``like``'s shape is read."""
    x, like = convert_to_tensor(x), convert_to_tensor(like)
    return apply1("unflatten_leading", [x, like], {"count": int(count)}, name=name)


@define_op("transpose")
def _transpose_rule(x, *, perm):
    if x.shape is None:
        return (None if perm is None else (None,) * len(perm)), x.dtype
    if perm is None:
        return tuple(reversed(x.shape)), x.dtype
    rank = len(x.shape)
    axes = sorted(a % rank for a in perm if -rank <= a < rank)
    if len(perm) != rank or axes != list(range(rank)):
        raise ValueError(f"perm {perm} is not a permutation of the {rank} axes of "
                         f"{fmt(x.shape)}")
    return tuple(x.shape[a] for a in perm), x.dtype


def transpose(x, perm: Sequence[int] | None = None, name: str | None = None) -> Tensor:
    """``x`` with its axes permuted: output axis ``i`` is input axis ``perm[i]``.

    ``perm=None`` reverses the axes (a matrix transpose for 2-D ``x``).
    """
    x = convert_to_tensor(x)
    perm = None if perm is None else _ints(perm, "perm", "transpose")
    return apply1("transpose", [x], {"perm": perm}, name=name)


@define_op("expand_dims")
def _expand_dims_rule(x, *, axis):
    if x.shape is None:
        return None, x.dtype
    n = 1 if isinstance(axis, int) else len(axis)
    rank = len(x.shape) + n
    axes = _axes(axis, rank, x.shape, new=n)
    dims = iter(x.shape)
    return tuple(1 if i in axes else next(dims) for i in range(rank)), x.dtype


def expand_dims(x, axis: Axes, name: str | None = None) -> Tensor:
    """``x`` with a new axis of size 1 at position ``axis`` of the result (or several)."""
    x = convert_to_tensor(x)
    return apply1("expand_dims", [x], {"axis": _axis_attr(axis, "expand_dims")}, name=name)


@define_op("squeeze")
def _squeeze_rule(x, *, axis):
    if x.shape is None:
        return None, x.dtype
    if axis is None:
        if None in x.shape:
            return None, x.dtype  # which unknown dims are 1 is known only at run time
        return tuple(d for d in x.shape if d != 1), x.dtype
    axes = _axes(axis, len(x.shape), x.shape)
    for a in axes:
        if x.shape[a] not in (1, None):
            raise ValueError(f"cannot squeeze axis {a} of shape {fmt(x.shape)}: its size is "
                             f"{x.shape[a]}, not 1")
    return tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype


def squeeze(x, axis: Axes | None = None, name: str | None = None) -> Tensor:
    """``x`` without the size-1 axes ``axis`` (an int or a tuple); ``None``: all size-1 axes."""
    x = convert_to_tensor(x)
    axis = None if axis is None else _axis_attr(axis, "squeeze")
    return apply1("squeeze", [x], {"axis": axis}, name=name)


# -- joining ----------------------------------------------------------------------------------
def _common_shape(shapes: list[Shape], skip: int | None, what: str) -> list:
    """The dims all ``shapes`` (of one rank) share, except axis ``skip``; an error naming the
    shapes and the first dim that differs."""
    common = list(shapes[0])
    for s in shapes[1:]:
        for i, d in enumerate(s):
            if i == skip:
                continue
            if None not in (common[i], d) and common[i] != d:
                listed = ", ".join(fmt(t) for t in shapes)
                raise ValueError(f"{what} shapes {listed}: dimension {i} differs "
                                 f"({common[i]} vs {d})")
            if common[i] is None:
                common[i] = d  # keep the most precise dim any input knows
    return common


def _known_ranks(values, what: str) -> list[Shape]:
    """The shapes of ``values`` that have a known rank, checked to agree on it."""
    if not values:
        raise ValueError(f"cannot {what} an empty list of tensors")
    shapes = [v.shape for v in values if v.shape is not None]
    if len({len(s) for s in shapes}) > 1:
        listed = ", ".join(fmt(v.shape) for v in values)
        raise ValueError(f"cannot {what} tensors of different ranks: shapes {listed}")
    return shapes


@define_op("concat")
def _concat_rule(*values, axis):
    shapes = _known_ranks(values, "concatenate")
    dtype = same_dtype(*values)
    if not shapes:
        return None, dtype
    if not shapes[0]:
        raise ValueError("cannot concatenate scalars (use stack)")
    a = _axis(axis, len(shapes[0]), shapes[0])
    common = _common_shape(shapes, a, f"cannot concatenate along axis {axis}:")
    sizes = [v.shape[a] if v.shape is not None else None for v in values]
    common[a] = None if None in sizes else sum(sizes)
    return tuple(common), dtype


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> Tensor:
    """The tensors ``values`` joined along the existing axis ``axis``; all other dims must
    match, and all dtypes (Python values take the tensors' dtype)."""
    values = _value_list(values, "concat")
    return apply1("concat", values, {"axis": _axis_attr(axis, "concat")}, name=name)


@define_op("stack")
def _stack_rule(*values, axis):
    shapes = _known_ranks(values, "stack")
    dtype = same_dtype(*values)
    if not shapes:
        return None, dtype
    rank = len(shapes[0]) + 1
    a = _axis(axis, rank, shapes[0], new=1)
    common = _common_shape(shapes, None, "cannot stack")
    return (*common[:a], len(values), *common[a:]), dtype


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> Tensor:
    """The same-shaped tensors ``values`` joined along a new axis ``axis`` of the result."""
    values = _value_list(values, "stack")
    return apply1("stack", values, {"axis": _axis_attr(axis, "stack")}, name=name)


@define_op("split", multi_output=True)
def _split_rule(x, *, sizes, axis):
    dtype = x.dtype
    if x.shape is None:
        return [(None, dtype)] * len(sizes)
    a = _axis(axis, len(x.shape), x.shape)
    if x.shape[a] is not None and sum(sizes) != x.shape[a]:
        raise ValueError(f"sizes {list(sizes)} add up to {sum(sizes)}, but axis {axis} of "
                         f"shape {fmt(x.shape)} has {x.shape[a]} entries")
    return [((*x.shape[:a], size, *x.shape[a + 1:]), dtype) for size in sizes]


def split(x, num_or_size_splits: int | Sequence[int], axis: int = 0,
          name: str | None = None) -> list[Tensor]:
    """``x`` cut along ``axis`` into ``num_or_size_splits`` equal parts, or into parts of the
    given sizes (as TensorFlow's ``split``); one op with one output per part, so the gradient
    of all parts is one concatenation rather than a padded copy per part."""
    x = convert_to_tensor(x)
    axis = _axis_attr(axis, "split")
    if isinstance(num_or_size_splits, numbers.Integral):
        sizes = _equal_parts(x, int(num_or_size_splits), axis)
    else:
        sizes = _ints(num_or_size_splits, "num_or_size_splits", "split")
        if not sizes or min(sizes) < 0:
            raise ValueError(f"split: num_or_size_splits must be a positive count or a list "
                             f"of sizes >= 0, got {list(sizes)}")
    return list(apply("split", [x], {"sizes": sizes, "axis": axis}, name=name).outputs)


def _equal_parts(x: Tensor, count: int, axis: int) -> tuple[int, ...]:
    """The sizes of ``count`` equal parts of axis ``axis`` of ``x`` (which must be known)."""
    if count < 1:
        raise ValueError(f"split: num_or_size_splits must be at least 1, got {count}")
    if x.shape is None:
        raise ValueError(f"split: splitting '{x.name}' into {count} equal parts needs its "
                         "rank and the size of the axis; give the sizes instead")
    try:
        size = x.shape[_axis(axis, len(x.shape), x.shape)]
    except ValueError as error:
        raise ValueError(f"split: {error}") from None
    if size is None or size % count:
        raise ValueError(f"split: axis {axis} of '{x.name}' (shape {fmt(x.shape)}) does not "
                         f"split into {count} equal parts")
    return (size // count,) * count


def _value_list(values, op: str) -> list[Tensor]:
    if isinstance(values, Tensor) or not isinstance(values, Sequence):
        raise TypeError(f"{op}: values must be a list or tuple of tensors, got "
                        f"{type(values).__name__}")
    return convert_operands(*values, op_name=op) if values else []


# -- reordering and indexing ------------------------------------------------------------------
@define_op("flip")
def _flip_rule(x, *, axis):
    if x.shape is not None:
        _axes(axis, len(x.shape), x.shape)
    return x.shape, x.dtype


def flip(x, axis: Axes, name: str | None = None) -> Tensor:
    """``x`` with the order of elements reversed along ``axis`` (an int or a tuple)."""
    x = convert_to_tensor(x)
    return apply1("flip", [x], {"axis": _axis_attr(axis, "flip")}, name=name)


@define_op("getitem")
def _getitem_rule(x, *, index):
    return _indexed_shape(x.shape, index), x.dtype


_FULL = ("slice", None, None, None)


def _indexed_shape(shape: Shape, index: tuple) -> Shape:
    if shape is None:
        return None
    used = sum(item[0] in ("int", "slice") for item in index)
    if used > len(shape):
        raise IndexOutOfRangeError(f"too many indices for a tensor of shape {fmt(shape)}: "
                                   f"{used} given")
    items = list(index)
    at = items.index(("ellipsis",)) if ("ellipsis",) in items else len(items)
    items[at:at + 1] = [_FULL] * (len(shape) - used)
    out, axis = [], 0
    for kind, *args in items:
        if kind == "newaxis":
            out.append(1)
            continue
        d = shape[axis]
        if kind == "slice":
            out.append(None if d is None else len(range(*slice(*args).indices(d))))
        elif d is not None and not -d <= args[0] < d:
            raise IndexOutOfRangeError(f"index {args[0]} is out of range for axis {axis} of "
                                       f"size {d} (shape {fmt(shape)})")
        axis += 1
    return tuple(out)


def _index_attr(index: Any, label: str) -> tuple:
    """A Python basic index as a hashable tuple of ("int", i), ("slice", start, stop, step),
    ("newaxis",) and ("ellipsis",)."""
    items = index if isinstance(index, tuple) else (index,)
    result = []
    for item in items:
        if item is None:
            result.append(("newaxis",))
        elif item is Ellipsis:
            result.append(("ellipsis",))
        elif isinstance(item, slice):
            bounds = tuple(_index_int(b, label) for b in (item.start, item.stop, item.step))
            if bounds[2] == 0:
                raise ValueError(f"{label}: slice step cannot be zero")
            result.append(("slice", *bounds))
        else:
            result.append(("int", _index_int(item, label)))
    if result.count(("ellipsis",)) > 1:
        raise IndexError(f"{label}: an index can only have a single ellipsis ('...')")
    return tuple(result)


def _index_int(value: Any, label: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, Tensor):
        raise TypeError(f"{label}: cannot index with the tensor '{value.name}'; indexing takes "
                        "Python ints, slices, None and ...; use gather(x, indices, axis) to "
                        "select by a tensor of indices")
    try:
        if isinstance(value, bool):
            raise TypeError  # numpy would read it as a mask, not as 0 or 1
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{label}: unsupported index {value!r} ({type(value).__name__}); "
                        "indexing takes Python ints, slices, None and ...; use gather for "
                        "lists or arrays of indices") from None


def getitem(x, index: Any, name: str | None = None) -> Tensor:
    """``x[index]`` with Python basic indexing: ints (negative from the end), slices (any step,
    negative too), ``None`` (a new axis), ``...`` and tuples of those. ``tensor[...]`` calls
    this. Select by a tensor of indices with ``gather``."""
    x = convert_to_tensor(x)
    label = f"getitem '{name}'" if name else "getitem"
    return apply1("getitem", [x], {"index": _index_attr(index, label)}, name=name)


def _require_indices(indices: Tensor) -> None:
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"indices '{indices.name}' must be an integer tensor, got "
                        f"{indices.dtype.name}")


@define_op("gather")
def _gather_rule(x, indices, *, axis):
    _require_indices(indices)
    if x.shape is None:
        return None, x.dtype
    if not x.shape:
        raise ValueError(f"cannot gather from the scalar '{x.name}'")
    a = _axis(axis, len(x.shape), x.shape)
    _check_constant_indices(indices, x.shape[a], a)
    if indices.shape is None:
        return None, x.dtype
    return (*x.shape[:a], *indices.shape, *x.shape[a + 1:]), x.dtype


def _check_constant_indices(indices: Tensor, size: int | None, axis: int) -> None:
    """Out-of-range constant indices fail now rather than when the graph runs."""
    if size is None or indices.op.type != "constant":
        return
    value = indices.op.attrs["value"]
    bad = value[(value < -size) | (value >= size)]
    if bad.size:
        raise IndexOutOfRangeError(f"index {bad.flat[0]} is out of range for axis {axis} of "
                                   f"size {size}")


def gather(x, indices, axis: int = 0, name: str | None = None) -> Tensor:
    """Slices of ``x`` along ``axis`` picked by the integer tensor ``indices`` (numpy ``take``):
    the result's shape is ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``. Indices may
    repeat (their gradients add up) and be negative (counted from the end)."""
    x = convert_to_tensor(x)
    indices = convert_to_tensor(indices)
    return apply1("gather", [x, indices], {"axis": _axis_attr(axis, "gather")}, name=name)


@define_op("take_along_axis")
def _take_along_axis_rule(x, indices, *, axis):
    _require_indices(indices)
    if x.shape is None and indices.shape is None:
        return None, x.dtype
    # numpy's rule: equal ranks, so a known rank on either side is the result's.
    rank = len(x.shape if x.shape is not None else indices.shape)
    xs = x.shape if x.shape is not None else (None,) * rank
    ins = indices.shape if indices.shape is not None else (None,) * rank
    what = f"x of shape {fmt(x.shape)} and indices of shape {fmt(indices.shape)}"
    if len(xs) != len(ins):
        raise ValueError(f"{what} must have the same rank (as in numpy's take_along_axis)")
    if not rank:
        raise ValueError(f"cannot take along an axis of the scalar '{x.name}'")
    a = _axis(axis, rank, xs)
    _check_constant_indices(indices, xs[a], a)
    out = []
    for i, (d, n) in enumerate(zip(xs, ins)):
        if i == a:
            out.append(n)
            continue
        try:
            out.append(broadcast((d,), (n,))[0])  # the other axes broadcast, as in numpy
        except ValueError:
            raise ValueError(f"{what} do not broadcast: dimension {i} is {d} vs {n}") from None
    return tuple(out), x.dtype


def take_along_axis(x, indices, axis: int, name: str | None = None) -> Tensor:
    """Elements of ``x`` picked along ``axis`` by the integer tensor ``indices`` of the same
    rank (numpy ``take_along_axis``): ``out[..., j, ...] = x[..., indices[..., j, ...], ...]``.

    The other axes of ``x`` and ``indices`` broadcast against each other; the result has
    ``indices.shape[axis]`` entries along ``axis``. Indices may repeat (their gradients add
    up) and be negative (counted from the end). With ``argsort`` or ``top_k`` it reorders or
    selects per row.
    """
    x = convert_to_tensor(x)
    indices = convert_to_tensor(indices)
    return apply1("take_along_axis", [x, indices], {"axis": operator.index(axis)}, name=name)


@define_op("one_hot", differentiable=False)
def _one_hot_rule(indices, *, depth, on_value, off_value, axis, dtype):
    _require_indices(indices)
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    if indices.shape is None:
        return None, dtype
    a = _axis(axis, len(indices.shape) + 1, indices.shape, new=1)
    return (*indices.shape[:a], depth, *indices.shape[a:]), dtype


def one_hot(indices, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            axis: int = -1, dtype: Any = "float32", name: str | None = None) -> Tensor:
    """A one-hot encoding of the integer tensor ``indices``: a new axis ``axis`` of size
    ``depth`` holding ``on_value`` at each index and ``off_value`` elsewhere (an index outside
    ``[0, depth)`` gives all ``off_value``)."""
    indices = convert_to_tensor(indices)
    attrs = {"depth": operator.index(depth), "on_value": _number(on_value, "on_value", "one_hot"),
             "off_value": _number(off_value, "off_value", "one_hot"),
             "axis": operator.index(axis), "dtype": dtypes.as_dtype(dtype)}
    return apply1("one_hot", [indices], attrs, name=name)


# -- sorting ----------------------------------------------------------------------------------
def _sortable(x: Tensor, axis: int) -> None:
    """Checks shared by the sorting rules: a numeric tensor, with ``axis`` in range."""
    require_numeric(x)
    if x.shape is not None:
        _axis(axis, len(x.shape), x.shape)


@define_op("sort")
def _sort_rule(x, *, axis):
    _sortable(x, axis)
    return x.shape, x.dtype


def sort(x, axis: int = -1, name: str | None = None) -> Tensor:
    """``x`` sorted in ascending order along ``axis``. The gradient goes back to each element
    from the position it was sorted to (equal elements keep their order, as in ``argsort``)."""
    x = convert_to_tensor(x)
    return apply1("sort", [x], {"axis": operator.index(axis)}, name=name)


@define_op("argsort", differentiable=False)
def _argsort_rule(x, *, axis):
    _sortable(x, axis)
    return x.shape, dtypes.int32


def argsort(x, axis: int = -1, name: str | None = None) -> Tensor:
    """The indices (int32) that sort ``x`` in ascending order along ``axis``; the sort is
    stable, so equal elements keep their order. ``take_along_axis(x, argsort(x), axis)`` is
    ``sort(x, axis)``."""
    x = convert_to_tensor(x)
    return apply1("argsort", [x], {"axis": operator.index(axis)}, name=name)


@define_op("top_k", multi_output=True)
def _top_k_rule(x, *, k, sorted):
    require_numeric(x)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if x.shape is None:
        return [(None, x.dtype), (None, dtypes.int32)]
    if not x.shape:
        raise ValueError(f"cannot take the top k of the scalar '{x.name}'")
    if x.shape[-1] is not None and k > x.shape[-1]:
        raise ValueError(f"k={k} is larger than the last dimension of shape {fmt(x.shape)}")
    shape = (*x.shape[:-1], k)
    return [(shape, x.dtype), (shape, dtypes.int32)]


def top_k(x, k: int = 1, sorted: bool = True,
          name: str | None = None) -> tuple[Tensor, Tensor]:
    """The ``k`` largest entries of ``x`` along its last axis, and their indices (int32), as
    TensorFlow's ``top_k``: a tuple ``(values, indices)`` of shape ``x.shape[:-1] + (k,)``.

    ``sorted=True`` gives them largest first; ``sorted=False`` in the order they have in
    ``x``. Of equal entries the one with the lower index comes first. One op with two outputs:
    the gradient flows through ``values`` back to the entries picked.
    """
    x = convert_to_tensor(x)
    attrs = {"k": operator.index(k), "sorted": bool(sorted)}
    return tuple(apply("top_k", [x], attrs, name=name).outputs)


# -- padding, broadcasting, tiling ------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "symmetric")


@define_op("pad")
def _pad_rule(x, *, paddings, mode, constant_values):
    if mode not in _PAD_MODES:
        raise ValueError(f"mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    if any(p < 0 for pair in paddings for p in pair):
        raise ValueError(f"paddings {paddings} must be >= 0")
    if x.shape is None:
        return (None,) * len(paddings), x.dtype
    if len(paddings) != len(x.shape):
        raise ValueError(f"{len(paddings)} (before, after) pairs for a tensor of shape "
                         f"{fmt(x.shape)}; give one per axis")
    # Reflecting copies at most the dim's other elements; symmetric copies at most all of them.
    limit = {"constant": None, "reflect": 1, "symmetric": 0}[mode]
    for i, (d, pair) in enumerate(zip(x.shape, paddings)):
        if limit is not None and d is not None and max(pair) > d - limit:
            raise ValueError(f"{mode} padding {pair} of axis {i} is too large for its size {d} "
                             f"(shape {fmt(x.shape)}): at most {d - limit}")
    return tuple(None if d is None else d + b + a for d, (b, a) in zip(x.shape, paddings)), x.dtype


def pad(x, paddings: Sequence[Sequence[int]], mode: str = "constant",
        constant_values: float = 0, name: str | None = None) -> Tensor:
    """``x`` padded with ``paddings[i] = (before, after)`` elements on each side of axis ``i``.

    ``mode``: "constant" (``constant_values``), "reflect" (mirror without repeating the edge,
    so each pad must be smaller than its dim) or "symmetric" (mirror repeating the edge, pads
    at most the dim), as in ``numpy.pad``.
    """
    x = convert_to_tensor(x)
    if isinstance(paddings, Tensor) or not isinstance(paddings, Sequence):
        raise TypeError(f"pad: paddings must be a sequence of (before, after) pairs, got "
                        f"{paddings!r}")
    pairs = tuple(_ints(p, "paddings", "pad") for p in paddings)
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"pad: paddings must be (before, after) pairs, got {paddings!r}")
    attrs = {"paddings": pairs, "mode": mode,
             "constant_values": _number(constant_values, "constant_values", "pad")}
    return apply1("pad", [x], attrs, name=name)


@define_op("broadcast_to")
def _broadcast_to_rule(x, *, shape):
    if any(d < 0 for d in shape):
        raise ValueError(f"shape {fmt(shape)} has a negative dimension")
    if x.shape is None:
        return shape, x.dtype
    extra = len(shape) - len(x.shape)
    if extra < 0 or any(d not in (1, None, t) for d, t in zip(x.shape, shape[extra:])):
        raise ValueError(f"cannot broadcast a tensor of shape {fmt(x.shape)} to {fmt(shape)}")
    return shape, x.dtype


def broadcast_to(x, shape: Sequence[int], name: str | None = None) -> Tensor:
    """``x`` broadcast (numpy rules: size-1 axes repeat, new axes on the left) to ``shape``."""
    x = convert_to_tensor(x)
    return apply1("broadcast_to", [x], {"shape": _ints(shape, "shape", "broadcast_to")},
                  name=name)


@define_op("tile")
def _tile_rule(x, *, reps):
    if any(r < 0 for r in reps):
        raise ValueError(f"reps {reps} must be >= 0")
    if x.shape is None:
        return None, x.dtype
    rank = max(len(reps), len(x.shape))
    # As numpy: the shorter of shape and reps is padded with 1s on the left.
    dims = (1,) * (rank - len(x.shape)) + x.shape
    reps = (1,) * (rank - len(reps)) + reps
    return tuple(None if d is None and r else (d or 0) * r for d, r in zip(dims, reps)), x.dtype


def tile(x, reps: Sequence[int], name: str | None = None) -> Tensor:
    """``x`` repeated ``reps[i]`` times along axis ``i`` (numpy ``tile``)."""
    x = convert_to_tensor(x)
    return apply1("tile", [x], {"reps": _ints(reps, "reps", "tile")}, name=name)


@define_op("zeros_like", differentiable=False)
@define_op("ones_like", differentiable=False)
def _like_rule(x):
    return x.shape, x.dtype


def zeros_like(x, name: str | None = None) -> Tensor:
    """Zeros with the shape and dtype of ``x`` (no gradient flows to ``x``)."""
    return apply1("zeros_like", [convert_to_tensor(x)], name=name)


def ones_like(x, name: str | None = None) -> Tensor:
    """Ones with the shape and dtype of ``x`` (no gradient flows to ``x``)."""
    return apply1("ones_like", [convert_to_tensor(x)], name=name)


overload_operator("getitem", getitem)  # x[1:, 0]
