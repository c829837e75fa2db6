"""The symbolic graph: ``Tensor``, ``Operation`` and ``Graph``.

A ``Graph`` is an append-only list of operations, so creation order is always a valid evaluation
order. Each operation's type names an ``OpDef`` (``opdef.py``) that checks its inputs and infers
the static shapes and dtypes of its outputs when the operation is created, so bad input fails here,
at graph-build time, with the op's name and the shapes involved.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from layerkit.graph import dtypes as _dtypes
from layerkit.graph.shapes import Shape, TensorShape, TensorShapeV1, fmt


class Tensor:
    """A symbolic value: the ``index``-th output of ``op``, with a static shape and dtype.

    A tensor holds no data; ``Session.run`` (or a model) computes its value. Python operators
    build ops: ``a + b``, ``x @ W``, ``x ** 2``, ``-x``, ``x[1:, 0]``, ``a < b`` (the op
    modules attach them, see ``overload_operator``; importing ``layerkit.graph`` loads them
    all). ``a == b`` and ``a != b`` are element-wise too (``ops.equal``, ``ops.not_equal``;
    ``ops/equality.py``), and ``t == None`` is False. Hashing stays by identity, so tensors key
    a ``feed_dict`` and fill sets; but ``t in some_list`` compares with ``==`` and raises (a
    tensor has no truth value): compare identity with ``is``.
    """

    __array_priority__ = 100  # so numpy_array + tensor builds an op instead of looping

    def __init__(self, op: Operation, index: int, shape: Shape, dtype: np.dtype):
        self.op = op
        self.index = index
        # A tuple with TensorFlow's TensorShape methods too (``as_list()``...), or None.
        self.shape = shape if shape is None else TensorShape(shape)
        self.dtype = dtype

    @property
    def graph(self) -> Graph:
        return self.op.graph

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.index}"

    @property
    def ndim(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def set_shape(self, shape: Any) -> None:
        """Refine the static shape (TensorFlow 1): its unknown sizes (or rank) take ``shape``'s;
        a size that contradicts the known one is a ValueError naming both. The run checks the
        computed value against it."""
        merged = TensorShapeV1(self.shape).merge_with(shape)
        self.shape = None if merged.unknown_rank else TensorShape(merged)

    def get_shape(self) -> TensorShapeV1:
        """The static shape, TensorFlow 1's way: indexing gives ``Dimension`` objects
        (``x.get_shape()[1].value``), and an unknown rank is a shape too."""
        return TensorShapeV1(self.shape)

    def eval(self, feed_dict: dict | None = None, session: Any = None) -> Any:
        """Compute this tensor in ``session`` or the default session (TensorFlow 1 style)."""
        session = session or get_default_session()
        if session is None:
            raise ValueError(f"Cannot evaluate tensor '{self.name}': no default session is set")
        return session.run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<Tensor '{self.name}' shape={fmt(self.shape)} dtype={self.dtype.name}>"

    def __bool__(self) -> bool:
        raise TypeError(
            f"Tensor '{self.name}' is symbolic and has no truth value; "
            "use ops such as where() or compute it with a session"
        )

    def __iter__(self):
        raise TypeError(f"Tensor '{self.name}' is symbolic and cannot be iterated over")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"Tensor '{self.name}' is symbolic and has no value to convert to a numpy array; "
            "compute it with session.run() first"
        )

    __hash__ = object.__hash__


def overload_operator(name: str, op: Callable[..., Tensor], *, reflected: bool = False) -> None:
    """Make every tensor's Python operator ``__{name}__`` build ``op(tensor, *operands)``; with
    ``reflected``, ``__r{name}__`` too (``2 * t`` builds ``op(2, t)``).

    Each op module overloads the operators of its ops when it loads (``ops/math.py`` ``+``,
    ``ops/linalg.py`` ``@``...): the op modules import this one, so it cannot import them.
    """

    def method(self: Tensor, *operands: Any) -> Tensor:
        return op(self, *operands)

    method.__name__ = f"__{name}__"
    setattr(Tensor, method.__name__, method)
    if reflected:
        def reflected_method(self: Tensor, other: Any) -> Tensor:
            return op(other, self)

        reflected_method.__name__ = f"__r{name}__"
        setattr(Tensor, reflected_method.__name__, reflected_method)


class Operation:
    """A node of the graph: an op type applied to input tensors, with attributes."""

    def __init__(
        self,
        graph: Graph,
        op_type: str,
        name: str,
        inputs: Sequence[Tensor],
        attrs: dict[str, Any],
        output_types: Sequence[tuple[Shape, np.dtype]],
        control_inputs: Sequence[Operation] = (),
    ):
        self.graph = graph
        self.type = op_type
        self.name = name
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.control_inputs = tuple(control_inputs)
        self.order = len(graph._operations)  # creation order: a valid evaluation order
        self.outputs = tuple(Tensor(self, i, s, d) for i, (s, d) in enumerate(output_types))

    def run(self, feed_dict: dict | None = None, session: Any = None) -> None:
        """Run this op in ``session`` or the default session (TensorFlow 1 style)."""
        session = session or get_default_session()
        if session is None:
            raise ValueError(f"Cannot run op '{self.name}': no default session is set")
        session.run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<Operation '{self.name}' type={self.type}>"


_NAME_OK = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$")


class Graph:
    """A symbolic computation graph. One is the default; ``as_default()`` switches."""

    def __init__(self):
        self._operations: list[Operation] = []
        self._names: dict[str, int] = {}
        self._name_stack: list[str] = []
        self._control_stack: list[list[Operation]] = []
        self._collections: dict[str, list[Any]] = {}
        self.seed: int | None = None
        self.version = 0  # bumps with each new op, so caches can tell the graph grew

    # -- building ----------------------------------------------------------------------------
    def create_op(
        self,
        op_type: str,
        inputs: Sequence[Tensor],
        attrs: dict[str, Any],
        output_types: Sequence[tuple[Shape, np.dtype]],
        name: str | None = None,
    ) -> Operation:
        control = [op for frame in self._control_stack for op in frame]
        op = Operation(self, op_type, self.unique_name(name or op_type), inputs, attrs,
                       output_types, control)
        self._operations.append(op)
        self.version += 1
        return op

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` under the current name scope, with ``_1``, ``_2``... appended if taken."""
        if not _NAME_OK.match(name):
            raise ValueError(f"{name!r} is not a valid op name")
        full = "/".join([*self._name_stack, name])
        base = full
        count = self._names.get(base, 0)
        if count:
            while f"{base}_{count}" in self._names:
                count += 1
            full = f"{base}_{count}"
        if mark_as_used:
            self._names[base] = count + 1
            self._names.setdefault(full, 1)
        return full

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Prefix the names of ops created inside with a scope, as TensorFlow 1 does.

        ``"layer"`` opens ``layer`` inside the current scope (``layer_1`` if taken; ``"a/b"``
        opens both levels). A name ending in ``/`` re-enters that exact, absolute scope, and
        ``None`` or ``""`` returns to the root. Yields the scope prefix (``"outer/layer/"``).
        """
        if not name:
            stack: list[str] = []
        elif name.endswith("/"):
            stack = [part for part in name.split("/") if part]
        else:
            stack = self.unique_name(name).split("/")
        saved, self._name_stack = self._name_stack, stack
        try:
            yield "".join(f"{part}/" for part in stack)
        finally:
            self._name_stack = saved

    @contextlib.contextmanager
    def control_dependencies(self, ops: Sequence[Operation | Tensor] | None) -> Iterator[None]:
        """Ops created inside run only after ``ops`` (in a session: ``ops`` run too)."""
        if ops is None:
            saved, self._control_stack = self._control_stack, []
            try:
                yield
            finally:
                self._control_stack = saved
            return
        frame = [o.op if isinstance(o, Tensor) else o for o in ops]
        for o in frame:
            if o.graph is not self:
                raise ValueError(f"control dependency '{o.name}' belongs to another graph")
        self._control_stack.append(frame)
        try:
            yield
        finally:
            self._control_stack.pop()

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Make this the graph new ops go to, inside the ``with`` block."""
        _default_stack.append(self)
        try:
            yield self
        finally:
            _default_stack.pop()

    # -- looking things up -------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        return list(self._operations)

    def get_operation_by_name(self, name: str) -> Operation:
        for op in self._operations:
            if op.name == name:
                return op
        raise KeyError(f"The graph has no operation named {name!r}")

    def get_tensor_by_name(self, name: str) -> Tensor:
        op_name, _, index = name.rpartition(":")
        if not op_name or not index.isdigit():
            raise ValueError(f"{name!r} is not a tensor name such as 'op:0'")
        op = self.get_operation_by_name(op_name)
        if int(index) >= len(op.outputs):
            raise KeyError(f"Operation {op_name!r} has no output {index}")
        return op.outputs[int(index)]

    def add_to_collection(self, key: str, value: Any) -> None:
        self._collections.setdefault(key, []).append(value)

    def get_collection(self, key: str) -> list[Any]:
        return list(self._collections.get(key, []))

    def is_ancestor_of(self, other: Graph) -> bool:
        """Whether ``other`` is this graph or a sub-graph nested in it (a scan body)."""
        while other is not None:
            if other is self:
                return True
            other = getattr(other, "outer", None)
        return False

    def capture(self, tensor: Tensor) -> Tensor:
        raise ValueError(
            f"Tensor '{tensor.name}' belongs to another graph than the one ops are being "
            "added to; build all ops of a computation in one graph"
        )


_default_stack: list[Graph] = []
_global_default = Graph()


def get_default_graph() -> Graph:
    """The graph new ops go to."""
    return _default_stack[-1] if _default_stack else _global_default


def reset_default_graph() -> None:
    """Replace the global default graph with a new, empty one."""
    global _global_default
    if _default_stack:
        raise AssertionError("reset_default_graph() cannot be called inside a Graph.as_default()")
    _global_default = Graph()


# The default sessions stand here, beside the default graphs, as in TensorFlow 1: ``Tensor.eval``
# and ``Operation.run`` read them, and ``session.py`` (which imports this module) adds them.
_default_sessions: list[Any] = []


def get_default_session() -> Any:
    """The session ``tensor.eval()`` and ``op.run()`` use: the innermost one entered with
    ``with`` (or an ``InteractiveSession``), or None."""
    return _default_sessions[-1] if _default_sessions else None


def push_default_session(session: Any) -> None:
    """Make ``session`` the default session until ``remove_default_session(session)``."""
    _default_sessions.append(session)


def remove_default_session(session: Any, missing_ok: bool = False) -> None:
    """Take ``session`` off the default sessions; unless ``missing_ok``, it must be on them."""
    if missing_ok and session not in _default_sessions:
        return
    _default_sessions.remove(session)


def name_scope(name: str):
    """``get_default_graph().name_scope(name)``."""
    return get_default_graph().name_scope(name)


def control_dependencies(ops):
    """``get_default_graph().control_dependencies(ops)``."""
    return get_default_graph().control_dependencies(ops)


def as_dtype(dtype: Any) -> np.dtype:
    return _dtypes.as_dtype(dtype)


def ancestors(tensors: Iterable[Tensor] = (), ops: Iterable[Operation] = (), *,
              stop: Collection[Tensor] = frozenset(), control: bool = False) -> list[Operation]:
    """The ops that ``tensors`` and ``ops`` depend on, themselves included, in creation order
    (a valid evaluation order).

    The walk follows data edges (an op's inputs) and, with ``control``, control dependencies;
    it does not look past a tensor in ``stop`` (whose op is left out, unless reached otherwise).
    """
    seen: set[Operation] = set()
    stop = stop if isinstance(stop, set | frozenset) else set(stop)  # `in list` would use ==
    stack = [t.op for t in tensors if t not in stop] + list(ops)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in stop)
        if control:
            stack.extend(op.control_inputs)
    return sorted(seen, key=lambda op: op.order)
