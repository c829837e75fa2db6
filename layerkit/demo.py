"""The README's main job: train a small network on the embedded digits data and show the result.

    python -m layerkit.demo [--backend numpy|jax] [--epochs N]

A Keras-style 64-64-10 multilayer perceptron (``layerkit.Sequential``) trained with Adam on the
1,797 handwritten digits that ship with layerkit; prints one line per epoch and the accuracy on
the held-out test images. ``examples/tf1_digits_mlp.py`` is the same network in the TensorFlow 1
style API.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit as keras
import layerkit_backend


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float32) / 16.0
    x_test = x_test.reshape(-1, 64).astype(np.float32) / 16.0
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training a 64-64-10 MLP on {len(x_train)} digits images "
          f"(backend: {layerkit_backend.backend().name})")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {test_accuracy:.4f} on {len(x_test)} held-out images "
          f"({time.perf_counter() - start:.1f} s)")
    return float(test_accuracy)


if __name__ == "__main__":
    main()
