"""TF1's top-level functions (``tf.reduce_sum``, ``tf.matmul``, ``tf.Print`` ...) over core ops.

Each keeps TF1's signature, including deprecated spellings still found in lecture code
(``keep_dims``, ``reduction_indices``, ``dimension``), and forwards to one core op.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from layerkit.compat.v1._scopes import absolute_name_scope
from layerkit.graph import assigns_since, dtypes, ops
from layerkit.graph.graph import Tensor, get_default_graph
from layerkit.graph.opdef import constant as _constant
from layerkit.graph.opdef import convert_to_tensor
from layerkit.utils import tree

__all__ = [
    "Print", "abs", "add", "add_n", "arg_max", "arg_min", "argmax", "argmin", "cast",
    "clip_by_global_norm", "clip_by_value", "concat", "cond", "einsum", "gather_nd", "global_norm",
    "constant", "divide", "equal", "exp", "expand_dims", "fill", "gather", "greater",
    "greater_equal", "identity", "less", "less_equal", "log", "logical_and", "logical_not",
    "logical_or", "matmul", "maximum", "minimum", "multiply", "name_scope", "negative",
    "not_equal", "one_hot", "ones", "ones_like", "pad", "pow", "random_normal", "random_uniform",
    "range", "rank", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_sum",
    "reshape", "set_random_seed", "shape", "sigmoid", "sign", "size", "sqrt", "square", "squeeze",
    "stack",
    "stop_gradient", "subtract", "tanh", "tile", "to_float", "to_int32", "to_int64",
    "transpose", "truncated_normal", "unpack", "unstack", "where", "zeros", "zeros_like",
]


def _t(x: Any) -> Tensor:
    return convert_to_tensor(x)


# -- element-wise ------------------------------------------------------------------------------
def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x + y`` with broadcasting."""
    return ops.add(x, y, name=name)


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x - y`` with broadcasting."""
    return ops.subtract(x, y, name=name)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x * y`` with broadcasting."""
    return ops.multiply(x, y, name=name)


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x / y`` with broadcasting."""
    return ops.divide(x, y, name=name)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF1's name
    """``x ** y`` with broadcasting."""
    return ops.power(x, y, name=name)


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Element-wise maximum."""
    return ops.maximum(x, y, name=name)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Element-wise minimum."""
    return ops.minimum(x, y, name=name)


def _unary(core_name: str, doc: str):
    def build(x: Any, name: str | None = None) -> Tensor:
        return getattr(ops, core_name)(x, name=name)

    build.__doc__ = doc
    return build


square = _unary("square", "``x * x``.")
sqrt = _unary("sqrt", "Square root.")
exp = _unary("exp", "``e ** x``.")
log = _unary("log", "Natural logarithm.")
abs = _unary("abs", "Absolute value.")  # noqa: A001 - TF1's name
negative = _unary("negative", "``-x``.")
sign = _unary("sign", "-1, 0 or 1.")
sigmoid = _unary("sigmoid", "``1 / (1 + exp(-x))``.")
tanh = _unary("tanh", "Hyperbolic tangent.")
identity = _unary("identity", "``x`` as a new tensor.")
logical_not = _unary("logical_not", "Element-wise ``not``.")


def _compare(core_name: str, doc: str):
    def build(x: Any, y: Any, name: str | None = None) -> Tensor:
        return getattr(ops, core_name)(x, y, name=name)

    build.__doc__ = doc
    return build


equal = _compare("equal", "``x == y`` element-wise (bool).")
not_equal = _compare("not_equal", "``x != y`` element-wise (bool).")
less = _compare("less", "``x < y`` element-wise (bool).")
less_equal = _compare("less_equal", "``x <= y`` element-wise (bool).")
greater = _compare("greater", "``x > y`` element-wise (bool).")
greater_equal = _compare("greater_equal", "``x >= y`` element-wise (bool).")
logical_and = _compare("logical_and", "Element-wise ``and`` of bool tensors.")
logical_or = _compare("logical_or", "Element-wise ``or`` of bool tensors.")


def add_n(inputs: Sequence[Any], name: str | None = None) -> Tensor:
    """The element-wise sum of a list of tensors of one shape and dtype."""
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list")
    total = _t(inputs[0])
    for x in inputs[1:]:
        total = ops.add(total, x)
    return ops.identity(total, name=name) if name else total


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """``x`` converted to ``dtype``."""
    return ops.cast(x, dtype, name=name)


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """``cast(x, float32)``."""
    return ops.cast(x, dtypes.float32, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """``cast(x, int32)``."""
    return ops.cast(x, dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """``cast(x, int64)``."""
    return ops.cast(x, dtypes.int64, name=name)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Tensor:
    """``t`` limited to ``[clip_value_min, clip_value_max]`` (the bounds may be tensors)."""
    if isinstance(clip_value_min, Tensor) or isinstance(clip_value_max, Tensor):
        return ops.minimum(ops.maximum(t, clip_value_min), clip_value_max, name=name)
    return ops.clip(t, float(clip_value_min), float(clip_value_max), name=name)


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002 - TF1's name
    """``input``, with no gradient flowing through it."""
    return ops.stop_gradient(input, name=name)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """``x`` where ``condition`` holds, else ``y``. As in TF1, a vector condition picks whole
    rows of higher-rank ``x`` and ``y``."""
    if x is None or y is None:
        raise NotImplementedError("tf.where(condition) without x and y (returning the indices "
                                  "of true elements) is not supported")
    condition = _t(condition)
    x_t = x if isinstance(x, Tensor) else None
    rank = x_t.ndim if x_t is not None else np.ndim(x)
    if condition.ndim == 1 and rank is not None and rank > 1:
        condition = ops.reshape(condition, [-1] + [1] * (rank - 1))
    return ops.where(condition, x, y, name=name)


# -- reductions --------------------------------------------------------------------------------
def _reduce(core_name: str, doc: str):
    def build(input_tensor: Any, axis: Any = None, keepdims: bool | None = None,
              name: str | None = None, reduction_indices: Any = None,
              keep_dims: bool | None = None) -> Tensor:
        if axis is None:
            axis = reduction_indices
        keep = bool(keepdims if keepdims is not None else keep_dims)
        if isinstance(axis, list):
            axis = tuple(axis)
        return getattr(ops, core_name)(input_tensor, axis=axis, keepdims=keep, name=name)

    build.__doc__ = doc + " over ``axis`` (None: all); ``keepdims`` keeps reduced axes as 1."
    return build


reduce_sum = _reduce("sum", "Sum")
reduce_mean = _reduce("mean", "Mean")
reduce_max = _reduce("max", "Maximum")
reduce_min = _reduce("min", "Minimum")
reduce_logsumexp = _reduce("logsumexp", "``log(sum(exp(x)))``")


def argmax(input: Any, axis: int | None = None, name: str | None = None,  # noqa: A002
           dimension: int | None = None, output_type: Any = dtypes.int64) -> Tensor:
    """Index of the largest element along ``axis`` (default 0, as in TF1)."""
    return _arg("argmax", input, axis, name, dimension, output_type)


def argmin(input: Any, axis: int | None = None, name: str | None = None,  # noqa: A002
           dimension: int | None = None, output_type: Any = dtypes.int64) -> Tensor:
    """Index of the smallest element along ``axis`` (default 0, as in TF1)."""
    return _arg("argmin", input, axis, name, dimension, output_type)


arg_max, arg_min = argmax, argmin  # TF1's deprecated spellings


def _arg(core_name: str, x: Any, axis: Any, name: Any, dimension: Any, output_type: Any):
    axis = axis if axis is not None else (dimension if dimension is not None else 0)
    result = getattr(ops, core_name)(x, axis=int(axis), name=name)
    return ops.cast(result, output_type)


# -- linear algebra and shapes -----------------------------------------------------------------
def _swap_last_two(x: Tensor) -> Tensor:
    if x.ndim is None or x.ndim < 2:
        raise ValueError(f"matmul: transposing '{x.name}' needs a known rank of at least 2")
    perm = list(builtins.range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2]  # not tf.range
    return ops.transpose(x, perm)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, name: str | None = None) -> Tensor:
    """``a @ b``; ``transpose_a``/``transpose_b`` transpose the last two axes first."""
    a, b = _t(a), _t(b)
    if transpose_a or adjoint_a:  # real tensors only, so the adjoint is the transpose
        a = _swap_last_two(a)
    if transpose_b or adjoint_b:
        b = _swap_last_two(b)
    return ops.matmul(a, b, name=name)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tensor`` with a new shape (one ``-1`` is inferred). The shape may hold sizes from
    ``tf.shape(...)`` (or be one): a size known statically is used as it is, one known only when
    the graph runs becomes the inferred dimension (``tf.reshape(x, [tf.shape(x)[0], -1])``
    works when x's batch dimension is its only unknown one)."""
    x = _t(tensor)
    return ops.reshape(x, _static_dims(x, shape), name=name)


def _static_dims(x: Tensor, shape: Any) -> list[int]:
    """A reshape's target sizes as ints, ``tf.shape`` sizes resolved (see ``reshape``)."""
    if isinstance(shape, Tensor):
        source = getattr(shape, "_shape_of", None)
        if source is None or source.shape is None:
            raise ValueError(f"reshape: the shape tensor '{shape.name}' has no static value; "
                             "give a list of ints (and sizes from tf.shape(...)[i])")
        shape = [shape[i] for i in builtins.range(len(source.shape))]
    dims: list[Any] = []
    for d in [shape] if isinstance(shape, int) else list(shape):
        if isinstance(d, Tensor):
            d = _static_size(d)
        dims.append(-1 if d is None else int(d))
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1 and x.shape is not None and sum(s is None for s in x.shape) == 1:
        # One unknown is x's own run-time size, the other is inferred: solve it statically.
        known = int(np.prod([s for s in x.shape if s is not None], dtype=np.int64))
        fixed = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        batch = [i for i in unknown if _is_size_of(shape, i, x)]
        if len(batch) == 1 and fixed and known % fixed == 0:
            dims[[i for i in unknown if i != batch[0]][0]] = known // fixed
    return dims


def _static_size(size: Tensor) -> int | None:
    """The static value of ``tf.shape(y)[i]`` (None when y's size ``i`` is known only when the
    graph runs); any other tensor is an error."""
    if size.op.type == "getitem" and hasattr(size.op.inputs[0], "_shape_of"):
        (kind, index), = size.op.attrs["index"]
        if kind == "int":
            return size.op.inputs[0]._shape_of.shape[index]
    raise ValueError(f"reshape: the size '{size.name}' is neither an int nor a size from "
                     "tf.shape(...)[i]")


def _is_size_of(shape: Any, index: int, x: Tensor) -> bool:
    item = shape[index] if not isinstance(shape, int) else None
    return isinstance(item, Tensor) and getattr(item.op.inputs[0], "_shape_of", None) is x


def shape(input: Any, name: str | None = None,  # noqa: A002 - TF1's name
          out_type: Any = dtypes.int32) -> Tensor:
    """``input``'s shape when the graph runs, as a 1-D tensor (static sizes as constants). Its
    items can size a ``reshape``."""
    x = _t(input)
    if x.shape is None:
        raise ValueError(f"shape: '{x.name}' has an unknown rank")
    sizes = [_constant(np.int32(d)) if d is not None else _run_time_size(x, axis)
             for axis, d in enumerate(x.shape)]
    out = ops.cast(ops.stack(sizes), out_type, name=name) if sizes else \
        _constant(np.zeros(0, np.int32))
    out._shape_of = x
    return out


def _run_time_size(x: Tensor, axis: int) -> Tensor:
    """Size ``axis`` of ``x`` when the graph runs: the count of a line of ones along it."""
    index = tuple(builtins.slice(None) if i == axis else 0 for i in builtins.range(len(x.shape)))
    line = ops.stop_gradient(x[index])
    return ops.sum(ops.ones_like(ops.cast(line, "int32")))


def size(input: Any, name: str | None = None,  # noqa: A002 - TF1's name
         out_type: Any = dtypes.int32) -> Tensor:
    """The number of elements of ``input`` when the graph runs."""
    x = _t(input)
    return ops.cast(ops.sum(ops.ones_like(ops.cast(ops.stop_gradient(x), "int32"))), out_type,
                    name=name)


def rank(input: Any, name: str | None = None) -> Tensor:  # noqa: A002 - TF1's name
    """The number of dimensions of ``input`` (static here), as an int32 scalar."""
    x = _t(input)
    if x.shape is None:
        raise ValueError(f"rank: '{x.name}' has an unknown rank")
    return _constant(np.int32(len(x.shape)), name=name or "Rank")


def transpose(a: Any, perm: Sequence[int] | None = None, name: str = "transpose",
              conjugate: bool = False) -> Tensor:
    """``a`` with its axes permuted (reversed by default)."""
    return ops.transpose(a, perm, name=name)


def expand_dims(input: Any, axis: int | None = None, name: str | None = None,  # noqa: A002
                dim: int | None = None) -> Tensor:
    """``input`` with a new axis of size 1 at ``axis``."""
    return ops.expand_dims(input, axis if axis is not None else dim, name=name)


def squeeze(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002
            squeeze_dims: Any = None) -> Tensor:
    """``input`` without its size-1 axes (or only those in ``axis``)."""
    axis = axis if axis is not None else squeeze_dims
    if isinstance(axis, list):
        axis = tuple(axis)
    return ops.squeeze(input, axis, name=name)


def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Tensor:
    """``values`` joined along an existing ``axis``."""
    return ops.concat(list(values), axis, name=name)


def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Tensor:
    """``values`` joined along a new ``axis``."""
    return ops.stack(list(values), axis=axis, name=name)


def einsum(equation: str, *inputs: Any, name: str | None = None) -> Tensor:
    """Sums of products over the indices ``equation`` names (``"ij,jk->ik"``)."""
    return ops.einsum(equation, *[_t(x) for x in inputs], name=name)


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Tensor:
    """The square root of the sum of every tensor's squared elements (None entries skipped)."""
    squares = [ops.sum(ops.square(_t(t))) for t in t_list if t is not None]
    if not squares:
        raise ValueError("global_norm: t_list holds no tensors")
    return ops.sqrt(add_n(squares), name=name)


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: str | None = None) -> tuple[list[Tensor | None], Tensor]:
    """The tensors scaled by ``clip_norm / max(global_norm, clip_norm)``, and the global norm
    (``use_norm`` if given): TF1's gradient clipping."""
    norm = _t(use_norm) if use_norm is not None else global_norm(t_list)
    clip = ops.cast(_t(clip_norm), norm.dtype)
    scale = ops.divide(clip, ops.maximum(norm, clip))
    clipped = [None if t is None else ops.multiply(_t(t), ops.cast(scale, _t(t).dtype))
               for t in t_list]
    return clipped, norm


def cond(pred: Any, true_fn: Any = None, false_fn: Any = None, strict: bool = False,
         name: str | None = None, fn1: Any = None, fn2: Any = None) -> Any:
    """``true_fn()`` where the scalar ``pred`` is true, else ``false_fn()`` (the same
    structure of tensors from both). Both branches are built and computed and the result
    selected (``where``), so a branch must not assign variables; a Python bool picks its
    branch at build time."""
    true_fn, false_fn = true_fn or fn1, false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond: true_fn and false_fn must be callables")
    if isinstance(pred, bool | np.bool_):
        return true_fn() if pred else false_fn()
    pred = _t(pred)
    if pred.dtype != dtypes.bool_ or pred.shape not in ((), None):
        raise ValueError(f"cond: pred must be a scalar bool tensor, got '{pred.name}' of dtype "
                         f"{pred.dtype.name} and shape {pred.shape}")
    graph = get_default_graph()
    first = len(graph.get_operations())
    with graph.name_scope(name or "cond"):
        branches = [true_fn(), false_fn()]
        if assigns_since(graph, first):
            raise NotImplementedError("cond: a branch assigns a variable, but both branches "
                                      "are computed here; assign outside the cond")
        leaves = [tree.flatten(b) for b in branches]
        if len(leaves[0]) != len(leaves[1]):
            raise ValueError(f"cond: the branches return {len(leaves[0])} and {len(leaves[1])} "
                             "tensors; they must return the same structure")
        pred = ops.reshape(pred, [])
        chosen = [ops.where(pred, _t(a), _t(b)) for a, b in zip(*leaves)]
    return tree.pack_sequence_as(branches[0], chosen)


def unstack(value: Any, num: int | None = None, axis: int = 0,
            name: str = "unstack") -> list[Tensor]:
    """The ``num`` tensors along ``axis`` of ``value`` (``num`` defaults to the axis's static
    size), each without that axis: the inverse of ``stack``."""
    x = _t(value)
    if x.shape is None:
        raise ValueError(f"unstack: '{x.name}' has an unknown rank")
    rank = len(x.shape)
    if not -rank <= axis < rank:
        raise ValueError(f"unstack: axis {axis} is out of range for '{x.name}' of shape "
                         f"{tuple(x.shape)}")
    axis %= rank
    size = x.shape[axis]
    if num is None and size is None:
        raise ValueError(f"unstack: cannot infer num from the shape {tuple(x.shape)} of "
                         f"'{x.name}' (axis {axis} is unknown); give num")
    if num is not None and size is not None and num != size:
        raise ValueError(f"unstack: num={num}, but axis {axis} of '{x.name}' has size {size}")
    count = num if num is not None else size
    with x.graph.name_scope(name):
        return [ops.squeeze(part, axis=axis) for part in ops.split(x, count, axis=axis)]


unpack = unstack  # TensorFlow 0.x's name, still in older tutorials


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str | None = None,
           axis: int = 0, batch_dims: int = 0) -> Tensor:
    """Slices of ``params`` along ``axis`` picked by ``indices``."""
    if batch_dims:
        raise NotImplementedError("gather: batch_dims is not supported")
    return ops.gather(params, indices, axis=axis, name=name)


def gather_nd(params: Any, indices: Any, name: str | None = None, batch_dims: int = 0
              ) -> Tensor:
    """The slices of ``params`` that the last axis of ``indices`` addresses: ``indices`` of
    shape ``[..., k]`` pick ``params[i0, ..., ik-1]`` (the first ``k`` axes of ``params`` must
    have static sizes)."""
    if batch_dims:
        raise NotImplementedError("gather_nd(batch_dims=...) is not supported")
    params, indices = _t(params), _t(indices)
    if indices.shape is None or not indices.shape or indices.shape[-1] is None:
        raise ValueError(f"gather_nd: indices '{indices.name}' need a static last axis, got "
                         f"shape {indices.shape}")
    k = indices.shape[-1]
    if params.shape is None or len(params.shape) < k or None in params.shape[:k]:
        raise ValueError(f"gather_nd: the first {k} axes of params '{params.name}' must have "
                         f"static sizes, got shape {params.shape}")
    sizes = [int(d) for d in params.shape[:k]]
    strides = np.cumprod([1, *sizes[:0:-1]])[::-1].astype(np.int64)  # row-major, per index
    flat_index = ops.sum(ops.multiply(ops.cast(indices, "int64"), _constant(strides)), axis=-1)
    flat_params = ops.reshape(params, [int(np.prod(sizes)), *params.shape[k:]])
    return ops.gather(flat_params, flat_index, axis=0, name=name)


def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None,
            axis: int | None = None, dtype: Any = None, name: str | None = None) -> Tensor:
    """``on_value`` at each index and ``off_value`` elsewhere, along a new axis of ``depth``."""
    if dtype is None:  # TF1: the dtype of on_value/off_value when given, else float32
        given = on_value if on_value is not None else off_value
        dtype = dtypes.float32 if given is None else dtypes.infer_value_dtype(given)
    return ops.one_hot(indices, depth, on_value=1 if on_value is None else on_value,
                       off_value=0 if off_value is None else off_value,
                       axis=-1 if axis is None else axis, dtype=dtype, name=name)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
        constant_values: Any = 0) -> Tensor:
    """``tensor`` padded by ``paddings`` (``[[before, after], ...]``); ``mode`` is CONSTANT
    (with ``constant_values``), REFLECT or SYMMETRIC."""
    return ops.pad(tensor, paddings, mode=mode.lower(), constant_values=constant_values,
                   name=name)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """``input`` repeated ``multiples[i]`` times along axis ``i``."""
    return ops.tile(input, multiples, name=name)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const",
             verify_shape: bool = False) -> Tensor:
    """A tensor with a fixed value; a scalar ``value`` fills ``shape``."""
    if verify_shape and shape is not None and np.shape(value) != tuple(shape):
        raise TypeError(f"constant: expected shape {tuple(shape)}, got {np.shape(value)}")
    return _constant(value, dtype=dtype, shape=shape, name=name)


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A constant of zeros."""
    return _constant(np.zeros(shape, dtypes.as_dtype(dtype)), name=name)


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A constant of ones."""
    return _constant(np.ones(shape, dtypes.as_dtype(dtype)), name=name)


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A constant of shape ``dims`` filled with ``value``."""
    return _constant(np.full(dims, value, dtypes.infer_value_dtype(value)), name=name)


def zeros_like(tensor: Any, dtype: Any = None, name: str | None = None,
               optimize: bool = True) -> Tensor:
    """Zeros with the shape (and dtype) of ``tensor``."""
    result = ops.zeros_like(tensor, name=name)
    return result if dtype is None else ops.cast(result, dtype)


def ones_like(tensor: Any, dtype: Any = None, name: str | None = None,
              optimize: bool = True) -> Tensor:
    """Ones with the shape (and dtype) of ``tensor``."""
    result = ops.ones_like(tensor, name=name)
    return result if dtype is None else ops.cast(result, dtype)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str = "range") -> Tensor:
    """A constant ``[start, start + delta, ...)`` below ``limit`` (Python numbers only)."""
    if any(isinstance(v, Tensor) for v in (start, limit, delta)):
        raise NotImplementedError("tf.range with tensor bounds is not supported")
    values = np.arange(start, limit, delta) if limit is not None else np.arange(start)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_value_dtype(
        values.tolist() if values.size else 0)
    return _constant(values.astype(dtype), name=name)


# -- randomness --------------------------------------------------------------------------------
def set_random_seed(seed: int | None) -> None:
    """Seed the default graph: its random ops and runs become reproducible."""
    get_default_graph().seed = None if seed is None else int(seed)


def random_uniform(shape: Any, minval: float = 0.0, maxval: float | None = None,
                   dtype: Any = dtypes.float32, seed: int | None = None,
                   name: str | None = None) -> Tensor:
    """Uniform samples in ``[minval, maxval)`` (``maxval`` defaults to 1)."""
    return ops.random_uniform(shape, minval=minval, maxval=1.0 if maxval is None else maxval,
                              dtype=dtype, seed=seed, name=name)


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0,
                  dtype: Any = dtypes.float32, seed: int | None = None,
                  name: str | None = None) -> Tensor:
    """Normal samples."""
    return ops.random_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed, name=name)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0,
                     dtype: Any = dtypes.float32, seed: int | None = None,
                     name: str | None = None) -> Tensor:
    """Normal samples within two standard deviations of the mean."""
    return ops.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed,
                                name=name)


# -- logging and scopes ------------------------------------------------------------------------
def Print(input_: Any, data: Sequence[Any], message: str | None = None,  # noqa: N802
          first_n: int | None = None, summarize: int | None = None,
          name: str | None = None) -> Tensor:
    """``input_`` itself; each run that computes it prints ``message`` and the values of
    ``data`` (the first ``summarize`` elements of each, default 3) to stderr."""
    if first_n is not None and first_n >= 0:
        raise NotImplementedError("tf.Print(first_n=...) is not supported")
    return ops.print_tensors(input_, list(data), message=message or "",
                             summarize=3 if summarize is None else summarize, name=name)


@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None,
               values: Any = None) -> Iterator[str]:
    """Prefix the names of new ops with ``name/`` (made unique). As in TF1, a name ending in
    ``/`` re-enters that exact scope, and ``None`` (without a default) goes to the root."""
    graph = get_default_graph()
    name = name if name is not None else default_name
    if name is None or name == "":
        with absolute_name_scope(graph, "") as scope:
            yield scope
    elif name.endswith("/"):
        with absolute_name_scope(graph, name) as scope:
            yield scope
    else:
        with graph.name_scope(name) as scope:
            yield scope
