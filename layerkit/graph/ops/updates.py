"""Fused optimizer updates: one op computes a variable's new value and its slots' new values.

Written as separate element-wise ops, one Adam step of one variable is about ten ops, each
allocating an array the size of the variable; as one op, a backend computes it in one pass (the
numpy backend with in-place arithmetic on the new arrays, XLA fusing it anyway). The op
computes exactly the expression the separate ops did, rounding after each operation in the same
order, so results are the same to the last bit wherever the separate ops' were. Like every op,
it never changes its inputs: the new values are its outputs, stored by ``assign``.
"""

from __future__ import annotations

__all__ = ["adam_update"]

from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import apply, convert_to_tensor, define_op
from layerkit.graph.ops._rules import require_float, same_dtype
from layerkit.graph.shapes import Shape, fmt


@define_op("adam_update", differentiable=False, multi_output=True)
def _adam_update_rule(variable, gradient, m, v, alpha, *v_hat, beta_1, beta_2, epsilon):
    dtype = same_dtype(variable, gradient, m, v, alpha, *v_hat)
    require_float(variable)
    for t in (gradient, m, v, *v_hat):
        if not _compatible(t.shape, variable.shape):
            raise ValueError(f"input '{t.name}' of shape {fmt(t.shape)} does not match the "
                             f"variable's shape {fmt(variable.shape)}")
    if alpha.shape is not None and alpha.shape != ():
        raise ValueError(f"the step size '{alpha.name}' must be a scalar, not of shape "
                         f"{fmt(alpha.shape)}")
    return [(variable.shape, dtype)] * (3 + len(v_hat))


def _compatible(a: Shape, b: Shape) -> bool:
    """Whether two static shapes can be the same (None matches any rank or dimension)."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def adam_update(variable, gradient, m, v, alpha, *, beta_1: float, beta_2: float,
                epsilon: float, v_hat=None, name: str | None = None) -> list[Tensor]:
    """One Adam step of one variable, as Keras 3 writes it, in one op::

        m' = m + (gradient - m) * (1 - beta_1)
        v' = v + (gradient ** 2 - v) * (1 - beta_2)
        v_hat' = maximum(v_hat, v')                       # amsgrad only: v' below is v_hat'
        variable' = variable - m' * alpha / (sqrt(v') + epsilon)

    ``alpha`` is the scalar step size (the learning rate with the bias corrections folded in);
    every input has the variable's dtype. Returns ``[variable', m', v']``, and ``v_hat'`` last
    when ``v_hat`` is given. The hyper-parameters are rounded to the dtype as constants are.
    """
    inputs = [convert_to_tensor(t) for t in (variable, gradient, m, v, alpha)]
    if v_hat is not None:
        inputs.append(convert_to_tensor(v_hat))
    attrs = {"beta_1": float(beta_1), "beta_2": float(beta_2), "epsilon": float(epsilon)}
    return list(apply("adam_update", inputs, attrs, name=name).outputs)
