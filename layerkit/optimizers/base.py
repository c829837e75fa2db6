"""The Keras 3 optimizer base class, with updates written as graph ops.

A Keras model builds one train program: the forward pass, ``gradients(loss, variables)``, then
``optimizer.apply_gradients(zip(grads, variables))`` inside ``backend.symbolic_scope()``. There
``apply_gradients`` returns the ``assign`` tensors of one step (the variables, the optimizer's own
slot variables and ``iterations += 1``), which the model runs with the Keras session each step.
So each optimizer is written once, as ops, for every backend.

A step runs as Keras runs it: gradients are unscaled (``loss_scale_factor``), clipped
(``clipnorm`` per variable, ``global_clipnorm`` or ``clipvalue``), the decoupled weight decay
``var -= var * weight_decay * lr`` is applied, then each variable's ``update_step``. The learning
rate is read once per step, from ``iterations`` before it is incremented.

Inside one run every read of a variable sees its value from before the run; updates are stored
when it ends. So a subclass's ``update_step`` uses the values that ``self.assign``,
``self.assign_add`` and ``self.assign_sub`` return for the new values, where Keras reads the
variable again after assigning it::

    m = self.assign_add(m, (gradient - m) * (1 - self.beta_1))   # the new m
    self.assign_sub(variable, lr * m)

Several assignments to one variable in a step (weight decay, then the update) chain: each reads
the value the previous one produced, and a single ``assign`` op stores the last.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from layerkit import backend
from layerkit.graph import (
    Tensor,
    Variable,
    assign,
    cached_pure,
    constant,
    convert_to_tensor,
    dtypes,
    new_values,
    ops,
    placeholder,
    signature_of,
    values_by_key,
)
from layerkit.optimizers import schedules
from layerkit.utils.serialization import check_unsupported

__all__ = ["Optimizer", "clip_by_global_norm", "clip_by_norm", "global_norm"]

# Keys that Keras 2 (tf.keras) wrote into optimizer configs and that mean nothing here.
_KERAS2_CONFIG_KEYS = ("jit_compile", "is_legacy_optimizer")


class Optimizer:
    """Base class of the Keras optimizers (``keras.optimizers.Optimizer``).

    Subclasses create their slot variables in ``build`` (with ``add_variable_from_reference``)
    and write one variable's update in ``update_step(gradient, variable, learning_rate)``.

    ``use_ema`` and ``gradient_accumulation_steps`` are not supported (``NotImplementedError``).
    """

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if kwargs.pop("decay", None):
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        if use_ema:
            raise NotImplementedError(
                "use_ema=True (an exponential moving average of the weights) is not supported "
                "by layerkit's optimizers")
        check_unsupported(f"{type(self).__name__} optimizer", {
            "ema_momentum": (ema_momentum, 0.99),
            "ema_overwrite_frequency": (ema_overwrite_frequency, None)})
        if gradient_accumulation_steps:
            if not (isinstance(gradient_accumulation_steps, int)
                    and gradient_accumulation_steps >= 2):
                raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                                 f"Received: gradient_accumulation_steps="
                                 f"{gradient_accumulation_steps}")
            raise NotImplementedError(
                "gradient_accumulation_steps is not supported by layerkit's optimizers")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}")
        for arg, value in (("weight_decay", weight_decay), ("clipnorm", clipnorm),
                           ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm),
                           ("loss_scale_factor", loss_scale_factor)):
            if value is not None and not _is_number(value):
                raise ValueError(f"`{arg}` must be a float or None. Received: {arg}={value!r}")
        self.name = name or _snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._learning_rate = _checked_learning_rate(learning_rate)
        self._learning_rate_variable: backend.KerasVariable | None = None
        self._iterations: backend.KerasVariable | None = None
        self._variables: list[backend.KerasVariable] = []
        self._trainable_variables: list[Variable] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern: re.Pattern | None = None
        self._pending: dict[int, tuple[Variable, Tensor]] | None = None
        self._step_values: dict[Any, Tensor] = {}  # see _once_per_step
        self._eager_steps: dict[tuple, tuple[list[Tensor], list[Tensor]]] = {}

    # -- state -----------------------------------------------------------------------------------
    def _create_state(self) -> None:
        """``iterations`` and the learning-rate variable, created once in the Keras session."""
        if self._iterations is not None:
            if self._iterations.graph is not backend.get_graph():
                raise RuntimeError(
                    f"The variables of optimizer '{self.name}' belong to a session that "
                    "layerkit.backend.clear_session() ended; create a new optimizer")
            return
        self._iterations = self.add_variable((), initializer=0, dtype="int64", name="iteration")
        if _is_number(self._learning_rate):
            self._learning_rate_variable = self.add_variable(
                (), initializer=self._learning_rate, dtype=backend.floatx(),
                name="learning_rate")

    @property
    def iterations(self) -> backend.KerasVariable:
        """The number of steps taken (an int64 variable; its increment is part of each step)."""
        self._create_state()
        return self._iterations

    @property
    def variables(self) -> list[backend.KerasVariable]:
        """Every variable of the optimizer, in creation order: ``iterations``, the learning
        rate (when it is a float), then the slot variables as ``build`` created them."""
        return self._variables[:]

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the optimizer's variables for ``variables`` (the model's trainable ones).
        Subclasses create their slots after calling this, and return early when ``built``."""
        self._create_state()
        variables = list(variables)
        for variable in variables:
            _check_variable(variable)
        self._trainable_variables = variables[:]
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        self.built = True

    def add_variable(self, shape: Sequence[int], initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "mean", name: str | None = None
                     ) -> backend.KerasVariable:
        """A non-trainable variable of the optimizer, named ``<optimizer name>/<name>``.

        ``initializer``: ``"zeros"``, ``"ones"``, a number, or a callable
        ``(shape, dtype) -> array``."""
        dtype = dtypes.as_dtype(dtype or backend.floatx())
        shape = tuple(int(d) for d in shape)
        if isinstance(initializer, str):
            fills = {"zeros": 0, "ones": 1}
            if initializer.lower() not in fills:
                raise ValueError(f"Unknown initializer {initializer!r} for optimizer variable "
                                 f"{name!r}; use 'zeros', 'ones', a number or a callable")
            value = np.full(shape, fills[initializer.lower()], dtype)
        elif callable(initializer):
            value = np.asarray(initializer(shape, dtype), dtype)
        else:
            value = np.full(shape, initializer, dtype)
        variable = backend.variable(value, name=f"{self.name}/{name or 'var'}", dtype=dtype,
                                    trainable=False)
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> backend.KerasVariable:
        """A variable shaped like ``reference_variable``, named from the optimizer and the
        variable's path: ``adam/dense_kernel_momentum``."""
        path = getattr(reference_variable, "path", None) or reference_variable.name
        slot = path.replace("/", "_").replace(":", "_") + "_" + (name or "var")
        return self.add_variable(tuple(reference_variable.shape), initializer=initializer,
                                 dtype=reference_variable.dtype, name=slot)

    def add_optimizer_variables(self, trainable_variables: Sequence[Variable],
                                name: str | Sequence[str], initializer: Any = "zeros") -> Any:
        """One ``add_variable_from_reference`` slot per variable, in order. With a list of
        names, the slots are made variable by variable (``kernel_momentum``,
        ``kernel_velocity``, ``bias_momentum``...) and a tuple of lists, one per name, is
        returned: Keras 3 orders them so, and files store optimizer variables by position."""
        if isinstance(name, str):
            return [self.add_variable_from_reference(v, name, initializer)
                    for v in trainable_variables]
        slots: tuple[list, ...] = tuple([] for _ in name)
        for variable in trainable_variables:
            for slot, slot_name in zip(slots, name):
                slot.append(self.add_variable_from_reference(variable, slot_name, initializer))
        return slots

    def _get_variable_index(self, variable: Variable) -> int:
        return self._trainable_variables_indices[id(variable)]

    # -- the learning rate -----------------------------------------------------------------------
    @property
    def learning_rate(self) -> Any:
        """Inside ``symbolic_scope()``, the current learning rate as a scalar tensor of the
        program (the variable, or the schedule at ``iterations``); outside, its value now."""
        if backend.in_symbolic_scope():
            return self._learning_rate_tensor()
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            step = int(self.iterations.numpy()) if self._iterations is not None else 0
            return float(self._learning_rate(step))
        if callable(self._learning_rate):
            return float(np.asarray(self._learning_rate()))
        if self._learning_rate_variable is not None:
            return float(self._learning_rate_variable.numpy())
        return float(self._learning_rate)

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        learning_rate = _checked_learning_rate(learning_rate)
        if callable(learning_rate):  # schedules too: the learning-rate variable goes
            self._learning_rate = learning_rate
            if self._learning_rate_variable is not None:
                old = self._learning_rate_variable  # by identity: == is element-wise
                self._variables[:] = [v for v in self._variables if v is not old]
                self._learning_rate_variable = None
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument.")
        self._learning_rate = learning_rate
        if self._learning_rate_variable is not None:
            self._learning_rate_variable.assign(learning_rate)  # seen by compiled programs
        elif self._iterations is not None:
            self._learning_rate_variable = self.add_variable(
                (), initializer=learning_rate, dtype=backend.floatx(), name="learning_rate")

    def _learning_rate_tensor(self) -> Tensor:
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            value = self._learning_rate(self.iterations)
        elif callable(self._learning_rate):
            value = self._learning_rate()  # a number is fixed when the program is traced
        else:
            self._create_state()
            value = self._learning_rate_variable
        if isinstance(value, Tensor):
            return value
        return constant(np.asarray(value, dtype=backend.floatx()))

    # -- applying gradients ----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Any:
        """Inside ``symbolic_scope()``: the list of update tensors of one step (run them in
        the Keras session). Outside: takes the step now with the gradient values given (numpy
        arrays) and returns ``iterations``."""
        pairs = [tuple(pair) for pair in grads_and_vars]
        for pair in pairs:
            if len(pair) != 2:
                raise TypeError(
                    f"grads_and_vars must hold (gradient, variable) pairs, got {pair!r}")
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        return self.apply(grads, variables)

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None
              ) -> Any:
        """``apply_gradients`` with the gradients and variables as two lists; without
        ``trainable_variables``, the variables the optimizer was built with."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer tracks "
                    f"{len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"Received {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables")
        if not trainable_variables:
            raise ValueError("No variables provided.")
        if not backend.in_symbolic_scope():
            return self._apply_now(grads, trainable_variables)
        return self._apply_symbolic(grads, trainable_variables)

    def stateless_apply(self, optimizer_variables: Sequence[Any], grads: Sequence[Any],
                        trainable_variables: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        """One step from given state, the stored state untouched (Keras 3's stateless API):
        ``optimizer_variables`` are values for ``self.variables``, ``trainable_variables`` for
        the variables the optimizer was built with; returns both after the step with
        ``grads``. Computed with JAX: it runs inside ``jax.jit`` (``layerkit.graph.pure``)."""
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. its "
                "variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`.")
        weights, slots = self._trainable_variables, self.variables
        owner = f"{type(self).__name__}()"
        values = {**values_by_key(slots, optimizer_variables, "variables", owner),
                  **values_by_key(weights, trainable_variables, "trainable_variables", owner)}
        grads = list(grads)
        if len(grads) != len(weights):
            raise ValueError(f"stateless_apply: received {len(grads)} gradients for "
                             f"{len(weights)} trainable variables")

        def build(*placeholders: Any) -> tuple[list, None]:
            with backend.symbolic_scope():
                self.apply(list(placeholders), weights)
            return [], None

        function = cached_pure(self, "apply", backend.get_graph(), build,
                               signature_of(grads, backend.floatx(), batch_free=False))
        _, written = function(backend.with_stored_values(function, values), grads)
        return (new_values(weights, trainable_variables, written),
                new_values(slots, optimizer_variables, written))

    def _apply_symbolic(self, grads: list[Any], trainable_variables: list[Variable]
                        ) -> list[Tensor]:
        for variable in trainable_variables:
            _check_variable(variable)
        if not self.built:
            self.build(trainable_variables)
        self._check_variables_are_known(trainable_variables)
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        grads = [_checked_gradient(g, v) for g, v in zip(grads, trainable_variables)]
        graph = backend.get_graph()
        with graph.name_scope(self.name):
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            self._pending = {}
            try:
                grads = self._clip_gradients(grads)
                learning_rate = self.learning_rate
                self._apply_weight_decay(trainable_variables, learning_rate)
                for grad, variable in zip(grads, trainable_variables):
                    self.update_step(grad, variable, learning_rate)
                updates = [assign(var, _constrained(var, value))
                           for var, value in self._pending.values()]
            finally:
                self._pending = None
                self._step_values.clear()
            iterations = self.iterations
            updates.append(assign(iterations, iterations + 1, name="increment_iterations"))
        return updates

    def _apply_now(self, grads: list[Any], trainable_variables: list[Variable]) -> Any:
        """One step now, from gradient values: a program with a placeholder per gradient,
        traced once per set of variables (again each time when the learning rate is a plain
        callable, which the program would otherwise fix)."""
        present = [i for i, g in enumerate(grads) if g is not None]
        key = (tuple(id(v) for v in trainable_variables), tuple(present))
        step = self._eager_steps.get(key)
        if step is None or (callable(self._learning_rate) and not isinstance(
                self._learning_rate, schedules.LearningRateSchedule)):
            with backend.symbolic_scope():
                feeds = [None] * len(grads)
                for i in present:
                    var = trainable_variables[i]
                    feeds[i] = placeholder(var.dtype, tuple(var.shape),
                                               name=f"{self.name}_gradient")
                updates = self._apply_symbolic(feeds, trainable_variables)
            step = self._eager_steps[key] = ([feeds[i] for i in present], updates)
        placeholders, updates = step
        feed_dict = {ph: np.asarray(grads[i], dtype=ph.dtype)
                     for ph, i in zip(placeholders, present)}
        backend.get_session().run(updates, feed_dict=feed_dict)
        return self.iterations

    def _check_variables_are_known(self, variables: Sequence[Variable]) -> None:
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance.")

    def _filter_empty_gradients(self, grads: list[Any], variables: list[Variable]
                                ) -> tuple[list[Any], list[Variable]]:
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        missing = [_path(v) for g, v in zip(grads, variables) if g is None]
        if not kept:
            raise ValueError(f"No gradients provided for any variable: {missing}.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a "
                          "`loss` argument?", stacklevel=3)
        return [g for g, _ in kept], [v for _, v in kept]

    def _clip_gradients(self, grads: list[Tensor]) -> list[Tensor]:
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [ops.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _apply_weight_decay(self, variables: Sequence[Variable], learning_rate: Tensor) -> None:
        """Decoupled weight decay, before the update: ``var -= var * weight_decay * lr``."""
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = ops.cast(learning_rate, variable.dtype)
                value = self._read(variable)
                self.assign(variable, value - value * self.weight_decay * lr)

    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Leave ``var_list``, and the variables whose path contains one of ``var_names``, out
        of the weight decay. Call it before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(re.escape(n) for n in sorted(set(var_names))))
            if var_names else None)

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return pattern is None or pattern.search(_path(variable)) is None

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor) -> None:
        """Record the update of ``variable`` (and its slots) from ``gradient``, with
        ``self.assign``/``assign_add``/``assign_sub``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    # -- recording a step's updates --------------------------------------------------------------
    def _once_per_step(self, key: Any, build: Callable[[], Tensor]) -> Tensor:
        """``build()`` the first time ``key`` is asked for in this step, the same tensor after:
        a value every variable's update uses (Adam's step size) is computed once per step."""
        if key not in self._step_values:
            self._step_values[key] = build()
        return self._step_values[key]

    def _read(self, variable: Variable) -> Tensor:
        """The value of ``variable`` after the updates recorded so far in this step."""
        if self._pending is not None and id(variable) in self._pending:
            return self._pending[id(variable)][1]
        return variable

    def assign(self, variable: Variable, value: Any) -> Tensor:
        """Set ``variable`` to ``value`` in this step; returns the new value."""
        if self._pending is None:
            raise RuntimeError("Optimizer.assign records the update of a step: call it from "
                               "update_step, inside apply_gradients")
        value = convert_to_tensor(value) if isinstance(value, Tensor) else constant(
            np.asarray(value, dtype=variable.dtype))
        self._pending[id(variable)] = (variable, value)
        return value

    def assign_add(self, variable: Variable, value: Any) -> Tensor:
        """Add ``value`` to ``variable`` in this step; returns the new value."""
        return self.assign(variable, self._read(variable) + value)

    def assign_sub(self, variable: Variable, value: Any) -> Tensor:
        """Subtract ``value`` from ``variable`` in this step; returns the new value."""
        return self.assign(variable, self._read(variable) - value)

    # -- other Keras API -------------------------------------------------------------------------
    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` (the gradients are divided by it again)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Called at the end of training; a no-op without EMA."""

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the values of ``variables`` (in their order) now."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` "
                             "to create the optimizer weights before calling `set_weights()`.")
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(f"Optimizer '{self.name}' has {len(self._variables)} variables, "
                             f"got {len(weights)} values")
        for variable, weight in zip(self._variables, weights):
            variable.assign(weight)

    def save_own_variables(self, store: dict) -> None:
        """Store the values of ``variables`` under ``"0"``, ``"1"``... (Keras's layout)."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: dict) -> None:
        """Load values stored by ``save_own_variables``; skipped with a warning when the
        number of variables differs (for example before the optimizer is built)."""
        if len(store.keys()) != len(self._variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it "
                          f"has {len(self._variables)} variables whereas the saved optimizer "
                          f"has {len(store.keys())} variables.", stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (the learning rate as a float or a serialized schedule)."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            learning_rate: Any = schedules.serialize(self._learning_rate)
        elif callable(self._learning_rate):
            warnings.warn(f"Optimizer '{self.name}': a callable learning rate is not "
                          "serializable; its current value is saved instead", stacklevel=2)
            learning_rate = self.learning_rate
        elif self._learning_rate_variable is not None:
            learning_rate = float(self._learning_rate_variable.numpy())
        else:
            learning_rate = float(self._learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> Optimizer:
        """A new optimizer (without state) from ``get_config()``'s output."""
        config = dict(config)
        for key in _KERAS2_CONFIG_KEYS:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


# -- gradient clipping (generic; TF1's tf.clip_by_norm / tf.clip_by_global_norm are the same) ---
def _constrained(variable: Variable, value: Tensor) -> Tensor:
    """The value a step stores: the weight's constraint applied to its new value (Keras
    projects a constrained weight after each update)."""
    constraint = getattr(variable, "constraint", None)
    return value if constraint is None else constraint(value)


def clip_by_norm(values: Tensor, clip_norm: float) -> Tensor:
    """``values`` scaled down so that their L2 norm is at most ``clip_norm``."""
    l2norm = ops.sqrt(ops.sum(ops.square(values)))
    return values * clip_norm / ops.maximum(l2norm, clip_norm)


def global_norm(values: Sequence[Tensor]) -> Tensor:
    """The L2 norm of all of ``values`` together (``None`` entries skipped)."""
    squared = [ops.sum(ops.square(v)) for v in values if v is not None]
    return ops.sqrt(ops.sum(ops.stack(squared)))


def clip_by_global_norm(values: Sequence[Tensor], clip_norm: float) -> list[Tensor]:
    """``values`` scaled by ``clip_norm / max(global_norm, clip_norm)``; all NaN when the
    global norm is not finite (as Keras)."""
    norm = global_norm(values)
    scale = clip_norm / ops.maximum(norm, clip_norm) + (norm - norm)
    return [v * ops.cast(scale, v.dtype) if v is not None else None for v in values]


# -- helpers -------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool)


def _checked_learning_rate(learning_rate: Any) -> Any:
    if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
        return learning_rate
    if not _is_number(learning_rate):
        raise ValueError(
            "Argument `learning_rate` should be float, or an instance of "
            "LearningRateSchedule, or a callable (that takes in the current iteration value "
            f"and returns the corresponding learning rate value). Received instead: "
            f"learning_rate={learning_rate!r}")
    return float(learning_rate)


def _check_variable(variable: Any) -> None:
    if not isinstance(variable, Variable):
        raise TypeError(f"Expected a variable to optimize, got {variable!r}")
    if variable.graph is not backend.get_graph():
        raise ValueError(f"Variable '{_path(variable)}' does not belong to the Keras graph "
                         "(layerkit.backend.get_graph()); create it with "
                         "layerkit.backend.variable or in a layer")


def _checked_gradient(grad: Any, variable: Variable) -> Tensor:
    if not isinstance(grad, Tensor):
        grad = constant(np.asarray(grad, dtype=variable.dtype))
    if grad.graph is not variable.graph:
        raise ValueError(f"The gradient for variable '{_path(variable)}' belongs to another "
                         "graph")
    if grad.shape is not None and (len(grad.shape) != len(variable.shape) or any(
            g is not None and g != d for g, d in zip(grad.shape, variable.shape))):
        raise ValueError(f"The gradient for variable '{_path(variable)}' has shape "
                         f"{tuple(grad.shape)}, not the variable's {tuple(variable.shape)}")
    return ops.cast(grad, variable.dtype)


def _path(variable: Any) -> str:
    return getattr(variable, "path", None) or getattr(variable, "name", repr(variable))


def _snake_case(name: str) -> str:
    """``Adagrad`` -> ``adagrad``, ``MyOptimizer`` -> ``my_optimizer`` (as Keras's names)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()

