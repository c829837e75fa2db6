"""Every example under ``examples/`` runs as a script, in its fast mode, and shows a real result.

Each example runs in a child process (as a user would run it: ``python examples/<name>.py
--backend ... --fast``), in a temporary working folder. Each runs on one backend in the fast
suite and on the other in the slow one (``pytest -m slow``), so CI covers both; the jax runs are
the slow ones where compiling costs seconds. ``OPENBLAS_NUM_THREADS=1``: on a busy 2-core
machine OpenBLAS's spinning threads make the numpy backend up to 20x slower.

The TensorFlow 1 lecture examples are checked line by line in ``tests/compat/v1/``, the Keras
quickstart and the callbacks example in their own files here; ``test_every_example_is_tested``
keeps that list complete.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FAST, SLOW = "numpy", pytest.param("jax", marks=pytest.mark.slow)
JAX_FAST, NUMPY_SLOW = "jax", pytest.param("numpy", marks=pytest.mark.slow)


def run_example(name: str, backend: str, *args: str, cwd: Path, prelude: str = "",
                timeout: int = 300) -> str:
    """Run ``examples/<name>.py --backend <backend> <args>`` in ``cwd``; return its stdout.
    ``prelude``: Python run first in the child (to hide a module, say)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    env.pop("LAYERKIT_BACKEND", None)
    script = str(EXAMPLES / f"{name}.py")
    argv = [script, "--backend", backend, *args]
    if prelude:
        command = [sys.executable, "-c", f"{prelude}\nimport runpy, sys\nsys.argv = {argv!r}\n"
                   f"runpy.run_path({script!r}, run_name='__main__')"]
    else:
        command = [sys.executable, *argv]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"no match for {pattern!r} in:\n{text[-2000:]}"
    return float(found.group(1))


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_cnn_digits(backend, tmp_path):
    out = run_example("cnn_digits", backend, "--fast", cwd=tmp_path)
    assert 'Model: "digits_cnn"' in out and "batch_normalization" in out
    assert number(r"CNN test accuracy: ([0-9.]+)", out) >= 0.95
    rows = re.findall(r"^  (\d): ((?: +\d+){10})$", out, flags=re.M)
    assert [int(digit) for digit, _ in rows] == list(range(10))
    matrix = [[int(v) for v in row.split()] for _, row in rows]
    assert sum(map(sum, matrix)) == 359  # every test image (the digits split holds 359), once
    assert sum(matrix[i][i] for i in range(10)) / 359 == pytest.approx(
        number(r"CNN test accuracy: ([0-9.]+)", out), abs=1e-3)


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_rnn_sequences(backend, tmp_path):
    out = run_example("rnn_sequences", backend, "--fast", cwd=tmp_path)
    assert "lstm (LSTM)" in out and "gru (GRU)" in out
    assert number(r"LSTM digits test accuracy: ([0-9.]+)", out) >= 0.8
    # The order task is at chance without the order, and solved with a GRU.
    assert number(r"bag-of-words baseline test accuracy: ([0-9.]+)", out) <= 0.65
    assert number(r"GRU order-task test accuracy: ([0-9.]+)", out) >= 0.95


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_functional_two_inputs(backend, tmp_path):
    out = run_example("functional_two_inputs", backend, "--fast", cwd=tmp_path)
    assert "left (InputLayer)" in out and "right (InputLayer)" in out
    assert "encoder (Sequential)" in out  # one encoder, shared by both inputs
    assert number(r"sum accuracy: ([0-9.]+)", out) >= 0.75  # chance: about 0.1
    assert number(r"same accuracy: ([0-9.]+)", out) >= 0.85  # chance: 0.5
    assert len(re.findall(r"predicted sum \d+, same digit [0-9.]+", out)) == 5


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_resume_training_matches_an_uninterrupted_run(backend, tmp_path):
    out = run_example("resume_training", backend, "--fast", "--out", str(tmp_path / "ckpt"),
                      cwd=tmp_path)
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["ckpt-01.h5", "ckpt-02.h5"]
    assert "ckpt-02.h5 holds 2 epochs; training epochs 3-4" in out
    assert "optimizer steps restored: 90" in out  # 2 epochs of 45 batches: Adam's step count
    assert "Epoch 3/4" in out and "Epoch 1/2" in out
    assert number(r"resumed vs uninterrupted: ([0-9.e+-]+)", out) <= 1e-5
    resumed = number(r"test accuracy: resumed ([0-9.]+)", out)
    assert resumed == number(r"uninterrupted ([0-9.]+)", out) and resumed >= 0.9


def _custom_objects_results(out: str) -> dict:
    accuracy = number(r"test accuracy: ([0-9.]+)", out)
    correct = number(r"correct predictions \(custom metric\): (\d+) of", out)
    assert correct == number(r"accuracy x count: (\d+)", out)  # the metric counts with ==
    seen = number(r"samples seen by SeenCounter: (\d+)", out)
    assert seen == number(r"epochs x train size: (\d+)", out)  # assign_add in call applied
    return {"accuracy": accuracy, "correct": correct}


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_keras3_custom_objects_train(backend, tmp_path):
    out = run_example("keras3_custom_objects", backend, "--fast", cwd=tmp_path)
    assert _custom_objects_results(out)["accuracy"] >= 0.93
    assert "an Antirectifier called on an array returns EagerArray of shape (5, 8)" in out


@pytest.mark.slow
def test_keras3_custom_objects_match_real_keras(tmp_path):
    """The same script on real Keras 3 (jax) and on layerkit: accuracies within run-to-run
    noise of each other (a few test samples of 359)."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras 3 is not installed (it comes with the test extra)")
    theirs = _custom_objects_results(run_example("keras3_custom_objects", "jax", "--fast",
                                                 "--keras", cwd=tmp_path))
    ours = _custom_objects_results(run_example("keras3_custom_objects", "jax", "--fast",
                                               cwd=tmp_path))
    assert abs(theirs["accuracy"] - ours["accuracy"]) <= 0.03, (theirs, ours)


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_custom_layer_saves_and_loads_with_custom_objects(backend, tmp_path):
    out = run_example("custom_layer", backend, "--fast", "--out", str(tmp_path / "saved"),
                      cwd=tmp_path)
    assert "scaled_dense (ScaledDense)" in out and "2,112" in out  # 64*32 kernel + 32 + 32
    assert "'scaled_dense/scale (32,)'" in out
    refused = re.search(r"load_model without custom_objects: refused \((.*)\)", out)
    assert refused and "Unknown layer class 'ScaledDense'" in refused.group(1), out
    assert "custom_mlp.h5" in refused.group(1)  # the error names the file
    assert "reloaded with custom_objects: layer ScaledDense, same predictions: True" in out
    accuracy = number(r"\ntest accuracy: ([0-9.]+)", out)
    assert accuracy >= 0.9
    assert number(r"same predictions: True, test accuracy ([0-9.]+)", out) == accuracy
    assert (tmp_path / "saved" / "custom_mlp.h5").is_file()


@pytest.mark.parametrize("backend", [JAX_FAST, NUMPY_SLOW])
def test_custom_training_loop_learns(backend, tmp_path):
    out = run_example("custom_training_loop", backend, "--fast", cwd=tmp_path)
    losses = [float(v) for v in re.findall(r"epoch \d+  loss ([0-9.]+)", out)]
    assert len(losses) == 4 and losses == sorted(losses, reverse=True)
    assert losses[-1] < losses[0] / 3
    assert "(optimizer steps: 180)" in out  # 4 epochs of 45 batches, one update each
    assert number(r"test accuracy: ([0-9.]+)", out) >= 0.93


def _jax_train_step_results(out: str) -> dict:
    assert "history keys: accuracy, loss, val_accuracy, val_loss" in out
    assert "optimizer steps: 180" in out  # 4 epochs of 45 batches: the state came back
    losses = [float(v) for v in re.search(r"training loss per epoch: ([0-9., ]+)\n",
                                          out).group(1).split(", ")]
    assert len(losses) == 4 and losses == sorted(losses, reverse=True)
    return {"accuracy": number(r"test accuracy: ([0-9.]+)", out), "losses": losses}


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_keras3_jax_train_step_runs_unchanged(backend, tmp_path):
    out = run_example("keras3_jax_train_step", backend, "--fast", cwd=tmp_path)
    assert _jax_train_step_results(out)["accuracy"] >= 0.9


@pytest.mark.slow
def test_keras3_jax_train_step_matches_real_keras(tmp_path):
    """The same script on real Keras 3 (jax): the loss curves and test accuracies agree within
    run-to-run noise (Keras 3 draws its own initial weights and batch order)."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras 3 is not installed (it comes with the test extra)")
    theirs = _jax_train_step_results(run_example("keras3_jax_train_step", "jax", "--fast",
                                                 "--keras", cwd=tmp_path))
    ours = _jax_train_step_results(run_example("keras3_jax_train_step", "jax", "--fast",
                                               cwd=tmp_path))
    assert abs(theirs["accuracy"] - ours["accuracy"]) <= 0.03, (theirs, ours)
    for a, b in zip(theirs["losses"], ours["losses"]):
        assert abs(a - b) <= 0.1 * a, (theirs, ours)


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_custom_train_step_matches_the_built_in_step(backend, tmp_path):
    out = run_example("custom_train_step", backend, "--fast", cwd=tmp_path)
    assert "history keys: loss, accuracy, val_loss, val_accuracy" in out
    assert number(r"history differs by ([0-9.e+-]+)", out) <= 1e-5
    assert number(r"weights by ([0-9.e+-]+)", out) <= 1e-5
    assert number(r"\ntest accuracy: ([0-9.]+)", out) >= 0.93
    entropies = re.search(r"entropy per epoch ([0-9., ]+)\n", out).group(1).split(", ")
    assert len(entropies) == 3  # the model's own tracker, reset at each epoch: it falls
    assert [float(e) for e in entropies] == sorted(map(float, entropies), reverse=True)
    assert number(r"confidence penalty test accuracy: ([0-9.]+)", out) >= 0.85


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_plot_training_curves_writes_a_png(backend, tmp_path):
    pytest.importorskip("matplotlib")
    out = run_example("plot_training_curves", backend, "--fast", "--out", "plots/curves.png",
                      cwd=tmp_path)
    png = tmp_path / "plots" / "curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert "wrote plots/curves.png" in out and "best epoch:" in out


def test_plot_training_curves_without_matplotlib_says_so_and_exits_0(tmp_path):
    out = run_example("plot_training_curves", "numpy", "--fast", "--epochs", "2",
                      cwd=tmp_path, prelude="import sys; sys.modules['matplotlib'] = None")
    assert "matplotlib is not installed" in out and "pip install matplotlib" in out
    assert not list(tmp_path.rglob("*.png"))


@pytest.mark.parametrize("backend", [FAST, SLOW])
def test_callbacks_example_with_tensorboard(backend, tmp_path):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = run_example("callbacks_and_checkpoints", backend, "--fast", "--tensorboard",
                      "--verbose", "0", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert "TensorBoard:         tensorboard --logdir" in out
    epochs = int(number(r"epochs run: +(\d+) of at most 12", out))
    assert number(r"test accuracy: +([0-9.]+) \(checkpoints/best.h5", out) >= 0.95
    train = EventAccumulator(str(tmp_path / "run" / "logs" / "train"))
    train.Reload()
    assert "epoch_loss" in train.Tags()["scalars"]
    # The crash at epoch 3 happened before epoch 3 logged anything, so each epoch is there once
    # (epochs 1-2 from the first fit, the rest from the resumed one).
    assert [e.step for e in train.Scalars("epoch_loss")] == list(range(epochs))
    validation = EventAccumulator(str(tmp_path / "run" / "logs" / "validation"))
    validation.Reload()
    assert "epoch_loss" in validation.Tags()["scalars"]


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_tf1_graph_basics_prints_the_notes_results(backend, tmp_path):
    out = run_example("tf1_graph_basics", backend, cwd=tmp_path).splitlines()
    assert out == [
        "<Tensor 'Placeholder:0' shape=(None, 10) dtype=float32>",
        "<Variable 'W:0' shape=(10, 20) dtype=float32>",
        "<Variable 'W_1:0' shape=(10, 20) dtype=float32>",
        "<Tensor 'Const:0' shape=(4, 4) dtype=float64>",
        "True",
        "['Const', 'Const_1', 'multiply']",
        "(<Tensor 'Const:0' shape=() dtype=float32>,)",
        "30.0",  # the notes' s.run(c), c = a * b
        "before initialization: FailedPreconditionError",
        "(10, 20)",
        "['W:0']",
        "[-38.2 -38.2]",  # d/dW (20 - x.W)^2 = -2 (20 - 0.9) x
        "[0.2 0.7]",  # compute_gradients changes nothing
        "[4.02 4.52]",  # one step of 0.1: W + 3.82
    ]


# -- the documentation's code ----------------------------------------------------------------------
DOC_RUNNER = """
import re, sys
page = open(sys.argv[1]).read()
namespace = {"__name__": "__main__"}
for i, block in enumerate(re.findall(r"```python\\n(.*?)```", page, flags=re.S)):
    if block.startswith("# layerkit_backend/"):  # an excerpt of the source, not a snippet
        continue
    exec(compile(block, f"{sys.argv[1]}, block {i + 1}", "exec"), namespace)
print("ran", i + 1, "blocks")
"""


@pytest.mark.parametrize("page", ["concepts.md", "guide.md"])
def test_the_code_on_a_docs_page_runs_in_order(page, tmp_path):
    """The snippets of these pages run as one script (on numpy), and print what they say."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "LAYERKIT_BACKEND": "numpy"}
    done = subprocess.run([sys.executable, "-c", DOC_RUNNER, str(ROOT / "docs" / page)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ran" in done.stdout
    text = (ROOT / "docs" / page).read_text()
    for comment in re.findall(r"print\(.*\)\s+# (\S.*)", text):  # "print(...)  # 9.0"
        if re.fullmatch(r"[0-9. ()',]+", comment):  # printed values given exactly
            assert comment in done.stdout, f"{page}: {comment!r} not printed"


# Examples checked elsewhere: the lecture ones line by line in tests/compat/v1/test_examples.py,
# and two with test files of their own here.
CHECKED_ELSEWHERE = {
    "tf1_first_steps", "tf1_training_w", "tf1_x_squared", "tf1_linear_regression",
    "tf1_digits_mlp", "keras_quickstart", "callbacks_and_checkpoints",
}


def test_every_example_is_tested_and_takes_a_backend():
    """Each example under examples/ takes ``--backend`` and is run by some test."""
    this_file = Path(__file__).read_text()
    untested, no_backend = [], []
    for path in sorted(EXAMPLES.glob("*.py")):
        source = path.read_text()
        if '"--backend"' not in source:
            no_backend.append(path.name)
        if path.stem not in CHECKED_ELSEWHERE and f'run_example("{path.stem}"' not in this_file:
            untested.append(path.name)
    assert not untested, f"examples without a test: {untested}"
    assert not no_backend, f"examples without --backend: {no_backend}"
    elsewhere = "".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py")
                        if p.name != "test_examples.py" or p.parent.name != "examples")
    for stem in CHECKED_ELSEWHERE:
        assert f"{stem}.py" in elsewhere, f"{stem}.py is not run by any test"
