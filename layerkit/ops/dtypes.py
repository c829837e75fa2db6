"""Keras 3's dtype rules: which dtype a value becomes, and what two dtypes promote to.

Keras (like JAX) promotes along a lattice in which every integer type sits below every float
type, so ``int32 + float16`` is float16 and ``int64 + float32`` float32 (numpy would say
float64). Python numbers are *weak*: they take the other operand's type when they can, so
``float32_tensor + 2`` stays float32 and ``int32_tensor + 1.5`` becomes ``floatx()``.

Over the dtypes the core supports the lattice is a chain::

    bool < uint8 < int32 < int64 < float16 < float32 < float64

One difference from Keras is deliberate: Keras narrows every 64-bit result to 32 bits (JAX's
default without ``jax_enable_x64``); layerkit keeps float64 and int64, which its jax backend
enables, so a float64 model stays float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import Tensor, dtypes

_CHAIN = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")
_RANK = {name: i for i, name in enumerate(_CHAIN)}
# Keras accepts these names; the core has no such types.
_UNSUPPORTED = {"int8", "int16", "uint16", "uint32", "uint64", "bfloat16", "complex64",
                "complex128", "string"}


def standardize_dtype(dtype: Any) -> str:
    """``dtype`` (a name, a numpy dtype, ``float``/``int``/``bool``, or None for floatx) as
    the name of a dtype the core supports; a clear error otherwise."""
    if dtype is None:
        return K.floatx()
    if dtype is float:
        return K.floatx()
    if dtype is int:
        return "int32"
    if dtype is bool:
        return "bool"
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name in _UNSUPPORTED:
        raise TypeError(f"dtype {name!r} is not supported by layerkit; use one of "
                        + ", ".join(_CHAIN))
    return dtypes.as_dtype(dtype).name


def is_weak(value: Any) -> bool:
    """Whether ``value`` is a Python number (weakly typed), not an array or tensor."""
    return isinstance(value, bool | int | float) and not isinstance(value, np.generic)


def dtype_of(value: Any) -> str:
    """The dtype ``value`` has (a tensor, variable or array) or becomes as a tensor (a Python
    number or nested list: floats ``floatx()``, ints int32), as ``keras.ops.convert_to_tensor``
    gives it."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_tensor"):
        return value.dtype.name
    if isinstance(value, np.ndarray | np.generic):
        return _array_dtype(value.dtype)
    if hasattr(value, "__array__") and hasattr(value, "dtype"):  # a jax array
        return _array_dtype(np.dtype(value.dtype))
    array = np.asarray(value)
    if array.dtype == np.bool_:
        return "bool"
    if array.dtype.kind in "iu":
        return "int32"
    if array.dtype.kind == "f":
        return K.floatx()
    raise TypeError(f"cannot make a tensor of {type(value).__name__} value {value!r:.80}")


def _array_dtype(dtype: np.dtype) -> str:
    if dtype.kind == "i" and dtype.itemsize < 4:
        return "int32"
    if dtype.kind == "u" and dtype.itemsize > 1:
        return "int64" if dtype.itemsize >= 4 else "int32"
    return standardize_dtype(dtype)


def result_type(*values_or_dtypes: Any) -> str:
    """The dtype Keras promotes ``values_or_dtypes`` to. Each is a value (tensor, array, or a
    weak Python number) or a dtype; ``float``/``int`` stand for weak Python numbers."""
    strong, weak = [], []
    for v in values_or_dtypes:
        if v is float or v is int or v is bool:
            weak.append(v)
        elif is_weak(v):
            weak.append(type(v))
        elif isinstance(v, str | np.dtype) or isinstance(v, type):
            strong.append(standardize_dtype(v))
        else:
            strong.append(dtype_of(v))
    if not strong:
        if float in weak:
            return K.floatx()
        return "int32" if int in weak else "bool"
    best = max(strong, key=_RANK.__getitem__)
    if float in weak and not best.startswith("float"):
        return K.floatx()
    if int in weak and best == "bool":
        return "int32"
    return best


def is_float(dtype: str) -> bool:
    return dtype.startswith("float")


def is_int(dtype: str) -> bool:
    return dtype.startswith(("int", "uint"))
