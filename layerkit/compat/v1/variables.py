"""TF1 variables: ``tf.Variable``, ``get_variable`` and ``variable_scope``.

``get_variable`` looks a variable up by its full name (``scope/name``) in a per-graph store:
it creates it the first time, and returns the existing one only when the scope allows reuse, so
two layers never share weights by accident. ``variable_scope`` prefixes the names of variables
(absolutely: ``foo/W``) and opens a name scope of the same name for the ops created inside.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from layerkit.compat.v1 import initializers as _init
from layerkit.compat.v1._scopes import absolute_name_scope, init_scope
from layerkit.graph import dtypes
from layerkit.graph import variables as _core
from layerkit.graph.graph import Graph, Tensor, get_default_graph
from layerkit.graph.opdef import constant, convert_to_tensor
from layerkit.graph.shapes import as_shape, fmt

__all__ = [
    "AUTO_REUSE", "Variable", "VariableScope", "assign", "assign_add", "assign_sub",
    "get_variable", "get_variable_scope", "variable_scope",
]


class _ReuseMode:
    """The type of ``tf.AUTO_REUSE``: create a variable if missing, else reuse it."""

    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class _VariableMeta(type):
    # Every core variable (made by layers, optimizers...) is a tf.Variable for isinstance.
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _core.Variable)


class Variable(_core.Variable, metaclass=_VariableMeta):
    """``tf.Variable``: a tensor whose value lives in the session and persists across runs.

    Takes TF1's arguments; ``initial_value`` may also be a callable returning the value.
    """

    def __init__(self, initial_value: Any = None, trainable: bool | None = None,
                 collections: list[str] | None = None, validate_shape: bool = True,
                 caching_device: Any = None, name: str | None = None, variable_def: Any = None,
                 dtype: Any = None, expected_shape: Any = None, import_scope: Any = None,
                 constraint: Any = None, use_resource: Any = None, synchronization: Any = None,
                 aggregation: Any = None, shape: Any = None):
        if variable_def is not None:
            raise NotImplementedError("tf.Variable(variable_def=...) is not supported")
        if constraint is not None:
            raise NotImplementedError("tf.Variable(constraint=...) is not supported")
        if callable(initial_value):
            initial_value = initial_value()
        if expected_shape is not None and shape is None:
            shape = expected_shape
        super().__init__(initial_value, trainable=True if trainable is None else trainable,
                         name=name, dtype=dtype, shape=shape)
        graph = self.graph
        for key in collections or ():
            # The core already files it under the global (and trainable) collections.
            if key not in (_core.GLOBAL_VARIABLES, _core.TRAINABLE_VARIABLES):
                graph.add_to_collection(key, self)

    def assign(self, value: Any, use_locking: Any = None, name: str | None = None,
               read_value: bool = True) -> Tensor:
        """The new value, stored when the run computing it ends."""
        return _core.assign(self, value, name=name)

    def assign_add(self, delta: Any, use_locking: Any = None, name: str | None = None,
                   read_value: bool = True) -> Tensor:
        return _core.assign(self, self + delta, name=name or "AssignAdd")

    def assign_sub(self, delta: Any, use_locking: Any = None, name: str | None = None,
                   read_value: bool = True) -> Tensor:
        return _core.assign(self, self - delta, name=name or "AssignSub")

    def value(self) -> Tensor:
        """The variable's value in a run (the variable itself is that tensor)."""
        return self

    read_value = value

    def initialized_value(self) -> Tensor:
        """The initial value (TF1 uses it to initialize one variable from another)."""
        return self.initial_value

    def load(self, value: Any, session: Any = None) -> None:
        """Set the value in ``session`` (the default session) without building ops."""
        from layerkit.graph.session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError(f"Cannot load variable '{self.key}': no default session is set")
        session.load_variable_values({self.key: value})


def assign(ref: _core.Variable, value: Any, validate_shape: Any = None, use_locking: Any = None,
           name: str | None = None) -> Tensor:
    """``tf.assign``: a new value for ``ref``, stored when the run computing it ends."""
    return _core.assign(ref, value, name=name)


def assign_add(ref: _core.Variable, value: Any, use_locking: Any = None,
               name: str | None = None) -> Tensor:
    """``tf.assign_add``: ``ref + value``, stored when the run ends."""
    return _core.assign(ref, ref + value, name=name or "AssignAdd")


def assign_sub(ref: _core.Variable, value: Any, use_locking: Any = None,
               name: str | None = None) -> Tensor:
    """``tf.assign_sub``: ``ref - value``, stored when the run ends."""
    return _core.assign(ref, ref - value, name=name or "AssignSub")


# -- variable scopes ---------------------------------------------------------------------------
class VariableScope:
    """A variable scope: a name prefix, a reuse mode, and defaults for ``get_variable``."""

    def __init__(self, reuse: Any = None, name: str = "", initializer: Any = None,
                 dtype: Any = None, name_scope: str = ""):
        self.name = name
        self.reuse = reuse
        self.initializer = initializer
        self.dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self.original_name_scope = name_scope

    def reuse_variables(self) -> None:
        """From now on, ``get_variable`` in this scope returns existing variables."""
        self.reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self.initializer = initializer

    def set_dtype(self, dtype: Any) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def get_variable(self, name: str, *args: Any, **kwargs: Any) -> _core.Variable:
        """``get_variable`` inside this scope."""
        with variable_scope(self):
            return get_variable(name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<VariableScope {self.name!r} reuse={self.reuse!r}>"


_scope_stacks: weakref.WeakKeyDictionary[Graph, list[VariableScope]] = weakref.WeakKeyDictionary()
_stores: weakref.WeakKeyDictionary[Graph, dict[str, _core.Variable]] = weakref.WeakKeyDictionary()


def _scope_stack(graph: Graph) -> list[VariableScope]:
    if graph not in _scope_stacks:
        _scope_stacks[graph] = [VariableScope()]
    return _scope_stacks[graph]


def get_variable_scope() -> VariableScope:
    """The innermost open variable scope of the default graph (the root scope if none)."""
    return _scope_stack(get_default_graph())[-1]


def _store(graph: Graph) -> dict[str, _core.Variable]:
    return _stores.setdefault(graph, {})


@contextlib.contextmanager
def variable_scope(name_or_scope: str | VariableScope | None, default_name: str | None = None,
                   values: Any = None, initializer: Any = None, regularizer: Any = None,
                   caching_device: Any = None, partitioner: Any = None,
                   custom_getter: Any = None, reuse: Any = None, dtype: Any = None,
                   use_resource: Any = None, constraint: Any = None,
                   auxiliary_name_scope: bool = True) -> Iterator[VariableScope]:
    """Prefix variable names with the scope's name; ``reuse=True`` (or ``tf.AUTO_REUSE``)
    lets ``get_variable`` return existing variables. Reuse is inherited by inner scopes."""
    if custom_getter is not None or partitioner is not None:
        raise NotImplementedError("variable_scope: custom_getter and partitioner are not supported")
    graph = get_default_graph()
    parent = _scope_stack(graph)[-1]
    own = name_or_scope.reuse if isinstance(name_or_scope, VariableScope) else None
    inherited = _effective_reuse(reuse, parent.reuse, own)
    if isinstance(name_or_scope, VariableScope):
        scope = VariableScope(inherited, name_or_scope.name,
                              _first(initializer, name_or_scope.initializer),
                              _first(dtype, name_or_scope.dtype),
                              name_or_scope.original_name_scope)
        names = absolute_name_scope(graph, scope.original_name_scope)
    else:
        if name_or_scope is None and default_name is None:
            raise TypeError("variable_scope: give name_or_scope or default_name")
        relative = name_or_scope if name_or_scope is not None else default_name
        names = graph.name_scope(relative) if auxiliary_name_scope else contextlib.nullcontext("")
        scope = None
    with names as opened:
        if scope is None:
            # A default name is made unique (``dense_1``) through the name scope it opens.
            leaf = relative if name_or_scope is not None else (opened or relative).rstrip("/")
            leaf = leaf.rsplit("/", 1)[-1]
            full = f"{parent.name}/{leaf}" if parent.name else leaf
            scope = VariableScope(inherited, full, _first(initializer, parent.initializer),
                                  _first(dtype, parent.dtype), opened or "")
        stack = _scope_stack(graph)
        stack.append(scope)
        try:
            yield scope
        finally:
            stack.remove(scope)


def _first(value: Any, default: Any) -> Any:
    return value if value is not None else default


def _reusing(mode: Any) -> bool:
    return mode is True or mode is AUTO_REUSE


def _effective_reuse(asked: Any, parent: Any, own: Any) -> Any:
    # TF1: reuse=False (or None) in an inner scope does not switch off an outer scope's reuse.
    if _reusing(asked):
        return asked
    if _reusing(parent):
        return parent
    return own if _reusing(own) else asked


# -- get_variable ------------------------------------------------------------------------------
def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: bool | None = None,
                 collections: list[str] | None = None, caching_device: Any = None,
                 partitioner: Any = None, validate_shape: bool = True, use_resource: Any = None,
                 custom_getter: Any = None, constraint: Any = None, synchronization: Any = None,
                 aggregation: Any = None) -> _core.Variable:
    """The variable ``scope/name``: created on first use, returned again only under reuse.

    ``initializer`` is an initializer (object, class or callable ``(shape, dtype)``), or a value
    (list, array, tensor) whose shape and dtype the variable takes. Without one, floating
    variables use ``glorot_uniform_initializer`` and others zeros, as in TF1.
    """
    graph = get_default_graph()
    scope = get_variable_scope()
    full = f"{scope.name}/{name}" if scope.name else name
    store = _store(graph)
    if full in store:
        return _reuse(store[full], full, scope, shape, dtype)
    if scope.reuse is True:
        raise ValueError(
            f"Variable {full} does not exist, or was not created with tf.get_variable(). "
            "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
        )
    dtype = dtypes.as_dtype(dtype) if dtype is not None else scope.dtype
    initializer = initializer if initializer is not None else scope.initializer
    with init_scope(graph, f"{full}/Initializer"):
        initial, dtype = _initial_value(full, initializer, shape, dtype)
    with init_scope(graph):
        var = Variable(initial, trainable=trainable, collections=collections, name=full,
                       dtype=dtype)
    store[full] = var
    return var


def _reuse(var: _core.Variable, full: str, scope: VariableScope, shape: Any,
           dtype: Any) -> _core.Variable:
    if not _reusing(scope.reuse):
        raise ValueError(
            f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
            "reuse=tf.AUTO_REUSE in VarScope?"
        )
    if shape is not None and tuple(as_shape(shape)) != tuple(var.shape):
        raise ValueError(f"Trying to share variable {full}, but specified shape "
                         f"{fmt(as_shape(shape))} and found shape {fmt(var.shape)}.")
    if dtype is not None and dtypes.as_dtype(dtype) != var.dtype:
        raise ValueError(f"Trying to share variable {full}, but specified dtype "
                         f"{dtypes.as_dtype(dtype).name} and found dtype {var.dtype.name}.")
    return var


def _initial_value(full: str, initializer: Any, shape: Any,
                   dtype: np.dtype | None) -> tuple[Tensor, np.dtype]:
    """The tensor a new variable starts from, and the variable's dtype."""
    if isinstance(initializer, type):  # an initializer class, e.g. tf.zeros_initializer
        initializer = initializer()
    if initializer is not None and not callable(initializer):
        if shape is not None:
            raise ValueError(f"Variable {full}: if initializer is a constant, do not specify "
                             "shape.")
        value = (convert_to_tensor(initializer) if isinstance(initializer, Tensor)
                 else constant(initializer, dtype=dtype))
        return value, dtype or value.dtype
    dtype = dtype or dtypes.float32
    if shape is None or any(d is None for d in as_shape(shape)):
        raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but instead "
                         f"was {fmt(as_shape(shape))}.")
    if initializer is None:
        floating = dtypes.is_floating(dtype)
        initializer = _init.GlorotUniform() if floating else _init.Zeros()
    value = _call_initializer(initializer, as_shape(shape), dtype)
    value = value if isinstance(value, Tensor) else constant(value, dtype=dtype)
    return value, dtype


def _call_initializer(initializer: Callable[..., Any], shape: tuple[int, ...],
                      dtype: np.dtype) -> Any:
    # TF1 passes partition_info only to initializers that take it; plain lambdas often do not.
    try:
        params = inspect.signature(initializer).parameters
    except (TypeError, ValueError):
        params = {}
    if "partition_info" in params:
        return initializer(shape, dtype=dtype, partition_info=None)
    if "dtype" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return initializer(shape, dtype=dtype)
    return initializer(shape)
