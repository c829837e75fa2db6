"""Symbolic gradients: one graph node whose outputs are the gradients.

The node records *what* to differentiate (``ys`` with respect to ``xs``); the backend decides
*how*: the numpy backend by a reverse sweep with its VJP rules over the forward values it already
computed, the jax backend with JAX's own autodiff. Which ``xs`` are connected to ``ys`` is known
here, when the graph is built, so an unconnected one gets ``None`` as in TensorFlow 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layerkit.graph import dtypes
from layerkit.graph.graph import Tensor, ancestors
from layerkit.graph.opdef import apply, convert_to_tensor, define_op, get_opdef
from layerkit.graph.shapes import fmt


@define_op("gradients", differentiable=False)
def _gradients_rule(*inputs, n_ys, n_xs, has_grad_ys):
    ys, xs = inputs[:n_ys], inputs[n_ys:n_ys + n_xs]
    for t in (*ys, *xs):
        if not dtypes.is_floating(t.dtype):
            raise TypeError(f"can only differentiate floating-point tensors; '{t.name}' is "
                            f"{t.dtype.name}")
    if has_grad_ys:
        for y, gy in zip(ys, inputs[n_ys + n_xs:]):
            if gy.dtype != y.dtype or (gy.shape is not None and y.shape is not None
                                       and len(gy.shape) != len(y.shape)):
                raise ValueError(f"grad_ys '{gy.name}' {fmt(gy.shape)} {gy.dtype.name} does not "
                                 f"match y '{y.name}' {fmt(y.shape)} {y.dtype.name}")
    return [(x.shape, x.dtype) for x in xs]


def gradients(ys: Tensor | Sequence[Tensor], xs: Tensor | Sequence[Tensor],
              grad_ys: Sequence[Any] | None = None, name: str = "gradients") -> list[Tensor | None]:
    """Symbolic gradients of ``sum(ys)`` with respect to each of ``xs``.

    ``grad_ys`` weights each y (default: ones). Returns one tensor per x, or ``None`` where x does
    not affect ys. The results are ordinary tensors: clip them, feed them to an optimizer.
    """
    ys = [convert_to_tensor(y) for y in (ys if isinstance(ys, list | tuple) else [ys])]
    xs_list = [convert_to_tensor(x) for x in (xs if isinstance(xs, list | tuple) else [xs])]
    connected = _connected(ys, xs_list)
    used = [x for x, c in zip(xs_list, connected) if c]
    if not used:
        return [None] * len(xs_list)
    inputs = [*ys, *used]
    if grad_ys is not None:
        if len(grad_ys) != len(ys):
            raise ValueError(f"gradients: {len(grad_ys)} grad_ys for {len(ys)} ys")
        inputs += [convert_to_tensor(g, dtype=y.dtype) for g, y in zip(grad_ys, ys)]
    op = apply("gradients", inputs, {"n_ys": len(ys), "n_xs": len(used),
                                     "has_grad_ys": grad_ys is not None}, name=name)
    results = iter(op.outputs)
    return [next(results) if c else None for c in connected]


def _connected(ys: list[Tensor], xs: list[Tensor]) -> list[bool]:
    """For each x, whether some y depends on it through differentiable ops on float values."""
    reaches: dict[Tensor, set[int]] = {}  # tensor -> indices of the xs it depends on
    targets = set(ys)
    for i, x in enumerate(xs):
        reaches.setdefault(x, set()).add(i)
    for op in ancestors(ys):  # in creation order: an op's inputs are reached first
        found: set[int] = set()
        for t in op.inputs:
            if t in reaches and dtypes.is_floating(t.dtype):
                found |= reaches[t]
        if not found:
            continue
        if op.type == "gradients":
            raise NotImplementedError(
                f"gradients: '{op.name}' is itself a gradient; higher-order gradients are not "
                "supported yet"
            )
        if not get_opdef(op.type).differentiable:
            continue
        for out in op.outputs:
            if dtypes.is_floating(out.dtype):
                reaches.setdefault(out, set()).update(found)
    hit = set().union(*(reaches.get(y, set()) for y in targets))
    return [i in hit for i in range(len(xs))]

