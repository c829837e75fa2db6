"""The jax backend's lowering table: one small pure function per op type.

    @deflower("multiply")
    def multiply(x, y):
        return jnp.multiply(x, y)

A lowering takes the input arrays (traced ``jax.Array`` values) and the op's attributes as
keywords, exactly like the numpy backend's forward kernel, and returns the output (a tuple of them
for a multi-output op) built from ``jax.numpy`` / ``jax.lax``. Gradients need no rule here: JAX
differentiates the lowered functions itself. What this table does record about gradients is
whether an op lets them through (``differentiable``): the numpy backend's ops without a VJP rule
are exactly the ones marked ``differentiable=False`` here, and the evaluator stops gradients at
their inputs so both backends agree on what a gradient sees.

Random lowerings (``random=True``) also get ``key``: a JAX PRNG key derived from the program
call's seed and the op's ``seed`` attribute. Lowerings that need to evaluate a nested function
(``scan``) declare ``context=True`` and get ``ctx``, the evaluator running them.

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
    differentiable: bool = True
    random: bool = False
    multi_output: bool = False
    context: bool = False


LOWERINGS: dict[str, Lowering] = {}


def deflower(name: str, *, differentiable: bool = True, random: bool = False,
             multi_output: bool = False, context: bool = False) -> Callable:
    """Register the decorated function as the lowering of op type ``name``."""

    def register(lower: Callable) -> Callable:
        if name in LOWERINGS:
            raise ValueError(f"jax lowering {name!r} is defined twice")
        LOWERINGS[name] = Lowering(name, lower, differentiable, random, multi_output, context)
        return lower

    return register
