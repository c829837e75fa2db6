"""A custom layer: weights from ``add_weight``, ops from ``keras.ops``, a ``get_config``,
trained on the digits data, saved to ``.h5`` and loaded back with ``custom_objects``.

    python examples/custom_layer.py [--backend numpy|jax] [--epochs 10] [--fast] [--out DIR]

``ScaledDense`` is a dense layer whose outputs are multiplied by a learned per-unit scale
(``activation(scale * (inputs @ kernel) + bias)``), written as in Keras 3:

- ``__init__`` takes its own arguments and passes the rest (``name``, ``dtype``...) to
  ``Layer.__init__``;
- ``build(input_shape)`` creates the weights with ``self.add_weight(shape, initializer,
  name=...)`` (an L2 penalty on the kernel through ``regularizer=``);
- ``call(inputs)`` builds ops: Python operators on tensors and ``keras.ops``, as a Keras 3
  layer does;
- ``get_config`` returns the constructor arguments, so ``model.save`` can describe the layer and
  ``load_model`` can make it again.

A file names the class only by its name; layerkit never imports code a file names, so the
class must be passed in ``custom_objects`` (or be in an enclosing
``keras.saving.custom_object_scope``). The example shows the load refused without it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import layerkit as keras
import layerkit_backend


class ScaledDense(keras.layers.Layer):
    """``activation(scale * (inputs @ kernel) + bias)``, with a learned ``scale`` per unit."""

    def __init__(self, units, activation=None, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.l2 = float(l2)

    def build(self, input_shape):
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.kernel = self.add_weight((input_shape[-1], self.units), "glorot_uniform",
                                      regularizer=regularizer, name="kernel")
        self.scale = self.add_weight((self.units,), "ones", name="scale")
        self.bias = self.add_weight((self.units,), "zeros", name="bias")

    def call(self, inputs):
        return self.activation(self.scale * keras.ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation), "l2": self.l2}


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        ScaledDense(32, activation="relu", l2=1e-4, name="scaled_dense"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="custom_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--fast", action="store_true", help="a few epochs only (CI)")
    parser.add_argument("--out", help="folder for the saved model (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    epochs = min(args.epochs, 5) if args.fast else args.epochs
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    model = build_model()
    model.summary()
    layer = model.get_layer("scaled_dense")
    print("ScaledDense weights:", [f"{w.path} {tuple(w.shape)}" for w in layer.weights])
    print("ScaledDense config: ", layer.get_config())
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")

    out = args.out or tempfile.mkdtemp(prefix="layerkit-custom-layer-")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "custom_mlp.h5")
    model.save(path)

    # Without the class, the file's "ScaledDense" is an unknown name: refused, nothing imported.
    try:
        keras.models.load_model(path)
        refused = None
    except ValueError as error:
        refused = str(error)
        print(f"load_model without custom_objects: refused ({refused})")

    loaded = keras.models.load_model(path, custom_objects={"ScaledDense": ScaledDense})
    same = bool(np.array_equal(loaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0)))
    _, loaded_accuracy = loaded.evaluate(x_test, y_test, verbose=0)
    print(f"reloaded with custom_objects: layer {type(loaded.get_layer('scaled_dense')).__name__}, "
          f"same predictions: {same}, test accuracy {loaded_accuracy:.4f}")
    seconds = time.perf_counter() - start
    print(f"saved to {path} ({seconds:.1f} s)")
    return {"accuracy": float(accuracy), "loaded_accuracy": float(loaded_accuracy),
            "same_predictions": same, "refused_without_custom_objects": refused, "path": path,
            "seconds": seconds}


if __name__ == "__main__":
    main()
