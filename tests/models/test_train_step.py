"""Keras 3's overridable steps: ``train_step``/``test_step``/``predict_step``, ``compute_loss``,
``model.metrics``, ``add_loss``-only models, models without targets, batch-level methods.

Each runs on both backends (the ``keras`` fixture); expected values are computed here with
numpy from the model's own weights."""

from __future__ import annotations

import numpy as np
import pytest


def _regression_data(n=40, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def _custom_sgd_model(keras, lr):
    """The Keras 3 guide's pattern: a tracker and a metric as attributes, ``metrics``
    overridden, a hand-written update rule (plain SGD with ``assign_sub``)."""

    class CustomSGD(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="my_loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="my_mae")

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = keras.ops.mean(keras.ops.square(y_pred - y))
            grads = keras.ops.gradients(loss, self.trainable_weights)
            for var, grad in zip(self.trainable_weights, grads):
                var.assign_sub(lr * grad)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"my_loss": self.loss_tracker.result(), "my_mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = keras.Input(shape=(3,))
    return CustomSGD(inputs, keras.layers.Dense(1)(inputs))


def test_overridden_train_step_drives_fit(keras):
    x, y = _regression_data()
    lr, batch = 0.05, 16
    model = _custom_sgd_model(keras, lr)
    model.compile(optimizer="adam")  # the override ignores the compiled optimizer
    w, b = (v.astype(np.float64) for v in model.get_weights())
    epoch_losses, epoch_maes = [], []
    for _ in range(3):  # the override's rule, in numpy: SGD on the mean squared error
        losses, maes, sizes = [], [], []
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            error = xb @ w + b - yb
            losses.append(np.mean(error ** 2))
            maes.append(np.abs(error).sum())
            sizes.append(len(xb))
            grad = 2.0 * error / len(xb)
            w, b = w - lr * xb.T @ grad, b - lr * grad.sum(axis=0)
        epoch_losses.append(np.mean(losses))  # Mean() without weights: the batches' mean
        epoch_maes.append(np.sum(maes) / np.sum(sizes))  # MAE: over the epoch's samples
    history = model.fit(x, y, batch_size=batch, epochs=3, shuffle=False, verbose=0)
    assert list(history.history) == ["my_loss", "my_mae"]
    # Matching each epoch's own mean shows the metrics were reset at every epoch.
    np.testing.assert_allclose(history.history["my_loss"], epoch_losses, rtol=1e-4)
    np.testing.assert_allclose(history.history["my_mae"], epoch_maes, rtol=1e-4)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bias, b, rtol=1e-4, atol=1e-6)
    assert model.optimizer.iterations.numpy() == 0  # the compiled optimizer never ran


def test_guide_style_step_with_compute_loss_and_compiled_metrics(keras):
    """The Keras 3 guide's other pattern: ``compute_loss`` for the compiled loss, the optimizer's
    ``apply``, and a loop over ``self.metrics`` (the loss tracker first): the logs equal those
    of the built-in step."""

    class GuideModel(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = keras.ops.gradients(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _regression_data()
    histories, weights = [], []
    for cls in (GuideModel, keras.Model):
        keras.utils.set_random_seed(3)
        inputs = keras.Input(shape=(3,))
        model = cls(inputs, keras.layers.Dense(1)(inputs))
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        histories.append(model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0))
        weights.append(model.get_weights())
    custom, builtin = (h.history for h in histories)
    assert list(custom) == ["loss", "mae"] == list(builtin)
    for name in custom:
        # The built-in tracker weighs batches by size; all batches here have 8 samples.
        np.testing.assert_allclose(custom[name], builtin[name], rtol=1e-5)
    for got, want in zip(*weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_overridden_test_step_and_predict_step(keras):
    class Scaled(keras.Model):
        def test_step(self, data):
            x, y = data
            error = self(x, training=False) - y
            return {"max_error": keras.ops.max(keras.ops.abs(error))}

        def predict_step(self, data):
            return 2.0 * self(data, training=False)

    x, y = _regression_data()
    inputs = keras.Input(shape=(3,))
    model = Scaled(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    kernel, bias = model.get_weights()
    plain = x @ kernel + bias
    logs = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    assert list(logs) == ["max_error"]
    assert logs["max_error"] == pytest.approx(float(np.abs(plain - y).max()), rel=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), 2.0 * plain, rtol=1e-5, atol=1e-6)


def test_train_step_returning_a_non_dict_is_a_clear_error(keras):
    class Broken(keras.Model):
        def train_step(self, data):
            x, y = data
            return keras.ops.mean(self(x))

    x, y = _regression_data()
    inputs = keras.Input(shape=(3,))
    model = Broken(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    with pytest.raises(TypeError, match=r"Broken.train_step\(\) must return a dict.*Tensor"):
        model.fit(x, y, verbose=0)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


class _ReconstructionLoss:
    """A layer (made per test, on that test's ``keras``) that adds its inputs' mean squared
    difference as a loss and passes the reconstruction through."""

    @staticmethod
    def make(keras):
        class ReconstructionLoss(keras.layers.Layer):
            def call(self, inputs):
                original, reconstruction = inputs
                self.add_loss(keras.ops.mean(keras.ops.square(original - reconstruction)))
                return reconstruction

        return ReconstructionLoss()


def test_add_loss_only_model_trains_without_targets(keras):
    x, _ = _regression_data(n=64)
    inputs = keras.Input(shape=(3,))
    code = keras.layers.Dense(2)(inputs)
    reconstruction = keras.layers.Dense(3)(code)
    outputs = _ReconstructionLoss.make(keras)([inputs, reconstruction])
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.02))  # no loss: the layer adds it
    first = model.evaluate(x, batch_size=64, verbose=0)
    history = model.fit(x, batch_size=16, epochs=20, verbose=0)
    assert list(history.history) == ["loss"]
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    last = model.evaluate(x, batch_size=64, verbose=0)
    assert last < 0.5 * first
    # The logged loss is the layer's: the reconstruction error, recomputed here.
    np.testing.assert_allclose(last, np.mean((x - model.predict(x, verbose=0)) ** 2), rtol=1e-4)


def test_no_loss_at_all_and_a_loss_without_targets_are_clear_errors(keras):
    x, y = _regression_data()
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute for model"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="needs targets, but the data has no y"):
        model.fit(x, verbose=0)


def _two_headed(keras):
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(inputs)
    first = keras.layers.Dense(1, name="first")(hidden)
    second = keras.layers.Dense(1, name="second")(hidden)
    return keras.Model(inputs, [first, second])


@pytest.mark.parametrize("loss", [[None, "mse"], {"second": "mse"}])
def test_a_loss_for_only_some_outputs(keras, loss):
    x, y = _regression_data()
    model = _two_headed(keras)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss, metrics=[["mae"], ["mae"]])
    untouched = model.get_layer("first").get_weights()
    history = model.fit(x, [y, 2 * y], batch_size=8, epochs=2, verbose=0)
    # One loss: no per-output loss tracker (as Keras 3); metrics named by their output.
    assert list(history.history) == ["loss", "first_mae", "second_mae"]
    # No loss reaches the first head, so its weights get no gradient at all.
    for got, want in zip(model.get_layer("first").get_weights(), untouched):
        np.testing.assert_array_equal(got, want)
    first_pred, second_pred = model.predict(x, verbose=0)
    logs = model.evaluate(x, [y, 2 * y], batch_size=len(x), verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(float(np.mean((second_pred - 2 * y) ** 2)), rel=1e-4)
    assert logs["first_mae"] == pytest.approx(float(np.mean(np.abs(first_pred - y))), rel=1e-4)


def _cross_entropy(probabilities, labels):
    rows = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    return float(-np.mean(np.log(np.clip(rows, 1e-7, 1.0))))


def test_train_on_batch_and_test_on_batch_report_that_batch(keras):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    labels = rng.integers(0, 3, size=48)
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    for start in range(0, 48, 16):
        xb, yb = x[start:start + 16], labels[start:start + 16]
        probabilities = model.predict_on_batch(xb)  # the weights before this step
        want_loss = _cross_entropy(probabilities, yb)
        want_accuracy = float(np.mean(probabilities.argmax(axis=1) == yb))
        loss, accuracy = model.train_on_batch(xb, yb)
        assert loss == pytest.approx(want_loss, rel=1e-4)
        assert accuracy == pytest.approx(want_accuracy)
    probabilities = model.predict_on_batch(x[:16])
    logs = model.test_on_batch(x[:16], labels[:16], return_dict=True)
    assert logs["loss"] == pytest.approx(_cross_entropy(probabilities, labels[:16]), rel=1e-4)


def test_predict_returns_a_dict_for_dict_outputs(keras):
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, {"wide": keras.layers.Dense(5)(hidden),
                                 "narrow": keras.layers.Dense(2)(hidden)})
    x, _ = _regression_data(n=10)
    predicted = model.predict(x, batch_size=4, verbose=0)
    assert sorted(predicted) == ["narrow", "wide"]
    assert predicted["wide"].shape == (10, 5) and predicted["narrow"].shape == (10, 2)
    on_batch = model.predict_on_batch(x)
    np.testing.assert_allclose(on_batch["wide"], predicted["wide"], rtol=1e-5, atol=1e-6)


def test_layer_losses_inside_a_step_and_regularizers_outside(keras):
    """``model.losses`` holds the weight penalties everywhere, and inside a step also what
    the layers added in that trace; a custom step that adds them reports the same total as the
    built-in one."""
    seen = {}

    class Probe(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            seen["count"] = len(self.losses)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            return {"loss": loss}

    x, y = _regression_data(n=8)
    inputs = keras.Input(shape=(3,))
    dense = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1),
                               activity_regularizer=keras.regularizers.L1(0.01))
    model = Probe(inputs, dense(inputs))
    model.compile(optimizer="sgd", loss="mse")
    assert len(model.losses) == 1  # outside a trace: the kernel's penalty only
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert seen["count"] == 2  # the penalty and the activity regularizer's loss
    kernel, bias = model.get_weights()
    pred = x @ kernel + bias
    want = np.mean((pred - y) ** 2) + 0.1 * np.sum(kernel ** 2) + 0.01 * np.abs(pred).sum()
    assert logs["loss"] == pytest.approx(float(want), rel=1e-4)


def test_two_writes_to_a_variable_in_one_step_apply_in_order(keras):
    """Two ``assign_sub`` of one variable in a step: the second is computed on the first's
    result (as eager code would), not both on the value from before the step."""

    class TwiceSGD(keras.Model):
        def train_step(self, data):
            x, y = data
            loss = keras.ops.mean(keras.ops.square(self(x, training=True) - y))
            grads = keras.ops.gradients(loss, self.trainable_weights)
            for _ in range(2):
                for var, grad in zip(self.trainable_weights, grads):
                    var.assign_sub(0.1 * grad)
            return {"loss": loss}

    x, y = _regression_data(n=8)
    inputs = keras.Input(shape=(3,))
    model = TwiceSGD(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    kernel, bias = (v.astype(np.float64) for v in model.get_weights())
    error = x @ kernel + bias - y
    grad = 2.0 * error / len(x)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.2 * x.T @ grad, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - 0.2 * grad.sum(axis=0), rtol=1e-5, atol=1e-6)
