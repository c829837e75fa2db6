"""Learning-rate schedules on Python steps and on graph tensors (on each backend)."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit import backend
from layerkit.graph import constant
from layerkit.optimizers import schedules

STEPS = [0, 1, 2, 3, 4, 5, 7, 10, 11, 25]


def _on_graph(schedule, steps, dtype="int64"):
    with backend.symbolic_scope():
        values = [schedule(constant(np.asarray(s, dtype))) for s in steps]
    return [float(v) for v in backend.get_session().run(values)]


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase, keras_session):
    schedule = schedules.ExponentialDecay(0.5, decay_steps=3, decay_rate=0.8,
                                          staircase=staircase)
    want = [0.5 * 0.8 ** ((s // 3) if staircase else s / 3) for s in STEPS]
    np.testing.assert_allclose([schedule(s) for s in STEPS], want, rtol=1e-12)
    np.testing.assert_allclose(_on_graph(schedule, STEPS), want, rtol=1e-6)
    assert isinstance(schedule(4), float)


def test_piecewise_constant_decay(keras_session):
    schedule = schedules.PiecewiseConstantDecay([3, 7, 10], [1.0, 0.5, 0.25, 0.125])
    want = [1.0 if s <= 3 else 0.5 if s <= 7 else 0.25 if s <= 10 else 0.125 for s in STEPS]
    assert [schedule(s) for s in STEPS] == want
    assert _on_graph(schedule, STEPS) == want
    assert _on_graph(schedule, STEPS, dtype="int32") == want


def test_schedule_tensor_dtype_is_floatx(keras_session):
    with backend.symbolic_scope():
        step = constant(np.int64(3))
        assert schedules.ExponentialDecay(0.1, 2, 0.5)(step).dtype == np.float32
        assert schedules.PiecewiseConstantDecay([1], [0.1, 0.2])(step).dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="increasing"):
        schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(1)


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True, name="decay"),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
])
def test_config_round_trip(schedule):
    config = schedule.get_config()
    assert type(schedule).from_config(config).get_config() == config
    serialized = schedules.serialize(schedule)
    again = schedules.deserialize(serialized)
    assert type(again) is type(schedule) and again.get_config() == config
    # Keras 2's layout (no module) loads too.
    legacy = {"class_name": serialized["class_name"], "config": serialized["config"]}
    assert schedules.deserialize(legacy).get_config() == config


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="CosineDecay.*ExponentialDecay"):
        schedules.deserialize({"class_name": "CosineDecay", "config": {}})
