"""``tf.nn``: activations, losses on logits, dropout, convolution and pooling (TF1 signatures).

The losses are written with ``log_softmax`` (not ``log(softmax(...))``) so they stay finite for
large logits, and their gradients come from the core's autodiff like any other op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor

__all__ = [
    "avg_pool", "bias_add", "conv2d", "conv2d_transpose", "conv3d_transpose", "dropout",
    "embedding_lookup", "in_top_k", "l2_loss",
    "leaky_relu", "log_softmax", "max_pool", "moments", "relu", "relu6", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "softmax",
    "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2", "softplus",
    "sparse_softmax_cross_entropy_with_logits", "tanh", "top_k",
]


def relu(features: Any, name: str | None = None) -> Tensor:
    """``max(features, 0)``."""
    return ops.relu(features, name=name)


def relu6(features: Any, name: str | None = None) -> Tensor:
    """``min(max(features, 0), 6)``."""
    return ops.minimum(ops.relu(features), 6.0, name=name)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``features`` where positive, ``alpha * features`` elsewhere."""
    features = convert_to_tensor(features)
    return ops.maximum(features * alpha, features, name=name)


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x, name=name)


def tanh(x: Any, name: str | None = None) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(x, name=name)


def softplus(features: Any, name: str | None = None) -> Tensor:
    """``log(1 + exp(features))``."""
    return ops.softplus(features, name=name)


def _axis(axis: int | None, dim: int | None) -> int:
    return axis if axis is not None else (dim if dim is not None else -1)


def softmax(logits: Any, axis: int | None = None, name: str | None = None,
            dim: int | None = None) -> Tensor:
    """``exp(logits) / sum(exp(logits))`` along ``axis`` (default the last)."""
    return ops.softmax(logits, axis=_axis(axis, dim), name=name)


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None,
                dim: int | None = None) -> Tensor:
    """``logits - logsumexp(logits)`` along ``axis`` (default the last)."""
    return ops.log_softmax(logits, axis=_axis(axis, dim), name=name)


def softmax_cross_entropy_with_logits_v2(labels: Any, logits: Any, axis: int | None = None,
                                         name: str | None = None,
                                         dim: int | None = None) -> Tensor:
    """``-sum(labels * log_softmax(logits))`` along ``axis``; gradients flow into both."""
    logits = convert_to_tensor(logits)
    labels = _as_dtype(labels, logits.dtype)
    axis = _axis(axis, dim)
    return ops.negative(ops.sum(labels * ops.log_softmax(logits, axis=axis), axis=axis),
                        name=name)


def softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, dim: int = -1,
                                      name: str | None = None,
                                      axis: int | None = None) -> Tensor:
    """The deprecated TF1 version: as ``_v2`` but no gradient flows into ``labels``.
    Takes keyword arguments only, as in TF1."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("softmax_cross_entropy_with_logits: call it with named arguments "
                         "(labels=..., logits=...)")
    labels = ops.stop_gradient(_as_dtype(labels, convert_to_tensor(logits).dtype))
    return softmax_cross_entropy_with_logits_v2(labels, logits, axis=_axis(axis, dim), name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                             logits: Any = None,
                                             name: str | None = None) -> Tensor:
    """Cross-entropy of integer class ``labels`` (shape ``logits.shape[:-1]``) against
    ``logits``; one loss per example."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits: call it with named "
                         "arguments (labels=..., logits=...)")
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels)
    if not dtypes.is_integer(labels.dtype):
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels '{labels.name}' must "
                        f"be int32 or int64, got {labels.dtype.name}")
    if logits.shape is None or logits.shape[-1] is None:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: the number of classes (last "
                         f"axis of logits '{logits.name}') must be known")
    if labels.ndim is not None and logits.ndim is not None and labels.ndim != logits.ndim - 1:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels {labels.shape} must "
                         f"have rank {logits.ndim - 1} for logits {logits.shape}")
    picked = ops.one_hot(labels, logits.shape[-1], dtype=logits.dtype)
    return ops.negative(ops.sum(picked * ops.log_softmax(logits), axis=-1), name=name)


def sigmoid_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, name: str | None = None) -> Tensor:
    """Element-wise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))``, stable for any
    logit ``x`` and label ``z``."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: call it with named arguments "
                         "(labels=..., logits=...)")
    x = convert_to_tensor(logits)
    z = _as_dtype(labels, x.dtype)
    return ops.add(ops.relu(x) - x * z, ops.softplus(-ops.abs(x)), name=name)


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Tensor:
    """Whether each row's ``targets`` class is among its ``k`` highest ``predictions`` (a tie
    at the boundary counts as in, as in TF1)."""
    predictions = convert_to_tensor(predictions)
    if predictions.shape is None or len(predictions.shape) != 2:
        raise ValueError(f"in_top_k: predictions must be [batch, classes], got shape "
                         f"{None if predictions.shape is None else tuple(predictions.shape)}")
    classes = predictions.shape[1]
    picked = ops.one_hot(ops.cast(convert_to_tensor(targets), "int32"), classes,
                         dtype=predictions.dtype)
    target_score = ops.sum(ops.multiply(predictions, picked), axis=1, keepdims=True)
    higher = ops.sum(ops.cast(ops.greater(predictions, target_score), "int32"), axis=1)
    return ops.less(higher, k, name=name)


def moments(x: Any, axes: Sequence[int], shift: Any = None, name: str | None = None,
            keep_dims: bool | None = None, keepdims: bool | None = None
            ) -> tuple[Tensor, Tensor]:
    """The mean and variance of ``x`` over ``axes``."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    x = convert_to_tensor(x)
    axes = tuple(int(a) for a in axes)
    mean = ops.mean(x, axis=axes, keepdims=True)
    variance = ops.mean(ops.square(ops.subtract(x, ops.stop_gradient(mean))), axis=axes,
                        keepdims=keep)
    return (mean if keep else ops.squeeze(mean, axis=axes)), variance


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: str | None = None, validate_indices: bool = True,
                     max_norm: Any = None) -> Tensor:
    """Rows ``ids`` of the embedding matrix ``params`` (one tensor; a list of shards only if
    it has one)."""
    if isinstance(params, list | tuple):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup: sharded params (a list of several "
                                      "tensors) are not supported")
        params = params[0]
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup(max_norm=...) is not supported")
    return ops.gather(convert_to_tensor(params), convert_to_tensor(ids), axis=0, name=name)


def top_k(input: Any, k: int = 1, sorted: bool = True,  # noqa: A002 - TF1's names
          name: str | None = None) -> tuple[Tensor, Tensor]:
    """The ``k`` largest entries of the last axis, and their indices."""
    return ops.top_k(convert_to_tensor(input), k=k, sorted=sorted, name=name)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """``sum(t ** 2) / 2``."""
    t = convert_to_tensor(t)
    return ops.multiply(ops.sum(t * t), 0.5, name=name)


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """``value + bias``, the bias along the last axis."""
    if data_format not in (None, "NHWC", "N...C"):
        raise NotImplementedError(f"bias_add: data_format {data_format!r} is not supported")
    return ops.add(value, bias, name=name)


def dropout(x: Any, keep_prob: Any = None, noise_shape: Sequence[int] | None = None,
            seed: int | None = None, name: str | None = None, rate: Any = None) -> Tensor:
    """Zero each element with probability ``rate`` (= ``1 - keep_prob``) and scale the kept
    ones by ``1 / keep_prob``. ``keep_prob`` may be a tensor, e.g. a placeholder fed 1.0 at
    test time."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob and rate")
    x = convert_to_tensor(x)
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"dropout: x '{x.name}' must be floating-point, got {x.dtype.name}")
    keep = _as_dtype(keep_prob, x.dtype) if keep_prob is not None else \
        ops.subtract(1.0, _as_dtype(rate, x.dtype))
    if keep.shape != ():
        # TF1 takes a scalar; saying so keeps x's static shape when keep_prob is a placeholder
        # declared without a shape (its rank unknown), as tutorials declare it.
        if keep.shape is not None and any(d != 1 for d in keep.shape):
            raise ValueError(f"dropout: keep_prob/rate must be a scalar, got shape "
                             f"{tuple(keep.shape)}")
        keep = ops.reshape(keep, [])
    for given in (keep_prob, rate):
        if given is not None and not isinstance(given, Tensor) and not 0.0 <= float(given) <= 1.0:
            raise ValueError(f"dropout: keep_prob/rate must be in [0, 1], got {given}")
    shape = x if noise_shape is None else list(noise_shape)
    uniform = ops.random_uniform(shape, dtype=x.dtype, seed=seed)
    mask = ops.cast(ops.less(uniform, keep), x.dtype)
    return ops.multiply(ops.divide(x, keep), mask, name=name)


def _as_dtype(value: Any, dtype: Any) -> Tensor:
    """``value`` as a tensor of ``dtype``: Python values converted, float tensors cast."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else ops.cast(value, dtype)
    return convert_to_tensor(value, dtype=dtype) if not hasattr(value, "dtype") else \
        ops.cast(convert_to_tensor(value), dtype)


# -- convolution and pooling (NHWC only) -------------------------------------------------------
def _inner(values: Any, what: str, n: int) -> tuple[int, ...]:
    """TF1's ``[1, s, s, 1]`` per-axis lists as the spatial part ``(s, s)``."""
    if isinstance(values, int):
        return (values,) * n
    values = tuple(int(v) for v in values)
    if len(values) == n:
        return values
    if len(values) != n + 2 or values[0] != 1 or values[-1] != 1:
        raise ValueError(f"{what} {list(values)} must be [1, ..., 1] over (batch, *spatial, "
                         "channels): batch and channel entries of 1 are all that is supported")
    return values[1:-1]


def _check_format(data_format: str | None) -> None:
    if data_format not in (None, "NHWC", "NWC", "NDHWC"):
        raise NotImplementedError(f"data_format {data_format!r} is not supported (channels last "
                                  "only)")


def conv2d(input: Any, filter: Any = None, strides: Any = None,  # noqa: A002
           padding: str = "VALID", use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
           dilations: Any = None, name: str | None = None, filters: Any = None) -> Tensor:
    """2-D cross-correlation of NHWC ``input`` with an HWIO ``filter``."""
    _check_format(data_format)
    kernel = filter if filter is not None else filters
    strides = _inner(strides if strides is not None else 1, "strides", 2)
    dilations = _inner(dilations if dilations is not None else 1, "dilations", 2)
    return ops.conv(input, kernel, strides=strides, padding=padding.lower(),
                    dilation_rate=dilations, name=name)


def _conv_transpose(value: Any, kernel: Any, output_shape: Any, strides: Any, padding: str,
                    dilations: Any, n: int, name: str | None) -> Tensor:
    """TF1's transposed convolution: the adjoint of ``conv`` (with ``padding``) on an input of
    ``output_shape`` (``[batch, *spatial, out_channels]``; the batch may be a run-time value,
    the rest must be static)."""
    what = f"conv{n}d_transpose"
    sizes = list(output_shape) if not isinstance(output_shape, Tensor) else None
    if sizes is None or len(sizes) != n + 2 or not all(
            hasattr(v, "__index__") for v in sizes[1:]):
        raise ValueError(f"{what}: output_shape must list [batch, {n} spatial sizes, channels] "
                         f"with static sizes after the batch, got {output_shape!r}")
    kernel = convert_to_tensor(kernel)
    if kernel.shape is not None and kernel.shape[-2] not in (None, int(sizes[-1])):
        raise ValueError(f"{what}: output_shape has {sizes[-1]} channels but the filter "
                         f"{tuple(kernel.shape)} makes {kernel.shape[-2]} (its axis -2)")
    return ops.conv_transpose(value, kernel, strides=_inner(strides, "strides", n),
                              padding=padding.lower(),
                              dilation_rate=_inner(dilations if dilations is not None else 1,
                                                   "dilations", n),
                              output_size=[int(v) for v in sizes[1:-1]], name=name)


def conv2d_transpose(value: Any = None, filter: Any = None,  # noqa: A002
                     output_shape: Any = None, strides: Any = None, padding: str = "SAME",
                     data_format: str = "NHWC", name: str | None = None, input: Any = None,  # noqa: A002
                     filters: Any = None, dilations: Any = None) -> Tensor:
    """The transposed 2-D convolution of NHWC ``value`` with an ``[h, w, out_channels,
    in_channels]`` filter, to ``output_shape`` (the gradient of ``conv2d`` with respect to
    its input, as TF1 computes it)."""
    _check_format(data_format)
    return _conv_transpose(value if value is not None else input,
                           filter if filter is not None else filters, output_shape, strides,
                           padding, dilations, 2, name)


def conv3d_transpose(value: Any = None, filter: Any = None,  # noqa: A002
                     output_shape: Any = None, strides: Any = None, padding: str = "SAME",
                     data_format: str = "NDHWC", name: str | None = None, input: Any = None,  # noqa: A002
                     filters: Any = None, dilations: Any = None) -> Tensor:
    """As ``conv2d_transpose``, over NDHWC volumes."""
    _check_format(data_format)
    return _conv_transpose(value if value is not None else input,
                           filter if filter is not None else filters, output_shape, strides,
                           padding, dilations, 3, name)


def max_pool(value: Any, ksize: Any, strides: Any, padding: str,
             data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """Maximum over ``ksize`` windows of NHWC ``value``."""
    _check_format(data_format)
    return ops.max_pool(value, _inner(ksize, "ksize", 2), _inner(strides, "strides", 2),
                        padding.lower(), name=name)


def avg_pool(value: Any, ksize: Any, strides: Any, padding: str,
             data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """Mean over ``ksize`` windows of NHWC ``value``."""
    _check_format(data_format)
    return ops.avg_pool(value, _inner(ksize, "ksize", 2), _inner(strides, "strides", 2),
                        padding.lower(), name=name)
