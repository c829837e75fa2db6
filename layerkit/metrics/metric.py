"""The ``Metric`` base class: state variables, symbolic updates and eager use.

A metric's state lives in Keras variables (``layerkit.backend.variable``, not trainable), in the
Keras session. Subclasses write ``update_state`` and ``result`` once, as graph code in Keras's
style (``self.total.assign(self.total + ops.sum(values))``). The base class runs that code in
one of two ways:

* Symbolically, inside ``layerkit.backend.symbolic_scope()`` (a model tracing its train or test
  program) or when given tensors: ``update_state`` returns the list of update tensors (the
  ``assign`` ops the code built: fetch them and the variables change when the run ends), and
  ``result()`` returns a tensor reading the variables. Every read in one run sees the values
  from before the run, so ``result()`` in the same program as the update reports the state
  before this step; ``result_after(updates)`` (or ``metric(y_true, y_pred)``) reports the state
  after it, and fetching it also applies the updates.
* Eagerly, outside that scope on numpy arrays or Python values: ``update_state`` runs now (the
  graph is built once per input signature, then only fed) and returns None, and ``result()``
  returns the current value as numpy.

Each variable may be assigned at most once per ``update_state`` (all reads see the old value).
``reset_state()`` sets the state now, in both cases.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import (
    Tensor,
    assigns_since,
    cached_pure,
    dtypes,
    new_values,
    signature_of,
    values_by_key,
)
from layerkit.losses import runtime as rt
from layerkit.losses.loss import auto_name
from layerkit.ops import eager
from layerkit.utils.serialization import dtype_policy_name
from layerkit.utils.tree import flatten, pack_sequence_as


def _wrap_update(raw: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(raw)
    def update_state(self: Metric, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_tracing", False):  # a subclass calling super().update_state(...)
            return raw(self, *args, **kwargs)
        if rt.is_symbolic(*args, *kwargs.values()):
            return self._trace_update(raw, args, kwargs)
        self._eager_update(raw, args, kwargs)
        return None

    update_state._metric_raw = raw
    return update_state


def _wrap_result(raw: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(raw)
    def result(self: Metric) -> Any:
        if getattr(self, "_tracing", False) or K.in_symbolic_scope():
            with self._graph().as_default():
                return raw(self)
        return self._eager_result(raw)

    result._metric_raw = raw
    return result


class Metric:
    """Base class of metrics: accumulate statistics with ``update_state``, read ``result()``.

    Args:
        dtype: the dtype of the state and the result (default ``floatx()``).
        name: the metric's name (default: the snake_case class name).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "update_state" in cls.__dict__:
            cls.update_state = _wrap_update(cls.__dict__["update_state"])
        if "result" in cls.__dict__:
            cls.result = _wrap_result(cls.__dict__["result"])

    def __init__(self, dtype: Any = None, name: str | None = None):
        self.name = name or auto_name(type(self).__name__)
        dtype = dtype_policy_name(dtype, f"{type(self).__name__} metric '{self.name}'")
        self._dtype = dtypes.as_dtype(dtype or K.floatx()).name
        self._variables: list[Any] = []
        self._tracing = False

    @property
    def dtype(self) -> str:
        return self._dtype

    # -- state -----------------------------------------------------------------------------------
    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Any:
        """A new state variable (a non-trainable Keras variable named ``<metric>/<name>``)."""
        if not hasattr(self, "_variables"):
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` "
                               f"method of {type(self).__name__}. Go add it!")
        dtype = dtypes.as_dtype(dtype or self.dtype)
        shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(
            int(d) for d in shape)
        value = _initial_value(initializer, shape, dtype)
        var = K.variable(value, name=f"{rt.scope_name(self.name)}/{name or 'variable'}",
                         dtype=dtype, trainable=False)
        self._variables.append(var)
        return var

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: str | None = None) -> Any:
        """An alias of ``add_variable`` (as in Keras)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self) -> list[Any]:
        return list(self._variables)

    def reset_state(self) -> None:
        """Set every state variable to zero, now."""
        for v in self.variables:
            v.assign(np.zeros(tuple(v.shape), v.dtype))

    # -- the API subclasses implement ------------------------------------------------------------
    def update_state(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update the state with the inputs and return the result after the update."""
        if rt.is_symbolic(*args, *kwargs.values()):
            return self.result_after(self.update_state(*args, **kwargs))
        self.update_state(*args, **kwargs)
        return self.result()

    # -- Keras 3's stateless API: state given and returned, never stored ------------------------
    def stateless_update_state(self, metric_variables: list[Any], *args: Any,
                               **kwargs: Any) -> list[Any]:
        """The values of ``self.variables`` after ``update_state(*args, **kwargs)`` from the
        state ``metric_variables`` (values for ``self.variables``, in order); the stored state
        is untouched. Computed with JAX: it runs inside ``jax.jit`` (``layerkit.graph.pure``).
        """
        variables = self.variables
        values = values_by_key(variables, metric_variables, "variables",
                               f"{type(self).__name__}()")
        names = sorted(k for k, v in kwargs.items() if v is not None)
        leaves = [*args, *(kwargs[k] for k in names)]

        def build(*placeholders: Any) -> tuple[list, None]:
            with K.symbolic_scope():
                self.update_state(*placeholders[:len(args)],
                                  **dict(zip(names, placeholders[len(args):])))
            return [], None

        function = cached_pure(self, ("update_state", len(args), tuple(names)), self._graph(),
                               build, signature_of(leaves, K.floatx(), batch_free=True))
        _, written = function(values, leaves)
        return new_values(variables, metric_variables, written)

    def stateless_result(self, metric_variables: list[Any]) -> Any:
        """The result computed from ``metric_variables`` (values for ``self.variables``, in
        order) instead of the current state: a tensor if they are symbolic, else computed
        with JAX (arrays or JAX tracers in, a jax array out)."""
        variables = self.variables
        if rt.is_symbolic(*metric_variables):
            values_by_key(variables, metric_variables, "variables", f"{type(self).__name__}()")
            with self._graph().as_default():
                return self._result_with(dict(zip(variables, metric_variables)))
        values = values_by_key(variables, metric_variables, "variables",
                               f"{type(self).__name__}()")

        def build() -> tuple[list, Any]:
            with K.symbolic_scope():
                result = self.result()
            return flatten(result), result

        function = cached_pure(self, "result", self._graph(), build, [])
        fetched, _ = function(values, [])
        return pack_sequence_as(function.structure, fetched)

    def stateless_reset_state(self) -> list[np.ndarray]:
        """The values of ``self.variables`` after ``reset_state()`` (zeros), as new arrays."""
        return [np.zeros(tuple(v.shape), v.dtype) for v in self.variables]

    def result_after(self, updates: list[Any] | None) -> Any:
        """The result after the ``updates`` that ``update_state`` returned (symbolically):
        fetching it applies them too."""
        new = {}
        for u in updates or []:
            t = u.outputs[0] if hasattr(u, "outputs") else u
            if isinstance(t, Tensor) and t.op.type == "assign":
                new[t.op.attrs["var"]] = t
        with self._graph().as_default():
            return self._result_with(new)

    def _result_with(self, mapping: dict) -> Any:
        """Call the raw ``result`` with the state attributes replaced per ``mapping``."""
        raw = getattr(type(self).result, "_metric_raw", type(self).result)
        saved = {}
        for key, value in list(vars(self).items()):
            if isinstance(value, Tensor) and value in mapping:
                saved[key] = value
                setattr(self, key, mapping[value])
        self._tracing = True
        try:
            return raw(self)
        finally:
            self._tracing = False
            for key, value in saved.items():
                setattr(self, key, value)

    # -- machinery -------------------------------------------------------------------------------
    def _graph(self):
        return self._variables[0].graph if self._variables else K.get_graph()

    def _trace_update(self, raw: Callable[..., Any], args: tuple, kwargs: dict) -> list[Tensor]:
        graph = rt.graph_of(*args, *kwargs.values())
        if self._variables and self._variables[0].graph is not graph:
            raise ValueError(f"Metric '{self.name}' keeps its state in the Keras graph, but its "
                             "inputs belong to another graph; build them inside "
                             "layerkit.backend.symbolic_scope() (or pass numpy values)")
        before = len(graph.get_operations())
        self._tracing = True
        try:
            with graph.as_default(), graph.name_scope(rt.scope_name(self.name)):
                returned = raw(self, *args, **kwargs)
        finally:
            self._tracing = False
        updates = assigns_since(graph, before)
        for item in returned if isinstance(returned, list | tuple) else []:
            t = item.outputs[0] if hasattr(item, "outputs") and item.outputs else item
            if isinstance(t, Tensor) and t.op.type == "assign" \
                    and not any(t is u for u in updates):  # by identity (== is element-wise)
                updates.append(t)
        return updates

    def _eager_update(self, raw: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        """``update_state`` on values: traced once per signature in the Keras graph (where the
        metric's variables live) and run by the one eager runner."""
        values = [*args, *kwargs.values()]
        arrays = [None if v is None else rt.eager_array(v) for v in values]

        def build(*feeds: Tensor) -> list[Tensor]:
            t_kwargs = dict(zip(kwargs, feeds[len(args):]))
            return self._trace_update(raw, tuple(feeds[:len(args)]), t_kwargs)

        key = ("update_state", len(args), tuple(kwargs))
        eager.run(key, build, arrays, rt.object_cache(self), keras_graph=True)

    def _eager_result(self, raw: Callable[..., Any]) -> Any:
        graph = self._graph()
        cache = rt.object_cache(self)
        cached = cache.get("result")
        if cached is None or cached[0] is not graph or cached[1] != len(self._variables):
            self._tracing = True
            try:
                with graph.as_default():
                    out = raw(self)
            finally:
                self._tracing = False
            cached = cache["result"] = (graph, len(self._variables), out)
        out = cached[2]
        if isinstance(out, Tensor) or (isinstance(out, list | tuple | dict) and out):
            return K.get_session().run(out)
        return out

    # -- config ----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def _initial_value(initializer: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    if isinstance(initializer, str) and initializer in ("zeros", "ones"):
        return (np.zeros if initializer == "zeros" else np.ones)(shape, dtype)
    if isinstance(initializer, int | float | np.ndarray | np.generic):
        return np.broadcast_to(np.asarray(initializer, dtype), shape).copy()
    if isinstance(initializer, str | dict):
        from layerkit import initializers

        initializer = initializers.get(initializer)
    if callable(initializer):
        return np.asarray(initializer(shape, dtype=dtype), dtype)
    raise ValueError(f"Could not interpret initializer {initializer!r}")
