"""tf.Variable, get_variable, variable scopes and initializers."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.compat.v1 as tf
import layerkit.graph as lk


def test_get_variable_from_a_list_takes_its_shape_and_dtype(active_backend):
    W = tf.get_variable("W", initializer=[0.2, 0.7])
    assert (W.name, W.shape, W.dtype) == ("W:0", (2,), tf.float32)
    assert W.trainable and isinstance(W, tf.Variable)
    assert any(v is W for v in tf.trainable_variables())  # not `in`: == is element-wise
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(W), [0.2, 0.7])
    with pytest.raises(ValueError, match="if initializer is a constant, do not specify shape"):
        tf.get_variable("V", shape=(2,), initializer=[1.0, 2.0])


def test_get_variable_defaults_to_glorot_uniform(active_backend):
    tf.set_random_seed(3)
    W = tf.get_variable("W", shape=(30, 20))
    n = tf.get_variable("n", shape=(4,), dtype=tf.int32)  # integers start at zero
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w, counts = sess.run([W, n])
    limit = np.sqrt(6.0 / (30 + 20))
    assert w.dtype == np.float32 and np.all(np.abs(w) <= limit)
    assert w.std() == pytest.approx(limit / np.sqrt(3.0), rel=0.1)  # uniform's stddev
    assert counts.tolist() == [0, 0, 0, 0]


def test_graph_seed_makes_initial_values_reproducible(active_backend):
    def initial_values():
        graph = tf.Graph()
        with graph.as_default():
            tf.set_random_seed(42)
            W = tf.get_variable("W", shape=(3, 4))
            V = tf.Variable(tf.random_uniform((2, 2)), name="V")
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return sess.run([W, V])

    first, second = initial_values(), initial_values()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_initializers(active_backend):
    tf.set_random_seed(0)
    made = {
        "zeros": tf.get_variable("zeros", (2, 3), initializer=tf.zeros_initializer()),
        "ones": tf.get_variable("ones", (2,), initializer=tf.ones_initializer),  # a class
        "const": tf.get_variable("const", (2, 2), initializer=tf.constant_initializer(1.5)),
        "list": tf.get_variable("list", (2, 2), initializer=tf.constant_initializer([1, 2, 3, 4])),
        "unif": tf.get_variable("unif", (500,),
                                initializer=tf.random_uniform_initializer(-2.0, -1.0)),
        "norm": tf.get_variable("norm", (4000,),
                                initializer=tf.random_normal_initializer(3.0, 0.5)),
        "trunc": tf.get_variable("trunc", (4000,),
                                 initializer=tf.truncated_normal_initializer(0.0, 2.0)),
        "glorot_n": tf.get_variable("glorot_n", (100, 60),
                                    initializer=tf.glorot_normal_initializer()),
        "he": tf.get_variable("he", (200, 50), initializer=tf.initializers.he_uniform()),
        "fn": tf.get_variable("fn", (2,), initializer=lambda shape, dtype: np.full(shape, 7.0)),
        "f64": tf.get_variable("f64", (2,), dtype=tf.float64,
                               initializer=tf.initializers.ones()),
    }
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = sess.run(made)
    assert v["zeros"].tolist() == [[0.0] * 3] * 2 and v["ones"].tolist() == [1.0, 1.0]
    assert v["const"].tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert v["list"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert v["unif"].min() >= -2.0 and v["unif"].max() < -1.0
    assert v["norm"].mean() == pytest.approx(3.0, abs=0.05)
    assert v["norm"].std() == pytest.approx(0.5, rel=0.05)
    assert np.abs(v["trunc"]).max() <= 4.0  # within two standard deviations
    # TF1 scales the truncated normal up so that its stddev is the one asked for
    assert v["glorot_n"].std() == pytest.approx(np.sqrt(2.0 / 160), rel=0.1)
    assert np.abs(v["he"]).max() <= np.sqrt(6.0 / 200)
    assert v["fn"].tolist() == [7.0, 7.0] and v["fn"].dtype == np.float32
    assert v["f64"].dtype == np.float64


def test_variance_scaling_fans_for_conv_kernels():
    from layerkit.compat.v1.initializers import _fans

    assert _fans((3, 3, 16, 32)) == (144.0, 288.0)
    assert _fans((10, 20)) == (10.0, 20.0)
    assert _fans((7,)) == (7.0, 7.0) and _fans(()) == (1.0, 1.0)
    with pytest.raises(ValueError, match="mode"):
        tf.variance_scaling_initializer(mode="fan_middle")


def test_get_variable_needs_reuse_to_return_an_existing_variable():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", shape=(2, 3))
        assert w.op.name == "layer/w"
    with pytest.raises(ValueError, match="Variable layer/w already exists, disallowed"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", shape=(2, 3))
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w", shape=(2, 3)) is w
        assert tf.get_variable("w") is w
        with pytest.raises(ValueError, match="specified shape \\(3, 3\\)"):
            tf.get_variable("w", shape=(3, 3))
        with pytest.raises(ValueError, match="Variable layer/b does not exist"):
            tf.get_variable("b", shape=(3,))
        with tf.variable_scope("inner", reuse=False):  # reuse is inherited all the same
            assert tf.get_variable_scope().reuse is True
    with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w") is w
        b = tf.get_variable("b", shape=(3,))
        assert b.op.name == "layer/b"
    with tf.variable_scope("layer") as scope:
        scope.reuse_variables()
        assert tf.get_variable("b") is b


def test_variable_scope_names_and_name_scopes():
    with tf.variable_scope("outer") as outer:
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", shape=())
            c = tf.constant(1.0, name="c")
    with tf.variable_scope(outer):  # re-entering a scope object: same names, same name scope
        u = tf.get_variable("u", shape=())
        d = tf.constant(1.0, name="d")
    with tf.variable_scope("outer"):  # re-entering by name: a new name scope for the ops
        e = tf.constant(1.0, name="e")
    assert (v.op.name, c.op.name) == ("outer/inner/v", "outer/inner/c")
    assert (u.op.name, d.op.name, e.op.name) == ("outer/u", "outer/d", "outer_1/e")
    with tf.variable_scope(None, default_name="dense"):
        first = tf.get_variable("kernel", shape=(1,))
    with tf.variable_scope(None, default_name="dense"):
        second = tf.get_variable("kernel", shape=(1,))
    assert (first.op.name, second.op.name) == ("dense/kernel", "dense_1/kernel")
    with tf.name_scope("ops"):  # a name scope does not prefix get_variable's names
        assert tf.get_variable("free", shape=()).op.name == "free"


def test_variable_scope_initializer_and_dtype(active_backend):
    with tf.variable_scope("s", initializer=tf.constant_initializer(2.0), dtype=tf.float64):
        v = tf.get_variable("v", shape=(2,))
    assert v.dtype == tf.float64
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(v).tolist() == [2.0, 2.0]


def test_get_variable_inside_control_dependencies_does_not_depend_on_them(active_backend):
    counter = tf.get_variable("counter", initializer=0.0)
    bump = tf.assign_add(counter, 1.0)
    with tf.control_dependencies([bump]):
        w = tf.get_variable("w", shape=(2,))
    with tf.Session() as sess:
        sess.run(counter.initializer)
        sess.run(w.initializer)  # must not run `bump`
        assert sess.run(counter) == 0.0


def test_tf_variable_api(active_backend):
    v = tf.Variable(lambda: tf.constant([1.0, 2.0]), name="v", collections=["mine"])
    frozen = tf.Variable(3, trainable=False)
    assert isinstance(lk.Variable(1.0), tf.Variable)  # a core variable is a tf.Variable
    assert tf.get_collection("mine") == [v]
    # by identity: `in` would compare variables with ==, which is element-wise
    assert all(t is not frozen for t in tf.trainable_variables())
    assert frozen.dtype == tf.int32
    twice = tf.Variable(v.initialized_value() * 2.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(twice).tolist() == [2.0, 4.0]
        v.load([5.0, 6.0], sess)
        assert sess.run(v.read_value()).tolist() == [5.0, 6.0]
        assert sess.run(v.assign_sub([1.0, 1.0])).tolist() == [4.0, 5.0]
        assert sess.run(tf.assign(v, [0.0, 1.0])).tolist() == [0.0, 1.0]
        sess.run(frozen.assign_add(2))
        assert sess.run(frozen) == 5
        with sess.as_default():
            assert v.eval().tolist() == [0.0, 1.0]


def test_global_and_trainable_variables_filter_by_scope():
    with tf.variable_scope("a"):
        a = tf.get_variable("w", shape=())
    with tf.variable_scope("b"):
        b = tf.get_variable("w", shape=(), trainable=False)
    assert tf.global_variables() == [a, b]
    assert tf.global_variables("b") == [b]
    assert tf.trainable_variables() == [a]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="a") == [a]


def test_reset_default_graph_forgets_variables():
    tf.get_variable("w", shape=())
    tf.reset_default_graph()
    assert tf.global_variables() == []
    assert tf.get_variable("w", shape=()).op.name == "w"  # no clash with the old graph's
