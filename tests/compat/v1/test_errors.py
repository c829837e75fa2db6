"""Bad input gives a clear error, and the session keeps working afterwards."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.compat.v1 as tf


def build():
    """A tiny training graph; returns (x, target, W, y, train_op)."""
    x = tf.placeholder(tf.float32, [2], name="x")
    target = tf.placeholder(tf.float32, name="target")
    W = tf.get_variable("W", initializer=[0.2, 0.7])
    y = tf.reduce_sum(x * W)
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(tf.pow(target - y, 2.0))
    return x, target, W, y, train_op


def check_still_works(sess, x, target, W, y, train_op):
    """One correct step: y = 0.9 from W's value before it; W moves by 0.1 * 2 * (20 - 0.9)."""
    result, _ = sess.run([y, train_op], feed_dict={x: [1.0, 1.0], target: 20.0})
    np.testing.assert_allclose(result, 0.9, rtol=1e-6)
    np.testing.assert_allclose(sess.run(W), [0.2 + 3.82, 0.7 + 3.82], rtol=1e-6)


@pytest.fixture
def model(active_backend):
    parts = build()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        yield sess, parts


def test_wrong_feed_shape(model):
    sess, (x, target, W, y, train_op) = model
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Cannot feed value of shape \(3,\) for Tensor 'x:0', which has "
                             r"shape \(2,\)"):
        sess.run([y, train_op], feed_dict={x: [1.0, 1.0, 1.0], target: 20.0})
    check_still_works(sess, x, target, W, y, train_op)


def test_wrong_feed_dtype(model):
    sess, (x, target, W, y, train_op) = model
    with pytest.raises(tf.errors.InvalidArgumentError, match="'x:0', which has dtype float32"):
        sess.run(y, feed_dict={x: ["a", "b"], target: 20.0})
    with pytest.raises(tf.errors.InvalidArgumentError, match="complex128"):
        sess.run(y, feed_dict={x: [1j, 2j]})
    check_still_works(sess, x, target, W, y, train_op)


def test_missing_feed_names_the_placeholder(model):
    sess, (x, target, W, y, train_op) = model
    # TF1 raises InvalidArgumentError, a ValueError here too
    with pytest.raises(ValueError, match="You must feed a value for placeholder 'target'"):
        sess.run(train_op, feed_dict={x: [1.0, 1.0]})
    check_still_works(sess, x, target, W, y, train_op)


def test_feeding_a_non_placeholder(model):
    sess, (x, target, W, y, train_op) = model
    with pytest.raises(tf.errors.InvalidArgumentError, match="only placeholders can be fed"):
        sess.run(y, feed_dict={x: [1.0, 1.0], W: [5.0, 5.0]})
    check_still_works(sess, x, target, W, y, train_op)


def test_fetching_from_another_graph(model):
    sess, (x, target, W, y, train_op) = model
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="is not an element of this session's graph"):
        sess.run([y, foreign], feed_dict={x: [1.0, 1.0]})
    check_still_works(sess, x, target, W, y, train_op)


def test_variable_from_another_graph(model):
    sess, (x, target, W, y, train_op) = model
    other = tf.Graph()
    with other.as_default():
        foreign = tf.get_variable("W", initializer=[1.0, 2.0])
        foreign_init = tf.global_variables_initializer()
    with pytest.raises(ValueError, match="belong to different graphs"):
        x * foreign  # noqa: B018 - building the op is what fails
    with pytest.raises(tf.errors.InvalidArgumentError, match="not an element"):
        sess.run(foreign_init)
    with pytest.raises(ValueError, match="another graph"):
        tf.train.Saver([foreign]).save(sess, "/tmp/never-written")
    check_still_works(sess, x, target, W, y, train_op)


def test_uninitialized_variable_is_named(active_backend):
    x, target, W, y, train_op = build()
    V = tf.get_variable("V", shape=(2,))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="Attempting to use uninitialized value W"):
            sess.run(y, feed_dict={x: [1.0, 1.0]})
        sess.run(W.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value V"):
            sess.run(V)
        check_still_works(sess, x, target, W, y, train_op)


def test_failed_run_leaves_variables_unchanged(model):
    sess, (x, target, W, y, train_op) = model
    V = tf.get_variable("V", initializer=[1.0, 2.0])
    delta = tf.placeholder(tf.float32, name="delta")  # any shape: checked only when it runs
    sess.run(V.initializer)
    bad = tf.assign(V, V + delta)
    with pytest.raises(Exception, match="shape|broadcast|[Ii]ncompatible"):
        sess.run([train_op, bad], feed_dict={x: [1.0, 1.0], target: 20.0, delta: [1.0] * 3})
    np.testing.assert_allclose(sess.run(W), [0.2, 0.7], rtol=1e-7)  # train_op was not applied
    np.testing.assert_allclose(sess.run(V), [1.0, 2.0])
    check_still_works(sess, x, target, W, y, train_op)


def test_errors_are_op_errors():
    assert issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError)
    assert issubclass(tf.errors.FailedPreconditionError, tf.errors.OpError)
    assert issubclass(tf.errors.NotFoundError, tf.errors.OpError)
    assert issubclass(tf.errors.DataLossError, tf.errors.OpError)


def test_closed_session_refuses_to_run(active_backend):
    c = tf.constant(1.0)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)
