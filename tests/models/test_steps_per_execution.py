"""``compile(steps_per_execution=N)``: N batches per program call give the same training as one
batch per call, on both backends, and the batch hooks see one call per execution."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.backend as K
from layerkit import utils
from tests.models.test_training import _digits, _mlp


def _train(keras, steps_per_execution, epochs=2, **fit_args):
    """Weights, history, evaluation and predictions of a fixed run (dropout included, so the
    per-step seeds must match too)."""
    K.clear_session()
    utils.set_random_seed(3)
    x, y, x_test, y_test = _digits()
    model = _mlp(keras, dropout=0.2)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    history = model.fit(x[:300], y[:300], batch_size=32, epochs=epochs, verbose=0,
                        validation_split=0.2, **fit_args)
    evaluation = model.evaluate(x_test[:150], y_test[:150], batch_size=16, verbose=0)
    predictions = model.predict(x_test[:70], batch_size=16, verbose=0)
    return model.get_weights(), history.history, evaluation, predictions


def test_several_steps_per_call_train_as_one_step_per_call(keras):
    # 240 training samples in batches of 32: 7 full batches and one of 16, so a call of 4,
    # then 3 calls of one batch (a 3-step program would compile anew), and the short batch
    # alone; 60 validation samples likewise.
    weights1, history1, eval1, pred1 = _train(keras, 1)
    weights4, history4, eval4, pred4 = _train(keras, 4)
    for a, b in zip(weights1, weights4):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert history1.keys() == history4.keys()
    for key in history1:
        np.testing.assert_allclose(history1[key], history4[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eval1, eval4, rtol=1e-5, atol=1e-6)
    assert pred4.shape == pred1.shape == (70, 10)
    np.testing.assert_allclose(pred1, pred4, rtol=1e-5, atol=1e-6)


def test_batch_hooks_run_once_per_call_with_its_last_batch(keras):
    seen = []
    hook = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(("begin", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("end", batch, sorted(logs))))
    x, y, _, _ = _digits()
    model = _mlp(keras)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=3)
    model.fit(x[:256], y[:256], batch_size=32, epochs=1, verbose=0, callbacks=[hook])
    # 8 batches: calls of batches 0-2 and 3-5, then 6 and 7 one at a time.
    names = ["accuracy", "loss"]
    assert seen == [("begin", 0), ("end", 2, names), ("begin", 3), ("end", 5, names),
                    ("begin", 6), ("end", 6, names), ("begin", 7), ("end", 7, names)]


def test_the_progress_bar_counts_every_batch(keras, capsys):
    x, y, _, _ = _digits()
    model = _mlp(keras)
    model.compile("sgd", "sparse_categorical_crossentropy", steps_per_execution=4)
    model.fit(x[:320], y[:320], batch_size=32, epochs=1, verbose=1)
    assert "10/10" in capsys.readouterr().err


def test_steps_per_epoch_limits_the_batches_run(keras):
    x, y, _, _ = _digits()
    model = _mlp(keras)
    model.compile("sgd", "sparse_categorical_crossentropy", steps_per_execution=4)
    model.fit(x[:640], y[:640], batch_size=32, epochs=1, verbose=0, steps_per_epoch=6)
    assert int(K.get_session().run(model.optimizer.iterations)) == 6


def test_jax_compiles_one_program_per_call_length():
    import layerkit
    import layerkit_backend

    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend("jax")
    try:
        K.clear_session()
        x, y, _, _ = _digits()
        model = _mlp(layerkit)
        model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=4)
        jax_backend = layerkit_backend.get_backend("jax")
        before = jax_backend.compilations
        # 10 batches of 32 and one of 8 per epoch: calls of 4 and 4, then 2 calls of one
        # batch of 32 and one of the short batch: programs of 4 steps and of one (two shapes).
        model.fit(x[:328], y[:328], batch_size=32, epochs=3, verbose=0)
        assert jax_backend.compilations - before == 3
    finally:
        layerkit_backend.set_backend(previous)
        K.clear_session()


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "4"])
def test_a_bad_steps_per_execution_is_refused(keras, value):
    model = _mlp(keras)
    with pytest.raises(ValueError, match=r"steps_per_execution=\.\.\.\) must be a positive int"):
        model.compile("sgd", "mse", steps_per_execution=value)
