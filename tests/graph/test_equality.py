"""``==`` and ``!=`` on tensors are element-wise (Keras 3 / TensorFlow 2), while hashing stays by
identity: the results and dtypes on every backend, what falls back to identity without adding
ops, and the places of the core (and of the Keras wing) that must tell tensors apart with
``is``, which fail if they go back to ``in`` / ``==`` on lists of tensors."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.backend as K
import layerkit.graph as lk
from layerkit import metrics, optimizers
from layerkit.graph import ops
from layerkit.graph.graph import ancestors


def _run(backend, fetches, feed_dict=None):
    with lk.Session(backend=backend) as session:
        session.run(lk.global_variables_initializer())
        return session.run(fetches, feed_dict)


# -- element-wise results ---------------------------------------------------------------------
def test_an_int_tensor_equals_an_int_element_wise(backend):
    x = lk.constant(np.array([1, 2, 3, 2], np.int32))
    eq, ne = x == 2, x != 2
    assert isinstance(eq, lk.Tensor) and eq.op.type == "equal" and ne.op.type == "not_equal"
    assert eq.dtype == np.bool_ and ne.dtype == np.bool_ and eq.shape == (4,)
    got_eq, got_ne = _run(backend, [eq, ne])
    assert got_eq.dtype == np.bool_ and got_eq.tolist() == [False, True, False, True]
    assert got_ne.tolist() == [True, False, True, False]
    assert _run(backend, 2 == x).tolist() == [False, True, False, True]  # reflected


def test_an_int_tensor_never_equals_a_fraction(backend):
    """``int_tensor == 1.5`` compares as floats (as in Keras), not as int(1.5) == 1."""
    x = lk.constant(np.array([1, 2], np.int32))
    assert _run(backend, x == 1.5).tolist() == [False, False]
    assert _run(backend, x != 1.5).tolist() == [True, True]
    assert _run(backend, x == 2.0).tolist() == [False, True]  # a whole float still matches


def test_a_float_tensor_against_an_int_tensor_compares_as_floats(backend):
    f = lk.constant(np.array([1.0, 2.5, 3.0], np.float32))
    i = lk.constant(np.array([1, 2, 3], np.int32))
    eq, ne = f == i, i != f
    assert eq.dtype == np.bool_ and ne.dtype == np.bool_
    got_eq, got_ne = _run(backend, [eq, ne])
    assert got_eq.tolist() == [True, False, True] and got_ne.tolist() == [False, True, False]


def test_equality_broadcasts(backend):
    column = lk.placeholder("int32", (3, 1), name="column")
    row = lk.constant(np.array([0, 1, 2, 3], np.int32))
    eq = column == row
    assert eq.shape == (3, 4) and eq.dtype == np.bool_
    got = _run(backend, eq, {column: [[1], [2], [5]]})
    np.testing.assert_array_equal(got, np.arange(4)[None, :] == np.array([[1], [2], [5]]))
    listed = _run(backend, row == [0, 9, 2, 9])  # a list compares element-wise too
    assert listed.tolist() == [True, False, True, False]


def test_variables_compare_element_wise(backend):
    w = lk.Variable(np.array([0.5, 2.0], np.float32), name="w")
    assert (w == 2.0).dtype == np.bool_
    eq, ne = _run(backend, [w == 2.0, w != w])
    assert eq.tolist() == [False, True] and ne.tolist() == [False, False]


# -- what is no element-wise comparison -------------------------------------------------------
def test_none_and_strings_fall_back_to_identity_without_adding_ops():
    x = lk.constant(np.array([1.0, 2.0], np.float32))
    graph = lk.get_default_graph()
    before = len(graph.get_operations())
    assert (x == None) is False  # noqa: E711  (the operator itself is under test)
    assert (x != None) is True  # noqa: E711
    assert (x != "a") is True and (x == "a") is False
    assert (x == graph) is False and (x == object()) is False
    assert len(graph.get_operations()) == before


def test_tensors_still_key_dicts_and_fill_sets():
    a = lk.constant(np.array([1.0], np.float32))
    b = lk.constant(np.array([1.0], np.float32))  # equal values, another tensor
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len(table) == 2
    assert a in table and b in {b} and a not in {b}
    assert len({a, b, a}) == 2
    with pytest.raises(TypeError, match="no truth value"):
        bool(a == b)
    with pytest.raises(TypeError, match="no truth value"):  # why `in list` is not for tensors
        _ = b in [a, b]


def test_matches_counted_with_cast_in_a_custom_metric_step(backend):
    """Keras's custom-metric idiom: ``ops.cast(y_true == y_pred, "float32")`` counts matches."""
    y_true = lk.placeholder("int32", (None,), name="y_true")
    y_pred = lk.placeholder("int64", (None,), name="y_pred")
    total = lk.Variable(np.float32(0.0), name="matches")
    step = lk.assign(total, total + ops.sum(ops.cast(y_true == y_pred, "float32")))
    with lk.Session(backend=backend) as session:
        session.run(total.initializer)
        assert session.run(step, {y_true: [1, 2, 3, 4], y_pred: [1, 0, 3, 4]}) == 3.0
        assert session.run(step, {y_true: [0, 1], y_pred: [0, 0]}) == 4.0


# -- the core tells tensors apart by identity -------------------------------------------------
def test_a_placeholder_fed_twice_is_refused_by_identity(backend):
    """``PreparedRun`` finds a repeated feed with ``is`` (``in`` on the list raised)."""
    x = lk.placeholder("float32", (2,), name="x")
    y = lk.placeholder("float32", (2,), name="y")
    total = ops.sum(x * y)
    with lk.Session(backend=backend) as session:
        assert session.run(total, {x: [1.0, 2.0], y: [3.0, 4.0]}) == 11.0
        assert session.make_callable(total, [y, x])([3.0, 4.0], [1.0, 2.0]) == 11.0
        with pytest.raises(lk.InvalidArgumentError, match="'x:0' is fed twice"):
            session.make_callable(total, [x, y, x])
        with pytest.raises(lk.InvalidArgumentError, match="'x:0' is fed twice"):
            session.run(total, {x: [1.0, 2.0], y: [3.0, 4.0], "x:0": [1.0, 2.0]})


def test_several_fetches_are_told_apart_and_repeats_kept(backend):
    """``_split`` keeps each fetched tensor once by identity; the structure keeps repeats."""
    x = lk.placeholder("float32", (), name="x")
    a, b = x * 2.0, x + 1.0
    w = lk.Variable(np.float32(3.0), name="w")
    with lk.Session(backend=backend) as session:
        session.run(w.initializer)
        got = session.run([a, b, a, {"w": w, "b": b}, (w, a)], {x: 5.0})
        assert got == [10.0, 6.0, 10.0, {"w": 3.0, "b": 6.0}, (3.0, 10.0)]
        step = lk.assign(w, w + x)
        assert session.run([step, w, step.op], {x: 1.0}) == [4.0, 3.0, None]


def test_ancestors_stops_at_tensors_listed_in_any_collection():
    x = lk.placeholder("float32", (), name="x")
    h = x * 2.0
    y = h + 1.0
    assert h.op in ancestors([y]) and x.op in ancestors([y])
    for stop in ([h], (h,), {h}, frozenset([h]), [x, h]):
        walked = ancestors([y], stop=stop)
        assert y.op in walked and h.op not in walked and x.op not in walked


def test_records_holding_tensors_compare_by_identity(keras):
    """A layer called twice keeps two nodes; records holding tensors use identity ``==``."""
    dense = keras.layers.Dense(2)
    a, b = keras.Input((3,)), keras.Input((3,))
    dense(a), dense(b)
    first, second = dense._inbound_nodes
    assert first != second and not (first == second)
    assert second in dense._inbound_nodes and dense._inbound_nodes.index(second) == 1


# -- the Keras wing ---------------------------------------------------------------------------
class _Matches(metrics.Metric):
    """Counts matching labels; its update returns both assigns (the trace keeps each once)."""

    def __init__(self, name="matches", **kwargs):
        super().__init__(name=name, **kwargs)
        self.matches = self.add_variable((), name="matches")
        self.seen = self.add_variable((), name="seen")

    def update_state(self, y_true, y_pred):
        hits = ops.cast(y_true == y_pred, "float32")
        return [self.matches.assign(self.matches + ops.sum(hits)),
                self.seen.assign(self.seen + ops.sum(ops.ones_like(hits)))]

    def result(self):
        return self.matches / self.seen


def test_a_metric_returning_its_assigns_counts_matches(keras):
    metric = _Matches()
    metric.update_state(np.array([1, 2, 3, 4]), np.array([1, 0, 3, 4]))
    metric.update_state(np.array([5, 6]), np.array([5, 6]))
    assert metric.result() == pytest.approx(5 / 6)
    with K.symbolic_scope():
        y_true, y_pred = lk.placeholder("int32", (None,)), lk.placeholder("int32", (None,))
        updates = metric.update_state(y_true, y_pred)
    assert len(updates) == 2 and updates[0] is not updates[1]
    K.get_session().run(updates, {y_true: [7, 8], y_pred: [7, 0]})
    assert metric.result() == pytest.approx(6 / 8)


def test_a_schedule_replacing_a_float_learning_rate_drops_its_variable_by_identity(keras):
    """The learning-rate variable comes after ``iterations``: ``list.remove`` compared them."""
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build([K.variable(np.zeros(2, np.float32), "w")])
    iterations, rate = opt.variables[:2]
    opt.learning_rate = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert all(v is not rate for v in opt.variables)
    assert opt.variables[0] is iterations and len(opt.variables) == 1
