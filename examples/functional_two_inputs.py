"""The functional API with two inputs and two outputs: from two digits images, predict their sum
and whether they show the same digit, with one image encoder shared by both inputs.

    python examples/functional_two_inputs.py [--backend numpy|jax] [--epochs 12] [--fast]

- two named inputs, ``keras.Input(shape=(8, 8), name="left")`` and ``name="right"``;
- one encoder model (``Flatten`` + ``Dense``) called on both: a layer or model called twice
  shares its weights, so both images are encoded the same way;
- the two codes are joined with ``Concatenate`` (for the sum) and compared with
  ``Multiply`` (for "same digit?");
- two named outputs, ``sum`` (19 classes, 0-18) and ``same`` (a sigmoid), with a loss, a
  weight and metrics per output given as dicts keyed by output name;
- data as dicts keyed by input and output name.

Pairs are drawn from the digits training images for training and from the test images for
testing (so no test image is seen in training). Prints each output's test accuracy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit as keras
import layerkit_backend


def make_pairs(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` pairs of images: half of them show the same digit."""
    left = rng.integers(0, len(x), size=n)
    right = rng.integers(0, len(x), size=n)
    by_class = [np.flatnonzero(y == c) for c in range(10)]
    same = rng.random(n) < 0.5
    for i in np.flatnonzero(same):
        right[i] = rng.choice(by_class[y[left[i]]])
    inputs = {"left": x[left], "right": x[right]}
    targets = {"sum": (y[left] + y[right]).astype("int32"),
               "same": (y[left] == y[right]).astype("float32")}
    return inputs, targets


def build_model() -> keras.Model:
    encoder = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
    ], name="encoder")
    left = keras.Input(shape=(8, 8), name="left")
    right = keras.Input(shape=(8, 8), name="right")
    code_left, code_right = encoder(left), encoder(right)  # the same weights, twice

    joined = keras.layers.Concatenate()([code_left, code_right])
    hidden = keras.layers.Dense(64, activation="relu")(joined)
    total = keras.layers.Dense(19, activation="softmax", name="sum")(hidden)
    product = keras.layers.Multiply()([code_left, code_right])
    same = keras.layers.Dense(1, activation="sigmoid", name="same")(product)

    model = keras.Model(inputs=[left, right], outputs={"sum": total, "same": same},
                        name="digit_pairs")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  loss={"sum": "sparse_categorical_crossentropy", "same": "binary_crossentropy"},
                  loss_weights={"sum": 1.0, "same": 0.5},
                  metrics={"sum": ["accuracy"], "same": ["accuracy"]})
    return model


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--fast", action="store_true", help="fewer epochs and pairs (CI)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    epochs = min(args.epochs, 10) if args.fast else args.epochs
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    rng = np.random.default_rng(0)
    train_inputs, train_targets = make_pairs(x_train, y_train, 3000 if args.fast else 8000, rng)
    test_inputs, test_targets = make_pairs(x_test, y_test, 1000, rng)

    model = build_model()
    model.summary()
    model.fit(train_inputs, train_targets, batch_size=64, epochs=epochs, verbose=2,
              validation_split=0.1)
    logs = model.evaluate(test_inputs, test_targets, verbose=0, return_dict=True)
    print("test:", "  ".join(f"{name} {value:.4f}" for name, value in logs.items()))

    predictions = model.predict({"left": x_test[:5], "right": x_test[5:10]}, verbose=0)
    if not isinstance(predictions, dict):  # layerkit returns a list, in output_names order
        predictions = dict(zip(model.output_names, predictions))
    sums = predictions["sum"].argmax(axis=-1)
    for i in range(5):
        print(f"  {y_test[i]} + {y_test[5 + i]}: predicted sum {sums[i]}, "
              f"same digit {predictions['same'][i, 0]:.2f}")
    seconds = time.perf_counter() - start
    print(f"sum accuracy: {logs['sum_accuracy']:.4f}  same accuracy: {logs['same_accuracy']:.4f}"
          f"  ({seconds:.1f} s)")
    return {**{k: float(v) for k, v in logs.items()}, "seconds": seconds}


if __name__ == "__main__":
    main()
