"""Element-wise arithmetic, comparisons and reductions."""

from __future__ import annotations

__all__ = [
    "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "arctan2", "mod",
    "floor_divide", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "negative", "abs", "sign", "square", "exp", "log",
    "sqrt", "relu", "sigmoid", "tanh", "softplus", "identity", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "log1p", "expm1",
    "floor", "ceil", "round", "isnan", "isinf", "isfinite", "stop_gradient", "cast", "clip",
    "where", "sum", "mean", "max", "min", "logsumexp", "prod", "cumsum", "cumprod", "argmax",
    "argmin",
]

import numpy as np

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor, overload_operator
from layerkit.graph.opdef import apply1, convert_operands, convert_to_tensor, define_op
from layerkit.graph.ops._rules import (
    canonical_axes,
    elementwise,
    reduced_shape,
    require_float,
    require_numeric,
)
from layerkit.graph.shapes import normalize_axis, num_elements


# -- binary element-wise ----------------------------------------------------------------------
def _binary(op_type: str, doc: str, *, floats_only: bool = False, compare: bool = False,
            differentiable: bool = True):
    @define_op(op_type, differentiable=differentiable and not compare)
    def rule(x, y):
        shape, dtype = elementwise(x, y)
        if floats_only:
            require_float(x, y)
        elif dtype == dtypes.bool_ and not compare:
            require_numeric(x)
        return shape, (dtypes.bool_ if compare else dtype)

    def build(x, y, name: str | None = None) -> Tensor:
        x, y = convert_operands(x, y, op_name=op_type)
        return apply1(op_type, [x, y], name=name)

    build.__name__ = build.__qualname__ = op_type
    build.__doc__ = doc
    return build


add = _binary("add", "``x + y``, with numpy broadcasting.")
subtract = _binary("subtract", "``x - y``, with numpy broadcasting.")
multiply = _binary("multiply", "``x * y``, with numpy broadcasting.")
divide = _binary("divide", "``x / y`` (true division of floats), with numpy broadcasting.",
                 floats_only=True)
power = _binary("power", "``x ** y``, with numpy broadcasting.", floats_only=True)
maximum = _binary("maximum", "Element-wise maximum, with numpy broadcasting.")
minimum = _binary("minimum", "Element-wise minimum, with numpy broadcasting.")
_arctan2 = _binary("arctan2", "", floats_only=True)
mod = _binary("mod", "``x % y`` with numpy broadcasting; as numpy, the result has the sign of "
              "``y``. Its gradient is ``1`` for ``x`` and ``-floor(x / y)`` for ``y``.")
floor_divide = _binary("floor_divide", "``x // y`` (``floor(x / y)``), with numpy broadcasting. "
                       "It has no gradient.", differentiable=False)
equal = _binary("equal", "``x == y`` element-wise, as a bool tensor.", compare=True)
not_equal = _binary("not_equal", "``x != y`` element-wise, as a bool tensor.", compare=True)
less = _binary("less", "``x < y`` element-wise, as a bool tensor.", compare=True)
less_equal = _binary("less_equal", "``x <= y`` element-wise, as a bool tensor.", compare=True)
greater = _binary("greater", "``x > y`` element-wise, as a bool tensor.", compare=True)
greater_equal = _binary("greater_equal", "``x >= y`` element-wise, as a bool tensor.",
                        compare=True)


def arctan2(y, x, name: str | None = None) -> Tensor:
    """The angle of the point ``(x, y)`` from the positive x axis, in ``[-pi, pi]``, with numpy
    broadcasting (``arctan(y / x)`` in the right quadrant). The y coordinate comes first."""
    return _arctan2(y, x, name=name)


@define_op("logical_and", differentiable=False)
@define_op("logical_or", differentiable=False)
def _logical_rule(x, y):
    shape, dtype = elementwise(x, y)
    if dtype != dtypes.bool_:
        raise TypeError(f"inputs must be bool tensors, got {dtype.name}")
    return shape, dtype


def logical_and(x, y, name: str | None = None) -> Tensor:
    """Element-wise ``x and y`` of bool tensors."""
    return apply1("logical_and", convert_operands(x, y, op_name="logical_and"), name=name)


def logical_or(x, y, name: str | None = None) -> Tensor:
    """Element-wise ``x or y`` of bool tensors."""
    return apply1("logical_or", convert_operands(x, y, op_name="logical_or"), name=name)


# -- unary element-wise -----------------------------------------------------------------------
def _unary(op_type: str, doc: str, *, floats_only: bool = True, differentiable: bool = True,
           test: bool = False):
    """An element-wise op of one input; ``test``: a float predicate with a bool result."""
    @define_op(op_type, differentiable=differentiable and not test)
    def rule(x):
        (require_float if floats_only or test else require_numeric)(x)
        return x.shape, (dtypes.bool_ if test else x.dtype)

    def build(x, name: str | None = None) -> Tensor:
        return apply1(op_type, [convert_to_tensor(x)], name=name)

    build.__name__ = build.__qualname__ = op_type
    build.__doc__ = doc
    return build


negative = _unary("negative", "``-x``.", floats_only=False)
abs = _unary("abs", "``|x|`` (its gradient at 0 is 0).", floats_only=False)  # noqa: A001
sign = _unary("sign", "-1, 0 or 1 by the sign of ``x``.", floats_only=False, differentiable=False)
square = _unary("square", "``x * x``.", floats_only=False)
exp = _unary("exp", "``e ** x``.")
log = _unary("log", "Natural logarithm.")
sqrt = _unary("sqrt", "Square root.")
relu = _unary("relu", "``max(x, 0)`` (its gradient at 0 is 0).")
sigmoid = _unary("sigmoid", "``1 / (1 + exp(-x))``, computed without overflow.")
tanh = _unary("tanh", "Hyperbolic tangent.")
softplus = _unary("softplus", "``log(1 + exp(x))``, computed without overflow.")
identity = _unary("identity", "``x`` itself, as a new tensor.", floats_only=False)
sin = _unary("sin", "Sine (of radians).")
cos = _unary("cos", "Cosine (of radians).")
tan = _unary("tan", "Tangent (of radians).")
arcsin = _unary("arcsin", "Inverse sine, in ``[-pi/2, pi/2]``.")
arccos = _unary("arccos", "Inverse cosine, in ``[0, pi]``.")
arctan = _unary("arctan", "Inverse tangent, in ``(-pi/2, pi/2)``.")
sinh = _unary("sinh", "Hyperbolic sine.")
cosh = _unary("cosh", "Hyperbolic cosine.")
arcsinh = _unary("arcsinh", "Inverse hyperbolic sine.")
arccosh = _unary("arccosh", "Inverse hyperbolic cosine (``x >= 1``).")
arctanh = _unary("arctanh", "Inverse hyperbolic tangent (``|x| < 1``).")
log1p = _unary("log1p", "``log(1 + x)``, accurate for small ``x``.")
expm1 = _unary("expm1", "``exp(x) - 1``, accurate for small ``x``.")
# Piecewise constant: no gradient flows, as for ``sign`` (JAX's derivative is 0 too).
floor = _unary("floor", "The largest integer (as a float) not above ``x``. It has no gradient.",
               differentiable=False)
ceil = _unary("ceil", "The smallest integer (as a float) not below ``x``. It has no gradient.",
              differentiable=False)


@define_op("round", differentiable=False)
def _round_rule(x, *, decimals):
    require_float(x)
    return x.shape, x.dtype


def round(x, decimals: int = 0, name: str | None = None) -> Tensor:  # noqa: A001
    """``x`` rounded to ``decimals`` decimal places (negative: to tens, hundreds...), halves to
    the even neighbour as numpy. It has no gradient."""
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    return apply1("round", [convert_to_tensor(x)], {"decimals": int(decimals)}, name=name)


isnan = _unary("isnan", "Whether each element is NaN, as a bool tensor.", test=True)
isinf = _unary("isinf", "Whether each element is infinite (either sign), as a bool tensor.",
               test=True)
isfinite = _unary("isfinite", "Whether each element is neither infinite nor NaN, as a bool "
                  "tensor.", test=True)


@define_op("logical_not", differentiable=False)
def _logical_not_rule(x):
    if x.dtype != dtypes.bool_:
        raise TypeError(f"input must be a bool tensor, got {x.dtype.name}")
    return x.shape, x.dtype


def logical_not(x, name: str | None = None) -> Tensor:
    """Element-wise ``not x`` of a bool tensor."""
    return apply1("logical_not", [convert_to_tensor(x)], name=name)


@define_op("stop_gradient", differentiable=False)
def _stop_gradient_rule(x):
    return x.shape, x.dtype


def stop_gradient(x, name: str | None = None) -> Tensor:
    """``x``, but gradients do not flow through it."""
    return apply1("stop_gradient", [convert_to_tensor(x)], name=name)


@define_op("cast")
def _cast_rule(x, *, dtype):
    return x.shape, dtype


def cast(x, dtype, name: str | None = None) -> Tensor:
    """``x`` converted to ``dtype``. Gradients flow between floating dtypes only."""
    x = convert_to_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return apply1("cast", [x], {"dtype": dtype}, name=name)


@define_op("clip")
def _clip_rule(x, *, min_value, max_value):
    require_numeric(x)
    if min_value > max_value:
        raise ValueError(f"min_value {min_value} is greater than max_value {max_value}")
    return x.shape, x.dtype


def clip(x, min_value: float, max_value: float, name: str | None = None) -> Tensor:
    """``x`` limited to ``[min_value, max_value]`` (gradient 1 inside, 0 outside)."""
    return apply1("clip", [convert_to_tensor(x)],
                  {"min_value": float(min_value), "max_value": float(max_value)}, name=name)


@define_op("where")
def _where_rule(condition, x, y):
    if condition.dtype != dtypes.bool_:
        raise TypeError(f"condition '{condition.name}' must be bool, got {condition.dtype.name}")
    shape, dtype = elementwise(x, y)
    from layerkit.graph.shapes import broadcast

    return broadcast(condition.shape, shape), dtype


def where(condition, x, y, name: str | None = None) -> Tensor:
    """Element-wise ``x if condition else y``, with numpy broadcasting of all three."""
    condition = convert_to_tensor(condition)
    x, y = convert_operands(x, y, op_name="where")
    return apply1("where", [condition, x, y], name=name)


# -- reductions -------------------------------------------------------------------------------
def _reduction(op_type: str, doc: str, *, floats_only: bool = False):
    @define_op(op_type)
    def rule(x, *, axis, keepdims):
        (require_float if floats_only else require_numeric)(x)
        return reduced_shape(x.shape, axis, keepdims), x.dtype

    def build(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
        x = convert_to_tensor(x)
        attrs = {"axis": canonical_axes(x, axis, op_type), "keepdims": bool(keepdims)}
        return apply1(op_type, [x], attrs, name=name)

    build.__name__ = build.__qualname__ = op_type
    build.__doc__ = doc + " Over ``axis`` (an int, a tuple, or None for all axes)."
    return build


sum = _reduction("sum", "Sum of elements.")  # noqa: A001
mean = _reduction("mean", "Arithmetic mean of elements.", floats_only=True)
max = _reduction("max", "Largest element (the gradient is shared among ties).")  # noqa: A001
min = _reduction("min", "Smallest element (the gradient is shared among ties).")  # noqa: A001
logsumexp = _reduction("logsumexp", "``log(sum(exp(x)))``, computed without overflow.",
                       floats_only=True)
prod = _reduction("prod", "Product of elements (its gradient is exact where elements are 0).")


def _cumulative(op_type: str, doc: str):
    @define_op(op_type)
    def rule(x, *, axis):
        require_numeric(x)
        if axis is None:  # flattened first, as numpy and Keras
            return (None if x.shape is None else (num_elements(x.shape),)), x.dtype
        if x.shape is not None:
            normalize_axis(axis, len(x.shape), op_type)
        return x.shape, x.dtype

    def build(x, axis: int | None = None, name: str | None = None) -> Tensor:
        x = convert_to_tensor(x)
        if axis is not None and x.shape is not None:
            axis = normalize_axis(axis, len(x.shape), op_type)
        return apply1(op_type, [x], {"axis": None if axis is None else int(axis)}, name=name)

    build.__name__ = build.__qualname__ = op_type
    build.__doc__ = doc + " Along ``axis`` (an int), or over the flattened ``x`` when None."
    return build


cumsum = _cumulative("cumsum", "Running sum, keeping ``x``'s dtype.")
cumprod = _cumulative("cumprod", "Running product, keeping ``x``'s dtype (its gradient is exact "
                      "where elements are 0).")


def _arg_reduction(op_type: str, doc: str):
    @define_op(op_type, differentiable=False)
    def rule(x, *, axis):
        require_numeric(x)
        if x.shape is None:
            return None, dtypes.int64
        axis = normalize_axis(axis, len(x.shape), op_type)
        return tuple(d for i, d in enumerate(x.shape) if i != axis), dtypes.int64

    def build(x, axis: int = -1, name: str | None = None) -> Tensor:
        x = convert_to_tensor(x)
        if x.shape is not None:
            axis = normalize_axis(axis, len(x.shape), op_type)
        return apply1(op_type, [x], {"axis": int(axis)}, name=name)

    build.__name__ = build.__qualname__ = op_type
    build.__doc__ = doc
    return build


argmax = _arg_reduction("argmax", "Index (int64) of the largest element along ``axis``.")
argmin = _arg_reduction("argmin", "Index (int64) of the smallest element along ``axis``.")


# -- Python operators on tensors --------------------------------------------------------------
for _name, _op in {"add": add, "sub": subtract, "mul": multiply, "truediv": divide,
                   "pow": power, "mod": mod, "floordiv": floor_divide}.items():
    overload_operator(_name, _op, reflected=True)
for _name, _op in {"lt": less, "le": less_equal, "gt": greater, "ge": greater_equal,
                   "neg": negative, "abs": abs}.items():
    overload_operator(_name, _op)

