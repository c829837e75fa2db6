"""Cases for element-wise and reduction ops (``layerkit.graph.ops.math``)."""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, away_from, distinct, positive, uniform

BROADCAST_PAIRS = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((), (2, 3)),
                   ((2, 1, 3), (4, 1))]


def _binary(op, ref, make=uniform, make_y=None, pairs=BROADCAST_PAIRS, **kw):
    make_y = make_y or make
    return [
        OpCase(f"{op}-{a}-{b}", op, getattr(ops, op),
               lambda rng, dt, a=a, b=b: [make(rng, a, dt), make_y(rng, b, dt)], ref, **kw)
        for a, b in pairs
    ]


def _unary(op, ref, make=uniform, shapes=((3, 4), (), (2, 3, 2)), **kw):
    return [OpCase(f"{op}-{s}", op, getattr(ops, op), lambda rng, dt, s=s: [make(rng, s, dt)],
                   ref, **kw) for s in shapes]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _reduce(op, ref, make=uniform):
    cases = []
    for shape, axis, keep in [((3, 4), None, False), ((3, 4), 0, False), ((2, 3, 4), (0, 2), True),
                              ((2, 3, 4), -1, False), ((5,), 0, True)]:
        cases.append(OpCase(
            f"{op}-{shape}-axis{axis}-keep{keep}", op,
            lambda x, axis=axis, keep=keep: getattr(ops, op)(x, axis=axis, keepdims=keep),
            lambda rng, dt, shape=shape: [make(rng, shape, dt)],
            lambda x, axis=axis, keep=keep: ref(x, axis=axis, keepdims=keep)))
    return cases


def _within(low, high):
    """Uniform inputs in ``[low, high]``: inside an op's domain, away from its poles."""
    return lambda rng, shape, dt: uniform(rng, shape, dt, low, high)


def _signed(rng, shape, dt):
    """Magnitudes in [0.5, 1.5] of either sign: products of many stay near 1."""
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return (sign * rng.uniform(0.5, 1.5, size=shape)).astype(dt)


def _with_zeros(shape, zeros, make=_signed):
    """``make``'s inputs with 0 at the ``zeros`` indices (where ``x / x`` tricks would fail)."""
    def inputs(rng, dt):
        x = make(rng, shape, dt)
        for index in zeros:
            x[index] = 0
        return [x]
    return inputs


def _no_gradient(op, ref, offsets, scale=1.0, **attrs):
    """``op(x) * x``: the op passes no gradient, so d/dx is ``op(x)``. Inputs are
    ``scale * (integer + offset)``, offsets in ``offsets`` chosen away from the op's jumps."""
    def inputs(rng, dt):
        steps = rng.integers(-3, 3, size=(3, 4)) + rng.uniform(*offsets, size=(3, 4))
        return [(scale * steps).astype(dt)]
    suffix = "".join(f"-{k}{v}" for k, v in attrs.items())
    return OpCase(f"{op}-no-gradient{suffix}", op, lambda x: getattr(ops, op)(x, **attrs) * x,
                  inputs, lambda x: ref(x, **attrs) * x)


def _quotient_pair(a, b):
    """``x`` of shape ``a`` and ``y`` of shape ``b`` whose quotients, however they broadcast, stay
    at least 0.07 from an integer (where mod and floor_divide jump): ``|y|`` within 2% of 1.5
    and ``|x| / 1.5`` within 0.15 of a half-integer below 4."""
    def inputs(rng, dt):
        def sign(shape):
            return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
        x = sign(a) * (rng.integers(0, 4, size=a) + rng.uniform(0.15, 0.85, size=a)) * 1.5
        y = sign(b) * rng.uniform(1.0, 1.02, size=b) * 1.5
        return [x.astype(dt), y.astype(dt)]
    return inputs


def _int_pair(rng, dt):
    y = rng.integers(1, 5, size=(4,)) * np.where(rng.uniform(size=(4,)) < 0.5, -1, 1)
    return [rng.integers(-9, 10, size=(3, 4)).astype(np.int32), y.astype(np.int32)]


def _cumulative(op, ref, make=uniform):
    return [OpCase(f"{op}-{shape}-axis{axis}{'' if static else '-dynamic'}", op,
                   lambda x, axis=axis: getattr(ops, op)(x, axis=axis),
                   lambda rng, dt, shape=shape: [make(rng, shape, dt)],
                   lambda x, axis=axis: ref(x, axis=axis), static_shapes=static)
            for shape, axis, static in [((3, 4), None, True), ((3, 4), 0, True),
                                        ((2, 3, 4), -1, True), ((), None, True),
                                        ((2, 3), None, False), ((2, 5), 1, False)]]


def _logsumexp_ref(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


CASES = [
    *_binary("add", np.add),
    *_binary("subtract", np.subtract),
    *_binary("multiply", np.multiply),
    *_binary("divide", np.divide, make_y=positive),
    *_binary("power", np.power, make=positive, make_y=uniform),
    *_binary("maximum", np.maximum, make=distinct, pairs=[((3, 4), (3, 4)), ((2, 3), (3,))]),
    *_binary("minimum", np.minimum, make=distinct, pairs=[((3, 4), (3, 4)), ((2, 3), (3,))]),
    # y away from 0 of either sign: arctan2 jumps by 2 pi where y crosses 0 with x < 0.
    *_binary("arctan2", np.arctan2, make=away_from, make_y=uniform),
    *[OpCase(f"mod-{a}-{b}", "mod", ops.mod, _quotient_pair(a, b), np.mod)
      for a, b in BROADCAST_PAIRS],
    OpCase("mod-int", "mod", ops.mod, _int_pair, np.mod, grad=[]),
    *[OpCase(f"floor_divide-{a}-{b}", "floor_divide", ops.floor_divide, _quotient_pair(a, b),
             np.floor_divide, grad=[]) for a, b in BROADCAST_PAIRS[:3]],
    OpCase("floor_divide-int", "floor_divide", ops.floor_divide, _int_pair, np.floor_divide,
           grad=[]),
    # The operators, and floor_divide passing no gradient: d/dx is that of x % y alone.
    OpCase("mod-floordiv-operators", "floor_divide", lambda x, y: x % y + x // y,
           _quotient_pair((3, 4), (4,)), lambda x, y: np.mod(x, y) + np.floor_divide(x, y)),
    *[c for op, ref in [("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less),
                        ("less_equal", np.less_equal), ("greater", np.greater),
                        ("greater_equal", np.greater_equal)]
      for c in _binary(op, ref, pairs=[((3, 4), (4,))], grad=[])],
    *_unary("negative", np.negative),
    *_unary("abs", np.abs, make=away_from),
    *_unary("sign", np.sign, make=away_from, grad=[]),
    *_unary("square", np.square),
    *_unary("exp", np.exp),
    *_unary("log", np.log, make=positive),
    *_unary("sqrt", np.sqrt, make=positive),
    *_unary("relu", lambda x: np.maximum(x, 0), make=away_from),
    *_unary("sigmoid", _sigmoid),
    OpCase("sigmoid-extreme", "sigmoid", ops.sigmoid,
           lambda rng, dt: [np.array([-800.0, -30.0, 0.0, 30.0, 800.0], dt)],
           lambda x: np.array([0.0, _sigmoid(-30.0), 0.5, _sigmoid(30.0), 1.0]), grad=[]),
    *_unary("tanh", np.tanh),
    *_unary("softplus", lambda x: np.logaddexp(x, 0)),
    OpCase("softplus-extreme", "softplus", ops.softplus,
           lambda rng, dt: [np.array([-800.0, 0.0, 800.0], dt)],
           lambda x: np.array([0.0, np.log(2.0), 800.0]), grad=[]),
    *_unary("identity", lambda x: x),
    *_unary("sin", np.sin, make=_within(-4.0, 4.0)),
    *_unary("cos", np.cos, make=_within(-4.0, 4.0)),
    *_unary("tan", np.tan, make=_within(-1.2, 1.2)),  # poles at +-pi/2
    *_unary("arcsin", np.arcsin, make=_within(-0.9, 0.9)),
    *_unary("arccos", np.arccos, make=_within(-0.9, 0.9)),
    *_unary("arctan", np.arctan, make=_within(-3.0, 3.0)),
    *_unary("sinh", np.sinh, make=_within(-2.0, 2.0)),
    *_unary("cosh", np.cosh, make=_within(-2.0, 2.0)),
    *_unary("arcsinh", np.arcsinh, make=_within(-3.0, 3.0)),
    *_unary("arccosh", np.arccosh, make=_within(1.1, 3.0)),
    *_unary("arctanh", np.arctanh, make=_within(-0.9, 0.9)),
    *_unary("log1p", np.log1p, make=_within(-0.5, 2.0)),
    *_unary("expm1", np.expm1, make=_within(-2.0, 2.0)),
    OpCase("log1p-expm1-tiny", "log1p", lambda x: (ops.log1p(x), ops.expm1(x)),
           lambda rng, dt: [np.array([1e-12, -3e-9, 1e-5], dt)],
           lambda x: (np.log1p(x), np.expm1(x)), rtol=1e-6, atol=0),
    # floor, ceil and round pass no gradient, as sign (differentiable=False; JAX's is 0 too).
    *_unary("floor", np.floor, make=_within(-3.0, 3.0), grad=[]),
    *_unary("ceil", np.ceil, make=_within(-3.0, 3.0), grad=[]),
    *_unary("round", np.round, make=_within(-3.0, 3.0), grad=[]),
    _no_gradient("floor", np.floor, (0.1, 0.9)),
    _no_gradient("ceil", np.ceil, (0.1, 0.9)),
    _no_gradient("round", np.round, (-0.4, 0.4)),
    _no_gradient("round", np.round, (-0.4, 0.4), scale=0.1, decimals=1),
    OpCase("round-halves-to-even", "round", ops.round,
           lambda rng, dt: [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -3.7], dt)],
           np.round, grad=[]),
    # Off the halfway points, so float32 and float64 inputs round the same way.
    OpCase("round-decimals", "round", lambda x: ops.round(x, decimals=2),
           lambda rng, dt: [(rng.integers(-500, 500, size=(3, 4)) / 100 + 0.003).astype(dt)],
           lambda x: np.round(x, 2)),
    OpCase("round-negative-decimals", "round", lambda x: ops.round(x, decimals=-1),
           lambda rng, dt: [(rng.integers(-50, 50, size=(5,)) * 10 + 3.3).astype(dt)],
           lambda x: np.round(x, -1)),
    *[OpCase(op, op, getattr(ops, op),
             lambda rng, dt: [np.array([[np.nan, np.inf, -np.inf], [0.0, -1.5, 1e30]], dt)],
             getattr(np, op), grad=[]) for op in ("isnan", "isinf", "isfinite")],
    OpCase("stop_gradient", "stop_gradient", lambda x: ops.stop_gradient(x) * x,
           lambda rng, dt: [uniform(rng, (3,), dt)], lambda x: x * x,
           grad=[]),  # its gradient is checked in tests/graph/test_gradients.py
    OpCase("cast-f-i", "cast", lambda x: ops.cast(x, "int32"),
           lambda rng, dt: [uniform(rng, (3, 2), dt, -5, 5)], lambda x: x.astype(np.int32),
           grad=[]),
    OpCase("cast-f-f", "cast", lambda x: ops.cast(x, "float16") if x.dtype != np.float16 else x,
           lambda rng, dt: [uniform(rng, (4,), dt)], lambda x: x.astype(np.float16), grad=[],
           rtol=1e-3, atol=1e-3),
    OpCase("clip", "clip", lambda x: ops.clip(x, -0.5, 0.5),
           lambda rng, dt: [away_from(rng, (4, 3), dt, points=(-0.5, 0.5))],
           lambda x: np.clip(x, -0.5, 0.5)),
    OpCase("where", "where", lambda c, x, y: ops.where(c, x, y),
           lambda rng, dt: [rng.uniform(size=(3, 1)) > 0.5, uniform(rng, (3, 4), dt),
                            uniform(rng, (4,), dt)], np.where),
    OpCase("logical", "logical_and",
           lambda a, b: ops.logical_or(ops.logical_and(a, b), ops.logical_not(b)),
           lambda rng, dt: [rng.uniform(size=(5,)) > 0.5, rng.uniform(size=(5,)) > 0.5],
           lambda a, b: (a & b) | ~b, grad=[]),
    OpCase("logical_or", "logical_or", ops.logical_or,
           lambda rng, dt: [rng.uniform(size=(5,)) > 0.5, rng.uniform(size=(5,)) > 0.5],
           np.logical_or, grad=[]),
    OpCase("logical_not", "logical_not", ops.logical_not,
           lambda rng, dt: [rng.uniform(size=(5,)) > 0.5], np.logical_not, grad=[]),
    *_reduce("sum", np.sum),
    *_reduce("mean", np.mean),
    *_reduce("max", np.max, make=distinct),
    *_reduce("min", np.min, make=distinct),
    *_reduce("logsumexp", _logsumexp_ref),
    *_reduce("prod", np.prod, make=_signed),
    # One zero in a slice: its gradient is the product of the others, not nan (no prod / x);
    # two zeros: the whole slice's gradient is 0. Finite differences are exact (prod is linear
    # in each element).
    OpCase("prod-zeros", "prod", lambda x: ops.prod(x, axis=1),
           _with_zeros((3, 4), [(0, 2), (1, 0), (1, 3)]), lambda x: np.prod(x, axis=1)),
    OpCase("prod-zero-axes-keepdims", "prod", lambda x: ops.prod(x, axis=(0, 2), keepdims=True),
           _with_zeros((2, 3, 4), [(1, 1, 2)]),
           lambda x: np.prod(x, axis=(0, 2), keepdims=True)),
    OpCase("prod-zero-all", "prod", ops.prod, _with_zeros((2, 3), [(1, 2)]), np.prod),
    OpCase("prod-int", "prod", lambda x: ops.prod(x, axis=0),
           lambda rng, dt: [rng.integers(-3, 4, size=(3, 2)).astype(np.int32)],
           lambda x: np.prod(x, axis=0), grad=[]),
    *_cumulative("cumsum", np.cumsum),
    *_cumulative("cumprod", np.cumprod, make=_signed),
    OpCase("cumprod-zeros", "cumprod", lambda x: ops.cumprod(x, axis=1),
           _with_zeros((3, 5), [(0, 1), (1, 2), (1, 4), (2, 4)]),
           lambda x: np.cumprod(x, axis=1)),
    OpCase("cumprod-zero-flat", "cumprod", ops.cumprod, _with_zeros((2, 3), [(0, 2)]),
           np.cumprod),
    *[OpCase(f"{op}-int", op, lambda x, op=op: getattr(ops, op)(x, axis=0),
             lambda rng, dt: [rng.integers(-3, 4, size=(4, 2)).astype(np.int32)],
             lambda x, op=op: getattr(np, op)(x, axis=0, dtype=np.int32), grad=[])
      for op in ("cumsum", "cumprod")],
    OpCase("max-ties", "max", lambda x: ops.max(x, axis=1),
           lambda rng, dt: [np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], dt)],
           lambda x: np.max(x, axis=1), grad=[]),
    OpCase("logsumexp-large", "logsumexp", lambda x: ops.logsumexp(x, axis=-1),
           lambda rng, dt: [np.array([[1000.0, 1000.0], [-1000.0, -1000.0]], dt)],
           lambda x: np.array([1000.0 + np.log(2.0), -1000.0 + np.log(2.0)])),
    OpCase("argmax", "argmax", lambda x: ops.argmax(x, axis=1),
           lambda rng, dt: [distinct(rng, (3, 4), dt)], lambda x: np.argmax(x, axis=1), grad=[]),
    OpCase("argmin", "argmin", lambda x: ops.argmin(x, axis=0),
           lambda rng, dt: [distinct(rng, (3, 4), dt)], lambda x: np.argmin(x, axis=0), grad=[]),
    OpCase("sum-int", "sum", lambda x: ops.sum(x, axis=0),
           lambda rng, dt: [rng.integers(-5, 5, size=(3, 2)).astype(np.int32)],
           lambda x: np.sum(x, axis=0), grad=[]),
]
