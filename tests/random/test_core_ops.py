"""The core's stateless random ops: every catalog case builds, runs on each backend with the
shape and dtype its rule declared, repeats for the same key and changes with the key; their
statistics; and build-time errors."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from tests.graph.cases import random as random_cases
from tests.graph.harness import Built, case_inputs

STATELESS = [c for c in random_cases.CASES if c.op.startswith("stateless_")]
N = 20_000


@pytest.mark.parametrize("case", STATELESS, ids=lambda c: c.id)
def test_a_case_runs_with_its_declared_type_and_repeats_for_its_key(case, backend):
    arrays = case_inputs(case, "float32")
    built = Built(case, arrays, backend)
    first = built.forward(arrays)
    again = built.forward(arrays)
    for tensor, value, repeat in zip(built.outputs, first, again):
        assert value.dtype == tensor.dtype
        assert len(tensor.shape) == value.ndim
        assert all(s is None or s == v for s, v in zip(tensor.shape, value.shape))
        np.testing.assert_array_equal(value, repeat)
    other = [arrays[0] + np.int32(1), *arrays[1:]]
    if np.asarray(first[0]).size > 1:
        assert not np.array_equal(built.forward(other)[0], first[0])


def _run(tensor, backend):
    return lk.Session(graph=tensor.graph, backend=backend).run(tensor)


def test_statistics(backend):
    key = np.array([11, 12], np.int32)
    u = _run(ops.stateless_random_uniform((N,), key, -1.0, 3.0), backend)
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    z = _run(ops.stateless_random_normal((N,), key, 2.0, 0.5, dtype="float64"), backend)
    assert z.dtype == np.float64 and abs(z.mean() - 2.0) < 0.02 and abs(z.std() - 0.5) < 0.02
    t = _run(ops.stateless_truncated_normal((N,), key), backend)
    assert np.abs(t).max() <= 2.0 and abs(t.std() - 0.8796) < 0.02
    g = _run(ops.stateless_random_gamma((N,), key, np.float32(3.0)), backend)
    assert g.min() > 0 and abs(g.mean() - 3.0) < 0.1 and abs(g.var() - 3.0) < 0.3
    b = _run(ops.stateless_random_binomial((N,), key, np.float32(10.0), np.float32(0.3)),
             backend)
    assert set(np.unique(b)) <= set(range(11)) and abs(b.mean() - 3.0) < 0.05


def test_parameters_broadcast_per_column(backend):
    key = np.array([1, 2], np.int32)
    alpha = np.array([0.5, 5.0], np.float32)
    g = _run(ops.stateless_random_gamma((N, 2), key, alpha), backend)
    np.testing.assert_allclose(g.mean(axis=0), alpha, rtol=0.05)


def test_shuffle_permutes_each_slice(backend):
    x = np.arange(40, dtype=np.float32).reshape(4, 10)
    y = _run(ops.stateless_random_shuffle(x, np.array([5, 6], np.int32), axis=1), backend)
    np.testing.assert_array_equal(np.sort(y, axis=1), x)
    assert not np.array_equal(y, x)


def test_build_errors():
    with pytest.raises(TypeError, match="key must be an int32 tensor"):
        ops.stateless_random_normal((2,), lk.placeholder("float32", (2,)))
    with pytest.raises(ValueError, match=r"key must have shape \(2,\)"):
        ops.stateless_random_normal((2,), np.array([1, 2, 3], np.int32))
    with pytest.raises(ValueError, match="does not broadcast"):
        ops.stateless_random_gamma((3, 2), np.array([1, 2], np.int32), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="alpha must be a floating-point"):
        ops.stateless_random_gamma((3,), np.array([1, 2], np.int32), np.int32(2))
    with pytest.raises(IndexError, match="out of range"):
        ops.stateless_random_shuffle(np.zeros((2, 3)), np.array([1, 2], np.int32), axis=2)
    with pytest.raises(ValueError, match="static shape must be fully known"):
        ops.stateless_random_uniform((None, 2), np.array([1, 2], np.int32))


def test_stateless_ops_never_read_the_programs_seed():
    from layerkit.graph.opdef import get_opdef

    for case in STATELESS:
        assert not get_opdef(case.op).random and not get_opdef(case.op).differentiable
