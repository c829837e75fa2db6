"""Metrics from confusion counts: ``Precision``, ``Recall``, ``AUC`` and the raw counts."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, constant
from layerkit.losses import runtime as rt
from layerkit.metrics import metrics_utils as mu
from layerkit.metrics.metric import Metric


class _ConfusionMatrixConditionCount(Metric):
    """The (weighted) number of one confusion condition, per threshold."""

    _condition = ""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
            self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),),
                                             initializer="zeros", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:
        return mu.update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight)

    def result(self) -> Tensor:
        return self.accumulator[0] if len(self.thresholds) == 1 else ops.copy(
            self.accumulator)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The number of true positives (``y_pred > threshold`` and ``y_true``)."""

    _condition = mu.TRUE_POSITIVES


class FalsePositives(_ConfusionMatrixConditionCount):
    """The number of false positives (``y_pred > threshold`` and not ``y_true``)."""

    _condition = mu.FALSE_POSITIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The number of true negatives (``y_pred <= threshold`` and not ``y_true``)."""

    _condition = mu.TRUE_NEGATIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The number of false negatives (``y_pred <= threshold`` and ``y_true``)."""

    _condition = mu.FALSE_NEGATIVES


class _PrecisionRecall(Metric):
    _other = ""  # the second count: "fp" for precision, "fn" for recall

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else mu.NEG_INF
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
            self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros",
                                                name="true_positives")
        other = "false_positives" if self._other == mu.FALSE_POSITIVES else "false_negatives"
        setattr(self, other, self.add_variable(shape=(n,), initializer="zeros", name=other))
        self._other_name = other

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:
        """Accumulate the counts; ``sample_weight`` broadcasts against ``y_true``."""
        return mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives,
             self._other: getattr(self, self._other_name)},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self) -> Tensor:
        tp = self.true_positives
        value = rt.divide_no_nan(tp, tp + getattr(self, self._other_name))
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``true_positives / (true_positives + false_positives)`` of the predictions.

    A prediction is positive above ``thresholds`` (default 0.5; one result per threshold
    when several are given). With ``top_k``, only the ``k`` largest predictions of each sample
    can be positive; with ``class_id``, only that class (last axis index) is considered.
    """

    _other = mu.FALSE_POSITIVES


class Recall(_PrecisionRecall):
    """``true_positives / (true_positives + false_negatives)`` of the predictions (arguments
    as for ``Precision``)."""

    _other = mu.FALSE_NEGATIVES


_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR"}
_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation",
               "majoring": "majoring", "Majoring": "majoring",
               "minoring": "minoring", "Minoring": "minoring"}


class AUC(Metric):
    """The area under the ROC (default) or precision-recall curve, by a Riemann sum over
    ``num_thresholds`` thresholds (``thresholds`` may give them instead).

    ``summation_method``: ``"interpolation"`` (trapezoids for ROC; for PR, the interpolation
    of Davis & Goadrich 2006), ``"minoring"`` or ``"majoring"``. With ``multi_label``, each label
    (last axis of ``(batch, labels)`` data) has its own curve and the result is their mean
    (weighted by ``label_weights``); without, all entries are pooled. ``from_logits`` applies a
    sigmoid to the predictions first.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False):
        if curve not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC"]')
        if summation_method not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            mu.assert_thresholds_range(thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
                np.array([0.0, *thresholds, 1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = K.epsilon()
        self._thresholds = np.array([0.0 - eps, *thresholds, 1.0 + eps])
        self.curve = _CURVES[curve]
        self.summation_method = _SUMMATIONS[summation_method]
        super().__init__(name=name, dtype=dtype)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else np.asarray(label_weights, dtype=self.dtype))
        self._from_logits = bool(from_logits)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        return list(self._thresholds)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if shape is None or len(shape) != 2 or shape[1] is None:
                raise ValueError("`y_pred` must have rank 2 (with a known number of labels) "
                                 f"when `multi_label=True`. Received shape: {shape}")
            self._num_labels = int(shape[1])
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        for name in ("true_positives", "false_positives", "true_negatives",
                     "false_negatives"):
            setattr(self, name, self.add_variable(shape=variable_shape, initializer="zeros",
                                                  name=name))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:
        """Accumulate the confusion counts at every threshold."""
        if not self._built:
            self._build(rt.as_tensor(y_pred).shape)
        y_pred = rt.as_float(y_pred, self.dtype)
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        return mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives, mu.TRUE_NEGATIVES: self.true_negatives,
             mu.FALSE_POSITIVES: self.false_positives, mu.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _average_labels(self, by_label: Tensor) -> Tensor:
        if self.label_weights is None:
            return ops.mean(by_label)
        weights = constant(self.label_weights)
        return rt.divide_no_nan(ops.sum(by_label * weights), ops.sum(weights))

    def interpolate_pr_auc(self) -> Tensor:
        """The PR-AUC with precision interpolated between thresholds as Davis & Goadrich
        (2006): true and false positives vary linearly within each interval, so the area of
        an interval is ``slope * (dTP + intercept * log(P_A / P_B)) / total positives``."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        slope = rt.divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = ops.logical_and(ops.greater(p[: n - 1], 0.0), ops.greater(p[1:], 0.0))
        ratio = ops.where(both, rt.divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0.0)),
                          ops.ones_like(p[1:]))
        increments = rt.divide_no_nan(slope * (dtp + intercept * ops.log(ratio)),
                                      ops.maximum(tp[1:] + fn[1:], 0.0))
        if self.multi_label:
            return self._average_labels(ops.sum(increments, axis=0))
        return ops.sum(increments)

    def result(self) -> Tensor:
        if not self._built:
            return constant(np.zeros((), self.dtype))
        n = self.num_thresholds
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = rt.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = rt.divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, rt.divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average_labels(ops.sum(terms, axis=0))
        return ops.sum(terms)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
