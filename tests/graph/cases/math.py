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
