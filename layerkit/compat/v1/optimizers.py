"""TF1's optimizers (``tf.train.*Optimizer``), written as ordinary graph ops.

An update is a set of ``assign`` ops: for each variable a new value computed from the gradient
and the optimizer's slot variables (moments, accumulators). Every read in one run sees the
values from before the run and the new values are stored when it ends, so the formulas below
read as TF1's kernels do: first the new slot values, then the new variable value from them.
Because updates are plain ops, the same optimizer runs on every backend.

The formulas and defaults are TF1's own (its ``Apply*`` training ops), which differ from
Keras's: Adagrad has no epsilon and starts its accumulator at 0.1, RMSProp's mean square starts
at one and its epsilon sits inside the square root, Adam keeps ``beta1_power``/``beta2_power``
variables and folds the bias correction into the learning rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from layerkit.compat.v1._scopes import init_scope
from layerkit.graph import dtypes, ops
from layerkit.graph.gradients import gradients
from layerkit.graph.graph import Graph, Operation, Tensor, get_default_graph
from layerkit.graph.opdef import constant, convert_to_tensor
from layerkit.graph.variables import Variable, assign, group, trainable_variables

__all__ = [
    "AdadeltaOptimizer", "AdagradOptimizer", "AdamOptimizer", "GradientDescentOptimizer",
    "MomentumOptimizer", "Optimizer", "RMSPropOptimizer",
]

GradsAndVars = list[tuple[Tensor | None, Variable]]


class Optimizer:
    """Base class: ``minimize`` = ``compute_gradients`` then ``apply_gradients``.

    Subclasses create their slots in ``_create_slots`` and return the ``assign`` tensors of one
    variable's update from ``_apply_dense``. Hyper-parameters may be Python numbers or tensors
    (for example a placeholder fed with the learning rate).
    """

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking: bool, name: str):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking  # accepted for TF1 compatibility; runs are atomic
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slots: dict[tuple[str, Graph], Variable] = {}
        self._hyper_cache: dict[tuple[str, np.dtype], Tensor] = {}

    def get_name(self) -> str:
        return self._name

    # -- the public protocol -------------------------------------------------------------------
    def minimize(self, loss: Tensor, global_step: Variable | None = None,
                 var_list: Sequence[Variable] | None = None, gate_gradients: int = GATE_OP,
                 aggregation_method: Any = None, colocate_gradients_with_ops: bool = False,
                 name: str | None = None, grad_loss: Any = None) -> Operation:
        """An op that takes one step on ``loss`` for ``var_list`` (default: all trainable
        variables) and, when given, adds 1 to ``global_step`` in the same run."""
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            names = [v.key for _, v in grads_and_vars]
            raise ValueError(
                f"No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {names} and loss {loss!r}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss: Tensor, var_list: Sequence[Variable] | None = None,
                          gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                          colocate_gradients_with_ops: bool = False,
                          grad_loss: Any = None) -> GradsAndVars:
        """``[(gradient, variable), ...]`` of ``loss``; the gradient is ``None`` for a variable
        the loss does not depend on. Nothing is updated."""
        loss = convert_to_tensor(loss)
        if not dtypes.is_floating(loss.dtype):
            raise ValueError(f"Invalid type {loss.dtype.name} for loss '{loss.name}'; expected a "
                             "floating-point tensor")
        var_list = list(trainable_variables(loss.graph) if var_list is None else var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for var in var_list:
            _check_variable(var, loss.graph)
        grad_ys = None if grad_loss is None else [grad_loss]
        with loss.graph.as_default():
            grads = gradients(loss, var_list, grad_ys=grad_ys)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]],
                        global_step: Variable | None = None,
                        name: str | None = None) -> Operation:
        """An op applying the gradients; pairs whose gradient is ``None`` are skipped (it is an
        error only if all are). ``global_step`` is incremented in the same run."""
        pairs = _checked_pairs(grads_and_vars)
        usable = [(g, v) for g, v in pairs if g is not None]
        if not usable:
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[v.key for _, v in pairs]}.")
        graph = usable[0][1].graph
        for g, v in usable:
            _check_variable(v, graph)
            if g.graph is not graph:
                raise ValueError(f"The gradient for variable '{v.key}' belongs to another graph")
        with graph.as_default():
            self._create_slots([v for _, v in usable])
            self._hyper_cache = {}
            with graph.name_scope(name or self._name):
                updates: list[Tensor] = []
                for g, v in usable:
                    with graph.name_scope("update_" + v.op.name.replace("/", "_")):
                        updates.extend(self._apply_dense(g, v))
                updates.extend(self._finish([v for _, v in usable]))
                if global_step is not None:
                    updates.append(_increment(global_step, graph))
                return group(*updates, name="update")

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """The slot variable ``name`` (see ``get_slot_names``) kept for ``var``, or None."""
        return self._slots.get(name, {}).get(var)

    def get_slot_names(self) -> list[str]:
        """The names of the slots this optimizer keeps per variable, sorted."""
        return sorted(self._slots)

    def variables(self) -> list[Variable]:
        """The variables this optimizer created in the default graph (slots and accumulators
        such as Adam's ``beta1_power``), sorted by name."""
        graph = get_default_graph()
        found = [v for (_, g), v in self._non_slots.items() if g is graph]
        found += [s for slots in self._slots.values() for s in slots.values() if s.graph is graph]
        return sorted(found, key=lambda v: v.name)

    # -- for subclasses --------------------------------------------------------------------------
    def _create_slots(self, var_list: list[Variable]) -> None:
        """Create the slot variables the update needs (once per variable)."""

    def _apply_dense(self, grad: Tensor, var: Variable) -> list[Tensor]:
        """The ``assign`` tensors updating ``var`` and its slots from ``grad``."""
        raise NotImplementedError

    def _finish(self, var_list: list[Variable]) -> list[Tensor]:
        """Updates made once per step after the variables' own (e.g. Adam's beta powers)."""
        return []

    def _hyper(self, name: str, dtype: np.dtype) -> Tensor:
        """Hyper-parameter ``self._<name>`` as a scalar tensor of ``dtype`` (cached per step)."""
        key = (name, dtype)
        if key not in self._hyper_cache:
            value = getattr(self, "_" + name)
            if callable(value):
                value = value()
            if isinstance(value, Tensor):
                tensor = value if value.dtype == dtype else ops.cast(value, dtype)
            else:
                tensor = constant(value, dtype=dtype, name=name)
            self._hyper_cache[key] = tensor
        return self._hyper_cache[key]

    def _make_slot(self, var: Variable, fill: float, slot_name: str) -> Variable:
        """A non-trainable variable shaped like ``var`` starting at ``fill``, named
        ``<var>/<optimizer name>`` (``_1``, ``_2``... for further slots), as in TF1."""
        slots = self._slots.setdefault(slot_name, {})
        if var not in slots:
            with init_scope(var.graph):
                initial = constant(np.full(var.shape, fill, dtype=var.dtype))
                slots[var] = Variable(initial, trainable=False, name=f"{var.op.name}/{self._name}")
        return slots[var]

    def _non_slot(self, name: str, initial_value: Any, graph: Graph, dtype: np.dtype) -> Variable:
        """A non-trainable variable shared by all variables of ``graph`` (e.g. ``beta1_power``)."""
        key = (name, graph)
        if key not in self._non_slots:
            with init_scope(graph):
                if isinstance(initial_value, Tensor):
                    initial = ops.cast(initial_value, dtype)
                else:
                    initial = constant(initial_value, dtype=dtype)
                self._non_slots[key] = Variable(initial, trainable=False, name=name)
        return self._non_slots[key]


def _check_variable(var: Any, graph: Graph) -> None:
    if not isinstance(var, Variable):
        raise TypeError(f"Expected a Variable to optimize, got {var!r}")
    if var.graph is not graph:
        raise ValueError(f"Variable '{var.key}' belongs to another graph than the loss or the "
                         "other variables; build the model and its optimizer in one graph")


def _checked_pairs(grads_and_vars: Iterable[tuple[Any, Variable]]) -> GradsAndVars:
    pairs = [tuple(p) for p in grads_and_vars]
    if not pairs:
        raise ValueError("No variables provided.")
    checked: GradsAndVars = []
    seen: set[Variable] = set()
    for pair in pairs:
        if len(pair) != 2:
            raise TypeError(f"grads_and_vars must hold (gradient, variable) pairs, got {pair!r}")
        grad, var = pair
        if not isinstance(var, Variable):
            raise TypeError(f"Expected a Variable in grads_and_vars, got {var!r}")
        if var in seen:
            raise ValueError(f"Variable '{var.key}' appears more than once in grads_and_vars")
        seen.add(var)
        if grad is not None:
            grad = _checked_grad(grad, var)
        checked.append((grad, var))
    return checked


def _checked_grad(grad: Any, var: Variable) -> Tensor:
    grad = convert_to_tensor(grad) if isinstance(grad, Tensor) else constant(grad, var.dtype)
    if grad.dtype != var.dtype:
        raise TypeError(f"The gradient for variable '{var.key}' has dtype {grad.dtype.name}, "
                        f"not the variable's {var.dtype.name}")
    if grad.shape is not None and (len(grad.shape) != len(var.shape) or any(
            g is not None and g != d for g, d in zip(grad.shape, var.shape))):
        raise ValueError(f"The gradient for variable '{var.key}' has shape {grad.shape}, not "
                         f"the variable's {var.shape}")
    return grad


def _increment(global_step: Any, graph: Graph) -> Tensor:
    if not isinstance(global_step, Variable):
        raise TypeError(f"global_step must be a Variable, got {global_step!r}")
    if global_step.graph is not graph:
        raise ValueError(f"global_step '{global_step.key}' belongs to another graph")
    return assign(global_step, global_step + 1, name="increment_global_step")


# -- the optimizers ------------------------------------------------------------------------------
class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``."""

    def __init__(self, learning_rate: Any, use_locking: bool = False,
                 name: str = "GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        return [assign(var, var - lr * grad)]


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad; var -= lr * accum``; with Nesterov,
    ``var -= lr * grad + lr * momentum * accum`` (the new accum)."""

    def __init__(self, learning_rate: Any, momentum: Any, use_locking: bool = False,
                 name: str = "Momentum", use_nesterov: bool = False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for var in var_list:
            self._make_slot(var, 0.0, "momentum")

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        momentum = self._hyper("momentum", var.dtype)
        accum = self.get_slot(var, "momentum")
        new_accum = accum * momentum + grad
        if self._use_nesterov:
            step = grad * lr + new_accum * momentum * lr
        else:
            step = new_accum * lr
        return [assign(accum, new_accum), assign(var, var - step)]


class AdagradOptimizer(Optimizer):
    """``accum += grad ** 2; var -= lr * grad / sqrt(accum)`` (no epsilon; the accumulator
    starts at ``initial_accumulator_value``)."""

    def __init__(self, learning_rate: Any, initial_accumulator_value: float = 0.1,
                 use_locking: bool = False, name: str = "Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for var in var_list:
            self._make_slot(var, self._initial_accumulator_value, "accumulator")

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        accum = self.get_slot(var, "accumulator")
        new_accum = accum + grad * grad
        return [assign(accum, new_accum), assign(var, var - lr * grad / ops.sqrt(new_accum))]


class AdadeltaOptimizer(Optimizer):
    """``accum = rho * accum + (1 - rho) * grad ** 2``;
    ``update = sqrt(accum_update + eps) / sqrt(accum + eps) * grad``;
    ``accum_update = rho * accum_update + (1 - rho) * update ** 2``; ``var -= lr * update``."""

    def __init__(self, learning_rate: Any = 0.001, rho: Any = 0.95, epsilon: Any = 1e-8,
                 use_locking: bool = False, name: str = "Adadelta"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for var in var_list:
            self._make_slot(var, 0.0, "accum")
            self._make_slot(var, 0.0, "accum_update")

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        rho = self._hyper("rho", var.dtype)
        eps = self._hyper("epsilon", var.dtype)
        accum = self.get_slot(var, "accum")
        accum_update = self.get_slot(var, "accum_update")
        new_accum = rho * accum + (1.0 - rho) * grad * grad
        update = ops.sqrt(accum_update + eps) / ops.sqrt(new_accum + eps) * grad
        new_accum_update = rho * accum_update + (1.0 - rho) * update * update
        return [assign(accum, new_accum), assign(accum_update, new_accum_update),
                assign(var, var - lr * update)]


class RMSPropOptimizer(Optimizer):
    """``ms = decay * ms + (1 - decay) * grad ** 2`` (``ms`` starts at one);
    ``mom = momentum * mom + lr * grad / sqrt(ms + eps)``; ``var -= mom``. Centered, the
    denominator is ``sqrt(ms - mg ** 2 + eps)`` with ``mg`` the decayed mean gradient."""

    def __init__(self, learning_rate: Any, decay: Any = 0.9, momentum: Any = 0.0,
                 epsilon: Any = 1e-10, use_locking: bool = False, centered: bool = False,
                 name: str = "RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _create_slots(self, var_list):
        # TF1's creation order, which decides the names: rms, [mg,] momentum.
        for var in var_list:
            self._make_slot(var, 1.0, "rms")
            if self._centered:
                self._make_slot(var, 0.0, "mg")
            self._make_slot(var, 0.0, "momentum")

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        rho = self._hyper("decay", var.dtype)
        momentum = self._hyper("momentum", var.dtype)
        eps = self._hyper("epsilon", var.dtype)
        ms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        new_ms = rho * ms + (1.0 - rho) * grad * grad
        updates = [assign(ms, new_ms)]
        denominator = new_ms + eps
        if self._centered:
            mg = self.get_slot(var, "mg")
            new_mg = rho * mg + (1.0 - rho) * grad
            updates.append(assign(mg, new_mg))
            denominator = new_ms - new_mg * new_mg + eps
        new_mom = momentum * mom + lr * grad / ops.sqrt(denominator)
        return [*updates, assign(mom, new_mom), assign(var, var - new_mom)]


class AdamOptimizer(Optimizer):
    """``lr_t = lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)``;
    ``m = beta1 * m + (1 - beta1) * grad``; ``v = beta2 * v + (1 - beta2) * grad ** 2``;
    ``var -= lr_t * m / (sqrt(v) + epsilon)``. ``beta1 ** t`` and ``beta2 ** t`` are the
    variables ``beta1_power`` and ``beta2_power``, multiplied by the betas after each step."""

    def __init__(self, learning_rate: Any = 0.001, beta1: Any = 0.9, beta2: Any = 0.999,
                 epsilon: Any = 1e-8, use_locking: bool = False, name: str = "Adam"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _get_beta_accumulators(self) -> tuple[Variable | None, Variable | None]:
        """``(beta1_power, beta2_power)`` of the default graph (None before the first step)."""
        graph = get_default_graph()
        return (self._non_slots.get(("beta1_power", graph)),
                self._non_slots.get(("beta2_power", graph)))

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)  # as TF1: the powers take its dtype
        self._non_slot("beta1_power", self._beta1, first.graph, first.dtype)
        self._non_slot("beta2_power", self._beta2, first.graph, first.dtype)
        for var in var_list:
            self._make_slot(var, 0.0, "m")
            self._make_slot(var, 0.0, "v")

    def _powers(self, graph: Graph, dtype: np.dtype) -> tuple[Tensor, Tensor]:
        b1p = self._non_slots[("beta1_power", graph)]
        b2p = self._non_slots[("beta2_power", graph)]
        return ((b1p if b1p.dtype == dtype else ops.cast(b1p, dtype)),
                (b2p if b2p.dtype == dtype else ops.cast(b2p, dtype)))

    def _apply_dense(self, grad, var):
        lr = self._hyper("learning_rate", var.dtype)
        beta1 = self._hyper("beta1", var.dtype)
        beta2 = self._hyper("beta2", var.dtype)
        eps = self._hyper("epsilon", var.dtype)
        b1p, b2p = self._powers(var.graph, var.dtype)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        lr_t = lr * ops.sqrt(1.0 - b2p) / (1.0 - b1p)
        new_m = beta1 * m + (1.0 - beta1) * grad
        new_v = beta2 * v + (1.0 - beta2) * grad * grad
        new_var = var - lr_t * new_m / (ops.sqrt(new_v) + eps)
        return [assign(m, new_m), assign(v, new_v), assign(var, new_var)]

    def _finish(self, var_list):
        graph = var_list[0].graph
        b1p = self._non_slots[("beta1_power", graph)]
        b2p = self._non_slots[("beta2_power", graph)]
        return [assign(b1p, b1p * self._hyper("beta1", b1p.dtype), name="update_beta1_power"),
                assign(b2p, b2p * self._hyper("beta2", b2p.dtype), name="update_beta2_power")]
