"""The jax backend's programs: compiled once per input shape, state donated, gradients by
``jax.vjp`` with the forward pass computed once, printing, and the same errors as numpy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("jax")

import layerkit.graph as lk  # noqa: E402
from layerkit.graph import ops  # noqa: E402
from layerkit.graph.ops.control import print_tensors  # noqa: E402
from layerkit_backend.jax import BACKEND, JaxBackend, select_device  # noqa: E402
from layerkit_backend.jax.registry import LOWERINGS  # noqa: E402

SLIDES_RESULTS = [0.9, 8.54, 13.124001, 15.874401, 17.52464, 18.514786, 19.108871, 19.46532,
                  19.679192, 19.807514]


def _slides_loop():
    """The slides' training loop: W trained by gradient descent towards sum(x * W) = 20."""
    x = lk.placeholder("float32", name="x")
    target = lk.placeholder("float32", name="target")
    learning_rate = lk.placeholder("float32", name="learning_rate")
    w = lk.Variable([0.2, 0.7], name="W")
    y = ops.sum(x * w)
    loss = ops.power(target - y, 2.0)
    (g,) = lk.gradients(loss, [w])
    train_op = lk.assign(w, w - learning_rate * g)
    return x, target, learning_rate, w, y, train_op


# -- compilation ------------------------------------------------------------------------------
def test_compiled_once_per_input_shape():
    x = lk.placeholder("float32", (None, 3))
    w = lk.Variable(np.ones((3, 2), np.float32), name="w")
    loss = ops.mean(ops.square(x @ w))
    (g,) = lk.gradients(loss, [w])
    step = lk.assign(w, w - 0.1 * g)
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        before = BACKEND.compilations
        s.run([loss, step], {x: np.ones((4, 3))})
        s.run([loss, step], {x: np.zeros((4, 3))})  # same shapes, new values, new seed
        assert BACKEND.compilations - before == 1
        s.run([loss, step], {x: np.ones((7, 3))})  # a new batch size
        assert BACKEND.compilations - before == 2
        s.run([loss, step], {x: np.ones((4, 3))})  # back to a shape compiled before
        assert BACKEND.compilations - before == 2
        (_, program), = [entry for key, entry in s._programs.items() if key[2]]  # the fed one
        assert program.compilations == 2


# -- state ------------------------------------------------------------------------------------
def test_slides_training_loop_with_donated_state():
    """Ten steps, each donating W's buffer to the next value: the printed results of the slides."""
    x, target, learning_rate, w, y, train_op = _slides_loop()
    with lk.Session(backend="jax", strict_float=True) as s:
        s.run(lk.global_variables_initializer())
        results = [s.run([y, train_op], {x: [1.0, 1.0], target: 20.0, learning_rate: 0.1})[0]
                   for _ in range(10)]
    # Printed as the slides print them, digit for digit: every op rounds as TF1's did.
    assert [str(r) for r in results] == [str(v) for v in SLIDES_RESULTS]


def test_default_float_semantics_may_contract_but_stay_close():
    """Without strict_float XLA may fuse multiply-adds: the same values to float32 precision."""
    x, target, learning_rate, w, y, train_op = _slides_loop()
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        results = [s.run([y, train_op], {x: [1.0, 1.0], target: 20.0, learning_rate: 0.1})[0]
                   for _ in range(10)]
    np.testing.assert_allclose(results, SLIDES_RESULTS, rtol=1e-6)


def test_state_only_read_is_not_donated():
    """A program that reads w without updating it must leave w's buffer usable by the next."""
    x = lk.placeholder("float32", (2,))
    w = lk.Variable(np.array([1.0, 2.0], np.float32), name="w")
    c = lk.Variable(np.zeros(2, np.float32), name="c")
    read = ops.sum(w * x)
    update_c = lk.assign(c, c + w)  # reads w and c, updates c only: c donated, w kept
    update_w = lk.assign(w, w * 2.0)
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        held = s.variable_values()["w"]
        for _ in range(3):
            assert s.run(read, {x: [1.0, 1.0]}) == pytest.approx(3.0)
            s.run(update_c)
        s.run(update_w)
        np.testing.assert_allclose(s.run(c), [3.0, 6.0])
        np.testing.assert_allclose(s.run(w), [2.0, 4.0])
        np.testing.assert_allclose(held, [1.0, 2.0])  # fetched values are copies


def test_two_variables_assigned_the_same_value_stay_independent():
    a = lk.Variable(np.zeros(2, np.float32), name="a")
    b = lk.Variable(np.zeros(2, np.float32), name="b")
    v = ops.exp(lk.constant([0.0, 1.0]))
    with lk.Session(backend="jax") as s:
        s.run([lk.assign(a, v), lk.assign(b, v)])
        for _ in range(2):
            s.run(lk.assign(a, a + 1.0))  # donates a's buffer; b's must survive
        np.testing.assert_allclose(s.run(b), [1.0, np.e], rtol=1e-6)
        np.testing.assert_allclose(s.run(a), [3.0, np.e + 2], rtol=1e-6)


# -- gradients --------------------------------------------------------------------------------
@pytest.fixture
def counted(monkeypatch):
    """Counts how often each lowering runs while programs are traced."""
    counts: dict[str, int] = {}
    for name, lowering in list(LOWERINGS.items()):
        def lower(*args, _inner=lowering.lower, _name=name, **kwargs):
            counts[_name] = counts.get(_name, 0) + 1
            return _inner(*args, **kwargs)
        monkeypatch.setitem(LOWERINGS, name, dataclasses.replace(lowering, lower=lower))
    return counts


def test_forward_pass_is_computed_once_with_the_gradient(counted):
    """A fetched loss comes out of the vjp'd function as an auxiliary output: the ops between
    the variables and the loss are traced once, not once for the loss and again for jax.vjp."""
    x = lk.placeholder("float32", (None, 3))
    w = lk.Variable(np.ones((3, 4), np.float32), name="w")
    hidden = ops.tanh(x @ w)
    loss = ops.mean(ops.logsumexp(hidden, axis=1))
    accuracy = ops.mean(ops.cast(ops.equal(ops.argmax(hidden, axis=1), 0), "float32"))
    (g,) = lk.gradients(loss, [w])
    step = lk.assign(w, w - 0.1 * g)
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        counted.clear()
        s.run([loss, accuracy, hidden, step], {x: np.ones((5, 3))})
    assert counted["tanh"] == 1 and counted["matmul"] == 1 and counted["logsumexp"] == 1
    assert counted["argmax"] == 1


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_gradient_blocks_sharing_values(backend):
    """Two gradients whose paths read each other's values, gradients of an x another x computes,
    the same x twice, and grad_ys: the same answers on both backends (checked against numpy's)."""
    a = lk.placeholder("float64", (3,))
    b = lk.placeholder("float64", (3,))
    u = ops.tanh(a)
    w = ops.exp(b)
    z = ops.sum(u * ops.sigmoid(w))  # gradient 1 (w.r.t. a) reads w, on gradient 2's path
    y2 = ops.sum(ops.square(w * u))  # gradient 2 (w.r.t. b) reads u, on gradient 1's path
    h = a * 2.0
    y3 = ops.sum(h * h * a)
    fetches = [z, y2, *lk.gradients(z, [a]), *lk.gradients(y2, [b]), *lk.gradients(y3, [h, a]),
               *lk.gradients(y3, [a, a]),
               *lk.gradients([u, w], [a, b], grad_ys=[np.array([1.0, 2.0, 3.0]), 0.5 * w])]
    feeds = {a: [0.1, 0.2, 0.3], b: [1.0, -1.0, 0.5]}
    with lk.Session(backend="numpy") as s:
        expected = s.run(fetches, feeds)
    with lk.Session(backend=backend) as s:
        got = s.run(fetches, feeds)
    for e, v in zip(expected, got):
        np.testing.assert_allclose(v, e, rtol=1e-12)
    av = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(got[4], 4 * av * av)  # d/dh of sum(h*h*a) = 2 h a = 4 a^2
    np.testing.assert_allclose(got[5], 12 * av * av)  # total derivative of 4 a^3
    np.testing.assert_allclose(got[6], got[7])


@pytest.mark.parametrize("steps", [3, 300])
def test_scan_body_is_lowered_once_whatever_the_length(counted, steps):
    """lax.scan, not unrolling: the body's ops are traced once for 3 steps or 300, and the
    result (and its gradient, by JAX's autodiff through lax.scan) matches numpy's loop."""
    x = lk.placeholder("float64", (steps, 2))
    w = lk.Variable(np.array([[0.5, -0.3], [0.2, 0.1]]), name="w")
    final, ys = ops.scan(lambda h, xt: (ops.tanh(xt + h @ w),) * 2, ops.zeros_like(x[0]), x)
    loss = ops.sum(ys * ys) + ops.sum(final)
    (g,) = lk.gradients(loss, [w])
    feeds = {x: np.sin(np.arange(2 * steps)).reshape(steps, 2)}
    results = {}
    for backend in ("numpy", "jax"):
        with lk.Session(backend=backend) as s:
            s.run(lk.global_variables_initializer())
            counted.clear()
            results[backend] = s.run([loss, g], feeds)
    assert counted["tanh"] == 1 and counted["scan"] == 1
    for a, b in zip(results["numpy"], results["jax"]):
        np.testing.assert_allclose(b, a, rtol=1e-10)


def test_print_on_the_gradient_path_and_in_a_scan(capfd):
    def run(backend):
        g = lk.Graph()
        with g.as_default():
            x = lk.placeholder("float32", (4,))
            y = print_tensors(x * 2.0, [x, ops.sum(x)], message="x: ", summarize=3)
            loss = ops.sum(y * y)
            (gx,) = lk.gradients(loss, [x])
            final, _ = ops.scan(lambda c, v: (print_tensors(c + v, [c], message="c="), c),
                                lk.constant(0.0), x)
        with lk.Session(graph=g, backend=backend) as s:
            values = s.run([loss, gx, final], {x: [1.0, 2.0, 3.0, 4.0]})
        return values, capfd.readouterr().err

    (numpy_values, numpy_err), (jax_values, jax_err) = run("numpy"), run("jax")
    assert numpy_err == "x: [1.0 2.0 3.0...][10.0]\nc=[0.0]\nc=[1.0]\nc=[3.0]\nc=[6.0]\n"
    assert sorted(jax_err.splitlines()) == sorted(numpy_err.splitlines())
    for a, b in zip(numpy_values, jax_values):
        np.testing.assert_allclose(a, b)


# -- errors -----------------------------------------------------------------------------------
def _errors(backend):
    """The exception type and message of each kind of bad run on ``backend``."""
    found = []
    with lk.Graph().as_default():
        x = lk.placeholder("float32", (None, 2), name="x")
        w = lk.Variable(np.ones((2, 1), np.float32), name="w")
        y = x @ w
        with lk.Session(backend=backend) as s:
            for fetch, feeds in [(y, {x: np.ones((3, 3))}), (y, {}), (y, {x: np.ones((3, 2))})]:
                try:
                    s.run(fetch, feeds)
                except Exception as error:  # noqa: BLE001
                    found.append((type(error), str(error)))
    return found


def test_bad_runs_give_the_same_errors_as_numpy():
    numpy_errors, jax_errors = _errors("numpy"), _errors("jax")
    assert len(numpy_errors) == 3  # wrong feed shape, missing feed, uninitialized variable
    assert jax_errors == numpy_errors
    assert "shape (3, 3)" in numpy_errors[0][1]
    assert "must feed a value for placeholder 'x'" in numpy_errors[1][1]
    assert "uninitialized value w" in numpy_errors[2][1]


# -- devices ----------------------------------------------------------------------------------
def test_select_device():
    import jax

    assert select_device("") is None
    assert select_device("cpu") == jax.devices("cpu")[0]
    assert select_device("CPU:0") == jax.devices("cpu")[0]
    with pytest.raises(RuntimeError, match="no cpu device '7'"):
        select_device("cpu:7")
    with pytest.raises(RuntimeError, match="LAYERKIT_DEVICE='cpu:x'"):
        select_device("cpu:x")


def test_asarray_and_to_numpy_round_trip():
    import jax

    value = BACKEND.asarray([[1, 2]], np.dtype("float32"))
    assert isinstance(value, jax.Array) and value.dtype == np.float32
    back = BACKEND.to_numpy(value)
    assert isinstance(back, np.ndarray) and back.flags.writeable
    np.testing.assert_array_equal(back, [[1.0, 2.0]])



def test_feeds_are_private_copies_unless_the_caller_gives_them_up():
    """A dispatched call may still be reading its feeds when it returns: by default they are
    copied, so the caller may reuse its buffer; ``copy=False`` hands the array over as it is.
    This is JAX's default device, whatever ``LAYERKIT_DEVICE`` says: a chosen device gets
    device arrays."""
    backend = JaxBackend(device=None)
    batch = np.ones((4, 3), np.float32)
    copied = backend.feed(batch, np.dtype("float32"))
    handed_over = backend.feed(batch, np.dtype("float32"), copy=False)
    assert not np.shares_memory(copied, batch)
    assert handed_over is batch
    converted = backend.feed(batch, np.dtype("float64"), copy=False)  # a cast is a new array
    assert converted.dtype == np.float64 and not np.shares_memory(converted, batch)



def test_a_chosen_device_is_fed_device_arrays_that_never_alias_the_batch():
    import jax

    batch = np.ones((4, 3), np.float32)
    fed = JaxBackend(device=jax.devices()[0]).feed(batch, np.dtype("float32"), copy=False)
    batch[0, 0] = 7.0
    assert isinstance(fed, jax.Array)
    np.testing.assert_array_equal(np.asarray(fed), np.ones((4, 3), np.float32))


# -- several steps per call -------------------------------------------------------------------
def _steps_program_text(with_loop: bool) -> str:
    """The StableHLO of a 4-step call of a training step, with or without a ``scan`` of its
    own."""
    with lk.Graph().as_default():
        return _lowered_steps(with_loop)


def _lowered_steps(with_loop: bool) -> str:
    x = lk.placeholder("float32", (None, 3))
    w = lk.Variable(np.ones((3, 3), np.float32), name="w")
    h = x @ w
    if with_loop:
        final, _ = ops.scan(lambda carry, row: (carry + row, None), ops.zeros_like(h[0]), h)
        h = final
    loss = ops.mean(ops.square(h))
    (g,) = lk.gradients(loss, [w])
    step = lk.assign(w, w - 0.1 * g)
    with lk.Session(backend="jax") as s:
        s.run(lk.global_variables_initializer())
        feeds = np.ones((4, 2, 3), np.float32)
        s.dispatch([loss, step], {x: feeds}, steps=4)
        (_, program), = [entry for key, entry in s._programs.items() if key[2]]
        donated, kept = program._split_state(s._state)
        return program._jitted_steps.lower(donated, kept, [feeds],
                                           np.arange(4, dtype=np.int64)).as_text()


def test_steps_are_unrolled_unless_a_step_loops_itself():
    """No while loop for plain steps (XLA:CPU runs convolutions in loops ~11x slower); a step
    with a scan of its own keeps the steps in one rolled loop (unrolled copies of the inner
    loop ran slower)."""
    assert "stablehlo.while" not in _steps_program_text(with_loop=False)
    # The rolled loop over the steps, and the step's own forward and backward loops in it.
    assert _steps_program_text(with_loop=True).count("stablehlo.while") == 3
