"""The program representation a backend receives.

The graph core (``layerkit.graph``) lowers what a user built into these plain records, so a backend
never imports the graph classes: imports point one way, core -> backend. Values are small integers;
a node reads values and defines new ones. Nodes are listed in an order where every value is defined
before it is read.
"""

from __future__ import annotations

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


@dataclass(frozen=True, eq=False)
class Function:
    """A pure sub-program: the body of a ``scan``, or the whole of a program's computation."""

    nodes: tuple[Node, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


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
