"""Activations: forward values against numpy references and gradients against central finite
differences, on every backend, through the op-case harness; the two backends' autodiffs against
each other; lookup and serialization; calls on values and on Keras variables."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit import activations
from layerkit import backend as K
from tests.graph.cases import OpCase
from tests.graph.harness import Built, GradientCheck, case_inputs

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


@pytest.fixture(autouse=True)
def fresh_keras_session():
    K.clear_session()
    yield
    K.clear_session()


def spread(low=-4.0, high=4.0, kinks=(), gap=0.1, shape=(3, 5)):
    """Inputs uniform in [low, high], each at least ``gap`` from every kink of the function so
    finite differences never straddle one."""

    def make(rng, dtype):
        x = rng.uniform(low, high, size=shape)
        for k in kinks:
            near = np.abs(x - k) < gap
            x = np.where(near, k + np.where(x >= k, 1, -1) * (gap + rng.uniform(0, 0.3, shape)),
                         x)
        return [x.astype(dtype)]

    return make


# -- numpy references, written from the definitions ---------------------------------------------
def relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    positive = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        positive = np.clip(positive, 0.0, max_value)
    return positive - negative_slope * np.maximum(threshold - x, 0.0)


def sigmoid_ref(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def gelu_ref(x):
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


def gelu_tanh_ref(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def hard_sigmoid_ref(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def case(id_, fn, ref, make=None, **kw):
    return OpCase(id_, id_.split("-")[0], fn, make or spread(), ref, **kw)


A = activations
CASES = [
    case("relu", A.relu, relu_ref, spread(kinks=(0,))),
    case("relu-slope", lambda x: A.relu(x, negative_slope=0.3),
         lambda x: relu_ref(x, 0.3), spread(kinks=(0,))),
    case("relu-max", lambda x: A.relu(x, max_value=2.5),
         lambda x: relu_ref(x, max_value=2.5), spread(kinks=(0, 2.5))),
    case("relu-threshold", lambda x: A.relu(x, threshold=1.0),
         lambda x: relu_ref(x, threshold=1.0), spread(kinks=(1.0,))),
    case("relu-negative-threshold", lambda x: A.relu(x, threshold=-1.0),
         lambda x: relu_ref(x, threshold=-1.0), spread(kinks=(-1.0,))),
    case("relu-all", lambda x: A.relu(x, negative_slope=0.1, max_value=3.0, threshold=0.5),
         lambda x: relu_ref(x, 0.1, 3.0, 0.5), spread(kinks=(0.5, 3.0))),
    case("relu6", A.relu6, lambda x: np.clip(x, 0, 6), spread(-3, 9, kinks=(0, 6))),
    case("leaky_relu", A.leaky_relu, lambda x: np.where(x >= 0, x, 0.2 * x), spread(kinks=(0,))),
    case("leaky_relu-slope", lambda x: A.leaky_relu(x, negative_slope=0.01),
         lambda x: np.where(x >= 0, x, 0.01 * x), spread(kinks=(0,))),
    case("sigmoid", A.sigmoid, sigmoid_ref, spread(-8, 8)),
    case("tanh", A.tanh, np.tanh),
    case("softmax", A.softmax, softmax_ref),
    case("softmax-axis0", lambda x: A.softmax(x, axis=0), lambda x: softmax_ref(x, 0)),
    case("softmax-3d", lambda x: A.softmax(x, axis=1), lambda x: softmax_ref(x, 1),
         spread(shape=(2, 3, 2))),
    case("log_softmax", A.log_softmax, lambda x: np.log(softmax_ref(x))),
    case("softplus", A.softplus, lambda x: np.logaddexp(x, 0)),
    case("softsign", A.softsign, lambda x: x / (np.abs(x) + 1), spread(kinks=(0,))),
    case("elu", A.elu, elu_ref),
    case("elu-alpha", lambda x: A.elu(x, alpha=0.5), lambda x: elu_ref(x, 0.5),
         spread(kinks=(0,))),
    case("selu", A.selu, lambda x: SELU_SCALE * elu_ref(x, SELU_ALPHA), spread(kinks=(0,))),
    case("celu", lambda x: A.celu(x, alpha=2.0),
         lambda x: np.maximum(x, 0) + 2.0 * np.minimum(np.expm1(x / 2.0), 0)),
    case("gelu", A.gelu, gelu_ref),
    case("gelu-approximate", lambda x: A.gelu(x, approximate=True), gelu_tanh_ref),
    case("silu", A.silu, lambda x: x * sigmoid_ref(x)),
    case("swish", A.swish, lambda x: x * sigmoid_ref(x)),
    case("hard_sigmoid", A.hard_sigmoid, hard_sigmoid_ref, spread(-5, 5, kinks=(-3, 3))),
    case("hard_silu", A.hard_silu, lambda x: x * hard_sigmoid_ref(x), spread(-5, 5, kinks=(-3, 3))),
    case("mish", A.mish, lambda x: x * np.tanh(np.logaddexp(x, 0))),
    case("exponential", A.exponential, np.exp, spread(-3, 3)),
    case("linear", lambda x: A.linear(x) * 1.0, lambda x: x),
    case("elu-extreme", A.elu, elu_ref,
         lambda rng, dt: [np.array([-1000.0, -50.0, -1.0, 1.0, 50.0, 1000.0], dt)]),
    case("selu-extreme", A.selu, lambda x: SELU_SCALE * elu_ref(x, SELU_ALPHA),
         lambda rng, dt: [np.array([-1000.0, -1.0, 1.0, 80.0, 1000.0], dt)]),
    case("gelu-extreme", A.gelu, gelu_ref,
         lambda rng, dt: [np.array([-1000.0, -30.0, -1e-3, 1e-3, 30.0, 1000.0], dt)]),
    case("sigmoid-extreme", A.sigmoid, sigmoid_ref,
         lambda rng, dt: [np.array([-1000.0, -30.0, 30.0, 1000.0], dt)]),
]
EXTREME = [c for c in CASES if c.id.endswith("-extreme")]
SMOOTH = [c for c in CASES if c not in EXTREME]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_matches_numpy_reference(case, dtype, backend):
    arrays = case_inputs(case, dtype)
    built = Built(case, arrays, backend)
    (got,) = built.forward(arrays)
    assert got.dtype == np.dtype(dtype) and got.shape == arrays[0].shape
    assert built.outputs[0].shape == arrays[0].shape and built.outputs[0].dtype == dtype
    expected = case.reference(arrays[0].astype(np.float64))
    tol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(got, expected, rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("case", SMOOTH, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case, backend):
    arrays = case_inputs(case, "float64")
    check = GradientCheck(case, arrays, backend)
    (analytic,) = check.analytic(arrays)
    (numeric,) = check.numeric(arrays)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", EXTREME, ids=lambda c: c.id)
def test_gradient_is_finite_far_out(case, backend):
    """Large inputs: no inf/nan leaks from a branch that where() drops (exp(1000) = inf)."""
    arrays = case_inputs(case, "float32")
    check = GradientCheck(case, arrays, backend)
    (grad,) = check.analytic(arrays)
    assert np.all(np.isfinite(grad)), grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_backends_autodiffs_agree(case, dtype):
    pytest.importorskip("jax")
    arrays = case_inputs(case, dtype)
    numpy_grad = GradientCheck(case, arrays, "numpy").analytic(arrays)[0]
    jax_grad = GradientCheck(case, arrays, "jax").analytic(arrays)[0]
    rtol = 1e-10 if dtype == "float64" else 2e-5
    scale = float(np.max(np.abs(numpy_grad))) if numpy_grad.size else 0.0
    np.testing.assert_allclose(jax_grad, numpy_grad, rtol=rtol, atol=rtol * scale)


# -- Keras's documented examples; calls on values ---------------------------------------------
def test_relu_keras_examples(active_backend):
    x = np.array([-10, -5, 0.0, 5, 10], np.float32)
    np.testing.assert_array_equal(activations.relu(x), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(activations.relu(x, threshold=5.0), [0, 0, 0, 0, 10])


def test_called_on_values_computes_at_once(active_backend):
    out = activations.sigmoid([0.0, 100.0])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, [0.5, 1.0])
    ints = activations.relu(np.array([-2, 3]))  # ints become floatx, as they would as inputs
    assert ints.dtype == np.float32 and ints.tolist() == [0.0, 3.0]
    x64 = activations.gelu(np.array([1.0]))
    assert x64.dtype == np.float64
    np.testing.assert_allclose(x64, gelu_ref(np.array([1.0])), rtol=1e-14)


def test_symbolic_calls_build_ops_in_the_tensors_graph(active_backend):
    kernel = K.variable(np.array([[-1.0, 2.0]], np.float32), name="kernel")
    out = activations.elu(kernel)  # constants must land in the Keras graph, not the default
    assert isinstance(out, lk.Tensor) and out.graph is K.get_graph()
    np.testing.assert_allclose(K.get_session().run(out), [[np.expm1(-1.0), 2.0]], rtol=1e-6)
    with K.symbolic_scope():
        traced = activations.relu(np.array([-1.0, 1.0], np.float32))
    assert isinstance(traced, lk.Tensor) and traced.graph is K.get_graph()


def test_softmax_and_sigmoid_keep_their_logits():
    x = lk.placeholder("float32", (None, 4))
    assert activations.softmax(x)._keras_logits is x
    assert activations.sigmoid(x)._keras_logits is x


def test_softmax_bad_axis_names_the_shape():
    x = lk.placeholder("float32", (2, 3))
    with pytest.raises(ValueError, match="axis 2"):
        activations.softmax(x, axis=2)


def test_integer_tensor_is_refused_clearly():
    x = lk.placeholder("int32", (2,))
    with pytest.raises(TypeError, match="gelu needs a floating-point tensor"):
        activations.gelu(x)


def test_linear_returns_its_input():
    x = lk.placeholder("float32", (2,))
    assert activations.linear(x) is x
    assert activations.get(None) is activations.linear


# -- lookup and serialization -----------------------------------------------------------------
KERAS_NAMES = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "elu",
               "selu", "gelu", "silu", "swish", "leaky_relu", "hard_sigmoid", "exponential",
               "linear", "relu6", "hard_silu", "hard_swish", "mish", "celu"]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_by_name_and_serialize_round_trip(name):
    fn = activations.get(name)
    assert callable(fn) and fn is getattr(activations, name)
    assert activations.get(activations.serialize(fn)) is fn
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_aliases_serialize_to_the_canonical_name():
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_get_passes_callables_through():
    def custom(x):
        return x * 2.0

    assert activations.get(custom) is custom


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="relul") as info:
        activations.get("relul")
    assert "relu" in str(info.value) and "gelu" in str(info.value)
    with pytest.raises(ValueError):
        activations.get(3)


def test_deserialize_keras3_function_config():
    config = {"module": "keras.activations", "class_name": "function", "config": "gelu",
              "registered_name": "gelu"}
    assert activations.deserialize(config) is activations.gelu
    assert activations.get(config) is activations.gelu
    assert activations.deserialize("mine", custom_objects={"mine": abs}) is abs


def test_serialize_refuses_unknown_functions():
    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize(lambda x: x)
