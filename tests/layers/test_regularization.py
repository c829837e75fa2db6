"""Noise and regularization layers: inference passes inputs through; in training, the
statistics of the noise are those of each layer's definition (checked on large samples), the
shared draws of noise shapes are shared, and the layers train inside models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras


def _train(keras, layer, x):
    """The layer's training-mode output on ``x``, through a one-layer model's program."""
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, layer(inputs, training=True))
    return model.predict(x, batch_size=len(x), verbose=0)


NOISE = [
    ("GaussianNoise", {"stddev": 0.5}),
    ("GaussianDropout", {"rate": 0.3}),
    ("AlphaDropout", {"rate": 0.2}),
    ("SpatialDropout1D", {"rate": 0.5}),
    ("Dropout", {"rate": 0.5, "noise_shape": (None, 1, 4)}),
]


@pytest.mark.parametrize("cls, kwargs", NOISE, ids=[c for c, _ in NOISE])
def test_inference_is_the_identity(keras, cls, kwargs):
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    np.testing.assert_array_equal(getattr(keras.layers, cls)(**kwargs)(x), x)


def test_gaussian_noise_adds_noise_of_stddev(keras):
    x = np.full((4000, 50), 3.0, "float32")
    noise = _train(keras, keras.layers.GaussianNoise(0.5), x) - 3.0
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01


def test_gaussian_dropout_multiplies_by_noise_of_mean_one(keras):
    x = np.full((4000, 50), 2.0, "float32")
    factor = _train(keras, keras.layers.GaussianDropout(0.3), x) / 2.0
    assert abs(factor.mean() - 1.0) < 0.01
    assert abs(factor.std() - math.sqrt(0.3 / 0.7)) < 0.01


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs(keras):
    x = np.random.default_rng(1).normal(size=(4000, 50)).astype("float32")
    out = _train(keras, keras.layers.AlphaDropout(0.2), x)
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1.0) < 0.03
    # Dropped entries all take one value: a * alpha' + b.
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped_value = a * alpha_p - a * alpha_p * 0.2
    dropped = np.isclose(out, dropped_value, atol=1e-6)
    assert abs(dropped.mean() - 0.2) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] - a * alpha_p * 0.2, rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("cls, shape, shared", [
    ("SpatialDropout1D", (200, 6, 5), (1,)),
    ("SpatialDropout2D", (200, 3, 4, 5), (1, 2)),
    ("SpatialDropout3D", (100, 2, 3, 2, 5), (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_channels(keras, cls, shape, shared):
    x = np.ones(shape, "float32")
    out = _train(keras, getattr(keras.layers, cls)(0.4), x)
    first = out[(slice(None), *[slice(0, 1)] * len(shared))]
    np.testing.assert_array_equal(out, np.broadcast_to(first, out.shape))  # one draw per map
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / 0.6, rtol=1e-6)
    assert abs((first == 0).mean() - 0.4) < 0.05


def test_spatial_dropout_channels_first(keras):
    x = np.ones((300, 5, 3, 4), "float32")
    out = _train(keras, keras.layers.SpatialDropout2D(0.5, data_format="channels_first"), x)
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :, :1, :1], out.shape))


def test_dropout_noise_shape_shares_draws_along_size_one_axes(keras):
    x = np.ones((500, 6, 4), "float32")
    out = _train(keras, keras.layers.Dropout(0.5, noise_shape=(None, 1, 4)), x)
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))
    assert abs((out[:, 0] == 0).mean() - 0.5) < 0.03
    assert keras.layers.Dropout(0.5, noise_shape=[None, 1, 4]).get_config()["noise_shape"] == \
        [None, 1, 4]


def test_activity_regularization_adds_its_penalty(keras):
    layer = keras.layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layer(inputs))
    model.compile("sgd", "mse")
    expected = np.mean(x ** 2) + 0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()
    assert model.evaluate(x, np.zeros((4, 3)), verbose=0) == pytest.approx(expected, rel=1e-5)
    assert "activity_regularizer" not in layer.get_config()


def test_noise_layers_train_in_a_model(keras):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 6, 4)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = keras.Sequential([
        keras.Input((6, 4)), keras.layers.GaussianNoise(0.05), keras.layers.SpatialDropout1D(0.1),
        keras.layers.Flatten(), keras.layers.AlphaDropout(0.05), keras.layers.Dense(8),
        keras.layers.GaussianDropout(0.1), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    # The noise keeps the training loss up; the model still learns most of the target.
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    clean = model.evaluate(x, y, verbose=0)  # inference: no noise
    assert clean < 0.2 * np.var(y)


def test_bad_arguments_name_the_layer(keras):
    with pytest.raises(ValueError, match=r"GaussianNoise 'g': stddev must be a number in \[0, 1\]"):
        keras.layers.GaussianNoise(2.0, name="g")
    with pytest.raises(ValueError, match="rate must be a number in"):
        keras.layers.AlphaDropout(-0.1)
    with pytest.raises(ValueError, match=r"SpatialDropout2D 's' expects inputs of rank 4"):
        keras.layers.SpatialDropout2D(0.5, name="s")(keras.Input((3, 2)), training=True)
    with pytest.raises(ValueError, match=r"Dropout 'd': noise_shape \(None, 3\) does not "
                                         r"broadcast to inputs of shape \(None, 4\)"):
        keras.layers.Dropout(0.5, noise_shape=(None, 3), name="d")(keras.Input((4,)),
                                                                   training=True)
