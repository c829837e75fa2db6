"""The Keras-style example runs unchanged but for ``import layerkit as keras``, and learns."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keras_quickstart.py"


@pytest.mark.parametrize("backend_name", ["numpy", "jax"])
def test_keras_quickstart_runs_and_learns(backend_name):
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE.parents[1])}
    done = subprocess.run([sys.executable, str(EXAMPLE), "--backend", backend_name,
                           "--epochs", "10"], capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    accuracies = dict(re.findall(r"(MLP|CNN) test accuracy: ([0-9.]+)", done.stdout))
    assert set(accuracies) == {"MLP", "CNN"}, done.stdout
    assert float(accuracies["MLP"]) >= 0.93 and float(accuracies["CNN"]) >= 0.93, accuracies
    assert 'Model: "mlp"' in done.stdout and "Total params: 4,810" in done.stdout
