"""Op definitions: each op type is defined once, here in the core, by its shape/dtype rule.

``define_op`` registers a rule ``infer(*inputs, **attrs) -> [(shape, dtype), ...]`` that checks
the inputs and says what the outputs are; ``apply`` creates an op after running it. A rule
raises ``ValueError``, ``TypeError`` or ``IndexError`` with a plain message; ``apply`` puts the
op's type and name in front, so every build-time error says which op failed.

The definition is also the one place that states the facts a backend needs about an op type
besides its kernel (``differentiable``, ``random``, ``multi_output``); lowering copies them into
each node of the program (``layerkit_backend.ir.Node``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerkit.graph import dtypes
from layerkit.graph.graph import Graph, Operation, Tensor, get_default_graph
from layerkit.graph.shapes import Shape, as_shape, fmt

TensorType = tuple[Shape, np.dtype]


@dataclass(frozen=True)
class OpDef:
    """An op type: its shape/dtype rule and the facts every backend reads from its nodes."""

    name: str
    infer: Callable[..., Any]
    differentiable: bool = True  # whether gradients flow through it (to float inputs)
    # Whether it draws from the program's RNG itself. An op that runs a body function (scan)
    # draws when its body does; lowering works that out per op (``program.lower_function``).
    random: bool = False
    multi_output: bool = False  # whether its kernels return a tuple of outputs (even of one)


_REGISTRY: dict[str, OpDef] = {}


def define_op(name: str, *, differentiable: bool = True, random: bool = False,
              multi_output: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``infer`` as the shape/dtype rule of op type ``name``, with the
    facts of the type (see ``OpDef``)."""

    def register(infer: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"op type {name!r} is defined twice")
        _REGISTRY[name] = OpDef(name, infer, differentiable, random, multi_output)
        return infer

    return register


def get_opdef(name: str) -> OpDef:
    """The definition of op type ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op type {name!r} is defined") from None


def registered_ops() -> dict[str, OpDef]:
    """Every op type defined so far (all of them once ``layerkit.graph`` is imported), by name."""
    return dict(_REGISTRY)


def apply(
    op_type: str,
    inputs: Sequence[Tensor],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
) -> Operation:
    """Check ``inputs`` with the op's rule and add the op to the graph the inputs belong to."""
    attrs = dict(attrs or {})
    opdef = get_opdef(op_type)
    graph = _graph_for(inputs, op_type, name)
    inputs = [t if t.graph is graph else graph.capture(t) for t in inputs]
    try:
        types = opdef.infer(*inputs, **attrs)
    except (ValueError, TypeError, IndexError) as error:
        label = f"{op_type} '{name}'" if name else op_type
        raise type(error)(f"{label}: {error}") from None
    if isinstance(types, tuple) and len(types) == 2 and isinstance(types[1], np.dtype):
        types = [types]
    return graph.create_op(op_type, inputs, attrs, [(as_shape(s), d) for s, d in types], name)


def apply1(op_type: str, inputs: Sequence[Tensor], attrs=None, name=None) -> Tensor:
    """``apply`` for the common single-output op; returns the output tensor."""
    return apply(op_type, inputs, attrs, name).outputs[0]


def _graph_for(inputs: Sequence[Tensor], op_type: str, name: str | None) -> Graph:
    """The default graph when it can take all inputs (directly or by capture), else the inputs'.

    Mixing tensors of two unrelated graphs is an error that names both tensors.
    """
    default = get_default_graph()
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op_type}: expected a Tensor input, got {type(t).__name__}")
    if all(default.is_ancestor_of(t.graph) or t.graph.is_ancestor_of(default) for t in inputs):
        return default
    graph = inputs[0].graph
    for t in inputs[1:]:
        if t.graph is not graph:
            label = f"{op_type} '{name}'" if name else op_type
            raise ValueError(
                f"{label}: tensors '{inputs[0].name}' and '{t.name}' belong to different graphs"
            )
    return graph


# -- converting Python values ---------------------------------------------------------------
def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor with a fixed value (a Python number, a nested list or a numpy array)."""
    if isinstance(value, Tensor):
        raise TypeError(f"constant() takes a value, not the symbolic tensor '{value.name}'")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_value_dtype(value)
    array = _checked_cast(np.asarray(value), dtype, "constant")
    if shape is not None:
        shape = as_shape(shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=dtype)
        elif array.size == np.prod(shape, dtype=int):
            array = array.reshape(shape)
        else:
            raise ValueError(
                f"constant: a value of shape {fmt(array.shape)} does not fill shape {fmt(shape)}"
            )
    array = np.array(array, dtype=dtype, copy=True)
    array.setflags(write=False)
    return apply1("constant", [], {"value": array, "dtype": dtype}, name=name or "Const")


@define_op("constant", differentiable=False)
def _constant_rule(*, value: np.ndarray, dtype: np.dtype):
    return value.shape, dtype


def _checked_cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """``array`` as ``dtype``, refusing conversions that would lose the kind of value."""
    if array.dtype == dtype:
        return array
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"{what}: cannot convert a value of type {array.dtype} to {dtype.name}")
    if not np.can_cast(array.dtype, dtype, casting="same_kind"):
        # Allow whole-valued Python floats for ints (e.g. 2.0 for an int32 tensor).
        if array.dtype.kind == "f" and dtype.kind in "iu" and np.all(np.mod(array, 1) == 0):
            return array.astype(dtype)
        raise TypeError(
            f"{what}: cannot convert a {array.dtype.name} value to {dtype.name} without "
            "changing its kind"
        )
    return array.astype(dtype)


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """``value`` as a tensor: tensors pass through (dtype checked), values become constants."""
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtypes.as_dtype(dtype):
            raise TypeError(
                f"Tensor '{value.name}' has dtype {value.dtype.name}, expected "
                f"{dtypes.as_dtype(dtype).name}"
            )
        return value
    if hasattr(value, "_as_graph_tensor"):
        return value._as_graph_tensor()
    return constant(value, dtype=dtype, name=name)


def convert_operands(*values: Any, op_name: str) -> list[Tensor]:
    """Operands of an element-wise op: Python and numpy values take the dtype of the tensors.

    Two tensors of different dtypes are an error (there is no implicit promotion), as in
    TensorFlow 1; use ``cast`` to convert.
    """
    tensors = [v._as_graph_tensor() if hasattr(v, "_as_graph_tensor") else v for v in values]
    tensors = [v for v in tensors if isinstance(v, Tensor)]
    if not tensors:
        return [convert_to_tensor(v) for v in values]
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:
            raise TypeError(
                f"{op_name}: operands '{tensors[0].name}' ({dtype.name}) and '{t.name}' "
                f"({t.dtype.name}) have different dtypes; cast one of them first"
            )
    result = []
    for v in values:
        if isinstance(v, Tensor) or hasattr(v, "_as_graph_tensor"):
            result.append(convert_to_tensor(v))
        else:
            array = _checked_cast(np.asarray(v), dtype, op_name)
            result.append(constant(array, dtype=dtype))
    return result
