"""tf.nn.conv2d_transpose / conv3d_transpose and tf.layers.conv2d_transpose against their
definition: the adjoint of the convolution of an input of the output's shape, in float64
numpy (``<conv_transpose(y), x> == <y, conv2d(x)>``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import layerkit.compat.v1 as tf


def _adjoint(y, kernel, out_sizes, strides, padding):
    """TF's conv2d_backprop_input: each output-gradient position ``p`` and tap ``t`` sends
    ``y[p] @ kernel[t].T`` to input position ``p * stride + t - before``."""
    n = y.ndim - 2
    ks = kernel.shape[:n]
    before = [0] * n
    if padding == "SAME":
        before = [max((d - 1) * s + k - size, 0) // 2
                  for d, s, k, size in zip(y.shape[1:-1], strides, ks, out_sizes)]
    out = np.zeros((y.shape[0], *out_sizes, kernel.shape[-2]))
    for pos in itertools.product(*map(range, y.shape[1:-1])):
        for tap in itertools.product(*map(range, ks)):
            at = [p * s + t - b for p, s, t, b in zip(pos, strides, tap, before)]
            if all(0 <= a < size for a, size in zip(at, out_sizes)):
                out[(slice(None), *at)] += y[(slice(None), *pos)] @ kernel[tap].T
    return out


@pytest.mark.parametrize("y_shape, k_shape, out_sizes, strides, padding", [
    ((2, 3, 3, 2), (3, 3, 4, 2), (6, 6), 2, "SAME"),
    ((2, 3, 3, 2), (3, 3, 4, 2), (5, 5), 2, "SAME"),  # odd sizes: the output_shape decides
    ((1, 3, 4, 3), (2, 3, 2, 3), (7, 9), 2, "VALID"),
    ((1, 4, 4, 1), (3, 3, 2, 1), (4, 4), 1, "SAME"),
])
def test_nn_conv2d_transpose(active_backend, y_shape, k_shape, out_sizes, strides, padding):
    tf.reset_default_graph()
    rng = np.random.default_rng(0)
    yv, kv = rng.normal(size=y_shape), rng.normal(size=k_shape)
    y = tf.placeholder(tf.float64, [None, *y_shape[1:]])
    k = tf.constant(kv)
    out = tf.nn.conv2d_transpose(y, k, output_shape=[tf.shape(y)[0], *out_sizes, k_shape[2]],
                                 strides=[1, strides, strides, 1], padding=padding)
    assert out.get_shape().as_list() == [None, *out_sizes, k_shape[2]]
    with tf.Session() as sess:
        got = sess.run(out, {y: yv})
    np.testing.assert_allclose(got, _adjoint(yv, kv, out_sizes, (strides,) * 2, padding),
                               rtol=1e-10, atol=1e-10)


def test_nn_conv3d_transpose(active_backend):
    tf.reset_default_graph()
    rng = np.random.default_rng(1)
    yv, kv = rng.normal(size=(1, 2, 2, 3, 2)), rng.normal(size=(2, 2, 2, 3, 2))
    out = tf.nn.conv3d_transpose(tf.constant(yv), tf.constant(kv), [1, 4, 4, 6, 3],
                                 [1, 2, 2, 2, 1], padding="SAME")
    with tf.Session() as sess:
        got = sess.run(out)
    np.testing.assert_allclose(got, _adjoint(yv, kv, (4, 4, 6), (2, 2, 2), "SAME"),
                               rtol=1e-10, atol=1e-10)


def test_layers_conv2d_transpose_trains(active_backend):
    tf.reset_default_graph()
    tf.set_random_seed(0)  # the layer's initial kernel
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 3, 2])
    up = tf.layers.conv2d_transpose(x, 3, 3, strides=2, padding="same")
    assert up.get_shape().as_list() == [None, 6, 6, 3]
    names = sorted(v.name for v in tf.global_variables())
    assert names == ["conv2d_transpose/bias:0", "conv2d_transpose/kernel:0"]
    kernel = [v for v in tf.global_variables() if "kernel" in v.name][0]
    assert kernel.get_shape().as_list() == [3, 3, 3, 2]
    # A target the layer can fit exactly: a transposed convolution with another kernel.
    teacher = rng.normal(size=(3, 3, 3, 2))
    target = _adjoint(xv.astype(np.float64), teacher, (6, 6), (2, 2), "SAME").astype(np.float32)
    loss = tf.reduce_mean(tf.square(up - target))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv})
        for _ in range(100):
            sess.run(train, {x: xv})
        assert sess.run(loss, {x: xv}) < 0.1 * first
        kv = sess.run(kernel)
        valid = tf.layers.conv2d_transpose(x, 3, 3, strides=2, padding="valid", name="v")
        assert valid.get_shape().as_list() == [None, 7, 7, 3]
        sess.run(tf.variables_initializer([v for v in tf.global_variables()
                                           if v.name.startswith("v/")]))
        np.testing.assert_allclose(sess.run(up, {x: xv}) - sess.run(
            [v for v in tf.global_variables() if v.name == "conv2d_transpose/bias:0"][0]),
            _adjoint(xv.astype(np.float64), kv, (6, 6), (2, 2), "SAME"), rtol=1e-4, atol=1e-4)


def test_errors_name_the_op(active_backend):
    tf.reset_default_graph()
    y = tf.placeholder(tf.float32, [1, 3, 3, 2])
    k = tf.zeros([3, 3, 4, 2])
    with pytest.raises(ValueError, match="output size 9 does not fit"):
        tf.nn.conv2d_transpose(y, k, [1, 9, 9, 4], [1, 2, 2, 1], "SAME")
    with pytest.raises(ValueError, match="output_shape has 5 channels but the filter"):
        tf.nn.conv2d_transpose(y, k, [1, 6, 6, 5], [1, 2, 2, 1], "SAME")
