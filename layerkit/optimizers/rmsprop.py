"""RMSprop, plain or centered, with optional momentum."""

from __future__ import annotations

from typing import Any

from layerkit.graph import ops
from layerkit.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """``velocity = rho * velocity + (1 - rho) * g ** 2``;
    ``increment = lr * g / sqrt(velocity + epsilon)``, or centered
    ``lr * g / sqrt(velocity - average_grad ** 2 + epsilon)`` with
    ``average_grad = rho * average_grad + (1 - rho) * g``. Then ``w -= increment``, or with
    momentum ``m = momentum * m + increment`` and ``w -= m``."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str = "rmsprop",
                 **kwargs: Any):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        index = self._get_variable_index(variable)
        rho = self.rho

        velocity = self._velocities[index]
        velocity = self.assign(velocity, rho * velocity + (1 - rho) * ops.square(gradient))
        if self.centered:
            average_grad = self._average_gradients[index]
            average_grad = self.assign(average_grad, rho * average_grad + (1 - rho) * gradient)
            denominator = velocity - ops.square(average_grad) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = lr * gradient / ops.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[index]
            momentum = self.assign(momentum, self.momentum * momentum + increment)
            self.assign_sub(variable, momentum)
        else:
            self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
