"""Accuracy metrics: per-sample match functions and their ``MeanMetricWrapper`` classes."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, dtypes
from layerkit.losses import runtime as rt
from layerkit.losses.losses import loss_function
from layerkit.metrics.reduction_metrics import MeanMetricWrapper


def _matches(a: Tensor, b: Tensor) -> Tensor:
    return ops.cast(ops.equal(a, b), K.floatx())


@loss_function
def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1 where ``y_pred == y_true``, averaged over the last axis."""
    y_pred = rt.as_tensor(y_pred)
    y_true = rt.as_tensor(y_true, y_pred.dtype)
    y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(_matches(y_true, y_pred), axis=-1)


@loss_function
def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """1 where ``(y_pred > threshold) == y_true``, averaged over the last axis."""
    y_true = rt.as_tensor(y_true)
    y_pred = rt.as_float(y_pred)
    y_true, y_pred = rt.squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, float(threshold)), y_true.dtype)
    return ops.mean(_matches(y_true, predicted), axis=-1)


@loss_function
def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1 where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``."""
    y_pred = rt.as_tensor(y_pred)
    labels = ops.argmax(rt.as_tensor(y_true), axis=-1)
    if rt.rank(labels) == rt.rank(y_pred):
        labels = ops.squeeze(labels, -1)
    return _matches(labels, ops.argmax(y_pred, axis=-1))


@loss_function
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1 where the argmax of ``y_pred`` is the integer label ``y_true`` (shape ``(batch,)``
    or ``(batch, 1)``)."""
    y_pred = rt.as_tensor(y_pred)
    y_true = rt.as_tensor(y_true)
    if rt.rank(y_true) == rt.rank(y_pred) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    predicted = ops.argmax(y_pred, axis=-1)
    if predicted.dtype != y_true.dtype:
        predicted = ops.cast(predicted, y_true.dtype)
    matches = _matches(y_true, predicted)
    if matches.shape and len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


def in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Tensor:
    """Whether the prediction for each integer target is among the ``k`` largest of its row
    (ties count in the target's favour, as in Keras: its rank is 1 + the number of strictly
    larger predictions; a NaN prediction is never in the top k)."""
    num_classes = predictions.shape[-1] if predictions.shape else None
    if num_classes is None:
        raise ValueError("top-k accuracy needs the number of classes (the last dimension of "
                         f"y_pred) to be known; got {predictions.shape}")
    predictions = rt.as_float(predictions)
    labels = targets if dtypes.is_integer(targets.dtype) else ops.cast(targets, "int32")
    hot = ops.greater(ops.one_hot(labels, num_classes, dtype=predictions.dtype), 0.5)
    at_label = ops.sum(ops.where(hot, predictions, ops.zeros_like(predictions)), axis=-1,
                       keepdims=True)
    at_label = ops.where(ops.not_equal(at_label, at_label),
                         ops.zeros_like(at_label) - np.inf, at_label)
    larger = ops.sum(ops.cast(ops.greater(predictions, at_label), "int32"), axis=-1)
    return ops.less(larger, int(k))


@loss_function
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1 where the class of the one-hot ``y_true`` is among the ``k`` top predictions."""
    y_pred = rt.as_tensor(y_pred)
    labels = ops.argmax(rt.as_tensor(y_true), axis=-1)
    return ops.cast(in_top_k(labels, y_pred, k), K.floatx())


@loss_function
def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1 where the integer label ``y_true`` is among the ``k`` top predictions."""
    y_pred = rt.as_tensor(y_pred)
    y_true = rt.as_tensor(y_true)
    if rt.rank(y_true) == rt.rank(y_pred) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    return ops.cast(in_top_k(y_true, y_pred, k), K.floatx())


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true``."""

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` top predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` top predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}
