"""The numpy backend's ``needs`` mask: a reverse sweep computes only the cotangents someone reads.

An input needs a cotangent only if it depends on the gradient's xs. The plan computes the mask
(``path_between``); rules that declare ``needs`` skip the rest (checked by counting the calls of
the expensive helpers), the sweep drops what other rules return for them; and the gradients that
are asked for are the same whether or not the other inputs are asked for too.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from layerkit_backend.ir import Node
from layerkit_backend.numpy.interpreter import backprop, path_between
from layerkit_backend.numpy.ops import linalg, nn
from layerkit_backend.numpy.registry import KERNELS

RNG = np.random.default_rng(0)


def _normal(*shape):
    return RNG.normal(size=shape)


def _gradients(ys, xs, feeds):
    with lk.Session(backend="numpy") as session:
        session.run(lk.global_variables_initializer())
        return session.run(lk.gradients(ys, xs), feeds)


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of the helpers that compute one matmul or conv input's cotangent."""
    counts = dict.fromkeys(["left", "right", "conv input"], 0)

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(linalg, "_left_grad", counting("left", linalg._left_grad))
    monkeypatch.setattr(linalg, "_right_grad", counting("right", linalg._right_grad))
    monkeypatch.setattr(nn, "_conv_input_grad", counting("conv input", nn._conv_input_grad))
    return counts


# -- the mask -----------------------------------------------------------------------------------
def test_path_marks_the_inputs_that_depend_on_the_xs():
    # h = x @ w; y = h + b, with x fed and b a constant: only w and h need cotangents.
    x, w, b, h, y = range(5)
    nodes = (Node("matmul", (x, w), (h,)), Node("add", (h, b), (y,)))
    path = path_between(nodes, xs=[w], ys=[y])
    assert [(step.node.op, step.needs) for step in path] == [
        ("matmul", (False, True)), ("add", (True, False))]
    path = path_between(nodes, xs=[x, w], ys=[y])
    assert [step.needs for step in path] == [(True, True), (True, False)]


def test_the_sweep_keeps_no_cotangent_for_inputs_nobody_needs():
    # add's rule takes no mask: the sweep drops its cotangent for the constant b.
    x, w, b, h, y = range(5)
    nodes = (Node("matmul", (x, w), (h,)), Node("add", (h, b), (y,)))
    env = [_normal(2, 3), _normal(3, 4), _normal(4), None, None]
    env[h] = env[x] @ env[w]
    env[y] = env[h] + env[b]
    g = _normal(2, 4)
    cotangents = backprop(path_between(nodes, [w], [y]), env, {}, [(y, g)])
    assert set(cotangents) == {y, h, w}
    np.testing.assert_allclose(cotangents[w], env[x].T @ g)


def test_rules_declaring_needs_are_told_so():
    assert KERNELS["matmul"].vjp_takes_needs and KERNELS["conv"].vjp_takes_needs
    assert KERNELS["scan"].vjp_takes_needs
    assert not KERNELS["add"].vjp_takes_needs


# -- rules skip what is not needed, and the rest is unchanged ----------------------------------
@pytest.mark.parametrize("wrt, left, right", [("w", 0, 1), ("x", 1, 0), ("both", 1, 1)])
def test_matmul_computes_only_the_cotangents_asked_for(calls, wrt, left, right):
    x_value, w_value, g_value = _normal(5, 3), _normal(3, 4), _normal(5, 4)
    x = lk.placeholder("float64", (5, 3))
    w = lk.Variable(w_value, name="w")
    loss = ops.sum((x @ w) * lk.constant(g_value))
    xs = {"w": [w], "x": [x], "both": [x, w]}[wrt]
    grads = dict(zip(map(id, xs), _gradients(loss, xs, {x: x_value})))
    assert (calls["left"], calls["right"]) == (left, right)
    if id(w) in grads:
        np.testing.assert_allclose(grads[id(w)], x_value.T @ g_value, rtol=1e-12)
    if id(x) in grads:
        np.testing.assert_allclose(grads[id(x)], g_value @ w_value.T, rtol=1e-12)


def test_a_dense_stack_skips_only_the_fed_inputs_cotangent(calls):
    x_value = _normal(8, 4)
    x = lk.placeholder("float64", (None, 4))
    w1 = lk.Variable(_normal(4, 5), name="w1")
    w2 = lk.Variable(_normal(5, 2), name="w2")
    loss = ops.sum(ops.tanh(ops.relu(x @ w1) @ w2))
    weights_only = _gradients(loss, [w1, w2], {x: x_value})
    # Both weight gradients, and the hidden layer's input cotangent; not the fed x's.
    assert (calls["left"], calls["right"]) == (1, 2)
    with_x = _gradients(loss, [w1, w2, x], {x: x_value})
    assert (calls["left"], calls["right"]) == (1 + 2, 2 + 2)
    for a, b in zip(weights_only, with_x):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("wrt, input_grads", [("kernel", 0), ("both", 1)])
def test_conv_skips_the_fed_inputs_scatter(calls, wrt, input_grads):
    x_value = _normal(2, 6, 5, 3)
    x = lk.placeholder("float64", x_value.shape)
    kernel = lk.Variable(_normal(3, 2, 3, 4), name="kernel")
    loss = ops.sum(ops.square(ops.conv(x, kernel, padding="same")))
    xs = [kernel] if wrt == "kernel" else [kernel, x]
    grads = _gradients(loss, xs, {x: x_value})
    assert calls["conv input"] == input_grads
    if wrt == "kernel":
        np.testing.assert_array_equal(grads[0], _gradients(loss, [kernel, x], {x: x_value})[0])


def test_scan_leaves_a_fed_sequence_out_of_back_propagation_through_time(calls):
    """An RNN: ``h = tanh(x_t @ W + h @ U)``. With x fed, the body's ``x_t @ W`` never computes
    its cotangent for ``x_t`` (only ``h @ U`` needs a left one, once per step)."""
    steps, batch = 4, 3
    x_value = _normal(steps, batch, 2)
    x = lk.placeholder("float64", x_value.shape)
    w = lk.Variable(_normal(2, 5), name="W")
    u = lk.Variable(_normal(5, 5) * 0.5, name="U")
    h0 = lk.constant(np.zeros((batch, 5)))
    final, _ = ops.scan(lambda h, xt: (ops.tanh(xt @ w + h @ u), h), h0, x)
    loss = ops.sum(final)
    weights_only = _gradients(loss, [w, u], {x: x_value})
    assert calls["left"] == steps  # h @ U's cotangent for h, at every step
    with_x = _gradients(loss, [w, u, x], {x: x_value})
    assert calls["left"] == steps + 2 * steps
    for a, b in zip(weights_only, with_x):
        np.testing.assert_allclose(a, b, rtol=1e-12)
