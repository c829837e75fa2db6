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


@defop("argmax")
def argmax(x, *, axis):
    return np.argmax(x, axis=axis).astype(np.int64)


@defop("argmin")
def argmin(x, *, axis):
    return np.argmin(x, axis=axis).astype(np.int64)


@defop("constant")
def constant(*, value, dtype):
    return value
