"""Metrics, as in ``keras.metrics``.

``get(identifier)`` resolves what ``compile(metrics=[...])`` accepts. The strings
``"accuracy"`` and ``"acc"`` (any case) are returned unchanged: they are a marker the model
resolves, once it knows the loss and the output shape, with ``resolve_accuracy``. Other names
(``"mae"``, ``"mse"``, ``"binary_accuracy"``, ``"auc"``, ``"Precision"``...) give a new metric
object; a ``Metric`` class is instantiated, an instance returned as is, and a plain function
``fn(y_true, y_pred)`` wrapped in ``MeanMetricWrapper``.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from layerkit.losses.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from layerkit.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    in_top_k,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from layerkit.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from layerkit.metrics.metric import Metric
from layerkit.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from layerkit.metrics.reduction_metrics import FUNCTIONS_BY_NAME, Mean, MeanMetricWrapper, Sum
from layerkit.metrics.regression_metrics import MeanAbsoluteError, MeanSquaredError

# The per-sample functions Keras exports from ``keras.metrics`` (losses included).
from layerkit.utils.object_registration import custom_objects_in_scope

ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, MeanAbsoluteError, AUC,
    FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy,
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
)


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


ALL_OBJECTS_DICT: dict[str, Any] = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
})

FUNCTIONS_BY_NAME.update({f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)})

ACCURACY_MARKERS = ("accuracy", "acc")


def _function_by_name(name: str) -> Any:
    if name not in FUNCTIONS_BY_NAME:
        raise ValueError(f"Unknown metric function {name!r}")
    return FUNCTIONS_BY_NAME[name]


def _known() -> str:
    return ", ".join(sorted(set(ALL_OBJECTS_DICT) - {"Metric", "metric"}) + ["acc"])


def serialize(metric: Any) -> dict:
    """A JSON-able description of a metric object (Keras's format)."""
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    name = getattr(metric, "__name__", None)
    if callable(metric) and name in FUNCTIONS_BY_NAME:
        # Keras 3's form for its built-in functions (it refuses module "keras.metrics" here).
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise ValueError(f"Cannot serialize metric {metric!r}")


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """The metric (object or function) a ``serialize`` result or a name describes."""
    objects = {**ALL_OBJECTS_DICT, **custom_objects_in_scope(custom_objects)}
    if isinstance(config, str):
        if config in objects:
            return objects[config]
        return _function_by_name(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret metric config: {config!r}")
    class_name, inner = config["class_name"], config.get("config") or {}
    if class_name == "function":
        return _function_by_name(inner if isinstance(inner, str) else
                                 config.get("registered_name"))
    if class_name not in objects:
        raise ValueError(f"Could not interpret metric identifier: {class_name!r}. Known "
                         f"metrics: {_known()}")
    return objects[class_name].from_config(inner)


def get(identifier: Any) -> Any:
    """A metric from ``identifier`` (see the module docstring); None gives None, and
    ``"accuracy"`` / ``"acc"`` come back unchanged for the model to resolve."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier.lower() in ACCURACY_MARKERS:
            return identifier
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None or obj is Metric:
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known "
                             f"metrics: {_known()}")
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        if not issubclass(obj, Metric) or obj in (Metric, MeanMetricWrapper):
            raise ValueError(f"Could not interpret metric identifier: {identifier!r} (a class "
                             "must be a concrete Metric subclass)")
        return obj()
    if isinstance(obj, Metric):
        return obj
    if callable(obj):
        name = getattr(obj, "name", None) or getattr(obj, "__name__", None)
        return MeanMetricWrapper(obj, name=name if isinstance(name, str) else None)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known metrics: "
                     f"{_known()}")


def _loss_name(loss: Any) -> str:
    """The snake_case name of a loss identifier (a name, function, class or instance)."""
    if loss is None:
        return ""
    if isinstance(loss, str):
        from layerkit import losses

        loss = losses.ALL_OBJECTS_DICT.get(loss, loss)
        if isinstance(loss, str):
            return _snake(loss)
    if isinstance(loss, dict):
        return _snake(str(loss.get("class_name", "")))
    fn = getattr(loss, "fn", None)  # a LossFunctionWrapper
    target = fn if fn is not None else loss
    name = getattr(target, "__name__", None) or type(target).__name__
    return _snake(name)


def resolve_accuracy(loss_identifier: Any, output_shape: Any, y_true_shape: Any = None,
                     name: str = "accuracy") -> Metric:
    """The metric ``"accuracy"`` / ``"acc"`` stands for, by Keras 3's rule
    (``compile_utils.is_binary_or_sparse_categorical``): binary accuracy if the output's last
    dimension is 1; else sparse categorical accuracy if the targets have a lower rank than
    the output or a last dimension of 1; else categorical accuracy.

    Keras decides from the target's shape. When ``y_true_shape`` is not given, the loss
    stands in for it: a sparse categorical crossentropy means integer targets (rank one
    less), any other loss targets shaped like the output. (So a binary crossentropy over
    several outputs per sample gives categorical accuracy, as in Keras 3.)
    """
    out_last = output_shape[-1] if output_shape is not None and len(output_shape) else None
    if y_true_shape is not None:
        y_rank = len(y_true_shape)
        y_last = y_true_shape[-1] if y_rank else None
        sparse = y_rank < len(output_shape) or (y_last == 1 and out_last is not None
                                                and out_last > 1)
    else:
        sparse = "sparse_categorical" in _loss_name(loss_identifier)
    if out_last == 1:
        return BinaryAccuracy(name=name)
    if sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


__all__ = [
    "ACCURACY_MARKERS", "ALL_OBJECTS", "ALL_OBJECTS_DICT", "AUC", "Accuracy", "BinaryAccuracy",
    "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy", "FalseNegatives",
    "FalsePositives", "Mean", "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError",
    "Metric", "Precision", "Recall", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
    "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy", "deserialize",
    "get", "huber", "in_top_k", "mean_absolute_error", "mean_squared_error",
    "resolve_accuracy", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
