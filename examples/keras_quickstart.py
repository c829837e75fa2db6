"""A Keras 3 script, unchanged but for its import line: an MLP and a small CNN on the digits data.

    python examples/keras_quickstart.py [--backend numpy|jax] [--epochs 15] [--fast]

With Keras you would write ``import keras`` and load MNIST; here ``import layerkit as keras``
and the digits data that ships with layerkit (8x8 images), so it runs offline.
"""

import argparse

import numpy as np

import layerkit as keras  # was: import keras
import layerkit_backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", help="numpy or jax (default: the active backend)")
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--fast", action="store_true", help="3 epochs (CI)")
args = parser.parse_args()
if args.fast:
    args.epochs = min(args.epochs, 3)
if args.backend:
    layerkit_backend.set_backend(args.backend)

# ---- a typical Keras script ----------------------------------------------------------------------
keras.utils.set_random_seed(42)
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.astype("float32") / 16.0
x_test = x_test.astype("float32") / 16.0
y_train_onehot = keras.utils.to_categorical(y_train, 10)
y_test_onehot = keras.utils.to_categorical(y_test, 10)

mlp = keras.Sequential(
    [
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(10, activation="softmax"),
    ],
    name="mlp",
)
mlp.summary()
mlp.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3),
            loss="categorical_crossentropy", metrics=["accuracy"])
history = mlp.fit(x_train, y_train_onehot, batch_size=32, epochs=args.epochs,
                  validation_split=0.1, verbose=2)
loss, accuracy = mlp.evaluate(x_test, y_test_onehot, verbose=0)
print(f"MLP test accuracy: {accuracy:.4f}")

inputs = keras.Input(shape=(8, 8, 1))
x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
x = keras.layers.MaxPooling2D(2)(x)
x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
x = keras.layers.Flatten()(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
cnn = keras.Model(inputs, outputs, name="cnn")
cnn.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3),
            loss="sparse_categorical_crossentropy", metrics=["accuracy"])
cnn.fit(x_train[..., np.newaxis], y_train, batch_size=32, epochs=args.epochs, verbose=2)
loss, accuracy = cnn.evaluate(x_test[..., np.newaxis], y_test, verbose=0)
print(f"CNN test accuracy: {accuracy:.4f}")
