"""Linear algebra: matrix products and Einstein summation."""

from __future__ import annotations

__all__ = ["matmul", "einsum"]

from collections import Counter

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


# -- einsum -----------------------------------------------------------------------------------
@define_op("einsum")
def _einsum_rule(*operands, subscripts):
    dtype = same_dtype(*operands)
    require_numeric(*operands)
    terms, output = _terms(subscripts)
    listed = ", ".join(fmt(x.shape) for x in operands)
    what = f"subscripts {subscripts!r} do not fit shapes {listed}"
    sizes: dict[str, tuple[int | None, int]] = {}  # letter -> (size, operand that gave it)
    ellipses = []  # the dims each operand's '...' stands for (None: unknown rank)
    for i, (term, x) in enumerate(zip(terms, operands)):
        dims, ellipsis = _term_dims(term, x.shape, what, i)
        if "..." in term:
            ellipses.append(ellipsis)
        for letter, d in dims:
            known, j = sizes.get(letter, (None, i))
            if None not in (known, d) and known != d:
                raise ValueError(f"{what}: '{letter}' is {known} in operand {j} and {d} in "
                                 f"operand {i}")
            if known is None:
                sizes[letter] = (d, i)
    if None in ellipses and "..." in output:
        return None, dtype
    batch: tuple = ()
    for e in ellipses:
        try:
            batch = broadcast(batch, e) if e is not None else batch
        except ValueError:
            raise ValueError(f"{what}: the dimensions under '...' cannot be broadcast "
                             "together") from None
    head, _, tail = output.partition("...")
    return (*(sizes[c][0] for c in head), *(batch if "..." in output else ()),
            *(sizes[c][0] for c in tail)), dtype


def _terms(subscripts: str) -> tuple[list[str], str]:
    """The input terms and the output term of explicit subscripts (as ``einsum`` stores them)."""
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


def _term_dims(term: str, shape, what: str, i: int):
    """The (letter, size) pairs of operand ``i``'s ``term`` and the dims its '...' covers
    (None when the rank is unknown), checking its rank against the term."""
    head, dots, tail = term.partition("...")
    named = len(head) + len(tail)
    if shape is None:
        return [(c, None) for c in head + tail], None if dots else ()
    if len(shape) != named and not (dots and len(shape) > named):
        wanted = f"at least {named}" if dots else str(named)
        raise ValueError(f"{what}: operand {i} has rank {len(shape)}, but {term!r} names "
                         f"{wanted} axes")
    middle = shape[len(head):len(shape) - len(tail)]
    return [*zip(head, shape[:len(head)]), *zip(tail, shape[len(shape) - len(tail):])], middle


def _explicit(subscripts: str, count: int) -> str:
    """``subscripts`` checked and in explicit form: 'ij,jk' becomes 'ij,jk->ik' (the output of
    the implicit form is every letter used once, in alphabetical order, after any '...')."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {subscripts!r}")
    spec = subscripts.replace(" ", "")
    what = f"einsum: subscripts {subscripts!r}"
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    for term in (*terms, *([output] if arrow else [])):
        letters = term.replace("...", "", 1)
        if not all(c.isascii() and c.isalpha() for c in letters):
            raise ValueError(f"{what}: a term holds letters and at most one '...', got "
                             f"{term!r}")
    if len(terms) != count:
        raise ValueError(f"{what} name {len(terms)} operands, got {count}")
    used = Counter(c for term in terms for c in term.replace("...", ""))
    dots = "..." if any("..." in term for term in terms) else ""
    if not arrow:
        return f"{inputs}->{dots}{''.join(sorted(c for c, n in used.items() if n == 1))}"
    letters = output.replace("...", "")
    if len(set(letters)) != len(letters):
        raise ValueError(f"{what}: a letter appears twice in the output {output!r}")
    missing = [c for c in letters if c not in used]
    if missing:
        raise ValueError(f"{what}: output letter '{missing[0]}' names no axis of an input")
    if "..." in output and not dots:
        raise ValueError(f"{what}: the output has '...' but no input does")
    return spec


def einsum(subscripts: str, *operands, name: str | None = None) -> Tensor:
    """Einstein summation over ``operands`` as numpy's ``einsum``: each comma-separated term of
    ``subscripts`` names the axes of one operand by letters; the result has the axes of the
    output term after '->', and letters missing from it are summed over.

    ``einsum('ij,jk->ik', a, b)`` is a matrix product, ``'bij,bjk->bik'`` a batch of them,
    ``'i,j->ij'`` an outer product, ``'ij->j'`` a column sum, ``'ii->i'`` a diagonal. Without
    '->' the output is every letter used once, alphabetically. '...' stands for the axes a term
    does not name; those of all operands broadcast together. Operands need one dtype.
    """
    subscripts = _explicit(subscripts, len(operands))
    operands = convert_operands(*operands, op_name="einsum")
    return apply1("einsum", operands, {"subscripts": subscripts}, name=name)
