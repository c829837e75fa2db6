"""Adam and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

from typing import Any

from layerkit.graph import ops
from layerkit.optimizers.base import Optimizer


class Adam(Optimizer):
    """``m += (g - m) * (1 - beta_1)``; ``v += (g ** 2 - v) * (1 - beta_2)``;
    ``w -= m * alpha / (sqrt(v) + epsilon)`` with
    ``alpha = lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)`` at step ``t = iterations + 1``.
    With ``amsgrad``, ``v_hat = max(v_hat, v)`` takes the place of ``v`` in the last line."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str = "adam",
                 **kwargs: Any):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        # One fused op per variable (ops.adam_update: the formula above, rounded op by op as
        # the separate ops were); the step size is shared by all the variables of a dtype.
        index = self._get_variable_index(variable)
        slots = [self._momentums[index], self._velocities[index]]
        if self.amsgrad:
            slots.append(self._velocity_hats[index])
        m, v, *v_hat = (self._read(s) for s in slots)
        alpha = self._once_per_step(("alpha", learning_rate, variable.dtype),
                                    lambda: self._step_size(learning_rate, variable.dtype))
        new_variable, *new_slots = ops.adam_update(
            self._read(variable), gradient, m, v, alpha, beta_1=self.beta_1, beta_2=self.beta_2,
            epsilon=self.epsilon, v_hat=v_hat[0] if v_hat else None)
        for slot, value in zip(slots, new_slots):
            self.assign(slot, value)
        self.assign(variable, new_variable)

    def _step_size(self, learning_rate, dtype):
        """``alpha = lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)`` at ``t = iterations + 1``."""
        lr = ops.cast(learning_rate, dtype)
        local_step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(self.beta_1, local_step)
        beta_2_power = ops.power(self.beta_2, local_step)
        return lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay=0.004`` by default): before the Adam
    update, ``w -= w * weight_decay * lr``."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str = "adamw",
                 **kwargs: Any):
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
