"""Regression metrics: the mean of the per-sample squared or absolute error."""

from __future__ import annotations

from typing import Any

from layerkit.losses.losses import mean_absolute_error, mean_squared_error
from layerkit.metrics.reduction_metrics import MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``mean(square(y_true - y_pred), axis=-1)`` over all samples."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``mean(abs(y_true - y_pred), axis=-1)`` over all samples."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}
