"""Gradients of broadcasting element-wise ops over random shape pairs (hypothesis), against
central finite differences in float64 — the VJPs' ``unbroadcast`` must sum over exactly the
broadcast axes, whatever the shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerkit.graph import ops
from tests.conftest import BACKENDS
from tests.graph.cases import OpCase, away_from, positive, uniform
from tests.graph.harness import GradientCheck

BINARY = {
    "add": (ops.add, uniform, uniform),
    "subtract": (ops.subtract, uniform, uniform),
    "multiply": (ops.multiply, uniform, uniform),
    "divide": (ops.divide, uniform, positive),
    "power": (ops.power, positive, uniform),
    "maximum": (ops.maximum, away_from, uniform),
    "where": (None, uniform, uniform),
}


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: a shape, and a suffix of it with some dims set to 1."""
    full = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    keep = draw(st.integers(0, len(full)))
    other = [1 if draw(st.booleans()) else d for d in full[len(full) - keep:]]
    return (tuple(full), tuple(other)) if draw(st.booleans()) else (tuple(other), tuple(full))


@pytest.mark.parametrize("backend_name", BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(sorted(BINARY)), shapes=broadcast_pair(), seed=st.integers(0, 2**16))
def test_binary_gradients_under_broadcasting(backend_name, op, shapes, seed):
    fn, make_x, make_y = BINARY[op]
    a, b = shapes
    rng = np.random.default_rng(seed)
    if op == "where":
        cond = rng.uniform(size=a) > 0.5
        case = OpCase(f"where-{a}-{b}", op, lambda c, x, y: ops.where(c, x, y), lambda r, d: [])
        arrays = [cond, make_x(rng, a, np.float64), make_y(rng, b, np.float64)]
    else:
        case = OpCase(f"{op}-{a}-{b}", op, fn, lambda r, d: [])
        arrays = [make_x(rng, a, np.float64), make_y(rng, b, np.float64)]
    if op == "maximum":  # keep the two operands apart, so no tie straddles a finite difference
        arrays[1] = np.asarray(arrays[1] * 0.25 + 5.0 * (rng.uniform(size=b) > 0.5) - 2.5)
    check = GradientCheck(case, arrays, backend_name)
    for i, analytic, numeric in zip(check.wrt, check.analytic(arrays), check.numeric(arrays)):
        assert analytic.shape == arrays[i].shape
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
