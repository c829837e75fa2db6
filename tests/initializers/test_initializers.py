"""Initializers: values, statistics over large shapes, fans, orthogonality, seeding,
``set_random_seed`` repeatability, lookup and configs; weights repeat on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layerkit import backend as K
from layerkit import initializers
from layerkit.utils import set_random_seed

I = initializers  # noqa: E741
TRUNC = I.TRUNCATED_NORMAL_STDDEV
BIG = (400, 500)  # 200,000 samples: a sample mean is within ~1e-3 of its true value (5 sigma)


@pytest.fixture(autouse=True)
def fresh_keras_session():
    K.clear_session()
    yield
    K.clear_session()


def _assert_moments(values, mean, std, n_sigma=5.0):
    """The sample mean within n_sigma standard errors; the sample std within 1%."""
    values = np.asarray(values, np.float64).ravel()
    standard_error = std / math.sqrt(values.size)
    assert abs(values.mean() - mean) < n_sigma * standard_error + 1e-12, (values.mean(), mean)
    assert values.std() == pytest.approx(std, rel=0.01)


# -- constants --------------------------------------------------------------------------------
def test_zeros_ones_constant_identity():
    assert I.Zeros()((2, 3)).tolist() == [[0.0] * 3] * 2
    ones = I.Ones()((4,), dtype="float64")
    assert ones.dtype == np.float64 and ones.tolist() == [1.0] * 4
    c = I.Constant(2.5)((2, 2))
    assert c.dtype == np.float32 and np.all(c == 2.5)
    assert I.Constant([1.0, 2.0])((3, 2)).tolist() == [[1.0, 2.0]] * 3
    assert I.Constant(7)((2,), dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(I.Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 4)), 2.0 * np.eye(2, 4))


def test_default_dtype_is_floatx():
    assert I.GlorotUniform(seed=1)((3, 3)).dtype == np.float32
    K.set_floatx("float64")
    try:
        assert I.GlorotUniform(seed=1)((3, 3)).dtype == np.float64
        assert I.Zeros()((1,)).dtype == np.float64
    finally:
        K.set_floatx("float32")


def test_shape_errors():
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="cannot fill"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        I.Orthogonal()((5,))
    with pytest.raises(ValueError, match="float"):
        I.RandomNormal()((2,), dtype="int32")
    with pytest.raises(ValueError, match="negative"):
        I.Zeros()((2, -1))


def test_scalar_and_int_shapes():
    assert I.RandomNormal(seed=1)(()).shape == ()
    assert I.RandomUniform(seed=1)(5).shape == (5,)
    assert I.GlorotUniform(seed=1)(()).shape == ()  # fans (1, 1)


# -- statistics -------------------------------------------------------------------------------
def test_random_normal_statistics():
    values = I.RandomNormal(mean=1.5, stddev=0.3, seed=0)(BIG)
    assert values.shape == BIG and values.dtype == np.float32
    _assert_moments(values, 1.5, 0.3)


def test_random_uniform_statistics_and_bounds():
    values = I.RandomUniform(minval=-2.0, maxval=3.0, seed=0)(BIG)
    assert values.min() >= -2.0 and values.max() < 3.0
    assert values.min() < -1.99 and values.max() > 2.99
    _assert_moments(values, 0.5, 5.0 / math.sqrt(12))


def test_truncated_normal_statistics_and_bounds():
    values = I.TruncatedNormal(mean=-1.0, stddev=0.5, seed=0)(BIG)
    assert np.all(np.abs(values + 1.0) <= 2 * 0.5 + 1e-6)
    assert np.abs(values + 1.0).max() > 0.99  # it does reach out to the truncation point
    _assert_moments(values, -1.0, 0.5 * TRUNC)


def test_defaults_are_keras_defaults():
    assert I.RandomNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert I.TruncatedNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.VarianceScaling().get_config() == {
        "seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}
    assert I.Orthogonal().get_config() == {"seed": None, "gain": 1.0}
    assert I.Identity().get_config() == {"gain": 1.0}
    assert I.Constant().get_config() == {"value": 0.0}


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)), ((3, 16, 32), (48, 96)),
    ((3, 3, 16, 32), (144, 288)), ((2, 3, 3, 4, 8), (72, 144)),
])
def test_compute_fans_as_keras(shape, fans):
    assert I.compute_fans(shape) == fans


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_variance(mode, distribution):
    shape = (5, 5, 40, 80)  # a conv kernel: fan_in 1000, fan_out 2000
    n = {"fan_in": 1000, "fan_out": 2000, "fan_avg": 1500}[mode]
    values = I.VarianceScaling(scale=2.0, mode=mode, distribution=distribution, seed=1)(shape)
    _assert_moments(values, 0.0, math.sqrt(2.0 / n))
    if distribution == "uniform":
        assert np.abs(values).max() <= math.sqrt(3 * 2.0 / n)
    if distribution == "truncated_normal":
        assert np.abs(values).max() <= 2 * math.sqrt(2.0 / n) / TRUNC * (1 + 1e-6)


@pytest.mark.parametrize("cls, scale, mode, distribution", [
    (I.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (I.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (I.HeUniform, 2.0, "fan_in", "uniform"),
    (I.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (I.LecunUniform, 1.0, "fan_in", "uniform"),
    (I.LecunNormal, 1.0, "fan_in", "truncated_normal"),
])
def test_named_variance_scalings(cls, scale, mode, distribution):
    init = cls(seed=5)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert init.get_config() == {"seed": 5}
    shape = (300, 700)
    n = {"fan_in": 300, "fan_avg": 500}[mode]
    values = init(shape)
    _assert_moments(values, 0.0, math.sqrt(scale / n))
    # Same values as the generic VarianceScaling with the same seed.
    np.testing.assert_array_equal(values, I.VarianceScaling(scale, mode, distribution, 5)(shape))


def test_glorot_uniform_limit():
    values = I.GlorotUniform(seed=0)((784, 512))
    limit = math.sqrt(6 / (784 + 512))
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.999 * limit


def test_variance_scaling_validation():
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    assert I.VarianceScaling(distribution="Normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="seed"):
        I.RandomNormal(seed=1.5)


# -- orthogonal -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 8, 16), (2, 2, 2, 3)])
def test_orthogonal(shape):
    values = I.Orthogonal(gain=1.5, seed=3)(shape, dtype="float64")
    assert values.shape == shape
    m = values.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:  # orthogonal columns
        np.testing.assert_allclose(m.T @ m, 1.5**2 * np.eye(m.shape[1]), atol=1e-12)
    else:  # orthogonal rows
        np.testing.assert_allclose(m @ m.T, 1.5**2 * np.eye(m.shape[0]), atol=1e-12)


def test_orthogonal_is_not_biased_to_positive_diagonals():
    # Without the sign correction, QR's convention makes R's diagonal positive and Q biased.
    diagonals = np.array([I.Orthogonal(seed=s)((3, 3), "float64")[0, 0] for s in range(200)])
    assert (diagonals > 0).mean() == pytest.approx(0.5, abs=0.15)


# -- seeding ----------------------------------------------------------------------------------
RANDOM = [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling, I.GlorotUniform,
          I.GlorotNormal, I.HeUniform, I.HeNormal, I.LecunUniform, I.LecunNormal, I.Orthogonal]


@pytest.mark.parametrize("cls", RANDOM, ids=lambda c: c.__name__)
def test_int_seed_is_deterministic(cls):
    a = cls(seed=42)((8, 6))
    np.testing.assert_array_equal(a, cls(seed=42)((8, 6)))
    np.testing.assert_array_equal(a, cls(seed=42)((8, 6)))
    init = cls(seed=42)
    np.testing.assert_array_equal(init((8, 6)), init((8, 6)))  # the same at every call
    assert not np.array_equal(a, cls(seed=43)((8, 6)))
    # Drawn in float64 then cast: the seed gives the same values in every float dtype.
    np.testing.assert_allclose(cls(seed=42)((8, 6), "float64"), a, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cls", RANDOM, ids=lambda c: c.__name__)
def test_unseeded_draws_fresh_values_and_repeats_after_set_random_seed(cls):
    init = cls()
    a, b = init((5, 4)), init((5, 4))
    assert not np.array_equal(a, b)
    set_random_seed(123)
    first = [cls()((5, 4)), cls()((3, 7))]
    set_random_seed(123)
    second = [cls()((5, 4)), cls()((3, 7))]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    set_random_seed(124)
    assert not np.array_equal(cls()((5, 4)), first[0])


def test_set_random_seed_does_not_change_int_seeded_values():
    set_random_seed(1)
    a = I.HeNormal(seed=9)((4, 4))
    set_random_seed(2)
    np.testing.assert_array_equal(a, I.HeNormal(seed=9)((4, 4)))


def test_model_weights_repeat_given_the_seed_on_every_backend(active_backend):
    """The same seed loads the same initial weights into Keras variables on any backend."""

    def build():
        K.clear_session()
        set_random_seed(2024)
        kernel = K.variable(I.get("glorot_uniform")((6, 4)), name="kernel")
        bias = K.variable(I.get("zeros")((4,)), name="bias")
        recurrent = K.variable(I.get("orthogonal")((4, 4)), name="recurrent")
        return [v.numpy() for v in (kernel, bias, recurrent)]

    first, second = build(), build()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    set_random_seed(2024)
    np.testing.assert_array_equal(first[0], I.GlorotUniform()((6, 4)))  # computed on the host


# -- lookup and configs -----------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("zeros", I.Zeros), ("ones", I.Ones), ("constant", I.Constant), ("identity", I.Identity),
    ("random_normal", I.RandomNormal), ("random_uniform", I.RandomUniform),
    ("truncated_normal", I.TruncatedNormal), ("variance_scaling", I.VarianceScaling),
    ("glorot_uniform", I.GlorotUniform), ("glorot_normal", I.GlorotNormal),
    ("he_uniform", I.HeUniform), ("he_normal", I.HeNormal), ("lecun_uniform", I.LecunUniform),
    ("lecun_normal", I.LecunNormal), ("orthogonal", I.Orthogonal), ("GlorotUniform",
                                                                    I.GlorotUniform),
    ("uniform", I.RandomUniform), ("normal", I.RandomNormal), ("one", I.Ones), ("zero", I.Zeros),
    ("OrthogonalInitializer", I.Orthogonal),
])
def test_get_by_name(name, cls):
    init = I.get(name)
    assert type(init) is cls
    assert getattr(I, name, cls) is cls  # the lowercase module names are the classes


def test_get_other_identifiers():
    assert I.get(None) is None
    assert I.serialize(None) is None and I.deserialize(None) is None
    assert type(I.get(I.HeNormal)) is I.HeNormal
    init = I.RandomNormal(stddev=2.0)
    assert I.get(init) is init
    assert I.get({"class_name": "RandomNormal", "config": {"stddev": 2.0}}).stddev == 2.0
    with pytest.raises(ValueError, match="glorot_uniform") as info:
        I.get("glorot_uniformm")
    assert "he_normal" in str(info.value)
    with pytest.raises(ValueError):
        I.get(3)


CONFIGURED = [I.Zeros(), I.Ones(), I.Constant(3.0), I.Constant(np.float32(0.5)),
              I.Identity(gain=0.5), I.RandomNormal(0.1, 0.2, seed=1),
              I.RandomUniform(-1.0, 1.0, seed=2), I.TruncatedNormal(0.0, 0.1, seed=3),
              I.VarianceScaling(0.5, "fan_out", "uniform", seed=4), I.GlorotUniform(seed=5),
              I.GlorotNormal(), I.HeUniform(6), I.HeNormal(), I.LecunUniform(), I.LecunNormal(7),
              I.Orthogonal(gain=2.0, seed=8)]


@pytest.mark.parametrize("init", CONFIGURED, ids=repr)
def test_config_round_trip(init):
    import json

    config = I.serialize(init)
    assert config["class_name"] == type(init).__name__
    assert config["module"] == "keras.initializers"
    restored = I.deserialize(json.loads(json.dumps(config)))  # configs are JSON
    assert type(restored) is type(init) and restored.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    deterministic = not isinstance(init, I.RandomInitializer) or init.seed is not None
    if deterministic:  # the restored initializer gives the same values
        np.testing.assert_array_equal(restored((3, 2)), init((3, 2)))


def test_legacy_keras2_configs_load():
    legacy = {"class_name": "VarianceScaling",
              "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                         "seed": None, "dtype": "float32"}}
    init = I.deserialize(legacy)
    assert isinstance(init, I.VarianceScaling) and init.mode == "fan_avg"
    assert type(I.deserialize({"class_name": "GlorotUniform", "config": {"seed": None}})) is \
        I.GlorotUniform
