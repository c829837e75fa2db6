"""Recurrent layers on two sequence tasks: an LSTM reads the digits images row by row, and a GRU
over an ``Embedding`` learns an order-sensitive task on synthetic token sequences.

    python examples/rnn_sequences.py [--backend numpy|jax] [--epochs 12] [--fast]

1. **Digits as sequences** (``LSTM``): each 8x8 image is a sequence of 8 time steps of 8
   pixels, the way "row-by-row MNIST" is read. ``LSTM(32)`` returns its last output, a
   ``Dense`` softmax classifies it.
2. **Which comes first?** (``Embedding`` + ``GRU``, synthetic): sequences of 12 tokens from a
   vocabulary of 10, holding exactly one ``A`` (token 1) and one ``B`` (token 2) among random
   filler tokens; the label is 1 when ``A`` comes before ``B``. The two classes have the same
   tokens in the same amounts, so a model that ignores the order (a bag of words) is at chance;
   a recurrent layer has to carry what it saw along the sequence. A ``GRU`` with
   ``return_sequences=True`` feeds a ``GlobalMaxPooling1D``. A bag-of-words baseline
   (``Embedding`` + ``GlobalAveragePooling1D``, the same data) shows the task needs the order.

Each loop over time is one ``scan`` op (the step traced once, never unrolled), so the graph and
the compile time do not grow with the sequence length. Prints the test accuracy of each model.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit as keras
import layerkit_backend

A, B, VOCAB, LENGTH = 1, 2, 10, 12


def order_task(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of ``LENGTH`` tokens with one A and one B; label 1 when A is first."""
    x = rng.integers(3, VOCAB, size=(n, LENGTH)).astype("int32")
    labels = rng.integers(0, 2, size=n).astype("int32")
    for row, label in zip(x, labels):
        first, second = sorted(rng.choice(LENGTH, size=2, replace=False))
        row[first], row[second] = (A, B) if label else (B, A)
    return x, labels


def lstm_on_digits(epochs: int) -> float:
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),  # (time steps, features): one image row per step
        keras.layers.LSTM(32),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_lstm")
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"LSTM digits test accuracy: {accuracy:.4f}")
    return float(accuracy)


def gru_on_order_task(epochs: int, n_train: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    x_train, y_train = order_task(n_train, rng)
    x_test, y_test = order_task(500, rng)

    baseline = keras.Sequential([
        keras.Input(shape=(LENGTH,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 8),
        keras.layers.GlobalAveragePooling1D(),  # forgets the order
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="bag_of_words")
    baseline.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                     loss="binary_crossentropy", metrics=["accuracy"])
    baseline.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    _, baseline_accuracy = baseline.evaluate(x_test, y_test, verbose=0)
    print(f"bag-of-words baseline test accuracy: {baseline_accuracy:.4f} (chance: 0.5)")

    model = keras.Sequential([
        keras.Input(shape=(LENGTH,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 8),
        keras.layers.GRU(16, return_sequences=True),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="order_gru")
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"GRU order-task test accuracy: {accuracy:.4f}")
    return float(accuracy), float(baseline_accuracy)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--fast", action="store_true", help="fewer epochs and samples (CI)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    epochs = min(args.epochs, 6) if args.fast else args.epochs
    results = {"lstm_digits_accuracy": lstm_on_digits(epochs)}
    gru, baseline = gru_on_order_task(epochs, 1000 if args.fast else 2000)
    results.update(gru_order_accuracy=gru, bag_of_words_accuracy=baseline)
    results["seconds"] = time.perf_counter() - start
    print(f"time: {results['seconds']:.1f} s")
    return results


if __name__ == "__main__":
    main()
