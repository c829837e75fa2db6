"""Activation functions with Keras 3's names, signatures and defaults (``keras.activations``).

Each is built from graph ops, so both backends run it and both autodiffs differentiate it. Called
on a symbolic tensor (as layers do) an activation returns a tensor; called on a value (a numpy
array, a list) outside a model's tracing it computes the result at once and returns an array.

``get(identifier)`` turns a name, a callable or None (``linear``) into the function; ``serialize``
gives a built-in activation's name, as Keras stores it in a layer's config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit import ops
from layerkit.graph import Tensor, convert_to_tensor
from layerkit.ops import eager
from layerkit.ops.nn import (
    SELU_ALPHA,
    SELU_SCALE,
    elu_graph,
    gelu_graph,
    hard_sigmoid_graph,
    leaky_relu_graph,
)
from layerkit.utils.object_registration import custom_objects_in_scope

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu",
    "hard_swish", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu",
    "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
]


def _keep_logits(output: Any, x: Any) -> Any:
    """Remember the logits on a softmax/sigmoid output, as Keras does, so a crossentropy loss
    given probabilities can use the logits instead (exact, and no clipping needed)."""
    if isinstance(output, Tensor):
        output._keras_logits = convert_to_tensor(x) if eager.is_tensor(x) else x
    return output


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0):
    """Rectified linear unit: ``max(x, 0)`` with the defaults.

    ``threshold``: values at or below it become 0 (``x * (x > threshold)``); ``max_value``:
    the output is clipped to ``[0, max_value]``; ``negative_slope``: below the threshold the
    output is ``negative_slope * (x - threshold)`` instead of 0 (as in Keras, where a
    ``max_value`` clip comes before the negative part is added).
    """
    def build(x):
        if negative_slope != 0.0 and max_value is None and threshold == 0.0:
            return leaky_relu_graph(x, negative_slope)
        if negative_slope != 0.0:
            negative_part = ops.relu(threshold - x) if threshold != 0.0 else ops.relu(-x)
        if threshold != 0.0:
            y = x * ops.cast(ops.greater(x, threshold), x.dtype)
        else:
            y = ops.relu(x)
        if max_value is not None:
            y = ops.clip(y, 0.0, max_value)
        if negative_slope != 0.0:
            y = y - negative_slope * negative_part
        return y

    return eager.call_float(build, x, "relu")




def leaky_relu(x, negative_slope: float = 0.2):
    """``x`` where ``x >= 0``, else ``negative_slope * x``."""
    return eager.call_float(lambda t: leaky_relu_graph(t, negative_slope), x, "leaky_relu")


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return eager.call_float(lambda t: ops.clip(t, 0.0, 6.0), x, "relu6")


def sigmoid(x):
    """``1 / (1 + exp(-x))``, computed without overflow."""
    return _keep_logits(eager.call_float(ops.sigmoid, x, "sigmoid"), x)


def tanh(x):
    """Hyperbolic tangent."""
    return eager.call_float(ops.tanh, x, "tanh")


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice becomes a probability distribution."""
    return _keep_logits(eager.call_float(lambda t: ops.softmax(t, axis=axis), x, "softmax"), x)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``: the log of ``softmax``, computed without overflow."""
    return eager.call_float(lambda t: ops.log_softmax(t, axis=axis), x, "log_softmax")


def softplus(x):
    """``log(exp(x) + 1)``, computed without overflow."""
    return eager.call_float(ops.softplus, x, "softplus")


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return eager.call_float(lambda t: t / (ops.abs(t) + 1.0), x, "softsign")




def elu(x, alpha: float = 1.0):
    """Exponential linear unit: ``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return eager.call_float(lambda t: elu_graph(t, alpha), x, "elu")


def selu(x):
    """Scaled exponential linear unit: ``scale * elu(x, alpha)`` with SELU's fixed constants
    (``alpha ~ 1.6733``, ``scale ~ 1.0507``); use it with ``lecun_normal`` initial weights."""
    return eager.call_float(lambda t: SELU_SCALE * elu_graph(t, SELU_ALPHA), x, "selu")


def celu(x, alpha: float = 1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * min(exp(x / alpha) - 1, 0)``."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return eager.call_float(lambda t: alpha * elu_graph(t / alpha, 1.0), x, "celu")




def gelu(x, approximate: bool = False):
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal ``X``, i.e.
    ``0.5 * x * (1 + erf(x / sqrt(2)))``; ``approximate=True`` uses the tanh approximation
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``."""
    return eager.call_float(lambda t: gelu_graph(t, approximate), x, "gelu")


def silu(x):
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``."""
    return eager.call_float(lambda t: t * ops.sigmoid(t), x, "silu")


swish = silu




def hard_sigmoid(x):
    """Piecewise-linear sigmoid, as Keras 3: 0 for ``x <= -3``, 1 for ``x >= 3``,
    ``x / 6 + 0.5`` between (Keras 2's slope was 0.2; Keras 3 follows JAX and PyTorch)."""
    return eager.call_float(hard_sigmoid_graph, x, "hard_sigmoid")


def hard_silu(x):
    """Hard swish: ``x * hard_sigmoid(x)``."""
    return eager.call_float(lambda t: t * hard_sigmoid_graph(t), x, "hard_silu")


hard_swish = hard_silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    return eager.call_float(lambda t: t * ops.tanh(ops.softplus(t)), x, "mish")


def exponential(x):
    """``exp(x)``."""
    return eager.call_float(ops.exp, x, "exponential")


def linear(x):
    """The identity: returns ``x`` itself, unmodified."""
    return x


# -- lookup and serialization -----------------------------------------------------------------
_BUILTINS: dict[str, Callable] = {fn.__name__: fn for fn in (
    relu, leaky_relu, relu6, sigmoid, tanh, softmax, log_softmax, softplus, softsign, elu, selu,
    celu, gelu, silu, hard_sigmoid, hard_silu, mish, exponential, linear,
)}
_ALIASES: dict[str, Callable] = {"swish": silu, "hard_swish": hard_silu}
ALL_OBJECTS_DICT: dict[str, Callable] = {**_BUILTINS, **_ALIASES}


def _unknown(identifier: Any) -> ValueError:
    names = ", ".join(sorted(ALL_OBJECTS_DICT))
    return ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                      f"Known activations: {names}")


def serialize(activation: Callable) -> str:
    """The name of a built-in activation (what Keras stores in a layer's config)."""
    name = getattr(activation, "__name__", None)
    if name in _BUILTINS and _BUILTINS[name] is activation:
        return name
    raise ValueError(f"Unknown activation function {activation!r} cannot be serialized: only "
                     f"the built-in activations can ({', '.join(sorted(_BUILTINS))})")


def deserialize(config: Any, custom_objects: dict[str, Callable] | None = None) -> Callable:
    """The activation named by ``config``: a name, or a Keras 3 function config
    ``{"class_name": "function", "config": "relu", ...}``."""
    custom_objects = custom_objects_in_scope(custom_objects)
    name = config
    if isinstance(config, dict):
        inner = config.get("config")
        name = inner if isinstance(inner, str) else config.get("class_name")
    if isinstance(name, str):
        if name in custom_objects:
            return custom_objects[name]
        if name in ALL_OBJECTS_DICT:
            return ALL_OBJECTS_DICT[name]
    raise _unknown(config)


def get(identifier: Any) -> Callable:
    """An activation function from a name, a config dict, or a callable; None gives ``linear``.

    An unknown name raises ``ValueError`` listing the known ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise _unknown(identifier)
