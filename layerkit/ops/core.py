"""Keras 3's core ops: conversion, shapes and dtypes, gradients stopping, control flow.

Control flow is expressed with the core's ``scan`` and ``where``, so it is differentiable and
compiles into the one program of a training step:

- ``cond`` and ``switch`` on a symbolic predicate compute every branch and select the result
  (branches must have no side effects and matching structures); on a value they run one branch.
- ``while_loop`` on symbolic values needs ``maximum_iterations``: it becomes a ``scan`` of that
  length whose steps after the condition fails leave the loop variables unchanged.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layerkit.graph import Tensor
from layerkit.graph import gradients as graph_gradients
from layerkit.graph import ops as graph_ops
from layerkit.ops.dtypes import dtype_of, standardize_dtype
from layerkit.ops.eager import (
    EagerArray,
    as_eager_result,
    eager_value,
    is_symbolic,
    keras_op,
    tensor,
)
from layerkit.utils import tree

__all__ = [
    "cast", "cond", "convert_to_numpy", "convert_to_tensor", "dtype", "fori_loop", "gradients",
    "is_tensor",
    "map", "scan", "shape", "slice", "slice_update", "stop_gradient", "switch", "unstack",
    "while_loop",
]


# -- conversion -------------------------------------------------------------------------------
def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None,
                      ragged: bool | None = None) -> Any:
    """``x`` as a tensor: a graph tensor when building (symbolic), else an array of the active
    backend (``EagerArray``) in Keras's dtype for it (Python floats ``floatx()``, ints int32)."""
    if sparse or ragged:
        raise ValueError("convert_to_tensor: layerkit has no sparse or ragged tensors")
    if is_symbolic(x):
        return tensor(x, dtype)
    value = eager_value(x, "convert_to_tensor: argument 'x'")
    if dtype is not None:
        value = value.astype(standardize_dtype(dtype))
    return as_eager_result(value)


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` as a plain numpy array (a symbolic tensor has no value: an error says so)."""
    if isinstance(x, Tensor) and not hasattr(x, "numpy"):
        raise TypeError(f"convert_to_numpy: the symbolic tensor '{x.name}' has no value; "
                        "call it on values, or compute it with model.predict")
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of layerkit: a symbolic tensor or an eager result."""
    return isinstance(x, Tensor | EagerArray)


def dtype(x: Any) -> str:
    """The name of ``x``'s dtype as Keras gives it (``"float32"``, ``"int32"``...)."""
    return dtype_of(x)


@keras_op("x")
def cast(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype``."""
    return tensor(x, dtype)


@keras_op("variable")
def stop_gradient(variable: Any) -> Any:
    """``variable`` itself, with no gradient flowing back through it."""
    return graph_ops.stop_gradient(tensor(variable))


def gradients(loss: Any, variables: Sequence[Any]) -> list[Any]:
    """The gradients of the scalar ``loss`` with respect to each of ``variables`` (None for one
    the loss does not depend on). Not a Keras op: layerkit's backend-neutral way to write a
    custom ``train_step`` (where Keras 3 needs ``tf.GradientTape``, ``jax.grad`` or
    ``torch.autograd``); it works where the loss is symbolic, inside a step or a layer's call.
    """
    variables = list(variables)
    if not is_symbolic(loss):
        raise TypeError("ops.gradients: loss must be a symbolic tensor (computed inside a "
                        f"train_step or a layer's call), got {type(loss).__name__}")
    loss = tensor(loss)
    if loss.shape is not None and len(loss.shape) != 0:
        raise ValueError(f"ops.gradients: loss must be a scalar, got shape {tuple(loss.shape)}")
    for index, v in enumerate(variables):
        if not isinstance(v, Tensor):
            raise TypeError(f"ops.gradients: variables[{index}] is a {type(v).__name__}, not a "
                            "variable or tensor")
    return graph_gradients(loss, variables)


# -- shapes -----------------------------------------------------------------------------------
def shape(x: Any) -> tuple:
    """``x``'s shape: a tuple of ints, with a scalar int32 tensor for each dimension known only
    when the graph runs (a batch). Ops that take a shape (``zeros``, ``reshape``,
    ``random.normal``...) accept such dimensions."""
    if not is_symbolic(x):
        return tuple(np.shape(x))
    t = tensor(x)
    if t.shape is None:
        raise ValueError(f"shape: tensor '{t.name}' has an unknown rank")
    return tuple(n if n is not None else _run_time_dim(t, axis) for axis, n in enumerate(t.shape))


def _run_time_dim(x: Tensor, axis: int) -> Tensor:
    """A scalar int32 tensor: dimension ``axis`` of ``x`` when the graph runs. It remembers
    where it came from (``_dim_of``), so a shape holding it can be built (``shape_tensor``)."""
    line = _axis_line(x, axis)
    dim = graph_ops.sum(graph_ops.ones_like(graph_ops.cast(line, "int32")))
    dim._dim_of = (x, axis)
    return dim


def _axis_line(x: Tensor, axis: int) -> Tensor:
    """The 1-D tensor ``x[0, ..., :, ..., 0]`` (all of ``axis``, index 0 elsewhere)."""
    index = tuple(builtins.slice(None) if i == axis else 0 for i in range(len(x.shape)))
    return graph_ops.stop_gradient(graph_ops.getitem(x, index))


def static_shape(shape: Any, what: str) -> tuple[int, ...] | None:
    """``shape`` as ints, or None when it holds a run-time dimension (from ``shape``)."""
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    if isinstance(shape, Tensor) or not isinstance(shape, Sequence | np.ndarray):
        raise TypeError(f"{what}: a shape must be a tuple of ints, got {shape!r:.80}")
    dims = []
    for n in shape:
        if isinstance(n, Tensor):
            if not hasattr(n, "_dim_of"):
                raise TypeError(f"{what}: shape {tuple(shape)!r:.120} holds the tensor "
                                f"'{n.name}', which is not a dimension from ops.shape(x)")
            return None
        if isinstance(n, EagerArray | np.ndarray):
            n = int(n)
        if not isinstance(n, int | np.integer) or n < -1:
            raise ValueError(f"{what}: bad dimension {n!r} in shape {tuple(shape)!r:.120}")
        dims.append(int(n))
    return tuple(dims)


def shape_tensor(shape: Sequence[Any], dtype: str, what: str) -> Tensor:
    """Zeros of ``shape`` (ints and run-time dimensions from ``shape``) as a graph tensor: what a
    shape known only when the graph runs is built from (``zeros + value``, a random op's
    shape argument)."""
    rank = len(shape)
    total = graph_ops.zeros_like(graph_ops.cast(tensor(np.zeros((1,) * rank)), dtype))
    for i, n in enumerate(shape):
        if isinstance(n, Tensor):
            if not hasattr(n, "_dim_of"):
                raise TypeError(f"{what}: the dimension '{n.name}' is not one from ops.shape(x)")
            source, axis = n._dim_of
            line = graph_ops.zeros_like(graph_ops.cast(_axis_line(source, axis), dtype))
            total = total + graph_ops.reshape(line, [-1 if j == i else 1 for j in range(rank)])
        elif n != 1:
            total = total + np.zeros([n if j == i else 1 for j in range(rank)], dtype=dtype)
    return total


# -- control flow -----------------------------------------------------------------------------
def _select(pred: Any, a: Any, b: Any) -> Any:
    """``a`` where ``pred`` else ``b``, leaf by leaf of matching structures."""
    flat_a, flat_b = tree.flatten(a), tree.flatten(b)
    if len(flat_a) != len(flat_b):
        raise ValueError(f"the branches return different structures: {a!r:.80} and {b!r:.80}")
    picked = [graph_ops.where(pred, tensor(x), tensor(y)) for x, y in zip(flat_a, flat_b)]
    return tree.pack_sequence_as(a, picked)


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``. Symbolically both run and the result is
    selected (branches must return matching structures and have no side effects)."""
    if not is_symbolic(pred):
        return true_fn() if bool(np.asarray(eager_value(pred, "cond: pred"))) else false_fn()
    p = graph_ops.cast(tensor(pred), "bool")
    if p.shape not in ((), None):
        raise ValueError(f"cond: pred must be a scalar, got shape {p.shape}")
    return _select(p, true_fn(), false_fn())


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)`` (``index`` clipped into range, as Keras does)."""
    if not branches:
        raise ValueError("switch: branches must not be empty")
    if not is_symbolic(index):
        i = int(np.clip(int(eager_value(index, "switch: index")), 0, len(branches) - 1))
        return branches[i](*operands)
    i = graph_ops.cast(tensor(index), "int32")
    out = branches[-1](*operands)
    for k in range(len(branches) - 2, -1, -1):
        out = _select(graph_ops.less_equal(i, k), branches[k](*operands), out)
    return out


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False, unroll: int | bool = 1) -> Any:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the last carry
    and the stacked ``y``s (``jax.lax.scan``). ``unroll`` is accepted and ignored."""
    if is_symbolic(init, xs):
        return graph_ops.scan(f, init, xs, length=length, reverse=reverse)
    return _eager_loop("scan", lambda i, x: graph_ops.scan(f, i, x, length=length,
                                                             reverse=reverse), init, xs)


def _eager_loop(name: str, build: Callable[[Any, Any], Any], init: Any, xs: Any) -> Any:
    """``build(init, xs)`` (graph code) run now on values."""
    from layerkit.ops.eager import run

    leaves = [None if v is None else eager_value(v, f"ops.{name}: argument")
              for v in tree.flatten([init, xs])]

    def traced(*feeds: Tensor) -> Any:
        i, x = tree.pack_sequence_as([init, xs], list(feeds))
        return build(i, x)

    return as_eager_result(run(None, traced, leaves))


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 (Keras's name)
    """``f`` applied to each slice of ``xs`` along axis 0, the results stacked."""
    return scan(lambda carry, x: (carry, f(x)), np.zeros((), "int32"), xs)[1]


def fori_loop(lower: int, upper: int, body_fun: Callable[[Any, Any], Any],
              init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)`` (static bounds)."""
    lower, upper = int(lower), int(upper)
    indices = np.arange(lower, builtins.max(lower, upper), dtype="int32")
    if indices.size == 0:
        return init_val
    return scan(lambda val, i: (body_fun(i, val), None), init_val, indices)[0]


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``. On values it runs as a Python
    loop; symbolically it needs ``maximum_iterations`` (a scan of that length)."""
    single = not isinstance(loop_vars, list | tuple)
    args = (loop_vars,) if single else tuple(loop_vars)

    def step(values):
        out = body(*values)
        return (out,) if single else tuple(out)

    if not is_symbolic(*args):
        count = 0
        while (maximum_iterations is None or count < maximum_iterations) \
                and bool(np.asarray(cond(*args))):
            args, count = step(args), count + 1
        return args[0] if single else type(loop_vars)(args)
    if maximum_iterations is None:
        raise ValueError("while_loop: on symbolic values layerkit needs maximum_iterations "
                         "(the loop becomes a scan of that many steps)")

    def scan_step(carry, _):
        active = graph_ops.cast(tensor(cond(*carry)), "bool")
        return _select(active, step(carry), carry), None

    carry = tuple(tensor(v) for v in args)
    final, _ = graph_ops.scan(scan_step, carry, None, length=int(maximum_iterations))
    return final[0] if single else type(loop_vars)(final)


# -- slices -----------------------------------------------------------------------------------
def _static_starts(start_indices: Any, what: str) -> list[int]:
    if is_symbolic(start_indices) or any(isinstance(i, Tensor) for i in start_indices):
        raise TypeError(f"{what}: start_indices must be known when the graph is built")
    return [int(i) for i in start_indices]


@keras_op("inputs")
def slice(inputs: Any, start_indices: Sequence[int], shape: Sequence[int]) -> Any:  # noqa: A001
    """The block of ``inputs`` of ``shape`` starting at ``start_indices`` (static ints)."""
    starts = _static_starts(start_indices, "ops.slice")
    x = tensor(inputs)
    index = tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(starts, shape))
    return graph_ops.getitem(x, index)


@keras_op("inputs", "updates")
def slice_update(inputs: Any, start_indices: Sequence[int], updates: Any) -> Any:
    """``inputs`` with the block at ``start_indices`` (static ints) replaced by ``updates``."""
    starts = _static_starts(start_indices, "ops.slice_update")
    x = tensor(inputs)
    u = tensor(updates, x.dtype.name)
    if u.shape is None or x.shape is None or None in u.shape or None in x.shape:
        raise ValueError("ops.slice_update: inputs and updates need static shapes")
    paddings = [(s, n - s - m) for s, n, m in zip(starts, x.shape, u.shape)]
    if any(lo < 0 or hi < 0 for lo, hi in paddings):
        raise ValueError(f"ops.slice_update: updates of shape {u.shape} at {starts} do not fit "
                         f"in inputs of shape {x.shape}")
    mask = np.pad(np.ones(u.shape, bool), paddings)
    return graph_ops.where(mask, graph_ops.pad(u, paddings), x)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Any]:
    """``x`` split along ``axis`` into its slices (a list)."""
    n = (x.shape[axis] if is_symbolic(x) else np.shape(x)[axis]) if num is None else num
    if n is None:
        raise ValueError(f"ops.unstack: the size of axis {axis} is unknown; pass num")
    return [_take_index(x, i, axis) for i in range(n)]


@keras_op("x")
def _take_index(x: Any, i: int, axis: int) -> Any:
    t = tensor(x)
    a = axis % len(t.shape)
    return graph_ops.getitem(t, (builtins.slice(None),) * a + (i,))
