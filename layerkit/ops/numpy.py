"""Keras 3's numpy-like ops (``keras.ops`` top level, ``keras.ops.numpy``).

Each op is graph code written once (``keras_op``): on symbolic tensors it builds ops, on values it
runs now on the active backend. Arguments follow Keras's dtype rules (``layerkit.ops.dtypes``):
operands are promoted together, Python numbers are weak, and ops that only make sense on floats
(``sqrt``, ``mean``, ``divide``...) compute ints in ``floatx()``.
"""

from __future__ import annotations

import builtins
import math
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import Tensor, constant
from layerkit.graph import ops as graph_ops
from layerkit.ops.core import shape_tensor, static_shape
from layerkit.ops.dtypes import dtype_of, is_float, is_weak, result_type, standardize_dtype
from layerkit.ops.eager import as_eager_result, float_tensor, keras_op, promote, tensor

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "append",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argsort",
    "array",
    "average",
    "broadcast_to",
    "ceil",
    "clip",
    "concatenate",
    "copy",
    "cos",
    "cosh",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "diagonal",
    "diff",
    "divide",
    "divide_no_nan",
    "dot",
    "einsum",
    "empty",
    "empty_like",
    "equal",
    "erf",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "flip",
    "floor",
    "floor_divide",
    "full",
    "full_like",
    "greater",
    "greater_equal",
    "hstack",
    "hypot",
    "identity",
    "inner",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "ndim",
    "negative",
    "norm",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "power",
    "prod",
    "ravel",
    "reciprocal",
    "repeat",
    "reshape",
    "roll",
    "round",
    "rsqrt",
    "select",
    "sign",
    "sin",
    "sinh",
    "size",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "top_k",
    "trace",
    "transpose",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "var",
    "vdot",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]


# Names that shadow builtins here (``sum``, ``max``, ``abs``, ``round``, ``all``, ``any``,
# ``slice``...) are Keras's; code in this module reaches the builtins through ``builtins``.


def _named(fn, name: str, doc: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# -- element-wise, one operand ----------------------------------------------------------------
def _unary(name: str, doc: str, graph_fn=None, *, to_float: bool = True):
    """An op applying ``graph_fn`` (the graph op ``name`` by default) to ``x``; ``to_float``
    computes ints and bools in ``floatx()``, as Keras does for transcendental functions."""
    graph_fn = graph_fn or getattr(graph_ops, name)

    def op(x: Any) -> Any:
        if to_float:
            return graph_fn(float_tensor(x))
        t = tensor(x)
        if t.dtype.name == "bool" and name in ("abs", "absolute", "square", "negative", "sign"):
            if name in ("abs", "absolute"):
                return graph_ops.cast(graph_ops.cast(t, "int32"), "bool")  # |True| is True
            t = graph_ops.cast(t, "int32")  # Keras squares bools as int32
        return graph_fn(t)

    return keras_op("x", name=name)(_named(op, name, doc))


sqrt = _unary("sqrt", "Square root, element-wise.")
exp = _unary("exp", "``e ** x``, element-wise.")
log = _unary("log", "Natural logarithm, element-wise.")
log1p = _unary("log1p", "``log(1 + x)``, accurate for small ``x``.")
expm1 = _unary("expm1", "``exp(x) - 1``, accurate for small ``x``.")
sin = _unary("sin", "Sine, element-wise.")
cos = _unary("cos", "Cosine, element-wise.")
tan = _unary("tan", "Tangent, element-wise.")
arcsin = _unary("arcsin", "Inverse sine, element-wise.")
arccos = _unary("arccos", "Inverse cosine, element-wise.")
arctan = _unary("arctan", "Inverse tangent, element-wise.")
sinh = _unary("sinh", "Hyperbolic sine, element-wise.")
cosh = _unary("cosh", "Hyperbolic cosine, element-wise.")
tanh = _unary("tanh", "Hyperbolic tangent, element-wise.")
arcsinh = _unary("arcsinh", "Inverse hyperbolic sine, element-wise.")
arccosh = _unary("arccosh", "Inverse hyperbolic cosine, element-wise.")
arctanh = _unary("arctanh", "Inverse hyperbolic tangent, element-wise.")
floor = _unary("floor", "The largest integer not above ``x``, element-wise (as floats).")
ceil = _unary("ceil", "The smallest integer not below ``x``, element-wise (as floats).")
erf = _unary("erf", "The Gauss error function, element-wise.")
negative = _unary("negative", "``-x``, element-wise.", to_float=False)
square = _unary("square", "``x * x``, element-wise.", to_float=False)
sign = _unary("sign", "-1, 0 or 1 by the sign of ``x``.", to_float=False)
abs = _unary("abs", "``|x|``, element-wise.", to_float=False)  # noqa: A001
absolute = _unary("absolute", "``|x|``, element-wise.", graph_ops.abs, to_float=False)
isnan = _unary("isnan", "Whether each element is NaN.", to_float=False)
isinf = _unary("isinf", "Whether each element is infinite.", to_float=False)
isfinite = _unary("isfinite", "Whether each element is finite.", to_float=False)
log2 = _unary("log2", "Base-2 logarithm.", lambda t: graph_ops.log(t) * (1 / math.log(2)))
log10 = _unary("log10", "Base-10 logarithm.", lambda t: graph_ops.log(t) * (1 / math.log(10)))
exp2 = _unary("exp2", "``2 ** x``.", lambda t: graph_ops.exp(t * math.log(2)))
reciprocal = _unary("reciprocal", "``1 / x``.", lambda t: 1.0 / t)
rsqrt = _unary("rsqrt", "``1 / sqrt(x)``.", lambda t: 1.0 / graph_ops.sqrt(t))
@keras_op("x")
def trunc(x: Any) -> Any:
    """``x`` rounded towards zero (ints stay as they are, as in Keras)."""
    t = tensor(x)
    if not is_float(t.dtype.name):
        return graph_ops.identity(t)
    return graph_ops.sign(t) * graph_ops.floor(graph_ops.abs(t))
copy = _unary("copy", "A copy of ``x``.", graph_ops.identity, to_float=False)


@keras_op("x")
def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """``x`` rounded to ``decimals`` decimals, halves to even (as numpy); ints keep their
    dtype, as in Keras."""
    t = tensor(x)
    if is_float(t.dtype.name):
        return graph_ops.round(t, decimals=decimals)
    if decimals >= 0:
        return graph_ops.identity(t)
    wide = graph_ops.round(graph_ops.cast(t, "float64"), decimals=decimals)
    return graph_ops.cast(wide, t.dtype)


@keras_op("x")
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (the dtype's
    largest/smallest finite value by default)."""
    t = tensor(x)
    if not is_float(t.dtype.name):
        return t
    info = np.finfo(t.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    t = graph_ops.where(graph_ops.isnan(t), np.asarray(nan, t.dtype), t)
    t = graph_ops.where(graph_ops.logical_and(graph_ops.greater(t, 0.0), graph_ops.isinf(t)),
                        np.asarray(high, t.dtype), t)
    return graph_ops.where(graph_ops.isinf(t), np.asarray(low, t.dtype), t)


# -- element-wise, two operands ---------------------------------------------------------------
_BOOL_AS_INT = {"add", "multiply", "maximum", "minimum"}


def _binary(name: str, doc: str, graph_fn=None, *, kind: str = "promote"):
    """An op on ``x1`` and ``x2`` promoted together. ``kind``: "promote" (the common dtype),
    "float" (computed in a float dtype: ``divide``), "compare" (a bool result), "logical"
    (both taken as bools)."""
    graph_fn = graph_fn or getattr(graph_ops, name)

    def op(x1: Any, x2: Any) -> Any:
        if kind == "logical":
            return graph_fn(tensor(x1, "bool"), tensor(x2, "bool"))
        dtype = result_type(x1, x2, float) if kind == "float" else None
        a, b = promote(x1, x2, dtype=dtype)
        if a.dtype.name == "bool" and kind == "promote" and name in _BOOL_AS_INT:
            # Keras's bool arithmetic: + and maximum are "or", * and minimum "and".
            wide = graph_fn(graph_ops.cast(a, "int32"), graph_ops.cast(b, "int32"))
            return graph_ops.cast(wide, "bool")
        return graph_fn(a, b)

    return keras_op("x1", "x2", name=name)(_named(op, name, doc))


add = _binary("add", "``x1 + x2`` element-wise, with broadcasting.")
subtract = _binary("subtract", "``x1 - x2`` element-wise, with broadcasting.")
multiply = _binary("multiply", "``x1 * x2`` element-wise, with broadcasting.")
divide = _binary("divide", "``x1 / x2`` (true division: ints give floats).", kind="float")
true_divide = _binary("true_divide", "``x1 / x2`` (as ``divide``).", graph_ops.divide,
                      kind="float")
maximum = _binary("maximum", "The larger of ``x1`` and ``x2``, element-wise.")
minimum = _binary("minimum", "The smaller of ``x1`` and ``x2``, element-wise.")
mod = _binary("mod", "``x1 % x2`` with the sign of ``x2`` (as numpy).")
floor_divide = _binary("floor_divide", "``x1 // x2``, element-wise.")
arctan2 = _binary("arctan2", "The angle of the point ``(x2, x1)``, element-wise.",
                  kind="float")
logaddexp = _binary("logaddexp", "``log(exp(x1) + exp(x2))``, without overflow.",
                    lambda a, b: graph_ops.maximum(a, b) + graph_ops.softplus(
                        -graph_ops.abs(a - b)), kind="float")
hypot = _binary("hypot", "``sqrt(x1**2 + x2**2)``, element-wise.",
                lambda a, b: graph_ops.sqrt(a * a + b * b), kind="float")
equal = _binary("equal", "``x1 == x2`` element-wise (bool).", kind="compare")
not_equal = _binary("not_equal", "``x1 != x2`` element-wise (bool).", kind="compare")
less = _binary("less", "``x1 < x2`` element-wise (bool).", kind="compare")
less_equal = _binary("less_equal", "``x1 <= x2`` element-wise (bool).", kind="compare")
greater = _binary("greater", "``x1 > x2`` element-wise (bool).", kind="compare")
greater_equal = _binary("greater_equal", "``x1 >= x2`` element-wise (bool).", kind="compare")
logical_and = _binary("logical_and", "``x1 and x2`` element-wise (bool).", kind="logical")
logical_or = _binary("logical_or", "``x1 or x2`` element-wise (bool).", kind="logical")
logical_xor = _binary("logical_xor", "``x1 xor x2`` element-wise (bool).", graph_ops.not_equal,
                      kind="logical")


@keras_op("x1", "x2")
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """``x1 / x2``, or 0 where ``x2`` is 0."""
    a, b = promote(x1, x2, dtype=result_type(x1, x2, float))
    zero = graph_ops.equal(b, 0.0)
    return graph_ops.where(zero, 0.0, a / graph_ops.where(zero, 1.0, b))


@keras_op("x1", "x2")
def power(x1: Any, x2: Any) -> Any:
    """``x1 ** x2`` element-wise (ints stay ints, computed exactly for small results)."""
    a, b = promote(x1, x2)
    if is_float(a.dtype.name):
        return graph_ops.power(a, b)
    wide = graph_ops.power(graph_ops.cast(a, "float64"), graph_ops.cast(b, "float64"))
    return graph_ops.cast(graph_ops.round(wide), a.dtype)


@keras_op("x")
def logical_not(x: Any) -> Any:
    """``not x`` element-wise (bool)."""
    return graph_ops.logical_not(tensor(x, "bool"))


@keras_op("x1", "x2")
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Any:
    """``|x1 - x2| <= atol + rtol * |x2|`` element-wise (bool)."""
    a, b = promote(x1, x2, dtype=result_type(x1, x2, float))
    close = graph_ops.less_equal(graph_ops.abs(a - b), atol + rtol * graph_ops.abs(b))
    if equal_nan:
        both_nan = graph_ops.logical_and(graph_ops.isnan(a), graph_ops.isnan(b))
        close = graph_ops.logical_or(close, both_nan)
    return close


@keras_op("condition", "x1", "x2")
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together)."""
    if x1 is None or x2 is None:
        raise ValueError("ops.where: the one-argument form (indices of true elements) has a "
                         "data-dependent shape, which layerkit's graphs do not support")
    return graph_ops.where(tensor(condition, "bool"), *promote(x1, x2))


@keras_op("x", "x_min", "x_max")
def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """``x`` limited to ``[x_min, x_max]``, element-wise."""
    dtype = result_type(x, x_min, x_max)
    t = tensor(x, "int32" if dtype == "bool" else dtype)
    if is_weak(x_min) and is_weak(x_max) and is_float(t.dtype.name):
        return graph_ops.clip(t, float(x_min), float(x_max))
    low, high = tensor(x_min, t.dtype), tensor(x_max, t.dtype)
    return graph_ops.minimum(graph_ops.maximum(t, low), high)


# -- reductions -------------------------------------------------------------------------------
def _flat_axis(t: Tensor, axis: Any) -> tuple[Tensor, Any]:
    """``t`` flattened when ``axis`` is None (for ops whose core takes one int axis)."""
    return (graph_ops.reshape(t, [-1]), 0) if axis is None else (t, axis)


def _bool_as_int(t: Tensor) -> Tensor:
    """Bools as int32, for core ops that order or count numbers (``argmax``, ``sort``)."""
    return graph_ops.cast(t, "int32") if t.dtype.name == "bool" else t


def _sum_dtype(t: Tensor) -> Tensor:
    """Keras sums bools and small ints as int32."""
    return graph_ops.cast(t, "int32") if t.dtype.name in ("bool", "uint8") else t


@keras_op("x")
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum of elements over ``axis`` (all of them by default)."""
    return graph_ops.sum(_sum_dtype(tensor(x)), axis=axis, keepdims=keepdims)


@keras_op("x")
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Product of elements over ``axis``."""
    t = _sum_dtype(tensor(x)) if dtype is None else tensor(x, dtype)
    return graph_ops.prod(t, axis=axis, keepdims=keepdims)


@keras_op("x")
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis`` (ints give ``floatx()``)."""
    return graph_ops.mean(float_tensor(x), axis=axis, keepdims=keepdims)


def _extreme(name: str, graph_fn, combine):
    def op(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
        t = tensor(x)
        as_int = t.dtype.name == "bool"
        out = graph_fn(graph_ops.cast(t, "int32") if as_int else t, axis=axis,
                       keepdims=keepdims)
        if initial is not None:
            out = combine(out, tensor(initial, out.dtype))
        return graph_ops.cast(out, "bool") if as_int else out

    doc = f"The {'largest' if name == 'max' else 'smallest'} element over ``axis`` (and " \
          "``initial``, if given)."
    return keras_op("x", name=name)(_named(op, name, doc))


max = _extreme("max", graph_ops.max, graph_ops.maximum)  # noqa: A001
min = _extreme("min", graph_ops.min, graph_ops.minimum)  # noqa: A001
amax = _extreme("amax", graph_ops.max, graph_ops.maximum)
amin = _extreme("amin", graph_ops.min, graph_ops.minimum)


@keras_op("x")
def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Variance over ``axis`` (population variance, ``ddof=0``)."""
    t = float_tensor(x)
    centred = t - graph_ops.mean(t, axis=axis, keepdims=True)
    return graph_ops.mean(graph_ops.square(centred), axis=axis, keepdims=keepdims)


@keras_op("x")
def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis`` (``ddof=0``)."""
    return graph_ops.sqrt(var(x, axis=axis, keepdims=keepdims))


@keras_op("x")
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, without overflow."""
    return graph_ops.logsumexp(float_tensor(x), axis=axis, keepdims=keepdims)


def _truth(name: str, graph_fn):
    def op(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        as_int = graph_ops.cast(tensor(x, "bool"), "int32")
        return graph_ops.cast(graph_fn(as_int, axis=axis, keepdims=keepdims), "bool")

    doc = f"Whether {'any' if name == 'any' else 'every'} element over ``axis`` is true."
    return keras_op("x", name=name)(_named(op, name, doc))


any = _truth("any", graph_ops.max)  # noqa: A001
all = _truth("all", graph_ops.min)  # noqa: A001


@keras_op("x")
def count_nonzero(x: Any, axis: Any = None) -> Any:
    """How many elements over ``axis`` are not zero (int32)."""
    nonzero = graph_ops.cast(graph_ops.not_equal(tensor(x), 0), "int32")
    return graph_ops.sum(nonzero, axis=axis)


def _arg(name: str, graph_fn):
    def op(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        t = _bool_as_int(tensor(x))
        flat, a = _flat_axis(t, axis)
        out = graph_ops.cast(graph_fn(flat, axis=a), "int32")
        if keepdims:
            out = graph_ops.reshape(out, [1] * len(t.shape)) if axis is None \
                else graph_ops.expand_dims(out, axis)
        return out

    doc = f"Index (int32) of the {'largest' if name == 'argmax' else 'smallest'} element " \
          "along ``axis`` (of the flattened ``x`` by default)."
    return keras_op("x", name=name)(_named(op, name, doc))


argmax = _arg("argmax", graph_ops.argmax)
argmin = _arg("argmin", graph_ops.argmin)


def _cumulative(name: str, graph_fn):
    def op(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
        t = _sum_dtype(tensor(x)) if dtype is None else tensor(x, dtype)
        flat, a = _flat_axis(t, axis)
        return graph_fn(flat, axis=a)

    doc = f"Cumulative {'sum' if name == 'cumsum' else 'product'} along ``axis`` (of the " \
          "flattened ``x`` by default)."
    return keras_op("x", name=name)(_named(op, name, doc))


cumsum = _cumulative("cumsum", graph_ops.cumsum)
cumprod = _cumulative("cumprod", graph_ops.cumprod)


@keras_op("x", "weights")
def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """Mean over ``axis``, weighted by ``weights`` (of ``x``'s shape, or 1-D along ``axis``)."""
    t = float_tensor(x)
    if weights is None:
        return graph_ops.mean(t, axis=axis)
    w = tensor(weights, t.dtype)
    if len(w.shape) == 1 and len(t.shape) > 1 and isinstance(axis, int):
        w = graph_ops.reshape(w, [-1 if i == axis % len(t.shape) else 1
                                  for i in range(len(t.shape))])
    w = w + graph_ops.zeros_like(t)
    return graph_ops.sum(t * w, axis=axis) / graph_ops.sum(w, axis=axis)


@keras_op("x")
def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The median over ``axis`` (the mean of the middle two for an even count)."""
    t = float_tensor(x)
    flat, a = _flat_axis(t, axis)
    if not isinstance(a, int):
        raise ValueError("ops.median: axis must be None or an int in layerkit")
    ordered = graph_ops.sort(flat, axis=a)
    n = flat.shape[a]
    if n is None:
        raise ValueError("ops.median: the size of the reduced axis must be known")
    lo, hi = (n - 1) // 2, n // 2
    pick = graph_ops.gather(ordered, np.array([lo, hi], "int32"), axis=a)
    out = graph_ops.mean(pick, axis=a, keepdims=keepdims and axis is not None)
    return graph_ops.reshape(out, [1] * len(t.shape)) if keepdims and axis is None else out


# -- creation ---------------------------------------------------------------------------------
def _filled(shape: Any, fill_value: Any, dtype: Any, what: str) -> Any:
    """An array of ``shape`` filled with ``fill_value``: a value, or a graph tensor while
    tracing or when ``shape`` has run-time dimensions."""
    if isinstance(fill_value, Tensor):
        target = standardize_dtype(dtype) if dtype is not None else dtype_of(fill_value)
    else:
        target = standardize_dtype(dtype) if dtype is not None else (
            K.floatx() if is_weak(fill_value) and isinstance(fill_value, float)
            else result_type(fill_value))
    dims = static_shape(shape, what)
    if dims is not None and not isinstance(fill_value, Tensor):
        value = np.full(dims, fill_value, dtype=target)
        return constant(value) if K.in_symbolic_scope() else as_eager_result(value)
    base = shape_tensor(shape, target, what) if dims is None else constant(np.zeros(dims, target))
    return base + tensor(fill_value, target)


def zeros(shape: Any, dtype: Any = None) -> Any:
    """Zeros of ``shape`` (``floatx()`` by default)."""
    return _filled(shape, 0, dtype or K.floatx(), "ops.zeros")


def ones(shape: Any, dtype: Any = None) -> Any:
    """Ones of ``shape`` (``floatx()`` by default)."""
    return _filled(shape, 1, dtype or K.floatx(), "ops.ones")


def empty(shape: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` (zeros here: layerkit never hands out uninitialized memory)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` repeated to ``shape``."""
    return _filled(shape, fill_value, dtype or K.floatx(), "ops.full")  # as Keras: floatx


def _like(name: str, fill: Any):
    graph_fn = graph_ops.ones_like if fill == 1 else graph_ops.zeros_like

    def op(x: Any, dtype: Any = None) -> Any:
        t = tensor(x)
        target = standardize_dtype(dtype) if dtype is not None else t.dtype.name
        return graph_fn(graph_ops.cast(t, target) if target != t.dtype.name else t)

    return keras_op("x", name=name)(_named(op, name, f"An array like ``x`` filled with {fill}."))


zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)
empty_like = _like("empty_like", 0)


@keras_op("x", "fill_value")
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """An array like ``x`` filled with ``fill_value``."""
    t = tensor(x)
    target = standardize_dtype(dtype) if dtype is not None else t.dtype.name
    return graph_ops.cast(graph_ops.zeros_like(t), target) + tensor(fill_value, target)


def _made(value: np.ndarray) -> Any:
    return constant(value) if K.in_symbolic_scope() else as_eager_result(value)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Evenly spaced values in ``[start, stop)`` (ints give int32, floats ``floatx()``)."""
    step = 1 if step is None else step
    target = standardize_dtype(dtype) if dtype is not None else result_type(
        *(v for v in (start, stop, step) if v is not None))
    values = np.arange(start, stop, step) if stop is not None else np.arange(0, start, step)
    return _made(values.astype(target))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (static arguments)."""
    values, step = np.linspace(np.asarray(start), np.asarray(stop), num, endpoint=endpoint,
                               retstep=True, axis=axis)
    out = _made(values.astype(standardize_dtype(dtype)))
    return (out, step) if retstep else out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """An ``N x M`` matrix with ones on diagonal ``k``."""
    return _made(np.eye(N, M, k, dtype=standardize_dtype(dtype)))


def identity(n: int, dtype: Any = None) -> Any:
    """The ``n x n`` identity matrix."""
    return _made(np.identity(n, dtype=standardize_dtype(dtype)))


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """Ones at and below diagonal ``k`` of an ``N x M`` matrix."""
    return _made(np.tri(N, M, k, dtype=standardize_dtype(dtype)))


def array(x: Any, dtype: Any = None) -> Any:
    """``x`` as a tensor (``convert_to_tensor``)."""
    from layerkit.ops.core import convert_to_tensor

    return convert_to_tensor(x, dtype)


def _triangle(name: str, keep):
    def op(x: Any, k: int = 0) -> Any:
        t = tensor(x)
        rows, cols = t.shape[-2], t.shape[-1]
        if rows is None or cols is None:
            raise ValueError(f"ops.{name}: the last two dimensions must be known, got {t.shape}")
        mask = keep(np.ones((rows, cols), bool), k)
        return graph_ops.where(mask, t, graph_ops.zeros_like(t))

    doc = f"``x`` with the elements {'above' if name == 'tril' else 'below'} diagonal ``k`` zeroed."
    return keras_op("x", name=name)(_named(op, name, doc))


tril = _triangle("tril", np.tril)
triu = _triangle("triu", np.triu)


# -- shapes -----------------------------------------------------------------------------------
@keras_op("x")
def reshape(x: Any, newshape: Any) -> Any:
    """``x`` with the same elements in ``newshape`` (one dimension may be -1, or one run-time
    dimension from ``ops.shape``)."""
    dims = static_shape(newshape, "ops.reshape")
    if dims is None:
        dims = [n if not isinstance(n, Tensor) else -1 for n in newshape]
        if dims.count(-1) > 1:
            raise ValueError(f"ops.reshape: newshape {tuple(newshape)!r:.120} has more than one "
                             "unknown dimension")
    return graph_ops.reshape(tensor(x), list(dims))


@keras_op("x")
def transpose(x: Any, axes: Sequence[int] | None = None) -> Any:
    """``x`` with its axes permuted (reversed by default)."""
    return graph_ops.transpose(tensor(x), None if axes is None else list(axes))


@keras_op("x")
def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """``x`` with axes ``source`` moved to positions ``destination``."""
    t = tensor(x)
    shaped = np.broadcast_to(0, tuple(range(1, len(t.shape) + 1)))  # axis i has size i + 1
    perm = [n - 1 for n in np.moveaxis(shaped, source, destination).shape]
    return graph_ops.transpose(t, [int(i) for i in perm])


@keras_op("x")
def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """``x`` with ``axis1`` and ``axis2`` exchanged."""
    t = tensor(x)
    perm = list(range(len(t.shape)))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return graph_ops.transpose(t, perm)


@keras_op("x")
def expand_dims(x: Any, axis: Any) -> Any:
    """``x`` with new axes of size 1 at ``axis``."""
    return graph_ops.expand_dims(tensor(x), axis)


@keras_op("x")
def squeeze(x: Any, axis: Any = None) -> Any:
    """``x`` without its axes of size 1 (those in ``axis``, or all)."""
    return graph_ops.squeeze(tensor(x), axis)


@keras_op("x")
def ravel(x: Any) -> Any:
    """``x`` flattened to 1-D."""
    return graph_ops.reshape(tensor(x), [-1])


def ndim(x: Any) -> int:
    """The rank of ``x``."""
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def size(x: Any) -> Any:
    """The number of elements of ``x``."""
    from layerkit.ops.core import shape

    total = 1
    for n in shape(x):
        total = total * n
    return total


@keras_op("x")
def broadcast_to(x: Any, shape: Any) -> Any:
    """``x`` broadcast to ``shape`` (which may hold run-time dimensions from ``ops.shape``)."""
    t = tensor(x)
    dims = static_shape(shape, "ops.broadcast_to")
    if dims is not None:
        return graph_ops.broadcast_to(t, list(dims))
    return t + shape_tensor(shape, t.dtype.name, "ops.broadcast_to")


@keras_op("xs*")
def concatenate(xs: Sequence[Any], axis: int | None = 0) -> Any:
    """``xs`` joined along ``axis`` (each flattened first when ``axis`` is None)."""
    parts = promote(*xs)
    if axis is None:
        parts, axis = [graph_ops.reshape(p, [-1]) for p in parts], 0
    return graph_ops.concat(parts, axis=axis)


@keras_op("x1", "x2")
def append(x1: Any, x2: Any, axis: int | None = None) -> Any:
    """``x2`` joined to the end of ``x1`` along ``axis`` (flattened when None)."""
    return concatenate([x1, x2], axis=axis)


@keras_op("x*")
def stack(x: Sequence[Any], axis: int = 0) -> Any:
    """``x`` stacked along a new ``axis``."""
    return graph_ops.stack(promote(*x), axis=axis)


@keras_op("xs*")
def hstack(xs: Sequence[Any]) -> Any:
    """``xs`` joined along axis 1 (axis 0 for 1-D arrays)."""
    parts = promote(*xs)
    return graph_ops.concat(parts, axis=0 if len(parts[0].shape) == 1 else 1)


@keras_op("xs*")
def vstack(xs: Sequence[Any]) -> Any:
    """``xs`` joined along axis 0 (1-D arrays become rows)."""
    parts = [graph_ops.reshape(p, [1, -1]) if len(p.shape) == 1 else p for p in promote(*xs)]
    return graph_ops.concat(parts, axis=0)


@keras_op("x")
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """``x`` cut along ``axis``: into that many equal parts (an int) or at those indices."""
    t = tensor(x)
    if isinstance(indices_or_sections, int | np.integer):
        return list(graph_ops.split(t, int(indices_or_sections), axis=axis))
    n = t.shape[axis]
    if n is None:
        raise ValueError(f"ops.split: splitting at indices needs the size of axis {axis}")
    bounds = [0, *(int(i) for i in indices_or_sections), n]
    sizes = [builtins.max(0, b - a) for a, b in zip(bounds, bounds[1:])]
    return list(graph_ops.split(t, sizes, axis=axis))


def _reps(repeats: Any) -> list[int]:
    return [int(repeats)] if isinstance(repeats, int | np.integer) else [int(r) for r in repeats]


@keras_op("x")
def tile(x: Any, repeats: Any) -> Any:
    """``x`` repeated ``repeats`` times along each axis."""
    t = tensor(x)
    reps = _reps(repeats)
    if len(reps) > len(t.shape):
        t = graph_ops.reshape(t, [1] * (len(reps) - len(t.shape)) + list(_dims(t, "ops.tile")))
    reps = [1] * (len(t.shape) - len(reps)) + reps
    return graph_ops.tile(t, reps)


def _dims(t: Tensor, what: str, *axes: int) -> tuple[int, ...]:
    """``t``'s shape, which must be known (on ``axes`` only, if given)."""
    needed = [t.shape[a] for a in axes] if axes and t.shape is not None else t.shape
    if t.shape is None or needed is None or None in needed:
        raise ValueError(f"{what}: needs a static shape, got {t.shape}")
    return t.shape


@keras_op("x")
def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (flattened first when
    None); ``repeats`` is an int or one count per element."""
    t, a = _flat_axis(tensor(x), axis)
    n = _dims(t, "ops.repeat", a)[a]
    index = np.repeat(np.arange(n, dtype="int32"), _reps(repeats))
    return graph_ops.gather(t, index, axis=a)


@keras_op("x")
def flip(x: Any, axis: Any = None) -> Any:
    """``x`` with the order of elements along ``axis`` (every axis by default) reversed."""
    t = tensor(x)
    return graph_ops.flip(t, tuple(range(len(t.shape))) if axis is None else axis)


@keras_op("x")
def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """``x`` with elements shifted by ``shift`` along ``axis`` (the flattened array by
    default), wrapping around."""
    t = tensor(x)
    if axis is None:
        return graph_ops.reshape(roll(graph_ops.reshape(t, [-1]), shift, 0),
                                 list(_dims(t, "ops.roll")))
    shifts = _reps(shift)
    axes = _reps(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, a in zip(shifts, axes):
        n = _dims(t, "ops.roll", a)[a]
        t = graph_ops.gather(t, np.roll(np.arange(n, dtype="int32"), s), axis=a)
    return t


@keras_op("x")
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """``x`` padded by ``pad_width`` (an int, a ``(before, after)`` pair, or a pair per axis);
    ``mode`` "constant", "reflect" or "symmetric"."""
    t = tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(t.shape), 2))
    value = 0 if constant_values is None else constant_values
    if mode != "constant" and constant_values is not None:
        raise ValueError("ops.pad: constant_values is only for mode='constant'")
    return graph_ops.pad(t, [tuple(int(v) for v in w) for w in widths], mode=mode,
                         constant_values=value)


@keras_op("x", "indices")
def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` by default)."""
    t, a = _flat_axis(tensor(x), axis)
    return graph_ops.gather(t, tensor(indices, "int32") if not isinstance(indices, Tensor)
                            else indices, axis=a)


@keras_op("x", "indices")
def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Elements of ``x`` picked by ``indices`` along ``axis``, as numpy's."""
    t, a = _flat_axis(tensor(x), axis)
    i = tensor(indices)
    if axis is None:
        i = graph_ops.reshape(i, [-1])
    return graph_ops.take_along_axis(t, i, axis=a)


@keras_op("x*")
def meshgrid(*x: Any, indexing: str = "xy") -> list[Any]:
    """Coordinate grids from 1-D ``x``: "xy" (Cartesian) or "ij" (matrix) indexing."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"ops.meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [graph_ops.reshape(tensor(v), [-1]) for v in x]
    n = len(vectors)
    order = list(range(n))
    if indexing == "xy" and n >= 2:
        order[0], order[1] = 1, 0
    grids = [graph_ops.reshape(v, [-1 if order[i] == j else 1 for j in range(n)])
             for i, v in enumerate(vectors)]
    total = grids[0] * 0
    for g in grids[1:]:
        total = total + g * 0
    return [g + graph_ops.cast(total, g.dtype) for g in grids]


@keras_op("a")
def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """The ``n``-th discrete difference along ``axis``."""
    t = tensor(a)
    ax = axis % len(t.shape)
    for _ in range(n):
        upper = (builtins.slice(None),) * ax + (builtins.slice(1, None),)
        lower = (builtins.slice(None),) * ax + (builtins.slice(None, -1),)
        high, low = graph_ops.getitem(t, upper), graph_ops.getitem(t, lower)
        t = graph_ops.not_equal(high, low) if t.dtype.name == "bool" else high - low
    return t


@keras_op("condlist*", "choicelist*", "default")
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """From each choice where its condition holds (the first that does), else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"ops.select: {len(condlist)} conditions for {len(choicelist)} choices")
    choices = promote(*choicelist, default)
    out = choices[-1]
    for cond, choice in zip(reversed(condlist), reversed(choices[:-1])):
        out = graph_ops.where(tensor(cond, "bool"), choice, out)
    return out


# -- products ---------------------------------------------------------------------------------
def _numeric_pair(x1: Any, x2: Any) -> list[Tensor]:
    return promote(x1, x2, dtype="int32" if result_type(x1, x2) == "bool" else None)


@keras_op("x1", "x2")
def matmul(x1: Any, x2: Any) -> Any:
    """Matrix product with numpy's rules (batched over leading axes, 1-D operands as vectors)."""
    return graph_ops.matmul(*_numeric_pair(x1, x2))


@keras_op("operands*")
def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    """Einstein summation over ``operands`` as ``subscripts`` says (``"ij,jk->ik"``)."""
    if kwargs:
        raise TypeError(f"ops.einsum: unexpected arguments {sorted(kwargs)}")
    return graph_ops.einsum(subscripts, *promote(*operands))


def _letters(n: int, skip: int = 0) -> str:
    return string.ascii_letters[skip:skip + n]


@keras_op("x1", "x2")
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    """Sum of products over ``axes`` of ``x1`` and ``x2`` (an int: the last/first that many;
    or two lists of axes)."""
    a, b = _numeric_pair(x1, x2)
    ra, rb = len(a.shape), len(b.shape)
    if isinstance(axes, int | np.integer):
        pairs = (list(range(ra - int(axes), ra)), list(range(int(axes))))
    else:
        pairs = tuple([int(i) for i in np.atleast_1d(ax)] for ax in axes)
    sa, sb = list(_letters(ra)), list(_letters(rb, ra))
    for i, j in zip(*pairs):
        sb[j % rb] = sa[i % ra]
    summed = {sa[i % ra] for i in pairs[0]}
    out = "".join(c for c in sa + sb if c not in summed)
    return graph_ops.einsum(f"{''.join(sa)},{''.join(sb)}->{out}", a, b)


@keras_op("x1", "x2")
def dot(x1: Any, x2: Any) -> Any:
    """numpy's ``dot``: products of scalars, inner product of vectors, matrix products, and for
    N-D arrays a sum over the last axis of ``x1`` and the second-to-last of ``x2``."""
    a, b = _numeric_pair(x1, x2)
    if not a.shape or not b.shape:
        return a * b
    if len(b.shape) == 1:
        return graph_ops.einsum(f"{_letters(len(a.shape))},{_letters(len(a.shape))[-1]}->"
                                f"{_letters(len(a.shape) - 1)}", a, b)
    return tensordot(a, b, axes=([-1], [-2]))


@keras_op("x1", "x2")
def inner(x1: Any, x2: Any) -> Any:
    """Inner product over the last axes of ``x1`` and ``x2``."""
    a, b = _numeric_pair(x1, x2)
    if not a.shape or not b.shape:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


@keras_op("x1", "x2")
def outer(x1: Any, x2: Any) -> Any:
    """Outer product of ``x1`` and ``x2`` (each flattened)."""
    a, b = _numeric_pair(x1, x2)
    return graph_ops.reshape(a, [-1, 1]) * graph_ops.reshape(b, [1, -1])


@keras_op("x1", "x2")
def vdot(x1: Any, x2: Any) -> Any:
    """Dot product of ``x1`` and ``x2`` flattened."""
    a, b = _numeric_pair(x1, x2)
    return graph_ops.sum(graph_ops.reshape(a, [-1]) * graph_ops.reshape(b, [-1]))


@keras_op("x")
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum along a diagonal of ``x`` (of axes ``axis1``, ``axis2``)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


@keras_op("x")
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Diagonal ``offset`` of the matrices on axes ``axis1``, ``axis2`` (moved to the end)."""
    t = tensor(x)
    rank = len(t.shape)
    a1, a2 = axis1 % rank, axis2 % rank
    t = graph_ops.transpose(t, [i for i in range(rank) if i not in (a1, a2)] + [a1, a2])
    rows, cols = _dims(t, "ops.diagonal", -2, -1)[-2:]
    mask = np.eye(rows, cols, offset, dtype=bool)
    picked = graph_ops.where(mask, t, graph_ops.zeros_like(t))
    length = builtins.max(0, builtins.min(rows, cols - offset) if offset >= 0
                          else builtins.min(rows + offset, cols))
    reduced = graph_ops.sum(picked, axis=-1 if offset >= 0 else -2)
    start = 0  # the diagonal starts at index 0 of the reduced axis for every offset
    return graph_ops.getitem(reduced, (Ellipsis, builtins.slice(start, start + length)))


@keras_op("x")
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector norms (``ord`` None/2, 1, inf, -inf, 0 or any p) over an int ``axis``; matrix
    norms ("fro", 1, -1, inf, -inf) over a pair of axes. Spectral and nuclear norms need an SVD,
    which the core has not."""
    t = float_tensor(x)
    rank = len(t.shape)
    matrix = (axis is None and rank == 2 and ord is not None) or (
        isinstance(axis, tuple | list) and len(axis) == 2)
    if matrix:
        return _matrix_norm(t, ord, (0, 1) if axis is None else tuple(axis), keepdims)
    if ord is None or ord == 2:
        return graph_ops.sqrt(graph_ops.sum(graph_ops.square(t), axis=axis, keepdims=keepdims))
    magnitude = graph_ops.abs(t)
    if ord == np.inf:
        return graph_ops.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return graph_ops.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = graph_ops.cast(graph_ops.not_equal(t, 0.0), t.dtype)
        return graph_ops.sum(nonzero, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"ops.norm: ord {ord!r} is a matrix norm; give axis a pair of axes")
    p = float(ord)
    total = graph_ops.sum(graph_ops.power(magnitude, p), axis=axis, keepdims=keepdims)
    return graph_ops.power(total, 1.0 / p)


def _matrix_norm(t: Tensor, ord: Any, axes: tuple[int, int], keepdims: bool) -> Tensor:  # noqa: A002
    rows, cols = (a % len(t.shape) for a in axes)
    magnitude = graph_ops.abs(t)
    if ord in (None, "fro"):
        return graph_ops.sqrt(graph_ops.sum(graph_ops.square(t), axis=(rows, cols),
                                            keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed_axis, extreme_axis = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = graph_ops.sum(magnitude, axis=summed_axis, keepdims=True)
        pick = graph_ops.max if ord in (1, np.inf) else graph_ops.min
        out = pick(sums, axis=extreme_axis, keepdims=True)
        return out if keepdims else graph_ops.squeeze(out, (rows, cols))
    raise ValueError(f"ops.norm: the matrix norm ord={ord!r} needs an SVD, which layerkit's "
                     "core does not have")


# -- sorting ----------------------------------------------------------------------------------
@keras_op("x")
def sort(x: Any, axis: int = -1) -> Any:
    """``x`` sorted ascending along ``axis``."""
    t = tensor(x)
    out = graph_ops.sort(_bool_as_int(t), axis=axis)
    return graph_ops.cast(out, "bool") if t.dtype.name == "bool" else out


@keras_op("x")
def argsort(x: Any, axis: int = -1) -> Any:
    """The indices (int32) that sort ``x`` along ``axis`` (stable)."""
    t, a = _flat_axis(_bool_as_int(tensor(x)), axis)
    return graph_ops.argsort(t, axis=a)


@keras_op("x")
def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Any, Any]:  # noqa: A002
    """The ``k`` largest elements along the last axis and their indices (int32)."""
    values, indices = graph_ops.top_k(tensor(x), int(k), sorted=sorted)
    return values, indices
