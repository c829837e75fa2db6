"""Softmax, convolution and pooling, lowered to jax.numpy / jax.lax (channels_last).

Pooling is the max (or sum) of strided slices, one per window position: on XLA:CPU that beat
``lax.reduce_window`` by 1.6x (docs: DESIGN.md, performance facts). Max pooling gets a custom
JVP so that the gradient goes to the first largest element of each window, as in TensorFlow and
the numpy backend (JAX's own rule for ``maximum`` would split it among ties).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from layerkit_backend.jax.ops.linalg import precision
from layerkit_backend.jax.registry import deflower
from layerkit_backend.windows import paddings, window_counts


# -- softmax ----------------------------------------------------------------------------------
@deflower("softmax")
def softmax(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


@deflower("log_softmax")
def log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


# -- window geometry --------------------------------------------------------------------------
def _pad(x, pads, fill):
    if not any(a or b for a, b in pads):
        return x
    return jnp.pad(x, [(0, 0), *pads, (0, 0)], constant_values=jnp.asarray(fill, x.dtype))


def _out_sizes(padded_sizes, spans, strides) -> tuple[int, ...]:
    return tuple((size - span) // stride + 1
                 for size, span, stride in zip(padded_sizes, spans, strides))


def _taps(xp, window, strides, out_sizes) -> Iterator:
    """For each window position (row-major), the strided slice ``(batch, *out, channels)`` of
    the padded input that it covers in every window."""
    for tap in np.ndindex(*window):
        index = tuple(slice(t, t + (o - 1) * s + 1, s) for t, o, s in zip(tap, out_sizes, strides))
        yield xp[(slice(None), *index, slice(None))]


# -- convolution ------------------------------------------------------------------------------
def _dimension_numbers(n: int) -> tuple[str, str, str]:
    spatial = "DHW"[-n:] if n <= 3 else "".join(chr(ord("a") + i) for i in range(n))
    return f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"


@functools.cache
def _platform(device_spec: str) -> str:
    """The platform programs run on: the one ``LAYERKIT_DEVICE`` names, else JAX's default."""
    named = device_spec.strip().lower().partition(":")[0]
    if named:
        return "gpu" if named in ("cuda", "rocm") else named
    return jax.devices()[0].platform


def _depthwise_taps(x, kernel, strides, pads, dilation_rate):
    """A depthwise convolution (one input channel a group) as a sum over the kernel's taps of
    strided slices times the tap's weights. XLA:CPU runs grouped convolutions slowly: for a
    3x3 depthwise layer on 26x26x32 images, forward and backward took 4.6x longer as one
    ``feature_group_count`` convolution than as these fused slices and products (measured)."""
    n = len(strides)
    channels = x.shape[-1]
    multiplier = kernel.shape[-1] // channels
    xp = _pad(x, pads, 0)
    if multiplier > 1:  # output channel c * multiplier + m reads input channel c
        xp = jnp.repeat(xp, multiplier, axis=-1)
    spans = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:n], dilation_rate)]
    out = _out_sizes(xp.shape[1:-1], spans, strides)
    total = None
    for tap in np.ndindex(*kernel.shape[:n]):
        start = tuple(t * d for t, d in zip(tap, dilation_rate))
        index = tuple(slice(b, b + (o - 1) * s + 1, s) for b, o, s in zip(start, out, strides))
        term = xp[(slice(None), *index, slice(None))] * kernel[(*tap, 0)]
        total = term if total is None else total + term
    return total


@deflower("conv")
def conv(x, kernel, *, strides, padding, dilation_rate, groups=1):
    n = len(strides)
    spans = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:n], dilation_rate)]
    pads = paddings(x.shape[1:-1], spans, strides, padding)
    if groups > 1 and groups == x.shape[-1] and \
            _platform(os.environ.get("LAYERKIT_DEVICE", "")) == "cpu":
        return _depthwise_taps(x, kernel, strides, pads, dilation_rate)
    return jax.lax.conv_general_dilated(
        x, kernel, window_strides=tuple(strides),
        padding=paddings(x.shape[1:-1], spans, strides, padding),
        rhs_dilation=tuple(dilation_rate), dimension_numbers=_dimension_numbers(n),
        feature_group_count=groups, precision=precision())


@deflower("conv_transpose")
def conv_transpose(x, kernel, *, strides, pads, dilation_rate):
    # A stride-1 convolution of the stride-dilated input (lhs_dilation) with the flipped
    # kernel, in/out channels swapped: what lax.conv_transpose computes, one XLA convolution.
    n = len(strides)
    flipped = jnp.swapaxes(jnp.flip(kernel, axis=tuple(range(n))), -1, -2)
    return jax.lax.conv_general_dilated(
        x, flipped, window_strides=(1,) * n, padding=[tuple(p) for p in pads],
        lhs_dilation=tuple(strides), rhs_dilation=tuple(dilation_rate),
        dimension_numbers=_dimension_numbers(n), precision=precision())


# -- pooling ----------------------------------------------------------------------------------
def _pool_taps(x, pool_size, strides, padding, fill):
    pads = paddings(x.shape[1:-1], pool_size, strides, padding)
    xp = _pad(x, pads, fill)
    out = _out_sizes(xp.shape[1:-1], pool_size, strides)
    return list(_taps(xp, pool_size, strides, out)), pads


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _max_pool(x, pool_size, strides, padding):
    taps, _ = _pool_taps(x, pool_size, strides, padding, -jnp.inf)
    out = taps[0]
    for tap in taps[1:]:
        out = jnp.maximum(out, tap)
    return out


@_max_pool.defjvp
def _max_pool_jvp(pool_size, strides, padding, primals, tangents):
    # The tangent of each window is the tangent of its first largest element (row-major).
    (x,), (t,) = primals, tangents
    out = _max_pool(x, pool_size, strides, padding)
    x_taps, _ = _pool_taps(x, pool_size, strides, padding, -jnp.inf)
    t_taps, _ = _pool_taps(t, pool_size, strides, padding, 0)
    tangent = jnp.zeros_like(out)
    taken = jnp.zeros(out.shape, bool)
    for x_tap, t_tap in zip(x_taps, t_taps):
        wins = (x_tap == out) & ~taken
        tangent = jnp.where(wins, t_tap, tangent)
        taken = taken | wins
    return out, tangent


@deflower("max_pool")
def max_pool(x, *, pool_size, strides, padding):
    # -inf padding never wins: every "same" window covers at least one real element.
    return _max_pool(x, tuple(pool_size), tuple(strides), padding)


@deflower("avg_pool")
def avg_pool(x, *, pool_size, strides, padding):
    taps, pads = _pool_taps(x, pool_size, strides, padding, 0)
    total = taps[0]
    for tap in taps[1:]:
        total = total + tap
    return total / window_counts(x.shape, pool_size, strides, pads, x.dtype)
