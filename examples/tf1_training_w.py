"""TensorFlow 1, training a network (the lecture slides): learn W so that x . W hits a target,
with GradientDescentOptimizer and a learning rate fed through a placeholder. Prints the ten
results of the slides, ``Result:  0.9`` ... ``Result:  19.807514``.

The lecture code runs unchanged but for its import line (``import tensorflow as tf`` became
``import layerkit.compat.v1 as tf``) and the slides' OCR typos, fixed here: ``learning rate`` ->
``learning_rate`` (a variable, an argument and a placeholder name), ``get variable``,
``reduce sum``, ``train op``, ``global variables initializer`` and ``feed dict`` -> their
underscored names, ``result, = sess.run(...)`` -> ``result, _ = sess.run(...)``, and the
``print`` indented into the loop (the slides show ten printed results).

    python examples/tf1_training_w.py [--backend numpy|jax]
"""

import argparse

import layerkit.compat.v1 as tf  # was: import tensorflow as tf
import layerkit_backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", help="numpy or jax (default: the active backend)")
args = parser.parse_args()
if args.backend:
    layerkit_backend.set_backend(args.backend)

# ---- the lecture code ---------------------------------------------------------------------------
x = tf.placeholder(tf.float32, [2], name="x")
target = tf.placeholder(tf.float32, name="target")
learning_rate = tf.placeholder(
    tf.float32,
    name="learning_rate")
W = tf.get_variable("W", initializer=[0.2, 0.7])
y = tf.reduce_sum(x * W)
loss = tf.pow(target - y, 2.0)
optimizer = tf.train.GradientDescentOptimizer(
    learning_rate=learning_rate)
train_op = optimizer.minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(10):  # noqa: B007 - the lecture code as written
        result, _ = sess.run(
            [y, train_op],
            feed_dict={x: [1.0, 1.0],
                       target: 20.0,
                       learning_rate: 0.1})
        print("Result: ", result)
