"""The jax backend's lowering table: one small pure function per op type.

    @deflower("multiply")
    def multiply(x, y):
        return jnp.multiply(x, y)

A lowering takes the input arrays (traced ``jax.Array`` values) and the op's attributes as
keywords, exactly like the numpy backend's forward kernel, and returns the output (a tuple of them
for a multi-output op) built from ``jax.numpy`` / ``jax.lax``. Gradients need no rule here: JAX
differentiates the lowered functions itself.

The table holds lowerings only; the facts of an op type come with each node, from the op's
definition in the core (``define_op``; see ``layerkit_backend.ir.Node``). The evaluator stops
gradients at the inputs of a node that is not differentiable, so both backends agree on what a
gradient sees. A random node's lowering also gets ``key``: a JAX PRNG key derived from the
program call's seed and the op's ``seed`` attribute. Lowerings that need to evaluate a nested
function (``scan``) declare ``context=True`` and get ``ctx``, the evaluator running them.

The evaluator casts every output to the dtype the core declared for it, so a lowering may let
jnp promote; but it should not need to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Lowering:
    """How one op type becomes JAX operations."""

    name: str
    lower: Callable
    context: bool = False  # it evaluates a nested function: it gets ``ctx``, the evaluator


LOWERINGS: dict[str, Lowering] = {}


def deflower(name: str, *, context: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as the lowering of op type ``name``."""

    def register(lower: Callable) -> Callable:
        if name in LOWERINGS:
            raise ValueError(f"jax lowering {name!r} is defined twice")
        LOWERINGS[name] = Lowering(name, lower, context)
        return lower

    return register
