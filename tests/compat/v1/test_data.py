"""tf.data for TF1 programs: a host pipeline whose iterators feed the graph in session runs."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _drain(sess, fetches, feed=None):
    out = []
    try:
        while True:
            out.append(sess.run(fetches, feed))
    except tf.errors.OutOfRangeError:
        return out


def test_slices_map_batch_until_out_of_range(active_backend):
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).map(
        lambda x, y: (x * 2.0, tf.one_hot(y, 10))).batch(4)
    assert dataset.output_shapes == ((None, 2), (None, 10))
    assert dataset.output_types == (np.float32, np.float32)
    images, labels = dataset.make_one_shot_iterator().get_next()
    assert images.get_shape().as_list() == [None, 2]
    total = tf.reduce_sum(images)
    with tf.Session() as sess:
        batches = _drain(sess, [total, labels])
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_allclose([b[0] for b in batches],
                               [2 * X[i:i + 4].sum() for i in (0, 4, 8)])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.eye(10)[Y])


def test_shuffle_repeat_take_skip_filter_zip(active_backend):
    shuffled = tf.data.Dataset.from_tensor_slices(Y).shuffle(4, seed=3).repeat(2)
    with tf.Session() as sess:
        seen = _drain(sess, shuffled.make_one_shot_iterator().get_next())
    assert sorted(seen) == sorted(list(Y) * 2) and seen[:10] != list(Y)  # a permutation
    numbers = tf.data.Dataset.range(10).skip(2).take(5).filter(lambda v: tf.equal(v % 2, 0))
    pairs = tf.data.Dataset.zip((tf.data.Dataset.range(3),
                                 tf.data.Dataset.from_tensor_slices({"x": X[:3]})))
    first, second = pairs.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert _drain(sess, numbers.make_one_shot_iterator().get_next()) == [2, 4, 6]
        got = _drain(sess, [first, second["x"]])
    assert [g[0] for g in got] == [0, 1, 2]
    np.testing.assert_array_equal(np.stack([g[1] for g in got]), X[:3])


def test_initializable_iterator_over_a_placeholder(active_backend):
    source = tf.placeholder(tf.float32, [None, 2])
    iterator = tf.data.Dataset.from_tensor_slices(source).batch(3).make_initializable_iterator()
    batch = iterator.get_next()
    means = tf.reduce_mean(batch, axis=0)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            sess.run(means)
        sess.run(iterator.initializer, {source: X})
        assert len(_drain(sess, means)) == 4
        sess.run(iterator.initializer, {source: X[:3]})  # again, on other data
        (only,) = _drain(sess, means)
    np.testing.assert_allclose(only, X[:3].mean(axis=0))


def test_a_model_trains_from_a_dataset(active_backend):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(64, 3)).astype(np.float32)
    targets = (features @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    x, y = (tf.data.Dataset.from_tensor_slices((features, targets)).repeat(20).batch(16)
            .make_one_shot_iterator().get_next())
    w = tf.Variable(tf.zeros([3, 1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        steps = len(_drain(sess, train))
        learned = sess.run(w)
    assert steps == 80  # 20 passes of 4 batches, one element per run
    np.testing.assert_allclose(learned.ravel(), [1.0, -2.0, 0.5], atol=1e-2)


def test_bad_datasets_are_named():
    with pytest.raises(ValueError, match="different numbers of rows: \\[3, 4\\]"):
        tf.data.Dataset.from_tensor_slices((X[:3], Y[:4]))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        tf.data.Dataset.range(3).batch(0)
