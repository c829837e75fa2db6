"""EinsumDense: kernel, bias and output shapes for each equation form, against numpy's einsum,
with Keras's fan axes for its initializer, and errors naming the layer."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras


@pytest.mark.parametrize("equation, output_shape, bias_axes, x_shape, kernel, bias, out", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cd->abd", (None, 5), "d", (2, 3, 4), (4, 5), (5,), (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 4, 5), (5, 2, 3), (2, 3), (2, 4, 2, 3)),
    ("abc,cde->abde", (None, 2, 3), "be", (2, 4, 5), (5, 2, 3), (4, 1, 3), (2, 4, 2, 3)),
    ("abcd,cde->abe", (None, 6), None, (2, 3, 4, 5), (4, 5, 6), None, (2, 3, 6)),
    ("...b,bc->...c", (3,), "c", (2, 4, 5), (5, 3), (3,), (2, 4, 3)),
    ("ab...,bc->ac...", (3,), "c", (2, 4, 5), (4, 3), (3, 1), (2, 3, 5)),
])
def test_shapes_and_values(keras, equation, output_shape, bias_axes, x_shape, kernel, bias, out):
    x = np.random.default_rng(0).normal(size=x_shape).astype("float32")
    layer = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes,
                                     bias_initializer="ones")
    y = np.asarray(layer(x))
    assert layer.kernel.shape == kernel
    assert (layer.bias is None and bias is None) or layer.bias.shape == bias
    expected = np.einsum(equation, x, layer.kernel.numpy())
    if bias is not None:
        expected = expected + 1.0
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, *x_shape[1:])) == (None, *out[1:])


def test_kernel_initializer_uses_the_einsum_fans(keras):
    # kernel (64, 8, 16): fan_in 64 (the contracted axis), fan_out 8 * 16 (the made axes);
    # a plain (..., in, out) reading would take fan_in 64 * 8.
    layer = keras.layers.EinsumDense("abc,cde->abde", (None, 8, 16),
                                     kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    layer(np.zeros((1, 2, 64), "float32"))
    limit = np.sqrt(6.0 / (64 + 128))
    kernel = layer.kernel.numpy()
    assert kernel.max() <= limit and kernel.max() > 0.95 * limit
    assert layer.get_config()["kernel_initializer"]["config"] == {"seed": 1}  # as given


def test_trains_in_a_model(keras):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3, 4)).astype("float32")
    y = x.sum(-1, keepdims=True) * np.ones((1, 1, 2), "float32")
    model = keras.Sequential([keras.Input((3, 4)),
                              keras.layers.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d")])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]


def test_errors_name_the_layer(keras):
    with pytest.raises(ValueError, match="EinsumDense 'e': equation 'ab->b' must have the form"):
        keras.layers.EinsumDense("ab->b", 3, name="e")
    with pytest.raises(ValueError, match=r"output_shape \(3, 4\) must give 1 sizes"):
        keras.layers.EinsumDense("ab,bc->ac", (3, 4))(keras.Input((5,)))
    with pytest.raises(ValueError, match="bias axes 'x' are not output axes"):
        keras.layers.EinsumDense("ab,bc->ac", 3, bias_axes="x")(keras.Input((5,)))
    with pytest.raises(ValueError, match="names 2 input axes, inputs of shape"):
        keras.layers.EinsumDense("ab,bc->ac", 3)(keras.Input((5, 2)))
    with pytest.raises(ValueError, match="output axis 'b' is shared with the inputs, whose "
                                         "size there is 4, but output_shape gives 9"):
        keras.layers.EinsumDense("abc,cd->abd", (9, 2))(keras.Input((4, 5)))
    with pytest.raises(NotImplementedError, match="lora_rank=4"):
        keras.layers.EinsumDense("ab,bc->ac", 3, lora_rank=4)
