"""Files cross between layerkit and real Keras 3 (jax backend) in both directions: an ``.h5``
or ``.weights.h5`` written by one loads into the other with the same predictions, compile
arguments and optimizer state. Keras runs in a child process (see tests/keras3.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

# Each architecture is written once and built by both sides from this source: `L` is the
# layers module and `Input`/`Model`/`Sequential` come from the framework in use.
ARCHITECTURES = {
    "mlp": """
Sequential([Input((12,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
            L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")])
""",
    "cnn": """
Sequential([Input((10, 10, 2)), L.Conv2D(4, 3, padding="same", activation="relu"),
            L.BatchNormalization(), L.MaxPooling2D(2), L.Conv2D(3, (2, 2), strides=2),
            L.AveragePooling2D(2), L.Flatten(), L.Dense(3, activation="softmax")])
""",
    "rnn": """
(lambda seq, ids: Model([seq, ids], L.Dense(3, activation="softmax", name="out")(
    L.Concatenate()([
        L.GRU(4)(L.LSTM(5, return_sequences=True)(L.Conv1D(4, 3, padding="causal")(seq))),
        L.SimpleRNN(3)(L.Embedding(20, 4)(ids)),
        L.GlobalAveragePooling1D()(L.LayerNormalization()(seq)),
    ]))))(Input((7, 3), name="seq"), Input((6,), name="ids", dtype="int32"))
""",
}
SEED = 3


def _inputs(name: str) -> list[np.ndarray]:
    rng = np.random.default_rng(SEED)
    if name == "mlp":
        return [rng.random((20, 12), dtype=np.float32)]
    if name == "cnn":
        return [rng.random((20, 10, 10, 2), dtype=np.float32)]
    return [rng.random((20, 7, 3), dtype=np.float32), rng.integers(0, 20, (20, 6), dtype=np.int32)]


def _targets() -> np.ndarray:
    return np.random.default_rng(SEED + 1).integers(0, 3, 20)


def _save_arrays(folder, name: str) -> None:
    for i, x in enumerate(_inputs(name)):
        np.save(folder / f"{name}_x{i}.npy", x)
    np.save(folder / "y.npy", _targets())


KERAS_WRITES = """
import pathlib
L, Input, Model, Sequential = keras.layers, keras.Input, keras.Model, keras.Sequential
keras.utils.set_random_seed(0)
folder = pathlib.Path(".")
out = {}
for name, source in ARCHITECTURES.items():
    model = eval(source)
    xs = [np.load(p) for p in sorted(folder.glob(f"{name}_x*.npy"))]
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=LOSS, metrics=["accuracy"])
    model.fit(xs if len(xs) > 1 else xs[0], np.load("y.npy"), epochs=2, batch_size=8,
              verbose=0)
    model.save(f"keras_{name}.h5")
    model.save_weights(f"keras_{name}.weights.h5")
    np.save(f"keras_{name}_pred.npy", model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
    out[name] = [int(model.optimizer.iterations.numpy()),
                 float(model.evaluate(xs if len(xs) > 1 else xs[0], np.load("y.npy"),
                                      verbose=0, return_dict=True)["loss"])]
emit(out)
"""

KERAS_READS = """
import pathlib
out = {}
for name in NAMES:
    xs = [np.load(p) for p in sorted(pathlib.Path(".").glob(f"{name}_x*.npy"))]
    x = xs if len(xs) > 1 else xs[0]
    model = keras.models.load_model(f"lk_{name}.h5")
    pred = model.predict(x, verbose=0)
    same = keras.models.model_from_json(model.to_json())
    same.load_weights(f"lk_{name}.weights.h5")
    legacy = keras.models.model_from_json(model.to_json())
    legacy.load_weights(f"lk_{name}_w.h5")
    loss = model.evaluate(x, np.load("y.npy"), verbose=0, return_dict=True)["loss"]
    # (No fit here: Keras 3.15.1 on jax cannot train any model it loaded from a legacy .h5,
    # its own files included: "the optimizer was built with 0 variables".)
    out[name] = {
        "pred_err": float(np.abs(pred - np.load(f"lk_{name}_pred.npy")).max()),
        "weights_h5_err": float(np.abs(same.predict(x, verbose=0) - pred).max()),
        "legacy_weights_err": float(np.abs(legacy.predict(x, verbose=0) - pred).max()),
        "iterations": int(model.optimizer.iterations.numpy()),
        "optimizer": type(model.optimizer).__name__,
        "loss": float(loss),
        "slots": [float(np.abs(np.asarray(v)).sum()) for v in model.optimizer.variables[2:]],
    }
emit(out)
"""


def _program(template: str, **values) -> str:
    header = "".join(f"{k} = {v!r}\n" for k, v in values.items())
    return header + template


@pytest.fixture(scope="module")
def keras_files(keras3, tmp_path_factory):
    """Models trained and saved by Keras 3, with their predictions."""
    folder = tmp_path_factory.mktemp("keras_written")
    for name in ARCHITECTURES:
        _save_arrays(folder, name)
    summary = keras3(_program(KERAS_WRITES, ARCHITECTURES=ARCHITECTURES,
                              LOSS="sparse_categorical_crossentropy"), cwd=folder)
    return folder, summary


def _x(folder, name):
    xs = [np.load(p) for p in sorted(folder.glob(f"{name}_x*.npy"))]
    return xs if len(xs) > 1 else xs[0]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_keras_h5_loads_into_layerkit(keras, keras_files, name):
    folder, summary = keras_files
    x = _x(folder, name)
    model = keras.models.load_model(folder / f"keras_{name}.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.load(folder / f"keras_{name}_pred.npy"), atol=2e-5)
    iterations, loss = summary[name]
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations.numpy()) == iterations
    assert model.evaluate(x, np.load(folder / "y.npy"), verbose=0,
                          return_dict=True)["loss"] == pytest.approx(loss, rel=1e-4)
    model.fit(x, np.load(folder / "y.npy"), epochs=1, batch_size=8, verbose=0)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_keras_weights_h5_loads_into_layerkit(keras, keras_files, name):
    folder, _ = keras_files
    x = _x(folder, name)
    model = _build(keras, name)
    model.load_weights(folder / f"keras_{name}.weights.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.load(folder / f"keras_{name}_pred.npy"), atol=2e-5)


def _build(keras, name):
    namespace = {"L": keras.layers, "Input": keras.Input, "Model": keras.Model,
                 "Sequential": keras.Sequential}
    return eval(ARCHITECTURES[name], namespace)  # our own source text, not a file's


def test_layerkit_files_load_into_keras(keras, keras3, tmp_path):
    y = _targets()
    for name in ARCHITECTURES:
        _save_arrays(tmp_path, name)
        x = _x(tmp_path, name)
        model = _build(keras, name)
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        model.save(tmp_path / f"lk_{name}.h5")
        model.save_weights(tmp_path / f"lk_{name}.weights.h5")
        model.save_weights(tmp_path / f"lk_{name}_w.h5")
        np.save(tmp_path / f"lk_{name}_pred.npy", model.predict(x, verbose=0))
    report = keras3(_program(KERAS_READS, NAMES=list(ARCHITECTURES)), cwd=tmp_path)
    for name in ARCHITECTURES:
        got = report[name]
        assert got["pred_err"] < 2e-5, (name, got)
        assert got["weights_h5_err"] == 0.0 and got["legacy_weights_err"] == 0.0, (name, got)
        assert got["optimizer"] == "Adam" and got["iterations"] == 6, (name, got)
        # The moments came across (a fresh optimizer would hold zeros).
        assert all(total > 0 for total in got["slots"]), (name, got)


def test_keras_mse_model_reloads_compiled(keras, keras3, tmp_path):
    """Keras 3.15 cannot reload its own .h5 compiled with loss="mse"; layerkit can."""
    keras3("""
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
m.fit(np.ones((8, 3)), np.zeros((8, 2)), verbose=0)
m.save("mse.h5")
emit(m.evaluate(np.ones((8, 3)), np.zeros((8, 2)), verbose=0, return_dict=True))
""", cwd=tmp_path)
    model = keras.models.load_model(tmp_path / "mse.h5")
    logs = model.evaluate(np.ones((8, 3)), np.zeros((8, 2)), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}
