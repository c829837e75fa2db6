"""nn ops beyond the catalog: build-time errors that name the op and the shapes, shape
inference with unknown dims, and properties of the numpy kernels (residual reuse, dtypes, ties)."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from layerkit_backend.numpy.ops import nn as numpy_nn
from layerkit_backend.numpy.registry import KERNELS


def _ph(shape, dtype="float32"):
    return lk.placeholder(dtype, shape)


# -- conv: build-time errors ------------------------------------------------------------------
def test_conv_channel_mismatch_names_both_shapes():
    x, k = _ph((None, 5, 5, 3)), _ph((3, 3, 2, 4))
    with pytest.raises(ValueError, match=r"conv: .*\(None, 5, 5, 3\) has 3 channels.*"
                                         r"\(3, 3, 2, 4\) expects 2"):
        ops.conv(x, k)


def test_conv_rank_mismatch():
    x, k = _ph((None, 5, 3)), _ph((3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"conv: input .* \(None, 5, 3\) \(rank 3\); "
                                         r"expected rank 4"):
        ops.conv(x, k)


def test_conv_kernel_larger_than_input():
    x, k = _ph((1, 2, 4, 1)), _ph((3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"conv 'c1': kernel \(3, 3, 1, 1\).*spans \(3, 3\), "
                                         r"more than the input's spatial shape \(2, 4\)"):
        ops.conv(x, k, name="c1")


def test_conv_dilated_kernel_larger_than_input():
    x, k = _ph((1, 4, 4, 1)), _ph((3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"conv: .*dilation \(2, 2\) spans \(5, 5\)"):
        ops.conv(x, k, dilation_rate=2)


def test_conv_same_padding_fits_any_kernel():
    y = ops.conv(_ph((1, 2, 2, 1)), _ph((3, 3, 1, 5)), padding="SAME")
    assert y.shape == (1, 2, 2, 5)


def test_conv_strides_with_dilation_refused():
    x, k = _ph((1, 9, 9, 1)), _ph((3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"conv: strides \(2, 2\) > 1 together with "
                                         r"dilation_rate \(2, 2\)"):
        ops.conv(x, k, strides=2, dilation_rate=2)


@pytest.mark.parametrize("kwargs, message", [
    ({"strides": (1, 2, 3)}, r"strides \(1, 2, 3\) must be 2 positive"),
    ({"strides": 0}, r"strides \(0, 0\) must be 2 positive"),
    ({"dilation_rate": (1,)}, r"dilation_rate \(1,\) must be 2 positive"),
    ({"padding": "full"}, r"padding must be 'valid' or 'same', got 'full'"),
])
def test_conv_bad_attributes(kwargs, message):
    with pytest.raises(ValueError, match="conv: " + message):
        ops.conv(_ph((1, 5, 5, 1)), _ph((3, 3, 1, 1)), **kwargs)


def test_conv_needs_a_spatial_dimension():
    with pytest.raises(ValueError, match=r"conv: kernel .* has shape \(3, 4\); it needs at least "
                                         "one spatial dimension"):
        ops.conv(_ph((2, 3)), _ph((3, 4)))


def test_conv_dtypes():
    with pytest.raises(TypeError, match="conv: .*float32.*float64"):
        ops.conv(_ph((1, 5, 1)), _ph((3, 1, 1), "float64"))
    with pytest.raises(TypeError, match="conv: .*int32.*floating-point"):
        ops.conv(_ph((1, 5, 1), "int32"), _ph((3, 1, 1), "int32"))


def test_conv_unknown_dims_stay_unknown():
    y = ops.conv(_ph((None, None, 7, 3)), _ph((3, 3, 3, 8)), strides=2, padding="same")
    assert y.shape == (None, None, 4, 8)
    y = ops.conv(_ph(None), _ph((3, 3, 3, 8)))  # rank from the kernel
    assert y.shape == (None, None, None, 8)


def test_conv_needs_some_rank():
    with pytest.raises(ValueError, match="conv: the input's rank is unknown"):
        ops.conv(_ph(None), _ph(None))


# -- pooling: build-time errors ---------------------------------------------------------------
@pytest.mark.parametrize("op", ["max_pool", "avg_pool"])
def test_pool_larger_than_input(op):
    with pytest.raises(ValueError, match=rf"{op}: pool_size \(3, 3\) spans \(3, 3\), more than "
                                         r"the input's spatial shape \(2, 5\)"):
        getattr(ops, op)(_ph((None, 2, 5, 1)), 3)


@pytest.mark.parametrize("op", ["max_pool", "avg_pool"])
def test_pool_rank_mismatch(op):
    with pytest.raises(ValueError, match=rf"{op}: input .* \(None, 5, 3\) \(rank 3\); "
                                         r"expected rank 4"):
        getattr(ops, op)(_ph((None, 5, 3)), (2, 2))


def test_pool_attributes_and_defaults():
    y = ops.max_pool(_ph((None, 7, 6, 2)), 2)
    assert y.shape == (None, 3, 3, 2)  # strides default to pool_size
    assert y.op.attrs == {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid"}
    with pytest.raises(ValueError, match=r"avg_pool: strides \(1, 1, 1\) must be 2 positive"):
        ops.avg_pool(_ph((None, 7, 6, 2)), 2, strides=(1, 1, 1))
    with pytest.raises(ValueError, match="max_pool: the input's rank is unknown"):
        ops.max_pool(_ph(None), 2)
    assert ops.max_pool(_ph(None), (2, 2)).shape == (None, None, None, None)
    with pytest.raises(ValueError, match=r"max_pool: nothing to pool over: pool_size \(\) for "
                                         r"input .* \(5, 3\)"):
        ops.max_pool(_ph((5, 3)), 2)


# -- softmax ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_errors(op):
    with pytest.raises(ValueError, match=rf"{op}: axis 2 is out of range .*\(3, 4\)"):
        getattr(ops, op)(_ph((3, 4)), axis=2)
    with pytest.raises(TypeError, match=rf"{op}: .*int32"):
        getattr(ops, op)(_ph((3, 4), "int32"))
    assert getattr(ops, op)(_ph((3, 4)), axis=-2).op.attrs == {"axis": 0}


# -- numpy kernels ----------------------------------------------------------------------------
def _run(fetches, feeds):
    return lk.Session(backend="numpy").run(fetches, feeds)


def test_conv_backward_reuses_forward_columns(monkeypatch):
    calls = []
    original = numpy_nn._im2col
    monkeypatch.setattr(numpy_nn, "_im2col", lambda *a: calls.append(1) or original(*a))
    x, k = _ph((2, 6, 6, 2)), _ph((3, 3, 2, 4))
    y = ops.conv(x, k, strides=2, padding="same")
    grads = lk.gradients(ops.sum(y * y), [x, k])
    rng = np.random.default_rng(0)
    _run(grads, {x: rng.normal(size=(2, 6, 6, 2)), k: rng.normal(size=(3, 3, 2, 4))})
    assert len(calls) == 1  # the forward's im2col only; the VJP took it from the residuals


@pytest.mark.parametrize("build", [
    lambda x: ops.conv(x, np.ones((3, 3, 2, 3), np.float32), padding="same"),
    lambda x: ops.max_pool(x, 2, padding="same"),
    lambda x: ops.avg_pool(x, 3, strides=2, padding="same"),
    lambda x: ops.log_softmax(x, axis=1),
])
def test_float32_in_float32_out(build):
    x = _ph((2, 5, 5, 2))
    y = build(x)
    value, grad = _run([y, lk.gradients(ops.sum(y), x)[0]],
                       {x: np.random.default_rng(1).normal(size=(2, 5, 5, 2))})
    assert value.dtype == grad.dtype == np.float32


def test_max_pool_gradient_goes_to_one_winner_per_window():
    x = _ph((1, 4, 4, 1))
    grad = lk.gradients(ops.sum(ops.max_pool(x, 2, strides=1)), x)[0]
    value = _run(grad, {x: np.ones((1, 4, 4, 1))})
    assert value.sum() == 9  # 3x3 windows, each sends its 1 to a single element
    assert set(np.unique(value)) <= {0.0, 1.0, 2.0, 4.0}


def test_avg_pool_same_divides_by_real_elements():
    x = _ph((1, 3, 3, 1))
    value = _run(ops.avg_pool(x, 2, strides=2, padding="same"), {x: np.ones((1, 3, 3, 1))})
    np.testing.assert_array_equal(value, np.ones((1, 2, 2, 1)))  # padding does not dilute it


def test_softmax_is_exact_at_extremes():
    x = _ph((2,))
    soft, log = _run([ops.softmax(x), ops.log_softmax(x)], {x: [1000.0, -1000.0]})
    np.testing.assert_array_equal(soft, [1.0, 0.0])
    np.testing.assert_array_equal(log, [0.0, -2000.0])


@pytest.mark.parametrize("op, attrs, k_shape", [
    ("conv", {"strides": (2, 1), "padding": "same", "dilation_rate": (1, 1)}, (2, 3, 2, 3)),
    ("max_pool", {"pool_size": (2, 2), "strides": (1, 2), "padding": "same"}, None),
])
def test_vjp_without_residuals_recomputes_them(op, attrs, k_shape):
    # Inside a scan body nothing is taped, so a VJP may be called with residuals=None.
    kernel = KERNELS[op]
    rng = np.random.default_rng(2)
    args = [rng.normal(size=(2, 5, 4, 2))] + ([rng.normal(size=k_shape)] if k_shape else [])
    out, saved = kernel.forward(*args, **attrs, want_residuals=True)
    g = rng.normal(size=out.shape)
    with_saved = kernel.vjp(g, out, *args, **attrs, residuals=saved)
    recomputed = kernel.vjp(g, out, *args, **attrs, residuals=None)
    for a, b in zip(with_saved, recomputed):
        np.testing.assert_array_equal(a, b)
