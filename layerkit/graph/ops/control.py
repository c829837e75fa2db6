"""Control flow and side effects: ``scan`` (a loop whose body is a sub-graph) and printing.

``scan`` is how recurrent layers loop over time without unrolling: the body is traced once into
a ``FuncGraph``, so graph size and compile time do not depend on the sequence length. Tensors of
the enclosing graph used in the body (weights, say) are captured automatically and become extra
inputs of the scan op, so gradients flow to them like to any other input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from layerkit.graph.graph import Graph, Tensor, get_default_graph
from layerkit.graph.opdef import apply, apply1, convert_to_tensor, define_op
from layerkit.graph.shapes import fmt

__all__ = ["FuncGraph", "print_tensors", "scan"]


class FuncGraph(Graph):
    """A sub-graph (a loop body) nested in ``outer``; outer tensors it uses are captured.

    Lowering makes it a nested function of the program (``program.lower_body``)."""

    def __init__(self, outer: Graph, name: str):
        super().__init__()
        self.outer = outer
        self.name = name
        self.seed = outer.seed
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: dict[Tensor, Tensor] = {}  # tensor of `outer` -> placeholder in here

    def capture(self, tensor: Tensor) -> Tensor:
        """A placeholder in this graph standing for ``tensor`` of an enclosing graph."""
        outer_tensor = tensor if tensor.graph is self.outer else self.outer.capture(tensor)
        if outer_tensor not in self.captures:
            from layerkit.graph.variables import placeholder

            with self.as_default():
                self.captures[outer_tensor] = placeholder(
                    tensor.dtype, tensor.shape, name="captured")
        return self.captures[outer_tensor]


def _as_list(value: Any, what: str) -> tuple[list[Tensor], bool]:
    """``value`` (a tensor or a list/tuple of them) as a list, and whether it was a sequence."""
    if isinstance(value, list | tuple):
        return [convert_to_tensor(v) for v in value], True
    if value is None:
        return [], True
    return [convert_to_tensor(value)], False


@define_op("scan", multi_output=True)
def _scan_rule(*inputs, body, n_carry, n_seq, n_ys, length, reverse):
    return [(t.shape, t.dtype) for t in body.outputs[:n_carry]] + [
        ((length, *t.shape), t.dtype) for t in body.outputs[n_carry:]
    ]


def scan(fn: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False,
         name: str | None = None) -> tuple[Any, Any]:
    """Loop ``carry, y = fn(carry, x)`` over the leading axis of ``xs``, as ``jax.lax.scan``.

    ``init`` (a tensor or list/tuple of tensors) is the first carry; ``xs`` a tensor or
    list/tuple of tensors sliced along axis 0 (or None, with ``length``). Returns the final
    carry and the ``y``s stacked along a new leading axis, in the same structures ``fn`` used.
    ``reverse=True`` walks the sequence from its end (outputs stay in input order).
    """
    label = f"scan '{name}'" if name else "scan"
    carry, carry_is_seq = _as_list(init, "init")
    seqs, seq_is_seq = _as_list(xs, "xs")
    length = _scan_length(seqs, length, label)
    body = FuncGraph(get_default_graph(), name or "scan_body")
    with body.as_default():
        from layerkit.graph.variables import placeholder

        carry_in = [placeholder(t.dtype, t.shape, name="carry") for t in carry]
        x_in = [placeholder(t.dtype, t.shape[1:], name="x") for t in seqs]
        body.inputs = [*carry_in, *x_in]
        new_carry, y = fn(carry_in if carry_is_seq else carry_in[0],
                          (x_in if seq_is_seq else x_in[0]) if seqs else None)
        new_carry, _ = _as_list(new_carry, "carry")
        ys, ys_is_seq = _as_list(y, "y")
        # Outputs must live in the body (a captured outer tensor is fine: it is a placeholder).
        new_carry = [t if t.graph is body else body.capture(t) for t in new_carry]
        ys = [t if t.graph is body else body.capture(t) for t in ys]
    _check_carry(carry, new_carry, label)
    body.outputs = [*new_carry, *ys]
    captured = list(body.captures)
    op = apply("scan", [*carry, *seqs, *captured],
               {"body": body, "n_carry": len(carry), "n_seq": len(seqs), "n_ys": len(ys),
                "length": length, "reverse": bool(reverse)}, name=name)
    final, stacked = list(op.outputs[:len(carry)]), list(op.outputs[len(carry):])
    final = final if carry_is_seq else final[0]
    stacked = (stacked if ys_is_seq else stacked[0]) if ys or not ys_is_seq else None
    return final, stacked


def _scan_length(seqs: list[Tensor], length: int | None, label: str) -> int | None:
    dims = set()
    for t in seqs:
        if t.shape is None or len(t.shape) == 0:
            raise ValueError(f"{label}: xs '{t.name}' of shape {fmt(t.shape)} has no leading "
                             "axis to scan over")
        if t.shape[0] is not None:
            dims.add(t.shape[0])
    if length is not None:
        dims.add(int(length))
    if len(dims) > 1:
        raise ValueError(f"{label}: xs have different lengths {sorted(dims)} "
                         f"(shapes {', '.join(fmt(t.shape) for t in seqs)})")
    if not seqs and length is None:
        raise ValueError(f"{label}: give xs or a length")
    found = dims.pop() if dims else None
    if found == 0:
        raise ValueError(f"{label}: cannot scan over a sequence of length 0")
    return found


def _check_carry(before: list[Tensor], after: list[Tensor], label: str) -> None:
    if len(before) != len(after):
        raise ValueError(f"{label}: the body returned {len(after)} carry values for "
                         f"{len(before)} in init")
    for a, b in zip(before, after):
        same_shape = (a.shape is not None and b.shape is not None and len(a.shape) == len(b.shape)
                      and all(x is None or y is None or x == y for x, y in zip(a.shape, b.shape)))
        if a.dtype != b.dtype or not same_shape:
            raise ValueError(
                f"{label}: the body turned a carry of shape {fmt(a.shape)} {a.dtype.name} into "
                f"{fmt(b.shape)} {b.dtype.name}; a carry must keep its shape and dtype"
            )


@define_op("print")
def _print_rule(x, *data, message, summarize):
    return x.shape, x.dtype


def print_tensors(x: Any, data: Sequence[Any] = (), message: str = "", summarize: int = 3,
                  name: str | None = None) -> Tensor:
    """``x``, with the side effect of printing ``message`` and ``data`` to stderr whenever it is
    computed: each data tensor as ``[v v v]``, its first ``summarize`` values (TF1's Print)."""
    x = convert_to_tensor(x)
    data = [convert_to_tensor(d) for d in data]
    return apply1("print", [x, *data], {"message": str(message), "summarize": int(summarize)},
                  name=name or "Print")
