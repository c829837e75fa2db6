"""Programs: what to feed, what to fetch and which variables to update, lowered for a backend.

Lowering walks back from the fetched tensors and the new variable values, keeps the ops they
need in creation order, and numbers their values. Placeholders become feeds, variables become
state inputs, ``assign`` becomes a state output, and a ``scan`` body becomes a nested function.
The result (``layerkit_backend.ir``) is compiled once by the backend and called many times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from layerkit.graph.errors import InvalidArgumentError
from layerkit.graph.graph import Operation, Tensor
from layerkit.graph.shapes import fmt
from layerkit.graph.variables import Variable
from layerkit_backend.ir import Function, Node, ProgramSpec

_NOT_COMPUTED = {"placeholder", "variable", "assign", "no_op"}


@dataclass(frozen=True)
class Lowered:
    spec: ProgramSpec
    placeholders: tuple[Tensor, ...]  # the feeds, in the order the program takes them
    variables: tuple[Variable, ...]  # the state read, in the order the program takes it


def lower_program(
    fetches: Sequence[Tensor],
    updates: Sequence[tuple[Variable, Tensor]],
    fed: Sequence[Tensor] = (),
    strict_float: bool = False,
) -> Lowered:
    """Lower a run that computes ``fetches`` and stores ``updates``, given the ``fed`` tensors.

    Raises if a needed placeholder is not fed. ``strict_float`` asks the backend to round every
    op's result (see ``ProgramSpec``).
    """
    keys = [v.key for v, _ in updates]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(
            f"Variable(s) {', '.join(sorted(duplicates))} would be assigned twice in one run"
        )
    values = [*fetches, *(value for _, value in updates)]
    fed_set = set(fed)
    placeholders, variables = [], []
    for op in needed_ops(values):
        if op.type == "placeholder":
            if op.outputs[0] not in fed_set:
                t = op.outputs[0]
                raise InvalidArgumentError(
                    f"You must feed a value for placeholder '{op.name}' with dtype "
                    f"{t.dtype.name} and shape {fmt(t.shape)}"
                )
            placeholders.append(op.outputs[0])
        elif op.type == "variable":
            variables.append(op.outputs[0])
    inputs = [*placeholders, *variables]
    function = lower_function(inputs, values)
    spec = ProgramSpec(function, len(placeholders), tuple(v.key for v in variables),
                       len(fetches), tuple(keys), strict_float)
    return Lowered(spec, tuple(placeholders), tuple(variables))


def needed_ops(tensors: Sequence[Tensor], stop: frozenset | set = frozenset()) -> list[Operation]:
    """The ops ``tensors`` depend on through data edges, in creation (evaluation) order,
    not looking past the tensors in ``stop``."""
    seen: set[Operation] = set()
    stack = [t.op for t in tensors if t not in stop]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in stop)
    return sorted(seen, key=lambda op: op.order)


def lower_function(inputs: Sequence[Tensor], outputs: Sequence[Tensor]) -> Function:
    """Number the values computing ``outputs`` from ``inputs``; nested bodies recursively."""
    ids: dict[Tensor, int] = {}

    def value_id(t: Tensor) -> int:
        if t not in ids:
            ids[t] = len(ids)
        return ids[t]

    for t in inputs:
        value_id(t)
    nodes = []
    for op in needed_ops(outputs, stop=set(ids)):
        if op.type in ("placeholder", "variable"):
            raise ValueError(f"'{op.name}' ({op.type}) is needed but is not an input")
        if op.type == "assign":
            ids[op.outputs[0]] = value_id(op.inputs[0])  # an assign yields the value it stores
            continue
        if op.type == "no_op":
            continue
        attrs = {k: _lower_attr(v) for k, v in op.attrs.items()}
        nodes.append(Node(op.type, tuple(value_id(t) for t in op.inputs),
                          tuple(value_id(t) for t in op.outputs), attrs, op.name,
                          tuple((t.shape, t.dtype) for t in op.outputs)))
    return Function(tuple(nodes), tuple(ids[t] for t in inputs),
                    tuple(value_id(t) for t in outputs))


def _lower_attr(value):
    lower = getattr(value, "lower", None)
    return lower() if callable(lower) and hasattr(value, "is_function_graph") else value
