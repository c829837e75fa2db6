"""Cases for ``scan`` (``layerkit.graph.ops.control``): the catalog checks forward values against
plain Python loops and back-propagation through time against finite differences."""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform


def _rnn(x, h0, w):
    """tanh RNN whose weight ``w`` is captured from the enclosing graph."""
    def step(h, xt):
        h = ops.tanh(xt + ops.sum(ops.multiply(w, h), axis=1))
        return h, h * 2.0
    return ops.scan(step, h0, x)


def _rnn_ref(x, h0, w, reverse=False):
    h, ys = h0, [None] * len(x)
    for t in (reversed(range(len(x))) if reverse else range(len(x))):
        h = np.tanh(x[t] + np.sum(w * h, axis=1))
        ys[t] = h * 2.0
    return h, np.stack(ys)


def _rnn_reverse(x, h0, w):
    def step(h, xt):
        h = ops.tanh(xt + ops.sum(ops.multiply(w, h), axis=1))
        return h, h * 2.0
    return ops.scan(step, h0, x, reverse=True)


def _two_carries(x, a0, b0):
    """A pair of carries, two sequences in and two outputs per step."""
    def step(carry, xs):
        a, b = carry
        x1, x2 = xs
        a = a * ops.sigmoid(x1) + b
        b = b * 0.5 + x2 * a
        return [a, b], [a + b, a * b]
    (a, b), (y1, y2) = ops.scan(step, [a0, b0], [x, x * 0.5])
    return a, b, y1, y2


def _two_carries_ref(x, a0, b0):
    a, b, y1, y2 = a0, b0, [], []
    for t in range(len(x)):
        a = a * (1 / (1 + np.exp(-x[t]))) + b
        b = b * 0.5 + (x[t] * 0.5) * a
        y1.append(a + b)
        y2.append(a * b)
    return a, b, np.stack(y1), np.stack(y2)


def _no_xs(c0, w):
    final, ys = ops.scan(lambda c, _: (c * w + 0.1, ops.sum(c)), c0, length=4)
    return final, ys


def _no_xs_ref(c0, w):
    c, ys = c0, []
    for _ in range(4):
        ys.append(np.sum(c))
        c = c * w + 0.1
    return c, np.stack(ys)


def _nested(x, w):
    """A scan inside a scan body; ``w`` is captured through both levels."""
    def outer(total, row):
        inner, _ = ops.scan(lambda c, v: (ops.tanh(c * w + v), None), total, row)
        return inner, inner
    return ops.scan(outer, x[0, 0] * 0.0, x)


def _nested_ref(x, w):
    total, ys = np.zeros_like(x[0, 0]), []
    for row in x:
        for v in row:
            total = np.tanh(total * w + v)
        ys.append(total)
    return total, np.stack(ys)


CASES = [
    OpCase("scan-rnn", "scan", _rnn,
           lambda rng, dt: [uniform(rng, (5, 3), dt), uniform(rng, (3,), dt),
                            uniform(rng, (3, 3), dt)], _rnn_ref),
    OpCase("scan-rnn-dynamic", "scan", _rnn,
           lambda rng, dt: [uniform(rng, (4, 2), dt), uniform(rng, (2,), dt),
                            uniform(rng, (2, 2), dt)], _rnn_ref, static_shapes=False),
    OpCase("scan-reverse", "scan", _rnn_reverse,
           lambda rng, dt: [uniform(rng, (4, 2), dt), uniform(rng, (2,), dt),
                            uniform(rng, (2, 2), dt)],
           lambda x, h0, w: _rnn_ref(x, h0, w, reverse=True)),
    OpCase("scan-two-carries", "scan", _two_carries,
           lambda rng, dt: [uniform(rng, (4, 3), dt), uniform(rng, (3,), dt),
                            uniform(rng, (3,), dt)], _two_carries_ref),
    OpCase("scan-no-xs", "scan", _no_xs,
           lambda rng, dt: [uniform(rng, (2, 2), dt), uniform(rng, (2, 2), dt)], _no_xs_ref),
    OpCase("scan-nested", "scan", _nested,
           lambda rng, dt: [uniform(rng, (3, 2, 2), dt), uniform(rng, (2,), dt)], _nested_ref),
]
