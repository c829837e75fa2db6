"""``benchmarks/bench_training.py`` runs end to end with tiny settings and writes every field.

A smoke test only: it checks that the driver, its worker processes and the JSON they produce
work, and that every system trains to finite losses. It asserts nothing about speed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SYSTEMS = ("layerkit-numpy", "numpy-handwritten", "jax-handwritten")
WORKLOADS = ("mlp", "cnn", "lstm")


def _worker():
    spec = importlib.util.spec_from_file_location("_train_worker",
                                                  BENCHMARKS / "_train_worker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_run_writes_every_field_and_finite_losses(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_training.py"), "--quick", "--samples", "256",
         "--workloads", ",".join(WORKLOADS), "--systems", ",".join(SYSTEMS),
         "--json", str(out)],
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| workload | system |" in done.stdout and "Targets:" in done.stdout

    results = json.loads(out.read_text())
    assert {"machine", "settings", "runs", "summary"} <= set(results)
    assert results["machine"]["cores"] and results["machine"]["versions"]["numpy"]

    worker = _worker()
    runs = {(r["workload"], r["system"]): r for r in results["runs"]}
    expected = {(w, s) for w in WORKLOADS for s in SYSTEMS
                if s != "numpy-handwritten" or w == "mlp"}  # the numpy floor is MLP-only
    assert set(runs) == expected
    for key, run in runs.items():
        assert set(worker.RESULT_FIELDS) <= set(run), key
        assert run["ok"], (key, run.get("error"), run.get("traceback"))
        assert run["samples"] == 256 and run["epochs"] == 2 and run["batch_size"] == 128
        assert len(run["epoch_seconds"]) == 2 and len(run["losses"]) == 2
        assert len(run["epoch_cpu_seconds"]) == 2
        assert all(math.isfinite(loss) for loss in run["losses"]), key
        assert run["first_loss"] == run["losses"][0] and run["last_loss"] == run["losses"][-1]
        for field in ("first_epoch_s", "epoch_median_s", "samples_per_s", "peak_rss_mb"):
            assert isinstance(run[field], float), (key, field)
        assert (run["predict_samples_per_s"] is not None) == (key[0] == "mlp"), key

    # Same data, same initial weights, same batch order: the same first-epoch loss.
    for workload in WORKLOADS:
        losses = [runs[(workload, s)]["first_loss"] for s in SYSTEMS if (workload, s) in runs]
        assert max(losses) - min(losses) < 1e-3, (workload, losses)

    summary = {(row["workload"], row["system"]): row for row in results["summary"]}
    assert set(summary) == expected
    for key, row in summary.items():
        assert row["runs"] == 1 and row["samples_per_s"] is not None, key
    assert summary[("mlp", "layerkit-numpy")]["vs_floor"] is not None
