"""Each optimizer's trajectory on a least-squares problem, run as one train program per step on
each backend, against the float64 numpy version of the Keras 3 formula in ``reference``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from layerkit import backend, optimizers
from layerkit.graph import constant, gradients, ops
from layerkit.optimizers import schedules
from tests.optimizers import reference as ref

STEPS = 8


@dataclasses.dataclass
class Case:
    id: str
    make: Callable[[], optimizers.Optimizer]
    update: Callable
    lr: float | Callable[[int], float]
    clip: Callable | None = None
    weight_decay: float | None = None
    exclude: tuple[str, ...] = ()

    def reference(self) -> list[dict[str, np.ndarray]]:
        return ref.trajectory(self.update, STEPS, self.lr, clip=self.clip,
                              weight_decay=self.weight_decay, exclude=self.exclude)


def _excluding_bias(opt: optimizers.Optimizer) -> optimizers.Optimizer:
    opt.exclude_from_weight_decay(var_names=["bias"])
    return opt


def _exponential(t: int, staircase: bool = False) -> float:
    p = t / 2
    return 0.1 * 0.5 ** (np.floor(p) if staircase else p)


def _piecewise(t: int) -> float:
    return 0.1 if t <= 1 else 0.05 if t <= 3 else 0.01


CASES = [
    # SGD
    Case("sgd-default", lambda: optimizers.SGD(), ref.sgd_update(), ref.f32(0.01)),
    Case("sgd-momentum", lambda: optimizers.SGD(0.05, momentum=0.9),
         ref.sgd_update(0.9), ref.f32(0.05)),
    Case("sgd-nesterov", lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
         ref.sgd_update(0.9, nesterov=True), ref.f32(0.05)),
    # Adam, AdamW
    Case("adam-default", lambda: optimizers.Adam(), ref.adam_update(), ref.f32(0.001)),
    Case("adam-custom", lambda: optimizers.Adam(0.1, beta_1=0.8, beta_2=0.99, epsilon=0.01),
         ref.adam_update(0.8, 0.99, 0.01), ref.f32(0.1)),
    Case("adam-amsgrad", lambda: optimizers.Adam(0.1, beta_2=0.5, amsgrad=True),
         ref.adam_update(beta_2=0.5, amsgrad=True), ref.f32(0.1)),
    Case("adamw-default", lambda: optimizers.AdamW(), ref.adam_update(), ref.f32(0.001),
         weight_decay=0.004),
    Case("adamw-custom",
         lambda: optimizers.AdamW(0.05, weight_decay=0.5, beta_2=0.5, amsgrad=True),
         ref.adam_update(beta_2=0.5, amsgrad=True), ref.f32(0.05), weight_decay=0.5),
    # RMSprop
    Case("rmsprop-default", lambda: optimizers.RMSprop(), ref.rmsprop_update(),
         ref.f32(0.001)),
    Case("rmsprop-momentum", lambda: optimizers.RMSprop(0.01, momentum=0.9),
         ref.rmsprop_update(momentum=0.9), ref.f32(0.01)),
    Case("rmsprop-centered-momentum",
         lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=0.01, centered=True),
         ref.rmsprop_update(0.8, 0.5, 0.01, centered=True), ref.f32(0.01)),
    # Adagrad, Adadelta
    Case("adagrad-default", lambda: optimizers.Adagrad(), ref.adagrad_update(),
         ref.f32(0.001)),
    Case("adagrad-custom",
         lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.5, epsilon=0.01),
         ref.adagrad_update(0.5, 0.01), ref.f32(0.1)),
    Case("adadelta-default", lambda: optimizers.Adadelta(), ref.adadelta_update(),
         ref.f32(0.001)),
    Case("adadelta-custom", lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-3),
         ref.adadelta_update(0.9, 1e-3), 1.0),
    # weight decay on other optimizers
    Case("sgd-weight-decay", lambda: optimizers.SGD(0.05, momentum=0.5, weight_decay=0.1),
         ref.sgd_update(0.5), ref.f32(0.05), weight_decay=0.1),
    Case("rmsprop-weight-decay", lambda: optimizers.RMSprop(0.01, weight_decay=0.2),
         ref.rmsprop_update(), ref.f32(0.01), weight_decay=0.2),
    Case("weight-decay-excluding-bias",
         lambda: _excluding_bias(optimizers.SGD(0.1, weight_decay=0.3)),
         ref.sgd_update(), ref.f32(0.1), weight_decay=0.3, exclude=("b",)),
    # clipping
    Case("sgd-clipnorm", lambda: optimizers.SGD(0.1, clipnorm=0.5),
         ref.sgd_update(), ref.f32(0.1), clip=ref.clip_norm(0.5)),
    Case("sgd-global-clipnorm", lambda: optimizers.SGD(0.1, momentum=0.5, global_clipnorm=0.8),
         ref.sgd_update(0.5), ref.f32(0.1), clip=ref.clip_global_norm(0.8)),
    Case("sgd-clipvalue", lambda: optimizers.SGD(0.1, momentum=0.5, clipvalue=0.3),
         ref.sgd_update(0.5), ref.f32(0.1), clip=ref.clip_value(0.3)),
    Case("adam-clipvalue", lambda: optimizers.Adam(0.1, clipvalue=0.2, epsilon=0.05),
         ref.adam_update(epsilon=0.05), ref.f32(0.1), clip=ref.clip_value(0.2)),
    # learning-rate schedules, a callable and loss scaling
    Case("sgd-exponential-decay",
         lambda: optimizers.SGD(schedules.ExponentialDecay(0.1, 2, 0.5)),
         ref.sgd_update(), _exponential),
    Case("adam-exponential-decay-staircase",
         lambda: optimizers.Adam(schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True),
                                 weight_decay=0.1),
         ref.adam_update(), lambda t: _exponential(t, staircase=True), weight_decay=0.1),
    Case("sgd-piecewise-constant",
         lambda: optimizers.SGD(schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
                                momentum=0.9, weight_decay=0.1),
         ref.sgd_update(0.9), _piecewise, weight_decay=0.1),
    Case("rmsprop-piecewise-constant",
         lambda: optimizers.RMSprop(schedules.PiecewiseConstantDecay([2, 5], [0.1, 0.02, 0.005])),
         ref.rmsprop_update(), lambda t: 0.1 if t <= 2 else 0.02 if t <= 5 else 0.005),
    Case("sgd-callable-learning-rate", lambda: optimizers.SGD(lambda: 0.05),
         ref.sgd_update(), ref.f32(0.05)),
    Case("sgd-loss-scale-factor", lambda: optimizers.SGD(0.1, loss_scale_factor=8.0),
         ref.sgd_update(), ref.f32(0.1)),
]

# Tolerances on the displacement from the start, relative to the largest displacement, plus a few
# units in the last place of the parameters. Float32 variables run the formula in float32 (so
# Adadelta's default steps of 1e-6 are checked closely only in float64); float64 ones are
# limited by the float32 learning rate and schedules, which the references use too.
TOLERANCE = {"float32": 2e-4, "float64": 1e-7}


def run_program(make: Callable[[], optimizers.Optimizer], steps: int, dtype: str):
    """Build the train program the way a Keras model does and run it ``steps`` times."""
    kernel = backend.variable(ref.W0, "dense/kernel", dtype=dtype)
    bias = backend.variable(ref.B0, "dense/bias", dtype=dtype)
    opt = make()
    with backend.symbolic_scope():
        x, y = constant(ref.X.astype(dtype)), constant(ref.Y.astype(dtype))
        loss = ops.mean(ops.square(ops.matmul(x, kernel) + bias - y))
        grads = gradients(opt.scale_loss(loss), [kernel, bias])
        updates = opt.apply_gradients(zip(grads, [kernel, bias]))
    session = backend.get_session()
    out = []
    for _ in range(steps):
        session.run(updates)
        out.append({"W": kernel.numpy(), "b": bias.numpy()})
    return opt, out


def assert_trajectories_close(got, want, tolerance, dtype):
    start = {"W": ref.W0, "b": ref.B0}
    scale = max(np.abs(step[k] - start[k]).max() for step in want for k in start)
    ulps = 4 * np.finfo(dtype).eps * max(np.abs(v).max() for v in start.values())
    for step, (g, w) in enumerate(zip(got, want), start=1):
        for k in start:
            np.testing.assert_allclose(
                g[k] - start[k], w[k] - start[k], rtol=tolerance, atol=tolerance * scale + ulps,
                err_msg=f"parameter {k} after step {step}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_trajectory_matches_keras_formula(case, dtype, keras_session):
    opt, got = run_program(case.make, STEPS, dtype)
    for step in got:
        assert step["W"].dtype == np.dtype(dtype)
    assert_trajectories_close(got, case.reference(), TOLERANCE[dtype], dtype)
    assert opt.iterations.numpy() == STEPS


def _distance(a, b):
    return max(np.abs(x[k] - y[k]).max() for x, y in zip(a, b) for k in ref.NAMES)


def test_reference_settings_are_discriminating():
    """The settings above change the trajectory by far more than the tolerance, so each
    formula's variant is really checked (amsgrad, centered, nesterov, clipping, epsilon...)."""
    def run(update, lr=0.1, **kw):
        return ref.trajectory(update, STEPS, lr, **kw)

    pairs = [
        (run(ref.adam_update(beta_2=0.5, amsgrad=True)), run(ref.adam_update(beta_2=0.5))),
        (run(ref.rmsprop_update(0.8, 0.5, 0.01, centered=True), 0.01),
         run(ref.rmsprop_update(0.8, 0.5, 0.01), 0.01)),
        (run(ref.sgd_update(0.9, nesterov=True), 0.05), run(ref.sgd_update(0.9), 0.05)),
        (run(ref.sgd_update(), clip=ref.clip_norm(0.5)), run(ref.sgd_update())),
        (run(ref.sgd_update(0.5), clip=ref.clip_global_norm(0.8)),
         run(ref.sgd_update(0.5), clip=ref.clip_norm(0.8))),
        (run(ref.sgd_update(0.5), clip=ref.clip_value(0.3)), run(ref.sgd_update(0.5))),
        (run(ref.adam_update(epsilon=0.05), clip=ref.clip_value(0.2)),
         run(ref.adam_update(epsilon=0.05))),
        (run(ref.adagrad_update(0.5, 0.01)), run(ref.adagrad_update(0.5, 0.0))),
        (run(ref.adadelta_update(0.9, 1e-3), 1.0), run(ref.adadelta_update(0.9, 2e-3), 1.0)),
        (run(ref.sgd_update(), weight_decay=0.3, exclude=("b",)),
         run(ref.sgd_update(), weight_decay=0.3)),
    ]
    for i, (a, b) in enumerate(pairs):
        assert _distance(a, b) > 1e-3, f"pair {i} does not discriminate"
