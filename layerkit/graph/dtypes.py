"""Data types of tensors: numpy dtypes, with the conversions the graph allows."""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

SUPPORTED = (float16, float32, float64, int32, int64, uint8, bool_)
DEFAULT_FLOAT = float32
DEFAULT_INT = int32


# TensorFlow's (and Keras's) names where numpy means another type: numpy's "float" and
# "double" are float64, TensorFlow's "float" is float32 (``tf.placeholder("float")``).
_TF_NAMES = {"float": "float32", "double": "float64", "half": "float16"}


def as_dtype(dtype: Any) -> np.dtype:
    """Normalize ``dtype`` (a numpy dtype, a type, or a name like ``"float32"``; TensorFlow's
    ``"float"``, ``"double"`` and ``"half"`` mean float32, float64 and float16) or raise."""
    if dtype is None:
        raise TypeError("dtype must not be None")
    if isinstance(dtype, str) and dtype == "bool":
        return bool_
    if isinstance(dtype, str):
        dtype = _TF_NAMES.get(dtype, dtype)
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype") from None
    if result not in SUPPORTED:
        raise TypeError(
            f"dtype {result.name} is not supported; use one of "
            + ", ".join(d.name for d in SUPPORTED)
        )
    return result


def is_floating(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def is_integer(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.integer)


def infer_value_dtype(value: Any) -> np.dtype:
    """The dtype a Python or numpy value becomes as a constant.

    As in TensorFlow 1, Python floats become float32 and Python ints int32; numpy arrays keep
    their dtype (float64 stays float64).
    """
    if isinstance(value, np.ndarray | np.generic):
        if value.dtype == np.float64 or value.dtype == np.float32 or value.dtype == np.float16:
            return value.dtype
        if value.dtype == np.bool_:
            return bool_
        if np.issubdtype(value.dtype, np.integer):
            return int64 if value.dtype == np.int64 else int32
        return as_dtype(value.dtype)
    array = np.asarray(value)
    if array.dtype == np.bool_:
        return bool_
    if np.issubdtype(array.dtype, np.integer):
        return DEFAULT_INT
    if np.issubdtype(array.dtype, np.floating):
        return DEFAULT_FLOAT
    raise TypeError(f"cannot make a tensor of {type(value).__name__} value {value!r}")
