"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax against numpy, eager and in models."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras


def _x(shape=(3, 5), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32") * 2


def _relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else np.where(x >= max_value, max_value, y)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 1.0}, {"negative_slope": 0.1},
                                    {"threshold": 0.5},
                                    {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.3}])
def test_relu(keras, kwargs):
    x = _x()
    np.testing.assert_allclose(keras.layers.ReLU(**kwargs)(x), _relu(x, **kwargs), rtol=1e-6,
                               atol=1e-6)


def test_leaky_relu_and_elu(keras):
    x = _x()
    np.testing.assert_allclose(keras.layers.LeakyReLU()(x), np.where(x >= 0, x, 0.3 * x),
                               rtol=1e-6)
    np.testing.assert_allclose(keras.layers.LeakyReLU(negative_slope=0.05)(x),
                               np.where(x >= 0, x, 0.05 * x), rtol=1e-6)
    assert keras.layers.LeakyReLU(alpha=0.2).negative_slope == 0.2  # Keras 2's name
    np.testing.assert_allclose(keras.layers.ELU(alpha=0.5)(x),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-5, atol=1e-6)


def test_prelu_learns_a_slope_per_unshared_entry(keras):
    x = _x((2, 4, 3, 2))
    layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                               shared_axes=[1, 2])
    np.testing.assert_allclose(layer(x), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    assert layer.alpha.shape == (1, 1, 2)
    assert keras.layers.PReLU().compute_output_shape((None, 4, 3)) == (None, 4, 3)
    dense = keras.layers.PReLU()
    dense(_x((2, 3)))
    assert dense.alpha.shape == (3,) and np.all(dense.get_weights()[0] == 0)  # "Zeros"


def test_prelu_trains(keras):
    x = _x((64, 3))
    y = np.where(x > 0, x, 0.5 * x)  # a leaky target: alpha must move from 0 to 0.5
    model = keras.Sequential([keras.Input((3,)), keras.layers.PReLU()])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(x, y, epochs=40, batch_size=64, verbose=0)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], 0.5, atol=0.02)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_axes_and_mask(keras):
    x = _x((2, 4, 3))
    np.testing.assert_allclose(keras.layers.Softmax()(x), _softmax(x, -1), rtol=1e-5)
    np.testing.assert_allclose(keras.layers.Softmax(axis=1)(x), _softmax(x, 1), rtol=1e-5)
    np.testing.assert_allclose(keras.layers.Softmax(axis=[1, 2])(x), _softmax(x, (1, 2)),
                               rtol=1e-5)
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)[:, None, :]  # broadcast over axis 1
    masked = np.where(mask, np.exp(x), 0.0)
    np.testing.assert_allclose(keras.layers.Softmax()(x, mask=mask),
                               masked / masked.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_softmax_mask_in_a_functional_model(keras):
    scores, mask = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([scores, mask], keras.layers.Softmax()(scores, mask=mask))
    x = _x((2, 4))
    m = np.array([[1, 0, 1, 1], [0, 0, 1, 0]], "float32")  # floats: > 0.5 counts
    out = model.predict([x, m], verbose=0)
    expected = np.where(m > 0.5, np.exp(x), 0.0)
    np.testing.assert_allclose(out, expected / expected.sum(-1, keepdims=True), rtol=1e-5,
                               atol=1e-7)


def test_bad_arguments_name_the_layer(keras):
    with pytest.raises(ValueError, match="ReLU 'r': max_value must be a non-negative number"):
        keras.layers.ReLU(max_value=-1, name="r")
    with pytest.raises(ValueError, match="negative_slope must be a non-negative number"):
        keras.layers.LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"shared_axes \[3\] must name non-batch axes"):
        keras.layers.PReLU(shared_axes=3)(keras.Input((4, 2)))
    with pytest.raises(ValueError, match=r"Softmax 's': the mask must broadcast to the inputs, "
                                         r"got mask shape \(None, 3\) for inputs of shape "
                                         r"\(None, 4\)"):
        keras.layers.Softmax(name="s")(keras.Input((4,)), mask=keras.Input((3,)))
