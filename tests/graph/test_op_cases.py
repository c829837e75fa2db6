"""Every op of the core, through the case catalog: static shape/dtype inference against the
computed value, forward values against numpy references, and gradients against central finite
differences in float64 — on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit.graph.opdef import registered_ops
from tests.graph.cases import all_cases
from tests.graph.harness import Built, GradientCheck, case_inputs

CASES = all_cases()
FORWARD = [c for c in CASES if not c.random]
GRADIENT = [c for c in FORWARD if c.grad != []]
# Ops the catalog cannot cover as single-op cases; each has tests of its own.
COVERED_ELSEWHERE = {"placeholder", "variable", "assign", "no_op", "gradients", "constant",
                     "print"}


def test_every_op_has_a_case():
    covered = {c.op for c in CASES}
    missing = set(registered_ops()) - covered - COVERED_ELSEWHERE
    assert not missing, f"ops without a test case: {sorted(missing)}"


def _check_static(built: Built, values) -> None:
    for tensor, value in zip(built.outputs, values):
        assert np.asarray(value).dtype == tensor.dtype, (tensor, np.asarray(value).dtype)
        shape = np.shape(value)
        assert tensor.shape is not None and len(tensor.shape) == len(shape), (tensor, shape)
        assert all(s is None or s == v for s, v in zip(tensor.shape, shape)), (tensor, shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", FORWARD, ids=lambda c: c.id)
def test_forward(case, dtype, backend):
    arrays = case_inputs(case, dtype)
    built = Built(case, arrays, backend)
    values = built.forward(arrays)
    _check_static(built, values)
    if case.reference is not None:
        expected = case.reference(*[a.astype(np.float64) if a.dtype.kind == "f" else a
                                    for a in arrays])
        expected = list(expected) if isinstance(expected, list | tuple) else [expected]
        tol = (case.rtol, case.atol) if dtype == "float64" else (max(case.rtol, 1e-5),
                                                                  max(case.atol, 1e-5))
        for got, want in zip(values, expected):
            np.testing.assert_allclose(np.asarray(got, np.float64) if np.asarray(got).dtype.kind
                                       == "f" else got, want, rtol=tol[0], atol=tol[1])


@pytest.mark.parametrize("case", GRADIENT, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case, backend):
    arrays = case_inputs(case, "float64")
    check = GradientCheck(case, arrays, backend)
    if not check.wrt or not check.weights:
        pytest.skip("no differentiable input or output")
    for i, analytic, numeric in zip(check.wrt, check.analytic(arrays), check.numeric(arrays)):
        assert analytic.dtype == arrays[i].dtype
        np.testing.assert_allclose(analytic, numeric, rtol=case.grad_rtol, atol=case.grad_atol,
                                   err_msg=f"gradient of {case.id} w.r.t. input {i}")
