"""Graph helpers shared by losses and metrics, and the eager path for plain values.

Losses and metrics are written once, as graph code on symbolic tensors. Called on tensors (or
inside ``layerkit.backend.symbolic_scope()``, where a model traces its programs) they build
ops and return tensors. Called outside that scope on numpy arrays, Python numbers or lists,
they work as in Keras's eager mode: ``run_eagerly`` builds the same graph code once per input
signature on placeholders of the inputs' exact shapes, in a small private graph, and runs it on
the active backend, returning numpy values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import (
    Graph,
    Tensor,
    constant,
    dtypes,
    get_default_graph,
    ops,
)
from layerkit.ops import eager

# -- symbolic or eager ------------------------------------------------------------------------


is_tensor = eager.is_tensor  # a symbolic tensor or a variable


def is_symbolic(*values: Any) -> bool:
    """Whether a call on ``values`` builds ops (a model tracing, or tensors given) rather than
    computing a value now."""
    return K.in_symbolic_scope() or any(is_tensor(v) for v in values)


def graph_of(*values: Any) -> Graph:
    """The graph the ops of a call on ``values`` belong in: that of the first tensor among
    them, else the default graph (the Keras graph inside ``symbolic_scope()``)."""
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
        if hasattr(v, "_as_graph_tensor"):
            return v._as_graph_tensor().graph
    return get_default_graph()


def eager_array(value: Any) -> np.ndarray:
    """A plain value as the array an eager call feeds: floats become ``floatx()``, as Keras
    converts inputs to the compute dtype; ints and bools keep their dtype. A jax array or
    tracer stays one (the eager runner computes on it with JAX)."""
    if eager.is_jax_value(value):
        kind = np.dtype(value.dtype).kind
        return value.astype(K.floatx()) if kind == "f" and value.dtype != K.floatx() else value
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return array.astype(K.floatx(), copy=False)
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind in "iu":
        return array.astype(np.int64 if array.dtype.itemsize > 4 else np.int32, copy=False)
    raise TypeError(f"cannot use a value of dtype {array.dtype} as a tensor")


def run_eagerly(key: Any, build: Callable[..., Any], values: Sequence[Any],
                cache: dict | None = None) -> Any:
    """``build(*tensors)`` run now on ``values`` (arrays or None, converted by
    ``eager_array``), by the one eager runner (``layerkit.ops.eager.run``)."""
    arrays = [None if v is None else eager_array(v) for v in values]
    return eager.run(key, build, arrays, cache)


object_cache = eager.object_cache
freeze = eager.freeze


# -- tensors ----------------------------------------------------------------------------------


def as_tensor(value: Any, dtype: Any = None) -> Tensor:
    """``value`` as a tensor of ``dtype`` (None: a tensor keeps its dtype, a value becomes a
    constant of its own dtype, floats as ``floatx()``). Tensors are cast."""
    if is_tensor(value):
        t = value._as_graph_tensor() if hasattr(value, "_as_graph_tensor") else value
        return t if dtype is None else ops.cast(t, dtype)
    array = eager_array(value)
    return constant(array, dtype=dtype if dtype is not None else array.dtype)


def as_float(value: Any, dtype: Any = None) -> Tensor:
    """``value`` as a floating tensor: ``dtype``, else its own float dtype, else ``floatx()``."""
    t = as_tensor(value)
    if dtype is not None:
        return ops.cast(t, dtype)
    if dtypes.is_floating(t.dtype):
        return t
    return ops.cast(t, K.floatx())


def rank(x: Tensor) -> int:
    if x.shape is None:
        raise ValueError(f"tensor '{x.name}' has an unknown rank; losses and metrics need its "
                         "rank (give the placeholder a shape)")
    return len(x.shape)


def num_elements(x: Tensor) -> int | Tensor:
    """The number of elements of ``x``: a Python int when its shape is known, else a float
    tensor computed at run time."""
    if x.shape is not None and None not in x.shape:
        return int(np.prod(x.shape, dtype=np.int64))
    ones = ops.ones_like(x)
    if not dtypes.is_floating(ones.dtype):
        ones = ops.cast(ones, K.floatx())
    return ops.sum(ones)


def dim_size(x: Tensor, axis: int) -> int | Tensor:
    """The size of ``x`` along ``axis`` as a Python int if known, else a float tensor (with
    ``axis`` kept, for broadcasting)."""
    size = x.shape[axis] if x.shape is not None else None
    if size is not None:
        return int(size)
    ones = ops.ones_like(x)
    if not dtypes.is_floating(ones.dtype):
        ones = ops.cast(ones, K.floatx())
    return ops.sum(ones, axis=axis, keepdims=True)


def divide_no_nan(a: Any, b: Any) -> Tensor:
    """``a / b``, and 0 where ``b`` is 0 (with a finite gradient there too)."""
    a, b = as_tensor(a), as_tensor(b)
    if not dtypes.is_floating(a.dtype):
        a = ops.cast(a, K.floatx())
    if b.dtype != a.dtype:
        b = ops.cast(b, a.dtype)
    zero = ops.equal(b, 0.0)
    safe = ops.where(zero, ops.ones_like(b), b)
    quotient = a / safe
    return ops.where(zero, ops.zeros_like(quotient), quotient)


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True):
    """Keras's rule: when the ranks differ by one and the longer one ends in a size-1 axis,
    drop that axis (or, when the shorter one is rank 1 and ``expand_rank_1``, give the shorter
    one a trailing axis)."""
    r1, r2 = rank(x1), rank(x2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


_SCOPE_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")


def scope_name(name: str) -> str:
    """``name`` made valid as a graph name scope (other characters become ``_``)."""
    cleaned = _SCOPE_CHARS.sub("_", str(name)) or "scope"
    return cleaned if re.match(r"[A-Za-z0-9.]", cleaned) else "x" + cleaned
