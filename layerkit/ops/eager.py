"""The one eager runner: how an op (or a layer, loss or metric) written as graph code runs at
once on values.

Every ``layerkit.ops`` function is written once, on graph tensors. Called on symbolic tensors
(inside a layer's ``call``, a loss, a metric, or while a model traces its programs) it builds
ops. Called on values (numpy arrays, Python numbers, lists, arrays this module returned, Keras
variables outside a trace) it is *eager*: the same graph code is built once per input
signature on placeholders of the inputs' exact shapes, in a small graph of its own, compiled by
the active backend and run; the result comes back as an ``EagerArray``.

Python numbers are not fed: they stay in the signature, so they keep their weak type (Keras's
``int32_array + 1.5`` is float32) and a new number means a new (cached) graph.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import layerkit_backend
from layerkit import backend as K
from layerkit.graph import (
    Graph,
    Session,
    Tensor,
    constant,
    get_default_graph,
    placeholder,
    pure_function,
)
from layerkit.graph import ops as graph_ops
from layerkit.ops.dtypes import dtype_of, is_weak, result_type, standardize_dtype
from layerkit.utils import tree


class EagerArray(np.ndarray):
    """The value an eager op returns: a numpy array that also has Keras's ``.numpy()``
    (a plain ``np.ndarray``), so code written for either Keras tensors or arrays runs."""

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a symbolic tensor or a variable (which is one inside a trace)."""
    return isinstance(value, Tensor) or hasattr(value, "_as_graph_tensor")


def is_jax_value(value: Any) -> bool:
    """Whether ``value`` is a jax array or a JAX tracer (inside ``jax.jit``/``jax.grad``): the
    eager runner computes on those with JAX instead of the session (``run``)."""
    module = type(value).__module__
    return module.startswith(("jax", "jaxlib")) and hasattr(value, "shape") \
        and hasattr(value, "dtype")


def _leaves(value: Any):
    if isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    else:
        yield value


def is_symbolic(*values: Any) -> bool:
    """Whether a call on ``values`` builds ops rather than computing now: a model is tracing
    (``layerkit.backend.symbolic_scope``, which a layer's call is inside too), or a symbolic
    tensor is among them. A Keras variable outside a trace is a value."""
    if K.in_symbolic_scope():
        return True
    return any(isinstance(v, Tensor) and not isinstance(v, K.KerasVariable)
               for v in _leaves(values))


def graph_scope(x: Tensor):
    """Build in x's graph unless the default graph can already take it (it is x's graph, or a
    sub-graph of it, as in a ``scan`` body), so constants land beside x."""
    default = get_default_graph()
    if default.is_ancestor_of(x.graph) or x.graph.is_ancestor_of(default):
        return contextlib.nullcontext()
    return x.graph.as_default()


# -- values in, values out --------------------------------------------------------------------
def eager_value(value: Any, what: str = "argument") -> np.ndarray:
    """``value`` as the array an eager call feeds, in the dtype Keras gives it."""
    if isinstance(value, K.KerasVariable):
        return value.numpy()
    if isinstance(value, Tensor):
        raise TypeError(f"{what}: the symbolic tensor '{value.name}' has no value here")
    try:
        dtype = dtype_of(value)
    except TypeError as error:
        raise TypeError(f"{what}: {error}") from None
    if is_jax_value(value):  # kept as it is: it may be a tracer, which has no numpy value
        return value if value.dtype == np.dtype(dtype) else value.astype(dtype)
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what}: cannot make a {dtype} array of {value!r:.80}: {error}") \
            from None


def as_eager_result(value: Any) -> Any:
    """What an eager call returns: arrays as ``EagerArray``, nested structures kept."""
    if isinstance(value, tuple):
        return tuple(as_eager_result(v) for v in value)
    if isinstance(value, list):
        return [as_eager_result(v) for v in value]
    if isinstance(value, dict):
        return {k: as_eager_result(v) for k, v in value.items()}
    if value is None or is_jax_value(value):  # computed with JAX: it stays a jax value
        return value
    return np.asarray(value).view(EagerArray)


def tensor(value: Any, dtype: Any = None) -> Tensor:
    """``value`` as a graph tensor (of ``dtype`` if given, casting a tensor): the conversion
    ops apply to their inputs when building. Values take Keras's dtypes (``dtype_of``)."""
    if hasattr(value, "_as_graph_tensor"):
        value = value._as_graph_tensor()
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype.name != standardize_dtype(dtype):
            return graph_ops.cast(value, standardize_dtype(dtype))
        return value
    target = standardize_dtype(dtype) if dtype is not None else dtype_of(value)
    return constant(np.asarray(value, dtype=target), dtype=target)


def promote(*values: Any, dtype: Any = None) -> list[Tensor]:
    """``values`` as tensors of one dtype: ``dtype`` if given, else the Keras promotion of
    theirs (``result_type``; Python numbers are weak)."""
    target = standardize_dtype(dtype) if dtype is not None else result_type(*values)
    return [tensor(v, target) for v in values]


def float_value(value: Any) -> np.ndarray:
    """A value as an array for a float-only function (an activation, a regularizer): a float
    array keeps its dtype; anything else (ints, Python numbers and lists) becomes ``floatx()``,
    as Keras converts inputs."""
    if is_jax_value(value):
        return value if np.dtype(value.dtype).kind == "f" else value.astype(K.floatx())
    array = np.asarray(value)
    if not (isinstance(value, np.ndarray | np.generic) and array.dtype.kind == "f"):
        array = array.astype(K.floatx())
    return array


def call_float(fn: Callable[[Tensor], Any], x: Any, what: str = "this function") -> Any:
    """``fn(x)`` (graph code on one float tensor) as ops when ``x`` is a tensor or a model is
    tracing, else computed now. A symbolic ``x`` must be floating-point (``what`` names the
    caller in the error); values become floats (``float_value``)."""
    if is_tensor(x):
        t = tensor(x)
        if t.dtype.kind != "f":
            raise TypeError(f"{what} needs a floating-point tensor; '{t.name}' has dtype "
                            f"{t.dtype.name} (cast it first)")
        # A Keras variable outside a trace still gives ops here (a weight's penalty is part of
        # the graph), so the ops in ``fn`` must build too.
        scope = K.symbolic_scope() if isinstance(x, K.KerasVariable) else graph_scope(t)
        with scope:
            return fn(t)
    value = float_value(x)
    if K.in_symbolic_scope():
        return fn(constant(value))
    return as_eager_result(run(None, fn, [value]))


def float_tensor(value: Any) -> Tensor:
    """``value`` as a floating tensor: floats keep their dtype, ints and bools become
    ``floatx()`` (as Keras's ``sqrt``, ``mean``, ``divide`` treat them)."""
    return tensor(value, result_type(value, float))


# -- the runner -------------------------------------------------------------------------------
_CACHE: collections.OrderedDict = collections.OrderedDict()
_CACHE_SIZE = 256


def run(key: Any, build: Callable[..., Any], arrays: Sequence[np.ndarray | None],
        cache: dict | None = None, updates: Callable[[], Sequence[Any]] | None = None,
        keras_graph: bool = False) -> Any:
    """``build(*placeholders)`` run now on ``arrays`` (None: no input there), as numpy values.

    The graph is built once per ``key`` (what the computation depends on besides its inputs;
    None: build each time), input signature and backend, and kept in ``cache`` (an object's
    own dict) or a small module-level LRU cache. ``updates`` (called after building) gives the
    state updates the build asked for (a layer's ``assign_add``); they run with the result.
    Code that reads or writes Keras variables (layers, metrics) builds in the Keras graph and
    runs in its session (``keras_graph``); anything else gets a small graph of its own.
    """
    graph = K.get_graph() if keras_graph else None
    signature = tuple(None if a is None else (a.shape, a.dtype.str) for a in arrays)
    full_key = (key, layerkit_backend.backend().name, signature, id(graph))
    store = _CACHE if cache is None else cache
    try:
        entry = store.get(full_key) if key is not None else None
    except TypeError:  # an unhashable key: build each time
        key, entry = None, None
    if entry is None or entry[0] is not graph:
        entry = _build(graph, build, arrays, updates)
        if key is not None:
            store[full_key] = entry
            while store is _CACHE and len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    elif store is _CACHE:
        _CACHE.move_to_end(full_key)
    _, feeds, out, extra, session, lazy = entry
    # Only tensors are fetched: a build may also return None or plain values (``scan`` with no
    # ``y``s, a constant), which come back as they are.
    leaves = tree.flatten(out)
    fetched = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    if any(is_jax_value(a) for a in arrays):
        values = _run_with_jax(lazy, [leaves[i] for i in fetched], feeds, extra, arrays)
    else:
        values, _ = (session or K.get_session()).run(
            [[leaves[i] for i in fetched], extra],
            {p: a for p, a in zip(feeds, arrays) if p is not None})
    for i, value in zip(fetched, values):
        leaves[i] = value
    return tree.pack_sequence_as(out, leaves)


def _run_with_jax(lazy: dict, fetches: list[Tensor], feeds: list, extra: list,
                  arrays: Sequence[Any]) -> list[Any]:
    """The fetches computed with JAX from ``arrays`` (jax arrays or tracers among them), not by
    the session: pure code, so it runs inside ``jax.jit`` and ``jax.grad``. The variables it
    reads give their stored values; a call that would update state is refused."""
    if extra or any(t.op.type == "assign" for t in fetches):
        raise ValueError("This call updates state, which a computation on JAX values cannot "
                         "do; use the stateless API (stateless_call, stateless_update_state)")
    if "jax" not in lazy:
        lazy["jax"] = pure_function(fetches, feeds)
    function = lazy["jax"]
    values, _ = function(K.with_stored_values(function, {}),
                         [a for p, a in zip(feeds, arrays) if p is not None])
    return values


def _build(graph, build, arrays, updates):
    own = graph is None
    if own:
        graph = Graph()
        graph.seed = K.get_random_seed()
    with graph.as_default():
        feeds = [None if a is None else placeholder(a.dtype, a.shape) for a in arrays]
        out = build(*feeds)
        extra = list(updates()) if updates is not None else []
    # The last slot keeps what is made lazily from the build (its JAX function).
    return (graph if not own else None, feeds, out, extra, Session(graph=graph) if own else None,
            {})


_OBJECT_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def object_cache(obj: Any) -> dict:
    """A dict of eager graphs belonging to ``obj`` (kept off the object, so copying or
    pickling it never copies graphs; dropped with it)."""
    cache = _OBJECT_CACHES.get(obj)
    if cache is None:
        cache = _OBJECT_CACHES[obj] = {}
    return cache


def freeze(value: Any) -> Any:
    """A hashable stand-in for an argument (lists become tuples, dicts sorted items, arrays
    their bytes), so it can be part of a cache key."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if is_weak(value):
        return (type(value).__name__, value)  # 1, 1.0 and True are different arguments
    return value


# -- ops: symbolic or eager from one definition ----------------------------------------------
def keras_op(*tensor_params: str, name: str | None = None):
    """Decorator making ``fn`` (graph code) a ``layerkit.ops`` function, symbolic or eager.

    ``tensor_params`` name the parameters that take tensors; a name ending in ``*`` takes a
    sequence of them (``concatenate(xs)``, ``einsum(subscripts, *operands)``). The others are
    static (axes, shapes, flags). Eagerly, arrays in tensor parameters are fed to placeholders
    and Python numbers stay as they are (weakly typed); ``fn`` gets tensors or numbers and
    converts what it needs (``tensor``, ``promote``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)
        label = f"ops.{name or fn.__name__}"
        params = [(p.rstrip("*"), p.endswith("*")) for p in tensor_params]

        @functools.wraps(fn)
        def op(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{label}(): {error}") from None
            bound.apply_defaults()
            # Any argument may make the call symbolic: a shape can hold a run-time dimension.
            inputs = list(bound.arguments.values())
            try:
                if is_symbolic(*inputs):
                    with _graph_of(inputs):
                        return fn(*bound.args, **bound.kwargs)
                return _call_eagerly(fn, signature, bound.arguments, params, label)
            except (ValueError, TypeError, IndexError) as error:
                raise _named_error(error, label, bound.arguments, params) from None

        op.eager_key = fn  # what caches of this op are keyed by
        return op

    return decorate


def _named_error(error: Exception, label: str, arguments: dict, params) -> Exception:
    """``error`` with the op's name in front and its tensor arguments' dtypes and shapes after
    (an op built from other ops names the outermost: the one the user called)."""
    message = getattr(error, "_core_message", str(error))
    described = []
    for param, many in params:
        value = arguments[param]
        for v in (value if many else [value]):
            if v is not None and not is_weak(v):
                described.append(f"{param}: {_describe(v)}")
    shown = f" (arguments {', '.join(described)})" if described else ""
    named = type(error)(f"{label}: {message}{shown}")
    named._core_message = message
    return named


def _describe(value: Any) -> str:
    try:
        shape = value.shape if hasattr(value, "shape") else np.shape(value)
        dtype = dtype_of(value)
    except (TypeError, ValueError):
        return type(value).__name__
    return f"{dtype} {tuple(shape) if shape is not None else 'unknown shape'}"


def _graph_of(inputs: Sequence[Any]):
    """Build beside the first symbolic input (constants land in its graph), unless the default
    graph can already take it."""
    for value in _leaves(inputs):
        if isinstance(value, Tensor) and not isinstance(value, K.KerasVariable):
            return graph_scope(value)
    return contextlib.nullcontext()


def _call_eagerly(fn, signature, arguments: dict, params, label: str) -> Any:
    arrays: list[np.ndarray] = []

    def slot(value: Any, param: str):
        if value is None or is_weak(value):
            return ("static", value)
        arrays.append(eager_value(value, f"{label}: argument '{param}'"))
        return ("feed", len(arrays) - 1)

    slots = {}
    for param, many in params:
        value = arguments[param]
        if many:
            slots[param] = (type(value), tuple(slot(v, param) for v in value))
        else:
            slots[param] = slot(value, param)
    static = {k: v for k, v in arguments.items() if k not in slots}

    def build(*feeds: Tensor) -> Any:
        rebuilt = dict(arguments)
        for param, many in params:
            if many:
                kind, items = slots[param]
                rebuilt[param] = kind(_fill(s, feeds) for s in items)
            else:
                rebuilt[param] = _fill(slots[param], feeds)
        call = inspect.BoundArguments(signature, rebuilt)
        return fn(*call.args, **call.kwargs)

    key = (fn, freeze(static), freeze([slots[p] for p, _ in params]))
    return as_eager_result(run(key, build, arrays))


def _fill(slot, feeds):
    kind, value = slot
    return feeds[value] if kind == "feed" else value
