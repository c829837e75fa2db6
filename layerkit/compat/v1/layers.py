"""``tf.layers`` (partial): ``dense``, ``conv2d``, pooling, ``dropout`` and ``flatten``.

Each call opens a variable scope named ``name`` (default ``dense``, ``dense_1``... made unique)
and creates ``kernel`` and ``bias`` with ``get_variable``, so names and ``reuse`` follow TF1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.compat.v1 import initializers as _init
from layerkit.compat.v1 import nn
from layerkit.compat.v1.variables import get_variable, variable_scope
from layerkit.graph import ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor

__all__ = ["average_pooling2d", "conv2d", "dense", "dropout", "flatten", "max_pooling2d"]


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


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: Any = (1, 1),
           activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = None, trainable: bool = True, name: str | None = None,
           reuse: Any = None, **kwargs: Any) -> Tensor:
    """NHWC 2-D convolution with ``conv2d/kernel`` (HWIO) and ``conv2d/bias``."""
    refuse_unsupported("tf.layers.conv2d", kwargs)
    if data_format != "channels_last":
        raise NotImplementedError("tf.layers.conv2d: only data_format='channels_last'")
    inputs = convert_to_tensor(inputs)
    if len(inputs.shape) != 4 or inputs.shape[-1] is None:
        raise ValueError(f"conv2d: inputs must be [batch, height, width, channels] with known "
                         f"channels, got shape {tuple(inputs.shape)}")
    kh, kw = _pair(kernel_size)
    with variable_scope(name, default_name="conv2d", reuse=reuse):
        kernel = get_variable("kernel", (kh, kw, int(inputs.shape[-1]), int(filters)),
                              initializer=kernel_initializer, trainable=trainable)
        out = nn.conv2d(inputs, kernel, strides=[1, *_pair(strides), 1],
                        padding=padding.upper(), dilations=[1, *_pair(dilation_rate), 1])
        if use_bias:
            out = out + get_variable("bias", (int(filters),),
                                     initializer=bias_initializer or _init.Zeros(),
                                     trainable=trainable)
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
    """Dropout with ``rate`` when ``training`` is True (a Python bool), else the inputs."""
    if not isinstance(training, bool):
        raise NotImplementedError("tf.layers.dropout: training must be a Python bool here")
    if not training:
        return convert_to_tensor(inputs)
    return nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed, name=name)


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """``[batch, ...]`` to ``[batch, prod(...)]`` (the inner dims must be known)."""
    inputs = convert_to_tensor(inputs)
    inner = inputs.shape[1:]
    if any(d is None for d in inner):
        raise ValueError(f"flatten: the inner dimensions must be known, got shape "
                         f"{tuple(inputs.shape)}")
    return ops.reshape(inputs, (-1, int(np.prod(inner, dtype=np.int64))), name=name)
