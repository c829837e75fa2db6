"""The fused Adam update: the same bits as the separate ops it replaces, on every backend; it
never writes to its inputs; build-time errors. (Values against a numpy reference, and the two
backends against each other, come from the catalog: ``tests/graph/cases/updates.py``.)"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from layerkit_backend.numpy.registry import KERNELS

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7


def _separate_ops(variable, gradient, m, v, alpha, v_hat=None):
    """The update as Adam wrote it before the fused op, one op per operation."""
    m = m + (gradient - m) * (1 - BETA_1)
    v = v + (ops.square(gradient) - v) * (1 - BETA_2)
    slots = [m, v]
    if v_hat is not None:
        v = ops.maximum(v_hat, v)
        slots.append(v)
    return [variable - m * alpha / (ops.sqrt(v) + EPSILON), *slots]


def _inputs(shape, dtype, amsgrad, rng):
    arrays = [rng.normal(size=shape), rng.normal(size=shape) * 1e-2,
              rng.normal(size=shape) * 1e-3, rng.uniform(0, 1e-4, size=shape),
              np.asarray(1e-3 * np.sqrt(1 - BETA_2 ** 3) / (1 - BETA_1 ** 3))]
    if amsgrad:
        arrays.append(rng.uniform(0, 1e-4, size=shape))
    return [a.astype(dtype) for a in arrays]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("shape", [(40, 7), ()])
def test_fused_update_equals_the_separate_ops_to_the_bit(backend, dtype, amsgrad, shape):
    arrays = _inputs(shape, dtype, amsgrad, np.random.default_rng(len(shape) + amsgrad))
    inputs = [lk.placeholder(dtype, a.shape) for a in arrays]
    v_hat = inputs[5] if amsgrad else None
    fused = ops.adam_update(*inputs[:5], beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON,
                            v_hat=v_hat)
    separate = _separate_ops(*inputs[:5], v_hat=v_hat)
    # strict_float: XLA rounds every op as numpy does, so the separate ops are a fixed target.
    with lk.Session(backend=backend, strict_float=True) as session:
        got, expected = session.run([fused, separate], dict(zip(inputs, arrays)))
    for g, e in zip(got, expected):
        assert np.asarray(g).dtype == dtype
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_numpy_kernel_never_writes_to_its_inputs(amsgrad):
    """The inputs are the session's current values (or fed arrays): read-only here, any write
    would raise; and no output is a view of an input."""
    arrays = _inputs((6, 3), "float32", amsgrad, np.random.default_rng(1))
    for a in arrays:
        a.setflags(write=False)
    outputs = KERNELS["adam_update"].forward(*arrays, beta_1=BETA_1, beta_2=BETA_2,
                                              epsilon=EPSILON)
    assert len(outputs) == 4 if amsgrad else 3
    for out in outputs:
        assert out.flags.writeable and not any(np.shares_memory(out, a) for a in arrays)


def test_mismatched_shapes_and_dtypes_are_build_time_errors():
    w = lk.placeholder("float32", (3, 2))
    alpha = lk.placeholder("float32", ())
    hyper = {"beta_1": BETA_1, "beta_2": BETA_2, "epsilon": EPSILON}
    with pytest.raises(ValueError, match=r"^adam_update: input '.*' of shape \(2, 3\) does not "
                                         r"match the variable's shape \(3, 2\)$"):
        ops.adam_update(w, lk.placeholder("float32", (2, 3)), w, w, alpha, **hyper)
    with pytest.raises(ValueError, match="step size .* must be a scalar"):
        ops.adam_update(w, w, w, w, w, **hyper)
    with pytest.raises(TypeError, match="must have the same dtype"):
        ops.adam_update(w, w, w, w, lk.placeholder("float64", ()), **hyper)
    with pytest.raises(TypeError, match="needs a floating-point tensor"):
        i = lk.placeholder("int32", (3,))
        ops.adam_update(i, i, i, i, lk.placeholder("int32", ()), **hyper)
    # Unknown dimensions match anything.
    outputs = ops.adam_update(w, lk.placeholder("float32", (None, 2)), w, w, alpha,
                              v_hat=lk.placeholder("float32", None), **hyper)
    assert [t.shape for t in outputs] == [(3, 2)] * 4
