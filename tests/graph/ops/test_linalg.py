"""matmul: static shapes under numpy's rules, build-time errors, and what the catalog cannot
express (operators with numpy arrays, gradients of larger batches against einsum)."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops


def _ph(shape, dtype="float32"):
    return lk.placeholder(dtype, shape)


@pytest.mark.parametrize("a, b, expected", [
    ((None, 3), (3, 5), (None, 5)),
    ((None, 7, 3), (3, 5), (None, 7, 5)),
    ((2, 1, 4, 3), (6, 3, None), (2, 6, 4, None)),
    ((None, 4, 3), (1, 3, 5), (None, 4, 5)),
    ((1, 4, 3), (None, 3, 5), (None, 4, 5)),
    ((3,), (None, 3, 5), (None, 5)),
    ((None, 4, 3), (3,), (None, 4)),
    ((3,), (3,), ()),
    ((None,), (None,), ()),
    (None, (3, 5), None),
    ((4, 3), None, None),
])
def test_static_shape(a, b, expected):
    assert ops.matmul(_ph(a), _ph(b)).shape == expected


def test_inner_dimension_mismatch_names_the_shapes_and_adds_nothing():
    a, b = _ph((None, 3)), _ph((4, 5))
    before = len(lk.get_default_graph().get_operations())
    with pytest.raises(ValueError, match=r"^matmul: cannot multiply \(None, 3\) by \(4, 5\): "
                                         r"inner dimensions 3 and 4 differ$"):
        ops.matmul(a, b)
    assert len(lk.get_default_graph().get_operations()) == before


def test_error_names_the_op():
    with pytest.raises(ValueError, match=r"^matmul 'proj': cannot multiply \(2, 3\) by \(2,\)"):
        ops.matmul(_ph((2, 3)), _ph((2,)), name="proj")


def test_operator_errors_too():
    with pytest.raises(ValueError, match=r"cannot multiply \(3,\) by \(4, 5\): inner dim"):
        _ph((3,)) @ _ph((4, 5))


def test_batch_dimensions_must_broadcast():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply \(2, 3, 4\) by \(3, 4, 5\): "
                                         r"batch dimensions \(2,\) and \(3,\) cannot be"):
        ops.matmul(_ph((2, 3, 4)), _ph((3, 4, 5)))


def test_scalars_are_refused():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply \(\) by \(3, 2\): operands "
                                         "must have at least 1 dimension"):
        ops.matmul(_ph(()), _ph((3, 2)))


def test_dtypes_must_match():
    with pytest.raises(TypeError, match=r"matmul: operands .*\(float32\) and .*\(float64\).*cast"):
        ops.matmul(_ph((2, 3)), _ph((3, 2), "float64"))


def test_bool_is_refused():
    with pytest.raises(TypeError, match="matmul: input .* is bool"):
        ops.matmul(_ph((2, 2), "bool"), _ph((2, 2), "bool"))


def test_python_and_numpy_operands_take_the_tensor_dtype(backend):
    x = _ph((None, 2), "float64")
    w = np.arange(6.0).reshape(2, 3).astype(np.float32)
    y = x @ w
    left = [[1.0, 2.0]] @ x[:, :, None][0]  # a Python list on the left (__rmatmul__)
    assert y.dtype == np.float64 and y.shape == (None, 3)
    value = np.array([[1.0, 2.0], [3.0, 4.0]])
    got, got_left = lk.Session(backend=backend).run([y, left], {x: value})
    np.testing.assert_allclose(got, value @ w)
    np.testing.assert_allclose(got_left, [[1.0, 2.0]] @ value[0][:, None])


@pytest.mark.parametrize("a_shape, b_shape", [
    ((6, 5, 7), (7, 4)),  # batch @ matrix: the weight gradient folds the batch into one GEMM
    ((5, 7), (6, 7, 4)),  # matrix @ batch: the same on the left
    ((3, 1, 5, 7), (2, 7, 4)),  # broadcast batch dims on both sides
])
def test_gradients_match_einsum(a_shape, b_shape, backend):
    rng = np.random.default_rng(0)
    av, bv = rng.normal(size=a_shape), rng.normal(size=b_shape)
    a, b = _ph(a_shape, "float64"), _ph(b_shape, "float64")
    y = ops.matmul(a, b)
    g = rng.normal(size=np.broadcast_shapes(a_shape[:-2], b_shape[:-2]) + (a_shape[-2],
                                                                          b_shape[-1]))
    ga, gb = lk.gradients(y, [a, b], grad_ys=[g])
    got_a, got_b = lk.Session(backend=backend).run([ga, gb], {a: av, b: bv})
    full_a = np.einsum("...ij,...kj->...ik", g, np.broadcast_to(bv, g.shape[:-2] + b_shape[-2:]))
    full_b = np.einsum("...ji,...jk->...ik", np.broadcast_to(av, g.shape[:-2] + a_shape[-2:]), g)
    np.testing.assert_allclose(got_a, _sum_to(full_a, a_shape))
    np.testing.assert_allclose(got_b, _sum_to(full_b, b_shape))


def _sum_to(x, shape):
    x = x.sum(axis=tuple(range(x.ndim - len(shape))))
    return x.sum(axis=tuple(i for i, d in enumerate(shape) if d == 1), keepdims=True)
