"""The training API against real Keras 3 (slow: a Keras child process): the same script, from
the same weights, logs the same keys and values. A loss for one output of two, that batch's
logs from ``train_on_batch``/``test_on_batch``, ``fit`` on a generator, ``predict`` on dict
outputs."""

from __future__ import annotations

import numpy as np
import pytest

SCRIPT = """
inputs = keras.Input(shape=(3,), name="x")
hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(inputs)
first = keras.layers.Dense(1, name="first")(hidden)
second = keras.layers.Dense(1, name="second")(hidden)
model = keras.Model(inputs, [first, second])
model.set_weights([np.asarray(w, "float32") for w in WEIGHTS])
model.compile(optimizer=keras.optimizers.SGD(0.05), loss=[None, "mse"],
              metrics=[["mae"], ["mae"]])
history = model.fit(X, [Y, 2 * Y], batch_size=8, epochs=2, shuffle=False, verbose=0)
batch = model.train_on_batch(X[:8], [Y[:8], 2 * Y[:8]], return_dict=True)
test = model.test_on_batch(X[8:16], [Y[8:16], 2 * Y[8:16]], return_dict=True)


def batches():
    while True:
        for i in range(0, len(X), 8):
            yield X[i:i + 8], (Y[i:i + 8], 2 * Y[i:i + 8])


from_generator = model.fit(batches(), steps_per_epoch=5, epochs=1, verbose=0)
predicted = keras.Model(inputs, {"a": first, "b": second}).predict(X, verbose=0)
RESULT = {
    "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    "batch": {k: float(v) for k, v in batch.items()},
    "test": {k: float(v) for k, v in test.items()},
    "generator": {k: [float(v) for v in vs] for k, vs in from_generator.history.items()},
    "predict": {k: np.asarray(v).tolist() for k, v in predicted.items()},
    "weights": [np.asarray(w).tolist() for w in model.get_weights()],
}
"""


def _inputs():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0], [0.5]], np.float32)).astype(np.float32)
    weights = [rng.normal(scale=0.5, size=s).astype(np.float32)
               for s in [(3, 4), (4,), (4, 1), (1,), (4, 1), (1,)]]
    return x, y, weights


def _assert_close(ours, theirs, path=""):
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs) or sorted(ours) == sorted(theirs), (path, ours, theirs)
        for key in theirs:
            _assert_close(ours[key], theirs[key], f"{path}/{key}")
    elif isinstance(theirs, list) and theirs and isinstance(theirs[0], list):
        assert len(ours) == len(theirs), path
        for index, (a, b) in enumerate(zip(ours, theirs)):
            _assert_close(a, b, f"{path}[{index}]")
    else:
        np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64),
                                   rtol=2e-4, atol=1e-5, err_msg=path)


@pytest.mark.slow
def test_training_api_matches_keras3(keras3):
    x, y, weights = _inputs()
    theirs = keras3(f"X = np.array({x.tolist()}, 'float32')\n"
                    f"Y = np.array({y.tolist()}, 'float32')\n"
                    f"WEIGHTS = {[w.tolist() for w in weights]}\n" + SCRIPT
                    + "\nemit(RESULT)\n")
    import layerkit as keras
    import layerkit.backend as K

    K.clear_session()
    scope = {"keras": keras, "np": np, "X": x, "Y": y, "WEIGHTS": weights}
    exec(SCRIPT, scope)  # noqa: S102 - the script above, as Keras runs it
    ours = scope["RESULT"]
    for part in ("history", "batch", "test", "generator"):
        assert sorted(ours[part]) == sorted(theirs[part]), (part, ours[part], theirs[part])
    _assert_close(ours, theirs)
