"""Keras 3's random functions (``keras.random``), over the core's stateless random ops.

Every function draws from a *key* (see ``seed_generator``): an int seed repeats, a
``SeedGenerator`` advances, None draws from a global generator. Each is written once as graph
code on the key and its tensor arguments; called while a model traces (or on symbolic tensors,
or with a shape holding a run-time dimension from ``ops.shape``) it builds ops, otherwise it
runs now and returns an ``EagerArray``: the same graph, built once per signature, is fed the key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layerkit.graph import Tensor
from layerkit.graph import ops as graph_ops
from layerkit.ops.core import shape as ops_shape
from layerkit.ops.core import shape_tensor, static_shape
from layerkit.ops.dtypes import is_float, is_int, is_weak, standardize_dtype
from layerkit.ops.eager import (
    as_eager_result,
    eager_value,
    float_tensor,
    freeze,
    graph_scope,
    is_symbolic,
    run,
    tensor,
)
from layerkit.random.seed_generator import check_seed, draw_seed

__all__ = ["beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
           "shuffle", "truncated_normal", "uniform"]

# A second key from the same seed (beta draws two gammas): the key plus this, mod 2**32.
_SUBKEY = np.array([0x3C6EF372, 0x1B873593], np.int32)


# -- the runner: symbolic or eager ------------------------------------------------------------
def _sample(what: str, seed: Any, build: Callable[..., Any], values: Sequence[Any] = (),
            names: Sequence[str] = (), shape: Any = (), **static: Any) -> Any:
    """``build(key, *values, shape=..., **static)`` (graph code): as ops when the call is
    symbolic (a trace, a symbolic value, a run-time dimension in ``shape``), else computed now
    with the key and the array values fed (Python numbers stay static, weakly typed)."""
    check_seed(seed, what)
    if is_symbolic(*values, shape):
        with _scope(values, shape):
            key = tensor(draw_seed(seed, True, what))
            return build(key, *(v if v is None or is_weak(v) else tensor(v) for v in values),
                         shape=shape, **static)
    arrays = [draw_seed(seed, False, what)]
    slots = []
    for value, name in zip(values, names):
        if value is None or is_weak(value):
            slots.append(("static", freeze(value)))
        else:
            arrays.append(eager_value(value, f"{what}: argument `{name}`"))
            slots.append(("feed", len(arrays) - 1))

    def fed(key: Tensor, *feeds: Tensor) -> Any:
        args = [feeds[i - 1] if kind == "feed" else v
                for (kind, i), v in zip(slots, values)]
        return build(key, *args, shape=shape, **static)

    cache_key = (build, freeze(shape), freeze(static), tuple(slots))
    return as_eager_result(run(cache_key, fed, arrays))


def _scope(values: Sequence[Any], shape: Any):
    """Build beside the first symbolic tensor, so a key's constant lands in its graph."""
    for value in [*values, *(shape if isinstance(shape, tuple) else ())]:
        if isinstance(value, Tensor) and not hasattr(value, "numpy"):
            return graph_scope(value)
    return contextlib.nullcontext()


def _rank(x: Any) -> int | None:
    if hasattr(x, "shape"):
        return None if x.shape is None else len(x.shape)
    return np.ndim(x)


# -- arguments ----------------------------------------------------------------------------
def _dtype(dtype: Any, what: str, kind: str) -> str:
    """``dtype`` as a supported name (None: floatx for floats, int32 for ints), of ``kind``."""
    if dtype is None and kind == "int":
        return "int32"
    try:
        name = standardize_dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{what}: argument `dtype`: {error}") from None
    if kind == "float" and not is_float(name):
        raise ValueError(f"`{what}` requires a floating point `dtype`. Received: dtype={dtype}")
    if kind == "int" and not is_int(name):
        raise ValueError(f"`{what}` requires an integer `dtype`. Received: dtype={dtype}")
    return name


def _shape(shape: Any, what: str) -> tuple:
    """``shape`` checked: a tuple of non-negative ints and run-time dimensions (scalar int
    tensors from ``ops.shape``)."""
    if isinstance(shape, Tensor) or hasattr(shape, "_as_graph_tensor"):
        raise TypeError(f"{what}: argument `shape` must be a tuple of ints (dimensions from "
                        f"ops.shape(x) may be tensors), not the tensor '{shape.name}'")
    if isinstance(shape, str | bytes):
        raise TypeError(f"{what}: argument `shape` must be a tuple of ints, got {shape!r}")
    dims = static_shape(shape, f"{what}: argument `shape`")
    if dims is not None and any(d < 0 for d in dims):
        raise ValueError(f"{what}: argument `shape` has a negative dimension: {tuple(shape)}")
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    return tuple(shape) if dims is None else dims


def _like(shape: tuple, what: str) -> Any:
    """What a core random op takes as its shape: the static tuple, or zeros of the run-time
    shape (whose shape the sample takes)."""
    if all(isinstance(d, int) for d in shape):
        return shape
    return shape_tensor(shape, "float32", what)


def _positive(value: Any, what: str, name: str, allow_zero: bool = False) -> None:
    if is_weak(value) and (value < 0 or (value == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{what}: argument `{name}` must be {bound}. Received: {name}={value}")


def _as(value: Any, dtype: str) -> Any:
    """A tensor argument in ``dtype``; a Python number as it is (it takes the tensor's type)."""
    return value if is_weak(value) else tensor(value, dtype)


# -- continuous distributions -----------------------------------------------------------------
def normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = None,
           seed: Any = None) -> Any:
    """Samples from a normal distribution of ``mean`` and ``stddev`` (floats, or tensors
    broadcasting to ``shape``), in ``dtype`` (a float type; default ``floatx()``)."""
    what = "layerkit.random.normal"
    dtype = _dtype(dtype, what, "float")
    _positive(stddev, what, "stddev", allow_zero=True)
    return _sample(what, seed, _normal_graph, [mean, stddev], ["mean", "stddev"],
                   _shape(shape, what), dtype=dtype, op="normal")


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = None,
                     seed: Any = None) -> Any:
    """Normal samples more than two ``stddev`` from ``mean`` redrawn (as Keras)."""
    what = "layerkit.random.truncated_normal"
    dtype = _dtype(dtype, what, "float")
    _positive(stddev, what, "stddev", allow_zero=True)
    return _sample(what, seed, _normal_graph, [mean, stddev], ["mean", "stddev"],
                   _shape(shape, what), dtype=dtype, op="truncated")


def _normal_graph(key, mean, stddev, *, shape, dtype, op):
    draw = (graph_ops.stateless_random_normal if op == "normal"
            else graph_ops.stateless_truncated_normal)
    like = _like(shape, f"layerkit.random.{op}")
    if is_weak(mean) and is_weak(stddev):
        return draw(like, key, mean=mean, stddev=stddev, dtype=dtype)
    z = draw(like, key, dtype=dtype)
    return z * _as(stddev, dtype) + _as(mean, dtype)


def uniform(shape: Any, minval: Any = 0.0, maxval: Any = 1.0, dtype: Any = None,
            seed: Any = None) -> Any:
    """Samples drawn uniformly from ``[minval, maxval)``, in ``dtype`` (a float type)."""
    what = "layerkit.random.uniform"
    dtype = _dtype(dtype, what, "float")
    if is_weak(minval) and is_weak(maxval) and minval > maxval:
        raise ValueError(f"{what}: `minval` must not exceed `maxval`. Received: "
                         f"minval={minval}, maxval={maxval}")
    return _sample(what, seed, _uniform_graph, [minval, maxval], ["minval", "maxval"],
                   _shape(shape, what), dtype=dtype)


def _uniform_graph(key, minval, maxval, *, shape, dtype):
    like = _like(shape, "layerkit.random.uniform")
    if is_weak(minval) and is_weak(maxval):
        return graph_ops.stateless_random_uniform(like, key, minval, maxval, dtype=dtype)
    u = graph_ops.stateless_random_uniform(like, key, dtype=dtype)
    low, high = _as(minval, dtype), _as(maxval, dtype)
    return u * (high - low) + low


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Samples from a Gamma distribution of shape ``alpha`` (a float or a tensor broadcasting
    to ``shape``; scale 1)."""
    what = "layerkit.random.gamma"
    dtype = _dtype(dtype, what, "float")
    _positive(alpha, what, "alpha")
    return _sample(what, seed, _gamma_graph, [alpha], ["alpha"], _shape(shape, what),
                   dtype=dtype)


def _gamma_graph(key, alpha, *, shape, dtype):
    return graph_ops.stateless_random_gamma(_like(shape, "layerkit.random.gamma"), key,
                                            tensor(alpha, dtype), dtype=dtype)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Samples from a Beta distribution of ``alpha`` and ``beta`` (floats or tensors
    broadcasting to ``shape``): ``X / (X + Y)`` of two Gamma samples."""
    what = "layerkit.random.beta"
    dtype = _dtype(dtype, what, "float")
    _positive(alpha, what, "alpha")
    _positive(beta, what, "beta")
    return _sample(what, seed, _beta_graph, [alpha, beta], ["alpha", "beta"],
                   _shape(shape, what), dtype=dtype)


def _beta_graph(key, alpha, beta, *, shape, dtype):
    like = _like(shape, "layerkit.random.beta")
    computed = "float32" if dtype == "float16" else dtype  # float16 gammas underflow
    x = graph_ops.stateless_random_gamma(like, key, tensor(alpha, computed), dtype=computed)
    y = graph_ops.stateless_random_gamma(like, key + _SUBKEY, tensor(beta, computed),
                                         dtype=computed)
    return graph_ops.cast(x / (x + y), dtype)


# -- discrete distributions -------------------------------------------------------------------
def randint(shape: Any, minval: Any, maxval: Any, dtype: Any = "int32", seed: Any = None) -> Any:
    """Integers drawn uniformly from ``[minval, maxval)``, in ``dtype`` (an integer type)."""
    what = "layerkit.random.randint"
    dtype = _dtype(dtype, what, "int")
    for name, value in (("minval", minval), ("maxval", maxval)):
        if isinstance(value, float) or (is_weak(value) and isinstance(value, bool)):
            raise TypeError(f"{what}: argument `{name}` must be an int. Received: "
                            f"{name}={value!r}")
    if is_weak(minval) and is_weak(maxval) and minval >= maxval:
        raise ValueError(f"{what}: `minval` must be less than `maxval`. Received: "
                         f"minval={minval}, maxval={maxval}")
    return _sample(what, seed, _randint_graph, [minval, maxval], ["minval", "maxval"],
                   _shape(shape, what), dtype=dtype)


def _randint_graph(key, minval, maxval, *, shape, dtype):
    u = graph_ops.stateless_random_uniform(_like(shape, "layerkit.random.randint"), key,
                                           dtype="float64")
    low, high = _as(minval, "float64"), _as(maxval, "float64")
    span = high - low
    picked = graph_ops.minimum(graph_ops.floor(u * span), span - 1.0) + low
    return graph_ops.cast(picked, dtype)


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None,
             seed: Any = None) -> Any:
    """Samples of a Binomial distribution: successes in ``counts`` trials of probability
    ``probabilities`` (numbers or tensors broadcasting to ``shape``), as floats (``dtype``)."""
    what = "layerkit.random.binomial"
    dtype = _dtype(dtype, what, "float")
    _positive(counts, what, "counts", allow_zero=True)
    if is_weak(probabilities) and not 0.0 <= probabilities <= 1.0:
        raise ValueError(f"{what}: argument `probabilities` must be in [0, 1]. Received: "
                         f"probabilities={probabilities}")
    return _sample(what, seed, _binomial_graph, [counts, probabilities],
                   ["counts", "probabilities"], _shape(shape, what), dtype=dtype)


def _binomial_graph(key, counts, probabilities, *, shape, dtype):
    computed = "float32" if dtype == "float16" else dtype
    sample = graph_ops.stateless_random_binomial(
        _like(shape, "layerkit.random.binomial"), key, tensor(counts, computed),
        tensor(probabilities, computed), dtype=computed)
    return graph_ops.cast(sample, dtype)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """``num_samples`` class indices per row of ``logits`` (batch, classes), each drawn with
    probability ``softmax(row)``: an int tensor of shape (batch, num_samples)."""
    what = "layerkit.random.categorical"
    dtype = _dtype(dtype, what, "int")
    rank = _rank(logits)
    if rank is not None and rank != 2:
        raise ValueError(f"{what}: `logits` should be a 2-D tensor with shape [batch_size, "
                         f"num_classes]. Received: logits of shape {tuple(np.shape(logits))}")
    if not isinstance(num_samples, int | np.integer) or isinstance(num_samples, bool) \
            or num_samples < 1:
        raise ValueError(f"{what}: argument `num_samples` must be a positive int. Received: "
                         f"num_samples={num_samples!r}")
    return _sample(what, seed, _categorical_graph, [logits], ["logits"],
                   num_samples=int(num_samples), dtype=dtype)


def _categorical_graph(key, logits, *, shape, num_samples, dtype):
    # The Gumbel-max trick: argmax(logits + Gumbel noise) is a draw from softmax(logits).
    logits = float_tensor(logits)
    if logits.dtype.name == "float16":
        logits = graph_ops.cast(logits, "float32")
    float_dtype = logits.dtype.name
    rows = graph_ops.expand_dims(logits, 1)  # (batch, 1, classes)
    like = graph_ops.zeros_like(rows) + np.zeros((1, num_samples, 1), float_dtype)
    tiny = float(np.finfo(float_dtype).tiny)
    u = graph_ops.stateless_random_uniform(like, key, minval=tiny, maxval=1.0, dtype=float_dtype)
    gumbel = -graph_ops.log(-graph_ops.log(u))
    return graph_ops.cast(graph_ops.argmax(rows + gumbel, axis=-1), dtype)


# -- on a tensor ------------------------------------------------------------------------------
def dropout(inputs: Any, rate: Any, noise_shape: Any = None, seed: Any = None) -> Any:
    """``inputs`` with each element (or each slice, with ``noise_shape``) zeroed with
    probability ``rate`` and the rest scaled by ``1 / (1 - rate)``."""
    what = "layerkit.random.dropout"
    if is_weak(rate):
        if isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"{what}: argument `rate` must be a float in [0, 1]. Received: "
                             f"rate={rate!r}")
    check_seed(seed, what)
    noise = None if noise_shape is None else _noise_shape(noise_shape, ops_shape(inputs), what)
    if is_weak(rate) and rate == 0.0:  # no draw: a SeedGenerator does not advance
        return inputs if is_symbolic(inputs) else as_eager_result(eager_value(inputs, what))
    return _sample(what, seed, _dropout_graph, [inputs, rate], ["inputs", "rate"], noise)


def _noise_shape(noise_shape: Any, x_shape: tuple, what: str) -> tuple:
    """``noise_shape`` with None filled in from the inputs' shape ``x_shape``."""
    if not isinstance(noise_shape, Sequence) or len(noise_shape) != len(x_shape):
        raise ValueError(f"{what}: argument `noise_shape` must be a tuple of the inputs' rank "
                         f"{len(x_shape)}. Received: noise_shape={noise_shape!r}")
    dims = []
    for n, d in zip(noise_shape, x_shape):
        if n is None:
            dims.append(d)
            continue
        if not isinstance(n, int | np.integer) or (n != 1 and isinstance(d, int) and n != d):
            raise ValueError(f"{what}: `noise_shape` {tuple(noise_shape)} does not broadcast "
                             f"to the inputs' shape (each entry None, 1 or the inputs' size)")
        dims.append(int(n))
    return tuple(dims)


def _dropout_graph(key, inputs, rate, *, shape):
    x = float_tensor(inputs)
    if is_weak(rate) and rate == 1.0:
        return graph_ops.zeros_like(x)
    keep = 1.0 - _as(rate, x.dtype.name)
    like = x if shape is None else _like(shape, "layerkit.random.dropout")  # the mask's shape
    u = graph_ops.stateless_random_uniform(like, key, dtype=x.dtype.name)
    return graph_ops.where(u < keep, x / keep, graph_ops.zeros_like(x))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """``x`` with the elements of each slice along ``axis`` permuted at random, each slice
    independently (as Keras's jax backend does)."""
    what = "layerkit.random.shuffle"
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
        raise TypeError(f"{what}: argument `axis` must be an int. Received: axis={axis!r}")
    rank = _rank(x)
    if rank is not None and (rank == 0 or not -rank <= axis < rank):
        raise ValueError(f"{what}: argument `axis` {axis} is out of range for a tensor of "
                         f"rank {rank}")
    return _sample(what, seed, _shuffle_graph, [x], ["x"], axis=int(axis))


def _shuffle_graph(key, x, *, shape, axis):
    return graph_ops.stateless_random_shuffle(tensor(x), key, axis=axis)

