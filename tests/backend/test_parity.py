"""The numpy and jax backends agree on every non-random catalog case: forward values, and the
gradients of the harness' weighted-sum objective -- two independent autodiffs (numpy's VJP rules,
JAX's own) checking each other, in float32 and float64.

Tolerance: relative ``1e-5`` in float32 and ``1e-10`` in float64, with an absolute floor of the
same relative size times the largest magnitude in the array, so elements that cancel to near
zero (where a relative error means nothing) are held to the precision of the array's scale.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from tests.graph.cases import all_cases  # noqa: E402
from tests.graph.harness import Built, GradientCheck, case_inputs  # noqa: E402

CASES = [c for c in all_cases() if not c.random]
GRADIENT = [c for c in CASES if c.grad != []]
RTOL = {"float32": 1e-5, "float64": 1e-10}
# Cases whose float32 results are ill-conditioned, with the float32 tolerance they need and why.
LOOSER_FLOAT32 = {
    # logsumexp([1000, 1000]) = 1000.69 carries float32's 6e-5 spacing at 1000 into numpy's VJP
    # rule exp(x - out); JAX's rule (a softmax of x - max) gives exactly 0.5.
    "logsumexp-large": 1e-4,
}


def _assert_close(jax_value, numpy_value, dtype: str, what: str, rtol: float) -> None:
    jax_value, numpy_value = np.asarray(jax_value), np.asarray(numpy_value)
    assert jax_value.dtype == numpy_value.dtype, what
    assert jax_value.shape == numpy_value.shape, what
    if numpy_value.dtype.kind not in "fc":
        np.testing.assert_array_equal(jax_value, numpy_value, err_msg=what)
        return
    if numpy_value.dtype.itemsize < np.dtype(dtype).itemsize:  # e.g. a cast to float16
        rtol = 1e-3
    finite = np.abs(numpy_value[np.isfinite(numpy_value)])
    scale = float(finite.max()) if finite.size else 0.0
    np.testing.assert_allclose(jax_value, numpy_value, rtol=rtol, atol=rtol * scale,
                               err_msg=what)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_values_agree(case, dtype):
    rtol = _rtol(case, dtype)
    arrays = case_inputs(case, dtype)
    expected = Built(case, arrays, "numpy").forward(arrays)
    got = Built(case, arrays, "jax").forward(arrays)
    for i, (g, e) in enumerate(zip(got, expected)):
        _assert_close(g, e, dtype, f"{case.id} output {i}", rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", GRADIENT, ids=lambda c: c.id)
def test_gradients_agree(case, dtype):
    arrays = case_inputs(case, dtype)
    numpy_check = GradientCheck(case, arrays, "numpy")
    if not numpy_check.wrt or not numpy_check.weights:
        pytest.skip("no differentiable input or output")
    jax_check = GradientCheck(case, arrays, "jax")
    expected = numpy_check.analytic(arrays)
    got = jax_check.analytic(arrays)
    for i, g, e in zip(numpy_check.wrt, got, expected):
        _assert_close(g, e, dtype, f"gradient of {case.id} w.r.t. input {i}", _rtol(case, dtype))


def _rtol(case, dtype: str) -> float:
    return LOOSER_FLOAT32.get(case.id, RTOL[dtype]) if dtype == "float32" else RTOL[dtype]
