"""TensorFlow 1, solving a linear regression and saving checkpoints (the lecture notes).

Fits ``y = x @ w + noise`` (1000 samples, 3 features) by gradient descent on the mean squared
error, printing the loss every 50 steps and saving a checkpoint there (``model.ckpt-<step>``
in ``--logdir``, ``logs/2`` by default). Then prints the true and the estimated weights, lists
the checkpoints kept, restores the one from step 50 and prints its weights.

The notes show this code as images; it is written out here as the course ran it, with only the
import line changed (``import tensorflow as tf`` became ``import layerkit.compat.v1 as tf``),
the log folder taken from ``--logdir`` (created if missing, as TF1's Saver needs an existing
folder), and prints added where the notebook showed a cell's value.

    python examples/tf1_linear_regression.py [--backend numpy|jax] [--logdir logs/2]
"""

import argparse
import os

import numpy as np

import layerkit.compat.v1 as tf  # was: import tensorflow as tf
import layerkit_backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", help="numpy or jax (default: the active backend)")
parser.add_argument("--logdir", default="logs/2", help="where the checkpoints go")
args = parser.parse_args()
if args.backend:
    layerkit_backend.set_backend(args.backend)
os.makedirs(args.logdir, exist_ok=True)

# ---- solving a linear regression ------------------------------------------------------------
tf.reset_default_graph()

N = 1000
D = 3
x = np.random.random((N, D))
w = np.random.random((D, 1))
y = x @ w + np.random.randn(N, 1) * 0.20

features = tf.placeholder(tf.float32, shape=(None, D))
target = tf.placeholder(tf.float32, shape=(None, 1))

weights = tf.get_variable("w", shape=(D, 1), dtype=tf.float32)
predictions = features @ weights

loss = tf.reduce_mean((target - predictions) ** 2)

optimizer = tf.train.GradientDescentOptimizer(0.1)
step = optimizer.minimize(loss)

# ---- model checkpoints ----------------------------------------------------------------------
s = tf.InteractiveSession()
saver = tf.train.Saver(tf.trainable_variables())
s.run(tf.global_variables_initializer())
for i in range(300):
    _, curr_loss, curr_weights = s.run([step, loss, weights],
                                       feed_dict={features: x, target: y})
    if i % 50 == 0:
        saver.save(s, os.path.join(args.logdir, "model.ckpt"), global_step=i)
        print(curr_loss)

# ground truth weights
print(w.ravel())
# estimated weights
print(curr_weights.ravel())

# list last checkpoints
print(saver.last_checkpoints)
# restore a previous checkpoint
saver.restore(s, os.path.join(args.logdir, "model.ckpt-50"))
print(s.run(weights).ravel())
