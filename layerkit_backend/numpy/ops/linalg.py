"""Linear algebra: kernels and VJP rules side by side."""

from __future__ import annotations

import math
import string

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


# -- einsum -----------------------------------------------------------------------------------
@defop("einsum")
def einsum(*operands, subscripts):
    # optimize: contract through BLAS (tensordot) in a good order, not numpy's plain loops.
    return np.asarray(np.einsum(subscripts, *operands, optimize=True))


@einsum.defvjp
def _(g, out, *operands, subscripts, needs=None):
    if not np.issubdtype(out.dtype, np.floating):
        return (None,) * len(operands)
    terms, output = _lettered(subscripts, operands)
    return tuple(_einsum_grad(g, output, terms, operands, i)
                 if needs is None or needs[i] else None for i in range(len(operands)))


def _lettered(subscripts: str, operands) -> tuple[list[str], str]:
    """The terms of ``subscripts`` with each '...' spelled out in letters of its own, aligned
    on the right as numpy broadcasts them, so every axis has a letter."""
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    spare = [c for c in string.ascii_letters if c not in subscripts]
    extra = [x.ndim - len(t) + 3 for t, x in zip(terms, operands) if "..." in t]
    dots = "".join(spare[:max(extra, default=0)])
    terms = [t.replace("...", dots[len(dots) - (x.ndim - len(t) + 3):]) if "..." in t else t
             for t, x in zip(terms, operands)]
    return terms, output.replace("...", dots)


def _einsum_grad(g, output, terms, operands, i):
    """The cotangent of operand ``i``: the einsum of ``g`` with the other operands, onto the
    letters of its term."""
    x, term = operands[i], terms[i]
    others = [(t, a) for j, (t, a) in enumerate(zip(terms, operands)) if j != i]
    others.append((output, g))
    seen = set("".join(t for t, _ in others))
    letters = "".join(dict.fromkeys(term))  # each once: a repeated letter is a diagonal
    # A letter only x has was summed over x alone; einsum cannot make it, so it is
    # broadcast back afterwards, as the gradient of a sum.
    kept = "".join(c for c in letters if c in seen)
    spec = ",".join(t for t, _ in others) + "->" + kept
    grad = np.einsum(spec, *(a for _, a in others), optimize=True)
    grad = np.expand_dims(grad, tuple(k for k, c in enumerate(letters) if c not in seen))
    size = dict(zip(term, x.shape))
    # A size-1 axis of x that '...' broadcast against the others: the gradient of a broadcast
    # is a sum.
    wide = tuple(k for k, c in enumerate(letters) if size[c] == 1 and grad.shape[k] != 1)
    if wide:
        grad = grad.sum(axis=wide, keepdims=True)
    grad = np.broadcast_to(grad, [size[c] for c in letters])
    if len(letters) == len(term):
        return grad
    # Put the gradient on the diagonal the repeated letter read; the rest of x has none.
    diagonal = tuple(np.arange(size[c]).reshape([-1 if d == c else 1 for d in letters])
                     for c in term)
    gx = np.zeros(x.shape, g.dtype)
    gx[diagonal] = grad
    return gx
