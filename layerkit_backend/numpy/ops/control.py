"""Control flow and side effects: ``scan`` with back-propagation through time, and ``print``."""

from __future__ import annotations

import sys
import weakref

import numpy as np

from layerkit_backend.ir import Function
from layerkit_backend.numpy.interpreter import (
    BackStep,
    Interpreter,
    backprop,
    path_between,
    plan_function,
)
from layerkit_backend.numpy.registry import defop

_interpreters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_paths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _interpreter(body: Function) -> Interpreter:
    """The body's interpreter, planned once per body."""
    if body not in _interpreters:
        _interpreters[body] = Interpreter(plan_function(body))
    return _interpreters[body]


def _path(body: Function, from_inputs: tuple[bool, ...]) -> tuple[BackStep, ...]:
    """The body's differentiable path from the inputs marked in ``from_inputs`` to its
    outputs, planned once per body and mask."""
    paths = _paths.setdefault(body, {})
    if from_inputs not in paths:
        xs = [v for v, wanted in zip(body.inputs, from_inputs) if wanted]
        paths[from_inputs] = path_between(body.nodes, xs, body.outputs)
    return paths[from_inputs]


@defop("scan", residuals=True)
def scan(*inputs, body, n_carry, n_seq, n_ys, length, reverse, want_residuals, key=()):
    # ``key`` comes only when the body draws random numbers (the node is then random); each
    # step's body runs with it and the step index, so steps draw different values.
    interpreter = _interpreter(body)
    carry = list(inputs[:n_carry])
    seqs = inputs[n_carry:n_carry + n_seq]
    captured = list(inputs[n_carry + n_seq:])
    steps = seqs[0].shape[0] if seqs else length
    ys: list = [None] * steps
    tapes = []  # per step (t, env, residuals): the forward values BPTT reuses
    for t in (reversed(range(steps)) if reverse else range(steps)):
        step_inputs = [*carry, *(s[t] for s in seqs), *captured]
        if want_residuals:
            outputs, env, saved = interpreter.run(step_inputs, (*key, t), keep=True)
            tapes.append((t, env, saved))
        else:
            outputs = interpreter.run(step_inputs, (*key, t))
        carry, ys[t] = outputs[:n_carry], outputs[n_carry:]
    stacked = [np.stack([ys[t][k] for t in range(steps)]) for k in range(n_ys)]
    return (*carry, *stacked), tapes


@scan.defvjp
def _(g, out, *inputs, body, n_carry, n_seq, n_ys, length, reverse, residuals, needs=None):
    """Back-propagation through time: walk the steps backwards, each a reverse sweep over the
    body's tape, carrying the carry's cotangent from step to step.

    The carry's cotangent always flows from step to step; a sequence or captured input that
    nothing needs (a fed batch) is left out of the sweep, so the body's rules skip it too."""
    needs = (True,) * len(inputs) if needs is None else needs
    path = _path(body, (True,) * n_carry + tuple(needs[n_carry:]))
    seqs = inputs[n_carry:n_carry + n_seq]
    captured = inputs[n_carry + n_seq:]
    g_carry = list(g[:n_carry])
    g_ys = g[n_carry:]
    g_seqs = [np.zeros_like(s) if need and _floating(s) else None
              for s, need in zip(seqs, needs[n_carry:n_carry + n_seq])]
    g_captured = [np.zeros_like(c) if need and _floating(c) else None
                  for c, need in zip(captured, needs[n_carry + n_seq:])]
    carry_in = body.inputs[:n_carry]
    seq_in = body.inputs[n_carry:n_carry + n_seq]
    captured_in = body.inputs[n_carry + n_seq:]
    for t, env, saved in reversed(residuals):
        seeds = [(v, gc) for v, gc in zip(body.outputs[:n_carry], g_carry) if _floating(gc)]
        seeds += [(v, gy[t]) for v, gy in zip(body.outputs[n_carry:], g_ys) if _floating(gy)]
        cts = backprop(path, env, saved, seeds)
        g_carry = [cts[v] if v in cts else np.zeros_like(env[v]) for v in carry_in]
        for k, v in enumerate(seq_in):
            if g_seqs[k] is not None and v in cts:
                g_seqs[k][t] += cts[v]
        for k, v in enumerate(captured_in):
            if g_captured[k] is not None and v in cts:
                g_captured[k] += cts[v]
    g_carry = [gc if _floating(c) else None for gc, c in zip(g_carry, inputs[:n_carry])]
    return (*g_carry, *g_seqs, *g_captured)


def _floating(x) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.floating)


@defop("print")
def print_(x, *data, message, summarize):
    print(message + "".join(_summary(d, summarize) for d in data), file=sys.stderr, flush=True)
    return x


@print_.defvjp
def _(g, out, x, *data, message, summarize):
    return (g, *(None for _ in data))


def _summary(value, summarize: int) -> str:
    """``[v v v...]``: the first ``summarize`` values, as TensorFlow 1's Print shows them."""
    flat = np.asarray(value).ravel()
    shown = " ".join(str(v) for v in flat[:summarize])
    return f"[{shown}{'...' if flat.size > summarize else ''}]"
