"""Keras 3's neural-network ops (``keras.ops.nn``): activations, one-hot encodings,
cross-entropies, convolution and pooling, moments and normalization.

Convolution and pooling take ``data_format="channels_first"`` too: the core computes
channels-last, so such inputs are transposed in and the outputs back (a transpose each way).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import Tensor
from layerkit.graph import ops as graph_ops
from layerkit.ops.dtypes import standardize_dtype
from layerkit.ops.eager import float_tensor, keras_op, tensor
from layerkit.ops.numpy import _named

__all__ = [
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv", "conv_transpose", "depthwise_conv", "separable_conv",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "psnr",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]


# SELU's constants (Klambauer et al., 2017), as Keras and JAX write them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# -- activations as graph code (layerkit.activations builds on these too) ---------------------
def leaky_relu_graph(x: Tensor, negative_slope: float) -> Tensor:
    return graph_ops.where(graph_ops.greater_equal(x, 0.0), x, x * negative_slope)


def elu_graph(x: Tensor, alpha: float) -> Tensor:
    positive = graph_ops.greater(x, 0.0)
    # exp() sees only non-positive values, so the branch where() drops never overflows to inf
    # (whose gradient, times the zero cotangent, would be nan).
    negative = graph_ops.where(positive, 0.0, x)
    return graph_ops.where(positive, x, alpha * (graph_ops.exp(negative) - 1.0))


def gelu_graph(x: Tensor, approximate: bool) -> Tensor:
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + graph_ops.tanh(inner))
    return 0.5 * x * (1.0 + graph_ops.erf(x * (1.0 / math.sqrt(2.0))))


def hard_sigmoid_graph(x: Tensor) -> Tensor:
    return graph_ops.clip(x + 3.0, 0.0, 6.0) * (1.0 / 6.0)


def _activation(name: str, doc: str, graph_fn):
    def op(x: Any) -> Any:
        return graph_fn(float_tensor(x))

    return keras_op("x", name=name)(_named(op, name, doc))


relu = _activation("relu", "``max(x, 0)``.", graph_ops.relu)
relu6 = _activation("relu6", "``min(max(x, 0), 6)``.", lambda t: graph_ops.clip(t, 0.0, 6.0))
sigmoid = _activation("sigmoid", "``1 / (1 + exp(-x))``.", graph_ops.sigmoid)
softplus = _activation("softplus", "``log(1 + exp(x))``, without overflow.", graph_ops.softplus)
softsign = _activation("softsign", "``x / (|x| + 1)``.", lambda t: t / (graph_ops.abs(t) + 1.0))
silu = _activation("silu", "``x * sigmoid(x)``.", lambda t: t * graph_ops.sigmoid(t))
swish = _activation("swish", "``x * sigmoid(x)`` (``silu``).", lambda t: t * graph_ops.sigmoid(t))
log_sigmoid = _activation("log_sigmoid", "``log(sigmoid(x))``, without overflow.",
                          lambda t: -graph_ops.softplus(-t))
selu = _activation("selu", "``scale * elu(x, alpha)`` with SELU's constants.",
                   lambda t: SELU_SCALE * elu_graph(t, SELU_ALPHA))
hard_sigmoid = _activation("hard_sigmoid", "``relu6(x + 3) / 6``.", hard_sigmoid_graph)
hard_silu = _activation("hard_silu", "``x * hard_sigmoid(x)``.",
                        lambda t: t * hard_sigmoid_graph(t))
hard_swish = _activation("hard_swish", "``x * hard_sigmoid(x)`` (``hard_silu``).",
                         lambda t: t * hard_sigmoid_graph(t))
hard_tanh = _activation("hard_tanh", "``x`` clipped to ``[-1, 1]``.",
                        lambda t: graph_ops.clip(t, -1.0, 1.0))
tanh_shrink = _activation("tanh_shrink", "``x - tanh(x)``.", lambda t: t - graph_ops.tanh(t))
sparse_plus = _activation(
    "sparse_plus", "0 below -1, ``(x + 1)**2 / 4`` on [-1, 1], ``x`` above 1.",
    lambda t: graph_ops.where(graph_ops.less_equal(t, -1.0), 0.0, graph_ops.where(
        graph_ops.greater_equal(t, 1.0), t, 0.25 * graph_ops.square(t + 1.0))))


@keras_op("x")
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """``x`` where ``x >= 0``, else ``negative_slope * x``."""
    return leaky_relu_graph(float_tensor(x), negative_slope)


@keras_op("x")
def elu(x: Any, alpha: float = 1.0) -> Any:
    """``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return elu_graph(float_tensor(x), alpha)


@keras_op("x")
def celu(x: Any, alpha: float = 1.0) -> Any:
    """``max(x, 0) + alpha * min(exp(x / alpha) - 1, 0)``."""
    if alpha == 0:
        raise ValueError("ops.celu: alpha must not be 0")
    return alpha * elu_graph(float_tensor(x) / alpha, 1.0)


@keras_op("x")
def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit (the tanh approximation by default, as ``keras.ops``)."""
    return gelu_graph(float_tensor(x), approximate)


@keras_op("x")
def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: the first half of ``x`` along ``axis`` times sigmoid of the second."""
    a, b = graph_ops.split(float_tensor(x), 2, axis=axis)
    return a * graph_ops.sigmoid(b)


@keras_op("x")
def squareplus(x: Any, b: float = 4) -> Any:
    """``(x + sqrt(x**2 + b)) / 2``."""
    t = float_tensor(x)
    return 0.5 * (t + graph_ops.sqrt(graph_ops.square(t) + float(b)))


def _shrink(name: str, doc: str, soft: bool):
    def op(x: Any, threshold: float = 0.5) -> Any:
        t = float_tensor(x)
        outside = graph_ops.greater(graph_ops.abs(t), threshold)
        kept = t - graph_ops.sign(t) * threshold if soft else t
        return graph_ops.where(outside, kept, graph_ops.zeros_like(t))

    return keras_op("x", name=name)(_named(op, name, doc))


soft_shrink = _shrink("soft_shrink", "``x`` moved ``threshold`` towards 0, 0 within it.", True)
hard_shrink = _shrink("hard_shrink", "``x`` where ``|x| > threshold``, else 0.", False)


@keras_op("x")
def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``."""
    t = float_tensor(x)
    return graph_ops.where(graph_ops.greater(t, threshold), t,
                           graph_ops.zeros_like(t) + default_value)


@keras_op("x")
def softmax(x: Any, axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple of axes)."""
    t = float_tensor(x)
    if isinstance(axis, int):
        return graph_ops.softmax(t, axis=axis)
    return graph_ops.exp(t - graph_ops.logsumexp(t, axis=tuple(axis), keepdims=True))


@keras_op("x")
def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis`` (an int or a tuple of axes)."""
    t = float_tensor(x)
    if isinstance(axis, int):
        return graph_ops.log_softmax(t, axis=axis)
    return t - graph_ops.logsumexp(t, axis=tuple(axis), keepdims=True)


# -- encodings --------------------------------------------------------------------------------
@keras_op("x")
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> Any:
    """Integer labels ``x`` as one-hot vectors of ``num_classes`` along a new ``axis``
    (out-of-range labels give all zeros)."""
    if sparse:
        raise ValueError("ops.one_hot: layerkit has no sparse tensors")
    return graph_ops.one_hot(tensor(x, "int32"), operator.index(num_classes), axis=axis,
                             dtype=standardize_dtype(dtype))


@keras_op("inputs")
def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> Any:
    """Each row of integer labels ``inputs`` as one vector with 1 at each label it holds."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs or num_classes is None:
        raise TypeError(f"ops.multi_hot: needs num_classes; unexpected {sorted(kwargs)}")
    if sparse:
        raise ValueError("ops.multi_hot: layerkit has no sparse tensors")
    t = tensor(inputs, "int32")
    hot = graph_ops.one_hot(t, operator.index(num_classes), axis=-1, dtype="float32")
    reduce_axis = -2 if len(t.shape) > 1 else 0
    out = graph_ops.max(hot, axis=reduce_axis)
    if axis != -1:
        out = graph_ops.transpose(out, _move_last(len(out.shape), axis))
    return graph_ops.cast(out, standardize_dtype(dtype))


def _move_last(rank: int, axis: int) -> list[int]:
    order = list(range(rank - 1))
    order.insert(axis % rank, rank - 1)
    return order


# -- cross-entropies --------------------------------------------------------------------------
def _clipped(p: Tensor) -> Tensor:
    eps = K.epsilon()
    return graph_ops.clip(p, eps, 1.0 - eps)


@keras_op("target", "output")
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Element-wise binary cross-entropy of labels ``target`` and probabilities (or logits)."""
    y = float_tensor(output)
    t = tensor(target, y.dtype)
    if from_logits:
        return t * graph_ops.softplus(-y) + (1.0 - t) * graph_ops.softplus(y)
    p = _clipped(y)
    return -(t * graph_ops.log(p) + (1.0 - t) * graph_ops.log(1.0 - p))


@keras_op("target", "output")
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> Any:
    """Cross-entropy over ``axis`` of one-hot (or soft) labels and probabilities (or logits)."""
    y = float_tensor(output)
    t = tensor(target, y.dtype)
    _same_shape("categorical_crossentropy", t, y)
    return -graph_ops.sum(t * _log_probabilities(y, from_logits, axis), axis=axis)


@keras_op("target", "output")
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    """Cross-entropy of integer labels ``target`` and probabilities (or logits) over ``axis``."""
    y = float_tensor(output)
    t = tensor(target, "int32")
    if len(t.shape) == len(y.shape) and t.shape[-1] == 1:
        t = graph_ops.squeeze(t, -1)
    hot = graph_ops.one_hot(t, y.shape[axis], axis=axis, dtype=y.dtype.name)
    return -graph_ops.sum(hot * _log_probabilities(y, from_logits, axis), axis=axis)


def _log_probabilities(y: Tensor, from_logits: bool, axis: int) -> Tensor:
    if from_logits:
        return graph_ops.log_softmax(y, axis=axis)
    p = y / graph_ops.sum(y, axis=axis, keepdims=True)
    return graph_ops.log(_clipped(p))


def _same_shape(what: str, a: Tensor, b: Tensor) -> None:
    if a.shape is not None and b.shape is not None and len(a.shape) != len(b.shape):
        raise ValueError(f"ops.{what}: target and output must have the same shape, got "
                         f"{a.shape} and {b.shape}")


# -- convolution and pooling ------------------------------------------------------------------
def _channels_first(data_format: str | None, what: str) -> bool:
    fmt = data_format or K.image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"ops.{what}: data_format must be 'channels_last' or "
                         f"'channels_first', got {fmt!r}")
    return fmt == "channels_first"


def _channels_last(data_format: str | None, what: str) -> None:
    """For ops that compute channels_last only (``ops.image``)."""
    if _channels_first(data_format, what):
        raise ValueError(f"ops.{what}: layerkit computes channels_last only, got "
                         "data_format='channels_first'")


def _last(x: Tensor, first: bool) -> Tensor:
    """``(batch, channels, *spatial)`` to ``(batch, *spatial, channels)`` when ``first``."""
    rank = len(x.shape)
    return graph_ops.transpose(x, (0, *range(2, rank), 1)) if first else x


def _back(y: Tensor, first: bool) -> Tensor:
    rank = len(y.shape)
    return graph_ops.transpose(y, (0, rank - 1, *range(1, rank - 1))) if first else y


def _spatial_input(inputs: Any, what: str, data_format: str | None) -> tuple[Tensor, bool]:
    x = float_tensor(inputs)
    if x.shape is None or len(x.shape) < 3:
        raise ValueError(f"ops.{what}: inputs must be (batch, *spatial, channels), got shape "
                         f"{None if x.shape is None else tuple(x.shape)}")
    first = _channels_first(data_format, what)
    return _last(x, first), first


@keras_op("inputs", "kernel")
def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    """N-D cross-correlation of ``inputs`` ``(batch, *spatial, channels)`` with ``kernel``
    ``(*kernel_size, in_channels // groups, out_channels)``; as in Keras, the group count is
    the inputs' channels over the kernel's (a grouped convolution when it is above 1)."""
    x, first = _spatial_input(inputs, "conv", data_format)
    k = tensor(kernel, x.dtype)
    groups = 1
    if x.shape[-1] is not None and k.shape is not None and k.shape[-2]:
        if x.shape[-1] % k.shape[-2]:
            raise ValueError(f"ops.conv: the inputs' {x.shape[-1]} channels are not a multiple "
                             f"of the kernel's {k.shape[-2]} input channels (kernel shape "
                             f"{tuple(k.shape)})")
        groups = x.shape[-1] // k.shape[-2]
    return _back(graph_ops.conv(x, k, strides=strides, padding=padding,
                                dilation_rate=dilation_rate, groups=groups), first)


@keras_op("inputs", "kernel")
def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    """Each input channel convolved with its own ``depth_multiplier`` filters: ``kernel`` is
    ``(*kernel_size, in_channels, depth_multiplier)``, the output has
    ``in_channels * depth_multiplier`` channels (channel ``c`` gives outputs
    ``c * depth_multiplier ...``)."""
    x, first = _spatial_input(inputs, "depthwise_conv", data_format)
    k = tensor(kernel, x.dtype)
    if k.shape is None or None in k.shape:
        raise ValueError("ops.depthwise_conv: the kernel's shape must be known")
    channels, multiplier = k.shape[-2], k.shape[-1]
    grouped = graph_ops.reshape(k, (*k.shape[:-2], 1, channels * multiplier))
    return _back(graph_ops.conv(x, grouped, strides=strides, padding=padding,
                                dilation_rate=dilation_rate, groups=channels), first)


@keras_op("inputs", "depthwise_kernel", "pointwise_kernel")
def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: str | None = None,
                   dilation_rate: Any = 1) -> Any:
    """A depthwise convolution, then a pointwise (1x1) one: ``pointwise_kernel`` is
    ``(1, ..., 1, in_channels * depth_multiplier, filters)``."""
    first = _channels_first(data_format, "separable_conv")
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides=strides, padding=padding,
                               data_format="channels_last" if not first else data_format,
                               dilation_rate=dilation_rate)
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid",
                data_format="channels_last" if not first else data_format)


@keras_op("inputs", "kernel")
def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None,
                   dilation_rate: Any = 1) -> Any:
    """N-D transposed convolution: ``kernel`` is ``(*kernel_size, out_channels,
    in_channels)``; output sizes as Keras's ``Conv*DTranspose`` (``output_padding`` adds
    positions)."""
    x, first = _spatial_input(inputs, "conv_transpose", data_format)
    return _back(graph_ops.conv_transpose(x, tensor(kernel, x.dtype), strides=strides,
                                          padding=padding, output_padding=output_padding,
                                          dilation_rate=dilation_rate), first)


@keras_op("inputs")
def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Any:
    """The largest value of each window (``strides`` default to ``pool_size``)."""
    x, first = _spatial_input(inputs, "max_pool", data_format)
    return _back(graph_ops.max_pool(x, pool_size, strides, padding), first)


@keras_op("inputs")
def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Any:
    """The mean of each window (``strides`` default to ``pool_size``)."""
    x, first = _spatial_input(inputs, "average_pool", data_format)
    return _back(graph_ops.avg_pool(x, pool_size, strides, padding), first)


# -- statistics and normalization -------------------------------------------------------------
@keras_op("x")
def moments(x: Any, axes: Sequence[int], keepdims: bool = False,
            synchronized: bool = False) -> tuple[Any, Any]:
    """Mean and variance of ``x`` over ``axes``."""
    t = float_tensor(x)
    axes = tuple(axes) if not isinstance(axes, int) else (axes,)
    m = graph_ops.mean(t, axis=axes, keepdims=True)
    v = graph_ops.mean(graph_ops.square(t - graph_ops.stop_gradient(m)), axis=axes,
                       keepdims=True)
    if not keepdims:
        m, v = graph_ops.squeeze(m, axes), graph_ops.squeeze(v, axes)
    return m, v


@keras_op("x", "mean", "variance", "offset", "scale")
def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None,
                        scale: Any = None, epsilon: float = 1e-3) -> Any:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics of shape
    ``(x.shape[axis],)`` broadcast along ``axis``."""
    t = float_tensor(x)
    rank = len(t.shape)
    shape = [-1 if i == axis % rank else 1 for i in range(rank)]

    def along(v: Any) -> Tensor:
        return graph_ops.reshape(tensor(v, t.dtype), shape)

    inv = graph_ops.power(along(variance) + epsilon, -0.5)
    if scale is not None:
        inv = inv * along(scale)
    out = (t - along(mean)) * inv
    return out + along(offset) if offset is not None else out


@keras_op("x")
def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Any:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    t = float_tensor(x)
    eps = K.epsilon() if epsilon is None else epsilon
    if order == 2:
        squares = graph_ops.sum(graph_ops.square(t), axis=axis, keepdims=True)
        return t * graph_ops.power(graph_ops.maximum(squares, eps * eps), -0.5)
    total = graph_ops.sum(graph_ops.power(graph_ops.abs(t), float(order)), axis=axis,
                          keepdims=True)
    return t / graph_ops.maximum(graph_ops.power(total, 1.0 / order), eps)


@keras_op("x1", "x2")
def psnr(x1: Any, x2: Any, max_val: float) -> Any:
    """Peak signal-to-noise ratio of ``x2`` against ``x1``, in dB."""
    a = float_tensor(x1)
    mse = graph_ops.mean(graph_ops.square(a - tensor(x2, a.dtype)))
    return 20.0 * math.log10(max_val) - 10.0 / math.log(10.0) * graph_ops.log(mse)


@keras_op("query", "key", "value", "bias", "mask")
def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Any:
    """Scaled dot-product attention on ``(batch, length, heads, head_dim)`` tensors."""
    if flash_attention:
        raise ValueError("ops.dot_product_attention: layerkit has no flash attention")
    q = float_tensor(query)
    k, v = tensor(key, q.dtype), tensor(value, q.dtype)
    head_dim = q.shape[-1]
    factor = scale if scale is not None else 1.0 / math.sqrt(head_dim)
    logits = graph_ops.einsum("btnh,bsnh->bnts", q, k) * factor
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        logits = cap * graph_ops.tanh(logits / cap)
    if bias is not None:
        logits = logits + tensor(bias, q.dtype)
    keep = None if mask is None else tensor(mask, "bool")
    if is_causal:
        t, s = q.shape[1], k.shape[1]
        causal = np.tril(np.ones((t, s), bool))
        keep = causal if keep is None else graph_ops.logical_and(keep, causal)
    if keep is not None:
        logits = graph_ops.where(keep, logits, np.asarray(-1e9 if q.dtype != np.float16
                                                          else -6e4, q.dtype.name))
    weights = graph_ops.softmax(logits, axis=-1)
    return graph_ops.einsum("bnts,bsnh->btnh", weights, v)
