"""Sessions: state ownership, fetch structures, feed validation, program caching, errors that
leave the session usable."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops


@pytest.fixture
def model(backend):
    """y = sum(x * w) with a training step, in a fresh session on ``backend``."""
    x = lk.placeholder("float32", (2,), name="x")
    w = lk.Variable(np.array([0.5, -1.0], np.float32), name="w")
    y = ops.sum(x * w)
    step = lk.assign(w, w + x)
    session = lk.Session(backend=backend)
    session.run(lk.global_variables_initializer())
    yield x, w, y, step, session
    session.close()


def test_new_session_starts_uninitialized_and_names_the_variable(backend):
    w = lk.Variable(np.ones(2, np.float32), name="weights")
    with lk.Session(backend=backend) as s:
        with pytest.raises(lk.FailedPreconditionError, match="uninitialized value weights"):
            s.run(w)
        s.run(w.initializer)
        np.testing.assert_allclose(s.run(w), [1.0, 1.0])
    with lk.Session(backend=backend) as other:  # state belongs to a session
        with pytest.raises(lk.FailedPreconditionError):
            other.run(w)


def test_fetch_structures(model):
    x, w, y, step, s = model
    Pair = collections.namedtuple("Pair", "y w")
    feed = {x: [1.0, 2.0]}
    assert s.run(y, feed) == pytest.approx(-1.5)
    got_list = s.run([y, w], feed)
    got_dict = s.run({"y": y, "nested": (w, [y])}, feed)
    got_named = s.run(Pair(y, w), feed)
    assert isinstance(got_list, list) and got_list[0] == pytest.approx(-1.5)
    assert set(got_dict) == {"y", "nested"} and isinstance(got_dict["nested"], tuple)
    assert isinstance(got_named, Pair) and got_named.y == pytest.approx(-1.5)
    assert s.run(step.op, feed) is None  # an op fetch gives None
    assert s.run("x:0", {"x:0": [0.0, 0.0]}).tolist() == [0.0, 0.0]  # by name


def test_updates_apply_after_the_run_reads(model):
    x, w, y, step, s = model
    before, new = s.run([y, step], {x: [1.0, 1.0]})
    assert before == pytest.approx(-0.5)  # computed with the old w
    np.testing.assert_allclose(new, [1.5, 0.0])
    np.testing.assert_allclose(s.run(w), [1.5, 0.0])


def test_group_and_control_dependencies_run_updates(model):
    x, w, y, step, s = model
    train = lk.group(step)
    s.run(train, {x: [1.0, 1.0]})
    np.testing.assert_allclose(s.run(w), [1.5, 0.0])
    with lk.control_dependencies([train]):
        marker = lk.no_op()
    s.run(marker, {x: [1.0, 1.0]})
    np.testing.assert_allclose(s.run(w), [2.5, 1.0])


def test_two_assigns_to_one_variable_in_a_run_are_refused(model):
    x, w, y, step, s = model
    with pytest.raises(ValueError, match="w would be assigned twice"):
        s.run([step, lk.assign(w, w * 2.0)], {x: [1.0, 1.0]})


def test_programs_are_compiled_once_per_fetch_set(model):
    x, w, y, step, s = model
    for _ in range(3):
        s.run([y, step], {x: [1.0, 1.0]})
    s.run(y, {x: [1.0, 1.0]})
    assert len(s._programs) == 3  # the initializer, [y, step], and y alone


@pytest.mark.parametrize("feed, error, message", [
    ([1.0, 2.0, 3.0], lk.InvalidArgumentError, r"shape \(3,\) for Tensor 'x:0'.*\(2,\)"),
    (["a", "b"], lk.InvalidArgumentError, "type <U1 for 'x:0'"),
    ([1 + 2j, 1j], lk.InvalidArgumentError, "complex128 value for 'x:0'.*float32"),
])
def test_bad_feeds_are_clear_errors_and_the_session_survives(model, feed, error, message):
    x, w, y, step, s = model
    with pytest.raises(error, match=message):
        s.run([y, step], {x: feed})
    np.testing.assert_allclose(s.run(w), [0.5, -1.0])  # nothing was applied
    assert s.run(y, {x: [1.0, 1.0]}) == pytest.approx(-0.5)  # still usable


def test_missing_feed_names_the_placeholder(model):
    x, w, y, step, s = model
    message = r"must feed a value for placeholder 'x'.*float32.*\(2,\)"
    with pytest.raises(lk.InvalidArgumentError, match=message):
        s.run(y)
    assert s.run(y, {x: [2.0, 0.0]}) == pytest.approx(1.0)


def test_only_placeholders_can_be_fed(model):
    x, w, y, step, s = model
    with pytest.raises(lk.InvalidArgumentError, match="only placeholders can be fed"):
        s.run(y, {x: [1.0, 1.0], w: [0.0, 0.0]})


def test_fetching_from_another_graph_is_refused(model):
    x, w, y, step, s = model
    with lk.Graph().as_default():
        stranger = lk.constant(1.0)
    with pytest.raises(lk.InvalidArgumentError, match="not an element of this session's graph"):
        s.run(stranger)
    with pytest.raises(TypeError, match="invalid type"):
        s.run(3.5)
    assert s.run(y, {x: [1.0, 1.0]}) == pytest.approx(-0.5)


def test_closed_session_refuses_to_run(model):
    x, w, y, step, s = model
    s.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        s.run(y, {x: [1.0, 1.0]})


def test_interactive_session_and_eval(backend):
    a = lk.constant(5.0)
    b = lk.constant(6.0)
    s = lk.InteractiveSession(backend=backend)
    try:
        assert (a * b).eval() == pytest.approx(30.0)  # the notes' example
    finally:
        s.close()
    assert lk.get_default_session() is None


def test_int_feeds_convert_to_float_placeholders_but_not_back(backend):
    x = lk.placeholder("float32", (2,))
    i = lk.placeholder("int32", (2,))
    with lk.Session(backend=backend) as s:
        assert s.run(x, {x: np.array([1, 2])}).dtype == np.float32
        with pytest.raises(lk.InvalidArgumentError, match="float64 value for .*int32"):
            s.run(i, {i: np.array([1.5, 2.0])})


# -- dispatch: values left on the backend, several steps in one call ---------------------------
def test_dispatch_of_stacked_steps_equals_one_run_per_step(backend):
    """Each step reads what the previous one stored, and draws the seed the next run would."""
    x = lk.placeholder("float32", (None, 2), name="x")
    w = lk.Variable(np.array([0.5, -1.0], np.float32), name="w")
    noise = ops.random_uniform((2,), seed=5)
    y = ops.sum(x * w) + ops.sum(noise)
    step = lk.assign(w, w + ops.sum(x, axis=0) * 0.1)
    feeds = np.arange(18, dtype=np.float32).reshape(3, 3, 2)
    one_by_one, stacked = lk.Session(backend=backend), lk.Session(backend=backend)
    for session in (one_by_one, stacked):
        session.run(lk.global_variables_initializer())
    expected = [one_by_one.run([y, step], {x: f})[0] for f in feeds]
    values, _ = stacked.dispatch([y, step], {x: feeds}, steps=3)
    backend_array = stacked.backend.to_numpy(values)
    assert backend_array.shape == (3,)
    np.testing.assert_allclose(backend_array, expected, rtol=1e-6)
    np.testing.assert_allclose(stacked.run(w), one_by_one.run(w), rtol=1e-6)
    # Both sessions drew the same seeds: the next runs agree too.
    np.testing.assert_allclose(stacked.run(y, {x: feeds[0]}), one_by_one.run(y, {x: feeds[0]}),
                               rtol=1e-6)


def test_dispatch_without_steps_leaves_values_as_backend_arrays(model):
    x, w, y, step, session = model
    value = session.dispatch(y, {x: [1.0, 2.0]})
    assert float(session.backend.to_numpy(value)) == pytest.approx(-1.5)


@pytest.mark.parametrize("feed, message", [
    (np.zeros((2,), np.float32), r"Cannot feed value of shape \(2,\) for Tensor 'x:0' in a run "
                                 r"of 3 steps: it needs a leading axis of 3 stacked feeds of "
                                 r"shape \(2,\)"),
    (np.zeros((3, 4), np.float32), r"Cannot feed value of shape \(4,\) for Tensor 'x:0', which "
                                   r"has shape \(2,\)"),
    (np.zeros((3, 2), np.complex64), r"Cannot feed a complex64 value for 'x:0'"),
])
def test_bad_stacked_feeds_are_clear_errors_and_change_nothing(model, feed, message):
    x, w, y, step, session = model
    with pytest.raises(lk.errors.InvalidArgumentError, match=message):
        session.dispatch([y, step], {x: feed}, steps=3)
    np.testing.assert_array_equal(session.run(w), [0.5, -1.0])


@pytest.mark.parametrize("steps", [0, -1, 2.0, True])
def test_dispatch_refuses_a_bad_step_count(model, steps):
    x, w, y, step, session = model
    with pytest.raises(ValueError, match="steps must be a positive int or None"):
        session.dispatch(y, {x: np.zeros((2, 2), np.float32)}, steps=steps)


# -- make_callable: a run worked out once ---------------------------------------------------------
def test_make_callable_runs_as_run_does_with_feeds_given_in_order(model):
    x, w, y, step, session = model
    z = lk.placeholder("float32", (), name="z")
    scaled = y * z
    expected = session.run([scaled, y], {x: [1.0, 2.0], z: 3.0})
    f = session.make_callable([scaled, y], [x, "z:0"])  # a placeholder or its name
    np.testing.assert_allclose(f([1.0, 2.0], 3.0), expected)
    np.testing.assert_allclose(f([2.0, 2.0], 1.0), [-1.0, -1.0])  # new values each call


def test_make_callable_stores_updates_and_dispatches_stacked_steps(model):
    x, w, y, step, session = model
    train = session.make_callable([y, step], [x])
    before, after = train([1.0, 1.0])
    assert before == pytest.approx(-0.5)
    np.testing.assert_allclose(after, [1.5, 0.0])
    values, _ = train.dispatch(np.ones((2, 2), np.float32), steps=2)
    np.testing.assert_allclose(session.backend.to_numpy(values), [1.5, 3.5])
    np.testing.assert_allclose(session.run(w), [3.5, 2.0])


def test_make_callable_checks_each_call_and_changes_nothing_on_error(model):
    x, w, y, step, session = model
    train = session.make_callable([y, step], [x])
    with pytest.raises(TypeError, match=r"takes 1 fed value\(s\), one per feed_list entry, "
                                        r"got 2"):
        train([1.0, 1.0], [1.0, 1.0])
    with pytest.raises(lk.InvalidArgumentError, match=r"shape \(3,\) for Tensor 'x:0'"):
        train([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(session.run(w), [0.5, -1.0])
    session.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        train([1.0, 1.0])


def test_make_callable_refuses_bad_feed_lists(model):
    x, w, y, step, session = model
    with pytest.raises(lk.InvalidArgumentError, match="'x:0' is fed twice"):
        session.make_callable(y, [x, "x:0"])
    with pytest.raises(lk.InvalidArgumentError, match="only placeholders can be fed"):
        session.make_callable(y, [y])
    with pytest.raises(lk.InvalidArgumentError, match="must feed a value for placeholder 'x'"):
        session.make_callable(y, [])
    with pytest.raises(NotImplementedError, match="accept_options"):
        session.make_callable(y, [x], accept_options=True)


def test_make_callable_names_an_uninitialized_variable(backend):
    v = lk.Variable(np.ones(2, np.float32), name="late")
    with lk.Session(backend=backend) as s:
        read = s.make_callable(v)
        with pytest.raises(lk.FailedPreconditionError, match="uninitialized value late"):
            read()
        s.run(v.initializer)
        np.testing.assert_allclose(read(), [1.0, 1.0])


def test_repeated_runs_keep_their_structure_and_check_their_feeds(model):
    """``run`` keeps the worked-out call of a flat fetch list for the next run: a list and a
    tuple of the same tensors stay apart, and the kept call still checks what is fed."""
    x, w, y, step, s = model
    for feed in ([1.0, 2.0], [3.0, 4.0]):
        as_list, as_tuple = s.run([y, w], {x: feed}), s.run((y, w), {x: feed})
        assert isinstance(as_list, list) and isinstance(as_tuple, tuple)
        assert as_list[0] == pytest.approx(0.5 * feed[0] - feed[1])
        assert isinstance(s.run({"y": y}, {x: feed}), dict)  # not kept: rebuilt each run
    with pytest.raises(lk.InvalidArgumentError, match=r"shape \(1,\)"):
        s.run([y, w], {x: [1.0]})
