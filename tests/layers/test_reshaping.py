"""Reshape, Permute, RepeatVector: values against numpy, shapes, config, errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture: a clean Keras session, once per backend


def _x(*shape):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


# -- Reshape ------------------------------------------------------------------------------------
@pytest.mark.parametrize("target, expected", [((6, 2), (6, 2)), ((-1, 3), (4, 3)),
                                              ((2, -1, 2), (2, 3, 2)), ((12,), (12,))])
def test_reshape_matches_numpy(keras, target, expected):
    x = _x(2, 3, 4)
    layer = keras.layers.Reshape(target)
    np.testing.assert_array_equal(layer(x), x.reshape(2, *expected))
    assert tuple(layer(keras.Input(shape=(3, 4))).shape) == (None, *expected)
    assert layer.compute_output_shape((None, 3, 4)) == (None, *expected)


def test_reshape_with_unknown_dims(keras):
    # Without -1 the output shape is known even if the input's is not.
    out = keras.layers.Reshape((4, 2))(keras.Input(shape=(None,)))
    assert tuple(out.shape) == (None, 4, 2)
    assert keras.layers.Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)
    with pytest.raises(ValueError, match=r"Reshape 'r': the non-batch dimensions of the inputs "
                                         r"must be known .*\(None, None\)"):
        keras.layers.Reshape((-1, 2), name="r")(keras.Input(shape=(None,)))


def test_reshape_size_mismatch_names_the_layer_and_shapes(keras):
    with pytest.raises(ValueError, match=r"Reshape 'r' cannot reshape inputs of shape \(None, 3, "
                                         r"4\) to \(batch, 5, 2\): 12 elements per sample vs 10"):
        keras.layers.Reshape((5, 2), name="r")(keras.Input(shape=(3, 4)))
    with pytest.raises(ValueError, match=r"12 elements per sample is not a multiple of 5"):
        keras.layers.Reshape((-1, 5), name="r2").compute_output_shape((None, 3, 4))
    with pytest.raises(ValueError, match=r"Reshape 'r3': target_shape \(-1, -1\) must hold "
                                         r"positive sizes and at most one -1"):
        keras.layers.Reshape((-1, -1), name="r3")
    with pytest.raises(ValueError, match="target_shape must be a tuple of ints"):
        keras.layers.Reshape(4)


def test_reshape_config_round_trip(keras):
    layer = keras.layers.Reshape((-1, 3), name="r")
    config = layer.get_config()
    assert config["target_shape"] == (-1, 3)
    assert keras.layers.Reshape.from_config(config).get_config() == config
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config
    assert keras.layers.Reshape.from_config({**config, "target_shape": [-1, 3]}).get_config() \
        == config


# -- Permute ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute_matches_numpy(keras, dims):
    x = _x(2, 3, 4) if len(dims) == 2 else _x(2, 3, 4, 5)
    layer = keras.layers.Permute(dims)
    expected = np.transpose(x, (0, *dims))
    np.testing.assert_array_equal(layer(x), expected)
    out = layer(keras.Input(shape=x.shape[1:]))
    assert tuple(out.shape) == (None, *expected.shape[1:])
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])


def test_permute_errors_and_config(keras):
    with pytest.raises(ValueError, match=r"Permute 'p': dims \(0, 1\) must be a permutation of "
                                         r"1..n"):
        keras.layers.Permute((0, 1), name="p")
    with pytest.raises(ValueError, match=r"Permute 'p2' with dims \(2, 1\) expects inputs of rank "
                                         r"3 .*got shape \(None, 4\)"):
        keras.layers.Permute((2, 1), name="p2")(keras.Input(shape=(4,)))
    layer = keras.layers.Permute([3, 1, 2], name="p3")
    config = layer.get_config()
    assert config["dims"] == (3, 1, 2)
    assert keras.layers.Permute.from_config(config).get_config() == config
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config


# -- RepeatVector -------------------------------------------------------------------------------
def test_repeat_vector_matches_numpy(keras):
    x = _x(2, 3)
    layer = keras.layers.RepeatVector(4)
    np.testing.assert_array_equal(layer(x), np.repeat(x[:, None, :], 4, axis=1))
    assert tuple(layer(keras.Input(shape=(3,))).shape) == (None, 4, 3)
    assert layer.compute_output_shape((None, 3)) == (None, 4, 3)


def test_repeat_vector_errors_and_config(keras):
    with pytest.raises(ValueError, match="RepeatVector 'r': n must be a positive int, got 0"):
        keras.layers.RepeatVector(0, name="r")
    with pytest.raises(ValueError, match=r"RepeatVector 'r2' expects inputs of rank 2 \(batch, "
                                         r"features\), got shape \(None, 2, 3\)"):
        keras.layers.RepeatVector(2, name="r2")(keras.Input(shape=(2, 3)))
    layer = keras.layers.RepeatVector(3, name="r3")
    config = layer.get_config()
    assert config["n"] == 3
    assert keras.layers.RepeatVector.from_config(config).get_config() == config


def test_gradients_flow_through_reshaping_layers(keras):
    """A model whose only weights sit before Reshape/Permute/RepeatVector still learns."""
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(6),
                              keras.layers.Reshape((2, 3)), keras.layers.Permute((2, 1)),
                              keras.layers.Flatten(), keras.layers.RepeatVector(2),
                              keras.layers.Flatten()])
    assert model.compute_output_shape((None, 4)) == (None, 12)
    x = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
    y = np.tile(x @ np.ones((4, 6), np.float32), 2)
    model.compile("sgd", "mse")
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
