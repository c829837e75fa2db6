"""A training loop written by hand: the model's forward pass, a loss of your own, ``gradients``
and the optimizer's update as one graph program, run batch by batch in the Keras session.

    python examples/custom_training_loop.py [--backend numpy|jax] [--epochs 8] [--fast]

The usual way to change a step is to override ``train_step`` and keep ``fit`` (see
``examples/custom_train_step.py``). This example goes one level down and writes the loop
itself, on the graph underneath, as ``fit`` builds its own step (``layerkit/models/step.py``):

1. inside ``keras.backend.symbolic_scope()``, placeholders for a batch and the model called on
   them (``training=True``) give symbolic outputs in the Keras graph;
2. any loss made of ops: here sparse cross-entropy plus a *confidence penalty* (minus a tenth
   of the mean entropy of the predictions, which ``compile`` cannot express) plus the layers'
   weight penalties;
3. ``layerkit.graph.gradients(loss, model.trainable_weights)``, clipped by their global norm;
4. ``optimizer.apply_gradients(zip(grads, weights))``, which inside the scope returns the
   update tensors of one step (weights, slots, ``iterations``), grouped into one op;
5. ``keras.backend.get_session().run([loss, accuracy, step], feed_dict)`` per batch: one compiled
   program per batch shape on either backend (one XLA executable on jax).

The trained model is an ordinary Keras model afterwards: ``compile`` + ``evaluate`` and
``predict`` work on it. Prints the loss per epoch and the test accuracy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit as keras
import layerkit_backend
from layerkit.graph import gradients, group, ops, placeholder
from layerkit.optimizers.base import clip_by_global_norm


def build_model() -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),
        keras.layers.Dense(10, activation="softmax"),
    ], name="mlp")


def build_train_step(model: keras.Model, optimizer, entropy_weight: float = 0.1,
                     clip_norm: float = 1.0):
    """The symbolic training step: returns (x, y, loss, accuracy, step)."""
    with keras.backend.symbolic_scope():
        x = placeholder("float32", (None, 8, 8), name="images")
        y = placeholder("int32", (None,), name="labels")
        probs = model(x, training=True)
        cross_entropy = ops.mean(keras.losses.sparse_categorical_crossentropy(y, probs))
        entropy = -ops.mean(ops.sum(probs * ops.log(probs + 1e-7), axis=-1))
        loss = cross_entropy - entropy_weight * entropy
        for penalty in model.regularization_losses():
            loss = loss + penalty
        weights = model.trainable_weights
        grads = gradients(loss, weights)
        grads = clip_by_global_norm(grads, clip_norm)
        step = group(*optimizer.apply_gradients(zip(grads, weights)))
        predicted = ops.cast(ops.argmax(probs, axis=-1), "int32")
        accuracy = ops.mean(ops.cast(ops.equal(predicted, y), "float32"))
    return x, y, loss, accuracy, step


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--fast", action="store_true", help="a few epochs only (CI)")
    args = parser.parse_args(argv)
    if args.backend:
        layerkit_backend.set_backend(args.backend)
    epochs = min(args.epochs, 4) if args.fast else args.epochs
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    y_train, y_test = y_train.astype("int32"), y_test.astype("int32")

    model = build_model()
    optimizer = keras.optimizers.Adam(learning_rate=0.005)
    x, y, loss, accuracy, step = build_train_step(model, optimizer)
    session = keras.backend.get_session()
    rng = np.random.default_rng(0)
    epoch_losses = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        total_loss = total_accuracy = 0.0
        for i in range(0, len(order), args.batch_size):
            batch = order[i:i + args.batch_size]
            batch_loss, batch_accuracy, _ = session.run(
                [loss, accuracy, step], {x: x_train[batch], y: y_train[batch]})
            total_loss += float(batch_loss) * len(batch)
            total_accuracy += float(batch_accuracy) * len(batch)
        epoch_losses.append(total_loss / len(order))
        print(f"epoch {epoch}  loss {epoch_losses[-1]:.4f}  "
              f"accuracy {total_accuracy / len(order):.4f}  "
              f"(optimizer steps: {int(optimizer.iterations.numpy())})")

    # An ordinary Keras model now: compile for evaluate (the optimizer is not used).
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    seconds = time.perf_counter() - start
    print(f"test accuracy: {test_accuracy:.4f} ({seconds:.1f} s)")
    return {"epoch_losses": epoch_losses, "test_accuracy": float(test_accuracy),
            "steps": int(optimizer.iterations.numpy()), "seconds": seconds}


if __name__ == "__main__":
    main()
