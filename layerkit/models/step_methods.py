"""The step methods a model runs and a user may override, as Keras 3 names them.

``fit``, ``evaluate`` and ``predict`` trace ``train_step``, ``test_step`` and ``predict_step``
once per batch signature, on placeholders (``step.trace_program``), into one compiled program
each. An override is written with ``layerkit.ops``, the optimizer's API and the metrics'
``update_state``/``result``, exactly as the built-in steps below are, so one override runs on
every backend: gradients come from ``ops.gradients`` (a symbolic reverse pass), where Keras 3
needs ``tf.GradientTape``, ``jax.grad`` or ``torch.autograd``.

Within one step every variable read sees the value from before the step; the logs a step
returns are read after its updates (``step._after_updates``).
"""

from __future__ import annotations

import warnings
from typing import Any

from layerkit import backend as K
from layerkit import ops
from layerkit.graph import Tensor, pure_function
from layerkit.metrics.metric import Metric
from layerkit.ops.eager import is_jax_value
from layerkit.utils.data_packing import unpack_x_y_sample_weight
from layerkit.utils.tree import flatten


class StepMethods:
    """``train_step``, ``test_step``, ``predict_step`` and the loss and metric methods they
    use (mixed into ``Model`` through ``Trainer``)."""

    # -- the steps ------------------------------------------------------------------------------
    def train_step(self, data: Any) -> dict[str, Any]:
        """One training step on the batch ``data`` (``x``, ``(x, y)`` or ``(x, y,
        sample_weight)``): forward pass, loss, gradients, optimizer update. Returns the logs,
        a dict of metric results."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                 training=True)
        self._compiled.loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        trainable = self.trainable_weights
        if trainable:
            grads = ops.gradients(loss, trainable)
            self.optimizer.apply_gradients(zip(grads, trainable))
        else:
            warnings.warn(f"Model '{self.name}' has no trainable weights", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """One evaluation step on the batch ``data``: forward pass in inference mode, loss and
        metrics. Returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                 training=False)
        self._compiled.loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs on the batch ``data``, in inference mode."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- losses and metrics -----------------------------------------------------------------------
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The total loss of a batch: the compiled losses of the outputs (weighted by
        ``loss_weights``; each output's tracker updated), plus ``self.losses`` (weight
        penalties and the losses layers added). Raises if there is no loss at all."""
        compiled = self._compiled
        outputs = flatten(y_pred)
        targets = self._targets_list(y, outputs)
        compiled.ensure(outputs, targets)
        self._loss_outputs = outputs  # for the host-side check of sparse labels
        weights = _per_output_weights(sample_weight, len(outputs))
        terms: list[Tensor] = []
        for k, loss in enumerate(compiled.losses):
            if loss is None:
                continue
            if targets is None:
                raise ValueError(f"Model '{self.name}': the loss of output "
                                 f"'{compiled.names[k]}' needs targets, but the data has no y")
            value = loss(targets[k], outputs[k], sample_weight=_cast_like(weights[k],
                                                                          outputs[k]))
            tracker = compiled.output_trackers[k]
            if tracker is not None:
                tracker.update_state(value, sample_weight=_batch_size(outputs[k]))
            terms.append(compiled.weights[k] * value)
        dtype = terms[0].dtype if terms else "float32"
        penalties = self.losses
        if penalties and any(is_jax_value(t) for t in terms):
            # Called on JAX values (a JAX-style step): the penalties of the stored weights, as
            # Keras 3 computes them outside a stateless scope (no gradient reaches them).
            stored = pure_function(penalties, [])
            penalties, _ = stored(K.with_stored_values(stored, {}), [])
        terms += [ops.cast(penalty, dtype) for penalty in penalties]
        if not terms:
            raise ValueError(f"No loss to compute for model '{self.name}'. Provide a `loss` "
                             "argument in `compile()` or add losses with `add_loss()`.")
        return sum(terms[1:], terms[0])

    def compute_metrics(self, x: Any, y: Any, y_pred: Any,
                        sample_weight: Any = None) -> dict[str, Any]:
        """Update the compiled metrics on a batch (the weighted ones with ``sample_weight``)
        and return ``get_metrics_result()``."""
        compiled = self._compiled
        outputs = flatten(y_pred)
        targets = self._targets_list(y, outputs)
        compiled.ensure(outputs, targets)
        weights = _per_output_weights(sample_weight, len(outputs))
        for k, output in enumerate(outputs):
            needed = compiled.metrics[k] + compiled.weighted[k]
            if needed and targets is None:
                raise ValueError(f"Model '{self.name}': metric '{needed[0].name}' needs "
                                 "targets, but the data has no y")
            for metric in compiled.metrics[k]:
                metric.update_state(targets[k], output)
            for metric in compiled.weighted[k]:
                metric.update_state(targets[k], output,
                                    sample_weight=_cast_like(weights[k], output))
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        """``{name: result}`` of ``self.metrics``; a metric whose result is a dict adds its
        entries."""
        results: dict[str, Any] = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    @property
    def metrics(self) -> list[Any]:
        """The metrics a step updates, in Keras 3's order: the loss tracker, the outputs' loss
        trackers and the compiled metrics, then the metrics held as attributes of the model and
        of its layers."""
        found = self._compiled.all_metrics() if self._compiled is not None else []
        for metric in _attribute_metrics(self):
            if all(metric is not m for m in found):
                found.append(metric)
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the state of every metric in ``self.metrics``."""
        for metric in self.metrics:
            metric.reset_state()

    def _targets_list(self, y: Any, outputs: list[Tensor]) -> list[Tensor] | None:
        """``y`` as one target per output (a dict is keyed by output name), or None."""
        if y is None:
            return None
        if isinstance(y, dict):
            names = self._compiled.names if self._compiled.ready else self.output_names
            missing = [n for n in names if n not in y]
            if missing:
                raise ValueError(f"Model '{self.name}': y has no entry for output(s) {missing}; "
                                 f"it has {sorted(y)}")
            targets = [y[n] for n in names]
        else:
            targets = flatten(y)
        if len(targets) != len(outputs):
            raise ValueError(f"Model '{self.name}' has {len(outputs)} output(s) but y holds "
                             f"{len(targets)} array(s)")
        return targets


def _attribute_metrics(layer: Any, seen: set[int] | None = None) -> list[Metric]:
    """The ``Metric`` objects held as attributes (or in lists) of ``layer`` and its sublayers,
    in the order they were set; a nested model's are its own (as in Keras)."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    found: list[Metric] = []
    for value in vars(layer).values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, Metric):
                found.append(item)
    for sub in getattr(layer, "_layers", []):
        if not getattr(sub, "_is_model", False):
            found += _attribute_metrics(sub, seen)
    return found


def _batch_size(x: Any) -> Tensor:
    """The batch size of ``x`` (its first array's leading dimension), as a float32 scalar:
    trackers weigh each batch by it, so an epoch's mean is over samples."""
    first = next(t for t in flatten(x) if t is not None)
    return ops.cast(ops.shape(first)[0], "float32")


def _per_output_weights(sample_weight: Any, count: int) -> list[Any]:
    """One sample-weight tensor (or None) per output: one given for all, or a list."""
    if isinstance(sample_weight, list | tuple):
        if len(sample_weight) != count:
            raise ValueError(f"sample_weight holds {len(sample_weight)} arrays for {count} "
                             "output(s)")
        return list(sample_weight)
    return [sample_weight] * count


def _cast_like(weight: Any, output: Tensor) -> Any:
    return None if weight is None else ops.cast(weight, output.dtype)


__all__ = ["StepMethods"]
