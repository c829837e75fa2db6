"""TF1's top-level functions and tf.nn, against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.compat.v1 as tf

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4)).astype(np.float32)


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed_dict=feed_dict)


def test_reductions_with_tf1_spellings(active_backend):
    x = tf.constant(X)
    got = run({
        "sum": tf.reduce_sum(x),
        "sum1": tf.reduce_sum(x, axis=1),
        "mean_keep": tf.reduce_mean(x, axis=0, keepdims=True),
        "mean_keep_dims": tf.reduce_mean(x, 0, keep_dims=True),
        "max_indices": tf.reduce_max(x, reduction_indices=[1]),
        "min": tf.reduce_min(x, axis=[0, 1]),
        "lse": tf.reduce_logsumexp(x, axis=-1),
    })
    np.testing.assert_allclose(got["sum"], X.sum(), rtol=1e-5)
    np.testing.assert_allclose(got["sum1"], X.sum(1), rtol=1e-5)
    np.testing.assert_allclose(got["mean_keep"], X.mean(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got["mean_keep_dims"], X.mean(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got["max_indices"], X.max(1))
    np.testing.assert_allclose(got["min"], X.min())
    np.testing.assert_allclose(got["lse"], np.log(np.exp(X).sum(-1)), rtol=1e-5)


def test_arithmetic(active_backend):
    a, b = tf.constant(X), tf.constant(np.abs(X) + 1.0)
    got = run([tf.add(a, b), tf.subtract(a, b), tf.multiply(a, b), tf.divide(a, b),
               tf.pow(b, 0.5), tf.square(a), tf.sqrt(b), tf.exp(a), tf.log(b), tf.abs(a),
               tf.maximum(a, 0.0), tf.minimum(a, 0.0), tf.add_n([a, b, a]),
               tf.clip_by_value(a, -0.5, 0.5), tf.clip_by_value(a, tf.constant(-0.1), 0.2),
               tf.stop_gradient(a)])
    b_ = np.abs(X) + 1.0
    expected = [X + b_, X - b_, X * b_, X / b_, b_ ** 0.5, X * X, np.sqrt(b_), np.exp(X),
                np.log(b_), np.abs(X), np.maximum(X, 0), np.minimum(X, 0), 2 * X + b_,
                np.clip(X, -0.5, 0.5), np.clip(X, -0.1, 0.2), X]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_matmul_with_transposes(active_backend):
    a = RNG.normal(size=(4, 3)).astype(np.float32)
    b = RNG.normal(size=(5, 4)).astype(np.float32)
    got = run([tf.matmul(a, b, transpose_a=True, transpose_b=True),
               tf.matmul(b, a), tf.constant(b) @ a])
    np.testing.assert_allclose(got[0], a.T @ b.T, rtol=1e-5)
    np.testing.assert_allclose(got[1], b @ a, rtol=1e-5)
    np.testing.assert_allclose(got[2], b @ a, rtol=1e-5)


def test_shapes_and_selection(active_backend):
    x = tf.constant(X)
    cond = tf.constant([True, False, True])
    got = run({
        "reshape": tf.reshape(x, [2, -1]),
        "transpose": tf.transpose(x),
        "concat": tf.concat([x, x], 1),
        "stack": tf.stack([x, x], axis=1),
        "cast": tf.cast(x > 0, tf.int32),
        "argmax": tf.argmax(x, axis=1),
        "argmax0": tf.argmax(x),
        "argmin32": tf.argmin(x, 1, output_type=tf.int32),
        "equal": tf.equal(tf.argmax(x, 1), tf.argmax(x, 1)),
        "one_hot": tf.one_hot([0, 2, 1], 3),
        "one_hot_int": tf.one_hot([1], 2, on_value=5, off_value=-1),
        "where": tf.where(x > 0, x, tf.zeros_like(x)),
        "where_rows": tf.where(cond, x, -x),
        "zeros": tf.zeros((2, 2)),
        "ones": tf.ones([3], dtype=tf.int64),
        "fill": tf.fill([2], 1.5),
        "range": tf.range(4),
        "gather": tf.gather(x, [2, 0]),
        "squeeze": tf.squeeze(tf.expand_dims(x, 0)),
    })
    np.testing.assert_array_equal(got["reshape"], X.reshape(2, 6))
    np.testing.assert_array_equal(got["transpose"], X.T)
    np.testing.assert_array_equal(got["concat"], np.concatenate([X, X], 1))
    np.testing.assert_array_equal(got["stack"], np.stack([X, X], 1))
    np.testing.assert_array_equal(got["cast"], (X > 0).astype(np.int32))
    assert got["argmax"].dtype == np.int64 and got["argmin32"].dtype == np.int32
    np.testing.assert_array_equal(got["argmax"], X.argmax(1))
    np.testing.assert_array_equal(got["argmax0"], X.argmax(0))
    np.testing.assert_array_equal(got["argmin32"], X.argmin(1))
    assert got["equal"].all()
    np.testing.assert_array_equal(got["one_hot"], np.eye(3)[[0, 2, 1]])
    assert got["one_hot"].dtype == np.float32
    assert got["one_hot_int"].tolist() == [[-1, 5]] and got["one_hot_int"].dtype == np.int32
    np.testing.assert_array_equal(got["where"], np.where(X > 0, X, 0))
    np.testing.assert_array_equal(got["where_rows"], np.where([[True], [False], [True]], X, -X))
    assert got["zeros"].tolist() == [[0, 0], [0, 0]] and got["ones"].dtype == np.int64
    assert got["fill"].tolist() == [1.5, 1.5] and got["fill"].dtype == np.float32
    assert got["range"].tolist() == [0, 1, 2, 3] and got["range"].dtype == np.int32
    np.testing.assert_array_equal(got["gather"], X[[2, 0]])
    np.testing.assert_array_equal(got["squeeze"], X)


def test_gradients_and_unconnected(active_backend):
    x = tf.placeholder(tf.float32, shape=(3,))
    w = tf.get_variable("w", initializer=[1.0, 2.0, 3.0])
    u = tf.get_variable("u", initializer=[1.0])
    y = tf.reduce_sum(x * w * w)
    grads = tf.gradients(y, [w, u])
    assert grads[1] is None
    zero = tf.gradients(y, [u], unconnected_gradients="zero")[0]
    got = run([grads[0], zero], feed_dict={x: [1.0, 1.0, 2.0]})
    np.testing.assert_allclose(got[0], [2.0, 4.0, 12.0])
    assert got[1].tolist() == [0.0]


def test_control_dependencies_group_and_no_op(active_backend):
    v = tf.get_variable("v", initializer=0.0)
    c = tf.get_variable("c", initializer=10.0)
    with tf.control_dependencies([tf.assign_add(v, 1.0)]):
        noop = tf.no_op()
    both = tf.group(noop, tf.assign_sub(c, 1.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(both)
        sess.run(both)
        assert sess.run([v, c]) == [2.0, 8.0]


def test_name_scopes():
    with tf.name_scope("block") as scope:
        a = tf.constant(1.0, name="a")
        with tf.name_scope(None):
            top = tf.constant(1.0, name="top")
        with tf.name_scope("block/"):
            again = tf.constant(1.0, name="again")
    assert scope == "block/"
    assert (a.op.name, top.op.name, again.op.name) == ("block/a", "top", "block/again")


def test_print_returns_its_input_and_prints(active_backend, capfd):
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    printed = tf.Print(x * 2.0, [x], "x is ", summarize=2)
    assert run(printed).tolist() == [2.0, 4.0, 6.0, 8.0]
    err = capfd.readouterr().err
    assert err.startswith("x is [1") and "..." in err and "3" not in err  # 2 values shown


# -- tf.nn ----------------------------------------------------------------------------------------
def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_activations(active_backend):
    x = tf.constant(X)
    got = run([tf.nn.relu(x), tf.nn.sigmoid(x), tf.nn.tanh(x), tf.nn.softplus(x),
               tf.nn.softmax(x), tf.nn.log_softmax(x, axis=0), tf.nn.relu6(x * 10.0),
               tf.nn.leaky_relu(x, 0.1), tf.nn.softmax(x, dim=0)])
    expected = [np.maximum(X, 0), 1 / (1 + np.exp(-X)), np.tanh(X), np.log1p(np.exp(X)),
                softmax(X), np.log(softmax(X, 0)), np.clip(X * 10, 0, 6),
                np.where(X > 0, X, 0.1 * X), softmax(X, 0)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_cross_entropies_and_their_gradients(active_backend):
    logits = tf.get_variable("logits", initializer=X)
    labels = np.array([0, 3, 1])
    dense = np.eye(4, dtype=np.float32)[labels]
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=dense, logits=logits)
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=dense, logits=logits)
    sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=dense, logits=logits)
    grad = tf.gradients(tf.reduce_sum(sparse), logits)[0]
    got = run([sparse, v2, v1, sig, grad])
    expected = -np.log(softmax(X))[np.arange(3), labels]
    for g in got[:3]:
        np.testing.assert_allclose(g, expected, rtol=1e-5)
    p = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(got[3], -(dense * np.log(p) + (1 - dense) * np.log(1 - p)),
                               rtol=1e-5)
    np.testing.assert_allclose(got[4], softmax(X) - dense, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="named arguments"):
        tf.nn.softmax_cross_entropy_with_logits(dense, logits)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=dense, logits=logits)
    # stable for huge logits
    big = run(tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0],
                                                      logits=[1000.0, 1000.0]))
    np.testing.assert_allclose(big, [0.0, 1000.0])


def test_l2_loss_and_bias_add(active_backend):
    got = run([tf.nn.l2_loss(tf.constant(X)), tf.nn.bias_add(tf.constant(X), [1.0, 2, 3, 4])])
    np.testing.assert_allclose(got[0], (X ** 2).sum() / 2, rtol=1e-5)
    np.testing.assert_allclose(got[1], X + [1, 2, 3, 4], rtol=1e-6)


def test_dropout_with_fed_keep_prob(active_backend):
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, shape=(None, 1000))  # batch size known only when run
    keep_prob = tf.placeholder(tf.float32)
    dropped = tf.nn.dropout(x, keep_prob)
    by_rate = tf.nn.dropout(x, rate=0.25)
    ones = np.ones((4, 1000), np.float32)
    with tf.Session() as sess:
        half = sess.run(dropped, feed_dict={x: ones, keep_prob: 0.5})
        assert set(np.unique(half)) == {0.0, 2.0}
        assert (half == 0).mean() == pytest.approx(0.5, abs=0.03)
        kept = sess.run(dropped, feed_dict={x: ones, keep_prob: 1.0})
        np.testing.assert_array_equal(kept, ones)
        quarter = sess.run(by_rate, feed_dict={x: ones})
        assert (quarter == 0).mean() == pytest.approx(0.25, abs=0.03)
        np.testing.assert_allclose(np.unique(quarter), [0.0, 1 / 0.75], rtol=1e-6)
    with pytest.raises(ValueError, match="exactly one of keep_prob and rate"):
        tf.nn.dropout(x, 0.5, rate=0.5)


def test_conv2d_and_pooling(active_backend):
    image = RNG.normal(size=(1, 4, 4, 1)).astype(np.float32)
    kernel = np.ones((2, 2, 1, 1), np.float32)
    got = run([tf.nn.conv2d(image, kernel, strides=[1, 1, 1, 1], padding="VALID"),
               tf.nn.max_pool(image, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"),
               tf.nn.avg_pool(image, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")])
    img = image[0, :, :, 0]
    windows = np.array([[img[i:i + 2, j:j + 2].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(got[0][0, :, :, 0], windows, rtol=1e-5)
    pooled = img.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
    np.testing.assert_allclose(got[1][0, :, :, 0], pooled.max(-1), rtol=1e-6)
    np.testing.assert_allclose(got[2][0, :, :, 0], pooled.mean(-1), rtol=1e-5)
    with pytest.raises(ValueError, match="batch and channel"):
        tf.nn.conv2d(image, kernel, strides=[2, 1, 1, 1], padding="VALID")
