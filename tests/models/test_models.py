"""Sequential, functional and subclassed models: building, calling, summary, weights."""

from __future__ import annotations

import numpy as np
import pytest


def test_sequential_builds_from_input_and_chains_layers(keras):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    assert model.built and len(model.layers) == 2
    assert len(model.weights) == 4
    out = model.predict(np.ones((5, 4), np.float32), verbose=0)
    assert out.shape == (5, 2)


def test_sequential_add_and_pop(keras):
    model = keras.Sequential(name="stack")
    model.add(keras.layers.Dense(3, input_shape=(2,)))
    model.add(keras.layers.Dense(1))
    assert model.built and [layer.units for layer in model.layers] == [3, 1]
    popped = model.pop()
    assert popped.units == 1 and len(model.layers) == 1
    with pytest.raises(TypeError, match="can only add layers"):
        model.add("dense")


def test_functional_model_with_two_inputs_and_two_outputs(keras):
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    merged = shared(a)
    out1 = keras.layers.Dense(1, name="out1")(merged)
    out2 = keras.layers.Dense(2, name="out2")(keras.layers.Dense(4)(b))
    model = keras.Model([a, b], [out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    y1, y2 = model.predict([np.ones((6, 3)), np.ones((6, 2))], verbose=0)
    assert y1.shape == (6, 1) and y2.shape == (6, 2)
    assert model.get_layer("shared") is shared


def test_disconnected_graph_is_a_clear_error(keras):
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    out = keras.layers.Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected.*'b'"):
        keras.Model(a, out)


def test_subclassed_model_trains(keras):
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(16, activation="relu")
            self.head = keras.layers.Dense(1)

        def call(self, inputs, training=None):
            return self.head(self.hidden(inputs))

    model = TwoLayer()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert len(model.weights) == 4
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]


def test_summary_lists_layers_shapes_and_counts(keras, capsys):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, name="hidden"),
                              keras.layers.Dense(2, name="head")], name="tiny")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "tiny"' in text
    assert "hidden (Dense)" in text and "(None, 8)" in text and "40" in text
    assert "Total params: 58" in text and "Trainable params: 58" in text


def test_get_and_set_weights_round_trip(keras):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    weights = [np.full(w.shape, i + 1.0) for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    out = model.predict(np.ones((1, 3)), verbose=0)
    np.testing.assert_allclose(out, [[5.0, 5.0]])  # 3 * 1 + 2


def test_sequential_without_input_shape_builds_on_first_use(keras):
    model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    assert not model.built and model.weights == []
    model.compile("adam", "mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 1), (1,)]
    assert model.predict(np.ones((2, 3)), verbose=0).shape == (2, 1)
