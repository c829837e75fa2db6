"""Keras 3's "customizing what happens in fit() with JAX" pattern, unchanged, on the digits.

    python examples/keras3_jax_train_step.py [--backend numpy|jax] [--epochs 10] [--fast]
    python examples/keras3_jax_train_step.py --keras   # the same script on real Keras 3

``CustomModel`` overrides ``train_step(self, state, data)`` and ``test_step(self, state,
data)`` the way the keras.io guide does for the jax backend: ``jax.value_and_grad`` over a
``compute_loss_and_updates`` built on ``stateless_call`` and ``compute_loss``, the optimizer's
``stateless_apply``, and each metric's ``stateless_update_state``/``stateless_result``; the
steps return ``(logs, state)``. ``fit`` and ``evaluate`` compile them with ``jax.jit`` and keep
the state between batches, as Keras's jax trainer does; in layerkit they compute with JAX
whichever backend is active. Nothing below names layerkit except the import, so ``--keras``
runs the very same code on Keras 3 (the test suite compares the two).
"""

from __future__ import annotations

import argparse
import os


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["numpy", "jax"])
    parser.add_argument("--keras", action="store_true", help="run on real Keras 3 (jax)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--fast", action="store_true", help="a few epochs only (CI)")
    return parser.parse_args(argv)


def import_keras(args: argparse.Namespace):
    if args.keras:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
        return keras
    if args.backend:
        os.environ["LAYERKIT_BACKEND"] = args.backend
    import layerkit as keras
    return keras


def define_model_class(keras):
    import jax

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
            logs, metrics_variables = self.update_metrics(metrics_variables, loss, y, y_pred)
            state = (trainable_variables, non_trainable_variables, optimizer_variables,
                     metrics_variables)
            return logs, state

        def test_step(self, state, data):
            trainable_variables, non_trainable_variables, metrics_variables = state
            x, y = data
            loss, (y_pred, non_trainable_variables) = self.compute_loss_and_updates(
                trainable_variables, non_trainable_variables, x, y, training=False)
            logs, metrics_variables = self.update_metrics(metrics_variables, loss, y, y_pred)
            return logs, (trainable_variables, non_trainable_variables, metrics_variables)

        def update_metrics(self, metrics_variables, loss, y, y_pred):
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                count = len(metric.variables)
                this_metric_vars = metrics_variables[len(new_metrics_vars):
                                                     len(new_metrics_vars) + count]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y,
                                                                     y_pred)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            return logs, new_metrics_vars

    return CustomModel


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    keras = import_keras(args)
    import numpy as np

    from layerkit.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    epochs = 4 if args.fast else args.epochs

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(64,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(hidden)
    model = define_model_class(keras)(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0,
                        validation_data=(x_test, y_test))
    logs = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(f"framework: {'keras ' + keras.__version__ if args.keras else 'layerkit'}")
    print(f"history keys: {', '.join(sorted(history.history))}")
    losses = history.history["loss"]
    print(f"training loss per epoch: {', '.join(f'{v:.4f}' for v in losses)}")
    print(f"optimizer steps: {int(np.asarray(model.optimizer.iterations.numpy()))}")
    print(f"test accuracy: {float(logs['accuracy']):.4f}")
    return {"accuracy": float(logs["accuracy"]), "losses": losses}


if __name__ == "__main__":
    main()
