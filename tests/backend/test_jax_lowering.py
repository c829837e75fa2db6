"""The jax backend's lowering table at work: clear errors, deep graphs, dtypes. That the table
is complete is checked with the numpy backend's in ``test_op_tables.py``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import layerkit.graph as lk  # noqa: E402
from layerkit.graph import ops  # noqa: E402
from layerkit_backend.ir import Function, Node, ProgramSpec  # noqa: E402
from layerkit_backend.jax import BACKEND  # noqa: E402


def test_unknown_op_is_a_clear_error():
    node = Node("no_such_op", (0,), (1,), {}, "mystery", (((2,), np.dtype("float32")),))
    spec = ProgramSpec(Function((node,), (0,), (1,)), 1, (), 1, ())
    program = BACKEND.compile(spec)
    with pytest.raises(NotImplementedError, match="no lowering for op type 'no_such_op'.*mystery"):
        program({}, [BACKEND.asarray(np.ones(2), np.float32)], 0)


def test_a_deep_graph_does_not_exhaust_the_recursion_limit():
    """Evaluation is demand-driven but iterative: a chain far deeper than Python's recursion
    limit lowers fine, and so does its gradient."""
    x = lk.placeholder("float32", (2,))
    y = x
    for _ in range(3000):
        y = y * 1.0001
    (g,) = lk.gradients(ops.sum(y), [x])
    with lk.Session(backend="jax") as s:
        value, grad = s.run([y, g], {x: [1.0, 2.0]})
    np.testing.assert_allclose(value, np.array([1.0, 2.0]) * 1.0001 ** 3000, rtol=1e-4)
    np.testing.assert_allclose(grad, [1.0001 ** 3000] * 2, rtol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_float_dtypes_are_kept_through_a_training_step(dtype):
    """x64 is on for the process, yet float32 stays float32 (and float16 float16) everywhere."""
    x = lk.placeholder(dtype, (None, 3))
    w = lk.Variable(np.ones((3, 2), dtype), name="w")
    loss = ops.mean(ops.logsumexp(ops.relu(x @ w) * 2.0 + 1, axis=1))
    (g,) = lk.gradients(loss, [w])
    step = lk.assign(w, w - 0.5 * g)
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        value, grad, _ = s.run([loss, g, step], {x: np.ones((4, 3))})
        assert value.dtype == dtype and grad.dtype == dtype
        assert s.variable_values()["w"].dtype == dtype


def test_integer_sums_keep_their_dtype():
    i = lk.placeholder("int32", (3,))
    with lk.Session(backend="jax") as s:
        out = s.run([ops.sum(i), ops.argmax(i), ops.clip(i, -1.5, 1.5)], {i: [-3, 7, 1]})
    assert out[0].dtype == np.int32 and out[0] == 5
    assert out[1].dtype == np.int64 and out[1] == 1
    np.testing.assert_array_equal(out[2], [-1, 1, 1])
    assert out[2].dtype == np.int32


def test_getitem_out_of_range_on_a_dynamic_shape_raises_as_numpy():
    """With an unknown dim the core cannot check the index; numpy raises at run time, and so
    does jax (at trace time, where JAX itself would clamp the index silently)."""
    x = lk.placeholder("float32", (None,))
    y = x[4]
    for backend in ("numpy", "jax"):
        with lk.Session(backend=backend) as s:
            with pytest.raises(IndexError, match="index 4 is out of bounds for axis 0 with size 3"):
                s.run(y, {x: [1.0, 2.0, 3.0]})
