"""Runs a ``Function`` with the numpy kernels, and computes gradients by a reverse sweep.

A function is planned once: for each node its kernel, and which values die after it (their last
reader ran), so intermediates are freed as soon as possible. A ``gradients`` node reads the
forward values of every node between its ``xs`` and ``ys``; the plan keeps those alive until it
runs and the sweep reuses them, so the forward pass is never recomputed. The sweep asks each
VJP rule only for the cotangents someone reads: those of inputs that depend on the xs (a fed
input's never are), as a ``needs`` mask computed with the path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from layerkit_backend.ir import Function, Node, between, gradient_operands
from layerkit_backend.numpy.registry import KERNELS, Kernel


@dataclass(frozen=True)
class BackStep:
    """One node of a reverse sweep, with its kernel (for the VJP rule) and ``needs``: for each
    input, whether it depends on the gradient's xs, so that a cotangent for it is read."""

    node: Node
    kernel: Kernel
    needs: tuple[bool, ...]


@dataclass
class Step:
    node: Node
    kernel: Kernel | None  # None for the gradients node, which the interpreter runs itself
    free_after: tuple[int, ...]
    path: tuple[BackStep, ...] = ()  # gradients node only: the forward nodes to sweep back over
    want_residuals: bool = False


@dataclass
class Plan:
    function: Function
    steps: list[Step]
    size: int  # number of value slots


def plan_function(function: Function) -> Plan:
    """Kernels, gradient paths and value lifetimes for ``function``, computed once."""
    size = 1 + max([*function.inputs, *function.outputs,
                    *(v for n in function.nodes for v in (*n.inputs, *n.outputs))], default=-1)
    steps: list[Step] = []
    reads: list[set[int]] = []
    taped: set[int] = set()  # ids of nodes whose residuals a later gradient needs
    for index, node in enumerate(function.nodes):
        if node.op == "gradients":
            path = gradient_path(function.nodes[:index], node)
            used = set(node.inputs)
            for p in path:
                used.update(p.node.inputs)
                used.update(p.node.outputs)
                taped.add(id(p.node))
            steps.append(Step(node, None, (), path))
            reads.append(used)
        else:
            kernel = KERNELS.get(node.op)
            if kernel is None:
                raise NotImplementedError(
                    f"The numpy backend has no kernel for op type {node.op!r} (op '{node.name}')"
                )
            steps.append(Step(node, kernel, ()))
            reads.append(set(node.inputs))
    last_read: dict[int, int] = {}
    for index, used in enumerate(reads):
        for v in used:
            last_read[v] = index
    keep = set(function.outputs)
    frees: list[list[int]] = [[] for _ in steps]
    for v, index in last_read.items():
        if v not in keep:
            frees[index].append(v)
    for index, step in enumerate(steps):
        step.free_after = tuple(frees[index])
        # A value no one reads dies as soon as it is made.
        step.free_after += tuple(v for v in step.node.outputs
                                 if v not in last_read and v not in keep)
        step.want_residuals = id(step.node) in taped and bool(step.kernel and step.kernel.residuals)
    return Plan(function, steps, size)


def gradient_path(before: Sequence[Node], grad_node: Node) -> tuple[BackStep, ...]:
    """The nodes of ``before`` on a differentiable path from the gradient's xs to its ys."""
    ys, xs, _ = gradient_operands(grad_node)
    return path_between(before, xs, ys)


def path_between(nodes: Sequence[Node], xs: Sequence[int],
                 ys: Sequence[int]) -> tuple[BackStep, ...]:
    """The steps of a reverse sweep from ``ys`` back to ``xs``: the differentiable nodes on a
    path between them (``ir.between``), each with its ``needs`` mask.

    An input of such a node needs a cotangent only if it depends on some x too: it is an x or
    the output of a node on the path. The others (a fed batch, a constant) never pass one on."""
    path = between(nodes, xs, ys, only_differentiable=True)
    depends = set(xs).union(*(node.outputs for node in path))
    return tuple(BackStep(node, _vjp_kernel(node), tuple(v in depends for v in node.inputs))
                 for node in path)


def _vjp_kernel(node: Node) -> Kernel:
    kernel = KERNELS.get(node.op)
    if kernel is None or kernel.vjp is None:
        raise NotImplementedError(
            f"The numpy backend has no VJP rule for op type {node.op!r} (op '{node.name}'), "
            "which the core defines as differentiable"
        )
    return kernel


class Interpreter:
    """Executes a plan. ``keep`` retains every value (the scan body's per-step tape)."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def run(self, inputs: Sequence[np.ndarray], seed: Sequence[int], keep: bool = False):
        env: list = [None] * self.plan.size
        for v, value in zip(self.plan.function.inputs, inputs):
            env[v] = value
        residuals: dict[int, object] = {}
        for step in self.plan.steps:
            node = step.node
            if step.kernel is None:
                results = _run_gradients(step, env, residuals, seed)
            else:
                # Taping a scan body step: every node may be swept back over, so all save.
                results = _run_kernel(step, env, residuals, seed, step.want_residuals or keep)
            for v, value in zip(node.outputs, results):
                env[v] = value
            if not keep:
                for v in step.free_after:
                    env[v] = None
        outputs = [env[v] for v in self.plan.function.outputs]
        return (outputs, env, residuals) if keep else outputs


def _run_kernel(step: Step, env: list, residuals: dict, seed: Sequence[int],
                want_residuals: bool) -> tuple:
    node, kernel = step.node, step.kernel
    args = [env[v] for v in node.inputs]
    kwargs = node.attrs
    if node.random:
        kwargs = {**kwargs, "key": (*seed, kwargs["seed"]) if "seed" in kwargs else tuple(seed)}
    if kernel.residuals:
        kwargs = {**kwargs, "want_residuals": want_residuals}
        result, saved = kernel.forward(*args, **kwargs)
        if want_residuals:
            residuals[id(node)] = saved
    else:
        result = kernel.forward(*args, **kwargs)
    return tuple(result) if node.multi_output else (result,)


def _run_gradients(step: Step, env: list, residuals: dict, seed: Sequence[int]) -> tuple:
    ys, xs, grad_ys = gradient_operands(step.node)
    seeds = [env[v] for v in grad_ys] if grad_ys else [np.ones_like(env[y]) for y in ys]
    cotangents = backprop(step.path, env, residuals, list(zip(ys, seeds)))
    # Zeros only for the xs no gradient reached (an x the ys do not depend on).
    return tuple(cotangents[x] if x in cotangents else np.zeros_like(env[x]) for x in xs)


def backprop(path: Sequence[BackStep], env: list, residuals: dict,
             seeds: Sequence[tuple[int, np.ndarray]]) -> dict[int, np.ndarray]:
    """Reverse-mode sweep: cotangents of every value on ``path``, given those of the outputs.

    Each node's VJP rule maps the cotangents of its outputs to those of the inputs that need
    one, using the forward values kept in ``env``; cotangents reaching a value along several
    paths are summed.
    """
    cotangents: dict[int, np.ndarray] = {}
    for v, g in seeds:
        _accumulate(cotangents, v, g)
    for step in reversed(path):
        node, kernel = step.node, step.kernel
        gs = [cotangents.get(v) for v in node.outputs]
        if all(g is None for g in gs):
            continue
        outs = [env[v] for v in node.outputs]
        args = [env[v] for v in node.inputs]
        extra = {}
        if kernel.residuals:
            extra["residuals"] = residuals.get(id(node))
        if kernel.vjp_takes_needs:
            extra["needs"] = step.needs
        if node.multi_output:
            g = tuple(np.zeros_like(o) if gi is None else gi for gi, o in zip(gs, outs))
            out = tuple(outs)
        else:
            g, out = gs[0], outs[0]
        input_cts = kernel.vjp(g, out, *args, **node.attrs, **extra)
        for v, ct, need in zip(node.inputs, input_cts, step.needs):
            if need and ct is not None:
                _accumulate(cotangents, v, ct)
    return cotangents


def _accumulate(cotangents: dict, v: int, g: np.ndarray) -> None:
    # Never in place: a VJP may hand back the very array it received (add passes g through).
    cotangents[v] = g if v not in cotangents else cotangents[v] + g
