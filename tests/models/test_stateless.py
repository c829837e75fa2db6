"""Keras 3's stateless API (``stateless_call``, ``stateless_compute_loss``,
``stateless_apply``, ``metric.stateless_*``) and ``model.jax_function``: pure functions of
given variable values, inside ``jax.jit``/``jax.grad``/``jax.vmap``, checked against
layerkit's own ``fit`` and gradients. They compute with JAX on either backend."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    labels = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int32)
    return x, labels


def _model(keras):
    keras.utils.set_random_seed(11)
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    outputs = keras.layers.Dense(2, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def _jitted_train_step(model, compute_loss_and_updates):
    """The guide's step: ``jax.value_and_grad`` of the loss function, then
    ``optimizer.stateless_apply``, in one ``jax.jit``."""
    optimizer = model.optimizer
    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, xb, yb):
        trainable, non_trainable, optimizer_values = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, xb, yb)
        trainable, optimizer_values = optimizer.stateless_apply(optimizer_values, grads,
                                                                trainable)
        return loss, (trainable, non_trainable, optimizer_values)

    return train_step


def _initial_state(model):
    return ([v.numpy() for v in model.trainable_variables],
            [v.numpy() for v in model.non_trainable_variables],
            [v.numpy() for v in model.optimizer.variables])


def test_the_guides_jax_training_loop_reproduces_fit(keras):
    """Keras 3's "training loop in JAX" pattern, unchanged: ``stateless_call`` in a loss
    function, ``jax.value_and_grad``, ``optimizer.stateless_apply``, all in one ``jax.jit``
    step. Its weights (batch-norm statistics and Adam's slots included) equal ``fit``'s."""
    x, y = _data()
    model = _model(keras)
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    metric_values = [v.numpy() for v in model.metrics_variables]

    def compute_loss_and_updates(trainable, non_trainable, xb, yb):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, xb, training=True)
        loss, _ = model.stateless_compute_loss(trainable, non_trainable, metric_values,
                                               x=xb, y=yb, y_pred=y_pred)
        return loss, non_trainable

    train_step = _jitted_train_step(model, compute_loss_and_updates)
    state = _initial_state(model)
    before = model.get_weights()
    losses = []
    for _ in range(2):  # epochs
        for start in range(0, len(x), 8):
            loss, state = train_step(state, x[start:start + 8], y[start:start + 8])
            losses.append(float(loss))
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)  # the stored weights were never touched
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], [np.mean(losses[:4]), np.mean(losses[4:])],
                               rtol=1e-5)
    trainable, non_trainable, optimizer_values = state
    for got, want in zip(trainable, [v.numpy() for v in model.trainable_variables]):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    for got, want in zip(non_trainable, [v.numpy() for v in model.non_trainable_variables]):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    for got, want in zip(optimizer_values, [v.numpy() for v in optimizer.variables]):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-7)


def test_jax_function_gradients_equal_layerkits(keras):
    x, y = _data(n=16)
    model = _model(keras)
    f, params = model.jax_function()
    assert set(params) == {v.path for v in model.variables}
    np.testing.assert_allclose(np.asarray(jax.jit(f)(params, x)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert jax.vmap(lambda row: f(params, row[None])[0])(x).shape == (16, 2)

    def loss(params):
        probabilities = f(params, x)
        return -jnp.mean(jnp.log(probabilities[jnp.arange(len(y)), y]))

    grads = jax.grad(loss)(params)
    # layerkit's own reverse pass, through the graph, on the same loss
    with keras.backend.symbolic_scope():
        images = keras.graph.placeholder("float32", (None, 3))
        labels = keras.graph.placeholder("int32", (None,))
        probabilities = model(images, training=False)
        total = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels,
                                                                           probabilities))
        symbolic = keras.ops.gradients(total, model.trainable_weights)
    values = keras.backend.get_session().run(symbolic, {images: x, labels: y})
    for var, want in zip(model.trainable_weights, values):
        np.testing.assert_allclose(np.asarray(grads[var.path]), want, rtol=1e-4, atol=1e-6)


def test_load_params_stores_what_jax_trained(keras):
    x, y = _data(n=16)
    model = _model(keras)
    f, params = model.jax_function()

    def loss(params):
        return jnp.mean(-jnp.log(f(params, x)[jnp.arange(len(y)), y]))

    step = jax.jit(lambda p: jax.tree_util.tree_map(lambda v, g: v - 0.1 * g, p,
                                                    jax.grad(loss)(p)))
    for _ in range(5):
        params = step(params)
    model.load_params(params)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(f(params, x)),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(KeyError, match="has no variable"):
        model.load_params({"nope/kernel": np.zeros(1)})


def test_metric_stateless_update_and_result(keras):
    x, y = _data()
    model = _model(keras)
    predicted = model.predict(x, verbose=0)
    metric = keras.metrics.SparseCategoricalAccuracy()
    update = jax.jit(lambda values, a, b: metric.stateless_update_state(values, a, b))
    values = metric.stateless_reset_state()
    for start in range(0, len(x), 8):
        values = update(values, y[start:start + 8], predicted[start:start + 8])
    assert float(metric.stateless_result(values)) == pytest.approx(
        float(np.mean(predicted.argmax(axis=1) == y)))
    assert float(metric.result()) == 0.0  # the stored state was never touched


def test_stateless_arguments_are_checked(keras):
    x, _ = _data(n=4)
    model = _model(keras)
    trainable = [v.numpy() for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    with pytest.raises(ValueError, match=r"`trainable_variables` must be a list of tensors "
                       r"corresponding 1:1 to Model\(\).trainable_variables. Received list "
                       r"with length 5, but expected 6"):
        model.stateless_call(trainable[:-1], non_trainable, x)
    with pytest.raises(ValueError, match=r"the value for '.*kernel' has shape \(2, 2\)"):
        model.stateless_call([np.zeros((2, 2), np.float32)] + trainable[1:], non_trainable, x)
    fresh = keras.optimizers.SGD()
    with pytest.raises(ValueError, match="must be built"):
        fresh.stateless_apply([], [], [])
    # given values, not the stored ones: zero weights give the uniform softmax
    zeros = [np.zeros_like(v) for v in trainable]
    outputs, _ = model.stateless_call(zeros, non_trainable, x)
    np.testing.assert_allclose(np.asarray(outputs), 0.5, atol=1e-6)


def test_loss_objects_and_ops_work_on_jax_values_inside_jit(keras):
    """The guide's other loss function: a Keras loss object called on the traced ``y_pred``
    (the eager runner computes on JAX values with JAX), equal to ``fit`` again."""
    x, y = _data(n=16)
    model = _model(keras)
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def compute_loss_and_updates(trainable, non_trainable, xb, yb):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, xb, training=True)
        return loss_fn(yb, y_pred), non_trainable

    train_step = _jitted_train_step(model, compute_loss_and_updates)
    state = _initial_state(model)
    for start in range(0, len(x), 8):
        _, state = train_step(state, x[start:start + 8], y[start:start + 8])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(state[0], [v.numpy() for v in model.trainable_variables]):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    # keras.ops and activations on tracers, and on concrete jax arrays
    values = jnp.linspace(-2.0, 2.0, 9)
    jitted = jax.jit(lambda v: keras.ops.mean(keras.activations.relu(v) * 2.0))(values)
    assert float(jitted) == pytest.approx(float(np.mean(np.maximum(np.linspace(-2, 2, 9), 0)) * 2))
    assert isinstance(keras.ops.sum(values), jax.Array)
    # state updates cannot happen on JAX values: the stateless API is the way
    with pytest.raises(ValueError, match="use the stateless API"):
        keras.metrics.Mean().update_state(values)
