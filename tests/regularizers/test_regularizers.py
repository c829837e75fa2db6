"""Regularizers: penalty values against numpy, gradients against finite differences and across
the two backends' autodiffs, penalties of Keras variables, lookup and configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit import backend as K
from layerkit import regularizers as R
from tests.graph.cases import OpCase
from tests.graph.harness import Built, GradientCheck, case_inputs


@pytest.fixture(autouse=True)
def fresh_keras_session():
    K.clear_session()
    yield
    K.clear_session()


def away_from_zero(shape):
    def make(rng, dtype):
        x = rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        return [x.astype(dtype)]

    return make


def orthogonal_ref(x, factor, mode):
    m = x if mode == "rows" else x.T
    unit = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-7)
    product = unit @ unit.T
    n = m.shape[0]
    off = np.abs(product[~np.eye(n, dtype=bool)]).sum()
    return factor * 0.5 * off / (n * (n - 1) / 2)


CASES = [
    OpCase("l1", "l1", R.L1(0.3), away_from_zero((4, 3)), lambda x: 0.3 * np.abs(x).sum()),
    OpCase("l1-default", "l1", R.L1(), away_from_zero((5,)), lambda x: 0.01 * np.abs(x).sum()),
    OpCase("l2", "l2", R.L2(0.2), away_from_zero((2, 3, 2)), lambda x: 0.2 * np.square(x).sum()),
    OpCase("l2-default", "l2", R.L2(), away_from_zero((3, 3)),
           lambda x: 0.01 * np.square(x).sum()),
    OpCase("l1l2", "l1l2", R.L1L2(l1=0.1, l2=0.5), away_from_zero((3, 4)),
           lambda x: 0.1 * np.abs(x).sum() + 0.5 * np.square(x).sum()),
    OpCase("l1l2-only-l2", "l1l2", R.L1L2(l2=0.5), away_from_zero((3, 4)),
           lambda x: 0.5 * np.square(x).sum()),
    OpCase("orthogonal-rows", "orthogonal", R.OrthogonalRegularizer(0.7), away_from_zero((4, 3)),
           lambda x: orthogonal_ref(x, 0.7, "rows")),
    OpCase("orthogonal-columns", "orthogonal", R.OrthogonalRegularizer(0.7, mode="columns"),
           away_from_zero((4, 3)), lambda x: orthogonal_ref(x, 0.7, "columns")),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_penalty_value(case, dtype, backend):
    arrays = case_inputs(case, dtype)
    built = Built(case, arrays, backend)
    (got,) = built.forward(arrays)
    assert built.outputs[0].shape == () and got.dtype == np.dtype(dtype)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, case.reference(arrays[0].astype(np.float64)), rtol=rtol)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case, backend):
    arrays = case_inputs(case, "float64")
    check = GradientCheck(case, arrays, backend)
    (analytic,) = check.analytic(arrays)
    (numeric,) = check.numeric(arrays)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_backends_autodiffs_agree(case):
    pytest.importorskip("jax")
    arrays = case_inputs(case, "float64")
    numpy_grad = GradientCheck(case, arrays, "numpy").analytic(arrays)[0]
    jax_grad = GradientCheck(case, arrays, "jax").analytic(arrays)[0]
    np.testing.assert_allclose(jax_grad, numpy_grad, rtol=1e-10, atol=1e-12)


def test_l1_l2_closed_form_gradients():
    x = lk.placeholder("float64", (3,))
    value = np.array([-2.0, 0.5, 3.0])
    grads = lk.gradients([R.L1(0.1)(x), R.L2(0.2)(x)], [x])
    (g,) = lk.Session(backend="numpy").run(grads, {x: value})
    np.testing.assert_allclose(g, 0.1 * np.sign(value) + 0.4 * value)


def test_penalty_of_a_keras_variable(active_backend):
    kernel = K.variable(np.full((5, 5), 2.0, np.float32), name="kernel")
    penalty = R.L1L2(l1=0.01, l2=0.01)(kernel)
    assert isinstance(penalty, lk.Tensor) and penalty.graph is K.get_graph()
    assert penalty.shape == () and penalty.dtype == np.float32
    assert float(K.get_session().run(penalty)) == pytest.approx(0.01 * 50 + 0.01 * 100)
    (grad,) = lk.gradients(penalty, [kernel])
    np.testing.assert_allclose(K.get_session().run(grad), np.full((5, 5), 0.01 + 0.04), rtol=1e-6)


def test_zero_penalty_is_a_scalar_in_the_weights_graph(active_backend):
    kernel = K.variable(np.ones((2, 2), np.float32), name="kernel")
    penalty = R.L1L2()(kernel)
    assert penalty.graph is K.get_graph() and penalty.dtype == np.float32
    assert float(K.get_session().run(penalty)) == 0.0


def test_called_on_values(active_backend):
    assert float(R.L2(2.0)(np.ones((5, 5)))) == 50.0  # Keras's documented example
    assert float(R.L1(0.5)([[-1.0, 2.0]])) == 1.5


def test_orthogonal_regularizer_extremes():
    assert float(R.OrthogonalRegularizer(1.0)(np.eye(4))) == 0.0
    assert float(R.OrthogonalRegularizer(1.0)(np.ones((3, 4)))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="rank 2"):
        R.OrthogonalRegularizer()(lk.placeholder("float32", (2, 2, 2)))
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_factors_are_validated(bad):
    with pytest.raises(ValueError, match="non-negative"):
        R.L1(bad)
    with pytest.raises(ValueError, match="non-negative"):
        R.L1L2(l2=bad)


def test_defaults_as_keras():
    assert R.L1().get_config() == {"l1": 0.01}
    assert R.L2().get_config() == {"l2": 0.01}
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.L1(None).l1 == 0.01 and R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}


# -- lookup and configs -----------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [("l1", R.L1), ("l2", R.L2), ("L1", R.L1), ("L1L2", R.L1L2),
                                       ("l1l2", R.L1L2), ("l1_l2", R.L1L2),
                                       ("orthogonal_regularizer", R.OrthogonalRegularizer)])
def test_get_by_name(name, cls):
    assert type(R.get(name)) is cls


def test_l1_l2_string_uses_keras_documented_defaults():
    assert R.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}


def test_get_other_identifiers():
    assert R.get(None) is None
    assert R.serialize(None) is None and R.deserialize(None) is None
    assert type(R.get(R.L2)) is R.L2
    reg = R.L2(0.3)
    assert R.get(reg) is reg
    fn = lambda w: lk.ops.sum(w)  # noqa: E731  # any function of a weight works
    assert R.get(fn) is fn
    assert R.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    with pytest.raises(ValueError, match="l2") as info:
        R.get("l3")
    assert "orthogonal_regularizer" in str(info.value)


@pytest.mark.parametrize("reg", [R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.2),
                                 R.OrthogonalRegularizer(0.5, "columns")], ids=repr)
def test_config_round_trip(reg):
    config = R.serialize(reg)
    assert config["class_name"] == type(reg).__name__
    restored = R.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


def test_base_class():
    assert R.Regularizer()(np.ones(3)) == 0.0
    with pytest.raises(NotImplementedError):
        R.Regularizer().get_config()
