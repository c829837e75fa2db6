"""Linear algebra: matrix products."""

from __future__ import annotations

__all__ = ["matmul"]

from layerkit.graph.graph import Tensor, overload_operator
from layerkit.graph.opdef import apply1, convert_operands, define_op
from layerkit.graph.ops._rules import require_numeric, same_dtype
from layerkit.graph.shapes import Shape, broadcast, fmt


@define_op("matmul")
def _matmul_rule(a, b):
    dtype = same_dtype(a, b)
    require_numeric(a, b)
    return _matmul_shape(a.shape, b.shape), dtype


def _matmul_shape(a: Shape, b: Shape) -> Shape:
    """The shape of ``a @ b`` under numpy's rules, or a ValueError naming both shapes."""
    if a is None or b is None:
        return None
    what = f"cannot multiply {fmt(a)} by {fmt(b)}"
    if not a or not b:
        raise ValueError(f"{what}: operands must have at least 1 dimension (use multiply for "
                         "scalars)")
    # A 1-D operand is a row (left) or column (right) vector whose unit axis is dropped after.
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    if a2[-1] is not None and b2[-2] is not None and a2[-1] != b2[-2]:
        raise ValueError(f"{what}: inner dimensions {a2[-1]} and {b2[-2]} differ")
    try:
        batch = broadcast(a2[:-2], b2[:-2])
    except ValueError:
        raise ValueError(f"{what}: batch dimensions {fmt(a2[:-2])} and {fmt(b2[:-2])} cannot be "
                         "broadcast together") from None
    rows = () if len(a) == 1 else (a2[-2],)
    cols = () if len(b) == 1 else (b2[-1],)
    return (*batch, *rows, *cols)


def matmul(a, b, name: str | None = None) -> Tensor:
    """Matrix product ``a @ b`` with numpy ``matmul`` semantics.

    2-D operands multiply as matrices; N-D operands are stacks of matrices in their last two axes,
    with the leading (batch) axes broadcast; a 1-D operand is a vector (a row on the left, a
    column on the right) whose axis is dropped from the result. Both operands need the same dtype.
    """
    a, b = convert_operands(a, b, op_name="matmul")
    return apply1("matmul", [a, b], name=name)


overload_operator("matmul", matmul, reflected=True)
