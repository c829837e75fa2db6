"""Gradients of composite ``layerkit.ops`` functions (built from several core ops) in float64,
against central finite differences, on both backends (``tests/graph/harness.py``'s check)."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit import ops
from tests.conftest import BACKENDS
from tests.graph.cases import OpCase, away_from, distinct, positive, uniform
from tests.graph.harness import GradientCheck, case_inputs


def case(id: str, build, inputs, **kw) -> OpCase:
    return OpCase(id=id, op=id, build=build, inputs=inputs, **kw)


CASES = [
    case("norm", lambda x: ops.norm(x, axis=1), lambda r, d: [uniform(r, (3, 4), d)]),
    case("norm-fro", lambda x: ops.norm(x), lambda r, d: [uniform(r, (3, 4), d)]),
    case("norm-p3", lambda x: ops.norm(x, ord=3, axis=0),
         lambda r, d: [away_from(r, (3, 4), d)]),
    case("norm-matrix-1", lambda x: ops.norm(x, ord=1), lambda r, d: [distinct(r, (3, 4), d)]),
    case("var", lambda x: ops.var(x, axis=0), lambda r, d: [uniform(r, (4, 3), d)]),
    case("std", lambda x: ops.std(x, axis=1, keepdims=True), lambda r, d: [uniform(r, (3, 5), d)]),
    case("logsumexp", lambda x: ops.logsumexp(x, axis=-1), lambda r, d: [uniform(r, (3, 4), d)]),
    case("logaddexp", ops.logaddexp, lambda r, d: [uniform(r, (3, 4), d), uniform(r, (4,), d)]),
    case("hypot", ops.hypot, lambda r, d: [positive(r, (3, 4), d), positive(r, (3, 4), d)]),
    case("gelu", ops.nn.gelu, lambda r, d: [uniform(r, (3, 4), d, -3, 3)]),
    case("gelu-exact", lambda x: ops.nn.gelu(x, approximate=False),
         lambda r, d: [uniform(r, (3, 4), d, -3, 3)]),
    case("selu", ops.nn.selu, lambda r, d: [away_from(r, (3, 4), d)]),
    case("log_softmax", ops.nn.log_softmax, lambda r, d: [uniform(r, (3, 4), d)]),
    case("normalize", ops.nn.normalize, lambda r, d: [uniform(r, (3, 4), d)]),
    case("moments", lambda x: ops.nn.moments(x, axes=[0]), lambda r, d: [uniform(r, (4, 3), d)]),
    case("categorical_crossentropy",
         lambda t, y: ops.nn.categorical_crossentropy(t, y, from_logits=True),
         lambda r, d: [np.eye(4, dtype=d)[[0, 2, 3]], uniform(r, (3, 4), d)], grad=[1]),
    case("dot_product_attention", ops.nn.dot_product_attention,
         lambda r, d: [uniform(r, (1, 3, 2, 2), d), uniform(r, (1, 4, 2, 2), d),
                       uniform(r, (1, 4, 2, 2), d)]),
    case("take_along_axis", lambda x, i: ops.take_along_axis(x, i, axis=1),
         lambda r, d: [uniform(r, (3, 4), d), np.array([[0, 0], [3, 1], [2, 2]], np.int32)]),
    case("take", lambda x: ops.take(x, np.array([1, 1, 0], np.int32), axis=0),
         lambda r, d: [uniform(r, (3, 4), d)]),
    case("tensordot", lambda a, b: ops.tensordot(a, b, axes=([1, 2], [1, 0])),
         lambda r, d: [uniform(r, (2, 3, 4), d), uniform(r, (4, 3), d)]),
    case("einsum", lambda a, b: ops.einsum("bij,bjk->bik", a, b),
         lambda r, d: [uniform(r, (2, 3, 4), d), uniform(r, (2, 4, 2), d)]),
    case("dot-nd", ops.dot, lambda r, d: [uniform(r, (2, 3), d), uniform(r, (2, 3, 2), d)]),
    case("trace", lambda x: ops.trace(x, offset=1), lambda r, d: [uniform(r, (3, 4), d)]),
    case("diagonal", lambda x: ops.diagonal(x, offset=-1), lambda r, d: [uniform(r, (4, 3), d)]),
    case("median", lambda x: ops.median(x, axis=1), lambda r, d: [distinct(r, (3, 4), d)]),
    case("average", lambda x, w: ops.average(x, axis=1, weights=w),
         lambda r, d: [uniform(r, (3, 4), d), positive(r, (4,), d)]),
    case("image.resize-bilinear", lambda x: ops.image.resize(x, (5, 3)),
         lambda r, d: [uniform(r, (1, 3, 4, 2), d)]),
    case("image.resize-nearest", lambda x: ops.image.resize(x, (5, 3), interpolation="nearest"),
         lambda r, d: [uniform(r, (3, 4, 1), d)]),
    case("image.rgb_to_grayscale", ops.image.rgb_to_grayscale,
         lambda r, d: [uniform(r, (2, 2, 3), d)]),
    case("nn.conv", lambda x, w: ops.nn.conv(x, w, padding="same"),
         lambda r, d: [uniform(r, (1, 4, 4, 2), d), uniform(r, (3, 3, 2, 2), d)]),
    case("while_loop", lambda x: ops.while_loop(lambda v: ops.less(ops.sum(v), 4.0),
                                                lambda v: v * 1.5, x, maximum_iterations=10),
         lambda r, d: [positive(r, (2,), d, 0.3, 0.6)]),
    case("scan", lambda x: ops.scan(lambda c, v: (c * v, c + v), np.ones(2), x),
         lambda r, d: [uniform(r, (3, 2), d)]),
    case("cond", lambda x: ops.cond(ops.greater(ops.sum(x), 100.0), lambda: x * 2.0,
                                    lambda: ops.sin(x)), lambda r, d: [uniform(r, (3,), d)]),
    case("slice_update", lambda x, u: ops.slice_update(x, (1, 1), u),
         lambda r, d: [uniform(r, (3, 4), d), uniform(r, (2, 2), d)]),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_gradient_matches_finite_differences(case, backend):
    arrays = case_inputs(case, "float64")
    check = GradientCheck(case, arrays, backend)
    assert check.wrt and check.weights, "nothing to differentiate"
    for i, analytic, numeric in zip(check.wrt, check.analytic(arrays), check.numeric(arrays)):
        assert analytic.dtype == np.float64
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"gradient of ops.{case.id} w.r.t. input {i}")


def test_stop_gradient_stops_it():
    import layerkit.graph as lk

    x = lk.placeholder("float64", (3,))
    (g,) = lk.gradients(ops.sum(ops.stop_gradient(x) * x), [x])
    value = lk.Session().run(g, {x: np.array([1.0, 2.0, 3.0])})
    np.testing.assert_allclose(value, [1.0, 2.0, 3.0])
