"""Against real Keras 3 (slow): the same names, signatures and defaults; the same seed
generator state; the same distributions; and on the jax backend, the same values as Keras's jax
backend for the int-seeded draws that are one jax call in both."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import layerkit.random as random

NAMES = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
         "randint", "shuffle", "truncated_normal", "uniform"]


def parameters(fn) -> list[list[str]]:
    return [[p.name, p.kind.name, repr(p.default)]
            for p in inspect.signature(fn).parameters.values()]


def test_the_namespace_has_kerass_names():
    assert sorted(random.__all__) == NAMES


@pytest.mark.slow
def test_signatures_and_defaults_match_keras(keras3):
    theirs = keras3("""
        import inspect
        names = [n for n in dir(keras.random) if not n.startswith("_")]
        emit({n: [[p.name, p.kind.name, repr(p.default)]
                  for p in inspect.signature(getattr(keras.random, n)).parameters.values()]
              for n in names})
    """)
    assert sorted(theirs) == NAMES
    assert {n: parameters(getattr(random, n)) for n in NAMES} == theirs


@pytest.fixture(scope="module")
def keras_draws(keras3):
    """What Keras 3 draws (once for the module)."""
    return keras3("""
        r = keras.random
        gen = r.SeedGenerator(42)
        r.normal((2,), seed=gen); r.normal((2,), seed=gen)
        n = 20000
        emit({
            "state": np.asarray(gen.state.value).tolist(),
            "config": gen.get_config(),
            "normal": np.asarray(r.normal((5,), seed=3)).tolist(),
            "uniform": np.asarray(r.uniform((5,), seed=3)).tolist(),
            "truncated": np.asarray(r.truncated_normal((5,), seed=3)).tolist(),
            "shuffle": np.asarray(r.shuffle(np.arange(8), seed=3)).tolist(),
            "gamma": float(np.mean(r.gamma((n,), 3.0, seed=1))),
            "beta": float(np.mean(r.beta((n,), 2.0, 6.0, seed=1))),
            "binomial": float(np.mean(r.binomial((n,), 8, 0.25, seed=1))),
            "categorical": np.bincount(np.asarray(r.categorical(
                np.log([[0.2, 0.8]]), n, seed=1))[0], minlength=2).tolist(),
            "dropout": float(np.mean(np.asarray(r.dropout(np.ones(n), 0.3, seed=1)) == 0)),
            "randint": np.bincount(np.asarray(r.randint((n,), 0, 4, seed=1))).tolist(),
        })
    """)


@pytest.mark.slow
def test_values_state_and_statistics_match_keras(keras, keras_draws, backend):
    theirs = keras_draws
    gen = keras.random.SeedGenerator(42)
    keras.random.normal((2,), seed=gen)
    keras.random.normal((2,), seed=gen)
    assert gen.state.numpy().tolist() == theirs["state"]
    assert gen.get_config()["seed"] == theirs["config"]["seed"]
    n, r = 20000, keras.random
    assert abs(np.mean(r.gamma((n,), 3.0, seed=1)) - theirs["gamma"]) < 0.1
    assert abs(np.mean(r.beta((n,), 2.0, 6.0, seed=1)) - theirs["beta"]) < 0.01
    assert abs(np.mean(r.binomial((n,), 8, 0.25, seed=1)) - theirs["binomial"]) < 0.06
    ours = np.bincount(r.categorical(np.log([[0.2, 0.8]]), n, seed=1)[0], minlength=2)
    np.testing.assert_allclose(ours / n, np.array(theirs["categorical"]) / n, atol=0.02)
    assert abs(np.mean(r.dropout(np.ones(n, np.float32), 0.3, seed=1) == 0)
               - theirs["dropout"]) < 0.02
    np.testing.assert_allclose(np.bincount(r.randint((n,), 0, 4, seed=1)) / n,
                               np.array(theirs["randint"]) / n, atol=0.02)
    if backend == "jax":
        np.testing.assert_allclose(r.normal((5,), seed=3), theirs["normal"], rtol=1e-6)
        np.testing.assert_allclose(r.uniform((5,), seed=3), theirs["uniform"], rtol=1e-6)
        np.testing.assert_allclose(r.truncated_normal((5,), seed=3), theirs["truncated"],
                                   rtol=1e-6)
        assert r.shuffle(np.arange(8), seed=3).tolist() == theirs["shuffle"]
