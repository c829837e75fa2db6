"""A small CNN learns the 8x8 digits: Conv2D, MaxPooling2D and Flatten trained end to end by
``fit`` on each backend (about 3 s with numpy and 8 s with jax on a 2-core machine)."""

from __future__ import annotations

import numpy as np

from layerkit.datasets import digits
from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture: a clean Keras session, once per backend


def _images():
    (x_train, y_train), (x_test, y_test) = digits.load_data()

    def scale(x):
        return (x[..., None] / 16.0).astype(np.float32)  # (n, 8, 8, 1) in [0, 1]

    return scale(x_train), y_train, scale(x_test), y_test


def test_cnn_learns_digits(keras):
    x_train, y_train, x_test, y_test = _images()
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    assert model.compute_output_shape((None, 8, 8, 1)) == (None, 10)
    assert model.count_params() == (9 * 32 + 32) + (9 * 32 * 64 + 64) + (256 * 10 + 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.97, accuracy
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) >= 0.97
