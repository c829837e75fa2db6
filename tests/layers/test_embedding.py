"""Embedding: rows of the table by id, shapes, float ids, gradients, config, errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture (an assignment, not an import: no F811 below)


def test_looks_up_rows(keras):
    layer = keras.layers.Embedding(10, 3)
    ids = np.array([[1, 2, 2], [9, 0, 4]])
    out = layer(ids)
    (table,) = layer.get_weights()
    assert table.shape == (10, 3) and out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out, table[ids])
    assert [w.path for w in layer.weights] == ["embedding/embeddings"]


def test_default_initializer_is_uniform_005(keras):
    layer = keras.layers.Embedding(1000, 8)
    layer.build(None)
    (table,) = layer.get_weights()
    assert np.abs(table).max() <= 0.05 and table.std() > 0.02


def test_float_ids_are_cast_and_shapes_follow_the_input(keras):
    layer = keras.layers.Embedding(5, 2, embeddings_initializer="ones")
    symbolic = layer(keras.Input(shape=(7,)))  # float32 input, as keras.Input makes by default
    assert tuple(symbolic.shape) == (None, 7, 2)
    assert layer.compute_output_shape((None, 4, 6)) == (None, 4, 6, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]], np.float32)), np.ones((1, 2, 2)))


def test_initial_weights(keras):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    layer = keras.layers.Embedding(4, 3, weights=[table])
    np.testing.assert_array_equal(layer(np.array([3, 0])), table[[3, 0]])


def test_training_moves_only_the_rows_used(keras):
    model = keras.Sequential([keras.Input(shape=(2,), dtype="int32"),
                              keras.layers.Embedding(6, 4), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    before = model.layers[0].get_weights()[0]
    x = np.array([[1, 3], [3, 3]], np.int32)
    model.fit(x, np.ones((2, 1), np.float32), batch_size=2, epochs=1, verbose=0)
    after = model.layers[0].get_weights()[0]
    changed = np.any(before != after, axis=1)
    np.testing.assert_array_equal(changed, [False, True, False, True, False, False])


def test_config_round_trip(keras):
    layer = keras.layers.Embedding(7, 2, embeddings_regularizer="l2", name="words")
    config = layer.get_config()
    assert config["input_dim"] == 7 and config["output_dim"] == 2
    assert keras.layers.Embedding.from_config(config).get_config() == config
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config


def test_errors(keras):
    with pytest.raises(NotImplementedError, match="mask_zero"):
        keras.layers.Embedding(5, 2, mask_zero=True)
    with pytest.raises(ValueError, match="input_dim must be a positive int"):
        keras.layers.Embedding(0, 2)
    with pytest.raises(ValueError, match="output_dim must be a positive int"):
        keras.layers.Embedding(3, 2.5)
