"""Plot the training curves (loss and accuracy, training and validation, per epoch) of a digits
MLP to a PNG file, from the ``History`` that ``fit`` returns.

    python examples/plot_training_curves.py [--backend numpy|jax] [--epochs 30] [--fast]
        [--out training_curves.png]

Needs matplotlib (``pip install matplotlib``), which layerkit itself does not depend on:
without it the example says so and exits with status 0, having trained the model. It draws with
matplotlib's non-interactive ``Agg`` backend, so it works without a display.

The model is deliberately large for the data and trained without regularization, so that the
validation loss turns up while the training loss keeps going down: the curves show the
overfitting that ``EarlyStopping`` is for. The best epoch (lowest ``val_loss``) is marked.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import layerkit as keras
import layerkit_backend


def train(epochs: int) -> dict[str, list[float]]:
    (x_train, y_train), _ = keras.datasets.digits.load_data()
    x_train = x_train.astype("float32") / 16.0
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="big_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # A small training set makes the overfitting show within a few epochs.
    history = model.fit(x_train[:400], y_train[:400], batch_size=32, epochs=epochs,
                        validation_data=(x_train[400:], y_train[400:]), verbose=2)
    return history.history


def plot(history: dict[str, list[float]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    best = int(np.argmin(history["val_loss"])) + 1
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.plot(epochs, history[name], "o-", label="training")
        ax.plot(epochs, history[f"val_{name}"], "s-", label="validation")
        ax.axvline(best, color="grey", linestyle="--", label=f"best val_loss (epoch {best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set_yscale("log")
    fig.suptitle("digits MLP, 400 training images")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--fast", action="store_true", help="fewer epochs (CI)")
    parser.add_argument("--out", default="training_curves.png", help="the PNG to write")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    history = train(min(args.epochs, 12) if args.fast else args.epochs)
    best = int(np.argmin(history["val_loss"])) + 1
    print(f"best epoch: {best} (val_loss {history['val_loss'][best - 1]:.4f}); "
          f"last epoch: loss {history['loss'][-1]:.4f}, val_loss {history['val_loss'][-1]:.4f}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed, so no plot was drawn: pip install matplotlib "
              "(or the 'plot' extra: pip install \"layerkit[plot]\") and run this again.")
        return {"history": history, "path": None}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    plot(history, args.out)
    print(f"wrote {args.out} ({time.perf_counter() - start:.1f} s)")
    return {"history": history, "path": args.out}


if __name__ == "__main__":
    main()
