"""Random ops: uniform, normal, truncated normal and Bernoulli samples.

Every random op carries an int ``seed`` attribute; a program call combines it with its own seed,
so the values differ from run to run but are reproducible given the graph's seed. ``shape`` is a
static shape, or a tensor whose *run-time* shape the sample takes (the tensor is then the op's
only input), so e.g. a dropout mask can match a batch whose size is unknown at build time.
"""

from __future__ import annotations

__all__ = ["random_uniform", "random_normal", "truncated_normal", "random_bernoulli"]

import secrets
from collections.abc import Sequence

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import apply1, define_op
from layerkit.graph.shapes import as_shape

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
