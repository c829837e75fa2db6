"""The program representation a backend receives.

The graph core (``layerkit.graph``) lowers what a user built into these plain records, so a backend
never imports the graph classes: imports point one way, core -> backend. Values are small integers;
a node reads values and defines new ones. Nodes are listed in an order where every value is defined
before it is read.

What a backend needs to know about an op type besides its kernel -- whether gradients flow
through it, whether it draws random numbers, whether it yields a tuple of outputs -- is decided
once, by the op's definition in the core, and copied into each ``Node``: a backend's table holds
kernels only, so two backends cannot disagree about these facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class Node:
    """One op application: ``outputs = op(*inputs, **attrs)``."""

    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the graph op's name, for error messages
    # Static (shape, numpy dtype) of each output; None in a shape is a dimension known only at
    # run time, and a shape of None an unknown rank.
    out_types: tuple[tuple[Any, Any], ...] = ()
    # Facts of the op type, from its definition in the core (``define_op``).
    differentiable: bool = True  # gradients flow through it to its floating-point inputs
    random: bool = False  # it draws random numbers (itself, or in a body it runs): give it a key
    multi_output: bool = False  # its kernel returns a tuple of outputs, even a tuple of one


@dataclass(frozen=True, eq=False)
class Function:
    """A pure sub-program: the body of a ``scan``, or the whole of a program's computation."""

    nodes: tuple[Node, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    @property
    def draws_random(self) -> bool:
        """Whether running it draws random numbers (a nested scan's node already says so for
        its own body)."""
        return any(node.random for node in self.nodes)


@dataclass(frozen=True, eq=False)
class ProgramSpec:
    """What to compile: ``(state, feeds, seed) -> (fetches, new_state)``.

    ``function.inputs`` are the feeds followed by the state values read, in ``state_keys`` order;
    ``function.outputs`` are the fetches followed by the new state values, in ``update_keys`` order.
    """

    function: Function
    n_feeds: int
    state_keys: tuple[str, ...]
    n_fetches: int
    update_keys: tuple[str, ...]
    # Every op rounds its own result: no fusing ``a * b + c`` into one fused multiply-add, which
    # rounds once. numpy and TensorFlow 1's CPU kernels round each op, so results match theirs to
    # the last bit; XLA contracts by default, which is faster and (slightly) more accurate.
    strict_float: bool = False

    @property
    def feeds(self) -> tuple[int, ...]:
        return self.function.inputs[: self.n_feeds]

    @property
    def state(self) -> tuple[int, ...]:
        return self.function.inputs[self.n_feeds :]

    @property
    def fetches(self) -> tuple[int, ...]:
        return self.function.outputs[: self.n_fetches]

    @property
    def updates(self) -> tuple[int, ...]:
        return self.function.outputs[self.n_fetches :]


def between(nodes: Sequence[Node], xs: Iterable[int], ys: Iterable[int], *,
            only_differentiable: bool = False) -> list[Node]:
    """The nodes of ``nodes`` on a path from some x to some y, in their order: those that read an
    x (directly or not) and that some y depends on.

    ``nodes`` must be in evaluation order (every value defined before it is read), as a
    ``Function``'s are. With ``only_differentiable``, a path runs through differentiable nodes
    only: the others neither belong to it nor pass dependence on an x along.
    """
    reached = set(xs)
    downstream = []
    for node in nodes:
        if (node.differentiable or not only_differentiable) and reached.intersection(node.inputs):
            reached.update(node.outputs)
            downstream.append(node)
    needed = set(ys)
    path = []
    for node in reversed(downstream):
        if needed.intersection(node.outputs):
            needed.update(node.inputs)
            path.append(node)
    return path[::-1]


def gradient_operands(node: Node) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A ``gradients`` node's inputs as ``(ys, xs, grad_ys)``; ``grad_ys`` is empty when none were
    given (each y's cotangent is then ones)."""
    n_ys, n_xs = node.attrs["n_ys"], node.attrs["n_xs"]
    grad_ys = node.inputs[n_ys + n_xs:] if node.attrs.get("has_grad_ys") else ()
    return node.inputs[:n_ys], node.inputs[n_ys:n_ys + n_xs], grad_ys
