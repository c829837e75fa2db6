"""TF1 optimizers against independent float64 numpy implementations of TF1's update formulas
(the ``Apply*`` training ops), with default and non-default hyper-parameters."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.compat.v1 as tf

# A separable quadratic: loss = sum(0.5 * A * (v - T) ** 2), so grad = A * (v - T). Different
# curvatures per element make the adaptive optimizers' per-element scaling visible.
PROBLEM = {
    "W": (np.array([[1.0, 2.0, 0.5], [3.0, 0.2, 1.5]]),   # A
          np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]),  # T
          np.array([[0.1, 0.4, -0.3], [0.8, -0.6, 0.2]])),  # initial value
    "b": (np.array([0.7, 4.0, 1.2]), np.array([-0.2, 0.3, 1.0]), np.array([1.0, -1.0, 0.5])),
}
STEPS = 6


def _grad(name: str, value: np.ndarray) -> np.ndarray:
    a, t, _ = PROBLEM[name]
    return a * (value - t)


def build_problem(dtype=np.float32):
    variables = {}
    loss = 0.0
    for name, (a, t, v0) in PROBLEM.items():
        var = tf.get_variable(name, initializer=v0.astype(dtype))
        variables[name] = var
        loss = loss + tf.reduce_sum(0.5 * a * (var - t) ** 2)
    return variables, loss


# -- the references: one step given (value, grad, slots, t); returns the new value ----------------
def ref_gd(lr):
    def step(v, g, s, t):
        return v - lr * g
    return {}, step


def ref_momentum(lr, momentum, nesterov=False):
    def step(v, g, s, t):
        s["momentum"] = momentum * s["momentum"] + g
        if nesterov:
            return v - (lr * g + lr * momentum * s["momentum"])
        return v - lr * s["momentum"]
    return {"momentum": 0.0}, step


def ref_adagrad(lr, init=0.1):
    def step(v, g, s, t):
        s["accumulator"] = s["accumulator"] + g * g
        return v - lr * g / np.sqrt(s["accumulator"])
    return {"accumulator": init}, step


def ref_adadelta(lr=0.001, rho=0.95, eps=1e-8):
    def step(v, g, s, t):
        s["accum"] = rho * s["accum"] + (1 - rho) * g * g
        update = np.sqrt(s["accum_update"] + eps) / np.sqrt(s["accum"] + eps) * g
        s["accum_update"] = rho * s["accum_update"] + (1 - rho) * update * update
        return v - lr * update
    return {"accum": 0.0, "accum_update": 0.0}, step


def ref_rmsprop(lr, decay=0.9, momentum=0.0, eps=1e-10, centered=False):
    def step(v, g, s, t):
        s["rms"] = decay * s["rms"] + (1 - decay) * g * g
        denominator = s["rms"] + eps
        if centered:
            s["mg"] = decay * s["mg"] + (1 - decay) * g
            denominator = s["rms"] - s["mg"] ** 2 + eps
        s["momentum"] = momentum * s["momentum"] + lr * g / np.sqrt(denominator)
        return v - s["momentum"]
    slots = {"rms": 1.0, "momentum": 0.0}
    if centered:
        slots["mg"] = 0.0
    return slots, step


def ref_adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    def step(v, g, s, t):
        lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        s["m"] = beta1 * s["m"] + (1 - beta1) * g
        s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
        return v - lr_t * s["m"] / (np.sqrt(s["v"]) + eps)
    return {"m": 0.0, "v": 0.0}, step


CASES = {
    "gd": (lambda: tf.train.GradientDescentOptimizer(0.1), ref_gd(0.1)),
    "momentum": (lambda: tf.train.MomentumOptimizer(0.05, 0.9), ref_momentum(0.05, 0.9)),
    "nesterov": (lambda: tf.train.MomentumOptimizer(0.05, 0.8, use_nesterov=True),
                 ref_momentum(0.05, 0.8, nesterov=True)),
    "adagrad": (lambda: tf.train.AdagradOptimizer(0.3), ref_adagrad(0.3)),
    "adagrad_init": (lambda: tf.train.AdagradOptimizer(0.2, initial_accumulator_value=0.5),
                     ref_adagrad(0.2, 0.5)),
    "adadelta": (lambda: tf.train.AdadeltaOptimizer(), ref_adadelta()),
    "adadelta_custom": (lambda: tf.train.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-6),
                        ref_adadelta(1.0, 0.9, 1e-6)),
    "rmsprop": (lambda: tf.train.RMSPropOptimizer(0.01), ref_rmsprop(0.01)),
    "rmsprop_centered": (
        lambda: tf.train.RMSPropOptimizer(0.02, decay=0.8, momentum=0.5, epsilon=1e-6,
                                          centered=True),
        ref_rmsprop(0.02, 0.8, 0.5, 1e-6, centered=True)),
    "adam": (lambda: tf.train.AdamOptimizer(), ref_adam()),
    "adam_custom": (lambda: tf.train.AdamOptimizer(0.05, beta1=0.8, beta2=0.99, epsilon=1e-7),
                    ref_adam(0.05, 0.8, 0.99, 1e-7)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_tf1_formulas(case, active_backend):
    make, (slot_init, ref_step) = CASES[case]
    variables, loss = build_problem()
    optimizer = make()
    train_op = optimizer.minimize(loss)
    values = {n: PROBLEM[n][2].copy() for n in PROBLEM}
    slots = {n: {k: np.full_like(values[n], init) for k, init in slot_init.items()}
             for n in PROBLEM}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, STEPS + 1):
            sess.run(train_op)
            for name in PROBLEM:
                grad = _grad(name, values[name])
                values[name] = ref_step(values[name], grad, slots[name], t)
            got = sess.run(variables)
            for name in PROBLEM:
                np.testing.assert_allclose(got[name], values[name], rtol=2e-5, atol=1e-6,
                                           err_msg=f"{case}: {name} after step {t}")
        for name, var in variables.items():
            for slot_name, expected in slots[name].items():
                got = sess.run(optimizer.get_slot(var, slot_name))
                np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-10,
                                           err_msg=f"{case}: slot {slot_name} of {name}")
        if case.startswith("adam"):
            beta1, beta2 = optimizer._beta1, optimizer._beta2
            b1p, b2p = optimizer._get_beta_accumulators()
            np.testing.assert_allclose(sess.run([b1p, b2p]),
                                       [beta1 ** (STEPS + 1), beta2 ** (STEPS + 1)], rtol=1e-5)


def test_adadelta_moves_the_variable_by_its_tiny_default_step(active_backend):
    # lr=0.001 and epsilon=1e-8 make the first step about lr * sqrt(eps) / |g| * g: check that
    # size directly on a variable near 0, where float32 resolves it.
    v = tf.get_variable("v", initializer=np.float32(0.0))
    train = tf.train.AdadeltaOptimizer().minimize(3.0 * v)  # gradient 3
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        accum = 0.05 * 9.0
        expected = -0.001 * np.sqrt(1e-8) / np.sqrt(accum + 1e-8) * 3.0
        np.testing.assert_allclose(sess.run(v), expected, rtol=1e-4)


SLOT_NAMES = {
    "gd": ([], []),
    "momentum": (["momentum"], ["W/Momentum", "b/Momentum"]),
    "adagrad": (["accumulator"], ["W/Adagrad", "b/Adagrad"]),
    "adadelta": (["accum", "accum_update"], ["W/Adadelta", "W/Adadelta_1", "b/Adadelta",
                                             "b/Adadelta_1"]),
    "rmsprop": (["momentum", "rms"], ["W/RMSProp", "W/RMSProp_1", "b/RMSProp", "b/RMSProp_1"]),
    "rmsprop_centered": (["mg", "momentum", "rms"],
                         ["W/RMSProp", "W/RMSProp_1", "W/RMSProp_2", "b/RMSProp", "b/RMSProp_1",
                          "b/RMSProp_2"]),
    "adam": (["m", "v"], ["W/Adam", "W/Adam_1", "b/Adam", "b/Adam_1", "beta1_power",
                          "beta2_power"]),
}


@pytest.mark.parametrize("case", sorted(SLOT_NAMES))
def test_slot_variables_are_named_as_in_tf1_and_not_trainable(case):
    slot_names, variable_names = SLOT_NAMES[case]
    variables, loss = build_problem()
    optimizer = CASES[case][0]()
    optimizer.minimize(loss)
    assert optimizer.get_slot_names() == slot_names
    assert [v.op.name for v in optimizer.variables()] == variable_names
    assert tf.trainable_variables() == [variables["W"], variables["b"]]
    assert set(optimizer.variables()) <= set(tf.global_variables())
    if case == "rmsprop":  # TF1 creates "rms" first, then "momentum"
        assert optimizer.get_slot(variables["W"], "rms").op.name == "W/RMSProp"
        assert optimizer.get_slot(variables["W"], "momentum").op.name == "W/RMSProp_1"
    if case == "adam":
        assert optimizer.get_slot(variables["b"], "v").op.name == "b/Adam_1"
        assert optimizer.get_slot(variables["b"], "nope") is None


def test_slots_inside_a_name_scope_take_the_variable_name():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", initializer=[1.0, 2.0])
    with tf.name_scope("training"):
        optimizer = tf.train.MomentumOptimizer(0.1, 0.9)
        optimizer.minimize(tf.reduce_sum(w * w))
    assert optimizer.get_slot(w, "momentum").op.name == "layer/w/Momentum"


def test_second_minimize_reuses_the_slots(active_backend):
    variables, loss = build_problem()
    optimizer = tf.train.AdamOptimizer(0.1)
    first = optimizer.minimize(loss)
    second = optimizer.minimize(loss * 2.0)
    assert len(optimizer.variables()) == 6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(first)
        sess.run(second)
        b1p, _ = optimizer._get_beta_accumulators()
        # both steps advanced the shared beta1_power
        np.testing.assert_allclose(sess.run(b1p), 0.9 ** 3, rtol=1e-6)


def test_global_step_is_incremented_in_the_same_run(active_backend):
    variables, loss = build_problem()
    global_step = tf.train.get_or_create_global_step()
    assert tf.train.get_or_create_global_step() is global_step
    assert tf.train.get_global_step() is global_step
    assert global_step.dtype == tf.int64 and not global_step.trainable
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seen = [sess.run([train_op, global_step])[1] for _ in range(3)]
        assert seen == [0, 1, 2]  # a run reads the value from before it
        assert sess.run(global_step) == 3
        assert tf.train.global_step(sess, global_step) == 3


def test_global_step_can_be_an_ordinary_variable(active_backend):
    step = tf.Variable(0, trainable=False, name="step")
    x = tf.get_variable("x", initializer=1.0)
    train_op = tf.train.AdamOptimizer(0.1).minimize(x * x, global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            sess.run(train_op)
        assert sess.run(step) == 4


def test_var_list_limits_what_is_updated(active_backend):
    variables, loss = build_problem()
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, var_list=[variables["W"]])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        w, b = sess.run([variables["W"], variables["b"]])
    w0 = PROBLEM["W"][2]
    np.testing.assert_allclose(w, w0 - 0.1 * _grad("W", w0), rtol=1e-6)
    np.testing.assert_array_equal(b, PROBLEM["b"][2].astype(np.float32))


def test_compute_then_apply_gradients_with_clipping(active_backend):
    variables, loss = build_problem()
    optimizer = tf.train.GradientDescentOptimizer(0.5)
    grads_and_vars = optimizer.compute_gradients(loss)
    assert [v for _, v in grads_and_vars] == [variables["W"], variables["b"]]
    clipped = [(tf.clip_by_value(g, -0.5, 0.5), v) for g, v in grads_and_vars]
    train_op = optimizer.apply_gradients(clipped)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        grads = sess.run([g for g, _ in grads_and_vars])
        sess.run(train_op)
        w = sess.run(variables["W"])
    w0 = PROBLEM["W"][2]
    np.testing.assert_allclose(grads[0], _grad("W", w0), rtol=1e-6)
    np.testing.assert_allclose(w, w0 - 0.5 * np.clip(_grad("W", w0), -0.5, 0.5), rtol=1e-6)


def test_unconnected_variable_gets_none_and_is_skipped(active_backend):
    variables, loss = build_problem()
    unused = tf.get_variable("unused", initializer=[5.0])
    optimizer = tf.train.MomentumOptimizer(0.1, 0.9)
    grads_and_vars = optimizer.compute_gradients(loss)
    assert grads_and_vars[-1] == (None, unused)
    train_op = optimizer.apply_gradients(grads_and_vars)
    assert optimizer.get_slot(unused, "momentum") is None  # no slot for a skipped variable
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        assert sess.run(unused).tolist() == [5.0]
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply_gradients([(None, unused)])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.minimize(loss, var_list=[unused])


def test_hyper_parameters_may_be_fed_tensors(active_backend):
    x = tf.get_variable("x", initializer=np.array([1.0, -2.0], np.float64))  # float64 variable
    lr = tf.placeholder(tf.float32, shape=(), name="lr")  # float32 rate: cast to the var's
    momentum = tf.placeholder(tf.float32, shape=(), name="momentum")
    train_op = tf.train.MomentumOptimizer(lr, momentum).minimize(tf.reduce_sum(x * x))
    accum = np.zeros(2)
    value = np.array([1.0, -2.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for rate, mom in [(0.1, 0.5), (0.05, 0.9), (0.2, 0.0)]:
            sess.run(train_op, feed_dict={lr: rate, momentum: mom})
            accum = np.float32(mom) * accum + 2 * value
            value = value - np.float32(rate) * accum
            np.testing.assert_allclose(sess.run(x), value, rtol=1e-12)
        with pytest.raises(ValueError, match="must feed a value for placeholder 'lr'"):
            sess.run(train_op, feed_dict={momentum: 0.5})


def test_minimize_checks_its_arguments():
    x = tf.get_variable("x", initializer=[1.0])
    with pytest.raises(ValueError, match="Invalid type int32 for loss"):
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.constant(3))
    with pytest.raises(TypeError, match="Expected a Variable"):
        tf.train.GradientDescentOptimizer(0.1).minimize(x * 2.0, var_list=[x * 2.0])
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    other = tf.Graph()
    with other.as_default():
        y = tf.get_variable("y", initializer=[1.0])
    with pytest.raises(ValueError, match="'y' belongs to another graph"):
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(x), var_list=[x, y])
    with pytest.raises(ValueError, match="shape"):
        tf.train.GradientDescentOptimizer(0.1).apply_gradients([(tf.constant([1.0, 2.0]), x)])


def test_exponential_decay(active_backend):
    step = tf.train.get_or_create_global_step()
    smooth = tf.train.exponential_decay(0.1, step, 10, 0.5)
    stairs = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    bump = tf.assign_add(step, 5)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for k in range(4):
            got = sess.run([smooth, stairs])
            np.testing.assert_allclose(got, [0.1 * 0.5 ** (5 * k / 10),
                                             0.1 * 0.5 ** (5 * k // 10)], rtol=1e-6)
            sess.run(bump)
