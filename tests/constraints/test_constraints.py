"""Weight constraints: each against its numpy definition, configs, and projection after every
optimizer step (inside the compiled step, on both backends)."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras

EPS = 1e-7  # backend.epsilon()


def _w(shape=(4, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32") * 2


def _norms(w, axis):
    return np.sqrt(np.sum(w ** 2, axis=axis, keepdims=True))


REFERENCES = {
    "max_norm": (lambda c: c.MaxNorm(1.5, axis=0),
                 lambda w: w * np.clip(_norms(w, 0), 0, 1.5) / (EPS + _norms(w, 0))),
    "max_norm_axes": (lambda c: c.MaxNorm(2.0, axis=[0, 1]),
                      lambda w: w * np.clip(_norms(w, (0, 1)), 0, 2.0)
                      / (EPS + _norms(w, (0, 1)))),
    "non_neg": (lambda c: c.NonNeg(), lambda w: w * (w >= 0)),
    "unit_norm": (lambda c: c.UnitNorm(axis=1), lambda w: w / (EPS + _norms(w, 1))),
    "min_max_norm": (lambda c: c.MinMaxNorm(0.5, 1.0, rate=0.25, axis=0),
                     lambda w: w * (0.25 * np.clip(_norms(w, 0), 0.5, 1.0)
                                    + 0.75 * _norms(w, 0)) / (EPS + _norms(w, 0))),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_each_constraint_against_numpy(keras, name):
    make, reference = REFERENCES[name]
    w = _w((3, 2, 4)) if name == "max_norm_axes" else _w()
    np.testing.assert_allclose(make(keras.constraints)(w), reference(w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_config_round_trip(keras, name):
    constraint = REFERENCES[name][0](keras.constraints)
    config = keras.constraints.serialize(constraint)
    assert config["module"] == "keras.constraints"
    restored = keras.constraints.deserialize(config)
    assert type(restored) is type(constraint) and restored.get_config() == constraint.get_config()


def test_names_and_get(keras):
    c = keras.constraints
    assert type(c.get("max_norm")) is c.MaxNorm and type(c.get("NonNeg")) is c.NonNeg
    assert c.get(None) is None
    assert type(c.get(c.UnitNorm)) is c.UnitNorm
    assert c.get({"class_name": "MinMaxNorm", "config": {"min_value": 0.2}}).min_value == 0.2
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 'nope'"):
        c.get("nope")


def _fit(keras, layer, x, y, epochs=3):
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)
    return model


def test_applied_after_each_step_in_fit(keras):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 3)).astype("float32") * 10
    dense = keras.layers.Dense(3, kernel_constraint=keras.constraints.MaxNorm(0.5),
                               bias_constraint="non_neg")
    _fit(keras, dense, x, y)
    kernel, bias = dense.get_weights()
    # Unconstrained, this target pushes the kernel's column norms far above 0.5.
    assert np.all(np.linalg.norm(kernel, axis=0) <= 0.5 + 1e-5)
    assert np.all(bias >= 0)
    unconstrained = keras.layers.Dense(3)
    _fit(keras, unconstrained, x, y)
    assert np.linalg.norm(unconstrained.get_weights()[0], axis=0).max() > 1.0


def test_the_step_stores_the_projection_of_the_sgd_update(keras):
    """One step by hand: w1 = constraint(w0 - lr * grad), with the gradient of the MSE."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32") * 3
    dense = keras.layers.Dense(2, use_bias=False, kernel_constraint=keras.constraints.UnitNorm())
    model = keras.Sequential([keras.Input((3,)), dense])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.build((None, 3))
    w0 = dense.get_weights()[0]
    model.train_on_batch(x, y)
    grad = 2 * x.T @ (x @ w0 - y) / y.size
    step = w0 - 0.1 * grad
    np.testing.assert_allclose(dense.get_weights()[0], step / (EPS + _norms(step, 0)),
                               rtol=1e-5, atol=1e-6)


def test_layers_take_constraints(keras):
    conv = keras.layers.Conv2D(2, 2, kernel_constraint="non_neg")
    emb = keras.layers.Embedding(5, 2, embeddings_constraint="unit_norm")
    norm = keras.layers.LayerNormalization(gamma_constraint="non_neg")
    conv(np.ones((1, 3, 3, 1), "float32"))
    assert type(conv.kernel.constraint).__name__ == "NonNeg"
    emb(np.zeros((1, 2), "int32"))
    assert type(emb.embeddings.constraint).__name__ == "UnitNorm"
    norm(np.ones((1, 2), "float32"))
    assert type(norm.gamma.constraint).__name__ == "NonNeg" and norm.beta.constraint is None
    assert conv.get_config()["kernel_constraint"]["class_name"] == "NonNeg"
