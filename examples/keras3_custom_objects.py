"""Keras 3-style custom objects, written only with ``keras.ops`` and ``keras.random``, trained on
the digits data.

    python examples/keras3_custom_objects.py [--backend numpy|jax] [--epochs 30] [--fast]
    python examples/keras3_custom_objects.py --keras   # the same script on real Keras 3

The model holds four objects as a Keras 3 user writes them (from the keras.io guides):

- ``Antirectifier``: a layer with a kernel from ``add_weight``, whose ``call`` centres its
  inputs and concatenates their positive and negative parts (``ops.mean``, ``ops.relu``,
  ``ops.concatenate``, ``ops.matmul``);
- ``Sampling``: draws ``z = mean + exp(log_var / 2) * eps`` with ``keras.random.normal`` and a
  ``SeedGenerator``, so each training step draws new noise, reproducibly;
- ``SeenCounter``: a layer whose ``call`` adds the batch size to a non-trainable weight with
  ``assign_add`` (the update is applied, not lost: after training it equals the number of
  samples seen);
- ``CorrectPredictions``: a metric counting correct predictions with ``==``
  (``ops.cast(y_true == y_pred, "float32")``).

With ``--keras`` it imports real Keras 3 instead of layerkit (the test suite runs both and
compares their accuracies); everything else is the same code.
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["numpy", "jax"])
    parser.add_argument("--keras", action="store_true", help="run on real Keras 3 (jax)")
    parser.add_argument("--epochs", type=int, default=30)
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


def define_objects(keras):
    ops, layers = keras.ops, keras.layers

    class Antirectifier(layers.Layer):
        def build(self, input_shape):
            units = input_shape[-1]
            self.kernel = self.add_weight(shape=(units * 2, units), initializer="he_normal",
                                          name="kernel")

        def call(self, inputs):
            inputs = inputs - ops.mean(inputs, axis=-1, keepdims=True)
            both = ops.concatenate([ops.relu(inputs), ops.relu(-inputs)], axis=-1)
            return ops.matmul(both, self.kernel)

    class Sampling(layers.Layer):
        def __init__(self, seed=1337, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class SeenCounter(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="seen")

        def call(self, inputs, training=None):
            if training:
                self.seen.assign_add(ops.cast(ops.shape(inputs)[0], "float32"))
            return inputs

    class CorrectPredictions(keras.metrics.Metric):
        def __init__(self, name="correct", **kwargs):
            super().__init__(name=name, **kwargs)
            self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
            y_pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
            self.correct.assign_add(ops.sum(ops.cast(y_true == y_pred, "float32")))

        def result(self):
            return ops.convert_to_tensor(self.correct)

        def reset_state(self):
            self.correct.assign(0.0)

    return Antirectifier, Sampling, SeenCounter, CorrectPredictions


def build_model(keras, objects):
    Antirectifier, Sampling, SeenCounter, _ = objects
    inputs = keras.Input(shape=(64,))
    x = keras.layers.Dense(32, activation="relu")(inputs)
    x = Antirectifier()(x)
    x = SeenCounter(name="seen_counter")(x)
    z_mean = keras.layers.Dense(16)(x)
    z_log_var = keras.layers.Dense(16)(x)
    z = Sampling()([z_mean, z_log_var])
    outputs = keras.layers.Dense(10, activation="softmax")(z)
    return keras.Model(inputs, outputs, name="keras3_custom")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    keras = import_keras(args)
    import numpy as np

    from layerkit.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    epochs = 8 if args.fast else args.epochs

    keras.utils.set_random_seed(0)
    objects = define_objects(keras)
    model = build_model(keras, objects)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", objects[3]()])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)

    loss, accuracy, correct = model.evaluate(x_test, y_test, verbose=0)
    seen = float(np.asarray(model.get_layer("seen_counter").seen.numpy()))
    counted = int(round(correct))
    print(f"framework: {'keras ' + keras.__version__ if args.keras else 'layerkit'}")
    print(f"test accuracy: {accuracy:.4f}")
    print(f"correct predictions (custom metric): {counted} of {len(x_test)} "
          f"(accuracy x count: {accuracy * len(x_test):.0f})")
    print(f"samples seen by SeenCounter: {seen:.0f} (epochs x train size: "
          f"{epochs * len(x_train)})")
    antirectified = objects[0]()(x_test[:5, :8])
    print(f"an Antirectifier called on an array returns {type(antirectified).__name__} of shape "
          f"{tuple(antirectified.shape)}")
    return {"accuracy": accuracy, "correct": counted, "seen": seen,
            "expected_seen": epochs * len(x_train)}


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
