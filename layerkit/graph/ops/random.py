"""Random ops: uniform, normal, truncated normal and Bernoulli samples.

Every random op carries an int ``seed`` attribute; a program call combines it with its own seed,
so the values differ from run to run but are reproducible given the graph's seed. ``shape`` is a
static shape, or a tensor whose *run-time* shape the sample takes (the tensor is then the op's
only input), so e.g. a dropout mask can match a batch whose size is unknown at build time.

The *stateless* ops (``stateless_random_uniform``, ...) draw from an explicit ``key`` instead: an
int32 tensor of shape (2,) that is their first input. Their values are a function of the key
(and the backend) alone, the same on every run, so they are not ``random`` in the op-definition
sense (they never read the program's seed); a caller gets fresh values by feeding a fresh key,
e.g. one a variable advances each run (``layerkit.random.SeedGenerator``). Parameters given as
tensors (``alpha``, ``counts``...) broadcast to the sample's shape; a tensor whose run-time shape
the sample takes comes last.
"""

from __future__ import annotations

__all__ = ["random_uniform", "random_normal", "truncated_normal", "random_bernoulli",
           "stateless_random_uniform", "stateless_random_normal", "stateless_truncated_normal",
           "stateless_random_gamma", "stateless_random_binomial", "stateless_random_shuffle"]

import secrets
from collections.abc import Sequence

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import apply1, convert_to_tensor, define_op
from layerkit.graph.shapes import as_shape, fmt

ShapeLike = Sequence[int] | Tensor


def _random_rule(*inputs, shape, dtype, floats_only: bool):
    if floats_only and not dtypes.is_floating(dtype):
        raise TypeError(f"dtype must be floating-point, got {dtype.name}")
    return (inputs[0].shape if inputs else shape), dtype


@define_op("random_uniform", differentiable=False, random=True)
def _uniform_rule(*inputs, shape, dtype, seed, minval, maxval):
    if minval > maxval:
        raise ValueError(f"minval {minval} is greater than maxval {maxval}")
    return _random_rule(*inputs, shape=shape, dtype=dtype, floats_only=True)


@define_op("random_normal", differentiable=False, random=True)
@define_op("truncated_normal", differentiable=False, random=True)
def _normal_rule(*inputs, shape, dtype, seed, mean, stddev):
    if stddev < 0:
        raise ValueError(f"stddev {stddev} is negative")
    return _random_rule(*inputs, shape=shape, dtype=dtype, floats_only=True)


@define_op("random_bernoulli", differentiable=False, random=True)
def _bernoulli_rule(*inputs, shape, dtype, seed, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p {p} is not a probability in [0, 1]")
    return _random_rule(*inputs, shape=shape, dtype=dtype, floats_only=False)


def op_seed(seed: int | None) -> int:
    """The ``seed`` attribute of a new random op.

    An explicit seed is kept. Otherwise, as in TensorFlow 1: with a graph seed, combine it with
    the number of ops created so far (so rebuilding the same graph gives the same seeds); without
    one, a fresh random int.
    """
    if seed is not None:
        return int(seed)
    graph = get_default_graph()
    if graph.seed is None:
        return secrets.randbits(31)
    return hash((int(graph.seed), len(graph.get_operations()))) & 0x7FFFFFFF


def _sample(op_type: str, shape: ShapeLike, dtype, seed, params: dict, name) -> Tensor:
    attrs = {"dtype": dtypes.as_dtype(dtype), "seed": op_seed(seed),
             **{k: float(v) for k, v in params.items()}}
    if hasattr(shape, "_as_graph_tensor"):  # a Variable: take its tensor's shape
        shape = shape._as_graph_tensor()
    if isinstance(shape, Tensor):
        return apply1(op_type, [shape], {"shape": None, **attrs}, name=name)
    static = as_shape(shape)
    if static is None or None in static:
        raise ValueError(f"{op_type}: a static shape must be fully known, got {shape!r}; pass a "
                         "tensor to take its run-time shape")
    return apply1(op_type, [], {"shape": static, **attrs}, name=name)


def random_uniform(shape: ShapeLike, minval: float = 0.0, maxval: float = 1.0,
                   dtype="float32", seed: int | None = None, name: str | None = None) -> Tensor:
    """Floats drawn uniformly from ``[minval, maxval)``."""
    return _sample("random_uniform", shape, dtype, seed, {"minval": minval, "maxval": maxval},
                   name)


def random_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 1.0, dtype="float32",
                  seed: int | None = None, name: str | None = None) -> Tensor:
    """Floats drawn from a normal distribution."""
    return _sample("random_normal", shape, dtype, seed, {"mean": mean, "stddev": stddev}, name)


def truncated_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 1.0, dtype="float32",
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples, redrawn while more than 2 ``stddev`` from ``mean`` (as in TensorFlow)."""
    return _sample("truncated_normal", shape, dtype, seed, {"mean": mean, "stddev": stddev},
                   name)


def random_bernoulli(shape: ShapeLike, p: float = 0.5, dtype="float32", seed: int | None = None,
                     name: str | None = None) -> Tensor:
    """1 with probability ``p``, else 0 (e.g. a dropout keep-mask)."""
    return _sample("random_bernoulli", shape, dtype, seed, {"p": p}, name)


# -- stateless ops: the key is an input --------------------------------------------------------
def _check_key(key: Tensor) -> None:
    if key.dtype != dtypes.int32:
        raise TypeError(f"key must be an int32 tensor, got {key.dtype.name}")
    if key.shape is not None and (len(key.shape) != 1 or key.shape[0] not in (2, None)):
        raise ValueError(f"key must have shape (2,), got {fmt(key.shape)}")


def _check_params(out_shape, **params: Tensor) -> None:
    """Each parameter tensor is floating and broadcasts to the sample's shape."""
    for name, p in params.items():
        if not dtypes.is_floating(p.dtype):
            raise TypeError(f"{name} must be a floating-point tensor, got {p.dtype.name}")
        if p.shape is None or out_shape is None or None in out_shape or None in p.shape:
            continue
        if len(p.shape) > len(out_shape) or any(
                a not in (1, b) for a, b in zip(reversed(p.shape), reversed(out_shape))):
            raise ValueError(f"{name} of shape {fmt(p.shape)} does not broadcast to the sample's "
                             f"shape {fmt(out_shape)}")


@define_op("stateless_random_uniform", differentiable=False)
def _stateless_uniform_rule(key, *like, shape, dtype, minval, maxval):
    _check_key(key)
    return _uniform_rule(*like, shape=shape, dtype=dtype, seed=0, minval=minval, maxval=maxval)


@define_op("stateless_random_normal", differentiable=False)
@define_op("stateless_truncated_normal", differentiable=False)
def _stateless_normal_rule(key, *like, shape, dtype, mean, stddev):
    _check_key(key)
    return _normal_rule(*like, shape=shape, dtype=dtype, seed=0, mean=mean, stddev=stddev)


@define_op("stateless_random_gamma", differentiable=False)
def _stateless_gamma_rule(key, alpha, *like, shape, dtype):
    _check_key(key)
    out = _random_rule(*like, shape=shape, dtype=dtype, floats_only=True)
    _check_params(out[0], alpha=alpha)
    return out


@define_op("stateless_random_binomial", differentiable=False)
def _stateless_binomial_rule(key, counts, probabilities, *like, shape, dtype):
    _check_key(key)
    out = _random_rule(*like, shape=shape, dtype=dtype, floats_only=True)
    _check_params(out[0], counts=counts, probabilities=probabilities)
    return out


@define_op("stateless_random_shuffle", differentiable=False)
def _stateless_shuffle_rule(key, x, *, axis):
    _check_key(key)
    if x.shape is not None:
        if not -len(x.shape) <= axis < len(x.shape):
            raise IndexError(f"axis {axis} is out of range for a tensor of rank {len(x.shape)}")
    return x.shape, x.dtype


def _key(key) -> Tensor:
    if hasattr(key, "_as_graph_tensor"):
        key = key._as_graph_tensor()
    return key if isinstance(key, Tensor) else convert_to_tensor(key, dtype=dtypes.int32)


def _stateless(op_type: str, shape: ShapeLike, key, params: Sequence, dtype, attrs: dict,
               name) -> Tensor:
    inputs = [_key(key), *(convert_to_tensor(p) for p in params)]
    attrs = {"dtype": dtypes.as_dtype(dtype), **attrs}
    if hasattr(shape, "_as_graph_tensor"):  # a Variable: take its tensor's shape
        shape = shape._as_graph_tensor()
    if isinstance(shape, Tensor):
        return apply1(op_type, [*inputs, shape], {"shape": None, **attrs}, name=name)
    static = as_shape(shape)
    if static is None or None in static:
        raise ValueError(f"{op_type}: a static shape must be fully known, got {shape!r}; pass a "
                         "tensor to take its run-time shape")
    return apply1(op_type, inputs, {"shape": static, **attrs}, name=name)


def stateless_random_uniform(shape: ShapeLike, key, minval: float = 0.0, maxval: float = 1.0,
                             dtype="float32", name: str | None = None) -> Tensor:
    """Floats drawn uniformly from ``[minval, maxval)``, a function of ``key`` (int32, (2,))."""
    return _stateless("stateless_random_uniform", shape, key, [], dtype,
                      {"minval": float(minval), "maxval": float(maxval)}, name)


def stateless_random_normal(shape: ShapeLike, key, mean: float = 0.0, stddev: float = 1.0,
                            dtype="float32", name: str | None = None) -> Tensor:
    """Floats drawn from a normal distribution, a function of ``key``."""
    return _stateless("stateless_random_normal", shape, key, [], dtype,
                      {"mean": float(mean), "stddev": float(stddev)}, name)


def stateless_truncated_normal(shape: ShapeLike, key, mean: float = 0.0, stddev: float = 1.0,
                               dtype="float32", name: str | None = None) -> Tensor:
    """Normal samples within 2 ``stddev`` of ``mean`` (redrawn beyond), a function of ``key``."""
    return _stateless("stateless_truncated_normal", shape, key, [], dtype,
                      {"mean": float(mean), "stddev": float(stddev)}, name)


def stateless_random_gamma(shape: ShapeLike, key, alpha, dtype="float32",
                           name: str | None = None) -> Tensor:
    """Gamma samples of shape parameter ``alpha`` (a float tensor broadcasting to the sample's
    shape; scale 1), a function of ``key``."""
    return _stateless("stateless_random_gamma", shape, key, [alpha], dtype, {}, name)


def stateless_random_binomial(shape: ShapeLike, key, counts, probabilities, dtype="float32",
                              name: str | None = None) -> Tensor:
    """Binomial samples: successes in ``counts`` trials of probability ``probabilities`` (float
    tensors broadcasting to the sample's shape), as floats, a function of ``key``."""
    return _stateless("stateless_random_binomial", shape, key, [counts, probabilities], dtype,
                      {}, name)


def stateless_random_shuffle(x, key, axis: int = 0, name: str | None = None) -> Tensor:
    """``x`` with the elements of each 1-D slice along ``axis`` permuted at random, each slice
    independently (``jax.random.permutation(..., independent=True)``), a function of ``key``."""
    return apply1("stateless_random_shuffle", [_key(key), convert_to_tensor(x)],
                  {"axis": int(axis)}, name=name)
