"""The digits MLP written with the TensorFlow 1 style graph API.

    python examples/tf1_digits_mlp.py [--backend numpy|jax] [--epochs N] [--fast]

A 64-64-10 multilayer perceptron written with the TensorFlow 1 style graph API
(``layerkit.compat.v1``): placeholders, variables, a softmax cross-entropy loss, Adam's
``minimize`` and a session feeding mini-batches. It prints the loss and accuracy per epoch and
the accuracy on the held-out test images.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import layerkit.compat.v1 as tf
import layerkit_backend
from layerkit.datasets import digits


def build_model(hidden: int = 64, learning_rate: float = 0.01):
    """The graph: returns (x, y, loss, accuracy, train_op)."""
    x = tf.placeholder(tf.float32, (None, 64), name="x")
    y = tf.placeholder(tf.int32, (None,), name="y")
    w1 = tf.get_variable("w1", (64, hidden))
    b1 = tf.get_variable("b1", (hidden,), initializer=tf.zeros_initializer())
    w2 = tf.get_variable("w2", (hidden, 10))
    b2 = tf.get_variable("b2", (10,), initializer=tf.zeros_initializer())
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    correct = tf.equal(tf.argmax(logits, 1), tf.cast(y, tf.int64))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
    return x, y, loss, accuracy, train_op


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=layerkit_backend.available_backends())
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--fast", action="store_true", help="5 epochs (CI)")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs = min(args.epochs, 5)
    if args.backend:
        layerkit_backend.set_backend(args.backend)

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float32) / 16.0
    x_test = x_test.reshape(-1, 64).astype(np.float32) / 16.0
    tf.reset_default_graph()
    tf.set_random_seed(0)
    x, y, loss, accuracy, train_op = build_model()
    print(f"Training a 64-64-10 MLP on {len(x_train)} digits images "
          f"(backend: {layerkit_backend.backend().name})")
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            losses, accs = [], []
            for i in range(0, len(order), args.batch_size):
                batch = order[i:i + args.batch_size]
                value, acc, _ = sess.run([loss, accuracy, train_op],
                                         {x: x_train[batch], y: y_train[batch]})
                losses.append(value * len(batch))
                accs.append(acc * len(batch))
            print(f"epoch {epoch:2d}  loss {sum(losses) / len(order):.4f}  "
                  f"accuracy {sum(accs) / len(order):.4f}")
        test_accuracy = float(sess.run(accuracy, {x: x_test, y: y_test}))
    seconds = time.perf_counter() - start
    print(f"test accuracy: {test_accuracy:.4f} on {len(x_test)} held-out images "
          f"({seconds:.1f} s)")
    return test_accuracy


if __name__ == "__main__":
    main()
