"""What ``compile``'s loss and metric arguments resolve to, as Keras keeps it apart from the
loops (``keras/src/trainers/compile_utils.py``).

A compile argument is given once for all outputs, as a list (one entry per output) or as a dict
(by output name); a loss or a metric is a name, a function or an object. ``Compiled`` turns them
into loss objects, metric objects and the loss trackers when a program is first traced: only
then are the outputs known, and their number and shapes decide how ``"accuracy"`` resolves.
"""

from __future__ import annotations

from typing import Any

from layerkit import losses
from layerkit import metrics as metrics_module  # ``metrics`` is compile's argument
from layerkit.graph import Tensor


def check_loss_names(loss: Any) -> None:
    """Resolve each loss of a ``compile(loss=...)`` argument once, so that an unknown name
    fails in ``compile``, not at the first step of ``fit``."""
    for spec in (loss.values() if isinstance(loss, dict) else
                 loss if isinstance(loss, list | tuple) else [loss]):
        if spec is not None:
            losses.get(spec)


class Compiled:
    """The loss, metric and tracker objects of a ``compile`` call, made when the outputs are
    first known (their number and shapes decide how 'accuracy' resolves)."""

    def __init__(self, model: Any, loss: Any, loss_weights: Any, metrics: Any,
                 weighted_metrics: Any):
        self.model, self.loss_spec, self.loss_weights = model, loss, loss_weights
        self.metrics_spec, self.weighted_spec = metrics, weighted_metrics
        # The total loss's tracker exists from compile on (a custom train_step may update it
        # before any loss is resolved); the rest waits for the outputs.
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.ready = False

    def ensure(self, outputs: list[Tensor], targets: list[Tensor] | None) -> None:
        """Resolve the compile arguments for these outputs and targets (None: the data has
        none), the first time only. An output whose loss is None gets no loss; with several
        losses, each has its tracker (``{output}_loss``), and with several outputs each metric
        is renamed ``{output}_{metric}``, as Keras 3 logs them."""
        if self.ready:
            return
        names = self.model.output_names or [f"output_{i}" for i in range(len(outputs))]
        names = names if len(names) == len(outputs) else [f"output_{i}"
                                                          for i in range(len(outputs))]
        self.names = names
        self.losses = [_loss_object(s) for s in _per_output(self.loss_spec, names, "loss")]
        weights = self.loss_weights
        self.weights = ([1.0] * len(names) if weights is None
                        else _per_output(weights, names, "loss_weights"))
        target_shapes = [None] * len(outputs) if targets is None else [t.shape for t in targets]
        self.metrics = [self._metric_list(self.metrics_spec, k, o.shape, y)
                        for k, (o, y) in enumerate(zip(outputs, target_shapes))]
        self.weighted = [self._metric_list(self.weighted_spec, k, o.shape, y)
                         for k, (o, y) in enumerate(zip(outputs, target_shapes))]
        # Keras 3 tracks each output's loss only when several outputs have one.
        tracked = sum(loss is not None for loss in self.losses) > 1
        self.output_trackers = [metrics_module.Mean(name=f"{n}_loss") if tracked and loss
                                else None for n, loss in zip(names, self.losses)]
        if len(names) > 1:
            for k, group in enumerate(self.metrics + self.weighted):
                for metric in group:
                    metric.name = f"{names[k % len(names)]}_{metric.name}"
        self.ready = True

    def _metric_list(self, spec: Any, index: int, output_shape: Any,
                     target_shape: Any) -> list[Any]:
        if spec is None:
            return []
        per = _per_output(spec, self.names, "metrics", allow_list=True)[index]
        per = [m for m in (per if isinstance(per, list | tuple) else [per]) if m is not None]
        resolved = []
        for item in per:
            if isinstance(item, str) and item in ("accuracy", "acc"):
                loss = _per_output(self.loss_spec, self.names, "loss")[index]
                metric = metrics_module.resolve_accuracy(loss, output_shape, target_shape,
                                                         name=item)
            else:
                metric = metrics_module.get(item)
            if isinstance(item, str):
                metric.name = item  # Keras 3 logs a metric given by name under that name
            resolved.append(metric)
        return resolved

    def all_metrics(self) -> list[Any]:
        """The total loss's tracker, then (once resolved) the outputs' loss trackers, each
        output's metrics, then the weighted metrics."""
        if not self.ready:
            return [self.loss_tracker]
        return [self.loss_tracker, *[t for t in self.output_trackers if t is not None],
                *[m for group in self.metrics + self.weighted for m in group]]


def _loss_object(spec: Any) -> Any:
    """A loss object for ``spec`` (None for an output without a loss): a plain loss function
    is wrapped, as Keras's compile does."""
    if spec is None:
        return None
    loss = losses.get(spec)
    if isinstance(loss, losses.Loss):
        return loss
    return losses.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))


def _per_output(spec: Any, names: list[str], what: str, allow_list: bool = False) -> list[Any]:
    """A compile argument given once, per output as a list, or per output name as a dict."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"compile({what}=...): no output named {sorted(unknown)}; outputs "
                             f"are {names}")
        return [spec.get(n) for n in names]
    if isinstance(spec, list | tuple) and (len(names) > 1 or not allow_list):
        if len(spec) != len(names):
            raise ValueError(f"compile({what}=...) has {len(spec)} entries for "
                             f"{len(names)} output(s)")
        return list(spec)
    return [spec] * len(names)


__all__ = ["Compiled", "check_loss_names"]
