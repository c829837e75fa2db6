"""tf.train.Saver: HDF5 checkpoints, atomic writes, careful restores."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

import layerkit.compat.v1 as tf
from layerkit.compat.v1 import saver as saver_module


def build(w_shape=(2, 3)):
    """A model with a trainable weight, a bias and an Adam optimizer (slots to save too)."""
    w = tf.get_variable("w", shape=w_shape)
    b = tf.get_variable("b", initializer=[0.5, -0.5, 1.0][: w_shape[1]])
    loss = tf.reduce_sum((tf.reduce_sum(w, axis=0) + b) ** 2)
    step = tf.train.AdamOptimizer(0.1).minimize(
        loss, global_step=tf.train.get_or_create_global_step())
    return w, b, step


def trained_session(steps=3):
    w, b, step = build()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for _ in range(steps):
        sess.run(step)
    return sess, w, b, step


def test_save_and_restore_round_trip(active_backend, tmp_path):
    sess, w, b, step = trained_session()
    saver = tf.train.Saver()
    before = sess.variable_values()
    path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step())
    assert path == str(tmp_path / "model.ckpt-3")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    sess.run(step)
    assert not np.allclose(sess.run(w), before["w"])
    saver.restore(sess, path)
    after = sess.variable_values()
    assert sorted(after) == sorted(before)  # w, b, global_step, Adam's slots and powers
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
        assert after[key].dtype == value.dtype
    sess.close()


def test_restore_into_a_fresh_session_and_graph(active_backend, tmp_path):
    sess, w, b, _ = trained_session()
    expected = sess.run([w, b])
    path = tf.train.Saver().save(sess, str(tmp_path / "model"))
    sess.close()
    tf.reset_default_graph()
    w, b, step = build()
    with tf.Session() as fresh:
        tf.train.Saver().restore(fresh, tf.train.latest_checkpoint(str(tmp_path)))
        assert path == str(tmp_path / "model")
        got = fresh.run([w, b])
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)
        assert fresh.run(tf.train.get_global_step()) == 3
        fresh.run(step)  # slots restored too, so training goes on


def test_file_layout_is_one_dataset_per_variable(tmp_path):
    sess, w, b, _ = trained_session(steps=1)
    path = tf.train.Saver([w, b]).save(sess, str(tmp_path / "wb"))
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "layerkit.compat.v1.Saver"
        assert sorted(f["variables"]) == ["b", "w"]
        np.testing.assert_array_equal(f["variables/w"][()], sess.run(w))
    full = tf.train.Saver().save(sess, str(tmp_path / "all"))
    with h5py.File(full, "r") as f:  # "/" in keys is escaped, so "w" and "w/Adam" coexist
        assert "w%2FAdam" in f["variables"] and "w" in f["variables"]
    sess.close()


def test_var_list_dict_names_the_entries(active_backend, tmp_path):
    sess, w, b, _ = trained_session(steps=1)
    path = tf.train.Saver({"layer/kernel": w}).save(sess, str(tmp_path / "renamed"))
    value = sess.run(w)
    sess.close()
    tf.reset_default_graph()
    other = tf.get_variable("other_name", shape=(2, 3))
    with tf.Session() as fresh:
        tf.train.Saver({"layer/kernel": other}).restore(fresh, path)
        np.testing.assert_array_equal(fresh.run(other), value)


def test_shape_mismatch_is_refused_and_changes_nothing(active_backend, tmp_path):
    sess, w, b, _ = trained_session()
    path = tf.train.Saver([w, b]).save(sess, str(tmp_path / "model"))
    sess.close()
    tf.reset_default_graph()
    w2 = tf.get_variable("w", shape=(2, 2))  # the checkpoint has (2, 3)
    b2 = tf.get_variable("b", initializer=[7.0, 8.0, 9.0])
    with tf.Session() as fresh:
        fresh.run(tf.global_variables_initializer())
        values = fresh.variable_values()
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Cannot restore variable w: .* shape \(2, 3\) .* \(2, 2\)"):
            tf.train.Saver([w2, b2]).restore(fresh, path)
        # b would have been fine, but nothing is changed when any entry is refused
        assert fresh.run(b2).tolist() == [7.0, 8.0, 9.0]
        np.testing.assert_array_equal(fresh.run(w2), values["w"])


def test_dtype_missing_and_extra_entries_are_refused(tmp_path):
    sess, w, b, _ = trained_session(steps=1)
    path = tf.train.Saver([w, b]).save(sess, str(tmp_path / "model"))
    sess.close()
    tf.reset_default_graph()
    w64 = tf.get_variable("w", shape=(2, 3), dtype=tf.float64)
    b = tf.get_variable("b", shape=(3,))
    c = tf.get_variable("c", shape=(1,))
    with tf.Session() as fresh:
        with pytest.raises(tf.errors.InvalidArgumentError, match="dtype float32 .* float64"):
            tf.train.Saver([w64, b]).restore(fresh, path)
        with pytest.raises(tf.errors.NotFoundError, match="Key c not found in checkpoint"):
            tf.train.Saver([b, c, w64]).restore(fresh, path)
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not restore: w"):
            tf.train.Saver([b]).restore(fresh, path)
        assert fresh.variable_values() == {}


def test_links_and_odd_names_are_refused(tmp_path):
    sess, w, b, _ = trained_session(steps=1)
    path = tf.train.Saver([w, b]).save(sess, str(tmp_path / "model"))
    sess.close()
    target = tmp_path / "elsewhere.h5"
    with h5py.File(target, "w") as f:
        f["data"] = np.zeros(3, np.float32)
    soft = str(tmp_path / "soft")
    external = str(tmp_path / "external")
    for name, link in [(soft, h5py.SoftLink("/variables/w")),
                       (external, h5py.ExternalLink(str(target), "/data"))]:
        with h5py.File(path, "r") as src, h5py.File(name, "w") as f:
            f.attrs["format"] = src.attrs["format"]
            group = f.create_group("variables")
            group["w"] = src["variables/w"][()]
            group["b"] = link
    aliased = str(tmp_path / "aliased")  # "%62" would decode to "b", a second "b" entry
    with h5py.File(path, "r") as src, h5py.File(aliased, "w") as f:
        f.attrs["format"] = src.attrs["format"]
        f["variables/w"] = src["variables/w"][()]
        f["variables/%62"] = src["variables/b"][()]
    tf.reset_default_graph()
    w, b, _ = build()
    with tf.Session() as fresh:
        saver = tf.train.Saver([w, b])
        with pytest.raises(tf.errors.InvalidArgumentError, match="'%62' is not a name"):
            saver.restore(fresh, aliased)
        with pytest.raises(tf.errors.InvalidArgumentError, match="'b' is a SoftLink"):
            saver.restore(fresh, soft)
        with pytest.raises(tf.errors.InvalidArgumentError, match="'b' is a ExternalLink"):
            saver.restore(fresh, external)


def test_truncated_or_foreign_files_give_clear_errors(tmp_path):
    sess, w, b, _ = trained_session(steps=1)
    saver = tf.train.Saver([w, b])
    path = saver.save(sess, str(tmp_path / "model"))
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated"
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint\n")
    other_h5 = tmp_path / "other.h5"
    with h5py.File(other_h5, "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(tf.errors.DataLossError, match="not a valid checkpoint file"):
        saver.restore(sess, str(truncated))
    with pytest.raises(tf.errors.DataLossError, match="not a valid checkpoint file"):
        saver.restore(sess, str(text))
    with pytest.raises(tf.errors.DataLossError, match="not a layerkit checkpoint"):
        saver.restore(sess, str(other_h5))
    with pytest.raises(tf.errors.NotFoundError, match="no such file"):
        saver.restore(sess, str(tmp_path / "missing"))
    saver.restore(sess, path)  # the session still works
    sess.close()


def test_max_to_keep_deletes_old_checkpoints(tmp_path):
    sess, w, b, step = trained_session(steps=0)
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    paths = [saver.save(sess, prefix, global_step=i) for i in range(4)]
    assert saver.last_checkpoints == paths[2:]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt-2", "model.ckpt-3"]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[3]
    assert state.all_model_checkpoint_paths == paths[2:]
    saver.save(sess, prefix, global_step=2)  # saving a kept path again moves it to the end
    assert saver.last_checkpoints == [paths[3], paths[2]]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[2]
    keep_all = tf.train.Saver(max_to_keep=None)
    for i in range(10, 17):
        keep_all.save(sess, prefix, global_step=i)
    assert len(keep_all.last_checkpoints) == 7
    sess.close()


def test_save_checks(tmp_path):
    w, b, _ = build()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized variable w"):
            saver.save(sess, str(tmp_path / "model"))
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="Parent directory of .* doesn't exist"):
            saver.save(sess, str(tmp_path / "no" / "such" / "model"))
    assert not os.listdir(tmp_path)
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    tf.reset_default_graph()
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    sess, w, b, step = trained_session(steps=1)
    saver = tf.train.Saver()
    path = saver.save(sess, str(tmp_path / "model"))
    good = open(path, "rb").read()
    good_index = (tmp_path / "checkpoint").read_text()
    sess.run(step)

    real_write = saver_module._write_entries

    def crash_midway(f, values):
        first = dict(list(values.items())[:2])
        real_write(f, first)  # some datasets are written...
        f.flush()
        raise OSError("disk full")  # ...then the write fails

    monkeypatch.setattr(saver_module, "_write_entries", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        saver.save(sess, path)
    assert open(path, "rb").read() == good
    assert (tmp_path / "checkpoint").read_text() == good_index
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model"]  # no temporary file left
    monkeypatch.setattr(saver_module, "_write_entries", real_write)
    saver.restore(sess, path)  # the old checkpoint is whole
    saver.save(sess, path)  # and saving works again
    sess.close()
