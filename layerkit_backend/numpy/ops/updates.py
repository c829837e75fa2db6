"""Fused optimizer updates: kernels only (no gradient flows through an update).

The unfused ops allocate an array per operation. Here each new value is computed in place in an
array the kernel made itself, so one step allocates its outputs and one scratch array, and never
writes to its inputs (the session's current values, which every read in the run must see).
numpy rounds each in-place operation as it rounds the operation that allocates, so the results
are the unfused ops' to the last bit, in every float dtype.
"""

from __future__ import annotations

import numpy as np

from layerkit_backend.numpy.registry import defop


@defop("adam_update")
def adam_update(variable, gradient, m, v, alpha, *v_hat, beta_1, beta_2, epsilon):
    """``(variable', m', v'[, v_hat'])`` of one Adam step (``layerkit.graph.ops.adam_update``)."""
    # The hyper-parameters become scalars of the variable's dtype, as constants of it would.
    scalar = variable.dtype.type
    new_m = _fresh(np.subtract, gradient, m, like=variable)  # m + (gradient - m) * (1 - beta_1)
    new_m *= scalar(1 - beta_1)
    new_m += m
    new_v = _fresh(np.square, gradient, like=variable)  # v + (gradient ** 2 - v) * (1 - beta_2)
    new_v -= v
    new_v *= scalar(1 - beta_2)
    new_v += v
    new_v_hat = [_fresh(np.maximum, v_hat[0], new_v, like=variable)] if v_hat else []
    denominator = _fresh(np.sqrt, new_v_hat[0] if v_hat else new_v, like=variable)
    denominator += scalar(epsilon)
    new_variable = _fresh(np.multiply, new_m, alpha, like=variable)  # m * alpha / denominator
    new_variable /= denominator
    np.subtract(variable, new_variable, out=new_variable)
    return (new_variable, new_m, new_v, *new_v_hat)


def _fresh(ufunc, *args, like):
    """``ufunc(*args)`` into a new array shaped like ``like`` (an array even when 0-d, where
    numpy would return a scalar that in-place operations cannot update)."""
    return ufunc(*args, out=np.empty_like(like))
