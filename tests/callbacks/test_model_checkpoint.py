"""``ModelCheckpoint``: file name templates, save_best_only, save_weights_only, save_freq, and
checkpoints that load back to the model as it was when they were written (on each backend)."""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np
import pytest

from layerkit.callbacks.model_checkpoint import ModelCheckpoint


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.1)[:, None]
    return x, y.astype(np.float32)


def _model(keras, lr=0.01):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _scripted(keras, key, values):
    """A callback (put before the checkpoint) that sets ``logs[key]`` to ``values[epoch]``."""
    def on_epoch_end(epoch, logs):
        logs[key] = values[epoch]

    return keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


class _Recorder:
    """Per epoch end (put after the checkpoint): the weights, the predictions on ``x`` and the
    checkpoint file's digest (None while there is none)."""

    def __init__(self, keras, x, path=None):
        self.weights, self.predictions, self.digests = [], [], []
        self.callback = keras.callbacks.LambdaCallback(on_epoch_end=self._on_epoch_end)
        self.x, self.path = x, path

    def _on_epoch_end(self, epoch, logs):
        model = self.callback.model
        self.weights.append([w.copy() for w in model.get_weights()])
        self.predictions.append(model.predict(self.x, verbose=0))
        if self.path is not None:
            self.digests.append(_digest(self.path) if os.path.exists(self.path) else None)


def _assert_same_weights(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


# -- file names --------------------------------------------------------------------------------
def test_templates_name_files_by_epoch_and_logs_and_make_the_folder(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    template = str(tmp_path / "new" / "folder" / "m-{epoch:02d}-{val_loss:.3f}-{mae:.2f}.h5")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x, y),
                        callbacks=[ModelCheckpoint(template)])
    h = history.history
    expected = {f"m-{e + 1:02d}-{h['val_loss'][e]:.3f}-{h['mae'][e]:.2f}.h5" for e in range(3)}
    assert set(os.listdir(tmp_path / "new" / "folder")) == expected
    assert any(name.startswith("m-03-") for name in expected)


def test_template_with_a_key_not_in_the_logs_raises(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{epoch}-{val_auc:.2f}.h5"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*val_auc"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[checkpoint])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"filepath": "w.h5", "save_weights_only": True}, ValueError, r"must end in `\.weights\.h5`"),
    ({"filepath": "w.keras", "save_weights_only": True}, ValueError, r"`\.weights\.h5`"),
    ({"filepath": "m.keras"}, NotImplementedError, r"\.keras.*not support"),
    ({"filepath": "m.weights.h5"}, ValueError, "save_weights_only=True"),
    ({"filepath": "m.hdf5"}, ValueError, r"must end in `\.keras` or `\.h5`"),
    ({"filepath": "m"}, ValueError, r"must end in `\.keras` or `\.h5`"),
    ({"filepath": "m.h5", "save_freq": "batch"}, ValueError, "Unrecognized save_freq"),
    ({"filepath": "m.h5", "save_freq": 0}, ValueError, "Unrecognized save_freq"),
    ({"filepath": "m.h5", "save_freq": True}, ValueError, "Unrecognized save_freq"),
])
def test_file_name_and_save_freq_rules(kwargs, error, message):
    with pytest.raises(error, match=message):
        ModelCheckpoint(**kwargs)


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'best' is unknown"):
        checkpoint = ModelCheckpoint("m.h5", mode="best")
    assert checkpoint.mode == "auto"


def test_an_existing_folder_as_filepath_is_a_clear_error(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    (tmp_path / "taken.h5").mkdir()
    with pytest.raises(IsADirectoryError, match="non-directory filepath"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(str(tmp_path / "taken.h5"))])


# -- what is saved, and when ------------------------------------------------------------------
def test_every_epoch_checkpoint_loads_to_the_model_of_that_epoch(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    recorder = _Recorder(keras, x)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "e{epoch}.h5")), recorder.callback])
    for epoch in range(3):
        loaded = keras.models.load_model(tmp_path / f"e{epoch + 1}.h5")
        _assert_same_weights(loaded.get_weights(), recorder.weights[epoch])
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), recorder.predictions[epoch])
        # The whole model: compiled again, with the optimizer's state of that epoch.
        assert loaded.compiled
        assert int(loaded.optimizer.iterations.numpy()) == 3 * (epoch + 1)
    assert not np.array_equal(recorder.weights[0][0], recorder.weights[2][0])


def test_save_best_only_writes_only_when_the_monitored_value_improves(keras, tmp_path, capsys):
    x, y = _data()
    model = _model(keras)
    values = [1.0, 0.5, 0.7, 0.5, 0.4, 0.9]
    path = str(tmp_path / "best.h5")
    recorder = _Recorder(keras, x, path)
    checkpoint = ModelCheckpoint(path, save_best_only=True, verbose=1)
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                        callbacks=[_scripted(keras, "val_loss", values), checkpoint,
                                   recorder.callback])
    monitored = history.history["val_loss"]
    assert monitored == values
    best, improved = None, []
    for value in monitored:
        improved.append(best is None or value < best)
        best = value if improved[-1] else best
    assert improved == [True, True, False, False, True, False]
    changed = [recorder.digests[0] is not None] + [
        recorder.digests[e] != recorder.digests[e - 1] for e in range(1, 6)]
    assert changed == improved
    assert checkpoint.best == 0.4
    # The file is the model of the last improving epoch (epoch index 4).
    loaded = keras.models.load_model(path)
    _assert_same_weights(loaded.get_weights(), recorder.weights[4])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), recorder.predictions[4])
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from None to 1.00000, saving model to {path}" in out
    assert f"Epoch 2: val_loss improved from 1.00000 to 0.50000, saving model to {path}" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out
    assert "Epoch 4: val_loss did not improve from 0.50000" in out
    assert f"Epoch 5: val_loss improved from 0.50000 to 0.40000, saving model to {path}" in out
    assert f"Epoch 5: finished saving model to {path}" in out
    assert "Epoch 6: val_loss did not improve from 0.40000" in out


def test_save_best_only_with_an_epoch_template_keeps_one_file_per_improvement(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    values = [0.2, 0.6, 0.5, 0.7, 0.65]  # accuracy-like: higher is better (mode auto)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0,
              callbacks=[_scripted(keras, "val_accuracy", values),
                         ModelCheckpoint(str(tmp_path / "{epoch}-{val_accuracy:.2f}.h5"),
                                         monitor="val_accuracy", save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["1-0.20.h5", "2-0.60.h5", "4-0.70.h5"]


@pytest.mark.parametrize("mode, saved", [("min", ["1", "3"]), ("max", ["1", "2", "4"])])
def test_explicit_modes(keras, tmp_path, mode, saved):
    x, y = _data()
    model = _model(keras)
    values = [0.5, 0.6, 0.4, 0.7]
    model.fit(x, y, epochs=4, batch_size=8, verbose=0,
              callbacks=[_scripted(keras, "score", values),
                         ModelCheckpoint(str(tmp_path / "{epoch}.h5"), monitor="score",
                                         mode=mode, save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == [f"{e}.h5" for e in saved]


def test_initial_value_threshold_is_the_first_best(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    values = [0.5, 0.35, 0.2]
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[_scripted(keras, "val_loss", values),
                         ModelCheckpoint(str(tmp_path / "{epoch}.h5"), save_best_only=True,
                                         initial_value_threshold=0.4)])
    assert sorted(os.listdir(tmp_path)) == ["2.h5", "3.h5"]


def test_missing_monitor_warns_and_saves_as_keras_3(keras, tmp_path):
    # Keras 3 warns and falls back to saving (save_best_only=False) when the logs lack the
    # monitored value.
    x, y = _data()
    model = _model(keras)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0,
                  callbacks=[ModelCheckpoint(str(tmp_path / "{epoch}.h5"),
                                             save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["1.h5", "2.h5"]


def test_verbose_message_without_save_best_only(keras, tmp_path, capsys):
    x, y = _data()
    model = _model(keras)
    path = str(tmp_path / "m.h5")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(path, verbose=1)])
    out = capsys.readouterr().out
    assert f"Epoch 1: saving model to {path}" in out
    assert f"Epoch 1: finished saving model to {path}" in out


def test_save_weights_only_writes_weights_and_optimizer_state(keras, tmp_path):
    x, y = _data()
    model = _model(keras)
    recorder = _Recorder(keras, x)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_data=(x, y),
              callbacks=[ModelCheckpoint(str(tmp_path / "w{epoch}.weights.h5"),
                                         save_weights_only=True), recorder.callback])
    assert sorted(os.listdir(tmp_path)) == ["w1.weights.h5", "w2.weights.h5"]
    with pytest.raises(Exception):  # noqa: B017 - a weights file is not a whole model
        keras.models.load_model(tmp_path / "w1.weights.h5")
    fresh = _model(keras)
    fresh.load_weights(tmp_path / "w1.weights.h5")
    _assert_same_weights(fresh.get_weights(), recorder.weights[0])
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), recorder.predictions[0])
    assert int(fresh.optimizer.iterations.numpy()) == 3
    for a, b in zip(fresh.optimizer.variables, model.optimizer.variables):
        assert a.shape == b.shape


def test_save_freq_counts_batches_across_epochs(keras, tmp_path):
    x, y = _data(24)  # 3 batches of 8 per epoch
    model = _model(keras)
    saved_weights = {}

    class AtBatchEnd(keras.callbacks.Callback):
        """Runs after the checkpoint: the weights of the file written at this batch, if any."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            saved_weights[(self.epoch, batch)] = [w.copy() for w in model.get_weights()]

    callbacks = [ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.h5"),
                                 save_weights_only=True, save_freq=2), AtBatchEnd()]
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=callbacks)
    # Global batches 2, 4, 6, 8 of 9: (epoch 1, batch 2), (2, 1), (2, 3), (3, 2), 1-based.
    names = sorted(os.listdir(tmp_path))
    assert names == ["e1-b2.weights.h5", "e2-b1.weights.h5", "e2-b3.weights.h5",
                     "e3-b2.weights.h5"]
    for name in names:
        epoch, batch = (int(v) for v in re.match(r"e(\d)-b(\d)", name).groups())
        fresh = _model(keras)
        fresh.load_weights(tmp_path / name)
        _assert_same_weights(fresh.get_weights(), saved_weights[(epoch - 1, batch - 1)])
        steps = 3 * (epoch - 1) + batch
        assert int(fresh.optimizer.iterations.numpy()) == steps


def test_save_freq_with_save_best_only_monitors_the_batch_logs(keras, tmp_path):
    x, y = _data(24)
    model = _model(keras, lr=0.05)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                        callbacks=[ModelCheckpoint(str(tmp_path / "{epoch}-{batch}-{loss:.4f}.h5"),
                                                   monitor="loss", save_best_only=True,
                                                   save_freq=3)])
    # Every 3 batches is every epoch end here: the batch logs' loss at the last batch is the
    # epoch's loss; a file is written at each epoch whose loss is the lowest so far.
    losses = history.history["loss"]
    expected = [f"{e + 1}-3-{losses[e]:.4f}.h5" for e in range(3)
                if losses[e] < min(losses[:e], default=np.inf)]
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    assert len(expected) >= 2
