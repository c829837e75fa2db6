"""``tf.layers`` (partial): ``dense``, ``conv2d``, pooling, ``dropout``,
``batch_normalization`` and ``flatten``.

Each call opens a variable scope named ``name`` (default ``dense``, ``dense_1``... made unique)
and creates ``kernel`` and ``bias`` with ``get_variable``, so names and ``reuse`` follow TF1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.compat.v1 import initializers as _init
from layerkit.compat.v1 import nn
from layerkit.compat.v1.functions import cond
from layerkit.compat.v1.variables import get_variable, variable_scope
from layerkit.graph import ops
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.variables import assign

UPDATE_OPS = "update_ops"  # tf.GraphKeys.UPDATE_OPS

__all__ = ["average_pooling2d", "batch_normalization", "conv2d", "conv2d_transpose", "dense",
           "dropout", "flatten", "max_pooling2d"]


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


def refuse_unsupported(who: str, kwargs: dict[str, Any]) -> None:
    """Refuse set-but-unsupported arguments (regularizers, constraints...) instead of ignoring
    them silently."""
    bad = sorted(k for k, v in kwargs.items() if v is not None and k != "_reuse")
    if bad:
        raise NotImplementedError(f"{who}: arguments {bad} are not supported")


def _act(x: Tensor, activation: Any) -> Tensor:
    return activation(x) if activation is not None else x


def dense(inputs: Any, units: int, activation: Any = None, use_bias: bool = True,
          kernel_initializer: Any = None, bias_initializer: Any = None, trainable: bool = True,
          name: str | None = None, reuse: Any = None, **kwargs: Any) -> Tensor:
    """``activation(inputs @ kernel + bias)`` over the last axis of ``inputs``."""
    refuse_unsupported("tf.layers.dense", kwargs)
    inputs = convert_to_tensor(inputs)
    depth = inputs.shape[-1]
    if depth is None:
        raise ValueError(f"dense: the last dimension of the inputs must be known, got shape "
                         f"{tuple(inputs.shape)}")
    with variable_scope(name, default_name="dense", reuse=reuse):
        kernel = get_variable("kernel", (int(depth), int(units)), initializer=kernel_initializer,
                              trainable=trainable)
        out = ops.matmul(inputs, kernel) if len(inputs.shape) == 2 else \
            ops.einsum("...i,ij->...j", inputs, kernel)
        if use_bias:
            out = out + get_variable("bias", (int(units),),
                                     initializer=bias_initializer or _init.Zeros(),
                                     trainable=trainable)
        return _act(out, activation)


def conv2d_transpose(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last",
                     activation: Any = None, use_bias: bool = True,
                     kernel_initializer: Any = None, bias_initializer: Any = None,
                     trainable: bool = True, name: str | None = None, reuse: Any = None,
                     **kwargs: Any) -> Tensor:
    """NHWC transposed 2-D convolution with ``conv2d_transpose/kernel`` (``[h, w, filters,
    in_channels]``) and ``conv2d_transpose/bias``; ``size * stride`` outputs for ``"same"``,
    ``size * stride + max(kernel - stride, 0)`` for ``"valid"``."""
    inputs = _image_inputs("conv2d_transpose", inputs, data_format, kwargs)
    kh, kw = _pair(kernel_size)
    with variable_scope(name, default_name="conv2d_transpose", reuse=reuse):
        kernel = get_variable("kernel", (kh, kw, int(filters), int(inputs.shape[-1])),
                              initializer=kernel_initializer, trainable=trainable)
        out = ops.conv_transpose(inputs, kernel, strides=_pair(strides),
                                 padding=padding.lower())
        out = _with_bias(out, filters, use_bias, bias_initializer, trainable)
        return _act(out, activation)


def _image_inputs(what: str, inputs: Any, data_format: str, kwargs: dict) -> Tensor:
    """The inputs of a 2-D ``tf.layers`` op, checked: NHWC with known channels."""
    refuse_unsupported(f"tf.layers.{what}", kwargs)
    if data_format != "channels_last":
        raise NotImplementedError(f"tf.layers.{what}: only data_format='channels_last'")
    inputs = convert_to_tensor(inputs)
    if len(inputs.shape) != 4 or inputs.shape[-1] is None:
        raise ValueError(f"{what}: inputs must be [batch, height, width, channels] with known "
                         f"channels, got shape {tuple(inputs.shape)}")
    return inputs


def _with_bias(out: Tensor, filters: int, use_bias: bool, initializer: Any,
               trainable: bool) -> Tensor:
    if not use_bias:
        return out
    return out + get_variable("bias", (int(filters),), initializer=initializer or _init.Zeros(),
                              trainable=trainable)


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: Any = (1, 1),
           activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = None, trainable: bool = True, name: str | None = None,
           reuse: Any = None, **kwargs: Any) -> Tensor:
    """NHWC 2-D convolution with ``conv2d/kernel`` (HWIO) and ``conv2d/bias``."""
    inputs = _image_inputs("conv2d", inputs, data_format, kwargs)
    kh, kw = _pair(kernel_size)
    with variable_scope(name, default_name="conv2d", reuse=reuse):
        kernel = get_variable("kernel", (kh, kw, int(inputs.shape[-1]), int(filters)),
                              initializer=kernel_initializer, trainable=trainable)
        out = nn.conv2d(inputs, kernel, strides=[1, *_pair(strides), 1],
                        padding=padding.upper(), dilations=[1, *_pair(dilation_rate), 1])
        out = _with_bias(out, filters, use_bias, bias_initializer, trainable)
        return _act(out, activation)


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """NHWC max pooling."""
    return nn.max_pool(inputs, [1, *_pair(pool_size), 1], [1, *_pair(strides), 1],
                       padding.upper(), name=name)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """NHWC average pooling."""
    return nn.avg_pool(inputs, [1, *_pair(pool_size), 1], [1, *_pair(strides), 1],
                       padding.upper(), name=name)


def dropout(inputs: Any, rate: float = 0.5, noise_shape: Any = None, seed: Any = None,
            training: Any = False, name: str | None = None) -> Tensor:
    """Dropout with ``rate`` in training (a Python bool, or a bool tensor such as a
    placeholder, chosen when the graph runs), else the inputs."""
    inputs = convert_to_tensor(inputs)
    if isinstance(training, bool):
        if not training:
            return inputs
        return nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed, name=name)
    return cond(training, lambda: nn.dropout(inputs, rate=rate, noise_shape=noise_shape,
                                             seed=seed),
                lambda: inputs, name=name or "dropout")


def batch_normalization(inputs: Any, axis: int = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = None, gamma_initializer: Any = None,
                        moving_mean_initializer: Any = None,
                        moving_variance_initializer: Any = None, training: Any = False,
                        trainable: bool = True, name: str | None = None, reuse: Any = None,
                        **kwargs: Any) -> Tensor:
    """Batch normalization over every axis but ``axis``: with the batch's mean and variance in
    training (a Python bool or a bool tensor), with the moving ones otherwise. As in TF1, the
    moving averages' updates go to ``tf.GraphKeys.UPDATE_OPS``: run them with the train op
    (``with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS))``)."""
    refuse_unsupported("tf.layers.batch_normalization", kwargs)
    inputs = convert_to_tensor(inputs)
    if inputs.shape is None:
        raise ValueError("batch_normalization: the inputs need a known rank")
    rank = len(inputs.shape)
    axis %= rank
    depth = inputs.shape[axis]
    if depth is None:
        raise ValueError(f"batch_normalization: axis {axis} of the inputs must be known, got "
                         f"shape {tuple(inputs.shape)}")
    reduce_axes = [a for a in range(rank) if a != axis]
    shape = [1] * rank
    shape[axis] = int(depth)
    with variable_scope(name, default_name="batch_normalization", reuse=reuse):
        def variable(var_name, initializer, default, learn):
            return get_variable(var_name, (int(depth),), initializer=initializer or default,
                                trainable=trainable and learn)

        gamma = variable("gamma", gamma_initializer, _init.Ones(), True) if scale else None
        beta = variable("beta", beta_initializer, _init.Zeros(), True) if center else None
        moving_mean = variable("moving_mean", moving_mean_initializer, _init.Zeros(), False)
        moving_var = variable("moving_variance", moving_variance_initializer, _init.Ones(),
                              False)

        def normalized(mean: Tensor, variance: Tensor) -> Tensor:
            out = (inputs - ops.reshape(mean, shape)) / ops.sqrt(
                ops.reshape(variance, shape) + epsilon)
            if gamma is not None:
                out = out * ops.reshape(gamma, shape)
            return out + ops.reshape(beta, shape) if beta is not None else out

        if isinstance(training, bool) and not training:
            return normalized(moving_mean, moving_var)
        mean, variance = nn.moments(inputs, axes=reduce_axes)
        if isinstance(training, bool):
            decay, out = convert_to_tensor(momentum, dtype=inputs.dtype), normalized(mean,
                                                                                    variance)
        else:  # chosen when the graph runs; the averages stay put when not training
            decay = cond(training, lambda: convert_to_tensor(momentum, dtype=inputs.dtype),
                         lambda: convert_to_tensor(1.0, dtype=inputs.dtype))
            out = cond(training, lambda: normalized(mean, variance),
                       lambda: normalized(moving_mean, moving_var))
        graph = get_default_graph()
        for var, value in ((moving_mean, mean), (moving_var, variance)):
            update = assign(var, var * decay + ops.stop_gradient(value) * (1.0 - decay))
            graph.add_to_collection(UPDATE_OPS, update)
        return out


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """``[batch, ...]`` to ``[batch, prod(...)]`` (the inner dims must be known)."""
    inputs = convert_to_tensor(inputs)
    inner = inputs.shape[1:]
    if any(d is None for d in inner):
        raise ValueError(f"flatten: the inner dimensions must be known, got shape "
                         f"{tuple(inputs.shape)}")
    return ops.reshape(inputs, (-1, int(np.prod(inner, dtype=np.int64))), name=name)
