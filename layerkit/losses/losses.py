"""Loss functions (per-sample losses) and their ``Loss`` classes, as in Keras 3.

Each function returns one loss per sample (the mean over the last axis where Keras takes it).
The probability forms clip predictions to ``[epsilon, 1 - epsilon]`` as Keras does; the
``from_logits=True`` forms never leave log space (``log_softmax``, ``softplus``), so they stay
finite and have exact gradients for any logits.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, dtypes
from layerkit.losses import runtime as rt
from layerkit.losses.loss import Loss
from layerkit.utils.serialization import function_from_config


def loss_function(fn: Callable[..., Tensor]) -> Callable[..., Any]:
    """Make ``fn(y_true, y_pred, **options)`` (graph code) callable on tensors, returning a
    tensor, and on plain values outside ``symbolic_scope()``, returning numpy."""

    @functools.wraps(fn)
    def wrapper(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        if rt.is_symbolic(y_true, y_pred):
            with rt.graph_of(y_pred, y_true).as_default():
                return fn(y_true, y_pred, *args, **kwargs)
        key = (fn, rt.freeze(args), rt.freeze(kwargs))
        return rt.run_eagerly(key, lambda t, p: fn(t, p, *args, **kwargs), [y_true, y_pred])

    wrapper._graph_fn = fn
    return wrapper


def _float_pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = rt.as_float(y_pred)
    return rt.as_tensor(y_true, y_pred.dtype), y_pred


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type "
                         f"{type(axis)}")


def _check_same_shape(target: Tensor, output: Tensor, what: str) -> None:
    if target.shape is None or output.shape is None:
        return
    if len(target.shape) != len(output.shape) or any(
            a is not None and b is not None and a != b
            for a, b in zip(target.shape, output.shape)):
        raise ValueError(f"{what}: arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")


# -- regression -------------------------------------------------------------------------------


@loss_function
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


@loss_function
def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


@loss_function
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """The Huber loss, the mean over the last axis of ``0.5 * x**2`` where ``|x| <= delta``
    and ``delta * |x| - 0.5 * delta**2`` elsewhere, for the error ``x = y_pred - y_true``."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
    delta = float(delta)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


# -- probabilistic ----------------------------------------------------------------------------


@loss_function
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """The binary crossentropy, averaged over ``axis`` (the last by default).

    ``label_smoothing`` squeezes the labels towards 0.5: ``y * (1 - s) + 0.5 * s``.
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # -[y log(sigmoid(x)) + (1 - y) log(sigmoid(-x))], with log(sigmoid(x)) = -softplus(-x)
        bce = y_true * ops.softplus(-y_pred) + (1.0 - y_true) * ops.softplus(y_pred)
    else:
        eps = K.epsilon()
        p = ops.clip(y_pred, eps, 1.0 - eps)
        bce = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(bce, axis=axis)


@loss_function
def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """The crossentropy of one-hot (or soft) labels ``y_true`` and predictions over ``axis``.

    ``label_smoothing`` moves the labels towards uniform: ``y * (1 - s) + s / num_classes``.
    Probabilities are renormalized to sum to 1 and clipped to ``[epsilon, 1 - epsilon]``.
    """
    _check_axis(axis)
    y_true, y_pred = _float_pair(y_true, y_pred)
    _check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if y_pred.shape is not None and y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning, stacklevel=3)
    if label_smoothing:
        num_classes = rt.dim_size(y_true, -1)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return -ops.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


def _log_probabilities(y_pred: Tensor, from_logits: bool, axis: int) -> Tensor:
    if from_logits:
        return ops.log_softmax(y_pred, axis=axis)
    eps = K.epsilon()
    p = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    return ops.log(ops.clip(p, eps, 1.0 - eps))


@loss_function
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """The crossentropy of integer labels ``y_true`` (shape ``(batch,)`` or ``(batch, 1)``,
    int or whole-valued float) and predictions ``y_pred`` over ``axis``.

    With ``ignore_class``, samples of that label get loss 0 and are left out of the mean (the
    result carries a mask that ``Loss`` reductions use).
    """
    _check_axis(axis)
    y_pred = rt.as_float(y_pred)
    y_true = rt.as_tensor(y_true)
    if rt.rank(y_true) == rt.rank(y_pred) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    r = rt.rank(y_pred)
    if r < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={y_pred.shape}")
    a = axis % r if -r <= axis < r else axis
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != a)
    if len(y_true.shape) != len(expected) or any(
            t is not None and e is not None and t != e for t, e in zip(y_true.shape, expected)):
        raise ValueError("Arguments `target` and `output` must have the same shape up until "
                         f"the last dimension: target.shape={y_true.shape}, "
                         f"output.shape={y_pred.shape}")
    num_classes = y_pred.shape[a]
    if num_classes is None:
        raise ValueError("sparse_categorical_crossentropy needs the number of classes (the "
                         f"size of axis {axis} of y_pred) to be known; got {y_pred.shape}")
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(y_true, ops.cast(rt.as_tensor(ignore_class), y_true.dtype))
        y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
    labels = y_true if dtypes.is_integer(y_true.dtype) else ops.cast(y_true, "int32")
    one_hot = ops.one_hot(labels, num_classes, axis=a, dtype=y_pred.dtype)
    result = -ops.sum(one_hot * _log_probabilities(y_pred, from_logits, a), axis=a)
    if valid is not None:
        result = ops.where(valid, result, ops.zeros_like(result))
        result._keras_mask = valid
    return result


# -- Loss classes -----------------------------------------------------------------------------


class LossFunctionWrapper(Loss):
    """A ``Loss`` computing ``fn(y_true, y_pred, **kwargs)`` per sample (after Keras's rank
    alignment of ``y_true`` and ``y_pred``)."""

    def __init__(self, fn: Callable[..., Any], reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> LossFunctionWrapper:
        config = dict(config)
        if "fn" in config:
            config["fn"] = function_from_config(config["fn"], FUNCTIONS_BY_NAME,
                                                "LossFunctionWrapper")
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _KerasLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments."""

    _options: tuple[str, ...] = ()

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update({k: getattr(self, k) for k in self._options})
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        options = "".join(f" {k}={getattr(self, k)!r}" for k in self._options)
        return f"<{type(self).__name__} name={self.name} reduction={self.reduction}{options}>"


class MeanSquaredError(_KerasLoss):
    """``mean(square(y_true - y_pred))``."""

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_KerasLoss):
    """``mean(abs(y_true - y_pred))``."""

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class Huber(_KerasLoss):
    """The Huber loss (quadratic within ``delta`` of the target, linear beyond)."""

    _options = ("delta",)

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta


class BinaryCrossentropy(_KerasLoss):
    """The binary crossentropy of 0/1 labels and probabilities (or logits)."""

    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_crossentropy", dtype: Any = None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(_KerasLoss):
    """The crossentropy of one-hot labels and class probabilities (or logits)."""

    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: Any = None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(_KerasLoss):
    """The crossentropy of integer labels and class probabilities (or logits)."""

    _options = ("from_logits", "ignore_class")

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class


# The loss functions by name (Keras's short aliases too), for configs that name one.
FUNCTIONS_BY_NAME: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, huber, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy)}
FUNCTIONS_BY_NAME.update({"mse": mean_squared_error, "MSE": mean_squared_error,
                          "mae": mean_absolute_error, "MAE": mean_absolute_error,
                          "bce": binary_crossentropy, "BCE": binary_crossentropy})
