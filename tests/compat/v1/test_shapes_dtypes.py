"""TF1's dtype names, ``TensorShape``/``Dimension`` and ``unstack``, as TF1 programs use them."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def test_tf_dtype_names_mean_tfs_dtypes(active_backend):
    # numpy's "float" and "double" are float64; TensorFlow's "float" is float32
    x = tf.placeholder("float", [None, 3])
    assert x.dtype == np.float32
    assert tf.constant(1.0, dtype="double").dtype == np.float64
    assert tf.zeros([2], dtype="half").dtype == np.float16
    assert tf.as_dtype("float") == tf.float32
    w = tf.Variable(tf.zeros([3, 2]))
    y = tf.matmul(x, w)  # a float32 placeholder and a float32 variable multiply
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(y, {x: np.ones((4, 3))}).shape == (4, 2)
    with pytest.raises(TypeError, match="'floaty' is not a dtype"):
        tf.placeholder("floaty")


def test_shapes_have_tensorshape_methods(active_backend):
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    assert x.shape == (None, 28, 28, 1) and x.shape[1] == 28  # TF2-style ints on .shape
    assert x.shape.as_list() == [None, 28, 28, 1]
    assert x.get_shape().as_list() == [None, 28, 28, 1]
    assert x.get_shape()[1].value == 28 and x.get_shape()[0].value is None
    assert int(x.get_shape()[2]) == 28
    assert x.get_shape().ndims == 4 and not x.get_shape().is_fully_defined()
    assert [d.value for d in x.get_shape()] == [None, 28, 28, 1]
    assert str(x.get_shape()) == "(?, 28, 28, 1)"
    assert repr(tf.TensorShape([None, 3])) == "TensorShape([Dimension(None), Dimension(3)])"
    # a flattening reshape written the TF1 way
    flat = tf.reshape(x, [-1, x.get_shape()[1].value * x.get_shape()[2].value])
    assert flat.get_shape().as_list() == [None, 784]
    dims = x.get_shape()[1:3]
    assert isinstance(dims, tf.TensorShape) and dims.as_list() == [28, 28]
    unknown = tf.placeholder(tf.float32)
    assert unknown.get_shape().ndims is None
    with pytest.raises(ValueError, match="as_list\\(\\) is not defined on an unknown"):
        unknown.get_shape().as_list()


def test_merge_with_and_compatibility():
    a = tf.TensorShape([None, 3])
    assert a.merge_with([2, None]).as_list() == [2, 3]
    assert a.is_compatible_with([5, 3]) and not a.is_compatible_with([5, 4])
    assert tf.TensorShape(None).merge_with([1, 2]).as_list() == [1, 2]
    assert a.concatenate([7]).as_list() == [None, 3, 7]
    assert tf.TensorShape([2, 3]).num_elements() == 6 and a.num_elements() is None
    with pytest.raises(ValueError, match=r"Shapes \(None, 3\) and \(2, 4\) are not compatible"):
        a.merge_with([2, 4])
    assert tf.Dimension(3) == 3 and tf.Dimension(None).value is None
    with pytest.raises(ValueError, match="unknown Dimension"):
        int(tf.Dimension(None))


def test_unstack_inverts_stack(active_backend):
    x = tf.placeholder(tf.float32, [None, 3, 4])
    steps = tf.unstack(x, axis=1)
    assert len(steps) == 3 and all(s.get_shape().as_list() == [None, 4] for s in steps)
    back = tf.stack(steps, axis=1)
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    with tf.Session() as sess:
        parts, rebuilt = sess.run([steps, back], {x: values})
    for i, part in enumerate(parts):
        np.testing.assert_array_equal(part, values[:, i])
    np.testing.assert_array_equal(rebuilt, values)
    assert len(tf.unpack(tf.zeros([5, 2]))) == 5
    with pytest.raises(ValueError, match=r"cannot infer num from the shape \(None, 3, 4\)"):
        tf.unstack(x, axis=0)
    with pytest.raises(ValueError, match="num=2, but axis 1 .* has size 3"):
        tf.unstack(x, num=2, axis=1)


def test_dropout_keeps_the_static_shape_with_a_placeholder_keep_prob(active_backend):
    x = tf.placeholder(tf.float32, [None, 10])
    keep_prob = tf.placeholder(tf.float32)  # declared without a shape, as tutorials do
    dropped = tf.nn.dropout(x, keep_prob)
    assert dropped.get_shape().as_list() == [None, 10]
    logits = tf.matmul(dropped, tf.ones([10, 3]))  # a later op sees the shape
    with tf.Session() as sess:
        out = sess.run(logits, {x: np.ones((2, 10), np.float32), keep_prob: 1.0})
    np.testing.assert_allclose(out, 10.0)
    with pytest.raises(ValueError, match=r"keep_prob/rate must be a scalar, got shape \(2,\)"):
        tf.nn.dropout(x, tf.constant([0.5, 0.5]))


def test_set_shape_refines_and_run_options_are_accepted(active_backend, tmp_path):
    x = tf.placeholder(tf.float32)  # unknown rank
    x.set_shape([None, 3])
    assert x.get_shape().as_list() == [None, 3]
    x.set_shape([4, None])
    assert x.shape == (4, 3)
    assert tf.matmul(x, tf.ones([3, 2])).get_shape().as_list() == [4, 2]
    with pytest.raises(ValueError, match=r"Shapes \(4, 3\) and \(4, 5\) are not compatible"):
        x.set_shape([4, 5])
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    metadata = tf.RunMetadata()
    with tf.Session() as sess:
        total = sess.run(tf.reduce_sum(x), {x: np.ones((4, 3), np.float32)}, options=options,
                         run_metadata=metadata)
    assert total == 12.0 and metadata.partition_graphs == []


def test_run_time_shape_size_rank_and_reshape_with_them(active_backend):
    x = tf.placeholder(tf.float32, [None, 4, 4])
    dims = tf.shape(x)
    assert dims.get_shape().as_list() == [3] and dims.dtype == np.int32
    flat = tf.reshape(x, [tf.shape(x)[0], -1])  # the batch size known only when it runs
    assert flat.get_shape().as_list() == [None, 16]
    back = tf.reshape(flat, tf.shape(x))
    assert back.get_shape().as_list() == [None, 4, 4]
    values = np.arange(64, dtype=np.float32).reshape(4, 4, 4)
    with tf.Session() as sess:
        got = sess.run([dims, tf.size(x), tf.rank(x), dims[0], flat, back], {x: values})
    np.testing.assert_array_equal(got[0], [4, 4, 4])
    assert (got[1], got[2], got[3]) == (64, 3, 4)
    np.testing.assert_array_equal(got[4], values.reshape(4, 16))
    np.testing.assert_array_equal(got[5], values)
    with pytest.raises(ValueError, match="is neither an int nor a size from tf.shape"):
        tf.reshape(x, [tf.constant(4), -1])
