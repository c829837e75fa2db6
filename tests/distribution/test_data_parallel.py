"""DataParallel over 4 forced CPU devices, in a child process (JAX picks its devices once per
process): same losses, metrics, predictions and weights as one device on the same global
batches; state replicated and feeds split, as claimed; bad batch sizes refused up front."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from tests.distribution import workers

pytestmark = pytest.mark.slow

TIMEOUT_S = 240  # a 2-core machine shared with other jobs: generous


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("data_parallel") / "results.json"
    done = subprocess.run(workers.worker_command("data_parallel", out), cwd=workers.REPOSITORY,
                          env=workers.child_environment(4), capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text())


def _close(a, b) -> None:
    """Equal to float32 rounding: the sums over a batch are split into per-device partial
    sums, so they round in another order."""
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=2e-5, atol=2e-6)


def test_four_devices_are_used(run):
    assert run["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert "cpu:3" in run["distribution"] and "'batch'" in run["distribution"]


@pytest.mark.parametrize("variant", ["parallel", "moved"])
def test_same_training_as_one_device(run, variant):
    single, other = run["single"], run[variant]
    assert len(other["batch_losses"]) == workers.EPOCHS * workers.SAMPLES // workers.BATCH
    _close(other["batch_losses"], single["batch_losses"])
    assert other["history"].keys() == single["history"].keys()
    for key in single["history"]:
        _close(other["history"][key], single["history"][key])
    _close(other["evaluate"], single["evaluate"])
    _close(other["predict"], single["predict"])
    assert len(other["weights"]) == len(single["weights"]) == 8  # moving stats included
    for got, want in zip(other["weights"], single["weights"]):
        _close(got, want)
    assert single["history"]["loss"][-1] < single["history"]["loss"][0]  # it did learn


def test_several_steps_per_call_train_as_one_device(run):
    single, steps = run["single"], run["parallel_steps"]
    # One batch hook per call of 3 batches: the running loss at every third batch.
    _close(steps["batch_losses"], single["batch_losses"][2::3])
    for key in single["history"]:
        _close(steps["history"][key], single["history"][key])
    _close(steps["evaluate"], single["evaluate"])
    _close(steps["predict"], single["predict"])
    for got, want in zip(steps["weights"], single["weights"]):
        _close(got, want)


def _replicated_on_four_devices(placements: dict) -> None:
    for key, placement in placements.items():
        assert placement["type"] == "NamedSharding", key
        assert placement["spec"] == "P()" and placement["replicated"], key
        assert placement["devices"] == 4, key


def test_every_variable_is_replicated_on_all_devices(run):
    """Weights, optimizer slots and metric accumulators, after training."""
    placements = run["state"]
    assert {"dense/kernel", "batch_normalization/moving_mean", "loss/total"} <= set(placements)
    assert any("adam" in key for key in placements), sorted(placements)
    _replicated_on_four_devices(placements)


def test_weights_made_before_the_distribution_are_moved_to_it(run):
    placements = run["moved_state"]
    assert {"dense/kernel", "dense_1/bias", "batch_normalization/moving_mean"} <= set(placements)
    _replicated_on_four_devices(placements)


def test_feeds_are_split_along_the_batch_axis(run):
    feeds = run["feeds"]
    assert feeds["batch"]["spec"] == "P('batch', None)" and not feeds["batch"]["replicated"]
    assert feeds["stacked"]["spec"] == "P(None, 'batch', None)"
    for name in ("scalar", "stacked_scalars", "not_a_batch"):
        assert feeds[name]["spec"] == "P()" and feeds[name]["replicated"], name
    assert all(feed["devices"] == 4 for feed in feeds.values())


def test_xla_inserts_the_gradient_all_reduce(run):
    programs = run["all_reduce"]
    training = [p for p in programs if p["trains"]]
    assert training and all(p["all_reduce"] for p in training)


@pytest.mark.parametrize("call, argument, size", [
    ("fit_batch", "batch_size=30", "each batch has 30 samples"),
    ("fit_last_batch", "batch_size=16", "has 10 samples"),
    ("fit_validation", "validation_batch_size=10", "each batch has 10 samples"),
    ("evaluate", "batch_size=6", "each batch has 6 samples"),
    ("predict", "batch_size=32", "the one batch holds all 10 samples"),
])
def test_a_batch_that_does_not_divide_is_refused_naming_it(run, call, argument, size):
    message = run["errors"]["messages"][call]
    assert message is not None, call
    assert message.startswith(argument) and size in message
    assert "4 devices" in message and "multiple of 4" in message


def test_refused_fits_never_half_train(run):
    errors = run["errors"]
    assert errors["steps_run_by_refused_fits"] == 0
    assert errors["weights_unchanged"]
    assert len(errors["without_last_batch"]) == 1  # steps_per_epoch drops the partial batch


def test_train_on_batch_is_refused_by_the_feed(run):
    message = run["errors"]["messages"]["train_on_batch"]
    assert "(6, 8)" in message and "6 samples" in message and "4 devices" in message
