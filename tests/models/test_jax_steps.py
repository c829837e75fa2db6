"""Keras 3's JAX-style step overrides (``train_step(self, state, data) -> (logs, state)``),
the pattern of Keras's "customizing fit() with JAX" guide: ``fit``, ``evaluate`` and
``predict`` jit them and keep their state, on either backend (they compute with JAX)."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")


def _guide_model_class(keras):
    """The guide's model, as written there."""

    class CustomModel(keras.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y,
                                     training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training)
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            (trainable_variables, non_trainable_variables, optimizer_variables,
             metrics_variables) = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables,
                     new_metrics_vars)
            return logs, state

        def test_step(self, state, data):
            trainable_variables, non_trainable_variables, metrics_variables = state
            x, y = data
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False)
            error = keras.ops.max(keras.ops.abs(y_pred - y))
            return {"max_error": error}, (trainable_variables, non_trainable_variables,
                                          metrics_variables)

        def predict_step(self, state, data):
            trainable_variables, non_trainable_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, data, training=False)
            return 10.0 * y_pred, non_trainable_variables

    return CustomModel


def _build(keras, cls):
    keras.utils.set_random_seed(2)
    inputs = keras.Input(shape=(5,))
    model = cls(inputs, keras.layers.Dense(1)(keras.layers.Dense(4, activation="relu")(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def test_the_guides_jax_train_step_trains_as_the_built_in_step(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    custom = _build(keras, _guide_model_class(keras))
    builtin = _build(keras, keras.Model)
    ours = custom.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    theirs = builtin.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert list(ours) == ["loss", "mae"]
    # equal batches: the guide's unweighted loss mean is the built-in weighted one
    for name in ("loss", "mae"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5)
    for got, want in zip(custom.get_weights(), builtin.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert int(custom.optimizer.iterations.numpy()) == 12  # the state came back to the model
    logs = custom.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    plain = builtin.predict(x, verbose=0)
    assert logs == {"max_error": pytest.approx(float(np.abs(plain - y).max()), rel=1e-5)}
    np.testing.assert_allclose(custom.predict(x, batch_size=32, verbose=0), 10.0 * plain,
                               rtol=1e-5, atol=1e-5)


def test_weight_penalties_join_a_jax_style_loss(keras):
    """``compute_loss`` on traced values adds the weight penalties of the stored weights, as
    Keras 3 does outside a stateless scope (no gradient reaches them there)."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input(shape=(5,))
    dense = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1))
    model = _guide_model_class(keras)(inputs, dense(inputs))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    x = rng.random((32, 5), dtype=np.float32)
    y = rng.random((32, 1), dtype=np.float32)
    kernel, bias = model.get_weights()
    want = np.mean((x @ kernel + bias - y) ** 2) + 0.1 * np.sum(kernel ** 2)
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history
    assert history["loss"][0] == pytest.approx(float(want), rel=1e-5)
