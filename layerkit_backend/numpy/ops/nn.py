"""Softmax, convolution and pooling: kernel and VJP rule side by side.

Windows are strided views (``sliding_window_view``), never Python loops over pixels or batch
items. Convolution is im2col plus one GEMM; its VJP reuses the forward's columns (residuals) for
the kernel gradient, and scatters the input gradient back with one vectorized add per kernel
position. Pooling's VJP scatters the same way, one add per window position.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from layerkit_backend.numpy.registry import defop
from layerkit_backend.windows import paddings, window_counts


# -- softmax ----------------------------------------------------------------------------------
def _shifted(x, axis):
    """``x`` minus its max along ``axis``, so exp never overflows (an all -inf slice: no shift)."""
    top = np.max(x, axis=axis, keepdims=True)
    return x - np.where(np.isfinite(top), top, 0)


@defop("softmax")
def softmax(x, *, axis):
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


@softmax.defvjp
def _(g, out, x, *, axis):
    return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


@defop("log_softmax")
def log_softmax(x, *, axis):
    z = _shifted(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


@log_softmax.defvjp
def _(g, out, x, *, axis):
    return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


# -- window geometry --------------------------------------------------------------------------
def _pad(x, pads, fill):
    if not any(a or b for a, b in pads):
        return x
    return np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)


def _windows(xp, spans, strides, dilation):
    """A view ``(batch, *out, channels, *window)`` of the windows over xp's spatial dims.

    Each window spans ``spans`` inputs; taking every ``dilation``-th of them gives the taps."""
    n = len(spans)
    view = sliding_window_view(xp, spans, axis=tuple(range(1, n + 1)))
    every = (slice(None), *(slice(None, None, s) for s in strides), slice(None),
             *(slice(None, None, d) for d in dilation))
    return view[every]


def _scatter(contribution: Callable, window, x_shape, pads, strides, dilation, out_sizes, dtype):
    """The VJP of taking windows: ``contribution(tap)`` is the cotangent ``(batch, *out, ch)``
    of window position ``tap``; each lands on a strided slice of the (padded) input, so there is
    one vectorized add per window position, and the padding is cropped off at the end."""
    padded = (x_shape[0], *(d + a + b for d, (a, b) in zip(x_shape[1:-1], pads)), x_shape[-1])
    gxp = np.zeros(padded, dtype)
    for tap in np.ndindex(*window):
        dst = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                    for t, d, o, s in zip(tap, dilation, out_sizes, strides))
        gxp[(slice(None), *dst, slice(None))] += contribution(tap)
    crop = tuple(slice(a, a + d) for (a, _), d in zip(pads, x_shape[1:-1]))
    return gxp[(slice(None), *crop, slice(None))]


# -- convolution ------------------------------------------------------------------------------
def _conv_geometry(x_shape, k_sizes, strides, padding, dilation):
    spans = tuple((k - 1) * d + 1 for k, d in zip(k_sizes, dilation))
    return spans, paddings(x_shape[1:-1], spans, strides, padding)


def _im2col(x, kernel_shape, strides, padding, dilation):
    """The im2col matrix ``(batch * prod(out), prod(kernel_size) * in_channels)``, rows in
    output order and columns in the kernel's ``(*kernel_size, in_channels)`` order; and the
    output's ``(batch, *out)`` shape."""
    n = len(strides)
    spans, pads = _conv_geometry(x.shape, kernel_shape[:n], strides, padding, dilation)
    win = _windows(_pad(x, pads, 0), spans, strides, dilation)  # (batch, *out, C, *k)
    # Channels go last to match the kernel layout; this reshape is the one copy (the columns).
    cols = np.moveaxis(win, n + 1, -1).reshape(-1, int(np.prod(kernel_shape[:-1])))
    return cols, win.shape[:n + 1]


# Grouped convolution: the columns' channels and the kernel's output channels split into
# ``groups``; each group's columns meet only its own kernel slice. ``K`` is the kernel's taps
# (prod(kernel_size)), ``c`` the channels of a group, ``o`` its output channels.
def _grouped(cols, kernel, groups):
    """Columns ``(N, K * groups * c)`` and kernel ``(*k, c, groups * o)`` as ``(N, K, G, c)``
    and ``(K, c, G, o)``."""
    taps = int(np.prod(kernel.shape[:-2]))
    c, out = kernel.shape[-2], kernel.shape[-1]
    return (cols.reshape(cols.shape[0], taps, groups, c),
            kernel.reshape(taps, c, groups, out // groups))


def _group_einsum(subscripts, a, b, per_group_channels):
    # Measured on 2 cores: for a depthwise convolution (one channel a group) einsum's own
    # loop is 10-40x faster than the contraction order optimize=True picks; with several
    # channels a group, optimize=True (BLAS) wins.
    return np.einsum(subscripts, a, b, optimize=per_group_channels > 1)


@defop("conv", residuals=True)
def conv(x, kernel, *, strides, padding, dilation_rate, want_residuals, groups=1):
    cols, out_shape = _im2col(x, (*kernel.shape[:-2], x.shape[-1], kernel.shape[-1]), strides,
                              padding, dilation_rate)
    if groups == 1:
        out = cols @ kernel.reshape(-1, kernel.shape[-1])
    else:
        gcols, gkernel = _grouped(cols, kernel, groups)
        out = _group_einsum("nkgc,kcgo->ngo", gcols, gkernel, kernel.shape[-2])
    return out.reshape(*out_shape, kernel.shape[-1]), (cols if want_residuals else None)


@conv.defvjp
def _(g, out, x, kernel, *, strides, padding, dilation_rate, residuals, needs=(True, True),
      groups=1):
    g2 = g.reshape(-1, kernel.shape[-1])
    # The first layer's input is fed: its gradient (a GEMM and a scatter) is skipped.
    grad_x = _conv_input_grad(g2, x, kernel, strides, padding, dilation_rate, g.shape,
                              groups) if needs[0] else None
    grad_kernel = None
    if needs[1]:
        if residuals is None:  # the forward ran without taping (not expected from the interpreter)
            residuals = _im2col(x, (*kernel.shape[:-2], x.shape[-1], kernel.shape[-1]),
                                strides, padding, dilation_rate)[0]
        if groups == 1:
            grad_kernel = (residuals.T @ g2).reshape(kernel.shape)
        else:
            gcols, _ = _grouped(residuals, kernel, groups)
            g3 = g2.reshape(g2.shape[0], groups, -1)
            grad_kernel = _group_einsum("nkgc,ngo->kcgo", gcols, g3, kernel.shape[-2]).reshape(
                kernel.shape)
    return grad_x, grad_kernel


def _conv_input_grad(g2, x, kernel, strides, padding, dilation_rate, g_shape, groups=1):
    """The cotangent of ``x``: each column's cotangent scattered back onto the input."""
    n = len(strides)
    # Cotangent of every column: (batch, *out, *kernel_size, in_channels).
    col_shape = (*g_shape[:-1], *kernel.shape[:-2], x.shape[-1])
    if groups == 1:
        gcols = (g2 @ kernel.reshape(-1, kernel.shape[-1]).T).reshape(col_shape)
    else:
        _, gkernel = _grouped(np.empty((0, 0)), kernel, groups)
        g3 = g2.reshape(g2.shape[0], groups, -1)
        gcols = np.einsum("ngo,kcgo->nkgc", g3, gkernel, optimize=True).reshape(col_shape)
    _, pads = _conv_geometry(x.shape, kernel.shape[:n], strides, padding, dilation_rate)
    lead = (slice(None),) * (n + 1)
    return _scatter(lambda tap: gcols[(*lead, *tap)], kernel.shape[:n], x.shape, pads, strides,
                    dilation_rate, g_shape[1:-1], x.dtype)


# -- transposed convolution -------------------------------------------------------------------
# conv_transpose(x, K) is a stride-1 convolution of the stride-dilated, padded input with the
# flipped kernel (in/out channels swapped): written so, with ``conv`` above doing the work and
# its VJP giving the VJP here.
def _dilate_and_pad(x, strides, pads):
    """``x`` with ``stride - 1`` zeros between neighbours along each spatial dim, then padded
    by ``pads`` (a negative padding crops)."""
    sizes = [(d - 1) * s + 1 for d, s in zip(x.shape[1:-1], strides)]
    grown = [max(a, 0) + size + max(b, 0) for size, (a, b) in zip(sizes, pads)]
    out = np.zeros((x.shape[0], *grown, x.shape[-1]), x.dtype)
    place = tuple(slice(max(a, 0), max(a, 0) + size, s)
                  for size, (a, _), s in zip(sizes, pads, strides))
    out[(slice(None), *place, slice(None))] = x
    crop = tuple(slice(-min(a, 0), g + min(b, 0)) for g, (a, b) in zip(grown, pads))
    return out[(slice(None), *crop, slice(None))]


def _undilate(gz, x_shape, strides, pads):
    """The VJP of ``_dilate_and_pad``: the cotangents at the places the inputs went."""
    sizes = [(d - 1) * s + 1 for d, s in zip(x_shape[1:-1], strides)]
    grown = [max(a, 0) + size + max(b, 0) for size, (a, b) in zip(sizes, pads)]
    full = np.zeros((gz.shape[0], *grown, gz.shape[-1]), gz.dtype)
    crop = tuple(slice(-min(a, 0), g + min(b, 0)) for g, (a, b) in zip(grown, pads))
    full[(slice(None), *crop, slice(None))] = gz
    place = tuple(slice(max(a, 0), max(a, 0) + size, s)
                  for size, (a, _), s in zip(sizes, pads, strides))
    return full[(slice(None), *place, slice(None))]


def _flipped(kernel):
    """The kernel of the equivalent convolution: taps reversed, in/out channels swapped."""
    n = kernel.ndim - 2
    return np.swapaxes(kernel[(slice(None, None, -1),) * n], -1, -2)


@defop("conv_transpose", residuals=True)
def conv_transpose(x, kernel, *, strides, pads, dilation_rate, want_residuals):
    z = _dilate_and_pad(x, strides, pads)
    ones = (1,) * len(strides)
    return conv(z, _flipped(kernel), strides=ones, padding="valid",
                dilation_rate=dilation_rate, want_residuals=want_residuals)


@conv_transpose.defvjp
def _(g, out, x, kernel, *, strides, pads, dilation_rate, residuals, needs=(True, True)):
    ones = (1,) * len(strides)
    flipped = _flipped(kernel)
    z_shape = (x.shape[0], *(g_size + (k - 1) * d for g_size, k, d in
                             zip(g.shape[1:-1], kernel.shape[:-2], dilation_rate)), x.shape[-1])
    grad_x = grad_kernel = None
    if needs[0]:
        gz = _conv_input_grad(g.reshape(-1, g.shape[-1]), np.empty(z_shape, x.dtype), flipped,
                              ones, "valid", dilation_rate, g.shape)
        grad_x = _undilate(gz, x.shape, strides, pads)
    if needs[1]:
        if residuals is None:
            residuals = _im2col(_dilate_and_pad(x, strides, pads), flipped.shape, ones, "valid",
                                dilation_rate)[0]
        grad_flipped = (residuals.T @ g.reshape(-1, g.shape[-1])).reshape(flipped.shape)
        grad_kernel = _flipped(grad_flipped)
    return grad_x, grad_kernel


# -- pooling ----------------------------------------------------------------------------------
def _pool_windows(x, pool_size, strides, padding, fill):
    pads = paddings(x.shape[1:-1], pool_size, strides, padding)
    return _windows(_pad(x, pads, fill), pool_size, strides, (1,) * len(pool_size)), pads


@defop("max_pool", residuals=True)
def max_pool(x, *, pool_size, strides, padding, want_residuals):
    # -inf padding never wins: every "same" window covers at least one real element.
    win, _ = _pool_windows(x, pool_size, strides, padding, -np.inf)
    n = len(pool_size)
    if not want_residuals:
        return win.max(axis=tuple(range(-n, 0))), None
    flat = win.reshape(*win.shape[:n + 2], -1)
    winner = flat.argmax(axis=-1)  # the first largest of each window, in row-major order
    return np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0], winner


@max_pool.defvjp
def _(g, out, x, *, pool_size, strides, padding, residuals):
    if residuals is None:
        residuals = max_pool(x, pool_size=pool_size, strides=strides, padding=padding,
                             want_residuals=True)[1]
    pads = paddings(x.shape[1:-1], pool_size, strides, padding)

    def contribution(tap):
        return g * (residuals == np.ravel_multi_index(tap, pool_size))

    return (_scatter(contribution, pool_size, x.shape, pads, strides, (1,) * len(pool_size),
                     g.shape[1:-1], x.dtype),)


@defop("avg_pool")
def avg_pool(x, *, pool_size, strides, padding):
    win, pads = _pool_windows(x, pool_size, strides, padding, 0)
    total = win.sum(axis=tuple(range(-len(pool_size), 0)))
    return total / window_counts(x.shape, pool_size, strides, pads, x.dtype)


@avg_pool.defvjp
def _(g, out, x, *, pool_size, strides, padding):
    pads = paddings(x.shape[1:-1], pool_size, strides, padding)
    share = g / window_counts(x.shape, pool_size, strides, pads, x.dtype)
    return (_scatter(lambda tap: share, pool_size, x.shape, pads, strides, (1,) * len(pool_size),
                     g.shape[1:-1], x.dtype),)
