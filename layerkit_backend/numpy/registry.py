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
``(output, residuals)``; the VJP receives ``residuals=``. Random ops declare ``random=True`` and
get ``key``, a tuple of ints: the program call's seed followed by the op's own ``seed``
attribute; ``numpy.random.default_rng(key)`` makes their generator, so a run is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Kernel:
    name: str
    forward: Callable
    vjp: Callable | None = None
    residuals: bool = False
    random: bool = False
    multi_output: bool = False


KERNELS: dict[str, Kernel] = {}


def defop(name: str, *, residuals: bool = False, random: bool = False,
          multi_output: bool = False):
    """Register ``forward`` as the kernel of op type ``name``; attach the VJP with ``.defvjp``."""

    def register(forward: Callable) -> Callable:
        if name in KERNELS:
            raise ValueError(f"numpy kernel {name!r} is defined twice")
        kernel = Kernel(name, forward, residuals=residuals, random=random,
                        multi_output=multi_output)
        KERNELS[name] = kernel

        def defvjp(vjp: Callable) -> Callable:
            kernel.vjp = vjp
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
