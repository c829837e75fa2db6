"""The program records (``layerkit_backend.ir``): the nodes between two sets of values, and the
operands of a gradients node."""

from __future__ import annotations

from layerkit_backend.ir import Function, Node, between, gradient_operands

# x -> h = matmul(x, w) -> r = relu(h) -> y = add(r, b); s = sign(h) -> z = multiply(s, r);
# u = exp(b), which no x reaches.
X, W, B, H, R, Y, S, Z, U = range(9)
NODES = (
    Node("matmul", (X, W), (H,), name="h"),
    Node("relu", (H,), (R,), name="r"),
    Node("exp", (B,), (U,), name="u"),
    Node("sign", (H,), (S,), name="s", differentiable=False),
    Node("add", (R, B), (Y,), name="y"),
    Node("multiply", (S, R), (Z,), name="z"),
)


def _names(nodes) -> list[str]:
    return [node.name for node in nodes]


def test_between_keeps_the_nodes_on_a_path_in_their_order():
    assert _names(between(NODES, [X], [Y])) == ["h", "r", "y"]
    assert _names(between(NODES, [W], [Z])) == ["h", "r", "s", "z"]
    assert _names(between(NODES, [H], [Y, Z])) == ["r", "s", "y", "z"]
    assert between(NODES, [B], [Z]) == []  # z does not depend on b
    assert between(NODES, [Y], [X]) == []  # no path backwards


def test_between_differentiable_nodes_only():
    # Through sign there is no gradient path: z still depends on x through r.
    assert _names(between(NODES, [X], [Z], only_differentiable=True)) == ["h", "r", "z"]
    sign_only = (NODES[0], NODES[3], Node("exp", (S,), (U,), name="e"))
    assert _names(between(sign_only, [X], [U])) == ["h", "s", "e"]
    assert between(sign_only, [X], [U], only_differentiable=True) == []


def test_gradient_operands():
    node = Node("gradients", (Y, Z, X, W), (10, 11), {"n_ys": 2, "n_xs": 2, "has_grad_ys": False})
    assert gradient_operands(node) == ((Y, Z), (X, W), ())
    seeded = Node("gradients", (Y, X, 12), (13,), {"n_ys": 1, "n_xs": 1, "has_grad_ys": True})
    assert gradient_operands(seeded) == ((Y,), (X,), (12,))


def test_a_function_draws_random_when_one_of_its_nodes_does():
    assert not Function(NODES, (X, W, B), (Y,)).draws_random
    noisy = Node("random_normal", (), (20,), {"seed": 1}, random=True, differentiable=False)
    assert Function((*NODES, noisy), (X, W, B), (Y,)).draws_random


def test_node_facts_default_to_a_plain_differentiable_op():
    node = Node("add", (X, W), (H,))
    assert (node.differentiable, node.random, node.multi_output) == (True, False, False)
