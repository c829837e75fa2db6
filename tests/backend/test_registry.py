"""Choosing the backend: set_backend > LAYERKIT_BACKEND > config file > default (jax, falling back
to numpy with a notice), and ``python -m layerkit_backend``.

The choice is made once per process, so each scenario runs in a fresh subprocess with its own
environment; ``LAYERKIT_HOME`` points the config file at a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import layerkit_backend

ROOT = Path(__file__).resolve().parents[2]
CHOICE = "import layerkit_backend as b; name, how = b.backend_choice(); print(name); print(how)"


def _run(tmp_path: Path, code: str, env: dict[str, str] | None = None,
         config: dict | str | None = None, module: bool = False,
         first_on_path: str | None = None) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        (home / "layerkit.json").write_text(text)
    environ = {k: v for k, v in os.environ.items()
               if k not in ("LAYERKIT_BACKEND", "LAYERKIT_HOME", "LAYERKIT_DEVICE")}
    environ["LAYERKIT_HOME"] = str(home)
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (first_on_path, str(ROOT)) if p)
    environ.update(env or {})
    argv = [sys.executable, "-m", "layerkit_backend"] if module else [sys.executable, "-c", code]
    return subprocess.run(argv, capture_output=True, text=True, env=environ, cwd=tmp_path,
                          timeout=120)


def _choice(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_default_is_jax(tmp_path):
    pytest.importorskip("jax")
    assert _choice(_run(tmp_path, CHOICE)) == ["jax", "default"]


def test_environment_variable(tmp_path):
    result = _run(tmp_path, CHOICE, env={"LAYERKIT_BACKEND": " NumPy "})
    assert _choice(result) == ["numpy", "LAYERKIT_BACKEND environment variable"]


def test_config_file(tmp_path):
    name, how = _choice(_run(tmp_path, CHOICE, config={"backend": "numpy", "floatx": "float32"}))
    assert name == "numpy"
    assert how == f"config file {tmp_path / 'home' / 'layerkit.json'}"


def test_config_file_without_a_backend_key_leaves_the_default(tmp_path):
    pytest.importorskip("jax")
    assert _choice(_run(tmp_path, CHOICE, config={"epsilon": 1e-7})) == ["jax", "default"]


def test_precedence(tmp_path):
    pytest.importorskip("jax")
    # The environment variable beats the config file...
    result = _run(tmp_path, CHOICE, env={"LAYERKIT_BACKEND": "jax"}, config={"backend": "numpy"})
    assert _choice(result)[0] == "jax"
    # ...and set_backend beats both.
    code = "import layerkit_backend as b; b.set_backend('numpy'); " + CHOICE.split("; ", 1)[1]
    result = _run(tmp_path, code, env={"LAYERKIT_BACKEND": "jax"}, config={"backend": "jax"})
    assert _choice(result) == ["numpy", "set_backend()"]


@pytest.mark.parametrize("env, config, message", [
    ({"LAYERKIT_BACKEND": "torch"}, None, "LAYERKIT_BACKEND='torch' is not a backend"),
    ({}, {"backend": "tensorflow"}, "backend 'tensorflow' is not a backend"),
    ({}, "{not json", "is not valid JSON"),
])
def test_bad_choices_are_clear_errors(tmp_path, env, config, message):
    result = _run(tmp_path, CHOICE, env=env, config=config)
    assert result.returncode != 0
    assert message in result.stderr
    assert "numpy, jax" in result.stderr or "JSON" in message


def test_unknown_name_in_process():
    with pytest.raises(ValueError, match="Unknown backend 'torch'; available backends: numpy, jax"):
        layerkit_backend.set_backend("torch")
    assert set(layerkit_backend.available_backends()) == {"numpy", "jax"}


def test_set_and_get_backend_in_process():
    previous = layerkit_backend.backend().name
    try:
        assert layerkit_backend.set_backend("numpy").name == "numpy"
        assert layerkit_backend.backend().name == "numpy"
        assert layerkit_backend.backend_choice() == ("numpy", "set_backend()")
        assert layerkit_backend.get_backend("numpy") is layerkit_backend.backend()
    finally:
        layerkit_backend.set_backend(previous)


def _broken_jax(tmp_path: Path) -> str:
    """A directory whose ``jax`` package fails to import, to put first on the path."""
    fake = tmp_path / "fake"
    (fake / "jax").mkdir(parents=True)
    (fake / "jax" / "__init__.py").write_text("raise ImportError('No module named jaxlib')\n")
    return str(fake)


def test_falls_back_to_numpy_with_a_notice_when_jax_is_missing(tmp_path):
    result = _run(tmp_path, CHOICE, first_on_path=_broken_jax(tmp_path))
    assert _choice(result) == ["numpy", "default (jax unavailable)"]
    notice = result.stderr.strip().splitlines()
    assert notice == ["layerkit: the jax backend is unavailable (No module named jaxlib); using "
                      "the numpy backend"]


def test_an_explicit_jax_choice_does_not_fall_back(tmp_path):
    result = _run(tmp_path, CHOICE, env={"LAYERKIT_BACKEND": "jax"},
                  first_on_path=_broken_jax(tmp_path))
    assert result.returncode != 0
    assert "ImportError: No module named jaxlib" in result.stderr


def test_the_numpy_backend_runs_without_jax(tmp_path):
    code = ("import layerkit.graph as lk; x = lk.placeholder('float32', (2,)); "
            "print(lk.Session().run(x * 2.0, {x: [1.0, 2.0]}))")
    result = _run(tmp_path, code, first_on_path=_broken_jax(tmp_path))
    assert _choice(result) == ["[2. 4.]"]


def test_module_report(tmp_path):
    pytest.importorskip("jax")
    lines = _choice(_run(tmp_path, "", module=True, env={"LAYERKIT_BACKEND": "jax"}))
    text = "\n".join(lines)
    assert lines[0] == "backend: jax (chosen by LAYERKIT_BACKEND environment variable)"
    for label in ("config file:", "numpy: ", "jax: ", "jaxlib: ", "jax devices: "):
        assert label in text
    import jax

    assert f"jax: {jax.__version__}" in lines


def test_module_report_without_jax(tmp_path):
    result = _run(tmp_path, "", module=True, first_on_path=_broken_jax(tmp_path))
    lines = _choice(result)
    assert lines[0] == "backend: numpy (chosen by default (jax unavailable))"
    assert any(line.startswith("jax: unavailable") for line in lines)
