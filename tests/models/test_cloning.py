"""``keras.models.clone_model`` and ``get_compile_config``/``compile_from_config``."""

from __future__ import annotations

import numpy as np
import pytest


def _functional(keras):
    inputs = keras.Input(shape=(4,), name="features")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    left = shared(inputs)
    right = shared(keras.layers.Dense(4, name="pre")(inputs))
    outputs = keras.layers.Dense(2, name="head")(keras.layers.Concatenate()([left, right]))
    return keras.Model(inputs, outputs, name="twin")


def _x(n=6):
    return np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)


def test_clone_functional_has_fresh_weights_and_the_same_function(keras):
    model = _functional(keras)
    clone = keras.models.clone_model(model)
    assert clone is not model and clone.name == "twin"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert len(clone.get_weights()) == len(model.get_weights())  # "shared" is shared, once
    assert not np.allclose(clone.get_layer("head").get_weights()[0],
                           model.get_layer("head").get_weights()[0])
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(_x(), verbose=0), model.predict(_x(), verbose=0),
                               rtol=1e-6)


def test_clone_function_and_call_function(keras):
    model = _functional(keras)
    kept = model.get_layer("head")
    calls = []

    def clone_function(layer):
        return layer if layer is kept else type(layer).from_config(layer.get_config())

    def call_function(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    clone = keras.models.clone_model(model, clone_function=clone_function,
                                     call_function=call_function)
    assert clone.get_layer("head") is kept  # shared with the original: its weights too
    assert sorted(calls) == ["concatenate", "head", "pre", "shared", "shared"]


def test_clone_sequential_and_subclassed(keras):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(1)], name="stack")
    clone = keras.models.clone_model(model)
    assert isinstance(clone, keras.Sequential) and clone.name == "stack"
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(_x(), verbose=0), model.predict(_x(), verbose=0),
                               rtol=1e-6)

    class Plain(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = keras.layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {"units": self.units, "name": self.name}

    copy = keras.models.clone_model(Plain(units=7, name="plain"))
    assert isinstance(copy, Plain) and copy.units == 7
    assert copy.predict(_x(), verbose=0).shape == (6, 7)
    with pytest.raises(ValueError, match="is subclassed .* clone_function"):
        keras.models.clone_model(Plain(), clone_function=lambda layer: layer)


def test_compile_config_round_trip(keras):
    model = _functional(keras)
    assert model.get_compile_config() is None
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse",
                  metrics=["mae", keras.metrics.MeanSquaredError(name="mse_metric")],
                  steps_per_execution=2)
    config = model.get_compile_config()
    assert config["optimizer"]["class_name"] == "Adam"
    assert config["loss"] == "mse" and config["steps_per_execution"] == 2
    clone = keras.models.clone_model(model)
    clone.compile_from_config(config)
    assert type(clone.optimizer).__name__ == "Adam"
    assert clone.optimizer.learning_rate == pytest.approx(0.01)
    assert clone.steps_per_execution == 2
    x, y = _x(16), np.zeros((16, 2), np.float32)
    logs = clone.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse_metric"]
    with pytest.raises(ValueError, match="compile_from_config"):
        clone.compile_from_config({"loss": "mse"})
