"""Evaluates a ``Function`` with the lowering table, at trace time, into one JAX computation.

Evaluation is demand-driven: asking for a value computes the node that makes it, after the values
that node reads (memoized, with an explicit stack so a deep graph cannot exhaust Python's
recursion limit). Since it runs while ``jax.jit`` traces, every value is a tracer and the
result is one XLA program; nothing here runs per call.

A ``gradients`` node is a *block*: the forward nodes between its ``xs`` and ``ys`` (its path)
are evaluated inside a function handed to ``jax.vjp``, which returns the ``ys`` and, as auxiliary
output, every path value. So when the block runs -- because its gradient or any of its path
values (a fetched loss, say) is demanded -- the forward pass is computed once, by the vjp, and
the values other nodes need come from it rather than from a second evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerkit_backend.ir import Function, Node, between, gradient_operands
from layerkit_backend.jax.registry import LOWERINGS, Lowering


class Evaluator:
    """Lowers one ``Function``; ``key`` is the JAX PRNG key its random ops derive theirs from."""

    def __init__(self, function: Function, key: Any):
        self.function = function
        self.key = key
        self.memo: dict[int, Any] = {}
        self.producer: dict[int, Node] = {v: n for n in function.nodes for v in n.outputs}
        self.blocks: list[GradientBlock] = []
        self.claims: dict[int, GradientBlock] = {}  # id(node) -> the first block computing it
        for index, node in enumerate(function.nodes):
            if node.op == "gradients":
                block = GradientBlock(self, node, function.nodes[:index])
                self.blocks.append(block)
                for claimed in (*block.nodes, node):
                    self.claims.setdefault(id(claimed), block)

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        """The function's outputs, given its inputs."""
        for v, value in zip(self.function.inputs, inputs):
            self.memo[v] = value
        return [self.demand(v) for v in self.function.outputs]

    def demand(self, value: int) -> Any:
        """The value numbered ``value``, computing whatever it depends on first."""
        stack = [value]
        while stack:
            v = stack[-1]
            if v in self.memo:
                stack.pop()
                continue
            node = self.producer[v]
            block = self.claims.get(id(node))
            if block is not None and block.state == "pending":
                block.run()  # computes every value of its path, and its gradients
                continue
            if node.op == "gradients":
                raise RuntimeError(f"gradients '{node.name}' depends on its own result")
            missing = [u for u in node.inputs if u not in self.memo]
            if missing:
                stack.extend(missing)
                continue
            # A node claimed by a running block is needed outside it before the block's vjp
            # returns (only possible with several gradient blocks): compute it here as well.
            outputs = self.apply(node, [self.memo[u] for u in node.inputs])
            self.memo.update(zip(node.outputs, outputs))
            stack.pop()
        return self.memo[value]

    def apply(self, node: Node, args: Sequence[Any]) -> tuple[Any, ...]:
        """Run ``node``'s lowering on ``args``; outputs conformed to the declared types."""
        lowering = lowering_of(node)
        attrs = node.attrs
        if node.random or lowering.context:
            attrs = dict(attrs)
            if node.random:
                attrs["key"] = self.key_for(node)
            if lowering.context:
                attrs["ctx"] = self
        result = lowering.lower(*args, **attrs)
        outputs = tuple(result) if node.multi_output else (result,)
        return tuple(_conform(node, i, out) for i, out in enumerate(outputs))

    def key_for(self, node: Node) -> Any:
        """A random node's key: this function's key folded with the op's ``seed`` attribute; a
        node without one (a scan whose body draws) gets this function's key itself."""
        if "seed" not in node.attrs:
            return self.key
        return jax.random.fold_in(self.key, node.attrs["seed"] & 0xFFFFFFFF)

    def run_body(self, function: Function, inputs: Sequence[Any], key: Any) -> list[Any]:
        """Evaluate a nested function (a scan body) with its own PRNG key."""
        return Evaluator(function, key).run(inputs)


def lowering_of(node: Node) -> Lowering:
    try:
        return LOWERINGS[node.op]
    except KeyError:
        raise NotImplementedError(
            f"The jax backend has no lowering for op type {node.op!r} (op '{node.name}')"
        ) from None


def _conform(node: Node, index: int, value: Any) -> Any:
    """``value`` in the dtype the core declared for output ``index`` (jnp may have promoted);
    a shape that contradicts the declared one is a lowering bug, reported here."""
    if index >= len(node.out_types):
        return value
    shape, dtype = node.out_types[index]
    value = jnp.asarray(value)
    if dtype is not None and value.dtype != dtype:
        value = value.astype(dtype)
    if shape is not None and (len(shape) != value.ndim or any(
            d is not None and d != s for d, s in zip(shape, value.shape))):
        raise RuntimeError(
            f"jax lowering of {node.op} '{node.name}' made shape {value.shape}, but the op "
            f"declares {shape}"
        )
    return value


class GradientBlock:
    """A ``gradients`` node and the path it differentiates, run once through ``jax.vjp``.

    The path holds every node of ``before`` between the gradient's xs and ys, whether or not it
    is differentiable: the evaluator stops gradients at the inputs of the non-differentiable
    ones, so the gradient is the same as the numpy backend's, whose path holds only
    differentiable nodes; computing the others inside the block too means their values also
    come out of the one forward pass.
    """

    def __init__(self, evaluator: Evaluator, node: Node, before: Sequence[Node]):
        self.evaluator = evaluator
        self.node = node
        self.ys, self.xs, self.grad_ys = gradient_operands(node)
        self.nodes = between(before, self.xs, self.ys)
        for n in self.nodes:
            if n.op == "gradients":
                raise NotImplementedError(
                    f"gradients '{node.name}' would differentiate through gradients '{n.name}': "
                    "higher-order gradients are not supported by the jax backend"
                )
        self.unique_xs = tuple(dict.fromkeys(self.xs))  # the same x may be asked for twice
        made = {v for n in self.nodes for v in n.outputs}
        read = (*self.ys, *(u for n in self.nodes for u in n.inputs))
        # What the traced function reads from outside: the xs' values, grad_ys, and the values
        # the path reads but does not make. Demanded before the vjp, so that the traced function
        # only looks them up.
        self.external = tuple(dict.fromkeys(
            (*self.unique_xs, *self.grad_ys,
             *(u for u in read if u not in made and u not in self.unique_xs))))
        self.state = "pending"

    def run(self) -> None:
        """Compute the path values and the gradients; store both in the evaluator's memo."""
        self.state = "running"
        memo = self.evaluator.memo
        for v in self.external:  # before the vjp, so the traced function reads only the memo
            self.evaluator.demand(v)
        ys, vjp_fn, path_values = jax.vjp(self._forward, *(memo[x] for x in self.unique_xs),
                                          has_aux=True)
        cotangents = self._seeds(ys)
        grads = dict(zip(self.unique_xs, vjp_fn(cotangents)))
        for v, value in path_values.items():
            memo.setdefault(v, value)
        outputs = [grads[x] for x in self.xs]
        memo.update(zip(self.node.outputs,
                        (_conform(self.node, i, g) for i, g in enumerate(outputs))))
        self.state = "done"

    def _forward(self, *xs: Any) -> tuple[tuple[Any, ...], dict[int, Any]]:
        """ys as a function of xs, with every path value as auxiliary output."""
        memo = self.evaluator.memo
        local = dict(zip(self.unique_xs, xs))
        for node in self.nodes:
            args = [local[u] if u in local else memo[u] for u in node.inputs]
            if not node.differentiable:
                args = [jax.lax.stop_gradient(a) for a in args]
            for v, value in zip(node.outputs, self.evaluator.apply(node, args)):
                if v in local:
                    # An x that another x computes (gradients of [h, W] with h = f(W)): the
                    # gradient reaches h itself and, through h, W, as in the numpy sweep. The
                    # sum below equals h, with derivative 1 for the argument and for `value`.
                    value = local[v] + (value - jax.lax.stop_gradient(value))
                local[v] = value
        ys = tuple(local[y] if y in local else memo[y] for y in self.ys)
        aux = {v: value for v, value in local.items() if v not in self.unique_xs}
        return ys, aux

    def _seeds(self, ys: Sequence[Any]) -> tuple[Any, ...]:
        """The cotangent of each y: ``grad_ys`` when given, else ones."""
        if not self.grad_ys:
            return tuple(jnp.ones(np.shape(y), y.dtype) for y in ys)
        memo = self.evaluator.memo
        return tuple(jnp.broadcast_to(jnp.asarray(memo[g], y.dtype), np.shape(y))
                     for g, y in zip(self.grad_ys, ys))
