"""Real Keras 3 (jax backend) for interoperability tests, run in a child process.

Keras and layerkit both configure jax process-wide (layerkit enables 64-bit types), so Keras
never runs inside the test process: ``run_keras(code)`` runs a snippet in a fresh interpreter
with ``KERAS_BACKEND=jax`` and returns what the snippet passed to ``emit(...)`` (JSON). Tests
that need it take the ``keras3`` fixture, which skips, saying why, where Keras 3 is not
installed (CI installs it: it is in the ``test`` extra).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

_PRELUDE = """\
import json as _json, os as _os, sys as _sys
import numpy as np
import keras

def emit(value):
    _sys.stdout.write("\\n@@EMIT@@" + _json.dumps(value) + "\\n")
"""


def keras3_version() -> str | None:
    """The installed Keras version if it is Keras 3, else None."""
    try:
        version = importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return None
    return version if version.split(".")[0] == "3" else None


def run_keras(code: str, cwd: str | os.PathLike | None = None, timeout: float = 300) -> Any:
    """Run ``code`` (with ``keras``, ``np`` and ``emit`` in scope) under Keras 3's jax backend
    in a child process; returns the value it emitted (None if it emitted nothing)."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    source = _PRELUDE + textwrap.dedent(code)
    # The code goes in on stdin: a payload of test data can pass the command-line limit.
    done = subprocess.run([sys.executable, "-"], input=source, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"Keras 3 child process failed (exit {done.returncode}):\n"
                             f"{done.stderr[-4000:]}")
    marker = "@@EMIT@@"
    lines = [line for line in done.stdout.splitlines() if line.startswith(marker)]
    return json.loads(lines[-1][len(marker):]) if lines else None


@pytest.fixture(scope="session")
def keras3() -> Any:
    """``run_keras``, or a skip naming what is missing."""
    if keras3_version() is None:
        pytest.skip("Keras 3 is not installed here (pip install 'keras>=3'; CI installs it), "
                    "so the interoperability test cannot run")
    return run_keras


def build_with_random_weights(keras: Any, model_code: str, path: Any, seed: int) -> Any:
    """The model that ``model_code``'s ``build()`` makes with ``keras`` (layerkit), with
    normal random weights (seeded), saved to ``path`` (a ``.weights.h5``) for Keras 3 to
    load: the first half of a weights exchange; the snippet runs on both sides."""
    import numpy as np

    scope: dict[str, Any] = {}
    exec(model_code, {"keras": keras}, scope)
    model = scope["build"]()
    model.set_weights([np.random.default_rng(seed + i).normal(size=w.shape).astype("float32")
                       for i, w in enumerate(model.get_weights())])
    model.save_weights(path)
    return model
