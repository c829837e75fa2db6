"""Cases for the nn ops (``layerkit.graph.ops.nn``).

The references loop over output positions and window taps, straight from the definitions, so
they share nothing with the backends' strided-view kernels. Inputs are tiny: each gradient check
runs the graph twice per input element.
"""

from __future__ import annotations

import math

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, distinct, uniform


# -- references -------------------------------------------------------------------------------
def _softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def _geometry(sizes, spans, strides, padding):
    """Output sizes and padding-before per spatial dim, by TF's rules written out."""
    if padding == "valid":
        return [(n - k) // s + 1 for n, k, s in zip(sizes, spans, strides)], [0] * len(sizes)
    outs = [math.ceil(n / s) for n, s in zip(sizes, strides)]
    before = [max((o - 1) * s + k - n, 0) // 2 for o, s, k, n in zip(outs, strides, spans, sizes)]
    return outs, before


def _conv_ref(x, k, strides, padding, dilation):
    nd = x.ndim - 2
    sizes, ksize = x.shape[1:-1], k.shape[:nd]
    spans = [(kk - 1) * d + 1 for kk, d in zip(ksize, dilation)]
    outs, before = _geometry(sizes, spans, strides, padding)
    out = np.zeros((x.shape[0], *outs, k.shape[-1]))
    for pos in np.ndindex(*outs):
        for tap in np.ndindex(*ksize):
            idx = [p * s + t * d - b for p, s, t, d, b in zip(pos, strides, tap, dilation, before)]
            if all(0 <= i < n for i, n in zip(idx, sizes)):  # taps on padding add zero
                out[(slice(None), *pos)] += x[(slice(None), *idx)] @ k[tap]
    return out


def _pool_ref(x, pool, strides, padding, reduce):
    sizes = x.shape[1:-1]
    outs, before = _geometry(sizes, pool, strides, padding)
    out = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        # Only the real elements of the window: padding is neither a max candidate nor counted.
        box = tuple(slice(max(p * s - b, 0), min(p * s - b + k, n))
                    for p, s, b, k, n in zip(pos, strides, before, pool, sizes))
        window = x[(slice(None), *box)].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *pos)] = reduce(window, axis=1)
    return out


# -- cases ------------------------------------------------------------------------------------
def _per_dim(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _conv(x_shape, k_shape, strides=1, padding="valid", dilation=1, **kw):
    n = len(x_shape) - 2
    s, d = _per_dim(strides, n), _per_dim(dilation, n)
    return OpCase(
        f"conv{n}d-x{x_shape}-k{k_shape}-s{strides}-{padding}-d{dilation}", "conv",
        lambda x, k: ops.conv(x, k, strides=strides, padding=padding, dilation_rate=dilation),
        lambda rng, dt: [uniform(rng, x_shape, dt), uniform(rng, k_shape, dt)],
        lambda x, k: _conv_ref(x, k, s, padding, d), **kw)


def _grouped_conv_ref(x, k, strides, padding, dilation, groups):
    """Each group of input channels convolved with its slice of the output channels."""
    c, o = x.shape[-1] // groups, k.shape[-1] // groups
    return np.concatenate([_conv_ref(x[..., g * c:(g + 1) * c], k[..., g * o:(g + 1) * o],
                                     strides, padding, dilation) for g in range(groups)], -1)


def _grouped_conv(x_shape, k_shape, groups, strides=1, padding="valid", dilation=1, **kw):
    n = len(x_shape) - 2
    s, d = _per_dim(strides, n), _per_dim(dilation, n)
    return OpCase(
        f"conv{n}d-groups{groups}-x{x_shape}-k{k_shape}-s{strides}-{padding}-d{dilation}", "conv",
        lambda x, k: ops.conv(x, k, strides=strides, padding=padding, dilation_rate=dilation,
                              groups=groups),
        lambda rng, dt: [uniform(rng, x_shape, dt), uniform(rng, k_shape, dt)],
        lambda x, k: _grouped_conv_ref(x, k, s, padding, d, groups), **kw)


def _conv_transpose_ref(x, k, strides, pads, dilation):
    """The definition, as a scatter: input position i with tap t lands on output position
    ``before + i * stride - (k - 1 - t) * dilation`` (the flipped kernel's reach)."""
    nd = x.ndim - 2
    ksize = k.shape[:nd]
    outs = [(size - 1) * s + 1 + a + b - ((kk - 1) * d + 1) + 1
            for size, s, (a, b), kk, d in zip(x.shape[1:-1], strides, pads, ksize, dilation)]
    out = np.zeros((x.shape[0], *outs, k.shape[-2]))
    for pos in np.ndindex(*x.shape[1:-1]):
        for tap in np.ndindex(*ksize):
            q = [a + p * s - (kk - 1 - t) * d
                 for (a, _), p, s, kk, t, d in zip(pads, pos, strides, ksize, tap, dilation)]
            if all(0 <= qi < o for qi, o in zip(q, outs)):
                out[(slice(None), *q)] += x[(slice(None), *pos)] @ k[tap].T
    return out


def _conv_transpose(x_shape, k_shape, strides=1, padding="valid", output_padding=None,
                    dilation=1, output_size=None, **kw):
    n = len(x_shape) - 2
    s, d = _per_dim(strides, n), _per_dim(dilation, n)
    extra = None if output_padding is None else _per_dim(output_padding, n)
    if output_size is None:
        pads = ops.conv_transpose_paddings(k_shape[:n], s, padding, extra, d)
    else:
        pads = ops.conv_transpose_paddings_for(x_shape[1:-1], output_size, k_shape[:n], s,
                                               padding, d)
    return OpCase(
        f"conv_transpose{n}d-x{x_shape}-k{k_shape}-s{strides}-{padding}-op{output_padding}"
        f"-d{dilation}-size{output_size}", "conv_transpose",
        lambda x, k: ops.conv_transpose(x, k, strides=strides, padding=padding,
                                        output_padding=output_padding, dilation_rate=dilation,
                                        output_size=output_size),
        lambda rng, dt: [uniform(rng, x_shape, dt), uniform(rng, k_shape, dt)],
        lambda x, k: _conv_transpose_ref(x, k, s, pads, d), **kw)


def _pool(op, x_shape, pool, strides=None, padding="valid", **kw):
    n = len(x_shape) - 2
    p = _per_dim(pool, n)
    s = p if strides is None else _per_dim(strides, n)
    reduce = np.max if op == "max_pool" else np.mean
    return OpCase(
        f"{op}{n}d-x{x_shape}-p{pool}-s{strides}-{padding}", op,
        lambda x: getattr(ops, op)(x, pool, strides=strides, padding=padding),
        # Distinct values: max is not differentiable at ties.
        lambda rng, dt: [distinct(rng, x_shape, dt)],
        lambda x: _pool_ref(x, p, s, padding, reduce), **kw)


def _softmax(op, shape, axis, ref):
    return OpCase(f"{op}-{shape}-axis{axis}", op, lambda x: getattr(ops, op)(x, axis=axis),
                  lambda rng, dt: [uniform(rng, shape, dt, -3, 3)], lambda x: ref(x, axis))


def _extreme(op, ref):
    values = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]
    return OpCase(f"{op}-extreme", op, lambda x: getattr(ops, op)(x, axis=-1),
                  lambda rng, dt: [np.array(values, dt)], lambda x: ref(x, -1), grad=[])


GROUPED_CONV = [
    _grouped_conv((2, 7, 4), (3, 2, 6), groups=2),
    _grouped_conv((2, 6, 3), (2, 1, 3), groups=3, strides=2, padding="same"),  # depthwise
    _grouped_conv((1, 5, 5, 4), (3, 3, 1, 8), groups=4, padding="same"),  # depthwise x2
    _grouped_conv((2, 6, 5, 6), (2, 3, 3, 4), groups=2, strides=(2, 1)),
    _grouped_conv((1, 7, 7, 2), (3, 3, 1, 2), groups=2, dilation=2, padding="same"),
    _grouped_conv((1, 4, 4, 4, 2), (2, 2, 2, 1, 4), groups=2, padding="same"),
    _grouped_conv((2, 5, 4, 4), (3, 3, 2, 4), groups=2, padding="same", static_shapes=False),
]

CONV_TRANSPOSE = [
    _conv_transpose((2, 4, 3), (3, 2, 3), strides=2),
    _conv_transpose((2, 4, 3), (3, 2, 3), strides=2, padding="same"),
    _conv_transpose((1, 5, 2), (2, 3, 2), strides=3, padding="valid"),  # kernel < stride
    _conv_transpose((1, 3, 2), (4, 2, 2), strides=2, padding="same", output_padding=1),
    _conv_transpose((1, 4, 1), (3, 2, 1), dilation=2, padding="same"),
    _conv_transpose((2, 3, 3, 2), (3, 3, 4, 2), strides=2, padding="same"),
    _conv_transpose((1, 3, 4, 3), (2, 3, 2, 3), strides=(2, 1)),
    _conv_transpose((1, 3, 3, 2), (3, 3, 2, 2), strides=2, output_padding=1),
    _conv_transpose((1, 4, 4, 1), (1, 1, 3, 1), strides=2, padding="same"),
    _conv_transpose((1, 2, 3, 2, 2), (2, 2, 2, 3, 2), strides=2, padding="same"),
    _conv_transpose((1, 3, 3, 2), (3, 3, 2, 2), strides=2, padding="same", output_size=(6, 5)),
    _conv_transpose((2, 3, 2), (2, 3, 2), strides=2, output_size=(7,)),
]  # no unknown-shape case: the kernel's size must be known to place the paddings

CONV = [
    # 1-D
    _conv((2, 7, 2), (3, 2, 3)),
    _conv((2, 8, 3), (2, 3, 2), strides=2, padding="same"),
    _conv((1, 9, 2), (3, 2, 2), padding="same", dilation=2),
    _conv((2, 6, 1), (4, 1, 2), strides=3),
    _conv((1, 5, 2), (5, 2, 1), padding="same"),
    # 2-D
    _conv((2, 5, 5, 2), (3, 3, 2, 3)),
    _conv((1, 6, 6, 3), (3, 3, 3, 2), strides=2, padding="same"),
    _conv((2, 5, 4, 1), (2, 2, 1, 4), strides=(2, 1), padding="same"),
    _conv((1, 7, 7, 2), (3, 3, 2, 2), dilation=2),
    _conv((1, 6, 5, 2), (2, 3, 2, 2), padding="same", dilation=(2, 1)),
    _conv((1, 4, 4, 3), (1, 1, 3, 2)),
    _conv((1, 7, 6, 1), (3, 2, 1, 1), strides=(3, 2)),
    # 3-D
    _conv((1, 4, 4, 3, 2), (2, 2, 2, 2, 2), strides=2, padding="same"),
    # Unknown dims at build time.
    _conv((2, 5, 4, 2), (3, 3, 2, 2), padding="same", static_shapes=False),
]

POOL = [
    *(c for op in ("max_pool", "avg_pool") for c in [
        _pool(op, (2, 7, 3), 2),
        _pool(op, (2, 7, 2), 3, strides=2, padding="same"),
        _pool(op, (1, 6, 2), 2, strides=1, padding="same"),
        _pool(op, (2, 4, 4, 2), 2),
        _pool(op, (1, 5, 5, 2), 3, strides=2, padding="same"),
        _pool(op, (1, 5, 6, 1), (2, 3), strides=(1, 2)),
        _pool(op, (1, 4, 5, 2), (2, 2), strides=1, padding="same"),
        _pool(op, (1, 3, 4, 5, 1), 2, padding="same"),
        _pool(op, (2, 5, 5, 1), 2, padding="same", static_shapes=False),
    ]),
]

SOFTMAX = [
    *(c for op, ref in (("softmax", _softmax_ref), ("log_softmax", _log_softmax_ref))
      for c in [_softmax(op, (3, 4), -1, ref), _softmax(op, (3, 4), 0, ref),
                _softmax(op, (2, 3, 4), 1, ref), _softmax(op, (5,), 0, ref),
                _extreme(op, ref)]),
]

CASES = [*CONV, *GROUPED_CONV, *CONV_TRANSPOSE, *POOL, *SOFTMAX]
