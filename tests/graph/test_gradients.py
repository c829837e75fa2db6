"""``gradients``: connectivity, stop_gradient, grad_ys, reuse of gradient tensors."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops


def test_unconnected_and_integer_paths_give_none(backend):
    x = lk.placeholder("float64", (3,))
    z = lk.placeholder("float64", (3,))
    y = ops.sum(x * x) + ops.cast(ops.argmax(z), "float64")
    gx, gz = lk.gradients(y, [x, z])
    assert gz is None  # argmax is not differentiable
    with lk.Session(backend=backend) as s:
        np.testing.assert_allclose(s.run(gx, {x: [1.0, 2.0, 3.0], z: [0.0, 1.0, 0.0]}),
                                   [2.0, 4.0, 6.0])
    assert lk.gradients(ops.sum(z * 0.0), [x]) == [None]


def test_stop_gradient_blocks_its_path(backend):
    x = lk.placeholder("float64", (3,))
    y = ops.sum(ops.stop_gradient(x) * x)  # d/dx = stop(x), not 2x
    (gx,) = lk.gradients(y, [x])
    with lk.Session(backend=backend) as s:
        np.testing.assert_allclose(s.run(gx, {x: [1.0, -2.0, 3.0]}), [1.0, -2.0, 3.0])


def test_several_ys_are_summed_and_grad_ys_weight_them(backend):
    x = lk.placeholder("float64", (2,))
    y1, y2 = x * 3.0, x * x
    g_sum = lk.gradients([y1, y2], x)[0]
    g_weighted = lk.gradients([y1, y2], x, grad_ys=[np.array([1.0, 0.0]),
                                                    np.array([0.0, 2.0])])[0]
    with lk.Session(backend=backend) as s:
        a, b = s.run([g_sum, g_weighted], {x: [1.0, 2.0]})
    np.testing.assert_allclose(a, [3.0 + 2.0, 3.0 + 4.0])
    np.testing.assert_allclose(b, [3.0, 2 * 4.0])


def test_gradient_tensors_feed_further_ops(backend):
    """Gradients are ordinary tensors: clip them and use them in an update."""
    w = lk.Variable(np.array([3.0, -4.0]), name="w")
    loss = ops.sum(w * w)
    (g,) = lk.gradients(loss, [w])
    step = lk.assign(w, w - 0.1 * ops.clip(g, -1.0, 1.0))
    with lk.Session(backend=backend) as s:
        s.run(lk.global_variables_initializer())
        loss_before, _ = s.run([loss, step])
        assert loss_before == pytest.approx(25.0)  # fetched before the update is applied
        np.testing.assert_allclose(s.run(w), [2.9, -3.9])


def test_gradient_of_intermediate_tensor(backend):
    x = lk.placeholder("float64", (2,))
    h = x * 2.0
    y = ops.sum(h * h)
    (gh,) = lk.gradients(y, [h])
    with lk.Session(backend=backend) as s:
        np.testing.assert_allclose(s.run(gh, {x: [1.0, 2.0]}), [4.0, 8.0])


def test_higher_order_gradients_are_refused_clearly():
    x = lk.placeholder("float64", (2,))
    (g,) = lk.gradients(ops.sum(x * x), [x])
    with pytest.raises(NotImplementedError, match="higher-order"):
        lk.gradients(ops.sum(g), [x])


def test_integer_tensors_get_no_gradient():
    """As in TensorFlow 1: no gradient flows to or from integer tensors."""
    i = lk.placeholder("int32", (2,))
    x = lk.placeholder("float32", (2,))
    assert lk.gradients(ops.sum(i), [x]) == [None]
    gx, gi = lk.gradients(ops.sum(x * ops.cast(i, "float32")), [x, i])
    assert gx is not None and gi is None
