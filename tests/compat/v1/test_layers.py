"""tf.layers (dense, conv2d, pooling, flatten, dropout) against float64 numpy."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf


def _np_conv_valid(x, k):
    n, h, w, _ = x.shape
    kh, kw, _, f = k.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, f))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.einsum("nhwc,hwcf->nf", x[:, i:i + kh, j:j + kw], k)
    return out


def test_cnn_forward_gradient_and_names(active_backend):
    tf.reset_default_graph()
    rng = np.random.default_rng(0)
    xv = rng.normal(size=(2, 6, 6, 2)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 6, 6, 2])
    h = tf.layers.conv2d(x, 3, 3, activation=tf.nn.relu)
    h = tf.layers.flatten(tf.layers.max_pooling2d(h, 2, 2))
    y = tf.layers.dense(h, 4)
    names = sorted(v.name.split(":")[0] for v in tf.global_variables())
    assert names == ["conv2d/bias", "conv2d/kernel", "dense/bias", "dense/kernel"]
    with tf.variable_scope("dense", reuse=True):
        assert tf.get_variable("kernel") is [v for v in tf.global_variables()
                                             if v.name.startswith("dense/kernel")][0]
    loss = tf.reduce_sum(y ** 2)
    kvar = [v for v in tf.global_variables() if v.name.startswith("dense/kernel")][0]
    (g,) = tf.gradients(loss, [kvar])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        vals = {v.name.split(":")[0]: s.run(v) for v in tf.global_variables()}
        yv, gv = s.run([y, g], {x: xv})
    c = np.maximum(_np_conv_valid(xv.astype(np.float64), vals["conv2d/kernel"])
                   + vals["conv2d/bias"], 0)
    p = c.reshape(2, 2, 2, 2, 2, 3).max(axis=(2, 4)).reshape(2, -1)
    ref = p @ vals["dense/kernel"] + vals["dense/bias"]
    np.testing.assert_allclose(yv, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gv, p.T @ (2 * ref), rtol=1e-4, atol=1e-4)


def test_dense_twice_makes_dense_1_and_dropout_off_at_test(active_backend):
    tf.reset_default_graph()
    x = tf.constant(np.ones((2, 3), np.float32))
    tf.layers.dense(x, 2)
    tf.layers.dense(x, 2)
    assert any(v.name.startswith("dense_1/kernel") for v in tf.global_variables())
    assert tf.layers.dropout(x, 0.5, training=False) is not None
    with pytest.raises(ValueError, match="dense"):
        tf.layers.dense(x, 2, name="dense")


def test_contrib_fully_connected_matches_numpy(active_backend):
    tf.reset_default_graph()
    xv = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
    y = tf.contrib.layers.fully_connected(tf.layers.flatten(tf.constant(xv)), 3)
    names = sorted(v.name.split(":")[0] for v in tf.global_variables())
    assert names == ["fully_connected/biases", "fully_connected/weights"]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        w = s.run([v for v in tf.global_variables() if "weights" in v.name][0])
        yv = s.run(y)
    assert np.abs(w).max() <= np.sqrt(6.0 / 8) + 1e-6  # xavier uniform bound
    np.testing.assert_allclose(yv, np.maximum(xv.astype(np.float64) @ w, 0), atol=1e-5)


def test_batch_normalization_and_its_update_ops(active_backend):
    tf.reset_default_graph()
    rng = np.random.default_rng(2)
    values = rng.normal(2.0, 3.0, size=(8, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    training = tf.placeholder(tf.bool, [])
    out = tf.layers.batch_normalization(x, momentum=0.9, training=training)
    names = sorted(v.name for v in tf.global_variables())
    assert names == ["batch_normalization/beta:0", "batch_normalization/gamma:0",
                     "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    loss = tf.reduce_sum(tf.square(out))
    with tf.control_dependencies(updates):
        train = tf.train.GradientDescentOptimizer(0.0).minimize(loss)
    mean, var = values.mean(0), values.var(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        trained = sess.run(out, {x: values, training: True})
        np.testing.assert_allclose(trained, (values - mean) / np.sqrt(var + 1e-3), rtol=1e-4,
                                   atol=1e-5)
        sess.run(train, {x: values, training: True})  # one step: the moving averages move
        moving = sess.run(["batch_normalization/moving_mean:0",
                           "batch_normalization/moving_variance:0"])
        np.testing.assert_allclose(moving[0], 0.1 * mean, rtol=1e-5)
        np.testing.assert_allclose(moving[1], 0.9 + 0.1 * var, rtol=1e-5)
        sess.run(train, {x: values, training: False})  # not training: they stay
        np.testing.assert_allclose(sess.run("batch_normalization/moving_mean:0"), moving[0])
        inferred = sess.run(out, {x: values, training: False})
        np.testing.assert_allclose(inferred, (values - moving[0]) / np.sqrt(moving[1] + 1e-3),
                                   rtol=1e-4, atol=1e-5)


def test_dropout_with_a_training_placeholder(active_backend):
    tf.reset_default_graph()
    x = tf.ones([200, 50])
    training = tf.placeholder(tf.bool, [])
    dropped = tf.layers.dropout(x, rate=0.5, training=training)
    with tf.Session() as sess:
        kept = sess.run(dropped, {training: False})
        trained = sess.run(dropped, {training: True})
    np.testing.assert_array_equal(kept, 1.0)
    assert set(np.unique(trained)) <= {0.0, 2.0}
    assert 0.4 < np.mean(trained == 0.0) < 0.6
