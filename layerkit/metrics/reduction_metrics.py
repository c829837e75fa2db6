"""``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the mean of a per-sample function)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit import ops
from layerkit.graph import Tensor
from layerkit.losses import runtime as rt
from layerkit.losses.loss import apply_mask
from layerkit.losses.losses import FUNCTIONS_BY_NAME as _LOSS_FUNCTIONS
from layerkit.metrics.metric import Metric
from layerkit.utils.serialization import function_from_config

# The metric functions by name, for configs that name one: the loss functions, and the accuracy
# functions, which ``layerkit.metrics`` adds (their modules build on this one; a package's
# ``__init__`` always runs before its modules are used, so the table is whole by then).
FUNCTIONS_BY_NAME: dict[str, Callable[..., Any]] = dict(_LOSS_FUNCTIONS)


def reduce_to_samplewise_values(values: Any, sample_weight: Any, reduce_fn: Callable,
                                dtype: Any) -> tuple[Tensor, Tensor | None]:
    """Keras's reduction of ``values`` (and ``sample_weight``) to one value per sample: the
    weights are aligned with the values' leading axes, the values reduced to the weights'
    rank and weighted, then both reduced to rank 1 by ``reduce_fn``."""
    mask = getattr(values, "_keras_mask", None)
    values = rt.as_float(values, dtype)
    if sample_weight is not None:
        sample_weight = rt.as_float(sample_weight, dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        values, sample_weight = rt.squeeze_or_expand_to_same_rank(values, sample_weight)
        w_rank, v_rank = rt.rank(sample_weight), rt.rank(values)
        if v_rank > w_rank:
            values = reduce_fn(values, axis=tuple(range(w_rank, v_rank)))
        sample_weight = sample_weight * ops.ones_like(values)  # broadcast to the values
        values = values * sample_weight
        if w_rank > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_rank)))
    v_rank = rt.rank(values)
    if v_rank > 1:
        values = reduce_fn(values, axis=tuple(range(1, v_rank)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight)``."""

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign(self.total + ops.sum(values))

    def result(self) -> Tensor:
        return ops.copy(self.total)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``:
    the state is a ``total`` and a ``count``, so accumulating batch by batch gives exactly the
    mean over all samples."""

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if (isinstance(sample_weight, int | float) and not isinstance(sample_weight, bool)
                and rt.is_tensor(values) and values.shape == ()):
            values = rt.as_float(values, self.dtype)
            self.total.assign(self.total + values * float(sample_weight))
            self.count.assign(self.count + float(sample_weight))
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean,
                                                            self.dtype)
        self.total.assign(self.total + ops.sum(values))
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        elif rt.rank(values) >= 1:
            n = rt.num_elements(values)  # values are rank 1 here: one per sample
            num_samples = float(n) if isinstance(n, int) else ops.cast(n, self.dtype)
        else:
            num_samples = 1.0
        self.count.assign(self.count + num_samples)

    def result(self) -> Tensor:
        return rt.divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)``, a per-sample function.

    ``update_state(y_true, y_pred, sample_weight=None)``.
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None,
                 **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if sample_weight is not None or mask is not None:
            sample_weight = apply_mask(
                None if sample_weight is None else rt.as_float(sample_weight, self.dtype),
                mask, self.dtype, "sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        config = dict(config)
        if "fn" in config:  # subclasses (Accuracy, ...) fix their function and do not store it
            config["fn"] = function_from_config(config["fn"], FUNCTIONS_BY_NAME, cls.__name__)
        return cls(**config)
