"""Element-wise arithmetic, comparisons and reductions, lowered to jax.numpy.

Where JAX's own derivative differs from the numpy backend's VJP rule at a corner (``power``'s
gradient for a non-positive base, ``relu`` and ``clip`` at their kinks) the lowering is written
so JAX's autodiff gives the numpy backend's answer.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from layerkit_backend.jax.registry import deflower


# -- binary arithmetic ------------------------------------------------------------------------
@deflower("add")
def add(x, y):
    return jnp.add(x, y)


@deflower("subtract")
def subtract(x, y):
    return jnp.subtract(x, y)


@deflower("multiply")
def multiply(x, y):
    return jnp.multiply(x, y)


@deflower("divide")
def divide(x, y):
    return jnp.divide(x, y)


@jax.custom_jvp
def _power(x, y):
    return jnp.power(x, y)


@_power.defjvp
def _power_jvp(primals, tangents):
    # As the numpy rule: d/dy x**y = log(x) * x**y, taken as 0 where x <= 0 (JAX gives nan there).
    x, y = primals
    dx, dy = tangents
    out = jnp.power(x, y)
    safe_log = jnp.log(jnp.where(x > 0, x, jnp.ones_like(x)))
    return out, dx * y * jnp.power(x, y - 1) + dy * out * safe_log


@deflower("power")
def power(x, y):
    return _power(x, y)


# jnp.maximum/minimum already split the gradient evenly at ties, as the numpy rule does.
@deflower("maximum")
def maximum(x, y):
    return jnp.maximum(x, y)


@deflower("minimum")
def minimum(x, y):
    return jnp.minimum(x, y)


@deflower("arctan2")
def arctan2(y, x):
    return jnp.arctan2(y, x)


# JAX differentiates jnp.mod as numpy's rule does (1, and -floor(x / y)), between the jumps.
@deflower("mod")
def mod(x, y):
    return jnp.mod(x, y)


@deflower("floor_divide")
def floor_divide(x, y):
    return jnp.floor_divide(x, y)


# -- comparisons and logic (no gradient) ------------------------------------------------------
for _name, _fn in {
    "equal": jnp.equal, "not_equal": jnp.not_equal, "less": jnp.less,
    "less_equal": jnp.less_equal, "greater": jnp.greater, "greater_equal": jnp.greater_equal,
    "logical_and": jnp.logical_and, "logical_or": jnp.logical_or,
}.items():
    deflower(_name)(_fn)


@deflower("logical_not")
def logical_not(x):
    return jnp.logical_not(x)


@deflower("sign")
def sign(x):
    return jnp.sign(x)


@deflower("floor")
def floor(x):
    return jnp.floor(x)


@deflower("ceil")
def ceil(x):
    return jnp.ceil(x)


@deflower("round")
def round_(x, *, decimals):
    # Halves to even, as numpy; with decimals, XLA divides by 10**decimals as a multiplication by
    # its reciprocal, so the result may be an ulp from numpy's.
    return jnp.round(x, decimals)


for _name, _fn in {"isnan": jnp.isnan, "isinf": jnp.isinf, "isfinite": jnp.isfinite}.items():
    deflower(_name)(_fn)


# -- unary ------------------------------------------------------------------------------------
@deflower("negative")
def negative(x):
    return jnp.negative(x)


@deflower("identity")
def identity(x):
    return x


@deflower("abs")
def abs_(x):
    return jnp.abs(x)  # JAX's derivative is sign(x): 0 at 0, as the numpy rule


@deflower("square")
def square(x):
    return jnp.square(x)


@deflower("exp")
def exp(x):
    return jnp.exp(x)


@deflower("log")
def log(x):
    return jnp.log(x)


@deflower("sqrt")
def sqrt(x):
    return jnp.sqrt(x)


@deflower("relu")
def relu(x):
    # where(), not maximum(): maximum would split the gradient at 0; the numpy rule gives 0.
    return jnp.where(x > 0, x, jnp.zeros_like(x))


@deflower("sigmoid")
def sigmoid(x):
    return jax.nn.sigmoid(x)


@deflower("tanh")
def tanh(x):
    return jnp.tanh(x)


@deflower("softplus")
def softplus(x):
    return jnp.logaddexp(x, jnp.zeros_like(x))


# -- trigonometric and hyperbolic: JAX's derivatives are the numpy rules' formulas ------------
for _name, _fn in {
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "arcsin": jnp.arcsin, "arccos": jnp.arccos,
    "arctan": jnp.arctan, "sinh": jnp.sinh, "cosh": jnp.cosh, "arcsinh": jnp.arcsinh,
    "arccosh": jnp.arccosh, "arctanh": jnp.arctanh, "log1p": jnp.log1p, "expm1": jnp.expm1,
}.items():
    deflower(_name)(_fn)


@deflower("stop_gradient")
def stop_gradient(x):
    return jax.lax.stop_gradient(x)


@deflower("cast")
def cast(x, *, dtype):
    return x.astype(dtype)


@deflower("clip")
def clip(x, *, min_value, max_value):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        # As numpy: clip against the float bounds, then truncate back to the integer dtype.
        return jnp.clip(x.astype(jnp.float64), min_value, max_value).astype(x.dtype)
    lo = jnp.asarray(min_value, x.dtype)
    hi = jnp.asarray(max_value, x.dtype)
    # Nested where(): the gradient is 1 on the closed interval and 0 outside, as the numpy rule
    # (jnp.clip would split it at the bounds).
    return jnp.where(x < lo, lo, jnp.where(x > hi, hi, x))


@deflower("where")
def where(condition, x, y):
    return jnp.where(condition, x, y)


# -- reductions -------------------------------------------------------------------------------
# Explicit dtypes: jnp (like numpy) would widen small integer sums; the core says the dtype stays.
@deflower("sum")
def sum_(x, *, axis, keepdims):
    return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@deflower("mean")
def mean(x, *, axis, keepdims):
    return jnp.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


# Reduced max/min: JAX shares the gradient evenly among ties, as the numpy rule.
@deflower("max")
def max_(x, *, axis, keepdims):
    return jnp.max(x, axis=axis, keepdims=keepdims)


@deflower("min")
def min_(x, *, axis, keepdims):
    return jnp.min(x, axis=axis, keepdims=keepdims)


@deflower("logsumexp")
def logsumexp(x, *, axis, keepdims):
    return jax.nn.logsumexp(x, axis=axis, keepdims=keepdims)


# JAX differentiates products without dividing, so its gradient is exact where elements are 0,
# as the numpy rules.
@deflower("prod")
def prod(x, *, axis, keepdims):
    return jnp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@deflower("cumsum")
def cumsum(x, *, axis):
    return jnp.cumsum(x, axis=axis, dtype=x.dtype)


@deflower("cumprod")
def cumprod(x, *, axis):
    return jnp.cumprod(x, axis=axis, dtype=x.dtype)


@deflower("argmax")
def argmax(x, *, axis):
    return jnp.argmax(x, axis=axis).astype(jnp.int64)


@deflower("argmin")
def argmin(x, *, axis):
    return jnp.argmin(x, axis=axis).astype(jnp.int64)


@deflower("constant")
def constant(*, value, dtype):
    return jnp.asarray(np.asarray(value, dtype=dtype))
