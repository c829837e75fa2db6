"""Array ops: static shapes the catalog does not reach (unknown dims and ranks), build-time errors
that name the op and the shapes, and gradients the catalog cannot express."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerkit.graph as lk
from layerkit.graph import ops


def _ph(shape, dtype="float32"):
    return lk.placeholder(dtype, shape)


def _n_ops():
    return len(lk.get_default_graph().get_operations())


def _run(tensor, feeds=None, backend="numpy"):
    return lk.Session(backend=backend).run(tensor, feeds)


# -- reshape ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, new, expected", [
    ((None, 28, 28), (-1, 784), (None, 784)),
    ((None, 6), (2, 3, -1), (2, 3, None)),
    ((None, 6), (3, 4), (3, 4)),  # 12 is a multiple of 6: the batch may be 2
    ((4, 6), (-1, 3, 2), (4, 3, 2)),
    (None, (-1, 5), (None, 5)),
    ((0, 3), (3, 0), (3, 0)),
])
def test_reshape_static_shape(shape, new, expected):
    assert ops.reshape(_ph(shape), new).shape == expected


@pytest.mark.parametrize("shape, new, message", [
    ((2, 3), (4, 2), r"cannot reshape a tensor of shape \(2, 3\) into shape \(4, 2\): 6 elements "
                     r"vs 8"),
    ((None, 3), (2, 5), r".*\(None, 3\) into shape \(2, 5\): 10 elements is not a multiple of 3"),
    ((2, 3), (-1, 4), r".*\(2, 3\) into shape \(-1, 4\): 6 elements cannot be split into parts "
                      r"of 4"),
    ((2, 3), (-1, -1), r".*\(-1, -1\): dimensions must be >= 0, with at most one -1"),
    ((2, 3), (-2, 3), r".*\(-2, 3\): dimensions must be >= 0"),
])
def test_reshape_errors(shape, new, message):
    x = _ph(shape)
    before = _n_ops()
    with pytest.raises(ValueError, match="^reshape: " + message):
        ops.reshape(x, new)
    assert _n_ops() == before


def test_reshape_runs_with_an_unknown_batch(backend):
    x = _ph((None, 2, 3))
    y = ops.reshape(x, (-1, 6))
    for n in (4, 1):  # one graph, several batch sizes
        value = np.arange(n * 6.0, dtype=np.float32).reshape(n, 2, 3)
        np.testing.assert_array_equal(_run(y, {x: value}, backend), value.reshape(n, 6))


def test_reshape_refuses_a_tensor_shape():
    with pytest.raises(TypeError, match="reshape: shape must be Python ints"):
        ops.reshape(_ph((2, 3)), _ph((2,), "int32"))


# -- transpose, expand_dims, squeeze, flip ----------------------------------------------------
def test_transpose_shapes_and_errors():
    assert ops.transpose(_ph((None, 3, 4)), (2, 0, 1)).shape == (4, None, 3)
    assert ops.transpose(_ph(None), (1, 0)).shape == (None, None)
    assert ops.transpose(_ph(None)).shape is None
    with pytest.raises(ValueError, match=r"transpose 't': perm \(0, 0, 1\) is not a permutation "
                                         r"of the 3 axes of \(2, 3, 4\)"):
        ops.transpose(_ph((2, 3, 4)), (0, 0, 1), name="t")
    with pytest.raises(ValueError, match=r"transpose: perm \(1, 0\) is not a permutation"):
        ops.transpose(_ph((2, 3, 4)), (1, 0))


def test_expand_dims_errors():
    assert ops.expand_dims(_ph((None, 3)), 2).shape == (None, 3, 1)
    with pytest.raises(ValueError, match=r"expand_dims: axis 3 is out of range for a tensor of "
                                         r"shape \(2, 3\) with 1 new axis"):
        ops.expand_dims(_ph((2, 3)), 3)


def test_squeeze_shapes_and_errors():
    assert ops.squeeze(_ph((None, 1, 3)), 1).shape == (None, 3)
    assert ops.squeeze(_ph((None, 3)), 0).shape == (3,)  # an unknown dim may be 1
    assert ops.squeeze(_ph((None, 1))).shape is None  # which dims are 1 is known only at run time
    with pytest.raises(ValueError, match=r"^squeeze: cannot squeeze axis 1 of shape \(2, 3, 1\): "
                                         r"its size is 3, not 1$"):
        ops.squeeze(_ph((2, 3, 1)), 1)
    with pytest.raises(ValueError, match=r"squeeze: axis -4 is out of range"):
        ops.squeeze(_ph((2, 3, 1)), -4)
    with pytest.raises(ValueError, match=r"squeeze: repeated axis"):
        ops.squeeze(_ph((1, 3, 1)), (0, -3))


def test_flip_errors():
    with pytest.raises(ValueError, match=r"flip: axis 2 is out of range for a tensor of shape "
                                         r"\(2, 3\)"):
        ops.flip(_ph((2, 3)), 2)


# -- concat and stack -------------------------------------------------------------------------
def test_concat_static_shapes():
    assert ops.concat([_ph((None, 3)), _ph((2, 4))], 1).shape == (2, 7)
    assert ops.concat([_ph((None, 3)), _ph((2, 3))], 0).shape == (None, 3)
    assert ops.concat([_ph(None), _ph((2, 3))], -1).shape == (2, None)
    assert ops.concat([_ph(None), _ph(None)], 0).shape is None


def test_concat_mismatch_names_the_shapes_and_dimension():
    a, b = _ph((2, 3, 4)), _ph((2, 5, 4))
    before = _n_ops()
    with pytest.raises(ValueError, match=r"^concat: cannot concatenate along axis 2: shapes "
                                         r"\(2, 3, 4\), \(2, 5, 4\): dimension 1 differs "
                                         r"\(3 vs 5\)$"):
        ops.concat([a, b], axis=2)
    assert _n_ops() == before


@pytest.mark.parametrize("values, axis, error, message", [
    (lambda: [_ph((2, 3)), _ph((2, 3, 1))], 0, ValueError,
     r"concat: cannot concatenate tensors of different ranks: shapes \(2, 3\), \(2, 3, 1\)"),
    (lambda: [], 0, ValueError, "concat: cannot concatenate an empty list"),
    (lambda: [_ph(()), _ph(())], 0, ValueError, "concat: cannot concatenate scalars"),
    (lambda: [_ph((2, 3)), _ph((2, 3))], 2, ValueError, r"concat: axis 2 is out of range"),
    (lambda: [_ph((2,)), _ph((2,), "int32")], 0, TypeError, "concat: operands .* cast"),
    (lambda: _ph((2, 3)), 0, TypeError, "concat: values must be a list or tuple"),
])
def test_concat_errors(values, axis, error, message):
    with pytest.raises(error, match=message):
        ops.concat(values(), axis)


def test_stack_shapes_and_errors():
    assert ops.stack([_ph((None, 3)), _ph((2, None))], 1).shape == (2, 2, 3)
    assert ops.stack([_ph(None), _ph((4,))], -1).shape == (4, 2)
    with pytest.raises(ValueError, match=r"^stack 's': cannot stack shapes \(2, 3\), \(2, 4\): "
                                         r"dimension 1 differs \(3 vs 4\)$"):
        ops.stack([_ph((2, 3)), _ph((2, 4))], name="s")
    with pytest.raises(ValueError, match=r"stack: axis 3 is out of range for a tensor of shape "
                                         r"\(2, 3\) with 1 new axis"):
        ops.stack([_ph((2, 3))], 3)


def test_split_shapes_and_errors():
    assert [t.shape for t in ops.split(_ph((None, 8)), 4, axis=1)] == [(None, 2)] * 4
    assert [t.shape for t in ops.split(_ph((None, 8)), [3, 5], -1)] == [(None, 3), (None, 5)]
    assert [t.shape for t in ops.split(_ph(None), [3, 5], 1)] == [None, None]
    with pytest.raises(ValueError, match=r"^split 's': sizes \[3, 4\] add up to 7, but axis 1 "
                                         r"of shape \(None, 8\) has 8 entries$"):
        ops.split(_ph((None, 8)), [3, 4], axis=1, name="s")
    with pytest.raises(ValueError, match=r"split: axis 1 of 'Placeholder.*' \(shape \(2, 7\)\) "
                                         r"does not split into 2 equal parts"):
        ops.split(_ph((2, 7)), 2, axis=1)
    with pytest.raises(ValueError, match=r"split: axis 0 of .* \(shape \(None, 8\)\) does not "
                                         r"split into 2 equal parts"):
        ops.split(_ph((None, 8)), 2)
    with pytest.raises(ValueError, match=r"split: axis 2 is out of range for a tensor of shape "
                                         r"\(2, 8\)"):
        ops.split(_ph((2, 8)), 2, axis=2)
    with pytest.raises(ValueError, match=r"split: num_or_size_splits must be at least 1"):
        ops.split(_ph((2, 8)), 0)


def test_split_gradient_of_one_part_is_zero_elsewhere(backend):
    x = _ph((2, 6))
    a, b, c = ops.split(x, 3, axis=1)
    (grad,) = lk.gradients(ops.sum(b * 2.0), [x])
    value = _run(grad, {x: np.ones((2, 6), np.float32)}, backend)
    np.testing.assert_array_equal(value, [[0, 0, 2, 2, 0, 0]] * 2)


# -- getitem ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, index, expected", [
    ((None, 10), (slice(None), slice(None, 3)), (None, 3)),
    ((None, 10), (Ellipsis, -1), (None,)),
    ((None, 10), (None, 0), (1, 10)),
    ((None, None), (0, slice(2, 5)), (None,)),
    ((4, 10), (slice(None, None, -3), slice(8, 2, -2)), (2, 3)),
    (None, 0, None),
])
def test_getitem_static_shape(shape, index, expected):
    x = _ph(shape)
    assert x[index].shape == expected


def test_getitem_stores_a_plain_index():
    y = _ph((4, 5))[1:, None, ..., -2]
    assert y.op.attrs == {"index": (("slice", 1, None, None), ("newaxis",), ("ellipsis",),
                                    ("int", -2))}
    hash(y.op.attrs["index"])


def test_getitem_out_of_range_is_an_index_error_naming_the_op_and_adds_nothing():
    x = _ph((4, 5))
    before = _n_ops()
    with pytest.raises(IndexError, match=r"^getitem: index 5 is out of range for axis 1 of size 5 "
                                         r"\(shape \(4, 5\)\)$"):
        x[0, 5]
    with pytest.raises(ValueError, match=r"getitem 'g': index -5 is out of range for axis 0"):
        ops.getitem(x, -5, name="g")
    assert _n_ops() == before


def test_getitem_out_of_range_on_unknown_dim_fails_at_run_time():
    # The numpy kernel raises as numpy does (a backend such as jax may clamp instead).
    x = _ph((None,))
    y = x[3]
    with pytest.raises(IndexError):
        _run(y, {x: np.zeros(2, np.float32)})


@pytest.mark.parametrize("index, error, message", [
    (lambda: _ph((2,), "int32"), TypeError,
     r"getitem: cannot index with the tensor 'Placeholder_1:0'.*use gather\(x, indices, axis\)"),
    (lambda: (slice(None), _ph((), "int32")), TypeError, "cannot index with the tensor"),
    (lambda: slice(_ph((), "int32"), None), TypeError, "cannot index with the tensor"),
    (lambda: [0, 1], TypeError, r"getitem: unsupported index \[0, 1\].*use gather"),
    (lambda: np.array([0, 1]), TypeError, "unsupported index.*use gather"),
    (lambda: 1.0, TypeError, r"unsupported index 1.0 \(float\)"),
    (lambda: True, TypeError, "unsupported index True"),
    (lambda: (0, 0, 0), IndexError, r"too many indices for a tensor of shape \(3, 4\): 3 given"),
    (lambda: slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (lambda: (Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
])
def test_getitem_errors(index, error, message):
    x = _ph((3, 4))
    index = index()
    before = _n_ops()
    with pytest.raises(error, match=message):
        x[index]
    assert _n_ops() == before


def test_getitem_with_numpy_ints():
    x = _ph((3, 4))
    assert x[np.int64(1), np.int32(-1):].shape == (1,)


# -- gather and one_hot -----------------------------------------------------------------------
def test_gather_gradient_accumulates_duplicates(backend):
    x = _ph((4, 2), "float64")
    y = ops.gather(x, [0, 3, 0, 0, -1])
    (grad,) = lk.gradients(y, [x])
    got = _run(grad, {x: np.zeros((4, 2))}, backend)
    np.testing.assert_array_equal(got, [[3, 3], [0, 0], [0, 0], [2, 2]])


def test_gather_shapes_and_errors():
    assert ops.gather(_ph((None, 5, 3)), _ph((None, 2), "int64"), axis=1).shape == \
        (None, None, 2, 3)
    assert ops.gather(_ph((5, 3)), _ph(None, "int32")).shape is None
    with pytest.raises(TypeError, match="gather: indices 'Placeholder.*' must be an integer "
                                        "tensor, got float32"):
        ops.gather(_ph((5, 3)), _ph((2,)))
    with pytest.raises(IndexError, match="gather: index 5 is out of range for axis 0 of size 5"):
        ops.gather(_ph((5, 3)), [1, 5])
    with pytest.raises(ValueError, match=r"gather: axis 2 is out of range .* \(5, 3\)"):
        ops.gather(_ph((5, 3)), [1], axis=2)
    with pytest.raises(ValueError, match="gather: cannot gather from the scalar"):
        ops.gather(_ph(()), [0])


def test_one_hot_shapes_and_errors():
    assert ops.one_hot(_ph((None, 3), "int32"), 10, axis=1).shape == (None, 10, 3)
    assert ops.one_hot(_ph(None, "int32"), 10).shape is None
    assert ops.one_hot([1, 2], 3, dtype="int64").dtype == np.int64
    with pytest.raises(TypeError, match="one_hot: indices .* must be an integer tensor"):
        ops.one_hot(_ph((3,)), 4)
    with pytest.raises(ValueError, match=r"one_hot: axis 2 is out of range .* \(3,\) with 1 new"):
        ops.one_hot(_ph((3,), "int32"), 4, axis=2)


def test_one_hot_has_no_gradient_path():
    x = _ph((3,))
    y = ops.one_hot(ops.cast(x, "int32"), 4) * x[:, None]
    assert lk.gradients(ops.sum(y), [x])[0] is not None  # through the multiply only
    assert lk.gradients(ops.sum(ops.one_hot(ops.cast(x, "int32"), 4)), [x]) == [None]


# -- pad, broadcast_to, tile ------------------------------------------------------------------
def test_pad_shapes_and_errors():
    assert ops.pad(_ph((None, 3)), ((1, 1), (0, 2))).shape == (None, 5)
    assert ops.pad(_ph(None), ((1, 1), (0, 2))).shape == (None, None)
    with pytest.raises(ValueError, match=r"pad: 1 \(before, after\) pairs for a tensor of shape "
                                         r"\(2, 3\); give one per axis"):
        ops.pad(_ph((2, 3)), ((1, 1),))
    with pytest.raises(ValueError, match=r"pad: reflect padding \(3, 0\) of axis 1 is too large "
                                         r"for its size 3 \(shape \(2, 3\)\): at most 2"):
        ops.pad(_ph((2, 3)), ((0, 0), (3, 0)), mode="reflect")
    assert ops.pad(_ph((2, 3)), ((0, 0), (3, 0)), mode="symmetric").shape == (2, 6)
    with pytest.raises(ValueError, match="pad: mode must be one of constant, reflect, symmetric"):
        ops.pad(_ph((2, 3)), ((0, 0), (1, 0)), mode="edge")
    with pytest.raises(ValueError, match="pad: paddings .* must be >= 0"):
        ops.pad(_ph((2, 3)), ((0, 0), (-1, 0)))
    with pytest.raises(ValueError, match=r"pad: paddings must be \(before, after\) pairs"):
        ops.pad(_ph((2, 3)), ((0, 0, 1), (1, 0)))


def test_pad_too_large_for_the_run_time_shape_fails_at_run_time():
    x = _ph((None, None))
    y = ops.pad(x, ((0, 0), (3, 0)), mode="reflect")
    with pytest.raises(ValueError, match="reflect padding .* too large for its size 3"):
        _run(y, {x: np.ones((2, 3), np.float32)})


def test_broadcast_to_errors():
    assert ops.broadcast_to(_ph((None, 1)), (5, 3)).shape == (5, 3)
    with pytest.raises(ValueError, match=r"^broadcast_to: cannot broadcast a tensor of shape "
                                         r"\(2, 3\) to \(4, 3, 2\)$"):
        ops.broadcast_to(_ph((2, 3)), (4, 3, 2))
    with pytest.raises(ValueError, match=r"cannot broadcast a tensor of shape \(2, 3\) to \(3,\)"):
        ops.broadcast_to(_ph((2, 3)), (3,))


def test_tile_shapes_and_errors():
    assert ops.tile(_ph((None, 3)), (2, 2)).shape == (None, 6)
    assert ops.tile(_ph((3,)), (2, 1, 2)).shape == (2, 1, 6)
    assert ops.tile(_ph((None, 3)), (0, 1)).shape == (0, 3)
    with pytest.raises(ValueError, match=r"tile: reps \(2, -1\) must be >= 0"):
        ops.tile(_ph((2, 3)), (2, -1))


# -- zeros_like and ones_like -----------------------------------------------------------------
@pytest.mark.parametrize("op", [ops.zeros_like, ops.ones_like])
def test_like_ops_keep_dtype_and_block_gradients(op):
    x = _ph((None, 3), "float64")
    y = op(x)
    assert y.dtype == np.float64 and y.shape == (None, 3)
    assert lk.gradients(ops.sum(y * 2.0), [x]) == [None]
    assert op(_ph((2,), "bool")).dtype == np.bool_


# -- getitem against numpy, on generated indices ----------------------------------------------
_bound = st.one_of(st.none(), st.integers(-6, 6))
_item = st.one_of(
    st.integers(-5, 5),
    st.builds(slice, _bound, _bound, st.one_of(st.none(), st.integers(-3, 3).filter(bool))),
    st.just(None),
    st.just(Ellipsis),
)


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=3).map(tuple),
       index=st.lists(_item, max_size=4).map(tuple))
def test_getitem_matches_numpy(shape, index):
    value = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    try:
        expected = value[index]
    except IndexError:
        with pytest.raises(IndexError):
            _ph(shape)[index]
        return
    with lk.Graph().as_default():
        x = _ph(shape)
        y = x[index]
        assert y.shape == expected.shape
        np.testing.assert_array_equal(_run(y, {x: value}), expected)
