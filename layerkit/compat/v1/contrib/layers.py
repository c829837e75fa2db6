"""``tf.contrib.layers``: ``flatten``, ``fully_connected`` and ``xavier_initializer``."""

from __future__ import annotations

from typing import Any

from layerkit.compat.v1 import initializers as _init
from layerkit.compat.v1 import layers as _layers
from layerkit.compat.v1.variables import get_variable, variable_scope
from layerkit.graph import ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor

__all__ = ["flatten", "fully_connected", "xavier_initializer"]

flatten = _layers.flatten


def xavier_initializer(uniform: bool = True, seed: int | None = None, dtype: Any = None) -> Any:
    """Glorot's initializer: uniform (the default) or normal."""
    cls = _init.GlorotUniform if uniform else _init.GlorotNormal
    return cls(seed=seed) if dtype is None else cls(seed=seed, dtype=dtype)


def fully_connected(inputs: Any, num_outputs: int, activation_fn: Any = ops.relu,
                    weights_initializer: Any = None, biases_initializer: Any = _init.Zeros,
                    trainable: bool = True, scope: str | None = None, reuse: Any = None,
                    **kwargs: Any) -> Tensor:
    """``activation_fn(inputs @ weights + biases)`` with ``fully_connected/weights`` and
    ``fully_connected/biases`` (ReLU by default, as TF1's contrib)."""
    _layers.refuse_unsupported("fully_connected", kwargs)
    inputs = convert_to_tensor(inputs)
    if len(inputs.shape) != 2 or inputs.shape[-1] is None:
        raise ValueError(f"fully_connected: inputs must be [batch, depth] with a known depth, "
                         f"got shape {tuple(inputs.shape)}")
    with variable_scope(scope, default_name="fully_connected", reuse=reuse):
        w = get_variable("weights", (int(inputs.shape[-1]), int(num_outputs)),
                         initializer=weights_initializer or xavier_initializer(),
                         trainable=trainable)
        out = ops.matmul(inputs, w)
        if biases_initializer is not None:
            out = out + get_variable("biases", (int(num_outputs),),
                                     initializer=biases_initializer, trainable=trainable)
        return activation_fn(out) if activation_fn is not None else out
