"""TF1 ops that tutorials use: in_top_k, moments, embedding_lookup, top_k, einsum,
clip_by_global_norm, arg_max; against numpy."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_nn_ops_match_numpy(active_backend):
    scores = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.05, 0.03, 0.02]], np.float32)
    targets = np.array([2, 3])
    x = RNG.normal(size=(5, 3, 2)).astype(np.float32)
    table = RNG.normal(size=(6, 4)).astype(np.float32)
    ids = np.array([[0, 5], [3, 3]])
    mean, variance = tf.nn.moments(tf.constant(x), axes=[0, 1])
    kept_mean, _ = tf.nn.moments(tf.constant(x), axes=[0], keep_dims=True)
    values, indices = tf.nn.top_k(tf.constant(scores[1:]), k=2)
    got = _run({
        "top1": tf.nn.in_top_k(scores, targets, 1), "top3": tf.nn.in_top_k(scores, targets, 3),
        "mean": mean, "variance": variance, "kept": kept_mean,
        "embed": tf.nn.embedding_lookup(tf.constant(table), ids),
        "values": values, "indices": indices,
    })
    # class 2 ties class 1 at the top, so it is in the top 1 (TF1's rule for ties)
    np.testing.assert_array_equal(got["top1"], [True, False])
    np.testing.assert_array_equal(got["top3"], [True, False])
    np.testing.assert_allclose(got["mean"], x.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(got["variance"], x.var(axis=(0, 1)), rtol=1e-4)
    assert got["kept"].shape == (1, 3, 2)
    np.testing.assert_array_equal(got["embed"], table[ids])
    np.testing.assert_allclose(got["values"], [[0.9, 0.05]])
    np.testing.assert_array_equal(got["indices"], [[0, 1]])


def test_math_ops_match_numpy(active_backend):
    a = RNG.normal(size=(3, 4)).astype(np.float32)
    b = RNG.normal(size=(4, 2)).astype(np.float32)
    grads = [tf.constant(a), None, tf.constant(b)]
    clipped, norm = tf.clip_by_global_norm(grads, 1.0)
    assert clipped[1] is None
    got = _run({"einsum": tf.einsum("ij,jk->ik", a, b), "norm": norm,
                "clipped": [clipped[0], clipped[2]], "arg": tf.arg_max(a, 1),
                "big": tf.clip_by_global_norm([tf.constant(a)], 1e6)[0][0]})
    np.testing.assert_allclose(got["einsum"], a @ b, rtol=1e-5)
    total = np.sqrt((a.astype(np.float64) ** 2).sum() + (b.astype(np.float64) ** 2).sum())
    assert got["norm"] == pytest.approx(total, rel=1e-5)
    np.testing.assert_allclose(got["clipped"][0], a / total, rtol=1e-5)
    np.testing.assert_allclose(got["big"], a, rtol=1e-6)  # under the norm: unchanged
    np.testing.assert_array_equal(got["arg"], a.argmax(axis=1))
    with pytest.raises(ValueError, match=r"in_top_k: predictions must be \[batch, classes\]"):
        tf.nn.in_top_k(np.zeros(3, np.float32), [0], 1)


def test_cond_selects_a_branch(active_backend):
    is_training = tf.placeholder(tf.bool, [])
    x = tf.Variable([1.0, -2.0, 3.0])
    scaled, shifted = tf.cond(is_training, lambda: (x * 2.0, x + 1.0), lambda: (x, x - 1.0))
    grad = tf.gradients(tf.reduce_sum(scaled), x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        train = sess.run([scaled, shifted, grad], {is_training: True})
        test = sess.run([scaled, shifted, grad], {is_training: False})
    np.testing.assert_allclose(train[0], [2.0, -4.0, 6.0])
    np.testing.assert_allclose(train[1], [2.0, -1.0, 4.0])
    np.testing.assert_allclose(train[2], [2.0, 2.0, 2.0])
    np.testing.assert_allclose(test[0], [1.0, -2.0, 3.0])
    np.testing.assert_allclose(test[2], [1.0, 1.0, 1.0])
    assert tf.cond(True, lambda: 1, lambda: 2) == 1  # a Python bool picks at build time
    with pytest.raises(NotImplementedError, match="a branch assigns a variable"):
        tf.cond(is_training, lambda: tf.assign(x, x * 2), lambda: x)
    with pytest.raises(ValueError, match="pred must be a scalar bool tensor"):
        tf.cond(tf.constant([True, False]), lambda: x, lambda: x)


def test_gather_nd_matches_numpy_and_differentiates(active_backend):
    values = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    params = tf.Variable(values)
    rows = np.array([[0, 1], [1, 2], [0, 0]])
    points = np.array([[[0, 1, 2]], [[1, 0, 3]]])
    picked_rows = tf.gather_nd(params, rows)
    picked_points = tf.gather_nd(params, points)
    grad = tf.gradients(tf.reduce_sum(picked_rows), params)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_rows, got_points, got_grad = sess.run([picked_rows, picked_points, grad])
    np.testing.assert_array_equal(got_rows, values[tuple(rows.T)])
    np.testing.assert_array_equal(got_points[:, 0], [values[0, 1, 2], values[1, 0, 3]])
    want = np.zeros_like(values)
    for i, j in rows:
        want[i, j] += 1.0
    np.testing.assert_array_equal(got_grad, want)
    with pytest.raises(ValueError, match="need a static last axis"):
        tf.gather_nd(params, tf.placeholder(tf.int32, [None, None]))
