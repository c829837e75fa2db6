"""TensorFlow 1, our first model (the lecture notes): minimize f(x) = x ** 2 with gradient
descent, log x and f with tf.Print, and write them as TensorBoard summaries.

Each step multiplies x by 0.8 (x - 0.1 * 2x), so x and f shrink towards 0 from x's random
start (glorot_uniform, as TF1's get_variable default). Prints ``x f`` for ten steps on stdout;
tf.Print writes ``x, f:[x][f]`` lines to stderr; the summaries go to ``--logdir``
(``logs/1`` by default; view them with ``tensorboard --logdir=./logs``).

The lecture code runs unchanged but for its import line (``import tensorflow as tf`` became
``import layerkit.compat.v1 as tf``) and the notes' typos, fixed here:
``GradientDescentOptimizer(lr=0.1)`` -> ``learning_rate=0.1`` (TF1 has no ``lr`` argument),
``miniminze`` -> ``minimize``, ``tf.summary.scaler`` -> ``tf.summary.scalar``, and the log
folder comes from ``--logdir``.

    python examples/tf1_x_squared.py [--backend numpy|jax] [--logdir logs/1]
"""

import argparse

import layerkit.compat.v1 as tf  # was: import tensorflow as tf
import layerkit_backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", help="numpy or jax (default: the active backend)")
parser.add_argument("--logdir", default="logs/1", help="where the TensorBoard events go")
args = parser.parse_args()
if args.backend:
    layerkit_backend.set_backend(args.backend)

# ---- optimizers in TensorFlow -----------------------------------------------------------------
tf.reset_default_graph()
x = tf.get_variable('X', shape=(), dtype=tf.float32)
f = x**2

optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.1)
step = optimizer.minimize(f, var_list=[x])

# ---- trainable variables ----------------------------------------------------------------------
print(tf.trainable_variables())

# ---- making gradient descent steps ------------------------------------------------------------
s = tf.InteractiveSession()
s.run(tf.global_variables_initializer())

for i in range(10):  # noqa: B007 - the lecture code as written
    _, curr_x, curr_f = s.run([step, x, f])
    print(curr_x, curr_f)

# ---- logging with tf.Print --------------------------------------------------------------------
f = tf.Print(f, [x, f], "x, f:")
for i in range(10):  # noqa: B007
    s.run([step, f])

# ---- logging with TensorBoard -----------------------------------------------------------------
tf.summary.scalar('curr_x', x)
tf.summary.scalar('curr_f', f)
summaries = tf.summary.merge_all()

s = tf.InteractiveSession()
summary_writer = tf.summary.FileWriter(args.logdir, s.graph)
s.run(tf.global_variables_initializer())

for i in range(10):
    _, curr_summaries = s.run([step, summaries])
    summary_writer.add_summary(curr_summaries, i)
    summary_writer.flush()
