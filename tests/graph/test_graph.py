"""Graph building: names, scopes, default graphs, dtype rules and build-time errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from layerkit.graph.graph import ancestors


def test_ops_get_unique_names_under_scopes():
    a = lk.placeholder("float32", (), name="a")
    with lk.name_scope("layer"):
        b = a + 1.0
        c = a + 2.0
    assert a.name == "a:0"
    assert b.op.name == "layer/add"
    assert c.op.name == "layer/add_1"
    assert [op.name for op in lk.get_default_graph().get_operations()][0] == "a"


def test_graph_as_default_and_reset():
    g = lk.Graph()
    with g.as_default():
        x = lk.placeholder("float32", (2,))
        assert lk.get_default_graph() is g
    assert x.graph is g
    assert lk.get_default_graph() is not g
    assert g.get_tensor_by_name(x.name) is x
    lk.reset_default_graph()
    assert lk.get_default_graph().get_operations() == []


def test_static_shapes_broadcast_and_unknown_dims():
    x = lk.placeholder("float32", (None, 3))
    y = x * lk.constant(np.ones((1, 3), np.float32))
    assert y.shape == (None, 3)
    unknown = lk.placeholder("float32")  # unknown rank
    assert (unknown + x).shape is None
    assert ops.sum(x, axis=1, keepdims=True).shape == (None, 1)


def test_python_scalars_take_the_tensor_dtype():
    x = lk.placeholder("float64", (2,))
    assert (x * 2).dtype == np.float64
    i = lk.placeholder("int32", (2,))
    assert (i + 1).dtype == np.int32
    with pytest.raises(TypeError, match="add.*int32"):
        i + 0.5


def test_mixed_dtypes_are_refused_naming_both_operands():
    a = lk.placeholder("float32", (2,), name="a")
    b = lk.placeholder("float64", (2,), name="b")
    with pytest.raises(TypeError, match=r"add.*'a:0' \(float32\).*'b:0' \(float64\)"):
        a + b


def test_shape_mismatch_raises_at_build_time_naming_op_and_shapes():
    a = lk.placeholder("float32", (2, 3))
    b = lk.placeholder("float32", (4,))
    before = len(lk.get_default_graph().get_operations())
    with pytest.raises(ValueError, match=r"multiply 'mul'.*\(2, 3\) and \(4,\)"):
        ops.multiply(a, b, name="mul")
    assert len(lk.get_default_graph().get_operations()) == before  # nothing half-built


def test_float_only_ops_refuse_integers():
    with pytest.raises(TypeError, match="exp.*int32.*floating-point"):
        ops.exp(lk.placeholder("int32", (2,)))


def test_tensors_from_two_graphs_cannot_meet():
    g1, g2 = lk.Graph(), lk.Graph()
    with g1.as_default():
        a = lk.placeholder("float32", (), name="a")
    with g2.as_default():
        b = lk.placeholder("float32", (), name="b")
    with pytest.raises(ValueError, match="'a:0' and 'b:0' belong to different graphs"):
        a + b


def test_symbolic_tensors_refuse_python_truth_and_numpy_conversion():
    x = lk.placeholder("float32", (2,))
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(TypeError, match="session.run"):
        np.asarray(x)


def test_tensor_operators_build_ops():
    x = lk.placeholder("float32", (2,))
    built = [x + 1, 1 - x, x * x, x / 2.0, 2.0 / x, x ** 2, -x, abs(x), x < 1, x >= 0]
    types = [t.op.type for t in built]
    assert types == ["add", "subtract", "multiply", "divide", "divide", "power", "negative",
                     "abs", "less", "greater_equal"]
    with lk.Session() as s:
        values = s.run(built[:7], {x: [1.0, 2.0]})
    np.testing.assert_allclose(values[5], [1.0, 4.0])
    np.testing.assert_allclose(values[4], [2.0, 1.0])


def test_variable_needs_a_known_shape_and_matching_initial_value():
    with pytest.raises(ValueError, match="Variable 'v'.*shape"):
        lk.Variable(np.zeros(3, np.float32), shape=(2,), name="v")
    v = lk.Variable(np.zeros((2, 2)), name="w", trainable=False)
    assert v.dtype == np.float64
    # by identity: `in` on a list compares variables with ==, which is element-wise
    assert all(u is not v for u in lk.trainable_variables())
    assert any(u is v for u in lk.global_variables())


def test_name_scopes_nest_reenter_and_reset():
    g = lk.get_default_graph()
    with g.name_scope("a/b") as scope:
        assert scope == "a/b/"
        assert lk.constant(1.0, name="c").op.name == "a/b/c"
        with g.name_scope(None):
            assert lk.constant(1.0, name="root").op.name == "root"
    with g.name_scope("a/b/"):  # absolute: the same scope again, not a/b_1
        assert lk.constant(1.0, name="c").op.name == "a/b/c_1"
    with g.name_scope("a"):
        assert lk.constant(1.0, name="d").op.name == "a/d"  # only "a/b" was taken, as in TF1


def test_every_operator_is_on_tensor_after_importing_only_the_graph_module():
    """The op modules attach the operators when they load; ``layerkit.graph`` loads them all,
    so importing the graph module alone (a fresh process) gives a tensor with every operator."""
    names = ["add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "pow", "rpow",
             "matmul", "rmatmul", "neg", "abs", "lt", "le", "gt", "ge", "getitem"]
    code = ("from layerkit.graph.graph import Tensor\n"
            f"print([n for n in {names!r} if f'__{{n}}__' not in vars(Tensor)])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    x = lk.placeholder("float32", (2, 2))
    assert [t.op.type for t in (x @ x, [[1.0, 0.0]] @ x, x[0], 3.0 < x)] == [
        "matmul", "matmul", "getitem", "greater"]
    assert (2.0 - x).op.inputs[1] is x


def _names(found) -> list[str]:
    return [op.name for op in found]


def test_ancestors_in_creation_order_with_stop_and_control_inputs():
    a = lk.placeholder("float32", (), name="a")
    b = lk.placeholder("float32", (), name="b")
    c = ops.add(b, a, name="c")
    d = ops.exp(c, name="d")
    with lk.control_dependencies([d]):
        e = ops.negative(a, name="e")
    assert _names(ancestors([d])) == ["a", "b", "c", "d"]
    assert _names(ancestors([d], stop={c})) == ["d"]
    assert _names(ancestors([d, c], stop={a})) == ["b", "c", "d"]
    assert _names(ancestors([e])) == ["a", "e"]
    assert _names(ancestors([e], control=True)) == ["a", "b", "c", "d", "e"]
    assert _names(ancestors(ops=[e.op, b.op])) == ["a", "b", "e"]


def test_default_sessions_stack_and_interactive_sessions_leave_it():
    assert lk.get_default_session() is None
    outer, inner = lk.Session(), lk.Session()
    with outer:
        with inner.as_default():
            assert lk.get_default_session() is inner
        assert lk.get_default_session() is outer
        interactive = lk.InteractiveSession()
        assert lk.get_default_session() is interactive
        interactive.close()
        interactive.close()  # closing twice is fine
        assert lk.get_default_session() is outer
    assert lk.get_default_session() is None
