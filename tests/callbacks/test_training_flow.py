"""The whole flow on real data, on each backend: ``fit`` on the digits with a validation split,
``EarlyStopping(restore_best_weights=True)``, ``ModelCheckpoint(save_best_only=True)`` and
``CSVLogger`` together. The run really stops early (val_loss turns up), at the epoch the
monitored value stopped improving plus ``patience``; the model ends with the best epoch's
weights; the checkpoint on disk is the best epoch's and loads to the same predictions; the CSV
holds every value History holds."""

from __future__ import annotations

import csv
import hashlib

import numpy as np

from layerkit.callbacks.model_checkpoint import ModelCheckpoint

N_SAMPLES = 400  # a slice of the digits: 300 to train on, 100 to validate on
EPOCHS = 40
PATIENCE = 2


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_early_stopping_checkpoint_and_csv_agree(keras, tmp_path):
    (x, y), _ = keras.datasets.digits.load_data()
    x, y = x[:N_SAMPLES].astype("float32") / 16.0, y[:N_SAMPLES]
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    checkpoint_path = tmp_path / "checkpoints" / "best.h5"
    csv_path = tmp_path / "log.csv"
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE,
                                         restore_best_weights=True)
    weights, predictions, digests = [], [], []

    def record(epoch, logs):  # after the checkpoint: the model and the file at this epoch end
        weights.append([w.copy() for w in model.get_weights()])
        predictions.append(model.predict(x, batch_size=100, verbose=0))
        digests.append(_digest(checkpoint_path))

    history = model.fit(
        x, y, epochs=EPOCHS, batch_size=50, validation_split=0.25, verbose=0,
        callbacks=[stop, ModelCheckpoint(checkpoint_path, monitor="val_loss",
                                         save_best_only=True),
                   keras.callbacks.CSVLogger(csv_path),
                   keras.callbacks.LambdaCallback(on_epoch_end=record)])
    logs = history.history
    val_loss = logs["val_loss"]
    epochs_run = len(val_loss)
    best = int(np.argmin(val_loss))  # the first epoch with the lowest val_loss

    # It stopped for real, PATIENCE epochs after the monitored value stopped improving.
    assert epochs_run < EPOCHS
    assert history.epoch == list(range(epochs_run))
    assert stop.stopped_epoch == epochs_run - 1 == best + PATIENCE
    assert stop.best_epoch == best and stop.best == val_loss[best]
    assert all(v >= val_loss[best] for v in val_loss[best + 1:])
    assert best >= 3  # it learned for a while before val_loss turned up

    # The model holds the best epoch's weights, not the last epoch's.
    for got, want in zip(model.get_weights(), weights[best]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(weights[best][0], weights[-1][0])

    # The checkpoint was last written at the best epoch, and holds that epoch's model.
    improved = [e for e in range(epochs_run) if val_loss[e] < min(val_loss[:e], default=np.inf)]
    written = [e for e in range(epochs_run) if e == 0 or digests[e] != digests[e - 1]]
    assert written == improved and written[-1] == best
    loaded = keras.models.load_model(checkpoint_path)
    for got, want in zip(loaded.get_weights(), weights[best]):
        np.testing.assert_array_equal(got, want)
    best_predictions = loaded.predict(x, batch_size=100, verbose=0)
    np.testing.assert_array_equal(best_predictions, predictions[best])
    np.testing.assert_array_equal(best_predictions, model.predict(x, batch_size=100, verbose=0))
    val = slice(int(N_SAMPLES * 0.75), N_SAMPLES)  # validation_split takes the last samples
    np.testing.assert_allclose(
        loaded.evaluate(x[val], y[val], batch_size=100, verbose=0, return_dict=True)["loss"],
        val_loss[best], rtol=1e-5)

    # The CSV: one row per epoch, every value equal to History's.
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == epochs_run
    assert set(rows[0]) == {"epoch", *logs}
    for epoch, row in enumerate(rows):
        assert int(row["epoch"]) == epoch
        for key, values in logs.items():
            assert float(row[key]) == values[epoch], (epoch, key)
