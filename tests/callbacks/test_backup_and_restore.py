"""``BackupAndRestore``: a run interrupted by an exception or a killed process resumes, on the
same model object or on a freshly built one, exactly as if it had never stopped; the backup's
files are written atomically, checked when read, and deleted at the end (on each backend)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from layerkit.callbacks import backup_and_restore
from layerkit.callbacks.backup_and_restore import (
    BackupAndRestore,
    BackupError,
    read_training_metadata,
    write_training_metadata,
)

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 6


def _data(n=48):  # whole batches of 16: one input shape, one compilation on jax
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    return x, rng.integers(0, 3, n)


def _build(keras):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class _Interrupt(Exception):
    pass


def _interrupt_at(keras, epoch):
    def on_epoch_begin(e, logs):
        if e == epoch:
            raise _Interrupt(f"interrupted at epoch {e}")

    return keras.callbacks.LambdaCallback(on_epoch_begin=on_epoch_begin)


def _loss_log(keras, into):
    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: into.append((epoch, logs["loss"], logs["accuracy"])))


def _fit(model, x, y, callbacks, epochs=EPOCHS):
    return model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0,
                     callbacks=callbacks)


def _straight_run(keras, x, y, initial):
    """The uninterrupted run: per-epoch (epoch, loss, accuracy) and the final weights."""
    model = _build(keras)
    model.set_weights(initial)
    log = []
    _fit(model, x, y, [_loss_log(keras, log)])
    return log, model.get_weights(), model


def _assert_close(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _assert_logs_close(got, want):
    assert [e for e, *_ in got] == [e for e, *_ in want]
    np.testing.assert_allclose([v[1:] for v in got], [v[1:] for v in want], rtol=1e-6,
                               atol=1e-7)


# -- resuming ----------------------------------------------------------------------------------
@pytest.mark.parametrize("resume_on", ["same model", "fresh model"])
def test_resumes_after_an_exception_as_if_never_interrupted(keras, tmp_path, resume_on):
    x, y = _data()
    model = _build(keras)
    initial = model.get_weights()
    straight_log, straight_weights, straight = _straight_run(keras, x, y, initial)

    backup_dir = tmp_path / "backup"
    log = []
    with pytest.raises(_Interrupt):
        _fit(model, x, y, [BackupAndRestore(backup_dir), _loss_log(keras, log),
                           _interrupt_at(keras, 3)])
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert metadata["epoch"] == 3 and metadata["batch"] == 0
    assert [e for e, *_ in log] == [0, 1, 2]

    if resume_on == "fresh model":
        keras.utils.set_random_seed(99)  # other initial weights: the backup must replace them
        model = _build(keras)
        assert not np.array_equal(model.get_weights()[0], initial[0])
    history = _fit(model, x, y, [BackupAndRestore(backup_dir), _loss_log(keras, log)])

    assert history.epoch == [3, 4, 5]
    _assert_logs_close(log, straight_log)
    _assert_close(model.get_weights(), straight_weights)
    # The optimizer's state came back too: same step count and slot values.
    assert int(model.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy())
    _assert_close([v.numpy() for v in model.optimizer.variables],
                  [v.numpy() for v in straight.optimizer.variables])
    assert not backup_dir.exists()  # deleted on a clean finish


def test_resumes_with_the_same_callback_object(keras, tmp_path):
    x, y = _data()
    model = _build(keras)
    straight_log, straight_weights, _ = _straight_run(keras, x, y, model.get_weights())
    backup = BackupAndRestore(str(tmp_path / "b"))
    log = []
    with pytest.raises(_Interrupt):
        _fit(model, x, y, [backup, _loss_log(keras, log), _interrupt_at(keras, 2)])
    _fit(model, x, y, [backup, _loss_log(keras, log)])
    _assert_logs_close(log, straight_log)
    _assert_close(model.get_weights(), straight_weights)


_KILLED_RUN = """
import os, signal, sys
import numpy as np
import layerkit as keras
from layerkit.callbacks.backup_and_restore import BackupAndRestore
from tests.callbacks.test_backup_and_restore import _build, _data

keras.backend.clear_session()
keras.utils.set_random_seed(1234)
x, y = _data()
model = _build(keras)
initial = np.load(sys.argv[2])
model.set_weights([initial[f"w{i}"] for i in range(len(initial.files))])

def kill(epoch, logs):
    if epoch == 3:
        os.kill(os.getpid(), signal.SIGKILL)

model.fit(x, y, epochs=6, batch_size=16, shuffle=False, verbose=0,
          callbacks=[BackupAndRestore(sys.argv[1]),
                     keras.callbacks.LambdaCallback(on_epoch_begin=kill)])
"""


def test_resumes_after_the_process_was_killed(keras, active_backend, tmp_path):
    x, y = _data()
    model = _build(keras)
    initial = model.get_weights()
    straight_log, straight_weights, _ = _straight_run(keras, x, y, initial)
    np.savez(tmp_path / "initial.npz", **{f"w{i}": w for i, w in enumerate(initial)})
    script = tmp_path / "killed_run.py"
    script.write_text(textwrap.dedent(_KILLED_RUN))
    backup_dir = tmp_path / "backup"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LAYERKIT_BACKEND": active_backend}
    done = subprocess.run([sys.executable, str(script), str(backup_dir),
                           str(tmp_path / "initial.npz")], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert json.loads((backup_dir / "training_metadata.json").read_text())["epoch"] == 3
    # Nothing half-written was left behind by the killed process.
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]

    log = []
    history = _fit(model, x, y, [BackupAndRestore(backup_dir), _loss_log(keras, log)])
    assert history.epoch == [3, 4, 5]
    _assert_logs_close(log, straight_log[3:])
    _assert_close(model.get_weights(), straight_weights)
    assert not backup_dir.exists()


class _Killed(BaseException):
    """Stands for the process being killed at that point (nothing after it runs)."""


@pytest.mark.parametrize("killed_in, resumes_at", [
    ("write_training_metadata", 2),  # the third backup's weights written, not committed
    ("_promote", 3),  # the third backup committed, its weights not yet renamed
])
def test_killed_at_any_point_of_a_backup_resumes_consistently(keras, tmp_path, monkeypatch,
                                                             killed_in, resumes_at):
    x, y = _data()
    model = _build(keras)
    straight_log, straight_weights, _ = _straight_run(keras, x, y, model.get_weights())
    backup_dir = tmp_path / "backup"
    original = getattr(backup_and_restore, killed_in)
    calls = []

    def dies_on_the_third_call(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise _Killed()
        return original(*args, **kwargs)

    monkeypatch.setattr(backup_and_restore, killed_in, dies_on_the_third_call)
    with pytest.raises(_Killed):
        _fit(model, x, y, [BackupAndRestore(backup_dir)])
    monkeypatch.undo()
    assert "pending.weights.h5" in os.listdir(backup_dir)

    fresh = _build(keras)
    log = []
    history = _fit(fresh, x, y, [BackupAndRestore(backup_dir, delete_checkpoint=False),
                                 _loss_log(keras, log)])
    assert history.epoch == list(range(resumes_at, EPOCHS))
    _assert_logs_close(log, straight_log[resumes_at:])
    _assert_close(fresh.get_weights(), straight_weights)
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]


def test_a_backup_made_mid_epoch_resumes_at_the_start_of_that_epoch(keras, tmp_path):
    x, y = _data()  # 3 batches of 16 per epoch
    model = _build(keras)
    backup_dir = tmp_path / "b"
    saved = {}

    class InterruptAndRecord(keras.callbacks.Callback):
        """Records the weights after each batch; raises before the third batch of epoch 1."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if (self.epoch, batch) == (1, 2):
                raise _Interrupt()

        def on_train_batch_end(self, batch, logs=None):
            saved[(self.epoch, batch)] = [w.copy() for w in model.get_weights()]

    with pytest.raises(_Interrupt):
        _fit(model, x, y, [BackupAndRestore(backup_dir, save_freq=2), InterruptAndRecord()])
    # Batches 2 and 4 of the run were backed up: (epoch 0, batch 1), then (epoch 1, batch 0).
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (1, 0)

    fresh = _build(keras)
    seen = []
    history = _fit(fresh, x, y, [BackupAndRestore(backup_dir, save_freq=2),
                                 keras.callbacks.LambdaCallback(
                                     on_train_begin=lambda logs: seen.append(
                                         [w.copy() for w in fresh.get_weights()]))], epochs=3)
    assert history.epoch == [1, 2]
    _assert_close(seen[0], saved[(1, 0)])
    assert int(fresh.optimizer.iterations.numpy()) == 4 + 2 * 3


# -- the end of training -----------------------------------------------------------------------
def test_delete_checkpoint_false_keeps_the_backup(keras, tmp_path):
    x, y = _data()
    model = _build(keras)
    backup_dir = tmp_path / "b"
    _fit(model, x, y, [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=2)
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    # A new fit on the same backup resumes after the last epoch: nothing left to run (Keras).
    history = _fit(model, x, y, [BackupAndRestore(backup_dir, delete_checkpoint=False)],
                   epochs=2)
    assert history.epoch == []


def test_only_the_callbacks_files_are_deleted(keras, tmp_path):
    x, y = _data()
    model = _build(keras)
    backup_dir = tmp_path / "b"
    backup_dir.mkdir()
    (backup_dir / "notes.txt").write_text("mine")
    (backup_dir / ".latest.weights.h5.0123456789ab.tmp").write_bytes(b"left by a crash")
    _fit(model, x, y, [BackupAndRestore(backup_dir, double_checkpoint=True)], epochs=3)
    assert sorted(os.listdir(backup_dir)) == ["notes.txt"]


def test_early_stopping_is_a_clean_finish(keras, tmp_path):
    x, y = _data()
    model = _build(keras)
    backup_dir = tmp_path / "b"
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = _fit(model, x, y, [BackupAndRestore(backup_dir), stop])
    assert len(history.epoch) == 2
    assert not backup_dir.exists()


# -- damaged backups ---------------------------------------------------------------------------
def _interrupted_backup(keras, tmp_path, epoch=3, **kwargs):
    x, y = _data()
    model = _build(keras)
    backup_dir = tmp_path / "backup"
    with pytest.raises(_Interrupt):
        _fit(model, x, y, [BackupAndRestore(backup_dir, **kwargs), _interrupt_at(keras, epoch)])
    return x, y, backup_dir


_BAD_METADATA = [
    ("{not json", "not valid JSON"),
    ('{"epoch": NaN, "batch": 0}', "not a plain JSON number"),
    ('{"epoch": Infinity}', "not a plain JSON number"),
    ('{"epoch": 3, "batch": -Infinity}', "not a plain JSON number"),
    ('{"epoch": 2.5, "batch": 0}', '"epoch" must be an integer'),
    ('{"epoch": 3.0}', '"epoch" must be an integer'),
    ('{"epoch": -1, "batch": 0}', '"epoch" must be an integer'),
    ('{"epoch": true}', '"epoch" must be an integer'),
    ('{"epoch": "3"}', '"epoch" must be an integer'),
    ('{"epoch": 3, "batch": null}', '"batch" must be an integer'),
    ('{"batch": 0}', 'no "epoch"'),
    ("[3, 0]", "expected a JSON object"),
    ("3", "expected a JSON object"),
    ('{"epoch": 3, "weights_sha256": "xyz"}', "64 hexadecimal digits"),
    ('{"epoch": 3, "weights_sha256": 12}', "64 hexadecimal digits"),
    (b"\xff\xfe{}", "not valid JSON"),
    ("", "not valid JSON"),
    ("{" + " " * 70000 + "}", "larger than"),
]


@pytest.mark.parametrize("content, message", _BAD_METADATA)
def test_metadata_is_validated_when_read(tmp_path, content, message):
    path = tmp_path / "training_metadata.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(BackupError, match=message) as info:
        read_training_metadata(str(path))
    assert str(path) in str(info.value) and "not a valid BackupAndRestore metadata file" in \
        str(info.value)


def test_metadata_round_trip(tmp_path):
    path = str(tmp_path / "m.json")
    metadata = {"epoch": 4, "batch": 2, "weights_sha256": "0" * 64}
    write_training_metadata(path, metadata)
    assert read_training_metadata(path) == metadata
    assert os.listdir(tmp_path) == ["m.json"]  # no temporary file left
    with pytest.raises(ValueError):
        write_training_metadata(path, {"epoch": float("nan")})
    assert read_training_metadata(path) == metadata  # a failed write left the old file whole


def test_a_corrupt_metadata_file_stops_fit_before_anything_is_loaded(keras, tmp_path):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path)
    (backup_dir / "training_metadata.json").write_text('{"epoch": NaN, "batch": 0}')
    model = _build(keras)
    before = model.get_weights()
    with pytest.raises(BackupError, match="training_metadata.json.*not a plain JSON number"):
        _fit(model, x, y, [BackupAndRestore(backup_dir)])
    _assert_close(model.get_weights(), before)  # nothing was loaded
    assert int(model.optimizer.iterations.numpy()) == 0


def test_weights_from_another_moment_are_detected(keras, tmp_path):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path)
    other = _build(keras)
    other.save_weights(backup_dir / "latest.weights.h5")
    with pytest.raises(BackupError, match="is not the weights file.*digest differs"):
        _fit(_build(keras), x, y, [BackupAndRestore(backup_dir)])


@pytest.mark.parametrize("missing", ["latest.weights.h5", "training_metadata.json"])
def test_an_incomplete_backup_is_a_clear_error(keras, tmp_path, missing):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path)
    (backup_dir / missing).unlink()
    with pytest.raises(BackupError, match="incomplete"):
        _fit(_build(keras), x, y, [BackupAndRestore(backup_dir)])


def test_a_truncated_weights_file_is_a_clear_error(keras, tmp_path):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path)
    weights = backup_dir / "latest.weights.h5"
    weights.write_bytes(weights.read_bytes()[:300])
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    del metadata["weights_sha256"]  # as Keras writes it: no digest to catch it first
    (backup_dir / "training_metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(BackupError, match="latest.weights.h5"):
        _fit(_build(keras), x, y, [BackupAndRestore(backup_dir)])


def test_keras_metadata_without_a_digest_is_accepted(keras, tmp_path):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path)
    (backup_dir / "training_metadata.json").write_text('{"epoch": 3, "batch": 0}')
    history = _fit(_build(keras), x, y, [BackupAndRestore(backup_dir)])
    assert history.epoch == [3, 4, 5]


def test_double_checkpoint_falls_back_on_the_previous_backup(keras, tmp_path):
    x, y = _data()
    model = _build(keras)
    straight_log, straight_weights, _ = _straight_run(keras, x, y, model.get_weights())
    backup_dir = tmp_path / "backup"
    with pytest.raises(_Interrupt):
        _fit(model, x, y, [BackupAndRestore(backup_dir, double_checkpoint=True),
                           _interrupt_at(keras, 3)])
    assert sorted(os.listdir(backup_dir)) == [
        "latest.weights.h5", "latest.weights.h5.bkp", "training_metadata.json",
        "training_metadata.json.bkp"]
    assert json.loads((backup_dir / "training_metadata.json.bkp").read_text())["epoch"] == 2
    (backup_dir / "latest.weights.h5").write_bytes(b"garbage")  # the latest is damaged

    fresh = _build(keras)
    log = []
    history = _fit(fresh, x, y, [BackupAndRestore(backup_dir, double_checkpoint=True),
                                 _loss_log(keras, log)])
    assert history.epoch == [2, 3, 4, 5]  # from the previous backup, one epoch earlier
    _assert_logs_close(log, straight_log[2:])
    _assert_close(fresh.get_weights(), straight_weights)


def test_double_checkpoint_with_both_backups_damaged_is_a_clear_error(keras, tmp_path):
    x, y, backup_dir = _interrupted_backup(keras, tmp_path, double_checkpoint=True)
    (backup_dir / "latest.weights.h5").write_bytes(b"garbage")
    (backup_dir / "training_metadata.json.bkp").write_text("{}")
    with pytest.raises(BackupError, match="Neither the latest backup"):
        _fit(_build(keras), x, y, [BackupAndRestore(backup_dir, double_checkpoint=True)])


# -- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"backup_dir": ""}, "Empty `backup_dir`"),
    ({"backup_dir": "b", "save_freq": "batch"}, "Invalid value for argument `save_freq`"),
    ({"backup_dir": "b", "save_freq": 0}, "Invalid value for argument `save_freq`"),
    ({"backup_dir": "b", "save_freq": False}, "Invalid value for argument `save_freq`"),
])
def test_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackupAndRestore(**kwargs)


def test_backup_file_names_follow_keras(tmp_path):
    backup = BackupAndRestore(tmp_path / "b")
    assert backup._weights_path == str(tmp_path / "b" / "latest.weights.h5")
    assert backup._training_metadata_path == str(tmp_path / "b" / "training_metadata.json")
