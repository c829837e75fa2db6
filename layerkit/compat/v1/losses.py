"""``tf.losses``: TF1's loss functions, their weighted reductions, and the ``LOSSES``
collection (``get_losses``, ``get_total_loss``).

Each loss computes per-element losses, weighs them by ``weights`` (a scalar, or a tensor that
broadcasts to them) and reduces them by ``reduction``; the default,
``SUM_BY_NONZERO_WEIGHTS``, divides the weighted sum by the number of non-zero weights (as
broadcast), so with ``weights=1.0`` it is the mean. The result joins ``loss_collection``
(``tf.GraphKeys.LOSSES``), which ``get_total_loss`` sums with the regularization losses.
"""

from __future__ import annotations

from typing import Any

from layerkit.compat.v1 import nn
from layerkit.compat.v1.functions import add_n
from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import convert_to_tensor

LOSSES = "losses"
REGULARIZATION_LOSSES = "regularization_losses"


class Reduction:
    """How ``compute_weighted_loss`` reduces the weighted losses."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_BY_NONZERO_WEIGHTS)


def compute_weighted_loss(losses: Any, weights: Any = 1.0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """``losses`` weighed by ``weights`` and reduced by ``reduction``; added to
    ``loss_collection``."""
    if reduction not in Reduction.all():
        raise ValueError(f"Invalid reduction {reduction!r}; use one of {Reduction.all()}")
    losses = convert_to_tensor(losses)
    if not dtypes.is_floating(losses.dtype):
        losses = ops.cast(losses, "float32")
    graph = get_default_graph()
    with graph.name_scope(scope or "weighted_loss"):
        weights = ops.cast(convert_to_tensor(weights), losses.dtype)
        weighted = ops.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            total = ops.sum(weighted)
            spread = ops.multiply(ops.ones_like(losses), weights)  # weights as broadcast
            if reduction == Reduction.MEAN:
                loss = _safe_divide(total, ops.sum(spread))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _safe_divide(total, ops.sum(ops.ones_like(losses)))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                nonzero = ops.cast(ops.not_equal(spread, 0.0), losses.dtype)
                loss = _safe_divide(total, ops.sum(nonzero))
            else:
                loss = total
    if loss_collection:
        graph.add_to_collection(loss_collection, loss)
    return loss


def _safe_divide(numerator: Tensor, denominator: Tensor) -> Tensor:
    """``numerator / denominator``, or 0 where the denominator is 0 (as TF's losses do)."""
    safe = ops.where(ops.greater(denominator, 0.0), denominator, ops.ones_like(denominator))
    return ops.where(ops.greater(denominator, 0.0), ops.divide(numerator, safe),
                     ops.zeros_like(numerator))


def _float(x: Any, like: Tensor | None = None) -> Tensor:
    x = convert_to_tensor(x)
    dtype = like.dtype if like is not None else (x.dtype if dtypes.is_floating(x.dtype)
                                                   else dtypes.float32)
    return x if x.dtype == dtype else ops.cast(x, dtype)


def _check_same_shape(what: str, a: Tensor, b: Tensor, names: tuple[str, str]) -> None:
    if a.shape is not None and b.shape is not None and len(a.shape) == len(b.shape) and any(
            x is not None and y is not None and x != y for x, y in zip(a.shape, b.shape)):
        raise ValueError(f"tf.losses.{what}: {names[0]} {tuple(a.shape)} and {names[1]} "
                         f"{tuple(b.shape)} must have the same shape")


def _pair(what: str, labels: Any, predictions: Any,
          names: tuple[str, str] = ("labels", "predictions")) -> tuple[Tensor, Tensor]:
    """Labels and predictions (or logits) as float tensors of one shape."""
    predictions = _float(predictions)
    labels = _float(labels, predictions)
    _check_same_shape(what, labels, predictions, names)
    return labels, predictions


def softmax_cross_entropy(onehot_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0.0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Softmax cross-entropy of one-hot labels (smoothed to ``(1 - s) * y + s / classes``)."""
    labels, logits = _pair("softmax_cross_entropy", onehot_labels, logits,
                           ("onehot_labels", "logits"))
    if label_smoothing:
        classes = logits.shape[-1]
        labels = labels * (1.0 - label_smoothing) + label_smoothing / classes
    losses = nn.softmax_cross_entropy_with_logits_v2(ops.stop_gradient(labels), logits)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels: Any, logits: Any, weights: Any = 1.0,
                                 scope: str | None = None, loss_collection: str | None = LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Softmax cross-entropy of integer class ``labels``."""
    losses = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0.0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Element-wise sigmoid cross-entropy (labels smoothed to ``(1 - s) * y + s / 2``)."""
    labels, logits = _pair("sigmoid_cross_entropy", multi_class_labels, logits,
                           ("multi_class_labels", "logits"))
    if label_smoothing:
        labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
    losses = nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def mean_squared_error(labels: Any, predictions: Any, weights: Any = 1.0,
                       scope: str | None = None, loss_collection: str | None = LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted squared differences."""
    labels, predictions = _pair("mean_squared_error", labels, predictions)
    losses = ops.square(ops.subtract(predictions, labels))
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def absolute_difference(labels: Any, predictions: Any, weights: Any = 1.0,
                        scope: str | None = None, loss_collection: str | None = LOSSES,
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted absolute differences."""
    labels, predictions = _pair("absolute_difference", labels, predictions)
    losses = ops.abs(ops.subtract(predictions, labels))
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def huber_loss(labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0,
               scope: str | None = None, loss_collection: str | None = LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Quadratic within ``delta`` of the label, linear beyond it."""
    labels, predictions = _pair("huber_loss", labels, predictions)
    error = ops.abs(ops.subtract(predictions, labels))
    quadratic = ops.minimum(error, delta)
    losses = 0.5 * ops.square(quadratic) + delta * (error - quadratic)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def log_loss(labels: Any, predictions: Any, weights: Any = 1.0, epsilon: float = 1e-7,
             scope: str | None = None, loss_collection: str | None = LOSSES,
             reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Binary cross-entropy of probabilities: ``-y log(p + eps) - (1 - y) log(1 - p + eps)``."""
    labels, predictions = _pair("log_loss", labels, predictions)
    losses = -labels * ops.log(predictions + epsilon) \
        - (1.0 - labels) * ops.log(1.0 - predictions + epsilon)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def add_loss(loss: Any, loss_collection: str = LOSSES) -> None:
    """Add a loss of your own to ``loss_collection``."""
    get_default_graph().add_to_collection(loss_collection, convert_to_tensor(loss))


def get_losses(scope: str | None = None, loss_collection: str = LOSSES) -> list[Tensor]:
    """The losses in ``loss_collection`` (those whose name starts with ``scope``)."""
    found = get_default_graph().get_collection(loss_collection)
    return [t for t in found if scope is None or t.name.startswith(scope)]


def get_regularization_losses(scope: str | None = None) -> list[Tensor]:
    return get_losses(scope, REGULARIZATION_LOSSES)


def get_regularization_loss(scope: str | None = None, name: str = "total_regularization_loss"
                            ) -> Tensor:
    losses = get_regularization_losses(scope)
    return add_n(losses, name=name) if losses else convert_to_tensor(0.0)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: str | None = None) -> Tensor:
    """The sum of the collected losses (and regularization losses); an error if none."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found: compute one with tf.losses.* or add one with "
                         "tf.losses.add_loss first")
    return add_n(losses, name=name)


__all__ = [
    "Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss", "huber_loss",
    "log_loss", "mean_squared_error", "sigmoid_cross_entropy", "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]
