"""A convolutional network for the digits images: convolutions, batch normalization, pooling and
dropout, then a confusion matrix of the test predictions.

    python examples/cnn_digits.py [--backend numpy|jax] [--epochs 15] [--fast]

The images are 8x8 with one channel, so the input shape is ``(8, 8, 1)`` (layerkit's
convolutions are ``channels_last``, as Keras's default). The network:

- ``Conv2D(16, 3, padding="same")`` without bias, then ``BatchNormalization`` and a ReLU: the
  batch-norm statistics are updated in training and used in inference, as in Keras;
- ``Conv2D(32, 3, padding="same", activation="relu")`` and ``MaxPooling2D(2)``: 4x4x32;
- ``Dropout(0.25)``, ``Flatten``, ``Dense(64, relu)``, ``Dropout(0.25)``, ``Dense(10, softmax)``.

A ``ReduceLROnPlateau`` callback lowers the learning rate when the validation loss stalls. After
training, ``predict`` gives class probabilities for the test images; the example prints the test
accuracy, the confusion matrix (rows: true digit, columns: predicted) and the digits most often
confused.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit as keras
import layerkit_backend


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--fast", action="store_true", help="fewer epochs (CI)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    epochs = min(args.epochs, 5) if args.fast else args.epochs
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train.astype("float32")[..., np.newaxis] / 16.0  # (n, 8, 8, 1)
    x_test = x_test.astype("float32")[..., np.newaxis] / 16.0

    model = build_model()
    model.summary()
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
                                                  verbose=1)
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=2,
              callbacks=[reduce_lr])
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    predicted = model.predict(x_test, verbose=0).argmax(axis=-1)
    matrix = confusion_matrix(y_test, predicted)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("     " + " ".join(f"{c:3d}" for c in range(10)))
    for digit, row in enumerate(matrix):
        print(f"  {digit}: " + " ".join(f"{v:3d}" for v in row))
    off_diagonal = matrix - np.diag(np.diag(matrix))
    if off_diagonal.any():
        true, pred = np.unravel_index(np.argmax(off_diagonal), matrix.shape)
        print(f"most confused: {true} taken for {pred} ({off_diagonal[true, pred]} times)")
    seconds = time.perf_counter() - start
    print(f"CNN test accuracy: {accuracy:.4f} ({seconds:.1f} s)")
    return {"accuracy": float(accuracy), "confusion_matrix": matrix,
            "learning_rate": float(model.optimizer.learning_rate), "seconds": seconds}


if __name__ == "__main__":
    main()
