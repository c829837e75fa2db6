"""``==`` and ``!=`` on tensors: element-wise, as in Keras 3 and TensorFlow 2."""

from __future__ import annotations

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.ops.math import cast, equal, not_equal

__all__: list[str] = []


# ``==`` and ``!=`` are element-wise too (as in Keras 3 and TensorFlow 2), while hashing stays by
# identity: a tensor still keys a dict (a lookup checks identity before ``==``). Anything that is
# not a tensor or numbers (None, a string, a graph...) gets NotImplemented, so Python falls back to
# identity (``t == None`` is False) without adding ops. Compare identity with ``is``.
_NUMERIC_KINDS = "biuf"


def _equality_dtype(a, b):
    """The dtype two tensors of dtypes ``a`` and ``b`` compare in (ints and floats: the float)."""
    import numpy as np

    if a == b:
        return a
    if a == dtypes.bool_ or b == dtypes.bool_:
        return b if a == dtypes.bool_ else a
    if dtypes.is_floating(a) != dtypes.is_floating(b):
        floating, integer = (a, b) if dtypes.is_floating(a) else (b, a)
        wide = dtypes.float64 if integer == dtypes.int64 else dtypes.float32
        return np.promote_types(floating, wide)
    return np.promote_types(a, b)


def _value_dtype(x: Tensor, array):
    """The dtype tensor ``x`` compares with the numeric ``array`` in: the tensor's own when the
    value converts to it without change (``int_tensor == 2``; floats against a float tensor), else
    a common one (``int_tensor == 1.5`` compares as floats, so it is False, as in Keras)."""
    import numpy as np

    kind = array.dtype.kind
    if array.dtype == x.dtype or kind == "b" or (dtypes.is_floating(x.dtype) and kind != "b"):
        return x.dtype
    with np.errstate(all="ignore"):
        if np.all(array.astype(x.dtype) == array):
            return x.dtype
    if kind == "f":
        value = dtypes.float64 if array.dtype == np.float64 and x.dtype == dtypes.int64 \
            else dtypes.float32
    elif array.size == 0 or (array.min() >= np.iinfo(np.int32).min
                             and array.max() <= np.iinfo(np.int32).max):
        value = dtypes.int32
    elif array.min() >= np.iinfo(np.int64).min and array.max() <= np.iinfo(np.int64).max:
        value = dtypes.int64
    else:
        value = dtypes.float64
    return _equality_dtype(x.dtype, value)


def _equality_operands(x: Tensor, other):
    """``x`` and ``other`` as two tensors of one dtype to compare, or None when ``other`` is
    not something to compare element-wise (then ``==`` falls back to identity)."""
    import numpy as np

    if other is None:
        return None
    if isinstance(other, Tensor) or hasattr(other, "_as_graph_tensor"):
        y = convert_to_tensor(other)
        if not isinstance(y, Tensor):
            return None
        dtype = _equality_dtype(x.dtype, y.dtype)
        return cast(x, dtype), cast(y, dtype)
    if not isinstance(other, bool | int | float | np.ndarray | np.generic | list | tuple):
        return None
    try:
        array = np.asarray(other)
    except (TypeError, ValueError):  # e.g. a list holding tensors
        return None
    if array.dtype.kind not in _NUMERIC_KINDS:
        return None
    dtype = dtypes.as_dtype(_value_dtype(x, array))
    return cast(x, dtype), convert_to_tensor(array.astype(dtype), dtype=dtype)


def _tensor_eq(self, other):
    operands = _equality_operands(self, other)
    return NotImplemented if operands is None else equal(*operands)


def _tensor_ne(self, other):
    operands = _equality_operands(self, other)
    return NotImplemented if operands is None else not_equal(*operands)


_tensor_eq.__name__, _tensor_ne.__name__ = "__eq__", "__ne__"
_tensor_eq.__doc__ = "``self == other`` element-wise (``equal``), or NotImplemented."
_tensor_ne.__doc__ = "``self != other`` element-wise (``not_equal``), or NotImplemented."
# Setting ``__eq__`` after the class is made keeps its identity ``__hash__`` (graph.py).
Tensor.__eq__, Tensor.__ne__ = _tensor_eq, _tensor_ne
