"""BatchNormalization and LayerNormalization: training vs inference, the moving statistics
after fit steps, axes, configs, errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture (an assignment, not an import: no F811 below)


def _data(shape=(32, 3), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * [2.0] + 5.0).astype(np.float32)


def test_batch_norm_weights(keras):
    layer = keras.layers.BatchNormalization()
    layer(keras.Input(shape=(4,)))
    assert [w.path for w in layer.weights] == [
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    assert [w.path for w in layer.trainable_weights] == ["batch_normalization/gamma",
                                                         "batch_normalization/beta"]
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(4))
    np.testing.assert_array_equal(beta, np.zeros(4))
    np.testing.assert_array_equal(mean, np.zeros(4))
    np.testing.assert_array_equal(var, np.ones(4))


def test_batch_norm_training_uses_batch_statistics_and_inference_moving_ones(keras):
    x = _data()
    layer = keras.layers.BatchNormalization(epsilon=1e-3)
    layer(keras.Input(shape=(3,)))
    gamma = np.array([1.0, 2.0, 0.5], np.float32)
    beta = np.array([0.0, -1.0, 3.0], np.float32)
    moving_mean = np.array([1.0, 2.0, 3.0], np.float32)
    moving_var = np.array([4.0, 0.25, 1.0], np.float32)
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    trained = layer(x, training=True)
    mean, var = x.mean(0), x.var(0)  # the biased variance, as Keras
    np.testing.assert_allclose(trained, (x - mean) / np.sqrt(var + 1e-3) * gamma + beta,
                               rtol=1e-4, atol=1e-4)
    # As in Keras 3, a training call on arrays also moves the moving statistics (momentum 0.99).
    moving_mean = 0.99 * moving_mean + 0.01 * mean
    moving_var = 0.99 * moving_var + 0.01 * var
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean, rtol=1e-5)
    inferred = layer(x)
    np.testing.assert_allclose(inferred, (x - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma
                               + beta, rtol=1e-4, atol=1e-4)


def test_moving_statistics_after_fit_steps_follow_the_momentum_formula(keras):
    x = _data((64, 3))
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.BatchNormalization(momentum=0.9)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(x, np.zeros_like(x), batch_size=32, epochs=1, shuffle=False, verbose=0)
    mean, var = np.zeros(3), np.ones(3)
    for batch in (x[:32], x[32:]):
        mean = 0.9 * mean + 0.1 * batch.mean(0)
        var = 0.9 * var + 0.1 * batch.var(0)
    _, _, moving_mean, moving_var = model.layers[0].get_weights()
    np.testing.assert_allclose(moving_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(moving_var, var, rtol=1e-5)
    # evaluate and predict use the moving statistics and leave them alone.
    model.evaluate(x, np.zeros_like(x), verbose=0)
    prediction = model.predict(x, verbose=0)
    gamma, beta, after_mean, after_var = model.layers[0].get_weights()
    np.testing.assert_array_equal(after_mean, moving_mean)
    np.testing.assert_allclose(prediction, (x - moving_mean) / np.sqrt(moving_var + 1e-3)
                               * gamma + beta, rtol=1e-4, atol=1e-4)


def test_frozen_batch_norm_runs_in_inference_mode(keras):
    x = _data((16, 2))
    layer = keras.layers.BatchNormalization(trainable=False)
    model = keras.Sequential([keras.Input(shape=(2,)), layer, keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(x, np.zeros((16, 1), np.float32), batch_size=16, verbose=0)
    _, _, mean, var = layer.get_weights()
    np.testing.assert_array_equal(mean, np.zeros(2))
    np.testing.assert_array_equal(var, np.ones(2))


def test_moving_statistics_update_in_a_functional_model(keras):
    x = _data((32, 3))
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization(momentum=0.5)(inputs))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(x, np.zeros_like(x), batch_size=32, verbose=0)
    np.testing.assert_allclose(model.layers[1].get_weights()[2], 0.5 * x.mean(0), rtol=1e-5)


def test_batch_norm_over_channels_first(keras):
    x = _data((8, 3, 4, 5))
    layer = keras.layers.BatchNormalization(axis=1)
    out = layer(x, training=True)
    assert [tuple(w.shape) for w in layer.weights] == [(3,)] * 4
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)


def test_batch_norm_config_and_errors(keras):
    layer = keras.layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                                            gamma_regularizer="l2")
    config = layer.get_config()
    assert config["momentum"] == 0.9 and config["center"] is False
    assert keras.layers.BatchNormalization.from_config(config).get_config() == config
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config
    no_beta = keras.layers.BatchNormalization(center=False)
    no_beta(keras.Input(shape=(2,)))
    assert [w.path.split("/")[-1] for w in no_beta.weights] == ["gamma", "moving_mean",
                                                                "moving_variance"]
    built = keras.layers.BatchNormalization()
    built(keras.Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'batch_normalization_2' expects "
                                         r"inputs of shape \(\?, 4\).*got shape \(None, 5\)"):
        built(keras.Input(shape=(5,)))
    with pytest.raises(ValueError, match=r"cannot take inputs of shape \(None, 4\): axis 3 is "
                                         "out of range"):
        keras.layers.BatchNormalization(axis=3)(keras.Input(shape=(4,)))
    with pytest.raises(NotImplementedError, match="synchronized"):
        keras.layers.BatchNormalization(synchronized=True)


def test_layer_norm_normalizes_each_sample(keras):
    x = _data((5, 6))
    layer = keras.layers.LayerNormalization()
    layer(keras.Input(shape=(6,)))
    rng = np.random.default_rng(3)
    gamma, beta = rng.normal(size=6).astype(np.float32), rng.normal(size=6).astype(np.float32)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


def test_layer_norm_over_several_axes(keras):
    x = _data((4, 3, 5))
    layer = keras.layers.LayerNormalization(axis=[1, 2], center=False)
    out = layer(x)
    assert [tuple(w.shape) for w in layer.weights] == [(3, 5)]
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    middle = keras.layers.LayerNormalization(axis=1)
    out = middle(x)
    assert [tuple(w.shape) for w in middle.weights] == [(3,), (3,)]
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)


def test_layer_norm_config_and_errors(keras):
    layer = keras.layers.LayerNormalization(axis=[-2, -1], epsilon=1e-6, scale=False)
    config = layer.get_config()
    assert config["axis"] == [-2, -1] and config["epsilon"] == 1e-6
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config
    with pytest.raises(NotImplementedError, match="rms_scaling"):
        keras.layers.LayerNormalization(rms_scaling=True)
    with pytest.raises(ValueError, match="axis 2 is out of range for inputs of rank 2"):
        keras.layers.LayerNormalization(axis=2)(keras.Input(shape=(3,)))


def test_layer_norm_gradients_train(keras):
    x = _data((32, 4))
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.LayerNormalization(),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = model.get_weights()
    model.fit(x, x[:, :1], batch_size=32, verbose=0)
    for old, new in zip(before, model.get_weights()):
        assert not np.allclose(old, new)


def _group_norm(x, groups, axis, gamma, beta, epsilon):
    """Group normalization in numpy: channels on ``axis`` split into ``groups``."""
    moved = np.moveaxis(x, axis, -1)
    shape = moved.shape
    grouped = moved.reshape(*shape[:-1], groups, shape[-1] // groups)
    reduce = (*range(1, grouped.ndim - 2), grouped.ndim - 1)
    mean = grouped.mean(reduce, keepdims=True)
    var = grouped.var(reduce, keepdims=True)
    normed = ((grouped - mean) / np.sqrt(var + epsilon)).reshape(shape) * gamma + beta
    return np.moveaxis(normed, -1, axis)


@pytest.mark.parametrize("groups, axis, shape", [
    (2, -1, (3, 5, 4)), (1, -1, (3, 6)), (-1, -1, (2, 3, 3, 4)), (3, 1, (2, 6, 4, 2)),
])
def test_group_normalization_against_numpy(keras, groups, axis, shape):
    x = _data(shape)
    layer = keras.layers.GroupNormalization(groups=groups, axis=axis, epsilon=1e-3)
    layer(x)  # builds
    channels = shape[axis]
    rng = np.random.default_rng(4)
    gamma, beta = (rng.normal(size=channels).astype("float32") for _ in range(2))
    layer.set_weights([gamma, beta])
    n_groups = channels if groups == -1 else groups
    np.testing.assert_allclose(layer(x), _group_norm(x, n_groups, axis, gamma, beta, 1e-3),
                               rtol=1e-4, atol=1e-4)


def test_group_normalization_trains_with_unknown_batch(keras):
    x = _data((16, 4, 6))
    model = keras.Sequential([keras.Input((4, 6)), keras.layers.GroupNormalization(groups=3),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    y = x[:, :, :3].mean((1, 2))[:, None]
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_group_normalization_errors(keras):
    with pytest.raises(ValueError, match="groups=4 must divide the 6 channels"):
        keras.layers.GroupNormalization(groups=4)(keras.Input((3, 6)))
    with pytest.raises(ValueError, match="groups must be a positive int"):
        keras.layers.GroupNormalization(groups=0)


def test_unit_normalization(keras):
    x = _data((3, 4, 5))
    np.testing.assert_allclose(keras.layers.UnitNormalization()(x),
                               x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    norms = np.sqrt((x ** 2).sum((1, 2), keepdims=True))
    np.testing.assert_allclose(keras.layers.UnitNormalization(axis=[1, 2])(x), x / norms,
                               rtol=1e-5)
    np.testing.assert_array_equal(keras.layers.UnitNormalization()(np.zeros((1, 3), "float32")),
                                  0.0)  # no division by zero
    with pytest.raises(ValueError, match="axis 3 is out of range for inputs of rank 3"):
        keras.layers.UnitNormalization(axis=3)(keras.Input((4, 5)))
