"""Confusion-matrix accumulation shared by ``Precision``, ``Recall``, ``AUC`` and the counts.

For each threshold ``t``, a prediction ``p`` is positive when ``p > t``; true positives are the
(weighted) number of positive predictions with a true label, and so on. With evenly spaced
thresholds (AUC's), Keras clips predictions to ``[0, 1]`` and buckets them; ``p`` then counts
as positive at threshold ``i`` exactly when ``p * (n - 1) > i``, which is what is computed here
(the first threshold, just below 0, takes every prediction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, constant
from layerkit.losses import runtime as rt

NEG_INF = -1e10
TRUE_POSITIVES, FALSE_POSITIVES = "tp", "fp"
TRUE_NEGATIVES, FALSE_NEGATIVES = "tn", "fn"
CONFUSION_KEYS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def to_list(x: Any) -> list:
    return list(x) if isinstance(x, list | tuple | np.ndarray) else [x]


def assert_thresholds_range(thresholds: Sequence[Any] | None) -> None:
    if thresholds is not None:
        invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list[float]:
    if thresholds is not None:
        assert_thresholds_range(to_list(thresholds))
    return [float(t) for t in to_list(default_threshold if thresholds is None else thresholds)]


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    """Whether ``thresholds`` are ``0, 1/(n-1), ..., 1`` (n >= 3), up to ``epsilon()``."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=K.epsilon()))


def filter_top_k(x: Tensor, k: int) -> Tensor:
    """``x`` with all but the ``k`` largest entries of each last-axis row set to ``NEG_INF``
    (ties go to the lower index, as a stable top-k does)."""
    n = x.shape[-1] if x.shape else None
    if n is None:
        raise ValueError(f"top_k needs the size of the last axis of y_pred; got {x.shape}")
    xi = ops.expand_dims(x, -1)  # [..., i, 1]: the entry ranked
    xj = ops.expand_dims(x, -2)  # [..., 1, j]: the entries it is compared with
    before = constant(np.tril(np.ones((n, n)), -1).astype(x.dtype))  # [i, j]: j < i
    ahead = ops.cast(ops.greater(xj, xi), x.dtype) + ops.cast(ops.equal(xj, xi), x.dtype) * before
    in_top = ops.less(ops.sum(ahead, axis=-1), float(k))
    return ops.where(in_top, x, ops.zeros_like(x) + NEG_INF)


def update_confusion_matrix_variables(
    variables_to_update: dict[str, Any],
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float],
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> list[Tensor]:
    """Add this batch's confusion counts (``"tp"``, ``"fp"``, ``"tn"``, ``"fn"`` in
    ``variables_to_update``) per threshold; returns the update tensors.

    Without ``multi_label`` the data is flattened, so the counts have shape ``(thresholds,)``;
    with it, ``y_pred`` is ``(batch, labels)`` and the counts ``(thresholds, labels)``.
    ``sample_weight`` broadcasts against ``y_true`` (rank 0, or leading dims); ``label_weights``
    weighs the labels (last axis) of flattened data.
    """
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multilabel data should be handled outside of "
                         "`update_confusion_matrix_variables` when `multi_label` is True.")
    if not variables_to_update:
        return []
    invalid = [k for k in variables_to_update if k not in CONFUSION_KEYS]
    if invalid:
        raise ValueError(f'Invalid keys: "{invalid}". Valid variable key options are: '
                         f'"{list(CONFUSION_KEYS)}"')
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = rt.as_tensor(y_true)
    y_true = ops.cast(ops.not_equal(y_true, ops.zeros_like(y_true)), dtype)  # cast to bool
    y_pred = rt.as_tensor(y_pred, dtype)
    thresholds = [float(t) for t in thresholds]
    num_thresholds = len(thresholds)
    y_pred, y_true = rt.squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(rt.as_tensor(sample_weight, dtype), -1)
        _, sample_weight = rt.squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                              expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if rt.rank(y_pred) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = None
    if sample_weight is not None:
        weights = sample_weight * ops.ones_like(y_pred)
    if label_weights is not None:
        lw = rt.as_tensor(np.asarray(label_weights), dtype) * ops.ones_like(y_pred)
        weights = lw if weights is None else weights * lw

    if thresholds_distributed_evenly:
        # Keras's bucketed path: clip to [0, 1]; positive at threshold i iff p * (n-1) > i.
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        y_pred = ops.clip(y_pred, 0.0, 1.0) * float(num_thresholds - 1)
        cuts = np.arange(num_thresholds, dtype=np.float64)
        if with_epsilon:
            cuts[0] = -1.0
    else:
        cuts = np.asarray(thresholds, np.float64)

    if multi_label:
        if rt.rank(y_pred) != 2:
            raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                             f"{rt.rank(y_pred)}. Full shape received for `y_pred`: "
                             f"{y_pred.shape}")
        preds = ops.expand_dims(y_pred, 0)  # (1, batch, labels)
        labels = ops.expand_dims(y_true, 0)
        cut = constant(cuts.reshape(-1, 1, 1).astype(dtype))
        weights = None if weights is None else ops.expand_dims(weights, 0)
    else:
        preds = ops.reshape(y_pred, (1, -1))  # (1, batch * labels)
        labels = ops.reshape(y_true, (1, -1))
        cut = constant(cuts.reshape(-1, 1).astype(dtype))
        weights = None if weights is None else ops.reshape(weights, (1, -1))

    pred_pos = ops.cast(ops.greater(preds, cut), dtype)  # (thresholds, batch[, labels])
    pred_neg = 1.0 - pred_pos
    label_neg = 1.0 - labels
    conditions = {TRUE_POSITIVES: (labels, pred_pos), FALSE_POSITIVES: (label_neg, pred_pos),
                  TRUE_NEGATIVES: (label_neg, pred_neg), FALSE_NEGATIVES: (labels, pred_neg)}
    updates = []
    for key, var in variables_to_update.items():
        label, pred = conditions[key]
        hits = label * pred if weights is None else label * pred * weights
        updates.append(var.assign(var + ops.sum(hits, axis=1)))
    return updates
