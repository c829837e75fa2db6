"""The ``Loss`` base class and the reduction of per-sample losses to one value (Keras 3)."""

from __future__ import annotations

import re
from typing import Any

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, dtypes
from layerkit.losses import runtime as rt
from layerkit.utils.serialization import dtype_policy_name

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: Any) -> str | None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                         f"{REDUCTIONS}. Received: reduction={reduction!r}")
    return reduction


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def auto_name(cls_name: str) -> str:
    """A default object name: the snake_case class name, made unique among Keras objects."""
    base = _snake(cls_name)
    uid = K.get_uid(base)
    return base if uid == 1 else f"{base}_{uid - 1}"


class Loss:
    """Base class of losses: ``loss(y_true, y_pred, sample_weight=None)``.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses; ``__call__``
    weights them by ``sample_weight`` and reduces them by ``reduction``:
    ``"sum_over_batch_size"`` (default) and ``"mean"`` divide the sum by the number of
    elements, ``"sum"`` sums, ``"mean_with_sample_weight"`` divides by the sum of the sample
    weights, and ``"none"`` / ``None`` returns the weighted per-sample losses.

    On symbolic tensors (or inside ``layerkit.backend.symbolic_scope()``) the call builds ops
    and returns a tensor; on numpy arrays or Python values outside that scope it computes the
    value now and returns it as numpy.
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        dtype = dtype_policy_name(dtype, f"{type(self).__name__} loss '{self.name}'")
        self._dtype = dtypes.as_dtype(dtype or K.floatx()).name

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if rt.is_symbolic(y_true, y_pred, sample_weight):
            with rt.graph_of(y_pred, y_true, sample_weight).as_default():
                return self._symbolic_call(y_true, y_pred, sample_weight)
        # Graphs are cached per object; its config is in the key in case it was changed.
        cache = rt.object_cache(self)
        key = rt.freeze(self.get_config())
        return rt.run_eagerly(key, self._symbolic_call, [y_true, y_pred, sample_weight], cache)

    def _symbolic_call(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        in_mask = getattr(y_pred, "_keras_mask", None)
        graph = rt.graph_of(y_pred, y_true)
        with graph.name_scope(rt.scope_name(self.name)):
            y_pred = rt.as_float(y_pred, self.dtype)
            y_true = rt.as_tensor(y_true)
            if not dtypes.is_integer(y_true.dtype):
                y_true = ops.cast(y_true, self.dtype)
            losses = self.call(y_true, y_pred)
            out_mask = getattr(losses, "_keras_mask", None)
            if in_mask is not None and out_mask is not None:
                mask = ops.logical_and(ops.cast(in_mask, "bool"), ops.cast(out_mask, "bool"))
            else:
                mask = in_mask if in_mask is not None else out_mask
            return reduce_weighted_values(losses, sample_weight, mask, self.reduction,
                                          self.dtype)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name} reduction={self.reduction}>"


def reduce_values(values: Tensor, sample_weight: Tensor | None = None,
                  reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Reduce (already weighted) ``values`` to a scalar by ``reduction``."""
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = rt.divide_no_nan(loss, ops.sum(ops.cast(sample_weight, loss.dtype)))
        else:
            n = rt.num_elements(values)
            if isinstance(n, int):
                loss = loss / float(n) if n > 0 else loss * 0.0
            else:
                loss = rt.divide_no_nan(loss, ops.cast(n, loss.dtype))
    return loss


def apply_mask(sample_weight: Tensor | None, mask: Any, dtype: Any,
               reduction: str | None) -> Tensor | None:
    """Merge a mask (True: counted) into the sample weights. For the mean reductions, valid
    entries are scaled by ``total / valid`` so the mean is over the valid entries only."""
    if mask is None:
        return sample_weight
    mask = ops.cast(rt.as_tensor(mask), dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = ops.sum(mask)  # may be 0
        total = rt.num_elements(mask)
        total = ops.cast(total, dtype) if isinstance(total, Tensor) else float(total)
        mask = mask * rt.divide_no_nan(ops.zeros_like(valid) + total, valid)
    if sample_weight is None:
        return mask
    sample_weight = ops.cast(rt.as_tensor(sample_weight), dtype)
    mask, sample_weight = rt.squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def reduce_weighted_values(values: Tensor, sample_weight: Any = None, mask: Any = None,
                           reduction: str | None = "sum_over_batch_size",
                           dtype: Any = None) -> Tensor:
    """Weight per-sample ``values`` by ``sample_weight`` (and ``mask``), then reduce."""
    reduction = standardize_reduction(reduction)
    values = rt.as_float(values, dtype)
    if sample_weight is not None:
        sample_weight = rt.as_float(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = rt.squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)
