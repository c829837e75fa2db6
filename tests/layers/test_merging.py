"""Merging layers: Concatenate, Add, Multiply, Average on lists of tensors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture (an assignment, not an import: no F811 below)


def _arrays(*shapes):
    rng = np.random.default_rng(0)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def test_element_wise_merges(keras):
    a, b, c = _arrays((4, 3), (4, 3), (4, 3))
    np.testing.assert_allclose(keras.layers.Add()([a, b, c]), a + b + c, rtol=1e-6)
    np.testing.assert_allclose(keras.layers.Multiply()([a, b, c]), a * b * c, rtol=1e-6)
    np.testing.assert_allclose(keras.layers.Average()([a, b]), (a + b) / 2, rtol=1e-6)


def test_size_one_axes_broadcast(keras):
    a, b = _arrays((4, 1, 5), (4, 3, 5))
    layer = keras.layers.Add()
    np.testing.assert_allclose(layer([a, b]), a + b, rtol=1e-6)
    assert layer.compute_output_shape([(None, 1, 5), (None, 3, 5)]) == (None, 3, 5)


def test_concatenate(keras):
    a, b = _arrays((2, 3, 4), (2, 3, 1))
    np.testing.assert_array_equal(keras.layers.Concatenate()([a, b]), np.concatenate([a, b], -1))
    c = _arrays((2, 5, 4))[0]
    np.testing.assert_array_equal(keras.layers.Concatenate(axis=1)([a, c]),
                                  np.concatenate([a, c], 1))
    layer = keras.layers.Concatenate()
    out = layer([keras.Input(shape=(3,)), keras.Input(shape=(5,))])
    assert tuple(out.shape) == (None, 8)
    assert layer.compute_output_shape([(None, 3), (None, 5)]) == (None, 8)


def test_in_a_functional_model_that_trains(keras):
    left, right = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    dense = keras.layers.Dense(3)
    merged = keras.layers.Concatenate()([keras.layers.Add()([dense(left), right]),
                                         keras.layers.Multiply()([left, right])])
    model = keras.Model([left, right], keras.layers.Dense(1)(merged))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    a, b = _arrays((16, 3), (16, 3))
    history = model.fit([a, b], a[:, :1] + b[:, 1:2], epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_shape_mismatches_name_the_layer_and_shapes(keras):
    with pytest.raises(ValueError, match=r"Add 'add': inputs have incompatible shapes "
                                         r"\(None, 3\), \(None, 4\)"):
        keras.layers.Add()([keras.Input(shape=(3,)), keras.Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"Concatenate 'concatenate': inputs must match on every "
                                         r"axis but the concatenation axis -1, got shapes "
                                         r"\(None, 2, 3\), \(None, 4, 3\)"):
        keras.layers.Concatenate()([keras.Input(shape=(2, 3)), keras.Input(shape=(4, 3))])
    with pytest.raises(ValueError, match="different ranks"):
        keras.layers.Concatenate()([keras.Input(shape=(2, 3)), keras.Input(shape=(3,))])
    with pytest.raises(ValueError, match="must be called on a list of tensors"):
        keras.layers.Multiply()(keras.Input(shape=(3,)))


def test_config_round_trip(keras):
    for layer in (keras.layers.Concatenate(axis=1, name="cat"), keras.layers.Add(),
                  keras.layers.Multiply(), keras.layers.Average()):
        restored = keras.layers.deserialize(keras.layers.serialize(layer))
        assert type(restored) is type(layer) and restored.get_config() == layer.get_config()
    assert keras.layers.Concatenate(axis=1).get_config()["axis"] == 1


def test_subtract_maximum_minimum(keras):
    a, b, c = _arrays((4, 3), (4, 3), (4, 3))
    np.testing.assert_allclose(keras.layers.Subtract()([a, b]), a - b, rtol=1e-6)
    np.testing.assert_allclose(keras.layers.Maximum()([a, b, c]), np.maximum(np.maximum(a, b), c))
    np.testing.assert_allclose(keras.layers.Minimum()([a, b]), np.minimum(a, b))
    with pytest.raises(ValueError, match="Subtract 's' must be called on exactly 2 inputs, "
                                         "got 3"):
        keras.layers.Subtract(name="s")([keras.Input((3,))] * 3)


@pytest.mark.parametrize("shapes, axes, subscripts", [
    (((4, 3), (4, 3)), 1, "bi,bi->b"),
    (((4, 2, 3), (4, 5, 3)), 2, "bnd,bmd->bnm"),
    (((4, 3, 2), (4, 3, 5)), 1, "bdn,bdm->bnm"),
    (((4, 2, 3), (4, 3, 5)), (2, 1), "bnd,bdm->bnm"),
    (((4, 2, 3), (4, 3)), (2, 1), "bnd,bd->bn"),
    (((4, 2, 3, 2), (4, 3, 6)), (2, 1), "bnde,bdm->bnem"),
])
def test_dot_is_a_batched_tensordot(keras, shapes, axes, subscripts):
    x, y = _arrays(*shapes)
    expected = np.einsum(subscripts, x, y)
    if expected.ndim == 1:
        expected = expected[:, None]  # Keras keeps a (batch, 1) result
    layer = keras.layers.Dot(axes=axes)
    np.testing.assert_allclose(layer([x, y]), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape([(None, *s[1:]) for s in shapes]) == (None,
                                                                             *expected.shape[1:])


def test_dot_normalize_is_cosine_similarity(keras):
    x, y = _arrays((5, 4), (5, 4))
    cosine = np.sum(x * y, 1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(keras.layers.Dot(axes=1, normalize=True)([x, y]), cosine[:, None],
                               rtol=1e-5)


def test_dot_errors_name_the_layer_and_shapes(keras):
    with pytest.raises(ValueError, match=r"Dot 'd': the contracted axes differ in size, 3 \(axis "
                                         r"1 of \(None, 3\)\) vs 4"):
        keras.layers.Dot(1, name="d")([keras.Input((3,)), keras.Input((4,))])
    with pytest.raises(ValueError, match="axes 0 must name a non-batch axis"):
        keras.layers.Dot(0)([keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(ValueError, match="axes must be an int or a pair of ints"):
        keras.layers.Dot((1, 2, 3))


def test_functional_forms(keras):
    left, right = keras.Input((3,)), keras.Input((3,))
    layers = keras.layers
    outputs = [layers.add([left, right]), layers.subtract([left, right]),
               layers.multiply([left, right]), layers.average([left, right]),
               layers.maximum([left, right]), layers.minimum([left, right]),
               layers.concatenate([left, right], axis=-1), layers.dot([left, right], axes=1)]
    model = keras.Model([left, right], outputs)
    a, b = _arrays((2, 3), (2, 3))
    results = model.predict([a, b], verbose=0)
    expected = [a + b, a - b, a * b, (a + b) / 2, np.maximum(a, b), np.minimum(a, b),
                np.concatenate([a, b], -1), np.sum(a * b, 1, keepdims=True)]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert layers.add([left, right], name="named")._keras_history[0].name == "named"
