"""Independent float64 numpy versions of the Keras 3 optimizer formulas, and the problem the
trajectory tests run them on: least squares ``mean((X @ W + b - Y) ** 2)``.

Each ``*_update(...)`` returns ``update(key, g, w, lr, t, state) -> new w`` for one variable:
``g`` its (clipped) gradient, ``w`` its value after weight decay, ``t`` the step (1, 2, ...),
``state`` a dict for the slots, keyed by ``key``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_rng = np.random.default_rng(7)
X = _rng.normal(size=(8, 3))
Y = _rng.normal(size=(8, 2))
W0 = _rng.normal(size=(3, 2))
B0 = _rng.normal(size=(2,))
NAMES = ("W", "b")


def gradients(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    residual = X @ params["W"] + params["b"] - Y
    scale = 2.0 / residual.size
    return {"W": scale * X.T @ residual, "b": scale * residual.sum(axis=0)}


def trajectory(update: Callable, steps: int, lr: float | Callable[[int], float],
               clip: Callable | None = None, weight_decay: float | None = None,
               exclude: tuple[str, ...] = ()) -> list[dict[str, np.ndarray]]:
    """The parameters after each of ``steps`` steps. ``lr`` is a float or a function of the
    step count before the step (as a schedule sees ``iterations``)."""
    params = {"W": W0.copy(), "b": B0.copy()}
    state: dict = {}
    out = []
    for t in range(steps):
        grads = gradients(params)
        if clip is not None:
            grads = clip(grads)
        rate = lr(t) if callable(lr) else lr
        for name in NAMES:
            w = params[name]
            if weight_decay is not None and name not in exclude:
                w = w - w * weight_decay * rate
            params[name] = update(name, grads[name], w, rate, t + 1, state)
        out.append({k: v.copy() for k, v in params.items()})
    return out


# -- the update rules ----------------------------------------------------------------------------
def sgd_update(momentum: float = 0.0, nesterov: bool = False) -> Callable:
    def update(key, g, w, lr, t, state):
        if momentum == 0:
            return w - lr * g
        m = momentum * state.get(key, 0.0) - lr * g
        state[key] = m
        return w + momentum * m - lr * g if nesterov else w + m
    return update


def adam_update(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                amsgrad: bool = False) -> Callable:
    def update(key, g, w, lr, t, state):
        m = beta_1 * state.get(key + "m", 0.0) + (1 - beta_1) * g
        v = beta_2 * state.get(key + "v", 0.0) + (1 - beta_2) * g * g
        state[key + "m"], state[key + "v"] = m, v
        if amsgrad:
            v = state[key + "v_hat"] = np.maximum(state.get(key + "v_hat", 0.0), v)
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return w - alpha * m / (np.sqrt(v) + epsilon)
    return update


def rmsprop_update(rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                   centered: bool = False) -> Callable:
    def update(key, g, w, lr, t, state):
        v = state[key + "v"] = rho * state.get(key + "v", 0.0) + (1 - rho) * g * g
        if centered:
            a = state[key + "a"] = rho * state.get(key + "a", 0.0) + (1 - rho) * g
            step = lr * g / np.sqrt(v - a * a + epsilon)
        else:
            step = lr * g / np.sqrt(v + epsilon)
        if momentum > 0:
            step = state[key + "m"] = momentum * state.get(key + "m", 0.0) + step
        return w - step
    return update


def adagrad_update(initial_accumulator_value: float = 0.1, epsilon: float = 1e-7) -> Callable:
    def update(key, g, w, lr, t, state):
        acc = state[key] = state.get(key, initial_accumulator_value) + g * g
        return w - lr * g / np.sqrt(acc + epsilon)
    return update


def adadelta_update(rho: float = 0.95, epsilon: float = 1e-7) -> Callable:
    def update(key, g, w, lr, t, state):
        acc_g = state[key + "g"] = rho * state.get(key + "g", 0.0) + (1 - rho) * g * g
        acc_d = state.get(key + "d", 0.0)
        delta = -np.sqrt(acc_d + epsilon) / np.sqrt(acc_g + epsilon) * g
        state[key + "d"] = rho * acc_d + (1 - rho) * delta * delta
        return w + lr * delta
    return update


# -- clipping ------------------------------------------------------------------------------------
def clip_norm(c: float) -> Callable:
    return lambda grads: {k: g * c / max(np.linalg.norm(g), c) for k, g in grads.items()}


def clip_global_norm(c: float) -> Callable:
    def clip(grads):
        norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
        return {k: g * c / max(norm, c) for k, g in grads.items()}
    return clip


def clip_value(c: float) -> Callable:
    return lambda grads: {k: np.clip(g, -c, c) for k, g in grads.items()}


def f32(x: float) -> float:
    """A float learning rate as the optimizer stores it: a float32 variable."""
    return float(np.float32(x))
