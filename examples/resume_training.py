"""Resume training from a checkpoint: train a few epochs saving the whole model each epoch, start
over from nothing (a new session, as a new process would), load the last checkpoint and train
on with ``initial_epoch``; the result is the same as one uninterrupted run.

    python examples/resume_training.py [--backend numpy|jax] [--epochs 8] [--stop-after 4]
        [--fast] [--out DIR]

1. ``ModelCheckpoint("ckpt-{epoch:02d}.h5")`` saves the whole model (architecture, weights,
   compile arguments and the optimizer's state: Adam's moments and step count) after each of the
   first ``--stop-after`` epochs;
2. ``keras.backend.clear_session()`` forgets every model and weight;
3. ``keras.models.load_model`` on the newest checkpoint gives a compiled model, and
   ``fit(..., epochs=N, initial_epoch=k)`` trains epochs k+1..N;
4. for comparison, a fresh model is trained N epochs in one go.

The two runs end with the same weights (to float32 rounding) because everything a step depends
on is restored: the weights, the optimizer's variables, and the order of the batches, which the
``ShuffleSeed`` callback makes a function of the epoch number (``fit`` shuffles with numpy's
global generator). Without that, a resumed run still trains correctly, just on a different
batch order than the uninterrupted one.

For runs that may be killed at any moment, ``keras.callbacks.BackupAndRestore`` automates this
(see ``examples/callbacks_and_checkpoints.py``).
"""

from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time

import numpy as np

import layerkit as keras
import layerkit_backend


class ShuffleSeed(keras.callbacks.Callback):
    """Seeds numpy's global generator with the epoch number when an epoch begins, so that the
    batch order of an epoch is the same in a resumed run as in an uninterrupted one."""

    def on_epoch_begin(self, epoch, logs=None):
        np.random.seed(1000 + epoch)


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=8, help="epochs in all")
    parser.add_argument("--stop-after", type=int, default=4, help="epochs before the break")
    parser.add_argument("--fast", action="store_true", help="4 epochs, a break after 2 (CI)")
    parser.add_argument("--out", help="folder for the checkpoints (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    epochs, stop_after = (4, 2) if args.fast else (args.epochs, args.stop_after)
    if not 0 < stop_after < epochs:
        parser.error("--stop-after must be between 0 and --epochs")
    start = time.perf_counter()
    out = args.out or tempfile.mkdtemp(prefix="layerkit-resume-")
    os.makedirs(out, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0

    def fit(model, **kwargs):
        return model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2, **kwargs)

    # ---- 1. the first run, stopped after `stop_after` epochs ----------------------------------
    print(f"== first run: epochs 1-{stop_after} of {epochs}, a checkpoint after each")
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_model()
    checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(out, "ckpt-{epoch:02d}.h5"))
    model.fit(x_train, y_train, batch_size=32, epochs=stop_after, verbose=2,
              callbacks=[ShuffleSeed(), checkpoint])

    # ---- 2. a new start: nothing in memory, only the files ------------------------------------
    keras.backend.clear_session()
    checkpoints = sorted(glob.glob(os.path.join(out, "ckpt-*.h5")))
    latest = checkpoints[-1]
    done = int(os.path.basename(latest)[len("ckpt-"):-len(".h5")])  # epochs it holds
    print(f"== resumed: {os.path.basename(latest)} holds {done} epochs; "
          f"training epochs {done + 1}-{epochs}")
    resumed = keras.models.load_model(latest)
    print(f"   optimizer steps restored: {int(resumed.optimizer.iterations.numpy())}")
    history = fit(resumed, initial_epoch=done, callbacks=[ShuffleSeed()])
    _, resumed_accuracy = resumed.evaluate(x_test, y_test, verbose=0)

    # ---- 3. the same training without a break, for comparison --------------------------------
    print(f"== uninterrupted: epochs 1-{epochs}")
    keras.utils.set_random_seed(0)
    reference = build_model()
    fit(reference, callbacks=[ShuffleSeed()])
    _, reference_accuracy = reference.evaluate(x_test, y_test, verbose=0)

    difference = max(float(np.max(np.abs(a - b)))
                     for a, b in zip(resumed.get_weights(), reference.get_weights()))
    seconds = time.perf_counter() - start
    print(f"test accuracy: resumed {resumed_accuracy:.4f}, uninterrupted "
          f"{reference_accuracy:.4f}")
    print(f"largest weight difference, resumed vs uninterrupted: {difference:.2e}")
    print(f"checkpoints: {', '.join(os.path.basename(p) for p in checkpoints)} in {out} "
          f"({seconds:.1f} s)")
    return {"checkpoints": [os.path.basename(p) for p in checkpoints],
            "resumed_epochs": [e + 1 for e in history.epoch],
            "resumed_accuracy": float(resumed_accuracy),
            "reference_accuracy": float(reference_accuracy),
            "max_weight_difference": difference, "seconds": seconds}


if __name__ == "__main__":
    main()
