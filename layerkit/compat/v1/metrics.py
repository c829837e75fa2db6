"""``tf.metrics``: streaming metrics as TF1 has them. Each returns ``(value, update_op)``:
``update_op`` adds a batch to the metric's local variables (``tf.GraphKeys.LOCAL_VARIABLES``,
initialized by ``tf.local_variables_initializer()``) and yields the value after it; ``value``
reads the accumulated value. Within one ``run`` every read sees the variables from before it
(the house rule), so fetch ``update_op`` per batch and ``value`` at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from layerkit.compat.v1.variables import Variable
from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.variables import assign

LOCAL_VARIABLES = "local_variables"
METRIC_VARIABLES = "metric_variables"


def _local(name: str, shape: Sequence[int] = ()) -> Variable:
    """A float32 zero-initialized local variable of a metric."""
    return Variable(np.zeros(tuple(shape), np.float32), trainable=False, name=name,
                    collections=[LOCAL_VARIABLES, METRIC_VARIABLES])


def _float(x: Any) -> Tensor:
    x = convert_to_tensor(x)
    return x if x.dtype == dtypes.float32 else ops.cast(x, "float32")


def _div_no_nan(a: Tensor, b: Tensor) -> Tensor:
    positive = ops.greater(b, 0.0)
    return ops.where(positive, ops.divide(a, ops.where(positive, b, ops.ones_like(b))),
                     ops.zeros_like(a))


def _collect(value: Tensor, update: Tensor, metrics_collections: Any,
             updates_collections: Any) -> tuple[Tensor, Tensor]:
    graph = get_default_graph()
    for key in metrics_collections or ():
        graph.add_to_collection(key, value)
    for key in updates_collections or ():
        graph.add_to_collection(key, update)
    return value, update


def _weights_like(values: Tensor, weights: Any) -> Tensor:
    ones = ops.ones_like(values)
    return ones if weights is None else ops.multiply(ones, _float(weights))


def mean(values: Any, weights: Any = None, metrics_collections: Any = None,
         updates_collections: Any = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """The (weighted) mean of every value seen."""
    with get_default_graph().name_scope(name or "mean"):
        values = _float(values)
        weights = _weights_like(values, weights)
        total, count = _local("total"), _local("count")
        new_total = assign(total, total + ops.sum(ops.multiply(values, weights)))
        new_count = assign(count, count + ops.sum(weights))
        value = _div_no_nan(total, count)
        update = _div_no_nan(new_total, new_count)
    return _collect(value, update, metrics_collections, updates_collections)


def _check_same_shape(what: str, labels: Tensor, predictions: Tensor) -> None:
    a, b = labels.shape, predictions.shape
    if a is not None and b is not None and (len(a) != len(b) or any(
            x is not None and y is not None and x != y for x, y in zip(a, b))):
        raise ValueError(f"tf.metrics.{what}: labels {tuple(a)} and predictions {tuple(b)} "
                         "must have the same shape")


def accuracy(labels: Any, predictions: Any, weights: Any = None,
             metrics_collections: Any = None, updates_collections: Any = None,
             name: str | None = None) -> tuple[Tensor, Tensor]:
    """How often ``predictions`` equals ``labels``."""
    labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
    _check_same_shape("accuracy", labels, predictions)
    if labels.dtype != predictions.dtype:
        labels = ops.cast(labels, predictions.dtype)
    correct = ops.cast(ops.equal(predictions, labels), "float32")
    return mean(correct, weights, metrics_collections, updates_collections,
                name=name or "accuracy")


def _as_truth(t: Any) -> Tensor:
    """1.0 where ``t`` is true (non-zero), else 0.0."""
    t = convert_to_tensor(t)
    return _float(t if t.dtype == dtypes.bool_ else ops.not_equal(t, ops.zeros_like(t)))


def _true_false(labels: Any, predictions: Any, what: str) -> tuple[Tensor, Tensor]:
    labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
    _check_same_shape(what, labels, predictions)
    return _as_truth(labels), _as_truth(predictions)


def _ratio_of_counts(kind: str, labels: Any, predictions: Any, weights: Any,
                     metrics_collections: Any, updates_collections: Any,
                     name: str | None) -> tuple[Tensor, Tensor]:
    """precision = tp / (tp + fp), recall = tp / (tp + fn), from counts kept locally."""
    with get_default_graph().name_scope(name or kind):
        y, p = _true_false(labels, predictions, kind)
        w = _weights_like(y, weights)
        true_pos = _local("true_positives")
        other = _local("false_positives" if kind == "precision" else "false_negatives")
        miss = p * (1.0 - y) if kind == "precision" else (1.0 - p) * y
        new_tp = assign(true_pos, true_pos + ops.sum(p * y * w))
        new_other = assign(other, other + ops.sum(miss * w))
        value = _div_no_nan(true_pos, true_pos + other)
        update = _div_no_nan(new_tp, new_tp + new_other)
    return _collect(value, update, metrics_collections, updates_collections)


def precision(labels: Any, predictions: Any, weights: Any = None,
              metrics_collections: Any = None, updates_collections: Any = None,
              name: str | None = None) -> tuple[Tensor, Tensor]:
    """Of the predicted positives (non-zero ``predictions``), the share that are positive."""
    return _ratio_of_counts("precision", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def recall(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
           updates_collections: Any = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """Of the positives (non-zero ``labels``), the share predicted positive."""
    return _ratio_of_counts("recall", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def auc(labels: Any, predictions: Any, weights: Any = None, num_thresholds: int = 200,
        metrics_collections: Any = None, updates_collections: Any = None, curve: str = "ROC",
        name: str | None = None, summation_method: str = "trapezoidal") -> tuple[Tensor, Tensor]:
    """The area under the ROC (or ``curve="PR"``) curve, from confusion counts at
    ``num_thresholds`` thresholds spread over [0, 1], summed by trapezoids, as TF1 does."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"tf.metrics.auc: curve must be 'ROC' or 'PR', got {curve!r}")
    if summation_method != "trapezoidal":
        raise NotImplementedError("tf.metrics.auc: only summation_method='trapezoidal'")
    if num_thresholds < 2:
        raise ValueError(f"tf.metrics.auc: num_thresholds must be > 1, got {num_thresholds}")
    epsilon = 1e-7
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-epsilon, *inner, 1.0 + epsilon], np.float32)
    with get_default_graph().name_scope(name or "auc"):
        y = ops.reshape(_as_truth(labels), [-1, 1])
        p = ops.reshape(_float(predictions), [-1, 1])
        w = ops.reshape(_weights_like(_float(predictions), weights), [-1, 1])
        above = _float(ops.greater(p, convert_to_tensor(thresholds[None, :])))
        counts = {"true_positives": above * y, "false_negatives": (1.0 - above) * y,
                  "true_negatives": (1.0 - above) * (1.0 - y),
                  "false_positives": above * (1.0 - y)}
        variables = {k: _local(k, (num_thresholds,)) for k in counts}
        new = {k: assign(v, v + ops.sum(counts[k] * w, axis=0)) for k, v in variables.items()}
        value = _area(*(variables[k] for k in ("true_positives", "false_negatives",
                                               "true_negatives", "false_positives")),
                      curve, epsilon)
        update = _area(new["true_positives"], new["false_negatives"], new["true_negatives"],
                       new["false_positives"], curve, epsilon)
    return _collect(value, update, metrics_collections, updates_collections)


def _area(tp: Tensor, fn: Tensor, tn: Tensor, fp: Tensor, curve: str, epsilon: float) -> Tensor:
    recall_ = ops.divide(tp + epsilon, tp + fn + epsilon)
    if curve == "ROC":
        x, y = ops.divide(fp, fp + tn + epsilon), recall_
    else:
        x, y = recall_, ops.divide(tp + epsilon, tp + fp + epsilon)
    return ops.sum(ops.multiply(x[:-1] - x[1:], (y[:-1] + y[1:]) / 2.0))


def mean_squared_error(labels: Any, predictions: Any, weights: Any = None,
                       metrics_collections: Any = None, updates_collections: Any = None,
                       name: str | None = None) -> tuple[Tensor, Tensor]:
    predictions = _float(predictions)
    return mean(ops.square(predictions - _float(labels)), weights, metrics_collections,
                updates_collections, name=name or "mean_squared_error")


def mean_absolute_error(labels: Any, predictions: Any, weights: Any = None,
                        metrics_collections: Any = None, updates_collections: Any = None,
                        name: str | None = None) -> tuple[Tensor, Tensor]:
    predictions = _float(predictions)
    return mean(ops.abs(predictions - _float(labels)), weights, metrics_collections,
                updates_collections, name=name or "mean_absolute_error")


__all__ = ["accuracy", "auc", "mean", "mean_absolute_error", "mean_squared_error",
           "precision", "recall"]
