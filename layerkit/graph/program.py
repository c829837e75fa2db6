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
from layerkit.graph.graph import Operation, Tensor, ancestors
from layerkit.graph.opdef import get_opdef
from layerkit.graph.ops.control import FuncGraph
from layerkit.graph.shapes import fmt
from layerkit.graph.variables import Variable
from layerkit_backend.ir import Function, Node, ProgramSpec

# Ops that never become a node: placeholders and variables are the program's inputs, an
# ``assign`` names a value the program outputs as new state, a ``no_op`` only groups control
# dependencies. Every other op the core defines becomes a node that a backend computes.
NOT_LOWERED = frozenset({"placeholder", "variable", "assign", "no_op"})


@dataclass(frozen=True, eq=False)  # it holds tensors, whose == is element-wise
class Lowered:
    """A lowered run: the backend's program and the graph tensors its inputs stand for."""

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
    placeholders, variables = _program_inputs(values, set(fed))
    function = lower_function([*placeholders, *variables], values)
    spec = ProgramSpec(function, len(placeholders), tuple(v.key for v in variables),
                       len(fetches), tuple(keys), strict_float)
    return Lowered(spec, tuple(placeholders), tuple(variables))


def _program_inputs(values: Sequence[Tensor], fed: set[Tensor]) -> tuple[list, list]:
    """The placeholders and the variables ``values`` need, in creation order; each
    placeholder must be ``fed``."""
    needed = ancestors(values)
    placeholders = [op.outputs[0] for op in needed if op.type == "placeholder"]
    for t in placeholders:
        if t not in fed:
            raise InvalidArgumentError(
                f"You must feed a value for placeholder '{t.op.name}' with dtype "
                f"{t.dtype.name} and shape {fmt(t.shape)}"
            )
    return placeholders, [op.outputs[0] for op in needed if op.type == "variable"]


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
    for op in ancestors(outputs, stop=set(ids)):
        if op.type in ("placeholder", "variable"):
            raise ValueError(f"'{op.name}' ({op.type}) is needed but is not an input")
        if op.type == "assign":
            ids[op.outputs[0]] = value_id(op.inputs[0])  # an assign yields the value it stores
        elif op.type not in NOT_LOWERED:
            nodes.append(_node(op, [value_id(t) for t in op.inputs],
                               [value_id(t) for t in op.outputs]))
    return Function(tuple(nodes), tuple(ids[t] for t in inputs),
                    tuple(value_id(t) for t in outputs))


def _node(op: Operation, inputs: list[int], outputs: list[int]) -> Node:
    """``op`` as a node reading and defining the numbered values, with its type's facts."""
    attrs = {k: lower_body(v) if isinstance(v, FuncGraph) else v for k, v in op.attrs.items()}
    opdef = get_opdef(op.type)
    # An op running a body (scan) draws random numbers when its body does.
    random = opdef.random or any(isinstance(v, Function) and v.draws_random
                                 for v in attrs.values())
    return Node(op.type, tuple(inputs), tuple(outputs), attrs, op.name,
                tuple((t.shape, t.dtype) for t in op.outputs),
                differentiable=opdef.differentiable, random=random,
                multi_output=opdef.multi_output)


def lower_body(body: FuncGraph) -> Function:
    """A loop body as a nested ``Function``: its inputs are the explicit ones, then the
    placeholders standing for the outer tensors it captured."""
    return lower_function([*body.inputs, *body.captures.values()], body.outputs)
