"""``layerkit.ops.nn``, eager and symbolic on both backends, against references written here in
numpy (``tests/ops/harness.py`` runs the table)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.conftest import BACKENDS
from tests.ops.harness import (
    Case,
    boolean,
    check_eager,
    check_symbolic,
    f32,
    f64,
    i32,
    params,
    pos32,
)

C = Case
EPS = 1e-7  # keras.config.epsilon()
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


# -- references -------------------------------------------------------------------------------
def _f32(fn):
    """A reference computed in float64, given as float32."""
    def ref(*args):
        out = fn(*(np.asarray(a, np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                   else a for a in args))
        if isinstance(out, tuple):
            return tuple(np.asarray(o).astype(np.float32) for o in out)
        return np.asarray(out).astype(np.float32)
    return ref


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def hard_sigmoid(x):
    return np.clip(x + 3, 0, 6) / 6


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


def one_hot(x, n, axis=-1, dtype=np.float32):
    out = (np.asarray(x)[..., None] == np.arange(n)).astype(dtype)
    return np.moveaxis(out, -1, axis)


def multi_hot(x, n):
    hot = one_hot(x, n)
    return hot.max(axis=-2 if np.ndim(x) > 1 else 0)


def binary_crossentropy(t, y, from_logits=False):
    if from_logits:
        return t * softplus(-y) + (1 - t) * softplus(y)
    p = np.clip(y, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def categorical_crossentropy(t, y, from_logits=False, axis=-1):
    if from_logits:
        return -np.sum(t * log_softmax(y, axis), axis=axis)
    p = np.clip(y / y.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=axis)


def sparse_categorical_crossentropy(labels, y, from_logits=False):
    t = one_hot(np.reshape(labels, labels.shape[:y.ndim - 1]), y.shape[-1], dtype=np.float64)
    return categorical_crossentropy(t, y, from_logits)


def _same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def conv(x, w, strides=1, padding="valid", dilation_rate=1):
    """N-D cross-correlation, channels-last, by loops over the output positions."""
    nd = x.ndim - 2
    s = (strides,) * nd if isinstance(strides, int) else tuple(strides)
    d = (dilation_rate,) * nd if isinstance(dilation_rate, int) else tuple(dilation_rate)
    ks = w.shape[:nd]
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], ks[i], s[i], d[i]) for i in range(nd)]
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    span = [(ks[i] - 1) * d[i] + 1 for i in range(nd)]
    out_sizes = [(x.shape[1 + i] - span[i]) // s[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], *out_sizes, w.shape[-1]))
    for pos in itertools.product(*(range(n) for n in out_sizes)):
        window = x[(slice(None), *(slice(p * s[i], p * s[i] + span[i], d[i])
                                   for i, p in enumerate(pos)), slice(None))]
        out[(slice(None), *pos, slice(None))] = np.tensordot(window, w, axes=nd + 1)
    return out


def depthwise(x, w, strides=1, padding="valid", dilation_rate=1):
    """Each channel ``c`` convolved with ``w[..., c, :]``; outputs ``c * multiplier + j``."""
    parts = [conv(x[..., c:c + 1], w[..., c:c + 1, :], strides, padding, dilation_rate)
             for c in range(x.shape[-1])]
    return np.concatenate(parts, axis=-1)


def conv_transpose(y, w, strides=1, padding="valid"):
    """The adjoint of ``conv`` with kernel ``w`` (``(*k, out_channels, in_channels)``), on
    outputs of Keras's sizes (``in * stride``, plus ``max(k - stride, 0)`` for "valid")."""
    nd = y.ndim - 2
    s = (strides,) * nd if isinstance(strides, int) else tuple(strides)
    ks = w.shape[:nd]
    sizes = [n * si + (max(k - si, 0) if padding == "valid" else 0)
             for n, si, k in zip(y.shape[1:-1], s, ks)]
    before = [_same_pads(n, k, si, 1)[0] if padding == "same" else 0
              for n, k, si in zip(sizes, ks, s)]
    out = np.zeros((y.shape[0], *sizes, w.shape[-2]))
    for pos in itertools.product(*(range(n) for n in y.shape[1:-1])):
        for tap in itertools.product(*(range(k) for k in ks)):
            idx = [p * si + t - b for p, si, t, b in zip(pos, s, tap, before)]
            if all(0 <= i < n for i, n in zip(idx, sizes)):
                out[(slice(None), *idx)] += y[(slice(None), *pos)] @ w[tap].T
    return out


def _first(fn):
    """``fn`` on channels_first data: transposed to channels_last and back."""
    def run(x, *args, **kwargs):
        last = np.moveaxis(x, 1, -1)
        return np.moveaxis(fn(last, *args, **kwargs), -1, 1)
    return run


def pool(x, size, strides=None, padding="valid", kind="max"):
    nd = x.ndim - 2
    k = (size,) * nd if isinstance(size, int) else tuple(size)
    s = k if strides is None else ((strides,) * nd if isinstance(strides, int) else strides)
    valid = np.ones(x.shape)
    if padding == "same":
        pads = [(0, 0), *(_same_pads(x.shape[1 + i], k[i], s[i]) for i in range(nd)), (0, 0)]
        x = np.pad(x, pads, constant_values=-np.inf if kind == "max" else 0)
        valid = np.pad(valid, pads)
    out_sizes = [(x.shape[1 + i] - k[i]) // s[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    for pos in itertools.product(*(range(n) for n in out_sizes)):
        index = (slice(None), *(slice(p * s[i], p * s[i] + k[i]) for i, p in enumerate(pos)))
        axes = tuple(range(1, nd + 1))
        if kind == "max":
            value = x[index].max(axis=axes)
        else:
            value = x[index].sum(axis=axes) / valid[index].sum(axis=axes)
        out[(slice(None), *pos, slice(None))] = value
    return out


def attention(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (scale or 1 / np.sqrt(q.shape[-1]))
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape, bool) if mask is None else np.broadcast_to(mask, logits.shape)
    if is_causal:
        keep = keep & np.tril(np.ones((q.shape[1], k.shape[1]), bool))
    logits = np.where(keep, logits, -1e9)
    return np.einsum("bnts,bsnh->btnh", softmax(logits), v)


def batch_norm(x, mean, var, axis, offset=None, scale=None, epsilon=1e-3):
    shape = [-1 if i == axis % x.ndim else 1 for i in range(x.ndim)]
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon)
    if scale is not None:
        out = out * scale.reshape(shape)
    return out + offset.reshape(shape) if offset is not None else out


def normalize(x, axis=-1, order=2):
    norm = np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1 / order)
    return x / np.maximum(norm, EPS)


def psnr(a, b, max_val):
    return 20 * np.log10(max_val) - 10 * np.log10(np.mean((a - b) ** 2))


# -- the table --------------------------------------------------------------------------------
X = f32(3, 5, low=-3, high=3)


def act(op: str, ref, x=X, **kw) -> Case:
    return C(f"nn.{op}", [x], _f32(ref), **kw)


PROBS = softmax(f32(4, 5)).astype(np.float32)
ONE_HOT = one_hot(np.array([0, 2, 4, 1]), 5)
IMAGES = f32(2, 6, 7, 3)
SEQ = f32(2, 9, 3)
Q, K_, V = f32(2, 4, 2, 3), f32(2, 5, 2, 3), f32(2, 5, 2, 3)

CASES: list[Case] = [
    act("relu", lambda x: np.maximum(x, 0)),
    act("relu6", lambda x: np.clip(x, 0, 6), f32(3, 5, low=-8, high=8)),
    act("sigmoid", sigmoid),
    act("softplus", softplus, f32(3, 5, low=-30, high=30)),
    act("softsign", lambda x: x / (np.abs(x) + 1)),
    act("silu", lambda x: x * sigmoid(x)),
    act("swish", lambda x: x * sigmoid(x)),
    act("log_sigmoid", lambda x: -softplus(-x), f32(3, 5, low=-30, high=30)),
    act("selu", lambda x: SELU_SCALE * elu(x, SELU_ALPHA)),
    act("hard_sigmoid", hard_sigmoid, f32(3, 5, low=-4, high=4)),
    act("hard_silu", lambda x: x * hard_sigmoid(x), f32(3, 5, low=-4, high=4)),
    act("hard_swish", lambda x: x * hard_sigmoid(x), f32(3, 5, low=-4, high=4)),
    act("hard_tanh", lambda x: np.clip(x, -1, 1)),
    act("tanh_shrink", lambda x: x - np.tanh(x)),
    act("sparse_plus", lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    act("leaky_relu", lambda x: np.where(x >= 0, x, 0.2 * x)),
    C("nn.leaky_relu", [X], _f32(lambda x: np.where(x >= 0, x, 0.05 * x)),
      kwargs={"negative_slope": 0.05}, id="nn.leaky_relu-slope"),
    act("elu", elu, f32(3, 5, low=-30, high=3)),
    C("nn.elu", [X], _f32(lambda x: elu(x, 0.5)), kwargs={"alpha": 0.5}, id="nn.elu-alpha"),
    C("nn.celu", [X], _f32(lambda x: np.maximum(x, 0) + 0.7 * np.minimum(np.expm1(x / 0.7), 0)),
      kwargs={"alpha": 0.7}),
    act("gelu", gelu),
    C("nn.gelu", [X], _f32(lambda x: gelu(x, False)), kwargs={"approximate": False},
      id="nn.gelu-exact"),
    act("glu", lambda x: x[..., :3] * sigmoid(x[..., 3:]), f32(2, 6)),
    C("nn.glu", [f32(4, 3)], _f32(lambda x: x[:2] * sigmoid(x[2:])), kwargs={"axis": 0},
      id="nn.glu-axis"),
    act("squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2),
    act("soft_shrink", lambda x: np.where(np.abs(x) > 0.5, x - np.sign(x) * 0.5, 0)),
    act("hard_shrink", lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    C("nn.threshold", [X, 0.3, -2.0], _f32(lambda x, t, d: np.where(x > t, x, d))),
    act("softmax", softmax),
    C("nn.softmax", [X], _f32(lambda x: softmax(x, 0)), kwargs={"axis": 0},
      id="nn.softmax-axis0"),
    C("nn.softmax", [X], _f32(lambda x: np.exp(x) / np.exp(x).sum()), kwargs={"axis": (0, 1)},
      id="nn.softmax-axes"),
    act("log_softmax", log_softmax, f32(3, 5, low=-50, high=50)),
    act("relu", lambda x: np.maximum(x, 0), i32(3, 4), id="nn.relu-int", dtype="float32"),
    act("sigmoid", sigmoid, f64(3, 4), id="nn.sigmoid-float64", dtype="float64", rtol=1e-12),
    # -- encodings ----------------------------------------------------------------------------
    C("nn.one_hot", [np.array([0, 2, 4, 1], np.int32), 5], one_hot),
    C("nn.one_hot", [np.array([[0, 7], [-1, 1]], np.int32), 3], one_hot,
      id="nn.one_hot-out-of-range"),
    C("nn.one_hot", [np.array([0, 2], np.int32), 3],
      lambda x, n: one_hot(x, n, axis=0, dtype=np.int32), kwargs={"axis": 0, "dtype": "int32"},
      id="nn.one_hot-axis-dtype"),
    C("nn.multi_hot", [np.array([[0, 2], [1, 1]], np.int32), 4],
      lambda x, n: multi_hot(x, n).astype(np.float32)),
    C("nn.multi_hot", [np.array([0, 3], np.int32), 5],
      lambda x, n: multi_hot(x, n).astype(np.float32), id="nn.multi_hot-1d"),
    # -- cross-entropies ----------------------------------------------------------------------
    C("nn.binary_crossentropy", [boolean(4, 5).astype(np.float32), PROBS],
      _f32(binary_crossentropy)),
    C("nn.binary_crossentropy", [boolean(4, 5).astype(np.float32), f32(4, 5, low=-5, high=5)],
      _f32(lambda t, y: binary_crossentropy(t, y, True)), kwargs={"from_logits": True},
      id="nn.binary_crossentropy-logits"),
    C("nn.categorical_crossentropy", [ONE_HOT, PROBS], _f32(categorical_crossentropy)),
    C("nn.categorical_crossentropy", [ONE_HOT, f32(4, 5, low=-5, high=5)],
      _f32(lambda t, y: categorical_crossentropy(t, y, True)), kwargs={"from_logits": True},
      id="nn.categorical_crossentropy-logits"),
    C("nn.sparse_categorical_crossentropy", [np.array([0, 2, 4, 1], np.int32), PROBS],
      _f32(sparse_categorical_crossentropy)),
    C("nn.sparse_categorical_crossentropy", [np.array([[0], [2], [4], [1]], np.int32),
                                             f32(4, 5, low=-5, high=5)],
      _f32(lambda t, y: sparse_categorical_crossentropy(t, y, True)),
      kwargs={"from_logits": True}, id="nn.sparse_categorical_crossentropy-logits"),
    # -- convolution and pooling --------------------------------------------------------------
    C("nn.conv", [IMAGES, f32(3, 2, 3, 4)], _f32(conv), rtol=1e-4, atol=1e-5),
    C("nn.conv", [IMAGES, f32(3, 3, 3, 2)], _f32(lambda x, w: conv(x, w, 2, "same")),
      kwargs={"strides": 2, "padding": "same"}, id="nn.conv-same-strided", rtol=1e-4,
      atol=1e-5),
    C("nn.conv", [IMAGES, f32(2, 2, 3, 2)], _f32(lambda x, w: conv(x, w, dilation_rate=2)),
      kwargs={"dilation_rate": 2}, id="nn.conv-dilated", rtol=1e-4, atol=1e-5),
    C("nn.conv", [SEQ, f32(3, 3, 2)], _f32(lambda x, w: conv(x, w, padding="same")),
      kwargs={"padding": "same"}, id="nn.conv-1d", rtol=1e-4, atol=1e-5),
    C("nn.conv", [i32(1, 5, 5, 1), np.ones((2, 2, 1, 1), np.int32)],
      lambda x, w: conv(x.astype(np.float32), w.astype(np.float32)).astype(np.float32),
      id="nn.conv-int", dtype="float32"),
    C("nn.conv", [IMAGES, f32(3, 3, 1, 6)], _f32(
        lambda x, w: np.concatenate([conv(x[..., c:c + 1], w[..., 2 * c:2 * c + 2])
                                     for c in range(3)], -1)),
      id="nn.conv-grouped", rtol=1e-4, atol=1e-5),
    C("nn.conv", [f32(2, 3, 6, 7), f32(3, 2, 3, 4)], _f32(_first(conv)),
      kwargs={"data_format": "channels_first"}, id="nn.conv-channels-first", rtol=1e-4,
      atol=1e-5),
    C("nn.depthwise_conv", [IMAGES, f32(3, 3, 3, 2)], _f32(depthwise), rtol=1e-4, atol=1e-5),
    C("nn.depthwise_conv", [IMAGES, f32(2, 2, 3, 1)],
      _f32(lambda x, w: depthwise(x, w, 2, "same")), kwargs={"strides": 2, "padding": "same"},
      id="nn.depthwise_conv-same", rtol=1e-4, atol=1e-5),
    C("nn.depthwise_conv", [SEQ, f32(3, 3, 2)],
      _f32(lambda x, w: depthwise(x, w, dilation_rate=2)), kwargs={"dilation_rate": 2},
      id="nn.depthwise_conv-1d", rtol=1e-4, atol=1e-5),
    C("nn.separable_conv", [IMAGES, f32(3, 3, 3, 2), f32(1, 1, 6, 4)],
      _f32(lambda x, dw, pw: conv(depthwise(x, dw), pw)), rtol=1e-4, atol=1e-5),
    C("nn.separable_conv", [SEQ, f32(2, 3, 1), f32(1, 3, 5)],
      _f32(lambda x, dw, pw: conv(depthwise(x, dw, padding="same"), pw)),
      kwargs={"padding": "same"}, id="nn.separable_conv-1d", rtol=1e-4, atol=1e-5),
    C("nn.conv_transpose", [IMAGES, f32(3, 3, 4, 3)], _f32(lambda y, w: conv_transpose(y, w)),
      rtol=1e-4, atol=1e-5),
    C("nn.conv_transpose", [IMAGES, f32(3, 3, 2, 3)],
      _f32(lambda y, w: conv_transpose(y, w, 2, "same")),
      kwargs={"strides": 2, "padding": "same"}, id="nn.conv_transpose-same", rtol=1e-4,
      atol=1e-5),
    C("nn.conv_transpose", [SEQ, f32(2, 4, 3)],
      _f32(lambda y, w: conv_transpose(y, w, 3)), kwargs={"strides": 3},
      id="nn.conv_transpose-1d", rtol=1e-4, atol=1e-5),
    C("nn.conv_transpose", [f32(2, 3, 4, 5), f32(2, 2, 2, 3)],
      _f32(_first(lambda y, w: conv_transpose(y, w, 2, "same"))),
      kwargs={"strides": 2, "padding": "same", "data_format": "channels_first"},
      id="nn.conv_transpose-channels-first", rtol=1e-4, atol=1e-5),
    C("nn.max_pool", [f32(2, 3, 6, 7), 2], _f32(_first(lambda x, k: pool(x, k))),
      kwargs={"data_format": "channels_first"}, id="nn.max_pool-channels-first"),
    C("nn.max_pool", [IMAGES, 2], _f32(lambda x, k: pool(x, k))),
    C("nn.max_pool", [IMAGES, (3, 2)], _f32(lambda x, k: pool(x, k, (2, 1), "same")),
      kwargs={"strides": (2, 1), "padding": "same"}, id="nn.max_pool-same"),
    C("nn.max_pool", [SEQ, 2], _f32(lambda x, k: pool(x, k)), id="nn.max_pool-1d"),
    C("nn.average_pool", [IMAGES, 2], _f32(lambda x, k: pool(x, k, kind="avg"))),
    C("nn.average_pool", [IMAGES, 3], _f32(lambda x, k: pool(x, k, 2, "same", "avg")),
      kwargs={"strides": 2, "padding": "same"}, id="nn.average_pool-same"),
    # -- statistics and normalization ---------------------------------------------------------
    C("nn.moments", [f32(4, 3, 2)], _f32(lambda x: (x.mean(axis=(0, 1)), x.var(axis=(0, 1)))),
      kwargs={"axes": (0, 1)}),
    C("nn.moments", [f32(4, 3)], _f32(lambda x: (x.mean(1, keepdims=True),
                                                   x.var(1, keepdims=True))),
      kwargs={"axes": [1], "keepdims": True}, id="nn.moments-keepdims"),
    C("nn.moments", [i32(4, 3)], _f32(lambda x: (x.mean(0), x.var(0))), kwargs={"axes": [0]},
      id="nn.moments-int", dtype=["float32", "float32"]),
    C("nn.batch_normalization", [f32(4, 3), f32(3), pos32(3), -1, f32(3), pos32(3)],
      _f32(batch_norm)),
    C("nn.batch_normalization", [f32(2, 3, 4), f32(3), pos32(3), 1],
      _f32(lambda x, m, v, a: batch_norm(x, m, v, a, epsilon=1e-5)), kwargs={"epsilon": 1e-5},
      id="nn.batch_normalization-axis1", rtol=1e-4),
    C("nn.normalize", [f32(3, 4)], _f32(normalize)),
    C("nn.normalize", [f32(3, 4)], _f32(lambda x: normalize(x, 0, 1)),
      kwargs={"axis": 0, "order": 1}, id="nn.normalize-l1"),
    C("nn.normalize", [np.zeros((2, 3), np.float32)], _f32(normalize), id="nn.normalize-zero"),
    C("nn.psnr", [pos32(4, 4), pos32(4, 4), 2.0], _f32(psnr), rtol=1e-4),
    C("nn.dot_product_attention", [Q, K_, V], _f32(attention), rtol=1e-4, atol=1e-6),
    C("nn.dot_product_attention", [Q, f32(2, 4, 2, 3), f32(2, 4, 2, 3)],
      _f32(lambda q, k, v: attention(q, k, v, is_causal=True)), kwargs={"is_causal": True},
      id="nn.dot_product_attention-causal", rtol=1e-4, atol=1e-6),
    C("nn.dot_product_attention", [Q, K_, V, f32(1, 2, 4, 5), boolean(2, 1, 4, 5)],
      _f32(attention), id="nn.dot_product_attention-bias-mask", rtol=1e-4, atol=1e-6),
    C("nn.dot_product_attention", [Q, K_, V],
      _f32(lambda q, k, v: attention(q, k, v, scale=0.3)), kwargs={"scale": 0.3},
      id="nn.dot_product_attention-scale", rtol=1e-4, atol=1e-6),
]

PARAMS = params(CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_eager(case, backend):
    check_eager(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_symbolic(case, backend):
    check_symbolic(case, backend)


def test_top_level_nn_names_are_the_nn_functions():
    from layerkit import ops

    for name in ops.nn.__all__:
        assert getattr(ops, name) is getattr(ops.nn, name), name


def test_bad_data_format_and_channels_name_the_op():
    from layerkit import ops

    with pytest.raises(ValueError, match=r"ops\.max_pool: data_format must be"):
        ops.nn.max_pool(IMAGES, 2, data_format="nchw")
    with pytest.raises(ValueError, match=r"ops\.conv: the inputs' 3 channels are not a multiple"):
        ops.nn.conv(IMAGES, f32(2, 2, 2, 1))


def test_sparse_one_hot_is_refused():
    from layerkit import ops

    with pytest.raises(ValueError, match="sparse"):
        ops.nn.one_hot(np.array([0, 1]), 3, sparse=True)
