"""``layerkit.random``'s functions, eagerly on each backend: statistics, shapes and dtypes,
argument errors that name the function and the argument."""

from __future__ import annotations

import numpy as np
import pytest

N = 20_000


@pytest.fixture
def random(keras):
    return keras.random


# -- statistics -------------------------------------------------------------------------------
def test_normal(random):
    x = random.normal((N,), mean=1.5, stddev=2.0, seed=1)
    assert type(x).__name__ == "EagerArray" and x.dtype == np.float32 and x.shape == (N,)
    assert abs(x.mean() - 1.5) < 0.06 and abs(x.std() - 2.0) < 0.05
    assert isinstance(x.numpy(), np.ndarray)


def test_normal_with_tensor_parameters(random):
    mean = np.array([0.0, 10.0], np.float32)
    x = random.normal((N, 2), mean=mean, stddev=np.array([1.0, 0.1], np.float32), seed=2)
    np.testing.assert_allclose(x.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(x.std(axis=0), [1.0, 0.1], rtol=0.05)


def test_uniform(random):
    x = random.uniform((N,), minval=-2.0, maxval=3.0, seed=1)
    assert x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.05 and abs(x.std() - 5 / np.sqrt(12)) < 0.03


def test_truncated_normal(random):
    x = random.truncated_normal((N,), mean=-1.0, stddev=0.5, dtype="float64", seed=1)
    assert x.dtype == np.float64 and np.abs(x + 1.0).max() <= 1.0
    assert abs(x.mean() + 1.0) < 0.02 and abs(x.std() - 0.8796 * 0.5) < 0.01


def test_randint(random):
    x = random.randint((N,), 3, 8, seed=1)
    assert x.dtype == np.int32
    assert set(np.unique(x)) == {3, 4, 5, 6, 7}
    np.testing.assert_allclose(np.bincount(x - 3) / N, 0.2, atol=0.02)
    assert random.randint((4,), -5, 5, dtype="int64", seed=1).dtype == np.int64


def test_categorical(random):
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    x = random.categorical(np.log(p + 1e-30), N, seed=1)
    assert x.shape == (2, N) and x.dtype == np.int32
    for row, probs in zip(x, p):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / N, probs, atol=0.02)


def test_dropout(random):
    x = np.ones((200, 100), np.float32)
    y = random.dropout(x, 0.3, seed=1)
    assert y.shape == x.shape and y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02 and abs(y.mean() - 1.0) < 0.03


def test_dropout_noise_shape_and_edges(random):
    x = np.ones((50, 40), np.float32)
    y = random.dropout(x, 0.5, noise_shape=(None, 1), seed=3)
    assert all(len(np.unique(row)) == 1 for row in y)  # whole rows kept or dropped
    assert 5 < (y[:, 0] == 0).sum() < 45
    np.testing.assert_array_equal(random.dropout(x, 0.0), x)
    np.testing.assert_array_equal(random.dropout(x, 1.0, seed=1), np.zeros_like(x))


def test_shuffle(random):
    x = np.arange(30).reshape(10, 3)
    y = random.shuffle(x, seed=1)
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_array_equal(np.sort(y, axis=0), x)
    assert not np.array_equal(y, x)
    z = random.shuffle(x, axis=1, seed=1)
    np.testing.assert_array_equal(np.sort(z, axis=1), x)


def test_gamma(random):
    x = random.gamma((N,), alpha=2.5, seed=1)
    assert x.dtype == np.float32 and x.min() > 0
    assert abs(x.mean() - 2.5) < 0.08 and abs(x.var() - 2.5) < 0.25


def test_beta(random):
    a, b = 2.0, 5.0
    x = random.beta((N,), a, b, seed=1)
    assert 0 < x.min() and x.max() < 1
    assert abs(x.mean() - a / (a + b)) < 0.01
    assert abs(x.var() - a * b / ((a + b) ** 2 * (a + b + 1))) < 0.003
    per_column = random.beta((N, 2), np.array([1.0, 8.0]), np.array([1.0, 2.0]), seed=2)
    np.testing.assert_allclose(per_column.mean(axis=0), [0.5, 0.8], atol=0.02)


def test_binomial(random):
    x = random.binomial((N,), counts=12, probabilities=0.25, seed=1)
    assert x.dtype == np.float32 and set(np.unique(x)) <= set(range(13))
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.var() - 12 * 0.25 * 0.75) < 0.15
    y = random.binomial((N, 2), counts=[5, 20], probabilities=[0.5, 0.1], seed=2)
    np.testing.assert_allclose(y.mean(axis=0), [2.5, 2.0], atol=0.06)


# -- shapes and dtypes ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal"])
def test_float_defaults_follow_floatx(keras, name):
    fn = getattr(keras.random, name)
    assert fn((2, 3), seed=1).dtype == np.float32
    assert fn((), seed=1).shape == ()
    assert fn([4], seed=1, dtype="float16").dtype == np.float16
    keras.config.set_floatx("float64")
    try:
        assert fn((2,), seed=1).dtype == np.float64
        assert keras.random.gamma((2,), 1.0, seed=1).dtype == np.float64
    finally:
        keras.config.set_floatx("float32")


def test_int_shape_and_keras_tensors_as_arguments(keras):
    assert keras.random.normal(5, seed=1).shape == (5,)
    mean = keras.ops.convert_to_tensor(np.float32(3.0))
    assert abs(keras.random.normal((N,), mean=mean, seed=1).mean() - 3.0) < 0.05
    assert keras.random.shuffle(keras.random.uniform((6,), seed=1), seed=2).shape == (6,)


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda r: r.uniform((2,), dtype="int32"), ValueError,
     r"layerkit.random.uniform` requires a floating point `dtype`"),
    (lambda r: r.normal((2,), dtype="bfloat16"), TypeError, r"random.normal: argument `dtype`"),
    (lambda r: r.randint((2,), 0, 4, dtype="float32"), ValueError, "requires an integer"),
    (lambda r: r.randint((2,), 0, 4.5), TypeError, r"randint: argument `maxval` must be an int"),
    (lambda r: r.randint((2,), 4, 4), ValueError, "`minval` must be less than `maxval`"),
    (lambda r: r.uniform((2,), 2.0, 1.0), ValueError, "uniform: `minval` must not exceed"),
    (lambda r: r.normal((2,), stddev=-1.0), ValueError, r"normal: argument `stddev` must be"),
    (lambda r: r.normal((2, -1)), ValueError, "random.normal"),
    (lambda r: r.normal("abc"), TypeError, r"random.normal: argument `shape`"),
    (lambda r: r.normal((2,), seed="x"), ValueError,
     r"random.normal: argument `seed` must be an int, a keras.random.SeedGenerator or None"),
    (lambda r: r.normal((2,), seed=1.5), ValueError, "argument `seed`"),
    (lambda r: r.gamma((2,), alpha=0.0), ValueError, r"gamma: argument `alpha` must be > 0"),
    (lambda r: r.beta((2,), 1.0, -2.0), ValueError, r"beta: argument `beta` must be > 0"),
    (lambda r: r.binomial((2,), 3, 1.5), ValueError, "binomial: argument `probabilities`"),
    (lambda r: r.binomial((2,), -3, 0.5), ValueError, "binomial: argument `counts`"),
    (lambda r: r.categorical(np.zeros(3), 2), ValueError, "categorical: `logits` should be a 2-D"),
    (lambda r: r.categorical(np.zeros((1, 3)), 0), ValueError, "argument `num_samples`"),
    (lambda r: r.dropout(np.ones(3), 1.5), ValueError, r"dropout: argument `rate`"),
    (lambda r: r.dropout(np.ones((2, 3)), 0.5, noise_shape=(2,)), ValueError,
     "dropout: argument `noise_shape`"),
    (lambda r: r.dropout(np.ones((2, 3)), 0.5, noise_shape=(2, 2)), ValueError,
     "does not broadcast"),
    (lambda r: r.shuffle(np.ones((2, 3)), axis=2), ValueError, "shuffle: argument `axis` 2"),
    (lambda r: r.shuffle(np.float32(1.0)), ValueError, "rank 0"),
    (lambda r: r.SeedGenerator("a"), ValueError, "SeedGenerator: argument `seed` must be an int"),
    (lambda r: r.SeedGenerator(1, colour="red"), ValueError, "unrecognized keyword"),
])
def test_bad_arguments(random, call, error, match):
    with pytest.raises(error, match=match):
        call(random)
