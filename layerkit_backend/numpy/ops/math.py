"""Element-wise arithmetic, comparisons and reductions: kernel and VJP rule side by side."""

from __future__ import annotations

import numpy as np

from layerkit_backend.numpy.registry import defop, unbroadcast


# -- binary arithmetic ------------------------------------------------------------------------
@defop("add")
def add(x, y):
    return np.add(x, y)


@add.defvjp
def _(g, out, x, y):
    return unbroadcast(g, np.shape(x)), unbroadcast(g, np.shape(y))


@defop("subtract")
def subtract(x, y):
    return np.subtract(x, y)


@subtract.defvjp
def _(g, out, x, y):
    return unbroadcast(g, np.shape(x)), unbroadcast(-g, np.shape(y))


@defop("multiply")
def multiply(x, y):
    return np.multiply(x, y)


@multiply.defvjp
def _(g, out, x, y, *, needs=(True, True)):
    # A constant factor (a dropout mask, a loss weight) needs no cotangent: skip its product.
    gx = unbroadcast(g * y, np.shape(x)) if needs[0] else None
    gy = unbroadcast(g * x, np.shape(y)) if needs[1] else None
    return gx, gy


@defop("divide")
def divide(x, y):
    return np.divide(x, y)


@divide.defvjp
def _(g, out, x, y, *, needs=(True, True)):
    gx = g / y
    gy = unbroadcast(-gx * out, np.shape(y)) if needs[1] else None
    return (unbroadcast(gx, np.shape(x)) if needs[0] else None), gy


@defop("power")
def power(x, y):
    return np.power(x, y)


@power.defvjp
def _(g, out, x, y, *, needs=(True, True)):
    # d/dx x**y = y * x**(y-1); d/dy = log(x) * x**y, taken as 0 where x <= 0 (as TensorFlow does).
    # A constant exponent (x ** 2) needs no cotangent: its logarithm is skipped.
    gx = gy = None
    if needs[0]:
        gx = unbroadcast(g * y * np.power(x, y - 1), np.shape(x))
    if needs[1]:
        safe_log = np.log(np.where(x > 0, x, 1)).astype(out.dtype, copy=False)
        gy = unbroadcast(g * out * safe_log, np.shape(y))
    return gx, gy


def _min_max_vjp(g, out, x, y):
    # The gradient goes to the winner; ties split it evenly, so the sum stays g.
    x_wins = (x == out).astype(g.dtype)
    y_wins = (y == out).astype(g.dtype)
    share = g / (x_wins + y_wins)
    return unbroadcast(share * x_wins, np.shape(x)), unbroadcast(share * y_wins, np.shape(y))


@defop("maximum")
def maximum(x, y):
    return np.maximum(x, y)


maximum.defvjp(_min_max_vjp)


@defop("minimum")
def minimum(x, y):
    return np.minimum(x, y)


minimum.defvjp(_min_max_vjp)


@defop("arctan2")
def arctan2(y, x):
    return np.arctan2(y, x)


@arctan2.defvjp
def _(g, out, y, x):
    scale = g / (x * x + y * y)
    return unbroadcast(scale * x, np.shape(y)), unbroadcast(-scale * y, np.shape(x))


@defop("mod")
def mod(x, y):
    return np.mod(x, y)


@mod.defvjp
def _(g, out, x, y, *, needs=(True, True)):
    # x % y = x - y * floor(x / y), and floor is flat between its jumps.
    gy = unbroadcast(-g * np.floor(x / y), np.shape(y)) if needs[1] else None
    return (unbroadcast(g, np.shape(x)) if needs[0] else None), gy


@defop("floor_divide")
def floor_divide(x, y):
    return np.floor_divide(x, y)


# -- comparisons and logic (no gradient) ------------------------------------------------------
for _name, _ufunc in {
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less,
    "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
}.items():
    defop(_name)(_ufunc)


@defop("logical_not")
def logical_not(x):
    return np.logical_not(x)


@defop("sign")
def sign(x):
    return np.sign(x)


@defop("floor")
def floor(x):
    return np.floor(x)


@defop("ceil")
def ceil(x):
    return np.ceil(x)


@defop("round")
def round_(x, *, decimals):
    return np.round(x, decimals)


for _name, _ufunc in {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite}.items():
    defop(_name)(_ufunc)


# -- unary ------------------------------------------------------------------------------------
@defop("negative")
def negative(x):
    return np.negative(x)


@negative.defvjp
def _(g, out, x):
    return (-g,)


@defop("identity")
def identity(x):
    return x


@identity.defvjp
def _(g, out, x):
    return (g,)


@defop("abs")
def abs_(x):
    return np.abs(x)


@abs_.defvjp
def _(g, out, x):
    return (g * np.sign(x),)


@defop("square")
def square(x):
    return np.square(x)


@square.defvjp
def _(g, out, x):
    return (g * 2 * x,)


@defop("exp")
def exp(x):
    return np.exp(x)


@exp.defvjp
def _(g, out, x):
    return (g * out,)


@defop("log")
def log(x):
    return np.log(x)


@log.defvjp
def _(g, out, x):
    return (g / x,)


@defop("sqrt")
def sqrt(x):
    return np.sqrt(x)


@sqrt.defvjp
def _(g, out, x):
    return (g / (2 * out),)


@defop("relu")
def relu(x):
    return np.maximum(x, 0)


@relu.defvjp
def _(g, out, x):
    return (g * (x > 0),)


@defop("sigmoid")
def sigmoid(x):
    # exp of a non-positive number never overflows: use e^-|x| on both sides.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


@sigmoid.defvjp
def _(g, out, x):
    return (g * out * (1 - out),)


@defop("tanh")
def tanh(x):
    return np.tanh(x)


@tanh.defvjp
def _(g, out, x):
    return (g * (1 - out * out),)


@defop("softplus")
def softplus(x):
    return np.logaddexp(x, 0).astype(x.dtype, copy=False)


@softplus.defvjp
def _(g, out, x):
    return (g * sigmoid(x),)


# -- trigonometric and hyperbolic -------------------------------------------------------------
# Each derivative is the formula JAX's own rule uses (tan's from its output), so the backends
# agree to rounding.
@defop("sin")
def sin(x):
    return np.sin(x)


@sin.defvjp
def _(g, out, x):
    return (g * np.cos(x),)


@defop("cos")
def cos(x):
    return np.cos(x)


@cos.defvjp
def _(g, out, x):
    return (-g * np.sin(x),)


@defop("tan")
def tan(x):
    return np.tan(x)


@tan.defvjp
def _(g, out, x):
    return (g * (1 + out * out),)


@defop("arcsin")
def arcsin(x):
    return np.arcsin(x)


@arcsin.defvjp
def _(g, out, x):
    return (g / np.sqrt(1 - x * x),)


@defop("arccos")
def arccos(x):
    return np.arccos(x)


@arccos.defvjp
def _(g, out, x):
    return (-g / np.sqrt(1 - x * x),)


@defop("arctan")
def arctan(x):
    return np.arctan(x)


@arctan.defvjp
def _(g, out, x):
    return (g / (1 + x * x),)


@defop("sinh")
def sinh(x):
    return np.sinh(x)


@sinh.defvjp
def _(g, out, x):
    return (g * np.cosh(x),)


@defop("cosh")
def cosh(x):
    return np.cosh(x)


@cosh.defvjp
def _(g, out, x):
    return (g * np.sinh(x),)


@defop("arcsinh")
def arcsinh(x):
    return np.arcsinh(x)


@arcsinh.defvjp
def _(g, out, x):
    return (g / np.sqrt(x * x + 1),)


@defop("arccosh")
def arccosh(x):
    return np.arccosh(x)


@arccosh.defvjp
def _(g, out, x):
    return (g / np.sqrt((x - 1) * (x + 1)),)  # factored: x * x - 1 loses digits near x = 1


@defop("arctanh")
def arctanh(x):
    return np.arctanh(x)


@arctanh.defvjp
def _(g, out, x):
    return (g / (1 - x) / (1 + x),)  # factored: 1 - x * x loses digits near |x| = 1


@defop("log1p")
def log1p(x):
    return np.log1p(x)


@log1p.defvjp
def _(g, out, x):
    return (g / (1 + x),)


@defop("expm1")
def expm1(x):
    return np.expm1(x)


@expm1.defvjp
def _(g, out, x):
    return (g * (out + 1),)


@defop("stop_gradient")
def stop_gradient(x):
    return x


@defop("cast")
def cast(x, *, dtype):
    return x.astype(dtype)


@cast.defvjp
def _(g, out, x, *, dtype):
    floating = np.issubdtype(x.dtype, np.floating) and np.issubdtype(dtype, np.floating)
    return (g.astype(x.dtype) if floating else None,)


@defop("clip")
def clip(x, *, min_value, max_value):
    return np.clip(x, min_value, max_value).astype(x.dtype, copy=False)


@clip.defvjp
def _(g, out, x, *, min_value, max_value):
    return (g * ((x >= min_value) & (x <= max_value)),)


@defop("where")
def where(condition, x, y):
    return np.where(condition, x, y)


@where.defvjp
def _(g, out, condition, x, y):
    zero = np.zeros((), g.dtype)
    return (None, unbroadcast(np.where(condition, g, zero), np.shape(x)),
            unbroadcast(np.where(condition, zero, g), np.shape(y)))


# -- reductions -------------------------------------------------------------------------------
def _expand(g, x, axis, keepdims):
    """``g`` reshaped so it broadcasts against ``x`` (re-inserting reduced axes)."""
    if keepdims or axis is None and np.ndim(g) == 0:
        return g if keepdims else np.reshape(g, (1,) * x.ndim)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % x.ndim for a in axes) if axes is not None else tuple(range(x.ndim))
    return np.expand_dims(g, axes)


@defop("sum")
def sum_(x, *, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@sum_.defvjp
def _(g, out, x, *, axis, keepdims):
    return (np.broadcast_to(_expand(g, x, axis, keepdims), x.shape),)


@defop("mean")
def mean(x, *, axis, keepdims):
    return np.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@mean.defvjp
def _(g, out, x, *, axis, keepdims):
    count = x.size // max(np.size(out), 1) if x.size else 1
    return (np.broadcast_to(_expand(g, x, axis, keepdims) / x.dtype.type(count), x.shape),)


def _extreme_vjp(g, out, x, *, axis, keepdims):
    # Ties share the gradient evenly.
    out_b = _expand(out, x, axis, keepdims)
    mask = (x == out_b).astype(g.dtype)
    count = np.sum(mask, axis=axis, keepdims=True)
    return (mask * _expand(g, x, axis, keepdims) / count,)


@defop("max")
def max_(x, *, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims)


max_.defvjp(_extreme_vjp)


@defop("min")
def min_(x, *, axis, keepdims):
    return np.min(x, axis=axis, keepdims=keepdims)


min_.defvjp(_extreme_vjp)


@defop("logsumexp")
def logsumexp(x, *, axis, keepdims):
    shift = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # all -inf (or inf) along the axis
    total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else np.squeeze(total, axis=axis)


@logsumexp.defvjp
def _(g, out, x, *, axis, keepdims):
    return (_expand(g, x, axis, keepdims) * np.exp(x - _expand(out, x, axis, keepdims)),)


def _products_of_the_others(x, axis):
    """For each element, the product of the other elements of its reduced slice. Prefix and
    suffix products, not ``prod / x``: that would divide by zero where an element is 0."""
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % x.ndim for a in axes)
    inner = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, inner)
    flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    one = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([one, flat[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([one, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.moveaxis((before * after).reshape(moved.shape), inner, axes)


@defop("prod")
def prod(x, *, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@prod.defvjp
def _(g, out, x, *, axis, keepdims):
    return (_expand(g, x, axis, keepdims) * _products_of_the_others(x, axis),)


@defop("cumsum")
def cumsum(x, *, axis):
    return np.cumsum(x, axis=axis, dtype=x.dtype)


@cumsum.defvjp
def _(g, out, x, *, axis):
    # Each input adds to every output at or after it: the reverse running sum of g.
    along = 0 if axis is None else axis
    total = np.flip(np.cumsum(np.flip(g, along), axis=along), along)
    return (np.reshape(total, x.shape),)


@defop("cumprod")
def cumprod(x, *, axis):
    return np.cumprod(x, axis=axis, dtype=x.dtype)


@cumprod.defvjp
def _(g, out, x, *, axis):
    # d out_i / d x_k = (x_0 ... x_{k-1}) (x_{k+1} ... x_i) for i >= k. With s_k the sum over i
    # of g_i (x_{k+1} ... x_i), s_k = g_k + x_{k+1} s_{k+1}: a reverse scan that never divides,
    # so it is exact where elements are 0 (as JAX's).
    along = 0 if axis is None else axis
    xs = np.moveaxis(np.reshape(x, np.shape(g)), along, 0)
    gs = np.moveaxis(g, along, 0)
    s = np.array(gs, copy=True)
    for k in range(len(s) - 2, -1, -1):
        s[k] += xs[k + 1] * s[k + 1]
    before = np.cumprod(np.concatenate([np.ones_like(xs[:1]), xs[:-1]]), axis=0)
    return (np.reshape(np.moveaxis(before * s, 0, along), x.shape),)


@defop("argmax")
def argmax(x, *, axis):
    return np.argmax(x, axis=axis).astype(np.int64)


@defop("argmin")
def argmin(x, *, axis):
    return np.argmin(x, axis=axis).astype(np.int64)


@defop("constant")
def constant(*, value, dtype):
    return value
