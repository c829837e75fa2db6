"""The ``Layer`` base class: weights created in ``build``, ops built in ``call``.

Calling a layer on symbolic tensors (from ``keras.Input``) builds it if needed, applies ``call``
in the Keras graph, and records the call (a *node*), so a functional ``Model`` can later replay
the same computation on fresh inputs — once with ``training=True`` for its train program and
once with ``training=False`` for inference. Calling a layer on arrays computes the result at once.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import (
    Tensor,
    cached_pure,
    dtypes,
    format_shape,
    new_values,
    signature_of,
    values_by_key,
)
from layerkit.ops import eager
from layerkit.utils.serialization import dtype_policy_name, serialize_dtype_policy
from layerkit.utils.tree import flatten, pack_sequence_as

_ALLOWED_KWARGS = {"input_shape", "input_dim", "batch_size", "batch_input_shape"}


@dataclass(eq=False)  # records hold tensors, whose == is element-wise: compare with `is`
class Node:
    """One recorded call: ``outputs = layer(*args, **kwargs)`` on symbolic tensors."""

    layer: Layer
    args: tuple
    kwargs: dict
    outputs: Any


class _CallContext:
    """What a model's trace asks of the layers it calls: the training flag, and whether calls
    are recorded (only when a user builds a model, not when a model replays itself)."""

    def __init__(self):
        self.training: bool | None = None
        self.recording = True
        self.updates: list[Tensor] = []  # state updates layers ask for (batch-norm statistics)
        self.losses: list[Tensor] = []  # losses layers add (activity regularization, add_loss)


_context = _CallContext()


@dataclass(eq=False)
class Traced:
    """What the layers called during one trace added: state updates and losses."""

    updates: list[Tensor]
    losses: list[Tensor]


@contextlib.contextmanager
def tracing(training: bool) -> Iterator[Traced]:
    """Calls inside see ``training`` and are not recorded: a model tracing one of its programs.
    Yields the ``Traced`` record that collects the updates and losses the layers add."""
    traced = Traced([], [])
    saved = (_context.training, _context.recording, _context.updates, _context.losses)
    _context.training, _context.recording = training, False
    _context.updates, _context.losses = traced.updates, traced.losses
    try:
        with K.symbolic_scope():
            yield traced
    finally:
        _context.training, _context.recording, _context.updates, _context.losses = saved


@contextlib.contextmanager
def recording_calls() -> Iterator[None]:
    """Calls inside are recorded (on Keras tensors, in inference mode), even inside a trace: a
    model wiring its layers up once, as ``Sequential`` does when it is built, so that each
    layer has an ``input`` and an ``output``. Updates and losses they ask for are dropped."""
    saved = (_context.training, _context.recording, _context.updates, _context.losses)
    _context.training, _context.recording, _context.updates, _context.losses = False, True, [], []
    try:
        yield
    finally:
        _context.training, _context.recording, _context.updates, _context.losses = saved


def snake_case(name: str) -> str:
    """Keras's default-name rule: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` ->
    ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer:
    """Base class of layers. Subclasses create weights in ``build(input_shape)`` with
    ``add_weight`` and compute outputs in ``call(inputs)`` (taking ``training`` if they behave
    differently in training), and list their constructor arguments in ``get_config``.

    ``dtype`` is a dtype name or Keras 3's DTypePolicy config (a mixed-precision policy is a
    NotImplementedError); with ``autocast`` (the default), floating inputs are cast to it when
    the layer is called, as in Keras."""

    # A model is a layer too; code below layerkit.models asks this instead of importing Model.
    _is_model = False

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True,
                 dtype: Any = None, autocast: bool = True, name: str | None = None, **kwargs):
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword argument(s) "
                            f"{', '.join(sorted(unknown))}")
        if name is None:
            prefix = snake_case(type(self).__name__)
            uid = K.get_uid(prefix)
            name = prefix if uid == 1 else f"{prefix}_{uid - 1}"
        self.name = name
        # A dtype name, or Keras 3's DTypePolicy config; mixed precision is refused.
        dtype = dtype_policy_name(dtype, f"{type(self).__name__} '{name}'")
        self.dtype = dtypes.as_dtype(dtype or K.floatx()).name
        self._trainable = bool(trainable)
        self.autocast = bool(autocast)
        self._weights: list[K.KerasVariable] = []
        self._regularizers: list[tuple[K.KerasVariable, Any]] = []
        self._updates_fn = None
        self._layers: list[Layer] = []
        self._inbound_nodes: list[Node] = []
        self.built = False
        from layerkit import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._batch_input_shape = _batch_input_shape(kwargs)

    # -- tracking sublayers (a layer or model that holds layers as attributes) ------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name != "_layers" and hasattr(self, "_layers"):
            for candidate in (value if isinstance(value, list | tuple) else [value]):
                if isinstance(candidate, Layer) and candidate is not self \
                        and candidate not in self._layers:
                    self._layers.append(candidate)
                # A keras.random.SeedGenerator (duck-typed: layers do not import layerkit.random):
                # its state joins `variables`, not `weights`, as in Keras.
                elif getattr(candidate, "_is_seed_generator", False):
                    generators = self.__dict__.setdefault("_seed_generators", [])
                    if all(g is not candidate for g in generators):
                        generators.append(candidate)
        object.__setattr__(self, name, value)

    def _label(self) -> str:
        """How errors name this layer: ``Dense 'dense_1'``."""
        return f"{type(self).__name__} '{self.name}'"

    # -- to override -----------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (the batch dimension is None)."""
        self.built = True

    def call(self, inputs: Any, *args, **kwargs) -> Any:
        """The layer's computation on symbolic tensors."""
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape``, by tracing ``call`` on a placeholder."""
        graph = K.get_graph()
        with graph.as_default(), K.symbolic_scope():
            probe = _placeholder_like(input_shape, self.dtype)
            out = self(probe)
        return _shapes_of(out)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this layer (not its weights), as Keras 3
        writes them: ``dtype`` as a DTypePolicy config, ``activity_regularizer`` when set."""
        from layerkit import regularizers

        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": serialize_dtype_policy(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new layer from ``get_config``'s output (or the config Keras 3 writes)."""
        return cls(**config)

    # -- calling ----------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs) -> Any:
        if not args and "inputs" not in kwargs:  # all by keyword: mha(query=q, value=v)
            first = next(iter(inspect.signature(self.call).parameters), None)
            if first in kwargs:
                args = (kwargs.pop(first),)
        inputs = args[0] if args else kwargs.get("inputs")
        if not _any_symbolic(inputs):
            return self._call_on_values(*args, **kwargs)
        self._check_graph(inputs)
        if not self.built:
            self._build_for(inputs)
        call_kwargs = self._call_kwargs(kwargs)
        graph = K.get_graph()
        # The call builds ops (``ops.*`` on constants too, ``variable.value`` is symbolic);
        # while a program is traced, variable assigns it makes are stored with the program.
        sink = _context.updates if not _context.recording else []
        with graph.as_default(), graph.name_scope(self.name), K.symbolic_scope(), \
                K.collecting_updates(sink), self._sublayer_scope():
            call_args = (self._autocast(args[0]), *args[1:]) if args else args
            outputs = self.call(*call_args, **call_kwargs)
            outputs = _distinct_from_inputs(outputs, args)
        self._output_shape = _shapes_of(outputs)  # for summary()
        if self.activity_regularizer is not None:
            for t in flatten(outputs):
                self.add_loss(self.activity_regularizer(t))
        if _context.recording:
            # Record the call as the user made it: a replay must see its own training flag.
            node = Node(self, args, kwargs, outputs)
            self._inbound_nodes.append(node)
            for index, t in enumerate(flatten(outputs)):
                t._keras_history = (self, len(self._inbound_nodes) - 1, index)
        return outputs

    def _call_kwargs(self, kwargs: dict) -> dict:
        """``kwargs`` for ``call``: ``training`` filled in from the trace if ``call`` takes it,
        and dropped if it does not (as Keras does, so models can pass it to every layer)."""
        params = inspect.signature(self.call).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        call_kwargs = dict(kwargs)
        if "training" in params:
            if call_kwargs.get("training") is None:
                call_kwargs["training"] = bool(_context.training)
        elif not takes_any:
            call_kwargs.pop("training", None)
        return call_kwargs

    def _autocast(self, inputs: Any) -> Any:
        """``inputs`` with each floating tensor cast to the layer's dtype, as Keras's
        ``autocast`` does (a model leaves them alone: its layers cast their own inputs)."""
        if not self.autocast or self._is_model or not dtypes.is_floating(
                dtypes.as_dtype(self.dtype)):
            return inputs
        flat = flatten(inputs)
        cast = [isinstance(t, Tensor) and dtypes.is_floating(t.dtype) and t.dtype.name != self.dtype
                for t in flat]
        if not any(cast):
            return inputs
        from layerkit.graph import ops

        return pack_sequence_as(inputs, [ops.cast(t, self.dtype) if c else t
                                         for t, c in zip(flat, cast)])

    def _sublayer_scope(self) -> contextlib.AbstractContextManager:
        """Where sublayers this layer builds put their weights: under its own path (a model's
        layers are its layers, at the top)."""
        return (contextlib.nullcontext() if self._is_model
                else K.weight_path_scope(self.name, owner=self))

    def _build_for(self, inputs: Any) -> None:
        self._build_for_shape(_shapes_of(inputs))

    def _build_for_shape(self, shapes: Any) -> None:
        """``build(shapes)`` as a first call does it: weights at this layer's path, and errors
        naming the layer and the shapes."""
        graph = K.get_graph()
        self.__dict__.setdefault("_weight_prefix", K.weight_path())
        with graph.as_default(), graph.name_scope(None), self._sublayer_scope():
            try:
                self.build(shapes)
            except (ValueError, TypeError) as error:
                raise type(error)(f"Layer '{self.name}' ({type(self).__name__}) cannot take "
                                  f"inputs of shape {_fmt_shapes(shapes)}: {error}") from None
        self.built = True

    def _check_graph(self, inputs: Any) -> None:
        for t in flatten(inputs):
            if isinstance(t, Tensor) and t.graph is not K.get_graph() \
                    and not K.get_graph().is_ancestor_of(t.graph):
                raise ValueError(
                    f"Layer '{self.name}' was called on tensor '{t.name}', which is not a Keras "
                    "tensor of the current session (was clear_session() called in between?)"
                )

    def _call_on_values(self, inputs: Any, *args, **kwargs) -> Any:
        """The layer computed now on arrays, as Keras's eager call: traced (once per input
        signature and arguments) on placeholders of the inputs' exact shapes, so ``call`` sees
        the batch size, and run by the one eager runner in the Keras graph; state updates the
        call makes (batch-norm statistics, ``assign_add``) apply now."""
        flat = flatten(inputs)
        # Arrays among the other arguments (``mha(query, value)``, ``mask=``) are fed too;
        # anything else (flags, numbers) is part of the cache key.
        extra = flatten((args, kwargs))
        fed = [i for i, leaf in enumerate(extra) if _is_array(leaf)]
        arrays = [_value_array(a) for a in flat] + [_value_array(extra[i]) for i in fed]
        training = bool(kwargs.get("training"))
        traced_updates: list[Tensor] = []

        def build(*feeds: Tensor) -> Any:
            leaves = list(extra)
            for i, feed in zip(fed, feeds[len(flat):]):
                leaves[i] = feed
            rest, rest_kwargs = pack_sequence_as((args, kwargs), leaves)
            with tracing(training=training) as traced:
                out = self(pack_sequence_as(inputs, list(feeds[:len(flat)])), *rest,
                           **rest_kwargs)
            traced_updates[:] = traced.updates
            return out

        structure = eager.freeze(pack_sequence_as(inputs, [0] * len(flat)))
        skeleton = pack_sequence_as((args, kwargs), [
            ("fed", i) if i in fed else leaf for i, leaf in enumerate(extra)])
        key = ("call", structure, eager.freeze(skeleton))
        values = eager.run(key, build, arrays, eager.object_cache(self),
                           updates=lambda: traced_updates, keras_graph=True)
        return eager.as_eager_result(values)

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                   constraint: Any = None, aggregation: str = "none",
                   name: str | None = None) -> K.KerasVariable:
        """A new weight of this layer, initialized now (on the host, see ``initializers``)."""
        from layerkit import constraints, initializers, regularizers

        dtype = dtypes.as_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_floating(dtype) else "zeros"
        shape = tuple(int(d) for d in (shape or ()))
        value = initializers.get(initializer)(shape, dtype=dtype)
        name = name or f"variable_{len(self._weights)}"
        prefix = self.__dict__.get("_weight_prefix")
        if prefix is None:  # built directly, by a parent's build or by the user
            prefix = self.__dict__["_weight_prefix"] = K.weight_path()
        var = K.variable(value, name=f"{prefix}{self.name}/{name}", dtype=dtype,
                         trainable=trainable)
        var.constraint = constraints.get(constraint)
        self._weights.append(var)
        if regularizer is not None:
            self._regularizers.append((var, regularizers.get(regularizer)))
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list[K.KerasVariable]:
        """Every weight of this layer and its sublayers, in creation order, each once."""
        seen: dict[int, K.KerasVariable] = {}
        for v in self._weights:
            seen.setdefault(id(v), v)
        for layer in self._layers:
            for v in layer.weights:
                seen.setdefault(id(v), v)
        return list(seen.values())

    @property
    def trainable_weights(self) -> list[K.KerasVariable]:
        if not self.trainable:
            return []
        own = [v for v in self._weights if v.trainable]
        nested = [v for layer in self._layers for v in layer.trainable_weights]
        return _unique(own + nested)

    @property
    def non_trainable_weights(self) -> list[K.KerasVariable]:
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    @property
    def trainable_variables(self) -> list[K.KerasVariable]:
        """Keras 3's name for ``trainable_weights``."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[K.KerasVariable]:
        """``variables`` that are not trainable: non-trainable weights and RNG states."""
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.variables if id(v) not in trainable]

    def stateless_call(self, trainable_variables: list[Any], non_trainable_variables: list[Any],
                       *args: Any, return_losses: bool = False, **kwargs: Any) -> tuple:
        """Call the layer with the given values of ``trainable_variables`` and
        ``non_trainable_variables`` (1:1 with this layer's), leaving its own untouched: returns
        ``(outputs, non_trainable_variables)`` (the latter as the call updated them; and the
        losses it added with ``return_losses``). Computed with JAX, so it runs inside
        ``jax.jit`` and ``jax.grad`` (``layerkit.graph.pure``); ``training=`` as in a call,
        ``seed_key=`` a JAX PRNG key for the random ops."""
        if not args:
            raise TypeError(f"{type(self).__name__}.stateless_call() needs the inputs")
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        owner = f"{type(self).__name__}()"
        values = {**values_by_key(trainable, trainable_variables, "trainable_variables", owner),
                  **values_by_key(non_trainable, non_trainable_variables,
                                  "non_trainable_variables", owner)}
        training = bool(kwargs.pop("training", False))
        seed_key = kwargs.pop("seed_key", None)
        inputs, rest = args[0], args[1:]
        leaves = flatten(inputs)

        def build(*placeholders: Any) -> tuple[list, Any]:
            with tracing(training=training) as trace:
                outputs = self(pack_sequence_as(inputs, list(placeholders)), *rest,
                               training=training, **kwargs)
                losses = [*self.regularization_losses(), *trace.losses]
            return [*flatten(outputs), *losses], (outputs, len(losses))

        name = ("call", training, repr(rest), repr(sorted(kwargs.items())))
        function = cached_pure(self, name, K.get_graph(), build,
                               signature_of(leaves, K.floatx(), batch_free=True))
        fetched, written = function(K.with_stored_values(function, values), leaves, seed_key)
        structure, n_losses = function.structure
        split = len(fetched) - n_losses
        outputs = pack_sequence_as(structure, fetched[:split])
        updated = new_values(non_trainable, non_trainable_variables, written)
        return (outputs, updated, fetched[split:]) if return_losses else (outputs, updated)

    @property
    def variables(self) -> list[K.KerasVariable]:
        """The weights, then the state of each SeedGenerator this layer or a sublayer holds."""
        found = {id(v): v for v in self.weights}
        for generator in self.__dict__.get("_seed_generators", ()):
            found.setdefault(id(generator.state), generator.state)
        for layer in self._layers:
            for v in layer.variables:
                found.setdefault(id(v), v)
        return list(found.values())

    def get_weights(self) -> list[np.ndarray]:
        """The weights' current values, as numpy arrays."""
        weights = self.weights
        if not weights:
            return []
        values = K.get_session().variable_values([v.key for v in weights])
        return [values[v.key] for v in weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Set every weight from arrays of matching shapes (all checked before any is set)."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(f"Layer '{self.name}' expects {len(params)} weight arrays, got "
                             f"{len(weights)}")
        staged = {}
        for var, value in zip(params, weights):
            value = np.asarray(value)
            if value.shape != tuple(var.shape):
                raise ValueError(f"Layer '{self.name}': weight '{var.key}' has shape "
                                 f"{tuple(var.shape)}, got an array of shape {value.shape}")
            staged[var.key] = value.astype(var.dtype)
        K.get_session().load_variable_values(staged)

    def count_params(self) -> int:
        return int(sum(np.prod(v.shape, dtype=int) for v in self.weights))

    # -- losses and state updates made while tracing -------------------------------------------
    def add_loss(self, loss: Tensor) -> None:
        """Add a scalar ``loss`` tensor to the total loss of the program being traced (it
        joins ``self.losses`` for the rest of that trace). Building a model records the call
        but keeps no loss: each trace of a step adds its own."""
        if _context.recording:
            return
        _context.losses.append(loss)
        # Tagged with the trace's list, so a later trace does not see (or keep alive) it.
        added = [(trace, t) for trace, t in self.__dict__.get("_added_losses", [])
                 if trace is _context.losses]
        self.__dict__["_added_losses"] = [*added, (_context.losses, loss)]

    @property
    def losses(self) -> list[Tensor]:
        """The weight penalties of this layer and its sublayers, then the losses they added
        (``add_loss``, activity regularizers) in the trace in progress, as scalar tensors."""
        added = [t for layer in self._unique_layers()
                 for trace, t in layer.__dict__.get("_added_losses", [])
                 if trace is _context.losses]
        return self.regularization_losses() + added

    def _unique_layers(self) -> list[Layer]:
        """This layer and its sublayers, each once, depth first."""
        found: list[Layer] = []
        stack: list[Layer] = [self]
        while stack:
            layer = stack.pop()
            if all(layer is not f for f in found):
                found.append(layer)
                stack.extend(reversed(layer._layers))
        return found

    def add_update(self, update: Tensor) -> None:
        """Ask the program being traced to also store ``update`` (an ``assign`` of one of this
        layer's non-trainable weights), e.g. a moving average kept in training."""
        if not any(update is u for u in _context.updates):  # by identity: == is element-wise
            _context.updates.append(update)

    def regularization_losses(self) -> list[Tensor]:
        """The weight penalties of this layer and its sublayers, as scalar tensors."""
        own = [reg(var) for var, reg in self._regularizers]
        return own + [loss for layer in self._layers for loss in layer.regularization_losses()]

    # -- the recorded call ------------------------------------------------------------------
    @property
    def input_shape(self) -> Any:
        return _shapes_of(self._node(0).args[0])

    @property
    def output_shape(self) -> Any:
        if getattr(self, "_output_shape", None) is None:
            raise AttributeError(f"Layer '{self.name}' has not been called yet, so it has no "
                                 "output shape")
        return self._output_shape

    @property
    def input(self) -> Any:
        return self._node(0).args[0]

    @property
    def output(self) -> Any:
        return self._node(0).outputs

    def _node(self, index: int) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has not been called on a Keras tensor "
                                 "yet, so it has no input or output")
        return self._inbound_nodes[index]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# -- helpers ----------------------------------------------------------------------------------
def _batch_input_shape(kwargs: dict) -> tuple | None:
    if "batch_input_shape" in kwargs:
        return tuple(kwargs["batch_input_shape"])
    if "input_shape" in kwargs:
        return (kwargs.get("batch_size"), *tuple(kwargs["input_shape"]))
    if "input_dim" in kwargs:
        return (kwargs.get("batch_size"), int(kwargs["input_dim"]))
    return None


def _any_symbolic(structure: Any) -> bool:
    return any(isinstance(t, Tensor) for t in flatten(structure))


def _shapes_of(structure: Any) -> Any:
    if isinstance(structure, list | tuple):
        return type(structure)(_shapes_of(s) for s in structure)
    if isinstance(structure, dict):
        return {k: _shapes_of(v) for k, v in structure.items()}
    return tuple(structure.shape) if structure.shape is not None else None


def _fmt_shapes(shapes: Any) -> str:
    if isinstance(shapes, list):
        return "[" + ", ".join(_fmt_shapes(s) for s in shapes) + "]"
    return format_shape(shapes)


def _placeholder_like(shape: Any, dtype: str) -> Any:
    from layerkit.graph import placeholder

    if isinstance(shape, list):
        return [_placeholder_like(s, dtype) for s in shape]
    return placeholder(dtype, shape)


def _is_array(value: Any) -> bool:
    """An array value an eager call feeds (not a Python number, flag or string)."""
    return isinstance(value, np.ndarray | K.KerasVariable) or (
        hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"))


def _value_array(value: Any) -> np.ndarray:
    """An input value as the array an eager call feeds: floats in ``floatx()`` (the layer
    casts them to its own dtype), ints and bools as they are."""
    array = value.numpy() if isinstance(value, K.KerasVariable) else np.asarray(value)
    return array if array.dtype.kind in "iub" else array.astype(K.floatx(), copy=False)


def _distinct_from_inputs(outputs: Any, args: tuple) -> Any:
    """``outputs``, with any tensor that is also an input (a pass-through, such as Dropout in
    inference) replaced by an identity of it: each output must be a tensor of its own, so
    recording this call never overwrites the input's own history."""
    inputs = {id(t) for t in flatten(args) if isinstance(t, Tensor)}
    flat = flatten(outputs)
    if not any(id(t) in inputs for t in flat):
        return outputs
    from layerkit.graph import ops

    return pack_sequence_as(outputs, [ops.identity(t) if id(t) in inputs else t for t in flat])


def _unique(values: list) -> list:
    seen: dict[int, Any] = {}
    for v in values:
        seen.setdefault(id(v), v)
    return list(seen.values())


__all__ = ["Layer", "Node", "tracing"]
