"""Keras 3's ``keras.ops.linalg``, for what the core's ops can express: ``norm``.

The factorizations and solvers (``cholesky det eig eigh inv lu_factor qr solve
solve_triangular svd lstsq pinv matrix_rank``) need core ops with VJP rules that layerkit does
not have yet; calling one says so.
"""

from __future__ import annotations

from typing import Any

from layerkit.ops.numpy import norm

__all__ = ["norm"]

_MISSING = ("cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor",
            "matrix_rank", "pinv", "qr", "solve", "solve_triangular", "svd")


def __getattr__(name: str) -> Any:
    if name in _MISSING:
        raise NotImplementedError(f"ops.linalg.{name} is not in layerkit yet: the core has no "
                                  "matrix factorization ops (see docs/ops.md)")
    raise AttributeError(f"module 'layerkit.ops.linalg' has no attribute {name!r}")
