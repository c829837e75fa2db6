"""Summaries: fetched as tags and values, written with tensorboardX, read back by TensorBoard."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import layerkit.compat.v1 as tf

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def read_events(logdir):
    events = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={event_accumulator.HISTOGRAMS: 0,
                                    event_accumulator.SCALARS: 0})
    events.Reload()
    return events


def test_scalars_round_trip_through_tensorboard(active_backend, tmp_path):
    x = tf.get_variable("x", initializer=3.0)
    loss = x * x
    step = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    tf.summary.scalar("x_value", x)
    tf.summary.scalar("loss", loss)
    summaries = tf.summary.merge_all()
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path), sess.graph) as writer:
        sess.run(tf.global_variables_initializer())
        for i in range(5):
            _, fetched = sess.run([step, summaries])
            assert fetched.tags == ["x_value", "loss"]
            writer.add_summary(fetched, global_step=10 * i)
        writer.flush()
        events = read_events(tmp_path)
    assert sorted(events.Tags()["scalars"]) == ["loss", "x_value"]
    xs = [3.0 * 0.5 ** i for i in range(5)]  # x <- x - 0.25 * 2x
    assert [e.step for e in events.Scalars("x_value")] == [0, 10, 20, 30, 40]
    np.testing.assert_allclose([e.value for e in events.Scalars("x_value")], xs, rtol=1e-6)
    np.testing.assert_allclose([e.value for e in events.Scalars("loss")],
                               [v * v for v in xs], rtol=1e-6)
    graph = events.Graph()
    assert {node.name for node in graph.node} >= {"x", "x/Assign", "GradientDescent/update"}


def test_fetched_summary_values_and_tags(active_backend):
    a = tf.placeholder(tf.float32, shape=())
    with tf.name_scope("train"):
        s1 = tf.summary.scalar("value", a * 2.0)
        s2 = tf.summary.scalar("value", a)  # a second one with the same name gets a new tag
    h = tf.summary.histogram("weights", tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    v = tf.get_variable("v", initializer=1.0)
    assert tf.summary.scalar("v", v).tag == "v_1"  # as in TF1: unique among the op names
    with tf.Session() as sess:
        sess.run(v.initializer)
        one = sess.run(s1, feed_dict={a: 1.5})
        both = sess.run(tf.summary.merge([s1, s2]), feed_dict={a: 1.5})
        everything = sess.run(tf.summary.merge_all(), feed_dict={a: 2.0})
    assert one.value[0].tag == "train/value" and one.value[0].simple_value == 3.0
    assert both.tags == ["train/value", "train/value_1"] and both["train/value_1"] == 1.5
    assert everything.tags == ["train/value", "train/value_1", "weights", "v_1"]
    assert everything["weights"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert h in tf.get_collection(tf.GraphKeys.SUMMARIES)
    with pytest.raises(AttributeError, match="histogram"):
        everything.value[2].simple_value  # noqa: B018


def test_histograms_round_trip(active_backend, tmp_path):
    values = tf.placeholder(tf.float32, shape=(None,))
    summary = tf.summary.histogram("activations", values)
    data = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path))
        writer.add_summary(sess.run(summary, feed_dict={values: data}), 7)
        writer.close()
    events = read_events(tmp_path)
    (event,) = events.Histograms("activations")
    assert event.step == 7
    assert event.histogram_value.num == 1000
    assert event.histogram_value.min == pytest.approx(data.min())
    assert event.histogram_value.max == pytest.approx(data.max())
    assert event.histogram_value.sum == pytest.approx(float(data.sum()), abs=1e-2)


def test_summary_checks():
    with pytest.raises(ValueError, match="must be a scalar"):
        tf.summary.scalar("v", tf.constant([1.0, 2.0]))
    assert tf.summary.merge_all() is None


def test_writers_in_one_second_use_different_files(tmp_path):
    tf.summary.FileWriter(str(tmp_path)).close()
    tf.summary.FileWriter(str(tmp_path)).close()
    assert len(list(tmp_path.iterdir())) == 2


def test_add_summary_refuses_other_values(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path))
    with pytest.raises(TypeError, match="run the summary op in a session first"):
        writer.add_summary(tf.summary.scalar("x", tf.constant(1.0)))
    writer.close()


def test_missing_tensorboardx_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "layerkit\[tensorboard\]"'):
        tf.summary.FileWriter(str(tmp_path))


def test_images_round_trip_and_names_are_cleaned(active_backend, tmp_path):
    import importlib.util
    import io

    tf.reset_default_graph()
    batch = np.zeros((2, 4, 5, 1), np.float32)
    batch[0, 1, 2, 0] = 0.5  # all non-negative: the largest value becomes 255
    batch[1] = -1.0  # negative: 0.0 sits at 127, -1 is the lowest
    images = tf.placeholder(tf.float32, [None, 4, 5, 1])
    tf.summary.image("input", images, max_outputs=2)
    tf.summary.scalar("W1:0", tf.constant(1.0))  # TF1 cleans ':' to '_'
    merged = tf.summary.merge_all()
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        fetched = sess.run(merged, {images: batch})
        assert fetched.tags == ["input/image/0", "input/image/1", "W1_0"]
        first = fetched["input/image/0"]
        assert first.dtype == np.uint8 and first.shape == (4, 5, 1)
        assert first[1, 2, 0] == 255 and first.sum() == 255
        assert set(np.unique(fetched["input/image/1"])) == {0}
        writer.add_summary(fetched, global_step=3)
    events = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={
        event_accumulator.IMAGES: 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == ["input/image/0", "input/image/1"]
    (event,) = events.Images("input/image/0")
    assert (event.step, event.width, event.height) == (3, 5, 4)
    assert event.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n"
    if importlib.util.find_spec("PIL") is not None:  # decode it where Pillow is installed
        from PIL import Image

        decoded = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))
        assert decoded.shape[:2] == (4, 5) and np.all(decoded[1, 2] == 255)
        assert decoded.sum() == 255 * (decoded.size // 20)  # one lit pixel in each channel
    with pytest.raises(ValueError, match=r"must be \[batch, height, width, 1\|3\|4 channels\]"):
        tf.summary.image("bad", tf.zeros([4, 5]))
