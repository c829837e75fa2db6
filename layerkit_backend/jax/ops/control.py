"""Control flow and side effects: ``scan`` as ``lax.scan``, and ``print`` as a debug callback."""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

from layerkit_backend.jax.registry import deflower


@deflower("scan", context=True)
def scan(*inputs, body, n_carry, n_seq, n_ys, length, reverse, ctx, key=None):
    """``lax.scan`` over the body, lowered once (not per step: XLA loops over it)."""
    init = tuple(inputs[:n_carry])
    seqs = tuple(inputs[n_carry:n_carry + n_seq])
    captured = inputs[n_carry + n_seq:]
    steps = seqs[0].shape[0] if seqs else length
    # ``key`` comes only when the body draws random numbers (the node is then random): its
    # random ops draw from the key folded with the step index, so steps differ.
    indexed = key is not None
    xs = (jnp.arange(steps), *seqs) if indexed else seqs

    def step(carry, x):
        step_key = jax.random.fold_in(key, x[0]) if indexed else ctx.key
        x_t = x[1:] if indexed else x
        outputs = ctx.run_body(body, [*carry, *x_t, *captured], step_key)
        # lax.scan wants the carry's types exactly as they came in.
        new_carry = tuple(jnp.asarray(o, c.dtype) for o, c in zip(outputs[:n_carry], carry))
        return new_carry, tuple(outputs[n_carry:])

    final, stacked = jax.lax.scan(step, init, xs, length=steps, reverse=reverse)
    return (*final, *stacked)


@deflower("print")
def print_(x, *data, message, summarize):
    """``x``; when computed, prints ``message`` and each data tensor's first values to stderr."""
    jax.debug.callback(lambda *values: _emit(message, summarize, values), *data)
    return x


def _emit(message: str, summarize: int, values) -> None:
    print(message + "".join(_summary(v, summarize) for v in values), file=sys.stderr,
          flush=True)


def _summary(value, summarize: int) -> str:
    """``[v v v...]``: the first ``summarize`` values, as TensorFlow 1's Print shows them."""
    flat = np.asarray(value).ravel()
    shown = " ".join(str(v) for v in flat[:summarize])
    return f"[{shown}{'...' if flat.size > summarize else ''}]"
