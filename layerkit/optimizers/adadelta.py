"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

from layerkit.graph import ops
from layerkit.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """``accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2``;
    ``delta = -rms(accumulated_delta_var) * g / rms(accumulated_grad)`` with
    ``rms(x) = sqrt(x + epsilon)``;
    ``accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2``;
    ``w += lr * delta``."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str = "adadelta",
                 **kwargs: Any):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, grad, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        index = self._get_variable_index(variable)
        rho = self.rho
        accumulated_grad = self._accumulated_grads[index]
        accumulated_delta_var = self._accumulated_delta_vars[index]

        def rms(x):
            return ops.sqrt(x + self.epsilon)

        accumulated_grad = self.assign(
            accumulated_grad, rho * accumulated_grad + (1 - rho) * ops.square(grad))
        delta_var = -(rms(accumulated_delta_var) * grad / rms(accumulated_grad))
        self.assign(accumulated_delta_var,
                    rho * accumulated_delta_var + (1 - rho) * ops.square(delta_var))
        self.assign_add(variable, lr * delta_var)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
