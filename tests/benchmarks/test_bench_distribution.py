"""``benchmarks/bench_distribution.py`` runs end to end with tiny settings and writes every field.

A smoke test only: the driver, its one-process-per-configuration children and the JSON work,
and every configuration trains on the same batches. It asserts nothing about speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
def test_quick_run_writes_every_configuration(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_distribution.py"), "--quick", "--devices", "1,2",
         "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| DataParallel | 2 |" in done.stdout

    results = json.loads(out.read_text())
    assert {"machine", "settings", "runs", "summary"} <= set(results)
    summary = {row["config"]: row for row in results["summary"]}
    assert set(summary) == {"none", "1", "2"}
    assert [summary[c]["devices"] for c in ("none", "1", "2")] == [1, 1, 2]
    for row in summary.values():
        assert row["samples_per_s"] > 0 and row["epoch_median_s"] > 0
    assert summary["none"]["vs_no_distribution"] == 1.0
    # Same weights, same batches: one device under DataParallel computes the same losses.
    losses = {r["config"]: r["losses"] for r in results["runs"]}
    assert losses["1"] == losses["none"]
    assert losses["2"] == pytest.approx(losses["none"], rel=1e-4)
