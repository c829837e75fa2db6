"""``examples/callbacks_and_checkpoints.py``: early stopping, the best checkpoint, the CSV log
and a resumed interruption, on each backend (its ``main`` in this process), and as a script."""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "callbacks_and_checkpoints.py"


def _example():
    spec = importlib.util.spec_from_file_location("callbacks_and_checkpoints", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_stops_early_resumes_and_keeps_the_best_model(keras, active_backend, tmp_path,
                                                           capsys):
    summary = _example().main(["--backend", active_backend, "--out", str(tmp_path),
                               "--verbose", "0"])
    out = capsys.readouterr().out
    assert "simulated crash at the start of epoch 3" in out and "Summary" in out
    assert summary["stopped_early"] and summary["epochs_run"] < 40
    assert summary["resumed_at"] == 3 and summary["resumed_epochs"][0] == 3
    assert summary["resumed_epochs"][-1] == summary["epochs_run"]
    assert summary["epochs_run"] == summary["best_epoch"] + 3  # patience 3
    # The checkpoint is the best epoch's model, as is the model EarlyStopping restored.
    assert summary["checkpoint_test_accuracy"] == summary["model_test_accuracy"] >= 0.95
    assert summary["backup_deleted"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoints", "training_log.csv"]
    with open(tmp_path / "training_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(row["epoch"]) for row in rows] == list(range(summary["epochs_run"]))


def test_runs_as_a_script(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE.parents[1])}
    done = subprocess.run([sys.executable, str(EXAMPLE), "--backend", "numpy", "--out",
                           str(tmp_path), "--epochs", "4", "--interrupt-at", "0"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Summary" in done.stdout and "epochs run:          4 of at most 4" in done.stdout
    assert (tmp_path / "checkpoints" / "best.h5").is_file()
