"""EarlyStopping, CSVLogger, LambdaCallback, TerminateOnNaN, ReduceLROnPlateau and
LearningRateScheduler, driving real ``fit`` runs of tiny models on each backend."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.1)[:, None]
    return x, y.astype(np.float32)


def _model(keras, lr=0.01, optimizer="sgd"):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    opt = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer](lr)
    model.compile(optimizer=opt, loss="mse")
    return model


def _scripted(keras, key, values, weights_log):
    """A LambdaCallback (put before the one under test) that writes ``values[epoch]`` into
    the epoch logs under ``key`` and records the weights at each epoch end."""
    def on_epoch_end(epoch, logs):
        logs[key] = values[epoch]
        weights_log.append([w.copy() for w in model_ref[0].get_weights()])

    model_ref = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)
    callback.set_model = lambda model: (model_ref.append(model),
                                        setattr(callback, "model", model))
    return callback


# -- EarlyStopping -------------------------------------------------------------------------------
def test_early_stopping_stops_and_restores_best_weights(keras):
    x, y = _data()
    model = _model(keras)
    weights = []
    values = [1.0, 0.5, 0.4, 0.45, 0.41, 0.42, 0.3, 0.2, 0.1, 0.0]
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                         restore_best_weights=True)
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0, validation_data=(x, y),
                        callbacks=[_scripted(keras, "val_loss", values, weights), stop])
    # Best at epoch 2 (0.4); epochs 3, 4, 5 do not improve: stop after epoch 5.
    assert len(history.history["loss"]) == 6
    assert stop.stopped_epoch == 5
    assert stop.best == 0.4 and stop.best_epoch == 2
    for got, want in zip(model.get_weights(), weights[2]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(weights[2][0], weights[5][0])  # training did move them


def test_early_stopping_restores_when_training_ends_before_patience(keras):
    x, y = _data()
    model = _model(keras)
    weights = []
    values = [1.0, 0.2, 0.5, 0.6]
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                         restore_best_weights=True)
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0,
                        callbacks=[_scripted(keras, "val_loss", values, weights), stop])
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 0
    for got, want in zip(model.get_weights(), weights[1]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_on_real_loss_min_delta_and_start_from_epoch(keras):
    x, y = _data()
    model = _model(keras, lr=0.05)
    # The loss keeps falling, but never by 1e6: stops after patience epochs past the first.
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e6, patience=2,
                                         start_from_epoch=1)
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 3


def test_early_stopping_modes_and_baseline(keras):
    x, y = _data()
    weights = []
    # "val_accuracy" goes up in auto mode: 0.5 -> 0.6 improves, then flat.
    model = _model(keras)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[
        _scripted(keras, "val_accuracy", [0.5, 0.6, 0.6, 0.7, 0.8, 0.9], weights), stop])
    assert len(history.history["loss"]) == 3 and stop.best == 0.6
    # mode="min" forced on the same name: 0.6 > 0.5 is no improvement.
    model = _model(keras)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[
        _scripted(keras, "val_accuracy", [0.5, 0.6, 0.6, 0.7, 0.8, 0.9], []), stop])
    assert len(history.history["loss"]) == 2
    # A baseline never beaten: improvements do not restart the patience count (as Keras 3,
    # the stop itself comes on an epoch that does not improve).
    values = [0.9, 0.8, 0.8, 0.8, 0.8, 0.8]
    for baseline, epochs_run in ((0.1, 3), (None, 4)):
        model = _model(keras)
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, baseline=baseline)
        history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[
            _scripted(keras, "val_loss", values, []), stop])
        assert len(history.history["loss"]) == epochs_run


def test_early_stopping_warns_on_missing_monitor(keras):
    x, y = _data()
    model = _model(keras)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 2 and stop.stopped_epoch == 0


# -- CSVLogger and LambdaCallback ----------------------------------------------------------------
def test_csv_logger_rows_and_append(keras, tmp_path):
    x, y = _data()
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x, y),
                        callbacks=[keras.callbacks.CSVLogger(path)])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    keys = sorted(history.history)
    assert len(keys) == 4 and list(rows[0]) == ["epoch", *keys]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key in keys:
        np.testing.assert_allclose([float(r[key]) for r in rows], history.history[key])
    # Appending continues the file without a second header; a separator is honoured.
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_data=(x, y),
              callbacks=[keras.callbacks.CSVLogger(path, append=True)])
    lines = path.read_text().splitlines()
    assert len(lines) == 6 and lines[0].startswith("epoch,")
    semi = tmp_path / "semi.csv"
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(semi, separator=";")])
    # No validation on the first epoch: val_* columns are written as NA (as in Keras).
    assert semi.read_text().splitlines()[0] == ";".join(["epoch", *keys])
    assert semi.read_text().splitlines()[1].endswith(";NA;NA")


def test_lambda_callback_hooks(keras):
    x, y = _data()
    model = _model(keras)
    calls = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin{epoch}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin{batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end{batch}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end{epoch}:{sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append("test_end"))
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    assert calls == ["train_begin",
                     "epoch_begin0", "batch_begin0", "batch_end0", "batch_begin1", "batch_end1",
                     "epoch_end0:['loss']",
                     "epoch_begin1", "batch_begin0", "batch_end0", "batch_begin1", "batch_end1",
                     "epoch_end1:['loss']", "train_end"]
    model.evaluate(x, y, verbose=0, callbacks=[callback])
    assert calls[-1] == "test_end"


# -- TerminateOnNaN ------------------------------------------------------------------------------
def test_terminate_on_nan(keras):
    x, y = _data()
    x = x * 1e3
    model = _model(keras, lr=1e6)
    losses = []
    with np.errstate(all="ignore"):  # the numpy backend overflows on the way
        history = model.fit(x, y, epochs=20, batch_size=4, verbose=0, callbacks=[
            keras.callbacks.LambdaCallback(
                on_train_batch_end=lambda batch, logs: losses.append(logs["loss"])),
            keras.callbacks.TerminateOnNaN()])
    assert not np.isfinite(losses[-1])
    assert np.all(np.isfinite(losses[:-1]))  # stopped at the first bad batch
    assert len(history.history["loss"]) == 1
    assert len(losses) < 8  # 8 batches an epoch: the epoch was cut short


# -- learning rates ------------------------------------------------------------------------------
def test_learning_rate_scheduler_sets_lr_and_zero_freezes_weights(keras):
    x, y = _data()
    model = _model(keras, lr=0.1)
    seen = []
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[
        scheduler, keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate))])
    np.testing.assert_allclose(seen, [0.05, 0.025, 0.0125], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], seen, rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.0125)
    # Learning rate 0 from the scheduler (old one-argument API): the weights do not move.
    model = _model(keras, lr=0.1, optimizer="adam")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # the programs are traced with 0.1
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: 0.0)])
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    # ...and a positive rate set again trains once more.
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1)])
    assert not np.array_equal(model.get_weights()[0], before[0])


def test_learning_rate_scheduler_rejects_non_float(keras):
    x, y = _data()
    model = _model(keras)
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])


def test_reduce_lr_on_plateau(keras):
    x, y = _data()
    model = _model(keras, lr=0.01)
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
                                               cooldown=1, min_lr=0.002)
    seen = []
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0, callbacks=[
        _scripted(keras, "val_loss", values, []), reduce,
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: seen.append(model.optimizer.learning_rate))])
    # Plateau from epoch 1: reduced after epoch 3; epoch 4 ends the cooldown and counts (as
    # in Keras), so reduced again after epoch 5; epoch 7 improves.
    np.testing.assert_allclose(seen, [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.0025],
                               rtol=1e-6)
    # logs get the rate at the start of the epoch's check, as Keras.
    np.testing.assert_allclose(history.history["learning_rate"],
                               [0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025], rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=0,
                                               min_lr=0.002)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[_scripted(keras, "val_loss", [1.0, 1.0, 1.0], []), reduce])
    assert model.optimizer.learning_rate == pytest.approx(0.002)
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="nope")])
    assert any("nope" in str(w.message) for w in caught)
