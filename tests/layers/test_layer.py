"""The Layer base class: names, building, weights, freezing, calling on arrays."""

from __future__ import annotations

import numpy as np
import pytest


def test_names_are_unique_per_class(keras):
    a, b = keras.layers.Dense(2), keras.layers.Dense(2)
    assert (a.name, b.name) == ("dense", "dense_1")
    assert keras.layers.Dense(2, name="head").name == "head"


def test_weights_are_created_when_the_input_shape_is_known(keras):
    layer = keras.layers.Dense(3)
    assert not layer.built and layer.weights == []
    layer(keras.Input(shape=(4,)))
    assert layer.built
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert layer.count_params() == 15


def test_calling_on_arrays_computes_values(keras):
    layer = keras.layers.Dense(2, use_bias=False, kernel_initializer="ones")
    out = layer(np.array([[1.0, 2.0, 3.0]], np.float32))
    np.testing.assert_allclose(out, [[6.0, 6.0]])


def test_set_weights_checks_every_shape_before_setting_any(keras):
    layer = keras.layers.Dense(2)
    layer(keras.Input(shape=(3,)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"dense/bias' has shape \(2,\), got an array of shape"):
        layer.set_weights([np.ones((3, 2)), np.ones((5,))])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)  # nothing half-set
    with pytest.raises(ValueError, match="expects 2 weight arrays, got 1"):
        layer.set_weights([np.ones((3, 2))])


def test_wrong_input_shape_names_the_layer_and_shapes(keras):
    layer = keras.layers.Dense(2)
    layer(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"Dense 'dense' expects inputs whose last dimension is "
                                         r"3, got shape \(None, 5\)"):
        layer(keras.Input(shape=(5,)))


def test_unknown_keyword_arguments_are_refused(keras):
    with pytest.raises(TypeError, match="unrecognized keyword argument.*unitz"):
        keras.layers.Dense(2, unitz=3)


def test_freezing_removes_trainable_weights(keras):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4),
                              keras.layers.Dense(1)])
    assert len(model.trainable_weights) == 4
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and not model.layers[1].trainable


def test_config_round_trip(keras):
    layer = keras.layers.Dense(5, activation="relu", use_bias=False, name="d")
    clone = keras.layers.Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(restored, keras.layers.Dense) and restored.units == 5


def test_deserialize_refuses_unknown_classes(keras):
    with pytest.raises(ValueError, match="Unknown layer class 'EvilLayer'"):
        keras.layers.deserialize({"class_name": "EvilLayer", "config": {}})


def test_dropout_is_active_only_in_training(keras):
    x = np.ones((200, 50), np.float32)
    layer = keras.layers.Dropout(0.5)
    np.testing.assert_array_equal(layer(x), x)  # inference: identity
    dropped = layer(x, training=True)
    kept = dropped != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(dropped[kept], 2.0)  # survivors scaled by 1 / (1 - rate)


def test_a_pass_through_layer_in_a_functional_model(keras):
    """Dropout returns its input unchanged in inference; the model must still be well formed."""
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dropout(0.5)(keras.layers.Dense(3)(inputs))
    model = keras.Model(inputs, outputs)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)


def test_training_is_dropped_for_layers_that_do_not_take_it(keras):
    out = keras.layers.Dense(2, kernel_initializer="ones")(np.ones((1, 3)), training=True)
    np.testing.assert_allclose(out, [[3.0, 3.0]])


def test_calling_batch_norm_on_arrays_in_training_updates_its_statistics(keras):
    layer = keras.layers.BatchNormalization(momentum=0.5)
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    layer(x, training=True)
    np.testing.assert_allclose(layer.get_weights()[2], 0.5 * x.mean(axis=0), rtol=1e-6)
