"""Linear algebra: kernel and VJP rule side by side."""

from __future__ import annotations

import math

import numpy as np

from layerkit_backend.numpy.registry import defop, unbroadcast


@defop("matmul")
def matmul(a, b):
    return np.matmul(a, b)


@matmul.defvjp
def _(g, out, a, b, *, needs=(True, True)):
    if not np.issubdtype(out.dtype, np.floating):
        return None, None
    # Treat 1-D operands as the matrices numpy promotes them to, and put their axis back in g.
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    if b.ndim == 1:  # first: for vector @ vector, g is a scalar until this gives it an axis
        g = np.expand_dims(g, -1)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    # Each gradient is a GEMM as big as the forward one: skip those nobody reads (a fed input).
    ga = _left_grad(g, b2, a2.shape).reshape(a.shape) if needs[0] else None
    gb = _right_grad(a2, g, b2.shape).reshape(b.shape) if needs[1] else None
    return ga, gb


def _left_grad(g, b, shape):
    """``g @ b^T`` summed down to ``shape`` (the left operand's)."""
    if len(shape) == 2 and g.ndim > 2 and b.ndim == g.ndim:
        # A matrix times a batch (b's batch is the output's): fold the batch into the
        # contraction, so the sum over it happens inside one GEMM.
        depth = math.prod(g.shape[:-2]) * g.shape[-1]  # explicit: -1 is ambiguous for 0 rows
        rows = np.moveaxis(g, -2, 0).reshape(shape[0], depth)
        return rows @ np.swapaxes(b, -1, -2).reshape(depth, shape[1])
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), shape)


def _right_grad(a, g, shape):
    """``a^T @ g`` summed down to ``shape`` (the right operand's)."""
    if len(shape) == 2 and g.ndim > 2 and a.ndim == g.ndim:
        # A batch times a matrix (the common dense layer on sequences): one GEMM over all rows.
        depth = math.prod(g.shape[:-1])
        return a.reshape(depth, shape[0]).T @ g.reshape(depth, shape[1])
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), shape)
