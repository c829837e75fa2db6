"""A model's side of Keras 3's stateless API, and the model as a pure JAX function.

``layer.stateless_call``, ``optimizer.stateless_apply`` and ``metric.stateless_*`` live with
their classes; a model adds ``stateless_compute_loss`` and ``metrics_variables``, and, beyond
Keras, ``jax_function``: ``f(params, x) -> y`` for optax, ``jax.vmap`` or any JAX code. All are
computed with JAX from the values given (``layerkit.graph.pure``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import cached_pure, new_values, signature_of, values_by_key
from layerkit.layers.layer import tracing
from layerkit.utils.tree import flatten, pack_sequence_as


class StatelessMethods:
    """``stateless_compute_loss``, ``metrics_variables`` and ``jax_function`` (mixed into
    ``Model`` through ``Trainer``)."""

    @property
    def metrics_variables(self) -> list[Any]:
        """The state variables of ``self.metrics``, in order."""
        return [v for metric in self.metrics for v in metric.variables]

    def stateless_compute_loss(self, trainable_variables: Sequence[Any],
                               non_trainable_variables: Sequence[Any],
                               metrics_variables: Sequence[Any], x: Any = None, y: Any = None,
                               y_pred: Any = None, sample_weight: Any = None,
                               training: bool = True) -> tuple[Any, tuple[list, list, list]]:
        """``compute_loss`` from the given variable values (1:1 with ``trainable_variables``,
        ``non_trainable_variables`` and ``metrics_variables``): returns ``(loss,
        (trainable_variables, non_trainable_variables, metrics_variables))``, the last with
        the loss trackers updated. Runs inside ``jax.jit`` and ``jax.grad``."""
        groups = [(self.trainable_variables, trainable_variables, "trainable_variables"),
                  (self.non_trainable_variables, non_trainable_variables,
                   "non_trainable_variables"),
                  (self.metrics_variables, metrics_variables, "metrics_variables")]
        owner = f"{type(self).__name__}()"
        values: dict[str, Any] = {}
        for variables, given, what in groups:
            values.update(values_by_key(variables, given, what, owner))
        parts = {name: part for name, part in
                 {"x": x, "y": y, "y_pred": y_pred, "sample_weight": sample_weight}.items()
                 if part is not None}
        leaves = [leaf for part in parts.values() for leaf in flatten(part)]

        def build(*placeholders: Any) -> tuple[list, None]:
            given, rest = {}, list(placeholders)
            for name, part in parts.items():
                count = len(flatten(part))
                given[name], rest = pack_sequence_as(part, rest[:count]), rest[count:]
            with tracing(training=training):
                return [self.compute_loss(training=training, **given)], None

        function = cached_pure(self, ("compute_loss", training, tuple(parts)), K.get_graph(),
                               build, signature_of(leaves, K.floatx(), batch_free=True))
        (loss,), written = function(K.with_stored_values(function, values), leaves)
        return loss, tuple(new_values(variables, given, written)
                           for variables, given, _ in groups)

    def jax_function(self, training: bool = False) -> tuple[Callable[..., Any], dict]:
        """The model as a pure JAX function: returns ``(f, params)`` where ``params`` maps each
        variable's path (``"dense/kernel"``) to its current value and ``f(params, x,
        key=None)`` computes the outputs from them (``key``: a JAX PRNG key for the random
        ops, with ``training=True``). ``f`` never reads the stored weights: train ``params``
        with ``jax.grad`` and optax, ``jax.vmap`` it, and load the result back with
        ``load_params``. State updates a training-mode call makes (batch-norm statistics)
        are not kept: use ``stateless_call`` for those."""
        variables = self.variables
        params = {key: np.asarray(value) for key, value in
                  K.get_session().variable_values([v.key for v in variables]).items()}

        def f(params: Mapping[str, Any], x: Any, key: Any = None) -> Any:
            leaves = flatten(x)

            def build(*placeholders: Any) -> tuple[list, Any]:
                with tracing(training=training):
                    outputs = self(pack_sequence_as(x, list(placeholders)), training=training)
                return flatten(outputs), outputs

            function = cached_pure(self, ("jax_function", training), K.get_graph(), build,
                                   signature_of(leaves, K.floatx(), batch_free=True))
            fetched, _ = function(params, leaves, key)
            return pack_sequence_as(function.structure, fetched)

        return f, params

    def load_params(self, params: Mapping[str, Any]) -> None:
        """Store ``params`` (``jax_function``'s dict, or part of it) as the variables'
        values."""
        known = {v.key: v for v in self.variables}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise KeyError(f"Model '{self.name}' has no variable(s) {unknown}")
        staged = {}
        for key, value in params.items():
            value = np.asarray(value)
            if value.shape != tuple(known[key].shape):
                raise ValueError(f"load_params: '{key}' has shape {tuple(known[key].shape)}, "
                                 f"got an array of shape {value.shape}")
            staged[key] = value.astype(known[key].dtype)
        K.get_session().load_variable_values(staged)


__all__ = ["StatelessMethods"]
