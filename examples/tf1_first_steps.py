"""TensorFlow 1, the first steps (the lecture slides): a graph that adds two inputs, run with
4 and 5. Prints ``Result: 9.0``.

The lecture code runs unchanged but for its import line (``import tensorflow as tf`` became
``import layerkit.compat.v1 as tf``); the slides' OCR dropped the code itself, so it is written
here from their walk-through: two scalar float32 placeholders a and b, ``y = a + b``, a Session,
``sess.run(y, feed_dict={a: 4, b: 5})``.

    python examples/tf1_first_steps.py [--backend numpy|jax]
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
a = tf.placeholder(tf.float32, name="a")
b = tf.placeholder(tf.float32, name="b")
y = a + b

sess = tf.Session()
result = sess.run(y, feed_dict={a: 4, b: 5})
print("Result:", result)
