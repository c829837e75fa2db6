"""Two processes on loopback form one cluster (``jax.distributed`` over CPU collectives), each
with 2 forced CPU devices, and train data-parallel, each on its slice of every global batch:
both end with the same weights, equal to one process training on the global batches."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from tests.distribution import workers

pytestmark = pytest.mark.slow

TIMEOUT_S = 240  # each process; a 2-core machine shared with other jobs: generous


def _run_cluster(tmp_path) -> list[dict]:
    """Both members started at once and bounded; both killed if either hangs."""
    port = workers.free_port()
    outs = [tmp_path / f"process{p}.json" for p in (0, 1)]
    children = [subprocess.Popen(workers.worker_command("cluster_member", p, port, outs[p]),
                                 cwd=workers.REPOSITORY, env=workers.child_environment(2),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for p in (0, 1)]
    try:
        logs = [child.communicate(timeout=TIMEOUT_S) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    for p, (child, (_, stderr)) in enumerate(zip(children, logs)):
        assert child.returncode == 0, f"process {p}: {stderr[-4000:]}"
    return [json.loads(out.read_text()) for out in outs]


def _run_reference(tmp_path, seed: int) -> dict:
    out = tmp_path / "reference.json"
    done = subprocess.run(workers.worker_command("reference", seed, out), cwd=workers.REPOSITORY,
                          env=workers.child_environment(1), capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[list[dict], dict]:
    tmp_path = tmp_path_factory.mktemp("cluster")
    members = _run_cluster(tmp_path)
    return members, _run_reference(tmp_path, members[0]["seed"])


def _same(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=2e-5, atol=2e-6)


def test_the_cluster_spans_both_processes(runs):
    members, _ = runs
    for member in members:
        assert len(member["devices"]) == 4  # 2 per process, global
        assert all(s["replicated"] and s["devices"] == 4 for s in member["state"])
        assert not any(member["addressable"])  # global arrays: half their devices elsewhere


def test_weights_initialize_identically_on_every_process(runs):
    members, reference = runs
    assert members[0]["seed"] == members[1]["seed"]
    _same(members[0]["initial"], members[1]["initial"])
    _same(members[0]["initial"], reference["initial"])


def test_both_processes_end_with_the_same_weights_as_one_process(runs):
    members, reference = runs
    _same(members[0]["weights"], members[1]["weights"])
    for got, want in zip(members[0]["weights"], reference["weights"], strict=True):
        _close(got, want)


def test_losses_and_metrics_are_those_of_the_global_batches(runs):
    members, reference = runs
    for member in members:
        _close(member["batch_losses"], reference["batch_losses"])
        for key in reference["history"]:
            _close(member["history"][key], reference["history"][key])
        _close(member["evaluate"], reference["evaluate"])


def test_each_process_predicts_its_own_rows(runs):
    members, reference = runs
    predicted = np.asarray(reference["predict"])
    for p, member in enumerate(members):
        rows = workers.local_rows(p, 2, workers.SAMPLES, workers.BATCH)
        _close(member["predict"], predicted[rows])
