"""Placeholders (fed per run), variables (state) and the ops that update state.

A ``Variable`` is a symbolic handle: its value lives in a state store owned by whoever runs
programs (a ``Session``). Reading it is an op; ``assign`` produces a new value for it, applied
when the run that computes it ends. So every read in one run sees the value from before the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from layerkit.graph import dtypes
from layerkit.graph.graph import Graph, Operation, Tensor, get_default_graph
from layerkit.graph.opdef import apply, apply1, convert_to_tensor, define_op
from layerkit.graph.rewrite import substitute
from layerkit.graph.shapes import as_shape, fmt

GLOBAL_VARIABLES = "variables"
TRAINABLE_VARIABLES = "trainable_variables"


@define_op("placeholder", differentiable=False)
def _placeholder_rule(*, shape, dtype):
    return shape, dtype


def placeholder(dtype: Any = dtypes.float32, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor whose value is fed in each run (``feed_dict``). ``shape=None`` means any shape;
    ``None`` inside a shape (``(None, 10)``) means any size along that axis."""
    dtype = dtypes.as_dtype(dtype)
    return apply1("placeholder", [], {"shape": as_shape(shape), "dtype": dtype},
                  name=name or "Placeholder")


@define_op("variable", differentiable=False)
def _variable_rule(*, shape, dtype, key):
    return shape, dtype


class Variable(Tensor):
    """A tensor whose value persists across runs: the value of a model parameter.

    ``initial_value`` is a tensor or value computed when the initializer runs; or give
    ``initializer`` (a callable ``(shape, dtype) -> tensor or array``) and ``shape``.
    A new session starts with every variable uninitialized.
    """

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        shape: Any = None,
        initializer: Callable[..., Any] | None = None,
    ):
        graph = get_default_graph()
        base = name or "Variable"
        if initial_value is None:
            if initializer is None:
                raise ValueError(f"Variable {base!r}: give an initial_value or an initializer")
            if shape is None:
                raise ValueError(f"Variable {base!r}: an initializer needs a shape")
            dtype = dtypes.as_dtype(dtype or dtypes.float32)
            initial_value = initializer(as_shape(shape), dtype)
        init = convert_to_tensor(initial_value, dtype=None)
        if dtype is not None and init.dtype != dtypes.as_dtype(dtype):
            init = _cast_initial(init, dtypes.as_dtype(dtype), base)
        var_shape = as_shape(shape) if shape is not None else init.shape
        if var_shape is None or any(d is None for d in var_shape):
            raise ValueError(
                f"Variable {base!r}: its shape must be fully known, got {fmt(var_shape)}"
            )
        if init.shape is not None and tuple(init.shape) != var_shape:
            raise ValueError(
                f"Variable {base!r}: initial value of shape {fmt(init.shape)} does not match "
                f"shape {fmt(var_shape)}"
            )
        attrs = {"shape": var_shape, "dtype": init.dtype}
        op = graph.create_op("variable", [], attrs, [(var_shape, init.dtype)], name=base)
        attrs["key"] = op.name  # the unique op name is the key its value is stored under
        super().__init__(op, 0, var_shape, init.dtype)
        op.outputs = (self,)
        self.trainable = bool(trainable)
        self.initial_value = init
        self.initializer = assign(self, init, name=f"{op.name}/Assign").op
        graph.add_to_collection(GLOBAL_VARIABLES, self)
        if self.trainable:
            graph.add_to_collection(TRAINABLE_VARIABLES, self)

    @property
    def key(self) -> str:
        """The name its value is stored under."""
        return self.op.attrs["key"]

    def assign(self, value: Any, name: str | None = None) -> Tensor:
        return assign(self, value, name=name)

    def assign_add(self, delta: Any, name: str | None = None) -> Tensor:
        return assign(self, self + delta, name=name)

    def assign_sub(self, delta: Any, name: str | None = None) -> Tensor:
        return assign(self, self - delta, name=name)

    def __repr__(self) -> str:
        return f"<Variable '{self.name}' shape={fmt(self.shape)} dtype={self.dtype.name}>"


def _cast_initial(init: Tensor, dtype: np.dtype, name: str) -> Tensor:
    from layerkit.graph.ops.math import cast

    if not (dtypes.is_floating(init.dtype) and dtypes.is_floating(dtype)):
        if init.op.type != "constant":
            raise TypeError(
                f"Variable {name!r}: initial value has dtype {init.dtype.name}, not {dtype.name}"
            )
    return cast(init, dtype)


@define_op("assign", differentiable=False)
def _assign_rule(value, *, var):
    if value.dtype != var.dtype:
        raise TypeError(
            f"cannot assign a {value.dtype.name} value to variable '{var.key}' of dtype "
            f"{var.dtype.name}"
        )
    if value.shape is not None and (
        len(value.shape) != len(var.shape)
        or any(d is not None and d != v for d, v in zip(value.shape, var.shape))
    ):
        raise ValueError(
            f"cannot assign a value of shape {fmt(value.shape)} to variable '{var.key}' of "
            f"shape {fmt(var.shape)}"
        )
    return var.shape, var.dtype


def assign(var: Variable, value: Any, name: str | None = None) -> Tensor:
    """A new value for ``var``, stored when the run that computes it ends. Returns the value."""
    if not isinstance(var, Variable):
        raise TypeError(f"assign: {var!r} is not a Variable")
    value = convert_to_tensor(value) if isinstance(value, Tensor) else convert_to_tensor(
        np.asarray(value, dtype=var.dtype))
    return apply1("assign", [value], {"var": var}, name=name or "Assign")


def assigns_since(graph: Any, first: int) -> list[Tensor]:
    """The values of the ``assign`` ops made in ``graph`` after its first ``first`` operations,
    in creation order, leaving out variables' initializers: the state updates some code built
    (a metric's ``update_state``, an optimizer's ``apply``) whether or not it returned them."""
    initializers = {v.initializer for v in graph.get_collection(GLOBAL_VARIABLES)}
    return [op.outputs[0] for op in graph.get_operations()[first:]
            if op.type == "assign" and op not in initializers]


def one_write_per_variable(updates: list[Tensor]) -> list[Tensor]:
    """``updates`` (``assign`` results, and other ops to run) each once, with one write per
    variable, as one run can store them: a variable written twice (a layer called twice in a
    step, two optimizer steps) keeps its last write, its reads of the variable made after the
    earlier write recomputed on that write's value. So the writes to one variable apply in
    order, as in eager code; every other read sees the value from before the run."""
    latest: dict[int, Tensor] = {}  # by the variable's id: a tensor's == is element-wise
    others: list[Tensor] = []
    for update in updates:
        if any(update is seen for seen in (*latest.values(), *others)):
            continue
        if update.op.type != "assign":
            others.append(update)
            continue
        var = update.op.attrs["var"]
        if id(var) in latest:
            # The reads made after the earlier write see its value (not its assign op: one run
            # stores one assign per variable); those made before it, such as a gradient, the
            # value from before the run.
            earlier = latest[id(var)].op
            value = substitute([update.op.inputs[0]], {var: earlier.inputs[0]},
                               created_after=earlier.order)[0]
            update = assign(var, value)
        latest[id(var)] = update
    return [*latest.values(), *others]


@define_op("no_op", differentiable=False)
def _no_op_rule():
    return []


def group(*inputs: Operation | Tensor, name: str | None = None) -> Operation:
    """An op with no output that, when run, runs all of ``inputs``."""
    flat = []
    for item in inputs:
        flat.extend(item if isinstance(item, list | tuple) else [item])
    graph = get_default_graph()
    with graph.control_dependencies(flat):
        return apply("no_op", [], name=name or "group_deps")


def no_op(name: str | None = None) -> Operation:
    """An op that does nothing (useful with control dependencies)."""
    return apply("no_op", [], name=name or "NoOp")


def global_variables(graph: Graph | None = None) -> list[Variable]:
    return (graph or get_default_graph()).get_collection(GLOBAL_VARIABLES)


def trainable_variables(graph: Graph | None = None) -> list[Variable]:
    return (graph or get_default_graph()).get_collection(TRAINABLE_VARIABLES)


def variables_initializer(var_list: list[Variable], name: str = "init") -> Operation:
    """An op that runs the initializers of ``var_list``."""
    return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """An op that initializes every variable of the default graph."""
    return variables_initializer(global_variables())

