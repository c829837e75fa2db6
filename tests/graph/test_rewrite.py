"""``substitute`` (``layerkit.graph.rewrite``): re-applying part of a graph on other tensors."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops


@pytest.fixture
def chain():
    """``c = exp((2x) + y)`` and ``d = 2x - 1``: only ``c`` depends on ``y``."""
    x = lk.placeholder("float32", (2, 3), name="x")
    y = lk.placeholder("float32", (2, 3), name="y")
    doubled = x * 2.0
    c = ops.exp(doubled + y, name="c")
    d = ops.subtract(doubled, 1.0, name="d")
    other_y = lk.placeholder("float32", (2, 3), name="other_y")
    return dict(x=x, y=y, doubled=doubled, c=c, d=d, other_y=other_y)


def _arrays(*seeds):
    return [np.random.default_rng(seed).normal(size=(2, 3)).astype(np.float32)
            for seed in seeds]


def test_only_the_ops_downstream_of_a_replaced_tensor_are_rebuilt(chain):
    graph = lk.get_default_graph()
    before = graph.get_operations()
    new_c, new_d = lk.substitute([chain["c"], chain["d"]], {chain["y"]: chain["other_y"]})
    added = graph.get_operations()[len(before):]
    assert [op.type for op in added] == ["add", "exp"]
    assert new_d is chain["d"]  # does not depend on y: shared, not copied
    rebuilt_add = new_c.op.inputs[0].op
    assert rebuilt_add.inputs == (chain["doubled"], chain["other_y"])  # 2x itself is shared


def test_the_rebuilt_outputs_compute_on_the_new_tensors_and_the_originals_are_untouched(
        chain, backend):
    c_op_inputs = chain["c"].op.inputs
    (new_c,) = lk.substitute([chain["c"]], {chain["y"]: chain["other_y"]})
    assert chain["c"].op.inputs == c_op_inputs
    x, y, other = _arrays(1, 2, 3)
    with lk.Session(backend=backend) as session:
        old, new = session.run([chain["c"], new_c],
                               {chain["x"]: x, chain["y"]: y, chain["other_y"]: other})
    np.testing.assert_allclose(old, np.exp(2 * x + y), rtol=1e-6)
    np.testing.assert_allclose(new, np.exp(2 * x + other), rtol=1e-6)


def test_rebuilt_ops_keep_their_attributes_and_base_names():
    x = lk.placeholder("float32", (2, 3))
    other = lk.placeholder("float32", (2, 3))
    with lk.name_scope("metric"):
        total = ops.sum(ops.square(x), axis=1, keepdims=True, name="total")
    (new_total,) = lk.substitute([total], {x: other})
    assert new_total.op.type == "sum"
    assert new_total.op.attrs == total.op.attrs == {"axis": (1,), "keepdims": True}
    assert new_total.op.attrs is not total.op.attrs
    assert new_total.op.name == "total" and total.op.name == "metric/total"
    assert new_total.shape == (2, 1)


def test_a_replaced_output_is_returned_as_its_replacement(chain):
    assert lk.substitute([chain["y"], chain["x"]], {chain["y"]: chain["other_y"]}) == [
        chain["other_y"], chain["x"]]


def test_nothing_to_replace_returns_the_outputs_and_builds_nothing(chain):
    graph = lk.get_default_graph()
    count = len(graph.get_operations())
    assert lk.substitute([chain["c"]], {}) == [chain["c"]]
    assert lk.substitute([chain["d"]], {chain["y"]: chain["other_y"]}) == [chain["d"]]
    assert len(graph.get_operations()) == count


def test_metrics_from_the_values_a_step_stores(backend):
    """What the trainer does: one run updates a variable and reports the value it stores."""
    total = lk.Variable(np.float32(1.0), name="total")
    stored = lk.assign(total, total + 2.0)
    report = total * 10.0
    (report_after,) = lk.substitute([report], {total: stored})
    with lk.Session(backend=backend) as session:
        session.run(lk.global_variables_initializer())
        before, after = session.run([report, report_after])
        assert (before, after) == (10.0, 30.0)
        assert session.run(total) == 3.0


@pytest.mark.parametrize("replacement, what", [
    (lambda: lk.placeholder("float64", (2, 3)), "float64"),
    (lambda: lk.placeholder("float32", (3, 2)), r"\(3, 2\)"),
    (lambda: lk.placeholder("float32", (None, 3)), r"\(None, 3\)"),
])
def test_a_replacement_of_another_dtype_or_shape_is_an_error(chain, replacement, what):
    new = replacement()
    with pytest.raises(ValueError, match=rf"substitute: '{new.name}' .*{what}.* cannot replace "
                                         r"'y:0'"):
        lk.substitute([chain["c"]], {chain["y"]: new})
