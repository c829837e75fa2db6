"""Cases for the linear-algebra ops (``layerkit.graph.ops.linalg``)."""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform

# (a, b): matrices, stacks with broadcast batch dims on either side (the VJP sums them away),
# and 1-D operands (numpy's vector promotion) on the left, the right and both.
SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((0, 4), (4, 3)),
]


def _matmul_case(a, b, **kw):
    return OpCase(f"matmul-{a}-{b}" + ("-dynamic" if kw.get("static_shapes") is False else ""),
                  "matmul", ops.matmul,
                  lambda rng, dt: [uniform(rng, a, dt), uniform(rng, b, dt)], np.matmul, **kw)


CASES = [
    *[_matmul_case(a, b) for a, b in SHAPES],
    _matmul_case((2, 3, 4), (4, 5), static_shapes=False),
    _matmul_case((4,), (2, 4, 3), static_shapes=False),
    _matmul_case((3, 1, 2, 4), (2, 4, 2), static_shapes=False),
    OpCase("matmul-int", "matmul", ops.matmul,
           lambda rng, dt: [rng.integers(-3, 3, (2, 3)).astype(np.int32),
                            rng.integers(-3, 3, (3, 2)).astype(np.int32)], np.matmul, grad=[]),
    OpCase("matmul-operator", "matmul", lambda a, b: a @ b,
           lambda rng, dt: [uniform(rng, (2, 3), dt), uniform(rng, (3, 2), dt)], np.matmul),
]


def _einsum(subscripts, *shapes, **kw):
    label = "-dynamic" if kw.get("static_shapes") is False else ""
    return OpCase(f"einsum-{subscripts}-{list(shapes)}{label}", "einsum",
                  lambda *xs: ops.einsum(subscripts, *xs),
                  lambda rng, dt: [uniform(rng, s, dt) for s in shapes],
                  lambda *xs: np.einsum(subscripts, *xs), **kw)


CASES += [
    _einsum("ij,jk->ik", (3, 4), (4, 5)),
    _einsum("ij,jk", (3, 4), (4, 5)),  # implicit: the output is 'ik'
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    _einsum("i,j->ij", (3,), (4,)),
    _einsum("i,i->", (4,), (4,)),
    _einsum("ij->j", (3, 4)),
    _einsum("ij->", (3, 4)),
    _einsum("ij->ji", (3, 4)),
    _einsum("ij,k->", (2, 3), (4,)),  # each operand sums a letter only it has
    _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),  # three operands
    _einsum("ab,bc,ca", (2, 3), (3, 4), (4, 2)),  # implicit: a trace of the product, ()
    _einsum("ii->i", (3, 3)),  # a diagonal
    _einsum("ii", (3, 3)),  # implicit: the trace
    _einsum("iij,jk->ik", (3, 3, 2), (2, 4)),
    _einsum("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)),  # '...' broadcasts
    _einsum("...i,i", (2, 3, 4), (4,)),
    _einsum("...i,...i,...->...", (1, 3), (2, 3), (2, 1)),  # size-1 '...' axes broadcast
    _einsum("i...->...", (3, 2, 2)),
    _einsum(" ij , jk -> ik ", (3, 4), (4, 2)),
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 5), static_shapes=False),
    _einsum("...ij,jk->...ik", (2, 3, 4), (4, 5), static_shapes=False),
    OpCase("einsum-int", "einsum", lambda a, b: ops.einsum("ij,jk->ik", a, b),
           lambda rng, dt: [rng.integers(-3, 3, (2, 3)).astype(np.int32),
                            rng.integers(-3, 3, (3, 2)).astype(np.int32)],
           lambda a, b: np.einsum("ij,jk->ik", a, b), grad=[]),
]
