"""Sessions: own variable values and run programs with ``feed_dict`` (TensorFlow 1 style).

``run`` turns its fetches into a program (what to feed, what to fetch, which variables to
update), compiles it once with the backend and caches it, so a training loop compiles once and
then only calls. Every fed value is checked before anything runs, and the session's variable
values change only when a run succeeds, so a failed run leaves the session usable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

import layerkit_backend
from layerkit.graph.errors import FailedPreconditionError, InvalidArgumentError
from layerkit.graph.graph import (
    Graph,
    Operation,
    Tensor,
    ancestors,
    get_default_graph,
    get_default_session,  # noqa: F401  (kept importable from here; the stack is graph.py's)
    push_default_session,
    remove_default_session,
)
from layerkit.graph.program import Lowered, lower_program
from layerkit.graph.shapes import fmt, is_compatible

DEFAULT_GRAPH_SEED = 87654321


class Session:
    """Runs parts of ``graph`` (the default graph) on ``backend`` (the active backend).

    ``strict_float=True`` makes every op round its own result (no fused multiply-adds), as
    numpy and TensorFlow 1's CPU kernels do; ``layerkit.compat.v1.Session`` sets it.

    Under a distribution (``layerkit.distribution``), every fed array is a batch that the
    backend splits over the devices along its batch axis (the first; the second for the
    stacked feeds of ``dispatch(steps=...)``); scalars are replicated.
    """

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 backend: str | None = None, strict_float: bool = False):
        self.graph = graph or get_default_graph()
        self.backend = (layerkit_backend.get_backend(backend) if backend
                        else layerkit_backend.backend())
        self.strict_float = strict_float
        self._state: dict[str, Any] = {}
        # Compiled programs hold no state, so sessions of one graph share them.
        cache = self.graph.__dict__.setdefault("_compiled_programs", {})
        self._programs: dict[tuple, tuple[Lowered, Any]] = cache.setdefault(
            (self.backend.name, strict_float), {})
        self._prepared_runs: dict[tuple, PreparedRun] = {}
        self._closed = False
        self._runs = 0
        self._graph_context = None

    # -- running -------------------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: Mapping[Any, Any] | None = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        """Compute ``fetches`` (a tensor, an op, or a list/tuple/dict of them) given the
        placeholder values in ``feed_dict``; ops return None. Variable updates reachable from
        the fetches (``assign``, an optimizer's ``minimize``) are stored when the run ends."""
        feed_dict = feed_dict or {}
        return self._prepared(fetches, tuple(feed_dict))(*feed_dict.values())

    def dispatch(self, fetches: Any, feed_dict: Mapping[Any, Any] | None = None,
                 steps: int | None = None) -> Any:
        """``run``, with the fetched values left as the backend's arrays: on the jax backend
        the call returns as soon as the work is queued, and only reading a value (with
        ``backend.to_numpy``) waits for it. A training loop that reads its logs only now and
        then thus keeps the device busy while Python prepares the next step.

        With ``steps``, every fed value holds ``steps`` feeds stacked along a new leading axis,
        and the fetches run once per step in one program call (on jax, one ``lax.scan``), each
        step seeing the variables the previous one stored; fetched values come back stacked
        the same way. The steps draw the seeds that as many ``run`` calls would."""
        feed_dict = feed_dict or {}
        return self._prepared(fetches, tuple(feed_dict)).dispatch(*feed_dict.values(),
                                                                  steps=steps)

    def make_callable(self, fetches: Any, feed_list: Sequence[Any] = (),
                      accept_options: bool = False) -> PreparedRun:
        """``run(fetches, feed_dict)`` with the feeds of ``feed_list`` (placeholders or their
        names) given positionally, worked out once: ``f = session.make_callable(loss, [x, y])``
        then ``f(xb, yb)`` per step, as in TensorFlow 1. The returned ``PreparedRun`` also has
        ``dispatch``. A loop that runs the same fetches many times saves the per-run work of
        walking the fetch structure and finding the program."""
        if accept_options:
            raise NotImplementedError("make_callable(accept_options=True): layerkit takes no "
                                      "RunOptions")
        return PreparedRun(self, fetches, feed_list)

    def _prepared(self, fetches: Any, feed_keys: tuple) -> PreparedRun:
        """``make_callable(fetches, feed_keys)``, kept for the next ``run`` with the same
        fetches and feed keys when the fetches are hashable: a tensor, an op, a name, or a flat
        list or tuple of them (what a training loop fetches). Other structures (dicts, nested
        lists) are worked out on each run."""
        kind = type(fetches)
        key = (kind, tuple(fetches) if kind is list or kind is tuple else fetches, feed_keys)
        try:
            return self._prepared_runs[key]
        except KeyError:
            prepared = self._prepared_runs[key] = self.make_callable(fetches, feed_keys)
            return prepared
        except TypeError:  # unhashable
            return self.make_callable(fetches, feed_keys)

    def _program(self, key: tuple) -> tuple[Lowered, Any]:
        """The compiled program for (fetched tensors, target ops, fed placeholders), made once.

        Ops never change once built, so what a key needs is fixed: the graph walks, lowering and
        compilation happen on the first run only."""
        if key not in self._programs:
            tensors, targets, fed = key
            updates, extra = _state_effects(list(tensors), list(targets))
            lowered = lower_program([*tensors, *extra], updates, fed, self.strict_float)
            self._programs[key] = (lowered, self.backend.compile(lowered.spec))
        return self._programs[key]

    def _seed(self) -> int:
        """The seed of the next run: it changes run to run, and repeats session to session.

        Whether random values repeat across sessions is then decided by the ops' own seeds,
        as in TensorFlow 1: an op given a seed (or in a graph given one) repeats; an op with
        neither drew a fresh op seed when it was built.
        """
        self._runs += 1
        base = self.graph.seed if self.graph.seed is not None else DEFAULT_GRAPH_SEED
        return hash((base, self._runs)) & 0x7FFFFFFF

    # -- state ---------------------------------------------------------------------------------
    def variable_values(self, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """The current values of the initialized variables (or of ``keys``), by key, as numpy
        arrays."""
        if keys is None:
            return {k: self.backend.to_numpy(v) for k, v in self._state.items()}
        values = {}
        for key in keys:
            if key not in self._state:
                raise FailedPreconditionError(f"Attempting to use uninitialized value {key}")
            values[key] = self.backend.to_numpy(self._state[key])
        return values

    def load_variable_values(self, values: Mapping[str, Any]) -> None:
        """Set variables by key (as ``Saver.restore`` does); shapes and dtypes are checked."""
        by_key = {v.key: v for v in self.graph.get_collection("variables")}
        staged = {}
        for key, value in values.items():
            if key not in by_key:
                raise KeyError(f"The graph has no variable {key!r}")
            staged[key] = self.backend.asarray(_checked_feed(by_key[key], value), by_key[key].dtype)
        self._state.update(staged)

    # -- life cycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Release the variable values and the runs kept for reuse (compiled programs stay
        with the graph, shared by its sessions)."""
        self._closed = True
        self._state.clear()
        self._prepared_runs.clear()  # each holds this session: let the cycle go

    def as_default(self):
        return _DefaultSession(self)

    def __enter__(self) -> Session:
        push_default_session(self)
        self._graph_context = self.graph.as_default()
        self._graph_context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._graph_context.__exit__(*exc)
        remove_default_session(self)
        self.close()


class InteractiveSession(Session):
    """A session that installs itself as the default one when created (for shells and
    notebooks), so ``tensor.eval()`` and ``op.run()`` work without a ``with`` block."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 backend: str | None = None, strict_float: bool = False):
        super().__init__(target, graph, config, backend, strict_float)
        push_default_session(self)

    def close(self) -> None:
        remove_default_session(self, missing_ok=True)
        super().close()


class _DefaultSession:
    def __init__(self, session: Session):
        self.session = session

    def __enter__(self) -> Session:
        push_default_session(self.session)
        return self.session

    def __exit__(self, *exc) -> None:
        remove_default_session(self.session)


class PreparedRun:
    """A run worked out once (``Session.make_callable``): the fetch structure, the compiled
    program, where each fed value goes and which variables it reads. Calling it runs with one
    value per ``feed_list`` entry and returns host values, as ``Session.run`` does;
    ``dispatch`` leaves them as backend arrays, as ``Session.dispatch`` does."""

    def __init__(self, session: Session, fetches: Any, feed_list: Sequence[Any]):
        graph = session.graph
        leaves: list[Any] = []
        self._template = _flatten(fetches, leaves, graph)
        self._tensors, targets = _split(leaves)
        self._fed = [_as_feed_key(key, graph) for key in feed_list]
        # By identity: ``t in list`` would compare tensors with ``==``, which is element-wise.
        repeated = [t.name for i, t in enumerate(self._fed)
                    if any(t is u for u in self._fed[:i])]
        if repeated:
            raise InvalidArgumentError(f"'{repeated[0]}' is fed twice in one run")
        fed = tuple(sorted(self._fed, key=lambda t: (t.op.order, t.index)))
        lowered, self._program = session._program((tuple(self._tensors), tuple(targets), fed))
        position = {t: i for i, t in enumerate(self._fed)}
        self._order = [position[p] for p in lowered.placeholders]
        self._variables = lowered.variables
        self._keys = frozenset(v.key for v in lowered.variables)
        self._session = session

    def __call__(self, *values: Any) -> Any:
        """The fetches' values, on the host (numpy arrays and scalars; None for ops)."""
        fetched = self._execute(values, steps=None, copy_feeds=True)
        backend = self._session.backend
        return _rebuild(self._template, {t: _to_host(backend, v)
                                         for t, v in zip(self._tensors, fetched)})

    def dispatch(self, *values: Any, steps: int | None = None, copy_feeds: bool = True) -> Any:
        """The fetches' values as backend arrays, without waiting for them (see
        ``Session.dispatch``, also for ``steps``). ``copy_feeds=False`` promises that the
        caller never changes the fed arrays, so they reach the program without a private
        copy (on jax, the call may still be reading them after it returns)."""
        fetched = self._execute(values, steps, copy_feeds)
        return _rebuild(self._template, dict(zip(self._tensors, fetched)))

    def _execute(self, values: Sequence[Any], steps: int | None, copy_feeds: bool) -> list[Any]:
        """Checks every fed value, runs the program and stores the new variable values;
        returns the fetched values (backend arrays). Nothing changes if a check fails."""
        session = self._session
        if session._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if len(values) != len(self._fed):
            raise TypeError(f"This run takes {len(self._fed)} fed value(s), one per feed_list "
                            f"entry, got {len(values)}")
        if steps is not None and not _is_positive_int(steps):
            raise ValueError(f"steps must be a positive int or None, got {steps!r}")
        feeds = [self._checked(t, value, steps, copy_feeds)
                 for t, value in zip(self._fed, values)]
        state = session._state
        if not self._keys <= state.keys():
            missing = next(v.key for v in self._variables if v.key not in state)
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {missing}: run its initializer "
                "(e.g. global_variables_initializer()) in this session first"
            )
        fed = [feeds[i] for i in self._order]
        if steps is None:
            fetched, new_state = self._program(state, fed, session._seed())
        else:
            seeds = [session._seed() for _ in range(steps)]
            fetched, new_state = self._program.run_steps(state, fed, seeds)
        state.update(new_state)
        return fetched

    def _checked(self, t: Tensor, value: Any, steps: int | None, copy: bool) -> Any:
        """A fed value checked against its placeholder, as the backend takes it. Under a
        distribution it is split along its batch axis: the first, or the second for stacked
        steps."""
        if steps is None:
            return self._session.backend.feed(_checked_feed(t, value), t.dtype, 0, copy)
        return self._session.backend.feed(_checked_stacked_feed(t, value, steps), t.dtype, 1,
                                          copy)


def _split(leaves: list[Any]) -> tuple[list[Tensor], list[Operation]]:
    """The fetched tensors and the target ops, each once, in fetch order (tensors told
    apart by identity: ``==`` on tensors is element-wise)."""
    tensors: list[Tensor] = []
    targets: list[Operation] = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            if not any(leaf is t for t in tensors):
                tensors.append(leaf)
        elif leaf not in targets:
            targets.append(leaf)
    return tensors, targets


def _as_feed_key(key: Any, graph: Graph) -> Tensor:
    """The placeholder a ``feed_dict`` key (a tensor or its name) names, or a clear error."""
    t = graph.get_tensor_by_name(key) if isinstance(key, str) else key
    if not isinstance(t, Tensor):
        raise TypeError(f"feed_dict keys must be placeholder tensors, got {key!r}")
    if t.graph is not graph:
        raise InvalidArgumentError(
            f"Cannot feed '{t.name}': it belongs to another graph than this session's"
        )
    if t.op.type != "placeholder":
        raise InvalidArgumentError(
            f"Cannot feed '{t.name}': only placeholders can be fed, and it is the "
            f"output of a {t.op.type} op"
        )
    return t


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# -- fetches ---------------------------------------------------------------------------------
def _flatten(fetch: Any, leaves: list[Any], graph: Graph) -> Any:
    """Collect the leaves of a fetch structure; returns a template to rebuild it."""
    if isinstance(fetch, list | tuple):
        items = [_flatten(f, leaves, graph) for f in fetch]
        if hasattr(fetch, "_fields"):
            return ("namedtuple", type(fetch), items)
        return (type(fetch).__name__, items)
    if isinstance(fetch, Mapping):
        return ("dict", type(fetch), {k: _flatten(v, leaves, graph) for k, v in fetch.items()})
    if hasattr(fetch, "_fetch_tensors"):  # e.g. a merged summary
        parts = [_flatten(t, leaves, graph) for t in fetch._fetch_tensors()]
        return ("custom", fetch, parts)
    leaf = _as_fetch_leaf(fetch, graph)
    leaves.append(leaf)
    return ("leaf", leaf)


def _as_fetch_leaf(fetch: Any, graph: Graph) -> Tensor | Operation:
    if isinstance(fetch, str):
        try:
            return graph.get_tensor_by_name(fetch) if ":" in fetch else \
                graph.get_operation_by_name(fetch)
        except KeyError as error:
            raise InvalidArgumentError(f"Cannot fetch {fetch!r}: {error.args[0]}") from None
    if hasattr(fetch, "_as_graph_tensor"):
        fetch = fetch._as_graph_tensor()
    if not isinstance(fetch, Tensor | Operation):
        raise TypeError(
            f"Fetch argument {fetch!r} has invalid type {type(fetch).__name__}; it must be a "
            "tensor, an op, a tensor or op name, or a list/tuple/dict of them"
        )
    if fetch.graph is not graph:
        raise InvalidArgumentError(
            f"Fetch '{fetch.name}' is not an element of this session's graph"
        )
    return fetch


def _rebuild(template: Any, results: dict[Tensor, Any]) -> Any:
    kind = template[0]
    if kind == "leaf":
        leaf = template[1]
        return results[leaf] if isinstance(leaf, Tensor) else None
    if kind == "list":
        return [_rebuild(t, results) for t in template[1]]
    if kind == "tuple":
        return tuple(_rebuild(t, results) for t in template[1])
    if kind == "namedtuple":
        return template[1](*[_rebuild(t, results) for t in template[2]])
    if kind == "dict":
        return template[1]({k: _rebuild(t, results) for k, t in template[2].items()})
    if kind == "custom":
        return template[1]._fetch_result([_rebuild(t, results) for t in template[2]])
    return [_rebuild(t, results) for t in template[1]]  # other sequence types


def _state_effects(tensors: list[Tensor], targets: list[Operation]):
    """The variable updates a run performs, and the outputs of side-effecting ops (``print``)
    reached only through control dependencies, which must run although nothing reads them."""
    reached = ancestors(tensors, targets, control=True)
    updates = [(op.attrs["var"], op.outputs[0]) for op in reached if op.type == "assign"]
    computed = set(ancestors([*tensors, *(value for _, value in updates)]))
    extra = [t for op in reached if op not in computed and op.type in SIDE_EFFECT_OPS
             for t in op.outputs]
    return updates, extra


SIDE_EFFECT_OPS = {"print"}


# -- feeds -----------------------------------------------------------------------------------
def _checked_feed(t: Tensor, value: Any) -> np.ndarray:
    """``value`` as an array of t's dtype, or a clear error naming the tensor. An array of the
    right dtype comes back as it is."""
    if isinstance(value, Tensor):
        raise TypeError(
            f"The value fed for '{t.name}' is the symbolic tensor '{value.name}'; feed a "
            "numpy array, a Python number or a list"
        )
    array = value if type(value) is np.ndarray else np.asarray(value)
    if array.dtype != t.dtype:
        if array.dtype == object or array.dtype.kind in "USVO":
            raise InvalidArgumentError(
                f"Cannot feed a value of type {array.dtype} for '{t.name}', which has dtype "
                f"{t.dtype.name}"
            )
        if not np.can_cast(array.dtype, t.dtype, casting="same_kind"):
            raise InvalidArgumentError(
                f"Cannot feed a {array.dtype.name} value for '{t.name}', which has dtype "
                f"{t.dtype.name}"
            )
    if not is_compatible(array.shape, t.shape):
        raise InvalidArgumentError(
            f"Cannot feed value of shape {fmt(array.shape)} for Tensor '{t.name}', which has "
            f"shape {fmt(t.shape)}"
        )
    return array if array.dtype == t.dtype else array.astype(t.dtype)


def _checked_stacked_feed(t: Tensor, value: Any, steps: int) -> np.ndarray:
    """``value`` holding ``steps`` feeds of ``t`` stacked along a new leading axis."""
    array = np.asarray(value)
    if array.ndim == 0 or array.shape[0] != steps:
        raise InvalidArgumentError(
            f"Cannot feed value of shape {fmt(array.shape)} for Tensor '{t.name}' in a run of "
            f"{steps} steps: it needs a leading axis of {steps} stacked feeds of shape "
            f"{fmt(t.shape)}"
        )
    _checked_feed(t, array[0])  # every step has the same shape and dtype: check one
    return array.astype(t.dtype, copy=False)


def _to_host(backend: Any, value: Any) -> Any:
    array = backend.to_numpy(value)
    return array[()] if array.ndim == 0 else array
