"""Pooling layers: outputs against a loop-by-loop numpy reference, shapes, config, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture: a clean Keras session, once per backend


def pool_reference(x, pool_size, strides, padding, reduce):
    """Each window reduced over the input elements it covers (with "same" padding a border
    window covers fewer: TensorFlow's rule, max ignores the padding and avg divides by the
    count of real elements)."""
    sizes = x.shape[1:-1]
    if padding == "same":
        outs = [-(-size // s) for size, s in zip(sizes, strides)]
        befores = [max((o - 1) * s + k - size, 0) // 2
                   for o, s, k, size in zip(outs, strides, pool_size, sizes)]
    else:
        outs = [(size - k) // s + 1 for size, k, s in zip(sizes, pool_size, strides)]
        befores = [0] * len(sizes)
    out = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in itertools.product(*map(range, outs)):
        window = tuple(slice(max(p * s - b, 0), min(p * s - b + k, size))
                       for p, s, b, k, size in zip(pos, strides, befores, pool_size, sizes))
        patch = x[(slice(None), *window)]
        out[(slice(None), *pos)] = reduce(patch.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


WINDOWED = [
    ("MaxPooling2D", np.max), ("AveragePooling2D", np.mean),
    ("MaxPooling1D", np.max), ("AveragePooling1D", np.mean),
]
ARGS = [dict(), dict(pool_size=3), dict(pool_size=3, strides=1), dict(pool_size=2, strides=1,
                                                                       padding="same"),
        dict(pool_size=3, strides=2, padding="same")]


@pytest.mark.parametrize("name, reduce", WINDOWED, ids=[n for n, _ in WINDOWED])
@pytest.mark.parametrize("kwargs", ARGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in
                                                                k.items()) or "defaults")
def test_windowed_pooling_matches_reference(keras, name, reduce, kwargs):
    layer = getattr(keras.layers, name)(**kwargs)
    x = _random((2, 7, 6, 3) if name.endswith("2D") else (2, 7, 3))
    expected = pool_reference(x, layer.pool_size, layer.strides, layer.padding, reduce)
    out = layer(x)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    symbolic = layer(keras.Input(shape=x.shape[1:]))
    assert tuple(symbolic.shape) == (None, *expected.shape[1:])
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])


def test_keras_defaults(keras):
    assert keras.layers.MaxPooling2D().get_config()["pool_size"] == (2, 2)
    assert keras.layers.AveragePooling1D().get_config()["pool_size"] == (2,)
    config = keras.layers.MaxPooling2D(3).get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3, 3), "strides": (3, 3), "padding": "valid",
        "data_format": "channels_last"}
    assert keras.layers.MaxPool2D is keras.layers.MaxPooling2D
    assert keras.layers.AvgPool1D is keras.layers.AveragePooling1D
    assert keras.layers.GlobalAvgPool2D is keras.layers.GlobalAveragePooling2D
    assert keras.layers.GlobalMaxPool1D is keras.layers.GlobalMaxPooling1D


@pytest.mark.parametrize("name", ["MaxPooling1D", "AveragePooling2D"])
def test_windowed_config_round_trip(keras, name):
    layer = getattr(keras.layers, name)(pool_size=3, strides=2, padding="SAME", name="p")
    config = layer.get_config()
    assert config["padding"] == "same"
    assert type(layer).from_config(config).get_config() == config
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
    as_json = {**config, "pool_size": list(config["pool_size"]),
               "strides": list(config["strides"])}
    assert type(layer).from_config(as_json).get_config() == config


GLOBAL = [
    ("GlobalAveragePooling1D", np.mean, (1,)), ("GlobalAveragePooling2D", np.mean, (1, 2)),
    ("GlobalMaxPooling1D", np.max, (1,)), ("GlobalMaxPooling2D", np.max, (1, 2)),
]


@pytest.mark.parametrize("name, reduce, axes", GLOBAL, ids=[n for n, _, _ in GLOBAL])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_reference(keras, name, reduce, axes, keepdims):
    layer = getattr(keras.layers, name)(keepdims=keepdims)
    x = _random((2, 5, 4, 3) if name.endswith("2D") else (2, 5, 3))
    expected = reduce(x, axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-6)
    symbolic = layer(keras.Input(shape=(None,) * len(axes) + (3,)))
    assert tuple(symbolic.shape) == (None, *expected.shape[1:])
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])
    config = layer.get_config()
    assert config["keepdims"] is keepdims and config["data_format"] == "channels_last"
    assert type(layer).from_config(config).get_config() == config


def test_global_max_pooling_trains_through_a_model(keras):
    model = keras.Sequential([keras.Input(shape=(6, 6, 1)), keras.layers.Conv2D(4, 3),
                              keras.layers.GlobalMaxPooling2D(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = _random((16, 6, 6, 1)), _random((16, 1), 1)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_wrong_rank_names_the_layer_and_shapes(keras):
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p' expects inputs of rank 4 \(batch, "
                                         r"rows, cols, channels\), got shape \(None, 8, 3\)"):
        keras.layers.MaxPooling2D(name="p")(keras.Input(shape=(8, 3)))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D 'g' expects inputs of rank 3 "
                                         r"\(batch, steps, channels\), got shape \(None, 4, 4, "
                                         r"2\)"):
        keras.layers.GlobalAveragePooling1D(name="g")(keras.Input(shape=(4, 4, 2)))
    with pytest.raises(ValueError, match="GlobalMaxPooling2D 'g2' expects inputs of rank 4"):
        keras.layers.GlobalMaxPooling2D(name="g2").compute_output_shape((None, 3))


def test_window_larger_than_the_input_is_refused(keras):
    with pytest.raises(ValueError, match=r"AveragePooling2D 'p': pool_size \(5, 5\) is larger "
                                         r"than .*\(None, 4, 4, 1\) with padding='valid'"):
        keras.layers.AveragePooling2D(5, name="p")(keras.Input(shape=(4, 4, 1)))
    out = keras.layers.AveragePooling2D(5, padding="same")(keras.Input(shape=(4, 4, 1)))
    assert tuple(out.shape) == (None, 1, 1, 1)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(pool_size=0), ValueError, "pool_size must be positive"),
    (dict(pool_size=(2, 2, 2)), ValueError, "pool_size must be an int or a tuple of 2 ints"),
    (dict(strides=(1,)), ValueError, "strides must be an int or a tuple of 2 ints"),
    (dict(padding="causal"), ValueError, "padding must be one of 'valid', 'same'"),
])
def test_bad_arguments_are_refused(keras, kwargs, error, match):
    with pytest.raises(error, match=f"MaxPooling2D 'p': .*{match}"):
        keras.layers.MaxPooling2D(name="p", **kwargs)
    with pytest.raises(ValueError, match="GlobalAveragePooling2D 'g': data_format must be"):
        keras.layers.GlobalAveragePooling2D(data_format="nchw", name="g")
