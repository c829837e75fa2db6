"""Lowering (``layerkit.graph.program``): what a backend receives for a run, in the IR format of
``layerkit_backend.ir``: the inputs' and outputs' order, values defined before they are read,
scan bodies as nested functions, static types, the op facts on each node, and only the ops
needed."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops
from layerkit.graph.program import lower_body, lower_function, lower_program
from layerkit_backend.ir import Function, Node

F32 = np.dtype("float32")


def _nodes_by_op(function: Function) -> dict[str, list[Node]]:
    found: dict[str, list[Node]] = {}
    for node in function.nodes:
        found.setdefault(node.op, []).append(node)
    return found


def _check_defined_before_read(function: Function) -> None:
    """Every value a node reads is an input or made by an earlier node; nested bodies too."""
    defined = set(function.inputs)
    for node in function.nodes:
        assert set(node.inputs) <= defined, f"{node.name} reads a value not yet defined"
        assert not defined.intersection(node.outputs), f"{node.name} redefines a value"
        defined.update(node.outputs)
        for attr in node.attrs.values():
            if isinstance(attr, Function):
                _check_defined_before_read(attr)
    assert set(function.outputs) <= defined


@pytest.fixture
def run_graph():
    """Two placeholders, two variables, a constant, an assign, a scan, and an op nobody needs."""
    x = lk.placeholder("float32", (None, 2), name="x")
    y = lk.placeholder("float32", (None, 2), name="y")
    a = lk.Variable(np.ones((2, 2), np.float32), name="a")
    b = lk.Variable(np.zeros(2, np.float32), name="b")
    scale = lk.constant(2.0, name="scale")
    ops.exp(x, name="unneeded")
    h = (y + b) @ a * scale + x  # reads the later-made y and b first
    weight = lk.constant(np.full(2, 0.5, np.float32), name="weight")  # captured by the body
    final, steps = ops.scan(lambda c, row: (c * weight + row, ops.tanh(c)),
                            lk.constant(np.zeros(2, np.float32)), h, name="loop")
    new_b = lk.assign(b, b + 1.0, name="b_update")
    new_a = lk.assign(a, a * 0.5, name="a_update")
    return dict(x=x, y=y, a=a, b=b, h=h, final=final, steps=steps, new_a=new_a, new_b=new_b)


def _lower(g, fed=None):
    fed = [g["y"], g["x"]] if fed is None else fed
    return lower_program([g["final"], g["steps"]], [(g["b"], g["new_b"]), (g["a"], g["new_a"])],
                         fed)


def test_feeds_and_state_come_in_creation_order_and_updates_in_the_given_order(run_graph):
    g = run_graph
    lowered = _lower(g)
    spec = lowered.spec
    assert lowered.placeholders == (g["x"], g["y"])  # fed as [y, x]; created x first
    assert lowered.variables == (g["a"], g["b"])
    assert (spec.n_feeds, spec.state_keys, spec.update_keys) == (2, ("a", "b"), ("b", "a"))
    assert spec.n_fetches == 2
    assert len(spec.feeds) == 2 and len(spec.state) == 2
    assert spec.function.inputs == (*spec.feeds, *spec.state)
    assert spec.function.outputs == (*spec.fetches, *spec.updates)
    assert len(set(spec.function.inputs)) == 4


def test_every_value_is_defined_before_it_is_read(run_graph):
    _check_defined_before_read(_lower(run_graph).spec.function)


def test_an_assign_is_no_node_but_names_the_value_it_stores(run_graph):
    function = _lower(run_graph).spec.function
    by_op = _nodes_by_op(function)
    assert "assign" not in by_op and "variable" not in by_op and "placeholder" not in by_op
    producer = {v: node for node in function.nodes for v in node.outputs}
    new_b, new_a = _lower(run_graph).spec.updates
    assert producer[new_b].op == "add" and producer[new_a].op == "multiply"
    b_value = _lower(run_graph).spec.state[1]
    assert b_value in producer[new_b].inputs


def test_ops_nobody_needs_are_left_out(run_graph):
    names = {node.name for node in _lower(run_graph).spec.function.nodes}
    assert "unneeded" not in names
    assert {"scale", "weight", "loop"} <= names
    fetch_only = lower_program([run_graph["h"]], [], [run_graph["x"], run_graph["y"]])
    assert "loop" not in {node.name for node in fetch_only.spec.function.nodes}
    assert fetch_only.spec.state_keys == ("a", "b") and fetch_only.spec.update_keys == ()


def test_a_scan_body_is_a_nested_function_of_its_inputs_then_its_captures(run_graph):
    (scan,) = _nodes_by_op(_lower(run_graph).spec.function)["scan"]
    body = scan.attrs["body"]
    assert isinstance(body, Function)
    # carry, row, then the captured outer constant; the scan node reads as many values.
    assert len(body.inputs) == 3 == len(scan.inputs)
    assert (scan.attrs["n_carry"], scan.attrs["n_seq"]) == (1, 1)
    assert [node.op for node in body.nodes] == ["multiply", "add", "tanh"]
    assert len(body.outputs) == 2
    multiply = body.nodes[0]
    assert multiply.inputs == (body.inputs[0], body.inputs[2])  # c * weight (captured)


def test_nodes_carry_their_outputs_static_types(run_graph):
    by_op = _nodes_by_op(_lower(run_graph).spec.function)
    assert by_op["matmul"][0].out_types == (((None, 2), F32),)
    assert by_op["constant"][0].out_types[0] == ((), F32)
    (scan,) = by_op["scan"]
    assert scan.out_types == (((2,), F32), ((None, 2), F32))  # final carry; stacked steps


def test_nodes_carry_the_facts_of_their_op_type(run_graph):
    by_op = _nodes_by_op(_lower(run_graph).spec.function)
    matmul, constant, scan = by_op["matmul"][0], by_op["constant"][0], by_op["scan"][0]
    assert (matmul.differentiable, matmul.random, matmul.multi_output) == (True, False, False)
    assert (constant.differentiable, constant.random) == (False, False)
    assert (scan.differentiable, scan.random, scan.multi_output) == (True, False, True)
    assert not scan.attrs["body"].draws_random


def test_a_random_node_and_a_split_node():
    x = lk.placeholder("float32", (4,))
    left, right = ops.split(x + ops.random_normal((4,), seed=3), 2)
    function = lower_program([left, right], [], [x]).spec.function
    by_op = _nodes_by_op(function)
    (normal,) = by_op["random_normal"]
    assert (normal.random, normal.differentiable, normal.attrs["seed"]) == (True, False, 3)
    assert by_op["split"][0].multi_output
    assert function.draws_random


def test_a_scan_is_random_when_its_body_is_even_two_levels_down():
    def inner(c, _):
        return c + ops.random_uniform((2,)), c

    def outer(c, _):
        final, _ = ops.scan(inner, c, length=2)
        return final, c

    final, _ = ops.scan(outer, lk.constant(np.zeros(2, np.float32)), length=3)
    (scan,) = _nodes_by_op(lower_program([final], []).spec.function)["scan"]
    (inner_scan,) = [n for n in scan.attrs["body"].nodes if n.op == "scan"]
    assert inner_scan.random and scan.random
    assert "seed" not in scan.attrs  # a random scan draws with its body's own seeds


def test_a_random_scan_draws_anew_at_each_step(backend):
    _, steps = ops.scan(lambda c, _: (c, ops.random_uniform((2,)) + c),
                        lk.constant(np.zeros(2, np.float32)), length=3)
    with lk.Session(backend=backend) as session:
        first, second = session.run(steps), session.run(steps)
    assert first.shape == (3, 2) and np.all((first >= 0) & (first < 1))
    assert len({tuple(row) for row in first}) == 3
    assert not np.array_equal(first, second)


def test_lower_body_numbers_the_body_alone(run_graph):
    body = run_graph["final"].op.attrs["body"]
    function = lower_body(body)
    assert function.inputs == (0, 1, 2)
    _check_defined_before_read(function)


def test_an_unfed_placeholder_is_an_error(run_graph):
    with pytest.raises(lk.InvalidArgumentError,
                       match=r"must feed a value for placeholder 'y' with dtype float32 and "
                             r"shape \(None, 2\)"):
        _lower(run_graph, fed=[run_graph["x"]])


def test_a_variable_assigned_twice_in_one_run_is_an_error(run_graph):
    g = run_graph
    again = lk.assign(g["a"], g["a"] + 1.0)
    with pytest.raises(ValueError, match="a would be assigned twice"):
        lower_program([], [(g["a"], g["new_a"]), (g["a"], again)], [])


def test_a_needed_placeholder_that_is_not_an_input_is_an_error(run_graph):
    with pytest.raises(ValueError, match=r"'x' \(placeholder\) is needed but is not an input"):
        lower_function([run_graph["y"]], [run_graph["x"] + run_graph["y"]])
