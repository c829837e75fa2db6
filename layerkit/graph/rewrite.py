"""Re-applying part of a graph with some of its tensors replaced.

``substitute(outputs, {old: new})`` rebuilds the ops between the replaced tensors and
``outputs`` on the new tensors and returns the rebuilt outputs; ops that do not depend on a
replaced tensor are shared, not copied. A model uses it to compute metric results from the
values its train step *stores* (the outputs of the metric variables' ``assign`` ops) instead of
the values from before the step, so one program both updates the metrics and reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from layerkit.graph.graph import Tensor, ancestors
from layerkit.graph.opdef import apply


def substitute(outputs: Sequence[Tensor], mapping: Mapping[Tensor, Tensor],
               created_after: int | None = None) -> list[Tensor]:
    """``outputs`` recomputed with each key of ``mapping`` replaced by its value; with
    ``created_after`` (an op's creation ``order``), only in the ops created after that one,
    as eager code that changed a variable there would have seen it."""
    for old, new in mapping.items():
        if old.dtype != new.dtype or old.shape != new.shape:
            raise ValueError(f"substitute: '{new.name}' {new.shape} {new.dtype.name} cannot "
                             f"replace '{old.name}' {old.shape} {old.dtype.name}")
    memo: dict[Tensor, Tensor] = dict(mapping)
    for op in ancestors(outputs):  # in creation order: inputs are rebuilt first
        if created_after is not None and op.order <= created_after:
            continue
        inputs = [memo.get(t, t) for t in op.inputs]
        if all(new is old for new, old in zip(inputs, op.inputs)):
            continue
        base = op.name.rsplit("/", 1)[-1]
        rebuilt = apply(op.type, inputs, dict(op.attrs), name=base)
        memo.update(zip(op.outputs, rebuilt.outputs))
    return [memo.get(t, t) for t in outputs]

