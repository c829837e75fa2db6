"""The optimizer API around the update formulas: state, learning rate, None gradients, eager
steps, errors, get/serialize and configs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from layerkit import backend, optimizers
from layerkit.graph import Tensor, constant, gradients, ops
from layerkit.optimizers import schedules
from tests.optimizers import reference as ref


def _least_squares(opt, extra=()):
    """Kernel, bias, extra variables and the update tensors of one train step."""
    kernel = backend.variable(ref.W0, "dense/kernel")
    bias = backend.variable(ref.B0, "dense/bias")
    variables = [kernel, bias, *extra]
    with backend.symbolic_scope():
        x, y = constant(ref.X.astype("float32")), constant(ref.Y.astype("float32"))
        loss = ops.mean(ops.square(ops.matmul(x, kernel) + bias - y))
        grads = [g if v is kernel or v is bias else None  # not `in`: == is element-wise
                 for g, v in zip(gradients(loss, [kernel, bias]) + [None] * len(extra),
                                 variables)]
        updates = opt.apply_gradients(zip(grads, variables))
    return kernel, bias, updates


# -- state ---------------------------------------------------------------------------------------
def test_variables_are_named_from_the_optimizer_and_the_variable(keras_session):
    opt = optimizers.Adam(amsgrad=True)
    _least_squares(opt)
    assert [v.path for v in opt.variables] == [
        "adam/iteration", "adam/learning_rate",
        # Keras 3's order: each variable's slots together (files store them by position).
        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat",
    ]
    assert all(not v.trainable for v in opt.variables)
    assert opt.iterations.dtype == np.int64 and opt.iterations.numpy() == 0
    assert opt.variables[2].shape == (3, 2) and opt.variables[4].shape == (2,)


def test_sgd_without_momentum_has_no_slots(keras_session):
    opt = optimizers.SGD()
    opt.build([backend.variable(np.ones(3), "w")])
    assert [v.path for v in opt.variables] == ["SGD/iteration", "SGD/learning_rate"]


def test_update_tensors_include_every_variable_and_the_iteration_count(keras_session):
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    _, _, updates = _least_squares(opt)
    assert all(isinstance(u, Tensor) for u in updates)
    # kernel, bias, their velocity, average gradient and momentum slots, then iterations.
    assert len(updates) == 2 * 4 + 1
    session = backend.get_session()
    for _ in range(3):
        session.run(updates)
    assert opt.iterations.numpy() == 3


def test_adam_is_one_fused_op_per_variable_and_one_step_size_per_step(keras_session):
    opt = optimizers.AdamW(0.1, amsgrad=True)
    _least_squares(opt)
    types = [op.type for op in backend.get_graph().get_operations()]
    assert types.count("adam_update") == 2
    assert types.count("power") == 2  # beta_1 ** t and beta_2 ** t, shared by both variables


@pytest.mark.parametrize("make", [lambda: optimizers.Adam(0.1),
                                  lambda: optimizers.AdamW(0.1, amsgrad=True)])
def test_a_step_never_writes_to_the_values_the_session_holds(keras_session, make):
    """Every read in a run sees the values from before it: the numpy arrays the session holds
    are read-only here, so a kernel that updated one in place would raise."""
    if keras_session != "numpy":
        pytest.skip("jax arrays are immutable")
    kernel, _, updates = _least_squares(make())
    session = backend.get_session()
    for _ in range(3):
        held = dict(session._state)
        copies = {key: value.copy() for key, value in held.items()}
        for value in held.values():
            value.setflags(write=False)
        session.run(updates)
        for key, value in held.items():
            np.testing.assert_array_equal(value, copies[key])
    assert not np.array_equal(kernel.numpy(), ref.W0)


def test_learning_rate_set_between_steps_reaches_the_compiled_program(keras_session):
    opt = optimizers.SGD(0.1)
    kernel, bias, updates = _least_squares(opt)
    session = backend.get_session()
    session.run(updates)
    session.run(updates)
    opt.learning_rate = 0.5
    assert opt.learning_rate == pytest.approx(0.5)
    session.run(updates)
    lrs = [ref.f32(0.1), ref.f32(0.1), ref.f32(0.5)]
    want = ref.trajectory(ref.sgd_update(), 3, lambda t: lrs[t])[-1]
    np.testing.assert_allclose(kernel.numpy(), want["W"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias.numpy(), want["b"], rtol=1e-5, atol=1e-6)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.5)


def test_learning_rate_is_a_tensor_in_the_program_and_a_float_outside(keras_session):
    opt = optimizers.SGD(schedules.PiecewiseConstantDecay([1], [0.5, 0.25]))
    assert opt.learning_rate == 0.5
    _, _, updates = _least_squares(opt)
    with backend.symbolic_scope():
        assert isinstance(opt.learning_rate, Tensor)
    session = backend.get_session()
    session.run(updates)
    assert opt.learning_rate == 0.5  # iterations == 1
    session.run(updates)
    assert opt.learning_rate == 0.25
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_a_schedule_can_replace_a_float_learning_rate_before_tracing(keras_session):
    opt = optimizers.SGD(0.1)
    opt.build([backend.variable(np.ones(2), "w")])
    assert "SGD/learning_rate" in [v.path for v in opt.variables]
    opt.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert "SGD/learning_rate" not in [v.path for v in opt.variables]
    assert opt.learning_rate == pytest.approx(0.1)


def test_none_gradients_are_skipped_with_a_warning(keras_session):
    other = backend.variable(np.full(4, 3.0), "other/w")
    opt = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match="other/w"):
        kernel, _, updates = _least_squares(opt, extra=[other])
    backend.get_session().run(updates)
    np.testing.assert_array_equal(other.numpy(), np.full(4, 3.0, np.float32))
    assert not np.allclose(kernel.numpy(), ref.W0)
    assert opt.iterations.numpy() == 1


def test_all_none_gradients_is_an_error_naming_the_variables(keras_session):
    a = backend.variable(np.ones(2), "layer/a")
    b = backend.variable(np.ones(2), "layer/b")
    opt = optimizers.SGD()
    with backend.symbolic_scope(), pytest.raises(ValueError, match=r"layer/a.*layer/b"):
        opt.apply_gradients([(None, a), (None, b)])


def test_unknown_variable_after_build_is_an_error(keras_session):
    a = backend.variable(np.ones(2), "a")
    b = backend.variable(np.ones(2), "b")
    opt = optimizers.SGD()
    opt.build([a])
    with backend.symbolic_scope(), pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(constant(np.ones(2, np.float32)), b)])


def test_gradient_of_the_wrong_shape_is_an_error(keras_session):
    a = backend.variable(np.ones(2), "a")
    with backend.symbolic_scope(), pytest.raises(ValueError, match="shape"):
        optimizers.SGD().apply_gradients([(constant(np.ones(3, np.float32)), a)])


def test_variables_outside_the_keras_graph_are_refused(keras_session):
    from layerkit.graph import Graph, Variable

    with Graph().as_default():
        foreign = Variable(np.ones(2, np.float32), name="foreign")
    with backend.symbolic_scope(), pytest.raises(ValueError, match="Keras graph"):
        optimizers.SGD().apply_gradients([(np.ones(2), foreign)])


def test_apply_outside_the_symbolic_scope_takes_the_step_now(keras_session):
    w = backend.variable(np.array([1.0, -2.0]), "w")
    opt = optimizers.SGD(0.5, momentum=0.5)
    for _ in range(3):
        opt.apply_gradients([(np.array([1.0, 2.0]), w)])
    m, want = np.zeros(2), np.array([1.0, -2.0])
    for _ in range(3):
        m = 0.5 * m - 0.5 * np.array([1.0, 2.0])
        want = want + m
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-6)
    assert opt.iterations.numpy() == 3
    assert len(opt._eager_steps) == 1  # traced once


def test_apply_with_the_built_variables(keras_session):
    w = backend.variable(np.array([1.0, 2.0]), "w")
    opt = optimizers.SGD(0.5)
    with pytest.raises(ValueError, match="built"):
        opt.apply([np.ones(2)])
    opt.build([w])
    opt.apply([np.ones(2)])
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])


def test_weights_round_trip_through_save_and_load_own_variables(keras_session):
    opt = optimizers.Adam(0.1)
    _, _, updates = _least_squares(opt)
    backend.get_session().run(updates)
    store: dict = {}
    opt.save_own_variables(store)
    assert sorted(store) == [str(i) for i in range(len(opt.variables))]
    fresh = optimizers.Adam(0.1, name="other")
    fresh.build([backend.variable(ref.W0, "k2"), backend.variable(ref.B0, "b2")])
    fresh.load_own_variables(store)
    for mine, theirs in zip(opt.variables, fresh.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.warns(UserWarning, match="Skipping"):
        optimizers.Adam().load_own_variables(store)
    fresh.set_weights([v.numpy() for v in opt.variables])
    with pytest.raises(ValueError, match="not yet been built"):
        optimizers.SGD().set_weights([])


def test_an_optimizer_from_a_cleared_session_is_refused(keras_session):
    opt = optimizers.SGD()
    opt.build([backend.variable(np.ones(2), "w")])
    backend.clear_session()
    with pytest.raises(RuntimeError, match="clear_session"):
        opt.iterations  # noqa: B018


def test_weight_decay_exclusion_must_come_before_build(keras_session):
    opt = optimizers.AdamW()
    opt.build([backend.variable(np.ones(2), "w")])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["bias"])


# -- constructor errors --------------------------------------------------------------------------
def test_unknown_keyword_argument_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="momentun"):
        optimizers.SGD(momentun=0.9)
    with pytest.raises(TypeError, match="foo"):
        optimizers.Adam(foo=1, learning_rate=0.1)


def test_decay_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.SGD(decay=None)


@pytest.mark.parametrize("kwargs", [
    {"clipnorm": 1.0, "global_clipnorm": 1.0},
    {"clipnorm": 1.0, "clipvalue": 1.0},
    {"clipvalue": 1.0, "global_clipnorm": 1.0},
])
def test_only_one_clipping_mode(kwargs):
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(**kwargs)


def test_unsupported_features_are_refused():
    with pytest.raises(NotImplementedError, match="use_ema"):
        optimizers.Adam(use_ema=True)
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=4)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm="big")


def test_defaults_follow_keras():
    sgd, adam, adamw = optimizers.SGD(), optimizers.Adam(), optimizers.AdamW()
    rms, adagrad, adadelta = optimizers.RMSprop(), optimizers.Adagrad(), optimizers.Adadelta()
    assert (sgd.name, sgd.learning_rate, sgd.momentum, sgd.nesterov) == ("SGD", 0.01, 0, False)
    assert (adam.name, adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon,
            adam.amsgrad) == ("adam", 0.001, 0.9, 0.999, 1e-7, False)
    assert (adamw.name, adamw.weight_decay, adamw.learning_rate) == ("adamw", 0.004, 0.001)
    assert (rms.name, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        "rmsprop", 0.9, 0.0, 1e-7, False)
    assert (adagrad.name, adagrad.initial_accumulator_value, adagrad.epsilon) == (
        "adagrad", 0.1, 1e-7)
    assert (adadelta.name, adadelta.learning_rate, adadelta.rho, adadelta.epsilon) == (
        "adadelta", 0.001, 0.95, 1e-7)
    assert adam.weight_decay is adam.clipnorm is adam.clipvalue is adam.global_clipnorm is None


# -- get, serialize, configs ---------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("adam", optimizers.Adam),
    ("Adam", optimizers.Adam), ("adamw", optimizers.AdamW), ("AdamW", optimizers.AdamW),
    ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
    ("adagrad", optimizers.Adagrad), ("ADAGRAD", optimizers.Adagrad),
    ("adadelta", optimizers.Adadelta), ("Adadelta", optimizers.Adadelta),
])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls


def test_get_other_identifiers():
    adam = optimizers.Adam(0.5)
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    opt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5,
                                                          "momentum": 0.9}})
    assert isinstance(opt, optimizers.SGD) and opt.momentum == 0.9
    assert opt.learning_rate == 0.5
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(42)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"nadamax.*adadelta, adagrad, adam, adamw, rmsprop, "
                                         r"sgd"):
        optimizers.get("nadamax")


CONFIG_CASES = [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
    lambda: optimizers.Adam(0.01, beta_1=0.8, amsgrad=True, weight_decay=0.1,
                            global_clipnorm=2.0, loss_scale_factor=4.0),
    lambda: optimizers.AdamW(schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True)),
    lambda: optimizers.RMSprop(schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
                               rho=0.8, momentum=0.5, centered=True, clipvalue=0.5),
    lambda: optimizers.Adagrad(initial_accumulator_value=0.5, epsilon=1e-5, name="ada"),
    lambda: optimizers.Adadelta(1.0, rho=0.9),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    opt = make()
    config = opt.get_config()
    again = type(opt).from_config(config)
    assert again.get_config() == config
    serialized = optimizers.serialize(opt)
    assert serialized["class_name"] == type(opt).__name__
    assert serialized["module"] == "keras.optimizers"
    clone = optimizers.deserialize(serialized)
    assert type(clone) is type(opt) and clone.get_config() == config
    assert optimizers.get(serialized).get_config() == config


def test_schedule_in_config_is_serialized():
    config = optimizers.SGD(schedules.ExponentialDecay(0.1, 100, 0.9)).get_config()
    assert config["learning_rate"] == {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.9,
                   "staircase": False, "name": "ExponentialDecay"},
        "registered_name": None}


def test_keras_config_keys():
    assert list(optimizers.Adam().get_config()) == [
        "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
        "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
        "gradient_accumulation_steps", "beta_1", "beta_2", "epsilon", "amsgrad"]


def test_keras2_config_loads():
    """tf.keras 2.11+ wrote ``jit_compile`` and ``is_legacy_optimizer``; older ones ``decay``."""
    opt = optimizers.deserialize({"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False, "jit_compile": True,
        "is_legacy_optimizer": False}})
    assert isinstance(opt, optimizers.Adam) and opt.name == "Adam"


def test_custom_objects():
    class MySGD(optimizers.SGD):
        pass

    opt = optimizers.deserialize({"class_name": "MySGD", "config": {"learning_rate": 0.2}},
                                 custom_objects={"MySGD": MySGD})
    assert type(opt) is MySGD


def test_callable_learning_rate(keras_session):
    rate = {"value": 0.25}
    opt = optimizers.SGD(lambda: rate["value"])
    assert opt.learning_rate == 0.25
    with pytest.warns(UserWarning, match="callable"):
        assert opt.get_config()["learning_rate"] == 0.25
    w = backend.variable(np.array([1.0]), "w")
    opt.apply_gradients([(np.array([1.0]), w)])
    rate["value"] = 0.5  # outside a program the callable is called at each step
    opt.apply_gradients([(np.array([1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.25])
