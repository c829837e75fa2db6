"""A symbolic computation as a pure function of variable values: what Keras 3's stateless API
(``layer.stateless_call``, ``optimizer.stateless_apply``, ``metric.stateless_update_state``,
``model.stateless_compute_loss``) and ``model.jax_function`` are made of.

``cached_pure`` traces graph code once per input signature on placeholders and lowers it as
the session lowers a program (``lower_program``: the variables it reads become inputs, the
``assign`` ops it makes become outputs). Calling the ``PureFunction`` evaluates the lowered
function with the jax backend's evaluator on the values given (numpy arrays, jax arrays, JAX
tracers) and returns the outputs and the new values of the variables written, never touching
the stored ones: the form ``jax.jit``, ``jax.grad`` and ``jax.vmap`` need. So these run on JAX
whichever backend is active (jax is a dependency); results are jax arrays.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from layerkit.graph.graph import Graph, Tensor
from layerkit.graph.program import Lowered, lower_program
from layerkit.graph.variables import assigns_since, one_write_per_variable, placeholder

Signature = Sequence[tuple[tuple, Any]]  # (shape, dtype) per input; None dimensions are free


class PureFunction:
    """A traced computation: ``(variable values by key, inputs, PRNG key) -> (outputs, new
    values of the variables it writes, by key)``. ``structure`` is what the traced code
    returned (the outputs are its flattened tensors)."""

    def __init__(self, lowered: Lowered, structure: Any, inputs: Sequence[Tensor]):
        self.lowered, self.structure = lowered, structure
        # The inputs the outputs need (the lowered program feeds only those), by position.
        needed = {id(p) for p in lowered.placeholders}
        self._fed = [i for i, p in enumerate(inputs) if id(p) in needed]

    @property
    def reads(self) -> list[str]:
        """The keys of the variables the computation reads, in its input order."""
        return [v.key for v in self.lowered.variables]

    def __call__(self, values: Mapping[str, Any], inputs: Sequence[Any],
                 key: Any = None) -> tuple[list[Any], dict[str, Any]]:
        from layerkit_backend.jax.pure import run_function

        missing = [k for k in self.reads if k not in values]
        if missing:
            raise KeyError(f"No value given for the variable(s) {missing}")
        spec = self.lowered.spec
        out = run_function(spec.function, [inputs[i] for i in self._fed],
                           [p.dtype for p in self.lowered.placeholders],
                           [values[k] for k in self.reads], key)
        return out[:spec.n_fetches], dict(zip(spec.update_keys, out[spec.n_fetches:]))


_TRACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_pure(owner: Any, name: Any, graph: Graph,
                build: Callable[..., tuple[list[Tensor], Any]],
                signature: Signature) -> PureFunction:
    """``build(*placeholders) -> (tensors, structure)`` traced in ``graph`` as a
    ``PureFunction``, once per ``owner`` (held weakly), ``name``, graph and ``signature``. The
    ``assign`` ops the build makes are its writes (a variable written twice: the writes apply
    in order, ``one_write_per_variable``)."""
    cache = _TRACES.setdefault(owner, {})
    cache_key = (name, tuple(signature), id(graph))
    if cache_key not in cache:
        with graph.as_default():
            inputs = [placeholder(dtype, shape) for shape, dtype in signature]
            first = len(graph.get_operations())
            fetches, structure = build(*inputs)
            writes = one_write_per_variable(assigns_since(graph, first))
        for t in fetches:
            if not isinstance(t, Tensor):
                raise TypeError(f"A stateless computation must return tensors, got {t!r:.80}")
        updates = [(w.op.attrs["var"], w.op.inputs[0]) for w in writes if w.op.type == "assign"]
        cache[cache_key] = PureFunction(lower_program(fetches, updates, fed=inputs), structure,
                                        inputs)
    return cache[cache_key]


def pure_function(fetches: Sequence[Tensor], inputs: Sequence[Tensor | None],
                  structure: Any = None) -> PureFunction:
    """Tensors already built on ``inputs`` (placeholders; None: no input there) as a
    ``PureFunction`` of them that writes no variable (the eager runner on JAX values)."""
    fed = [p for p in inputs if p is not None]
    return PureFunction(lower_program(list(fetches), [], fed=fed), structure, fed)


def signature_of(arrays: Sequence[Any], floatx: Any, batch_free: bool) -> list[tuple]:
    """``(shape, dtype)`` of each array (its first dimension free with ``batch_free``): float
    data as ``floatx``, integer and bool data as int32 (int64 stays int64)."""
    found = []
    for a in arrays:
        shape = tuple(np.shape(a))
        dtype = np.dtype(a.dtype) if hasattr(a, "dtype") else np.asarray(a).dtype
        if dtype.kind in "iub":
            dtype = np.dtype("int64") if dtype == np.int64 else np.dtype("int32")
        else:
            dtype = np.dtype(floatx)
        found.append(((None, *shape[1:]) if batch_free and shape else shape, dtype))
    return found


def values_by_key(variables: Sequence[Any], values: Sequence[Any], what: str,
                  owner: str) -> dict[str, Any]:
    """``{variable key: value}`` for values given 1:1 for ``variables`` (Keras's rule and
    message), each of the variable's shape."""
    values = list(values)
    if len(values) != len(variables):
        raise ValueError(f"Argument `{what}` must be a list of tensors corresponding 1:1 to "
                         f"{owner}.{what}. Received list with length {len(values)}, but "
                         f"expected {len(variables)} variables.")
    for var, value in zip(variables, values):
        if tuple(np.shape(value)) != tuple(var.shape):
            raise ValueError(f"Argument `{what}`: the value for '{var.key}' has shape "
                             f"{tuple(np.shape(value))}, expected {tuple(var.shape)}")
    return {var.key: value for var, value in zip(variables, values)}


def new_values(variables: Sequence[Any], values: Sequence[Any],
               written: Mapping[str, Any]) -> list[Any]:
    """``values`` (given for ``variables``) with those a call wrote replaced."""
    return [written.get(var.key, value) for var, value in zip(variables, values)]


__all__ = ["PureFunction", "cached_pure", "new_values", "pure_function", "signature_of",
           "values_by_key"]
