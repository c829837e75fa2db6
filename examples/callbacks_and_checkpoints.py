"""Callbacks and checkpoints on the digits data: stop early, keep the best model on disk, log
every epoch to a CSV file, and resume a run that was interrupted.

    python examples/callbacks_and_checkpoints.py [--backend numpy|jax] [--epochs 40]
        [--out DIR] [--interrupt-at EPOCH] [--tensorboard] [--fast]

An MLP is trained with a validation split and four callbacks (five with ``--tensorboard``):

- ``EarlyStopping(restore_best_weights=True)`` stops when ``val_loss`` has not improved for
  ``patience`` epochs and puts the best epoch's weights back;
- ``ModelCheckpoint(save_best_only=True)`` writes the whole model to ``checkpoints/best.h5``
  each time ``val_loss`` improves;
- ``CSVLogger`` writes one row per epoch to ``training_log.csv`` (``append=True``, so a resumed
  run continues the same file);
- ``BackupAndRestore`` backs the weights and the optimizer's state up to ``backup/`` at each
  epoch end. With ``--interrupt-at N`` (default 3; 0 for none) the first ``fit`` is stopped by
  an exception when epoch N starts, as a crash would stop it, and the same ``fit`` call, run
  again, resumes at epoch N from the backup. The backup is deleted when training finishes;
- with ``--tensorboard``, ``TensorBoard(log_dir=<out>/logs)`` writes the epoch metrics (and
  weight histograms every 5 epochs) for ``tensorboard --logdir <out>/logs``; it needs
  tensorboardX (``pip install "layerkit[tensorboard]"``).

``--fast`` caps the run at 12 epochs (for CI).

Then the best checkpoint is loaded with ``load_model`` and evaluated on the test images, and a
short summary is printed. Files go to ``--out`` (default: a new temporary folder).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time

import numpy as np

import layerkit as keras
import layerkit_backend


class SimulatedCrash(RuntimeError):
    """Raised by ``CrashAt`` to interrupt training, as a crash or a pre-emption would."""


class CrashAt(keras.callbacks.Callback):
    """Raise ``SimulatedCrash`` when ``epoch`` (0-based) begins."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise SimulatedCrash(f"simulated crash at the start of epoch {epoch + 1}")


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=40, help="at most this many epochs")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--out", help="folder for the files (default: a new temporary one)")
    parser.add_argument("--interrupt-at", type=int, default=3, metavar="EPOCH",
                        help="simulate a crash when this epoch (1-based) starts; 0: none")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--tensorboard", action="store_true",
                        help="also log to <out>/logs for TensorBoard (needs tensorboardX)")
    parser.add_argument("--fast", action="store_true", help="at most 12 epochs (CI)")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs = min(args.epochs, 12)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    out = args.out or tempfile.mkdtemp(prefix="layerkit-callbacks-")
    os.makedirs(out, exist_ok=True)
    best_path = os.path.join(out, "checkpoints", "best.h5")
    csv_path = os.path.join(out, "training_log.csv")
    backup_dir = os.path.join(out, "backup")
    if os.path.exists(csv_path):
        os.remove(csv_path)  # a new run: the CSV is only appended to by a resumed one

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    model = build_model()

    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience,
                                                   restore_best_weights=True, verbose=1)
    checkpoint = keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True,
                                 verbose=args.verbose and 1)
    callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir),  # first: it restores the state before the others start
        early_stopping,
        checkpoint,
        keras.callbacks.CSVLogger(csv_path, append=True),
    ]
    log_dir = os.path.join(out, "logs")
    if args.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=5))

    def fit(extra_callbacks):
        return model.fit(x_train, y_train, batch_size=50, epochs=args.epochs,
                         validation_split=0.2, callbacks=callbacks + extra_callbacks,
                         verbose=args.verbose)

    resumed_at = None
    if 0 < args.interrupt_at <= args.epochs:
        try:
            fit([CrashAt(args.interrupt_at - 1)])
        except SimulatedCrash as crash:
            saved = (f"the state after epoch {args.interrupt_at - 1}" if args.interrupt_at > 1
                     else "nothing yet")
            print(f"\n*** {crash}; the backup in {backup_dir} holds {saved}. Running fit "
                  "again:\n", flush=True)
            resumed_at = args.interrupt_at
    history = fit([])  # resumes from the backup, if there is one

    # The CSV holds every epoch of the run, before and after the interruption.
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    val_losses = [float(row["val_loss"]) for row in rows]
    best_epoch = int(np.argmin(val_losses)) + 1

    # The best model, from disk.
    best = keras.models.load_model(best_path)
    _, checkpoint_accuracy = best.evaluate(x_test, y_test, verbose=0)
    _, model_accuracy = model.evaluate(x_test, y_test, verbose=0)

    summary = {
        "out": out,
        "epochs_run": len(rows),
        "stopped_early": len(rows) < args.epochs,
        "resumed_at": resumed_at,
        "resumed_epochs": [epoch + 1 for epoch in history.epoch],
        "best_epoch": best_epoch,
        "best_val_loss": val_losses[best_epoch - 1],
        "checkpoint_test_accuracy": float(checkpoint_accuracy),
        "model_test_accuracy": float(model_accuracy),
        "backup_deleted": not os.path.exists(backup_dir),
        "tensorboard_log_dir": log_dir if args.tensorboard else None,
        "seconds": time.perf_counter() - start,
    }
    print("\nSummary")
    print(f"  epochs run:          {summary['epochs_run']} of at most {args.epochs}"
          + (" (stopped early)" if summary["stopped_early"] else ""))
    if resumed_at and history.epoch:
        print(f"  interrupted:         at the start of epoch {resumed_at}, resumed from the "
              f"backup (epochs {summary['resumed_epochs'][0]}-"
              f"{summary['resumed_epochs'][-1]} in the second fit)")
    print(f"  best epoch:          {best_epoch} (val_loss {summary['best_val_loss']:.4f})")
    print(f"  test accuracy:       {summary['checkpoint_test_accuracy']:.4f} "
          f"(checkpoints/best.h5, loaded with load_model)")
    print(f"  test accuracy:       {summary['model_test_accuracy']:.4f} "
          "(the trained model, best weights restored by EarlyStopping)")
    print(f"  backup deleted:      {summary['backup_deleted']}")
    print(f"  files:               {best_path}, {csv_path}")
    if args.tensorboard:
        print(f"  TensorBoard:         tensorboard --logdir {log_dir}")
    print(f"  time:                {summary['seconds']:.1f} s")
    return summary


if __name__ == "__main__":
    main()
