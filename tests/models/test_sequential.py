"""What a Keras 3 user reads off a model before calling it: the inputs and outputs of a built
Sequential's layers, and a functional model's input and output shapes."""

from __future__ import annotations

import numpy as np


def test_layers_of_a_built_sequential_have_inputs_and_outputs(keras):
    """As in Keras 3: a feature extractor cut from a Sequential's layers."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2)])
    assert model.layers[0].output.shape == (None, 3) and model.layers[1].input.shape == (None, 3)
    assert model.output_shape == (None, 2) and model.input_shape == (None, 4)
    extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    hidden, out = extractor.predict(x, verbose=0)
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)
    lazy = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(2)])
    lazy.predict(x, verbose=0)  # built from the data
    assert lazy.layers[1].output.shape == (None, 2) and lazy.output_shape == (None, 2)


def test_functional_model_shapes_before_any_call(keras):
    inputs = keras.Input((5,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(3)(inputs)])
    assert model.input_shape == (None, 5)
    assert model.output_shape == [(None, 2), (None, 3)]
    assert model.input is inputs and [t.shape for t in model.output] == [(None, 2), (None, 3)]
