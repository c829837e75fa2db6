"""The lecture examples under ``examples/`` print what the seed documents show."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import numpy as np

import layerkit.compat.v1 as tf

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# The slides' printed results of the training example (TF1's float32 arithmetic).
SLIDES_RESULTS = ["0.9", "8.54", "13.124001", "15.874401", "17.52464", "18.514786", "19.108871",
                  "19.46532", "19.679192", "19.807514"]


def run_example(name: str, backend: str, *args: str, monkeypatch) -> None:
    """Run ``examples/<name>`` in this process as ``python <name> --backend <backend> ...``."""
    monkeypatch.setattr(sys, "argv", [name, "--backend", backend, *args])
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        # The lecture code leaves InteractiveSessions open as the default; close them so that
        # they do not leak into other tests.
        while tf.get_default_session() is not None:
            tf.get_default_session().close()


def test_first_steps_prints_9(active_backend, capsys, monkeypatch):
    run_example("tf1_first_steps.py", active_backend, monkeypatch=monkeypatch)
    assert capsys.readouterr().out == "Result: 9.0\n"


def test_training_example_prints_the_slides_results(active_backend, capsys, monkeypatch):
    run_example("tf1_training_w.py", active_backend, monkeypatch=monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Result:  {v}" for v in SLIDES_RESULTS]


def test_x_squared_steps_prints_and_summaries(active_backend, capsys, monkeypatch, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = tmp_path / "logs" / "1"
    run_example("tf1_x_squared.py", active_backend, "--logdir", str(logdir),
                monkeypatch=monkeypatch)
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "[<Variable 'X:0' shape=() dtype=float32>]"
    steps = np.array([[float(v) for v in line.split()] for line in out[1:]])
    assert steps.shape == (10, 2)
    # A run reads x and f from before its step; each step is x <- x - 0.1 * 2x = 0.8 x.
    np.testing.assert_allclose(steps[1:, 0], 0.8 * steps[:-1, 0], rtol=1e-5)
    np.testing.assert_allclose(steps[:, 1], steps[:, 0] ** 2, rtol=1e-5)
    assert abs(steps[0, 0]) <= np.sqrt(3.0)  # glorot_uniform for a scalar: |x| <= sqrt(3)
    printed = [line for line in captured.err.splitlines() if line.startswith("x, f:")]
    assert len(printed) == 20  # ten tf.Print runs, and the ten summary runs compute f too
    first = printed[0][len("x, f:"):]
    x_value = float(first.split("]")[0].strip("["))
    np.testing.assert_allclose(x_value, steps[-1, 0] * 0.8, rtol=1e-5)
    events = EventAccumulator(str(logdir))
    events.Reload()
    assert sorted(events.Tags()["scalars"]) == ["curr_f", "curr_x"]
    xs = events.Scalars("curr_x")
    fs = events.Scalars("curr_f")
    assert [e.step for e in xs] == list(range(10))
    np.testing.assert_allclose([e.value for e in fs], [e.value ** 2 for e in xs], rtol=1e-5)
    np.testing.assert_allclose([e.value for e in xs[1:]], [0.8 * e.value for e in xs[:-1]],
                               rtol=1e-5)
    assert events.Graph() is not None  # the FileWriter was given s.graph


def test_linear_regression_fits_saves_and_restores(active_backend, capsys, monkeypatch,
                                                   tmp_path):
    logdir = tmp_path / "logs" / "2"
    run_example("tf1_linear_regression.py", active_backend, "--logdir", str(logdir),
                monkeypatch=monkeypatch)
    out = capsys.readouterr().out.splitlines()
    losses = [float(v) for v in out[:6]]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.05  # noise variance 0.04
    truth = np.array(out[6].strip("[]").split(), dtype=float)
    estimate = np.array(out[7].strip("[]").split(), dtype=float)
    np.testing.assert_allclose(estimate, truth, atol=0.15)
    kept = [str(logdir / f"model.ckpt-{i}") for i in (50, 100, 150, 200, 250)]
    assert out[8] == str(kept)  # max_to_keep=5: the step-0 checkpoint was deleted
    assert sorted(os.listdir(logdir)) == sorted(["checkpoint", *(Path(p).name for p in kept)])
    assert tf.train.latest_checkpoint(str(logdir)) == kept[-1]
    restored = np.array(out[9].strip("[]").split(), dtype=float)
    assert not np.allclose(restored, estimate, atol=1e-4)  # step 50's weights, not the last


def test_digits_mlp_learns(active_backend, capsys, monkeypatch):
    run_example("tf1_digits_mlp.py", active_backend, "--epochs", "10", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    accuracy = float(out.rsplit("test accuracy:", 1)[1].split()[0])
    assert out.count("epoch ") == 10 and accuracy >= 0.95
