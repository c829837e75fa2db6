"""Customizing what ``fit`` does, as Keras 3's guide does it: override ``train_step`` and
``test_step``, compute the compiled loss with ``compute_loss``, update ``self.metrics``.

    python examples/custom_train_step.py [--backend numpy|jax] [--epochs 6] [--fast]

The override is Keras 3 code, with one line of layerkit: the gradients come from
``keras.ops.gradients(loss, variables)``, where Keras 3 needs a backend's autodiff
(``tf.GradientTape``, ``jax.grad`` over ``stateless_call``, ``loss.backward()``). So the same
override runs on the numpy and the jax backend; ``fit`` traces it into one compiled program
per batch shape, as it does the built-in step.

Two models train on the digits from the same initial weights: ``CustomModel`` (the override)
and a plain ``keras.Model`` (the built-in step). The override does what the built-in step
does, so their histories and weights agree to float tolerance. A third, ``ConfidenceModel``,
changes the step: it adds a confidence penalty to the loss (minus a tenth of the predictions'
mean entropy) and logs the entropy with a tracker of its own.
"""

from __future__ import annotations

import argparse

import numpy as np

import layerkit as keras
import layerkit_backend
from layerkit.datasets import digits


class CustomModel(keras.Model):
    """The built-in steps, written out as Keras 3's guide writes them."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = keras.ops.gradients(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self._update_metrics(loss, y, y_pred)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred, training=False)
        return self._update_metrics(loss, y, y_pred)

    def _update_metrics(self, loss, y, y_pred, own=()):
        """Update ``self.metrics``: the loss tracker with the loss, each ``(metric, value)``
        of ``own`` with its value, the compiled metrics with the batch. Return the logs."""
        own = list(own)
        for metric in self.metrics:
            values = [value for tracker, value in own if tracker is metric]
            if values:
                metric.update_state(values[0])
            elif metric.name == "loss":  # weighed by batch size: the epoch's mean per sample
                batch_size = keras.ops.cast(keras.ops.shape(y)[0], "float32")
                metric.update_state(loss, sample_weight=batch_size)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def mean_entropy(probabilities):
    return -keras.ops.mean(keras.ops.sum(probabilities * keras.ops.log(probabilities + 1e-7),
                                         axis=-1))


class ConfidenceModel(CustomModel):
    """A step ``compile`` cannot express: the loss rewards uncertain predictions a little, and
    a tracker of the model's own logs the predictions' entropy."""

    def __init__(self, *args, entropy_weight: float = 0.1, **kwargs):
        super().__init__(*args, **kwargs)
        self.entropy_weight = entropy_weight
        self.entropy_tracker = keras.metrics.Mean(name="entropy")

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        entropy = mean_entropy(y_pred)
        loss = self.compute_loss(y=y, y_pred=y_pred) - self.entropy_weight * entropy
        grads = keras.ops.gradients(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self._update_metrics(loss, y, y_pred, [(self.entropy_tracker, entropy)])

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred, training=False)
        return self._update_metrics(loss, y, y_pred,
                                    [(self.entropy_tracker, mean_entropy(y_pred))])


def build(cls: type, seed: int = 0, **kwargs) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(64,), name="pixels")
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(hidden)
    model = cls(inputs, outputs, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--fast", action="store_true", help="3 epochs")
    args = parser.parse_args()
    layerkit_backend.set_backend(args.backend)
    epochs = 3 if args.fast else args.epochs

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train.reshape(-1, 64) / 16.0).astype(np.float32)
    x_test = (x_test.reshape(-1, 64) / 16.0).astype(np.float32)

    histories, models = {}, {}
    for name, cls in (("custom", CustomModel), ("built-in", keras.Model)):
        models[name] = build(cls)
        histories[name] = models[name].fit(x_train, y_train, batch_size=32, epochs=epochs,
                                           shuffle=False, validation_data=(x_test, y_test),
                                           verbose=0).history
    custom, builtin = histories["custom"], histories["built-in"]
    print(f"history keys: {', '.join(custom)}")
    for epoch in range(epochs):
        print(f"epoch {epoch + 1}  loss {custom['loss'][epoch]:.4f}  accuracy "
              f"{custom['accuracy'][epoch]:.4f}  val_accuracy {custom['val_accuracy'][epoch]:.4f}")
    history_gap = max(abs(a - b) for key in custom for a, b in zip(custom[key], builtin[key]))
    weight_gap = max(float(np.abs(a - b).max()) for a, b in
                     zip(models["custom"].get_weights(), models["built-in"].get_weights()))
    print(f"custom vs built-in step: history differs by {history_gap:.2e}, weights by "
          f"{weight_gap:.2e}")
    loss, accuracy = models["custom"].evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")

    confident = build(ConfidenceModel)
    logs = confident.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0).history
    print(f"confidence penalty: entropy per epoch {', '.join(f'{e:.3f}' for e in logs['entropy'])}")
    test_logs = confident.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(f"confidence penalty test accuracy: {test_logs['accuracy']:.4f}, test entropy "
          f"{test_logs['entropy']:.3f}")


if __name__ == "__main__":
    main()
