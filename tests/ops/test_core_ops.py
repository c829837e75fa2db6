"""``layerkit.ops``'s core ops (conversion, shapes, slices, control flow), eager and symbolic on
both backends; dynamic (batch) shapes; and the errors bad arguments give."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit import backend as K
from layerkit import ops
from tests.conftest import BACKENDS
from tests.ops.harness import Case, Static, check_eager, check_symbolic, f32, i32, params

C = Case
X = f32(3, 4)

CASES: list[Case] = [
    C("cast", [f32(3, 4, low=-3, high=3), "int32"], lambda x, d: x.astype(d)),
    C("cast", [i32(3, 4), "float16"], lambda x, d: x.astype(d), id="cast-float16"),
    C("cast", [i32(3, 4), "bool"], lambda x, d: x.astype(d), id="cast-bool"),
    C("convert_to_tensor", [X], lambda x: x),
    C("convert_to_tensor", [[[1, 2], [3, 4]]], lambda x: np.array(x, np.int32),
      id="convert_to_tensor-list"),
    C("convert_to_tensor", [[1.5, 2.0]], lambda x: np.array(x, np.float32),
      id="convert_to_tensor-floats"),
    C("convert_to_tensor", [X], lambda x: x.astype(np.float16), kwargs={"dtype": "float16"},
      id="convert_to_tensor-dtype"),
    # a uint8 value stays uint8 as a tensor (symbolically too: a constant, in symbolic_scope)
    C("convert_to_tensor", [Static(np.array([1, 200], np.uint8))], lambda x: x,
      id="convert_to_tensor-uint8"),
    C("dtype", [X], lambda x: "float32"),
    C("dtype", [i32(2)], lambda x: "int32", id="dtype-int"),
    C("shape", [f32(2, 3, 4)], np.shape),
    C("stop_gradient", [X], lambda x: x),
    C("slice", [X, (1, 0), (2, 3)], lambda x, s, n: x[1:3, 0:3]),
    C("slice", [f32(2, 3, 4), (0, 1, 2), (-1, 2, 2)], lambda x, s, n: x[:, 1:3, 2:4],
      id="slice-minus-one"),
    C("slice_update", [X, (1, 2), f32(2, 2)],
      lambda x, s, u: np.concatenate([x[:1], np.concatenate([x[1:3, :2], u], 1), x[3:]])),
    C("slice_update", [i32(3, 4), (0, 0), np.ones((1, 4), np.int32)],
      lambda x, s, u: np.concatenate([u, x[1:]]), id="slice_update-int"),
    C("unstack", [X], lambda x: list(x)),
    C("unstack", [f32(2, 3, 4)], lambda x: [x[:, i] for i in range(3)], kwargs={"axis": 1},
      id="unstack-axis"),
]

PARAMS = params(CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_eager(case, backend):
    check_eager(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_symbolic(case, backend):
    check_symbolic(case, backend)


def test_is_tensor_and_convert_to_numpy(active_backend):
    x = lk.placeholder("float32", (2,))
    assert ops.is_tensor(x)
    assert not ops.is_tensor(np.ones(2))
    eager = ops.add(np.ones(2, np.float32), 1.0)
    assert ops.is_tensor(eager)
    assert type(ops.convert_to_numpy(eager)) is np.ndarray
    np.testing.assert_array_equal(ops.convert_to_numpy(eager), [2.0, 2.0])
    np.testing.assert_array_equal(ops.convert_to_numpy([1, 2]), [1, 2])
    with pytest.raises(TypeError, match="no value"):
        ops.convert_to_numpy(x)


# -- helpers for the symbolic runs ------------------------------------------------------------
def evaluate(backend: str, build, *arrays):
    """``build(*placeholders)`` in a fresh graph, run on ``arrays``."""
    graph = lk.Graph()
    with graph.as_default():
        feeds = [lk.placeholder(np.asarray(a).dtype, np.shape(a)) for a in arrays]
        out = build(*feeds)
    return lk.Session(graph=graph, backend=backend).run(out, dict(zip(feeds, arrays)))


# -- dynamic shapes ----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_shape_of_a_batch_dimension_is_a_tensor(backend):
    x = lk.placeholder("float32", (None, 4))
    dims = ops.shape(x)
    assert isinstance(dims, tuple) and len(dims) == 2
    assert isinstance(dims[0], lk.Tensor) and dims[0].dtype.name == "int32"
    assert dims[1] == 4
    value = lk.Session(backend=backend).run(dims[0], {x: np.zeros((5, 4), np.float32)})
    assert int(value) == 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_shapes_with_a_batch_dimension_build_and_run(backend):
    batch = np.arange(20, dtype=np.float32).reshape(5, 4)
    graph = lk.Graph()
    with graph.as_default():
        x = lk.placeholder("float32", (None, 4))
        n = ops.shape(x)[0]
        outs = {
            "zeros": ops.zeros((n, 3)),
            "ones-int": ops.ones((n, 2), dtype="int32"),
            "full": ops.full((n, 1), 2.5),
            "reshape": ops.reshape(x, (n, 2, 2)),
            "broadcast_to": ops.broadcast_to(ops.ones((4,)), (n, 4)),
            "broadcast_to-row": ops.broadcast_to(x[:1], (n, 4)),
            "size": ops.size(x),
            "mean-of-batch": ops.sum(x, axis=0) / ops.cast(n, "float32"),
        }
    assert outs["zeros"].shape in ((None, 3),) and outs["reshape"].shape == (None, 2, 2)
    values = lk.Session(graph=graph, backend=backend).run(outs, {x: batch})
    np.testing.assert_array_equal(values["zeros"], np.zeros((5, 3), np.float32))
    assert values["zeros"].dtype == np.float32
    np.testing.assert_array_equal(values["ones-int"], np.ones((5, 2), np.int32))
    assert values["ones-int"].dtype == np.int32
    np.testing.assert_array_equal(values["full"], np.full((5, 1), 2.5, np.float32))
    np.testing.assert_array_equal(values["reshape"], batch.reshape(5, 2, 2))
    np.testing.assert_array_equal(values["broadcast_to"], np.ones((5, 4), np.float32))
    np.testing.assert_array_equal(values["broadcast_to-row"], np.broadcast_to(batch[:1], (5, 4)))
    assert int(values["size"]) == 20
    np.testing.assert_allclose(values["mean-of-batch"], batch.mean(axis=0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_dynamic_shapes_inside_a_symbolic_scope(backend):
    K.clear_session()
    with K.symbolic_scope():
        x = lk.placeholder("float32", (None, 4))
        n = ops.shape(x)[0]
        z = ops.zeros((n, 3))
        r = ops.reshape(x, (n, 2, 2))
        c = ops.arange(3)  # a creation op builds a constant here
        assert isinstance(c, lk.Tensor)
    batch = np.ones((5, 4), np.float32)
    zv, rv, cv = lk.Session(graph=K.get_graph(), backend=backend).run([z, r, c], {x: batch})
    assert zv.shape == (5, 3) and rv.shape == (5, 2, 2)
    np.testing.assert_array_equal(cv, [0, 1, 2])


def test_ops_in_a_layer_call_with_a_batch_dimension(keras):
    class Mixer(keras.Layer):
        def call(self, inputs):
            n = ops.shape(inputs)[0]
            pairs = ops.reshape(inputs, (n, 2, 2))
            scale = ops.broadcast_to(ops.full((1, 2, 2), 0.5), (n, 2, 2))
            return ops.sum(ops.nn.relu(pairs) * scale, axis=-1) + ops.zeros((n, 2))

    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, Mixer()(inputs))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    out = model.predict(x, verbose=0)
    expected = (np.maximum(x.reshape(5, 2, 2), 0) * 0.5).sum(-1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# Ops on a batch of unknown size, as in a layer's call: (op on a placeholder of shape
# (None, 3, 4), numpy reference), evaluated with a batch of 5. Ops acting on the known axes need
# only those to be known.
BATCH = f32(5, 3, 4)
_W = f32(4, 2)
BATCH_CASES = {
    "sum-axis0": (lambda x: ops.sum(x, axis=0), lambda x: x.sum(0)),
    "mean-all": (lambda x: ops.mean(x), lambda x: x.mean()),
    "var-batch": (lambda x: ops.var(x, axis=0), lambda x: x.var(0)),
    "argmax-batch": (lambda x: ops.argmax(x, axis=0), lambda x: x.argmax(0)),
    "softmax": (ops.nn.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    "reshape": (lambda x: ops.reshape(x, (-1, 12)), lambda x: x.reshape(-1, 12)),
    "transpose": (lambda x: ops.transpose(x, (0, 2, 1)), lambda x: x.transpose(0, 2, 1)),
    "swapaxes": (lambda x: ops.swapaxes(x, 1, 2), lambda x: x.swapaxes(1, 2)),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    "expand_dims": (lambda x: ops.expand_dims(x, 1), lambda x: x[:, None]),
    "flip": (lambda x: ops.flip(x, axis=2), lambda x: x[:, :, ::-1]),
    "flip-all": (ops.flip, lambda x: x[::-1, ::-1, ::-1]),
    "tile": (lambda x: ops.tile(x, (1, 2, 1)), lambda x: np.tile(x, (1, 2, 1))),
    "pad": (lambda x: ops.pad(x, ((0, 0), (1, 0), (0, 2))),
            lambda x: np.pad(x, ((0, 0), (1, 0), (0, 2)))),
    "concatenate": (lambda x: ops.concatenate([x, x * 2.0], axis=-1),
                    lambda x: np.concatenate([x, x * 2], -1)),
    "stack": (lambda x: ops.stack([x, x], axis=1), lambda x: np.stack([x, x], 1)),
    "split": (lambda x: ops.split(x, 2, axis=2), lambda x: np.split(x, 2, axis=2)),
    "split-indices": (lambda x: ops.split(x, [1], axis=1), lambda x: np.split(x, [1], axis=1)),
    "unstack-axis": (lambda x: ops.unstack(x, axis=1), lambda x: [x[:, i] for i in range(3)]),
    "sort": (ops.sort, lambda x: np.sort(x)),
    "cumsum": (lambda x: ops.cumsum(x, axis=2), lambda x: np.cumsum(x, 2)),
    "cumsum-batch": (lambda x: ops.cumsum(x, axis=0), lambda x: np.cumsum(x, 0)),
    "median": (lambda x: ops.median(x, axis=2), lambda x: np.median(x, 2)),
    "take": (lambda x: ops.take(x, np.array([3, 0], np.int32), axis=2), lambda x: x[:, :, [3, 0]]),
    "norm": (lambda x: ops.norm(x, axis=-1), lambda x: np.linalg.norm(x, axis=-1)),
    "matmul": (lambda x: ops.matmul(x, _W), lambda x: x @ _W),
    "einsum": (lambda x: ops.einsum("bij,jk->bik", x, _W), lambda x: x @ _W),
    "tensordot": (lambda x: ops.tensordot(x, _W, axes=([2], [0])), lambda x: x @ _W),
    "dot": (lambda x: ops.dot(x, _W), lambda x: x @ _W),
    "slice": (lambda x: ops.slice(x, (0, 1, 0), (-1, 2, 4)), lambda x: x[:, 1:3]),
    "where": (lambda x: ops.where(ops.greater(x, 0.0), x, 0.0), lambda x: np.maximum(x, 0)),
    "zeros_like": (ops.zeros_like, np.zeros_like),
    "full_like": (lambda x: ops.full_like(x, 2.0), lambda x: np.full_like(x, 2.0)),
    "moments-batch": (lambda x: ops.nn.moments(x, axes=[0]), lambda x: (x.mean(0), x.var(0))),
    "normalize": (ops.nn.normalize,
                  lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)),
    "one_hot": (lambda x: ops.nn.one_hot(ops.argmax(x, axis=-1), 4),
                lambda x: np.eye(4, dtype=np.float32)[x.argmax(-1)]),
    "max_pool": (lambda x: ops.nn.max_pool(ops.expand_dims(x, -1), 2),
                 lambda x: x[:, :2, :, None].reshape(5, 1, 2, 2, 2, 1).max(axis=(2, 4))),
    "image.resize": (lambda x: ops.image.resize(ops.expand_dims(x, -1), (6, 8),
                                                interpolation="nearest"),
                     lambda x: x.repeat(2, 1).repeat(2, 2)[..., None]),
    "roll": (lambda x: ops.roll(x, 1, axis=2), lambda x: np.roll(x, 1, axis=2)),
    "repeat": (lambda x: ops.repeat(x, 2, axis=2), lambda x: np.repeat(x, 2, axis=2)),
    "diagonal": (lambda x: ops.diagonal(x, axis1=1, axis2=2), lambda x: np.diagonal(x, 0, 1, 2)),
    "trace": (lambda x: ops.trace(x, axis1=1, axis2=2), lambda x: np.trace(x, 0, 1, 2)),
    "tril": (ops.tril, np.tril),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(BATCH_CASES))
def test_ops_on_a_batch_of_unknown_size(name, backend):
    build, reference = BATCH_CASES[name]
    graph = lk.Graph()
    with graph.as_default():
        x = lk.placeholder("float32", (None, 3, 4))
        out = build(x)
    outs = out if isinstance(out, list | tuple) else [out]
    values = lk.Session(graph=graph, backend=backend).run(list(outs), {x: BATCH})
    expected = reference(BATCH)
    expected = expected if isinstance(expected, list | tuple) else [expected]
    for t, got, want in zip(outs, values, expected):
        assert t.shape is None or len(t.shape) == np.ndim(got)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"ops {name}")


def test_a_shape_holding_a_foreign_tensor_is_refused():
    x = lk.placeholder("float32", (None, 4))
    with pytest.raises(TypeError, match="not a dimension from ops.shape"):
        ops.zeros((ops.sum(x), 2))


# -- control flow ----------------------------------------------------------------------------
def test_cond_eager(active_backend):
    x = np.array([1.0, 2.0], np.float32)
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    out = ops.cond(np.array(False), lambda: ops.add(x, 1.0), lambda: ops.multiply(x, 3.0))
    np.testing.assert_array_equal(out, [3.0, 6.0])
    calls = []
    ops.cond(np.array(True), lambda: calls.append("t"), lambda: calls.append("f"))
    assert calls == ["t"]  # only the branch taken runs on values


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pred", [True, False])
def test_cond_symbolic(backend, pred):
    x = np.array([1.0, -2.0], np.float32)
    a, b = evaluate(backend, lambda p, t: ops.cond(p, lambda: (t * 2.0, t + 1.0),
                                                    lambda: (t - 1.0, t * t)),
                    np.array(pred), x)
    np.testing.assert_allclose(a, x * 2 if pred else x - 1)
    np.testing.assert_allclose(b, x + 1 if pred else x * x)


def test_cond_symbolic_errors():
    x = lk.placeholder("float32", (2,))
    with pytest.raises(ValueError, match="scalar"):
        ops.cond(ops.greater(x, 0.0), lambda: x, lambda: x)
    with pytest.raises(ValueError, match="different structures"):
        ops.cond(ops.greater(ops.sum(x), 0.0), lambda: (x, x), lambda: x)


def test_switch_eager(active_backend):
    branches = [lambda v: v + 1, lambda v: v * 10, lambda v: -v]
    x = np.array([1, 2], np.int32)
    for index, expected in [(0, [2, 3]), (1, [10, 20]), (2, [-1, -2]), (7, [-1, -2]),
                            (-3, [2, 3])]:
        np.testing.assert_array_equal(ops.switch(index, branches, x), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_switch_symbolic(backend):
    branches = [lambda v: v + 1.0, lambda v: v * 10.0, lambda v: -v]
    x = np.array([1.0, 2.0], np.float32)
    for index, expected in [(0, x + 1), (1, x * 10), (2, -x), (9, -x), (-1, x + 1)]:
        out = evaluate(backend, lambda i, v: ops.switch(i, branches, v), np.int32(index), x)
        np.testing.assert_allclose(out, expected, err_msg=f"index {index}")


def _scan_reference(xs, init, reverse=False):
    carry, ys = init, []
    for x in (xs[::-1] if reverse else xs):
        ys.append(carry * x)
        carry = carry + x
    ys = np.stack(ys)
    return carry, ys[::-1] if reverse else ys


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_scan(backend, reverse, active_backend):
    xs = f32(5, 3)
    init = np.ones(3, np.float32)

    def step(carry, x):
        return carry + x, carry * x

    expected = _scan_reference(xs, init, reverse)
    eager = ops.scan(step, init, xs, reverse=reverse)
    symbolic = evaluate(backend, lambda i, x: ops.scan(step, i, x, reverse=reverse), init, xs)
    for got in (eager, symbolic):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    assert isinstance(eager[0], ops.eager.EagerArray)


def test_scan_with_length_and_no_xs(active_backend):
    carry, ys = ops.scan(lambda c, _: (c * 2, c), np.float32(1.0), None, length=4)
    assert float(carry) == 16.0
    np.testing.assert_array_equal(ys, [1.0, 2.0, 4.0, 8.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_fori_loop(backend, active_backend):
    assert int(ops.fori_loop(0, 5, lambda i, v: v + i, np.int32(0))) == 10
    assert ops.fori_loop(3, 3, lambda i, v: v + i, 7) == 7  # an empty range
    out = evaluate(backend, lambda v: ops.fori_loop(1, 4, lambda i, s: s * ops.cast(i, "float32"),
                                                    v), np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(out, [6.0, 12.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_map(backend, active_backend):
    xs = f32(4, 3)
    np.testing.assert_allclose(ops.map(lambda x: ops.sum(x * x), xs), (xs * xs).sum(1),
                               rtol=1e-6)
    out = evaluate(backend, lambda x: ops.map(lambda row: ops.flip(row), x), xs)
    np.testing.assert_allclose(out, xs[:, ::-1])
    pair = ops.map(lambda t: (t[0] + t[1], t[0] * t[1]), (xs, xs))
    np.testing.assert_allclose(pair[1], xs * xs, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_tensor_operators_keep_the_cores_rule_and_ops_promote(backend, active_backend):
    """A documented difference (docs/ops.md): Python operators on symbolic tensors are the
    core's (two tensors must share a dtype, Python numbers are weak), while ``ops.add`` and
    friends promote as Keras does. The loop index of ``fori_loop`` is int32."""
    with pytest.raises(TypeError, match="different dtypes"):
        ops.fori_loop(0, 4, lambda i, v: v * 2.0 + i, np.float32(1.0))
    out = ops.fori_loop(0, 4, lambda i, v: ops.add(v * 2.0, i), np.float32(1.0))
    assert float(out) == 27.0 and np.asarray(out).dtype == np.float32
    total = evaluate(backend, lambda x, n: ops.add(x, n), np.float32(0.5), np.int32(2))
    assert float(total) == 2.5


def test_while_loop_eager(active_backend):
    i, total = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    assert (int(i), int(total)) == (5, 10)
    single = ops.while_loop(lambda v: ops.less(v, 100.0), lambda v: ops.multiply(v, 3.0),
                            np.float32(2.0))
    assert float(single) == 162.0
    capped = ops.while_loop(lambda v: True, lambda v: [v + 1], [0], maximum_iterations=3)
    assert isinstance(capped, list) and capped == [3]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("start,expected", [(1.0, 16.0), (3.0, 12.0), (20.0, 20.0)])
def test_while_loop_symbolic_with_maximum_iterations(backend, start, expected):
    def build(x, n):
        return ops.while_loop(lambda v, k: ops.less(v, 10.0), lambda v, k: (v * 2.0, k + 1),
                              (x, n), maximum_iterations=20)

    value, count = evaluate(backend, build, np.float32(start), np.int32(0))
    assert float(value) == expected
    assert int(count) == round(np.log2(expected / start))


def test_while_loop_symbolic_stops_at_maximum_iterations():
    out = evaluate("numpy", lambda x: ops.while_loop(lambda v: True, lambda v: v + 1.0, x,
                                                      maximum_iterations=4), np.float32(0.0))
    assert float(out) == 4.0


def test_while_loop_symbolic_without_maximum_iterations_is_refused():
    x = lk.placeholder("float32", ())
    with pytest.raises(ValueError, match="maximum_iterations"):
        ops.while_loop(lambda v: ops.less(v, 10.0), lambda v: v * 2.0, x)


def test_slice_needs_static_starts():
    x = lk.placeholder("float32", (4, 4))
    start = lk.placeholder("int32", ())
    with pytest.raises(TypeError, match="start_indices"):
        ops.slice(x, (start, 0), (2, 2))
    with pytest.raises(ValueError, match="do not fit"):
        ops.slice_update(np.zeros((2, 2), np.float32), (1, 1), np.ones((2, 2), np.float32))


def test_unstack_of_an_unknown_size_needs_num():
    x = lk.placeholder("float32", (None, 2))
    with pytest.raises(ValueError, match="pass num"):
        ops.unstack(x)
    assert len(ops.unstack(x, num=3)) == 3


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,name", [
    (lambda: ops.add(np.ones(2), np.ones(2), alpha=1), "ops.add"),
    (lambda: ops.sum(np.ones(2), axes=0), "ops.sum"),
    (lambda: ops.nn.relu(np.ones(2), max_value=1.0), "ops.relu"),
    (lambda: ops.reshape(np.ones(4), (2, 2), order="C"), "ops.reshape"),
    (lambda: ops.image.resize(np.ones((2, 2, 1)), (3, 3), method="nearest"), "ops.resize"),
    (lambda: ops.matmul(lk.placeholder("float32", (2, 2)), np.ones((2, 2)), transpose_a=True),
     "ops.matmul"),
])
def test_unknown_keyword_names_the_op(call, name):
    with pytest.raises(TypeError, match=rf"{name}\(\).*unexpected keyword"):
        call()


@pytest.mark.parametrize("op,a,b", [
    ("add", (3, 4), (5,)),
    ("multiply", (2, 3), (4, 3)),
    ("matmul", (3, 4), (5, 2)),
    ("matmul", (2, 3, 4), (3, 4, 2)),
])
def test_incompatible_shapes_fail_at_build_time_naming_op_and_shapes(op, a, b):
    x = lk.placeholder("float32", a)
    y = lk.placeholder("float32", b)
    with pytest.raises(ValueError) as info:
        getattr(ops, op)(x, y)
    message = str(info.value)
    assert op in message, message
    for shape in (a, b):
        assert str(shape[-1]) in message and all(str(n) in message for n in shape), message


@pytest.mark.parametrize("op", ["add", "matmul"])
def test_incompatible_shapes_fail_eagerly_too(op, active_backend):
    with pytest.raises(ValueError, match=op):
        getattr(ops, op)(np.ones((3, 4), np.float32), np.ones((5, 2), np.float32))


@pytest.mark.parametrize("name", ["svd", "qr", "inv", "det", "cholesky", "eigh", "solve"])
def test_missing_linalg_is_not_implemented(name):
    with pytest.raises(NotImplementedError, match=rf"ops\.linalg\.{name}"):
        getattr(ops.linalg, name)
    with pytest.raises(AttributeError):
        ops.linalg.no_such_function  # noqa: B018


def test_spectral_norm_is_refused_clearly():
    with pytest.raises(ValueError, match="SVD"):
        ops.norm(np.ones((2, 2), np.float32), ord=2)


def test_float_only_core_ops_refuse_ints_clearly():
    """The graph layer below ``ops`` needs floats for conv/pooling; ``ops`` converts ints, so a
    float-only core op given an int tensor directly names itself and the dtype."""
    x = lk.placeholder("int32", (1, 4, 4, 1))
    with pytest.raises(TypeError, match=r"max_pool.*int32"):
        lk.ops.max_pool(x, 2)
    # ops.nn computes ints in floatx, as Keras does
    out = ops.nn.max_pool(lk.placeholder("int32", (1, 4, 4, 1)), 2)
    assert out.dtype.name == "float32"


def test_activation_of_a_symbolic_int_tensor_is_float():
    out = ops.nn.relu(lk.placeholder("int32", (2,)))
    assert out.dtype.name == "float32"


def test_where_with_one_argument_is_refused():
    with pytest.raises(ValueError, match="one-argument"):
        ops.where(np.array([True, False]))


def test_a_value_that_cannot_be_a_tensor_is_named():
    with pytest.raises(TypeError, match=r"ops\.add.*x1"):
        ops.add(np.array(["a", "b"]), 1)
    with pytest.raises(TypeError, match="no value"):
        ops.convert_to_numpy(lk.placeholder("float32", (2,)))


# Public functions tested above outside the table (they take callables, or their result
# depends on the call's mode), by name, with the tests that cover them.
TESTED_OUTSIDE_THE_TABLE = {
    "gradients": "test_gradients_*",
    "is_tensor": "test_is_tensor_and_convert_to_numpy",
    "convert_to_numpy": "test_is_tensor_and_convert_to_numpy",
    "cond": "test_cond_eager, test_cond_symbolic",
    "switch": "test_switch_eager, test_switch_symbolic",
    "scan": "test_scan, test_scan_with_length_and_no_xs",
    "fori_loop": "test_fori_loop",
    "map": "test_map",
    "while_loop": "test_while_loop_*",
}


def test_gradients_match_finite_differences(backend):
    x0 = np.array([0.3, -1.2, 2.0])
    w0 = np.array([1.5, 0.5, -0.7])

    def loss_of(x, w):
        return ops.sum(ops.tanh(x * w) ** 2)

    def build(x, w):
        return ops.gradients(loss_of(x, w), [x, w])

    gx, gw = evaluate(backend, build, x0, w0)
    eps = 1e-6
    for value, grad, other, first in ((x0, gx, w0, True), (w0, gw, x0, False)):
        numeric = []
        for i in range(3):
            step = np.zeros(3)
            step[i] = eps
            f = [np.sum(np.tanh((v if first else other) * (other if first else v)) ** 2)
                 for v in (value + step, value - step)]
            numeric.append((f[0] - f[1]) / (2 * eps))
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_gradients_errors(active_backend):
    x = lk.placeholder("float64", (3,))
    with pytest.raises(ValueError, match=r"loss must be a scalar, got shape \(3,\)"):
        ops.gradients(x * 2.0, [x])
    with pytest.raises(TypeError, match="loss must be a symbolic tensor"):
        ops.gradients(np.float32(1.0), [x])
    with pytest.raises(TypeError, match=r"variables\[0\] is a list"):
        ops.gradients(ops.sum(x), [[x]])
    assert ops.gradients(ops.sum(x), [lk.placeholder("float64", (2,))]) == [None]
