"""ZeroPadding, Cropping and UpSampling in 1, 2 and 3 dimensions against numpy, both data
formats, shapes with an unknown batch, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _widths(pairs, rank, first):
    spatial = list(pairs)
    return [(0, 0), (0, 0), *spatial] if first else [(0, 0), *spatial, (0, 0)]


@pytest.mark.parametrize("rank, padding, pairs", [
    (1, 2, [(2, 2)]), (1, (1, 3), [(1, 3)]),
    (2, 1, [(1, 1)] * 2), (2, (1, 2), [(1, 1), (2, 2)]), (2, ((0, 1), (2, 0)), [(0, 1), (2, 0)]),
    (3, 1, [(1, 1)] * 3), (3, (1, 0, 2), [(1, 1), (0, 0), (2, 2)]),
    (3, ((1, 0), (0, 1), (2, 1)), [(1, 0), (0, 1), (2, 1)]),
])
@pytest.mark.parametrize("first", [False, True], ids=["channels_last", "channels_first"])
def test_zero_padding(keras, rank, padding, pairs, first):
    x = _x((2, *range(3, 3 + rank), 2))
    fmt = {"data_format": "channels_first"} if first else {}
    layer = getattr(keras.layers, f"ZeroPadding{rank}D")(padding, **fmt)
    expected = np.pad(x, _widths(pairs, rank, first))
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


def _cropped(x, pairs, first):
    index = [slice(None)] * x.ndim
    offset = 2 if first else 1
    for i, (a, b) in enumerate(pairs):
        index[offset + i] = slice(a, x.shape[offset + i] - b)
    return x[tuple(index)]


@pytest.mark.parametrize("rank, cropping, pairs", [
    (1, 1, [(1, 1)]), (1, (2, 0), [(2, 0)]),
    (2, ((1, 0), (0, 2)), [(1, 0), (0, 2)]), (2, (1, 2), [(1, 1), (2, 2)]),
    (3, 1, [(1, 1)] * 3), (3, ((0, 1), (1, 1), (2, 0)), [(0, 1), (1, 1), (2, 0)]),
])
def test_cropping(keras, rank, cropping, pairs):
    x = _x((2, *range(5, 5 + rank), 2))
    layer = getattr(keras.layers, f"Cropping{rank}D")(cropping)
    expected = _cropped(x, pairs, False)
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


def test_cropping_channels_first(keras):
    x = _x((2, 3, 5, 6))
    layer = keras.layers.Cropping2D(((1, 2), (0, 3)), data_format="channels_first")
    np.testing.assert_array_equal(layer(x), x[:, :, 1:3, 0:3])


@pytest.mark.parametrize("rank, size", [(1, 3), (2, (2, 3)), (3, (2, 1, 3))])
def test_up_sampling_nearest_repeats(keras, rank, size):
    x = _x((2, *range(2, 2 + rank), 3))
    sizes = (size,) if rank == 1 else size
    expected = x
    for axis, factor in enumerate(sizes, start=1):
        expected = np.repeat(expected, factor, axis=axis)
    layer = getattr(keras.layers, f"UpSampling{rank}D")(size)
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


def _bilinear(x, fh, fw):
    """Half-pixel-centre bilinear upsampling, one axis at a time, in numpy."""
    def along(a, axis, factor):
        n = a.shape[axis]
        centres = (np.arange(n * factor) + 0.5) / factor - 0.5
        lo = np.clip(np.floor(centres).astype(int), 0, n - 1)
        hi = np.clip(lo + 1, 0, n - 1)
        t = np.clip(centres - np.floor(centres), 0, 1)
        t = np.where(centres < 0, 0.0, t)
        shape = [1] * a.ndim
        shape[axis] = -1
        t = t.reshape(shape)
        return np.take(a, lo, axis) * (1 - t) + np.take(a, hi, axis) * t
    return along(along(x, 1, fh), 2, fw)


def test_up_sampling2d_bilinear(keras):
    x = _x((2, 3, 4, 2))
    np.testing.assert_allclose(keras.layers.UpSampling2D(2, interpolation="bilinear")(x),
                               _bilinear(x, 2, 2), rtol=1e-5, atol=1e-6)
    first = keras.layers.UpSampling2D((2, 3), data_format="channels_first",
                                      interpolation="bilinear")
    xf = np.transpose(x, (0, 3, 1, 2))
    np.testing.assert_allclose(first(xf), np.transpose(_bilinear(x, 2, 3), (0, 3, 1, 2)),
                               rtol=1e-5, atol=1e-6)


def test_in_a_model_with_unknown_batch_and_gradients(keras):
    inputs = keras.Input((6, 6, 2))
    h = keras.layers.ZeroPadding2D(1)(inputs)
    h = keras.layers.Conv2D(3, 3)(h)
    h = keras.layers.Cropping2D(1)(h)
    h = keras.layers.UpSampling2D(2)(h)
    assert tuple(h.shape) == (None, 8, 8, 3)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(h)))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    x = _x((8, 6, 6, 2))
    y = x.sum(axis=(1, 2, 3))[:, None]
    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_arguments_and_shapes_name_the_layer(keras):
    with pytest.raises(ValueError, match="ZeroPadding2D 'z': padding must be an int, a pair"):
        keras.layers.ZeroPadding2D((1, 2, 3), name="z")
    with pytest.raises(ValueError, match="padding must not be negative"):
        keras.layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match=r"Cropping2D 'c': cropping \(\(2, 2\), \(0, 0\)\) "
                                         r"leaves nothing of inputs of shape \(None, 4, 4, 1\)"):
        keras.layers.Cropping2D(((2, 2), (0, 0)), name="c")(keras.Input((4, 4, 1)))
    with pytest.raises(ValueError, match=r"UpSampling2D 'u' expects inputs of rank 4"):
        keras.layers.UpSampling2D(name="u")(keras.Input((4, 4)))
    with pytest.raises(ValueError, match="interpolation must be one of 'nearest', 'bilinear'"):
        keras.layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(TypeError, match="UpSampling1D: size must be an int"):
        keras.layers.UpSampling1D((2,))
