"""Special functions: ``erf``, the Gauss error function (exact GELU needs it)."""

from __future__ import annotations

__all__ = ["erf"]

from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import apply1, convert_to_tensor, define_op
from layerkit.graph.ops._rules import require_float


@define_op("erf")
def _erf_rule(x):
    require_float(x)
    return x.shape, x.dtype


def erf(x, name: str | None = None) -> Tensor:
    """``erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t**2) dt``, element-wise (floats).

    Its gradient is ``2/sqrt(pi) * exp(-x**2)``.
    """
    return apply1("erf", [convert_to_tensor(x)], name=name)
