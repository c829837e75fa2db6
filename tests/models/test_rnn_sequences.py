"""Recurrent layers learn for real: an LSTM and a GRU learn the sign of the running sum of a noisy
±1 sequence (at the last step, and at every step) to at least 95% on held-out sequences."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture (an assignment, not an import: no F811 below)

STEPS = 15  # odd, so the sum of ±1 at the last step is never 0


def _sequences(n: int, per_step: bool, seed: int):
    """``x[t] = s[t] + noise`` with ``s[t]`` in {-1, +1}; the label is ``sum(s[:t + 1]) > 0``."""
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=(n, STEPS))
    x = (signs + rng.normal(scale=0.3, size=signs.shape)).astype(np.float32)[..., None]
    y = (np.cumsum(signs, axis=1) > 0).astype(np.float32)
    return x, (y[..., None] if per_step else y[:, -1:])


@pytest.mark.parametrize("layer, per_step", [("LSTM", False), ("GRU", True)])
def test_recurrent_layer_learns_the_running_sum_sign(keras, layer, per_step):
    x_train, y_train = _sequences(2048, per_step, seed=1)
    x_test, y_test = _sequences(512, per_step, seed=2)
    model = keras.Sequential([
        keras.Input(shape=(None, 1)),  # any sequence length: the layer loops with one scan op
        getattr(keras.layers, layer)(16, return_sequences=per_step),
        keras.layers.Dense(1, activation="sigmoid"),  # on every step's output when per_step
    ])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    # 2048 = 64 batches of 32: no partial last batch, so one compiled train program.
    history = model.fit(x_train, y_train, batch_size=32, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    _, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    assert accuracy >= 0.95, accuracy
