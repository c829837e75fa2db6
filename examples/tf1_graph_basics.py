"""TensorFlow 1, "what is TensorFlow" (the lecture notes) and ``compute_gradients`` (the slides):
placeholders, variables and constants, the default graph and its operations, running a graph
in a session, initializing variables, and gradients without an update.

The notes' snippets run unchanged but for the import line (``import tensorflow as tf`` became
``import layerkit.compat.v1 as tf``), gathered into one script with prints where a notebook
would show a cell's value. Prints, among others, ``30.0`` (the notes' ``s.run(c)`` with
``c = a * b``, a = 5.0, b = 6.0) and the slides' first gradient, ``[-38.2 -38.2]``: d/dW of
``(20 - x . W) ** 2`` at ``W = [0.2, 0.7]``, ``x = [1, 1]`` is ``-2 * (20 - 0.9) * x``.

    python examples/tf1_graph_basics.py [--backend numpy|jax]
"""

import argparse

import numpy as np

import layerkit.compat.v1 as tf  # was: import tensorflow as tf
import layerkit_backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", help="numpy or jax (default: the active backend)")
args = parser.parse_args()
if args.backend:
    layerkit_backend.set_backend(args.backend)

# ---- how the input looks like: placeholder, variable, constant ---------------------------------
x = tf.placeholder(tf.float32, (None, 10))
w = tf.get_variable('W', shape=(10, 20), dtype=tf.float32)
w2 = tf.Variable(tf.random_uniform((10, 20)), name='W')
c = tf.constant(np.ones((4, 4)))
print(x)
print(w)
print(w2)  # a second 'W' is made unique: W_1
print(c)

# ---- computational graph -------------------------------------------------------------------
g = tf.Graph()
with g.as_default():
    pass
print(tf.get_default_graph() is not g)  # ops go to the default graph outside the block

# ---- operations and tensors -----------------------------------------------------------------
tf.reset_default_graph()
a = tf.constant(5.0)
b = tf.constant(6.0)
c = a * b
print([op.name for op in tf.get_default_graph().get_operations()])
print(tf.get_default_graph().get_operations()[0].outputs)

# ---- run a graph: tf.Session ----------------------------------------------------------------
s = tf.InteractiveSession()
print(s.run(c))
s.close()

# ---- initialization of variables ------------------------------------------------------------
tf.reset_default_graph()
v = tf.Variable(tf.random_uniform((10, 20)), name='W')
s = tf.InteractiveSession()
try:
    s.run(v)
except tf.errors.FailedPreconditionError as error:
    print("before initialization:", type(error).__name__)
s.run(tf.global_variables_initializer())
print(s.run(v).shape)
s.close()

# ---- compute_gradients: gradients without an update (the slides) ----------------------------
tf.reset_default_graph()
x = tf.placeholder(tf.float32, [2], name="x")
target = tf.placeholder(tf.float32, name="target")
W = tf.get_variable("W", initializer=[0.2, 0.7])
y = tf.reduce_sum(x * W)
loss = tf.pow(target - y, 2.0)
optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.1)
grads_and_vars = optimizer.compute_gradients(loss)
train_op = optimizer.apply_gradients(grads_and_vars)
print([var.name for _, var in grads_and_vars])
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    feed = {x: [1.0, 1.0], target: 20.0}
    gradient = sess.run(grads_and_vars[0][0], feed_dict=feed)
    print(gradient)
    print(sess.run(W))  # unchanged: computing gradients updates nothing
    sess.run(train_op, feed_dict=feed)
    print(sess.run(W))  # W - 0.1 * gradient
