"""Keras's global state (``keras.backend``): the graph that layers build ops in, and the session
that holds every layer's weights.

As in Keras on TensorFlow 1, all Keras-API objects share one graph and one session: a layer's
variables are created in the graph once, their values live in the session, and each model's
train, test and predict programs are fetch sets of that graph, compiled once by the active
backend. ``clear_session()`` starts over with a new graph and session.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

import layerkit_backend
from layerkit.graph import Graph, PureFunction, Session, Tensor, Variable, constant, dtypes
from layerkit.graph import ops as _ops

# The seed lives here with the graph it seeds: set_random_seed (layerkit.utils) writes it, every
# new graph reads it, and unseeded initializers draw from the host generator made from it.
_state: dict[str, Any] = {"graph": None, "session": None, "seed": None,
                          "host_generator": np.random.default_rng()}
_uids: collections.Counter = collections.Counter()
_config = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def get_graph() -> Graph:
    """The graph Keras layers build their ops in."""
    if _state["graph"] is None:
        _state["graph"] = Graph()
        _state["graph"].seed = _state["seed"]  # set_random_seed survives clear_session()
    return _state["graph"]


def get_random_seed() -> int | None:
    """The seed last given to ``layerkit.utils.set_random_seed``, or None if it was never
    called."""
    return _state["seed"]


def host_generator() -> np.random.Generator:
    """The numpy generator that unseeded initializers draw from (reset by ``set_seed``)."""
    return _state["host_generator"]


def set_seed(seed: int) -> None:
    """Seed the Keras graph (now and after ``clear_session``) and the host generator; the
    checked, public entry point is ``layerkit.utils.set_random_seed``."""
    _state["seed"] = seed
    _state["host_generator"] = np.random.default_rng(seed)
    get_graph().seed = seed


def get_session() -> Session:
    """The session holding the values of every Keras variable, on the active backend."""
    session = _state["session"]
    if session is None or session.backend is not layerkit_backend.backend():
        if session is not None and session.variable_values():
            raise RuntimeError(
                f"The active backend changed from {session.backend.name!r} to "
                f"{layerkit_backend.backend().name!r} while Keras objects hold weights; call "
                "layerkit.backend.clear_session() first (weights are not carried over)"
            )
        session = _state["session"] = Session(graph=get_graph())
    return session


def clear_session() -> None:
    """Forget every layer, model and weight: a new graph, a new session, fresh layer names."""
    if _state["session"] is not None:
        _state["session"].close()
    _state["graph"] = None
    _state["session"] = None
    _uids.clear()


@contextlib.contextmanager
def symbolic_scope() -> Iterator[None]:
    """Inside, Keras objects build graph ops instead of computing values: a model traces its
    train/test/predict programs in this scope, where ``metric.update_state`` returns update
    tensors and ``metric.result()`` a tensor. Outside, the same calls run at once on values."""
    _state["symbolic"] = _state.get("symbolic", 0) + 1
    graph = get_graph()
    try:
        with graph.as_default():
            yield
    finally:
        _state["symbolic"] -= 1


def in_symbolic_scope() -> bool:
    """Whether code runs inside ``symbolic_scope()`` (a model tracing a program)."""
    return _state.get("symbolic", 0) > 0


@contextlib.contextmanager
def collecting_updates(sink: list) -> Iterator[None]:
    """Inside (a layer's ``call`` while a program is traced), a symbolic assign of a Keras
    variable (``self.total.assign_add(x)``) is also added to ``sink``, so the program stores
    it: Keras applies such updates, it does not drop them."""
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.pop()


_sinks: list[list] = []


def _record_update(update: Tensor) -> None:
    if _sinks and not any(update is u for u in _sinks[-1]):  # by identity: == is element-wise
        _sinks[-1].append(update)


_weight_path: list[tuple[str, int]] = []  # (name, id of the owner)


@contextlib.contextmanager
def weight_path_scope(name: str, owner: Any = None) -> Iterator[None]:
    """Inside, new weights sit under ``name/`` (a layer building or calling its sublayers:
    ``multi_head_attention/query/kernel``, as Keras 3's variable paths). Re-entering the
    scope of the innermost ``owner`` adds nothing (a build inside that layer's own call)."""
    if owner is not None and _weight_path and _weight_path[-1][1] == id(owner):
        yield
        return
    _weight_path.append((name, id(owner)))
    try:
        yield
    finally:
        _weight_path.pop()


def weight_path() -> str:
    """The path prefix of weights made here: ``"outer/inner/"`` or ``""``."""
    return "".join(f"{name}/" for name, _ in _weight_path)


def _builds_updates() -> bool:
    """Whether an assign now builds an op (a trace or a layer call) rather than storing."""
    return in_symbolic_scope() or bool(_sinks)


def get_uid(prefix: str = "") -> int:
    """1, 2, 3... per prefix: layer names ``dense``, ``dense_1``, ``dense_2``..."""
    _uids[prefix] += 1
    return _uids[prefix]


def backend() -> str:
    """The name of the active backend (``"jax"`` or ``"numpy"``)."""
    return layerkit_backend.backend().name


def floatx() -> str:
    """The default float dtype of weights and inputs (``"float32"``)."""
    return _config["floatx"]


def set_floatx(value: str) -> None:
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"floatx must be float16, float32 or float64, got {value!r}")
    _config["floatx"] = value


def epsilon() -> float:
    """The fuzz factor used to avoid dividing by zero (1e-7, as Keras)."""
    return _config["epsilon"]


def set_epsilon(value: float) -> None:
    _config["epsilon"] = float(value)


def image_data_format() -> str:
    """Always ``"channels_last"``: the only layout layerkit's convolutions support."""
    return _config["image_data_format"]


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of the Keras graph (e.g. from ``keras.Input``)."""
    return isinstance(x, Tensor) and x.graph is get_graph()


class KerasVariable(Variable):
    """A weight of the Keras graph, whose value lives in the Keras session.

    In a layer's ``call`` it is a symbolic tensor like any other. Outside, ``numpy()`` reads its
    value and ``assign(array)`` sets it at once; ``assign(tensor)`` builds the symbolic update
    (for layers that update state during training, such as batch normalization).
    """

    # A layer's weight made with ``add_weight(constraint=...)``: optimizers store
    # ``constraint(new_value)`` at each update.
    constraint: Any = None

    def numpy(self) -> np.ndarray:
        return get_session().variable_values([self.key])[self.key]

    @property
    def value(self) -> Any:
        """The variable's value: inside a trace or a layer's call, the variable itself (a
        symbolic tensor, as Keras's ``variable.value`` is a traced array there); outside, the
        current value as an array."""
        return self if _builds_updates() else self.numpy()

    def __array__(self, dtype=None, copy=None):
        if _builds_updates():  # a trace must not freeze the current value into a constant
            return super().__array__(dtype, copy)
        value = self.numpy()
        return value if dtype is None else value.astype(dtype)

    def __float__(self) -> float:
        return float(np.asarray(self))

    def __int__(self) -> int:
        return int(np.asarray(self))

    @property
    def path(self) -> str:
        return self.key

    # Inside a trace or a layer's call an assign builds the update (and a layer's call has it
    # stored with the program); outside it stores the new value at once.
    def assign(self, value: Any, name: str | None = None) -> Any:
        if isinstance(value, Tensor) or _builds_updates():
            return self._recorded(super().assign(value, name=name))
        get_session().load_variable_values({self.key: _checked(self, value)})
        return self

    def assign_add(self, delta: Any, name: str | None = None) -> Any:
        if isinstance(delta, Tensor) or _builds_updates():
            return self._recorded(super().assign_add(delta, name=name))
        return self.assign(self.numpy() + np.asarray(delta, self.dtype))

    def assign_sub(self, delta: Any, name: str | None = None) -> Any:
        if isinstance(delta, Tensor) or _builds_updates():
            return self._recorded(super().assign_sub(delta, name=name))
        return self.assign(self.numpy() - np.asarray(delta, self.dtype))

    @staticmethod
    def _recorded(update: Tensor) -> Tensor:
        _record_update(update)
        return update

    def __repr__(self) -> str:
        return (f"<KerasVariable path={self.key} shape={tuple(self.shape)} "
                f"dtype={self.dtype.name}>")


def _checked(var: Variable, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != tuple(var.shape):
        raise ValueError(f"Cannot assign a value of shape {array.shape} to variable "
                         f"'{var.key}' of shape {tuple(var.shape)}")
    return array.astype(var.dtype)


def variable(value: Any, name: str, dtype: Any = None, trainable: bool = True) -> KerasVariable:
    """A new Keras variable with initial ``value`` (an array), its value set in the session now.

    The graph keeps only a cheap initializer (zeros broadcast to the shape), not a copy of the
    value: initial values are computed on the host (see ``layerkit.initializers``) and loaded.
    """
    dtype = dtypes.as_dtype(dtype or floatx())
    array = np.asarray(value, dtype=dtype)
    graph = get_graph()
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope(None):
        zeros = _ops.broadcast_to(constant(np.zeros((), dtype)), array.shape)
        var = KerasVariable(zeros, trainable=trainable, name=name, dtype=dtype,
                            shape=array.shape)
    get_session().load_variable_values({var.key: array})
    return var


def with_stored_values(function: PureFunction, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (by variable key) plus the stored values of the variables ``function`` reads
    that are not among them: state a stateless call was not given, such as a SeedGenerator's
    or an optimizer's learning rate."""
    missing = [key for key in function.reads if key not in values]
    return {**get_session().variable_values(missing), **values} if missing else dict(values)
