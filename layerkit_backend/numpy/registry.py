"""The numpy backend's op table: each op's forward kernel with its VJP rule beside it.

    @defop("multiply")
    def multiply(x, y):
        return x * y

    @multiply.defvjp
    def _(g, out, x, y):
        return unbroadcast(g * y, x.shape), unbroadcast(g * x, y.shape)

A forward kernel takes the input arrays and the op's attributes as keywords. A VJP rule takes
the cotangent ``g`` of the output (a tuple of them for a multi-output op, with zeros for outputs
nothing depends on), the forward output(s), the inputs and the attributes, and returns one
cotangent per input (``None`` where no gradient flows). Ops whose VJP needs more than inputs and
outputs declare ``residuals=True``: their forward takes ``want_residuals`` and returns
``(output, residuals)``; the VJP receives ``residuals=``.

The table holds kernels only; the facts of an op type come with each node, from the op's
definition in the core (``define_op``; see ``layerkit_backend.ir.Node``). A differentiable op's
kernel has a VJP rule and only it has one. A multi-output op's kernel returns a tuple. A random
node's kernel gets ``key``, a tuple of ints: the program call's seed followed by the op's own
``seed`` attribute; ``numpy.random.default_rng(key)`` makes their generator, so a run is
reproducible.

Not every input wants a cotangent: a Dense layer's fed ``x`` does not, only its weights do. A VJP
rule that declares a keyword parameter ``needs`` receives a tuple of booleans, one per input,
telling which inputs lie on a path from the gradient's xs; it returns ``None`` for the others
and so skips their work (matmul then never computes ``g @ b.T`` for a fed ``a``)::

    @matmul.defvjp
    def _(g, out, a, b, *, needs):
        ...

Rules without the parameter are called as before; the interpreter drops whatever cotangents
they return for inputs nobody needs. Only rules where skipping saves real work declare it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Kernel:
    """One op type's forward kernel, its VJP rule, and how the interpreter calls them."""

    name: str
    forward: Callable
    vjp: Callable | None = None
    residuals: bool = False
    vjp_takes_needs: bool = False  # the VJP rule has a ``needs`` parameter (see above)


KERNELS: dict[str, Kernel] = {}


def defop(name: str, *, residuals: bool = False) -> Callable[[Callable], Callable]:
    """Register ``forward`` as the kernel of op type ``name``; attach the VJP with ``.defvjp``."""

    def register(forward: Callable) -> Callable:
        if name in KERNELS:
            raise ValueError(f"numpy kernel {name!r} is defined twice")
        kernel = Kernel(name, forward, residuals=residuals)
        KERNELS[name] = kernel

        def defvjp(vjp: Callable) -> Callable:
            kernel.vjp = vjp
            kernel.vjp_takes_needs = "needs" in inspect.signature(vjp).parameters
            return vjp

        forward.defvjp = defvjp
        return forward

    return register


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: the VJP of numpy broadcasting ``shape`` to ``g.shape``."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, d in enumerate(shape) if d == 1 and g.shape[i + extra] != 1
    )
    return np.sum(g, axis=axes, keepdims=False).reshape(shape) if axes else g.reshape(shape)
