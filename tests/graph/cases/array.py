"""Cases for the array ops (``layerkit.graph.ops.array``)."""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, distinct, uniform


def _case(op, label, build, shapes, reference, *, dynamic=False, **kw):
    """A case on float inputs of ``shapes``; ``dynamic`` feeds them through all-None shapes."""
    return OpCase(f"{op}-{label}" + ("-dynamic" if dynamic else ""), op, build,
                  lambda rng, dt: [uniform(rng, s, dt) for s in shapes], reference,
                  static_shapes=not dynamic, **kw)


def _ints(rng, shape, low, high):
    return rng.integers(low, high, size=shape).astype(np.int32)


def _reshape(shape, new, **kw):
    return _case("reshape", f"{shape}-{new}", lambda x: ops.reshape(x, new), [shape],
                 lambda x: np.reshape(x, new), **kw)


def _unflatten_leading(shape, like, count, **kw):
    return _case("unflatten_leading", f"{shape}-like{like}-{count}",
                 lambda x, y: ops.unflatten_leading(x, y, count), [shape, like],
                 lambda x, y: np.reshape(x, (*y.shape[:count], *x.shape[1:])), grad=[0], **kw)


def _transpose(shape, perm, **kw):
    return _case("transpose", f"{shape}-{perm}", lambda x: ops.transpose(x, perm), [shape],
                 lambda x: np.transpose(x, perm), **kw)


def _expand_dims(shape, axis, **kw):
    return _case("expand_dims", f"{shape}-{axis}", lambda x: ops.expand_dims(x, axis), [shape],
                 lambda x: np.expand_dims(x, axis), **kw)


def _squeeze(shape, axis, **kw):
    return _case("squeeze", f"{shape}-{axis}", lambda x: ops.squeeze(x, axis), [shape],
                 lambda x: np.squeeze(x, axis), **kw)


def _concat(shapes, axis, **kw):
    return _case("concat", f"{shapes}-{axis}", lambda *xs: ops.concat(list(xs), axis), shapes,
                 lambda *xs: np.concatenate(xs, axis), **kw)


def _stack(shapes, axis, **kw):
    return _case("stack", f"{shapes}-{axis}", lambda *xs: ops.stack(xs, axis), shapes,
                 lambda *xs: np.stack(xs, axis), **kw)


def _split(shape, parts, axis, **kw):
    sizes = parts if isinstance(parts, list) else [shape[axis] // parts] * parts
    return _case("split", f"{shape}-{parts}-{axis}", lambda x: ops.split(x, parts, axis),
                 [shape], lambda x: np.split(x, np.cumsum(sizes)[:-1], axis), **kw)


def _flip(shape, axis, **kw):
    return _case("flip", f"{shape}-{axis}", lambda x: ops.flip(x, axis), [shape],
                 lambda x: np.flip(x, axis), **kw)


def _getitem(shape, index, **kw):
    return _case("getitem", f"{shape}-{index}", lambda x: x[index], [shape],
                 lambda x: x[index], **kw)


def _gather(shape, indices, axis, **kw):
    indices = np.asarray(indices, np.int32)
    return OpCase(f"gather-{shape}-{indices.tolist()}-{axis}" + ("-dynamic" if kw.get(
        "static_shapes") is False else ""), "gather",
                  lambda x, i: ops.gather(x, i, axis),
                  lambda rng, dt: [uniform(rng, shape, dt), indices],
                  lambda x, i: np.take(x, i, axis), **kw)


def _take_along_axis(shape, indices, axis, **kw):
    indices = np.asarray(indices, np.int32)
    label = "-dynamic" if kw.get("static_shapes") is False else ""
    return OpCase(f"take_along_axis-{shape}-{indices.tolist()}-{axis}{label}", "take_along_axis",
                  lambda x, i: ops.take_along_axis(x, i, axis),
                  lambda rng, dt: [uniform(rng, shape, dt), indices],
                  lambda x, i: np.take_along_axis(x, i, axis), **kw)


def _sort_inputs(shape, dtype):
    """Distinct floats (sorting is not differentiable at ties), or int32 with ties."""
    if dtype == "int32":
        return lambda rng, dt: [_ints(rng, shape, -3, 3)]
    return lambda rng, dt: [distinct(rng, shape, dt)]


def _sort(shape, axis, dtype="float", **kw):
    label = f"{shape}-{axis}-{dtype}" + ("-dynamic" if kw.get("static_shapes") is False else "")
    return OpCase(f"sort-{label}", "sort", lambda x: ops.sort(x, axis),
                  _sort_inputs(shape, dtype), lambda x: np.sort(x, axis), **kw)


def _argsort(shape, axis, dtype="float", **kw):
    label = f"{shape}-{axis}-{dtype}" + ("-dynamic" if kw.get("static_shapes") is False else "")
    return OpCase(f"argsort-{label}", "argsort", lambda x: ops.argsort(x, axis),
                  _sort_inputs(shape, dtype), lambda x: np.argsort(x, axis, kind="stable"),
                  grad=[], **kw)


def _top_k_ref(x, k, sorted=True):
    """Largest first, ties by the lower index: a stable sort of the negated values (exact for
    the small ints and floats of the cases)."""
    indices = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    if not sorted:
        indices = np.sort(indices, axis=-1)
    return np.take_along_axis(x, indices, -1), indices


def _top_k(shape, k, sorted=True, dtype="float", **kw):
    label = f"{shape}-{k}-{sorted}-{dtype}" + (
        "-dynamic" if kw.get("static_shapes") is False else "")
    return OpCase(f"top_k-{label}", "top_k", lambda x: ops.top_k(x, k, sorted=sorted),
                  _sort_inputs(shape, dtype), lambda x: _top_k_ref(x, k, sorted), **kw)


def _one_hot_ref(indices, depth, axis=-1, on=1.0, off=0.0, dtype=np.float32):
    hot = np.where(indices[..., None] == np.arange(depth), on, off).astype(dtype)
    return np.moveaxis(hot, -1, axis)


def _one_hot(shape, depth, high, **kw):
    return OpCase(f"one_hot-{shape}-{depth}-{kw}", "one_hot",
                  lambda i: ops.one_hot(i, depth, **kw),
                  lambda rng, dt: [_ints(rng, shape, -1, high)],
                  lambda i: _one_hot_ref(i, depth, kw.get("axis", -1), kw.get("on_value", 1.0),
                                         kw.get("off_value", 0.0), kw.get("dtype", np.float32)),
                  grad=[])


def _pad(shape, paddings, mode="constant", value=0, **kw):
    def reference(x):
        if mode == "constant":
            return np.pad(x, paddings, mode=mode, constant_values=value)
        return np.pad(x, paddings, mode=mode)

    return _case("pad", f"{shape}-{paddings}-{mode}-{value}",
                 lambda x: ops.pad(x, paddings, mode=mode, constant_values=value), [shape],
                 reference, **kw)


def _broadcast_to(shape, target, **kw):
    return _case("broadcast_to", f"{shape}-{target}", lambda x: ops.broadcast_to(x, target),
                 [shape], lambda x: np.broadcast_to(x, target), **kw)


def _tile(shape, reps, **kw):
    return _case("tile", f"{shape}-{reps}", lambda x: ops.tile(x, reps), [shape],
                 lambda x: np.tile(x, reps), **kw)


CASES = [
    _unflatten_leading((6, 4), (2, 3, 5), 2),
    _unflatten_leading((6, 2, 2), (6, 1), 1),
    _unflatten_leading((12, 3), (2, 3, 2, 7), 3, dynamic=True),
    _reshape((2, 3, 4), (6, 4)),
    _reshape((2, 3, 4), (4, -1, 2)),
    _reshape((2, 3, 4), (-1, 4), dynamic=True),
    _reshape((2, 3), (-1,), dynamic=True),
    _reshape((), (1, 1)),
    _reshape((5,), (5, 1)),
    _transpose((2, 3, 4), None),
    _transpose((2, 3, 4), (1, 0, 2)),
    _transpose((2, 3, 4), (-1, 0, 1)),
    _transpose((2, 3), None, dynamic=True),
    _transpose((2, 3, 4), (2, 0, 1), dynamic=True),
    _expand_dims((2, 3), 0),
    _expand_dims((2, 3), -1),
    _expand_dims((2, 3), (0, 3)),
    _expand_dims((), 0),
    _expand_dims((2, 3), 1, dynamic=True),
    _squeeze((1, 3, 1), None),
    _squeeze((1, 3, 1), -1),
    _squeeze((1, 3, 1), (0, 2)),
    _squeeze((2, 1, 3), 1, dynamic=True),
    _concat([(2, 3), (2, 4)], -1),
    _concat([(2, 3), (1, 3), (3, 3)], 0),
    _concat([(2, 1, 3)], 1),
    _concat([(2, 3, 2), (2, 1, 2)], 1, dynamic=True),
    OpCase("concat-int", "concat", lambda a, b: ops.concat([a, b, [[7]]], axis=0),
           lambda rng, dt: [_ints(rng, (2, 1), 0, 5), _ints(rng, (1, 1), 0, 5)],
           lambda a, b: np.concatenate([a, b, [[7]]]), grad=[]),
    _stack([(2, 3), (2, 3)], 0),
    _stack([(2, 3), (2, 3), (2, 3)], 1),
    _stack([(2, 3), (2, 3)], -1),
    _stack([()], 0),
    _split((4, 6), 2, 1),
    _split((6, 3), [1, 3, 2], 0),
    _split((2, 3, 8), [5, 3], -1, dynamic=True),
    _stack([(2, 3), (2, 3)], -2, dynamic=True),
    _flip((3, 4), 0),
    _flip((2, 3, 4), (0, -1)),
    _flip((2, 3), 1, dynamic=True),
    _getitem((5, 4), 1),
    _getitem((5, 4), -1),
    _getitem((5, 4), (1, 2)),
    _getitem((5, 4), slice(1, 3)),
    _getitem((5, 4), slice(None, None, -1)),
    _getitem((5, 4), (slice(None, None, -2), 1)),
    _getitem((7,), slice(5, 1, -2)),
    _getitem((7,), slice(-2, None, -3)),
    _getitem((7,), slice(2, -1, 2)),
    _getitem((7,), slice(10, 20)),
    _getitem((2, 3, 4), (None, Ellipsis, 0)),
    _getitem((2, 3, 4), (Ellipsis, slice(1, None))),
    _getitem((2, 3, 4), (slice(None), None, slice(2, 0, -1))),
    _getitem((2, 3, 4), (1, Ellipsis, None)),
    _getitem((2, 3, 4), Ellipsis),
    _getitem((5, 4), (slice(None, None, -1), -2), dynamic=True),
    _getitem((2, 3, 4), (Ellipsis, 1, slice(1, None, 2)), dynamic=True),
    _gather((5, 3), [0, 2, 2, 4], 0),
    _gather((5, 3), [[0, 2], [2, 2]], 0),
    _gather((2, 4, 3), [3, -1, 0, 3], 1),
    _gather((2, 4, 3), [[2, 0], [2, 2]], -1),
    _gather((4,), 2, 0),
    _gather((5, 3), [4, 4, 1], 0, static_shapes=False),
    _take_along_axis((3, 4), [[0, 3], [2, 2], [1, 0]], 1),
    _take_along_axis((3, 4), [[1, 1, 1, 0, 0]], -1),  # repeats, and rows broadcast from 1
    _take_along_axis((3, 4), [[2, 0, 2, 1]], 0),
    _take_along_axis((1, 4), [[3, -1], [0, 0], [2, -4]], 1),  # x's rows broadcast from 1
    _take_along_axis((2, 3, 4), [[[0], [3], [-1]], [[1], [1], [2]]], 2),
    _take_along_axis((5,), [4, 4, 0, 2], 0),
    _take_along_axis((3, 4), [[0, 3], [2, 2], [1, 0]], 1, static_shapes=False),
    _sort((6,), 0),
    _sort((3, 5), -1),
    _sort((4, 3), 0),
    _sort((2, 3, 4), 1),
    _sort((3, 5), 1, static_shapes=False),
    _sort((2, 6), -1, dtype="int32"),
    _argsort((6,), 0),
    _argsort((3, 5), -1),
    _argsort((4, 3), 0),
    _argsort((3, 5), 1, static_shapes=False),
    _argsort((2, 6), -1, dtype="int32"),  # ties keep their order
    _top_k((6,), 3),
    _top_k((3, 5), 2),
    _top_k((2, 3, 4), 4),
    _top_k((3, 5), 3, sorted=False),
    _top_k((3, 5), 1, static_shapes=False),
    _top_k((3, 5), 0),
    _top_k((3, 6), 4, dtype="int32"),  # ties: the lower index first
    _top_k((3, 6), 3, sorted=False, dtype="int32"),
    _one_hot((4,), 5, 5),
    _one_hot((2, 3), 4, 4, axis=0),
    _one_hot((2, 3), 4, 6, axis=1, on_value=2.5, off_value=-1.0),
    _one_hot((3,), 3, 3, dtype="int32"),
    _pad((3, 4), ((1, 2), (0, 3))),
    _pad((3, 4), ((0, 1), (2, 0)), value=1.5),
    _pad((4, 5), ((2, 1), (1, 3)), mode="reflect"),
    _pad((4, 5), ((3, 2), (1, 0)), mode="symmetric"),
    _pad((2, 3, 4), ((1, 1), (2, 0), (0, 3)), mode="reflect"),
    _pad((2, 3, 4), ((2, 1), (3, 3), (0, 4)), mode="symmetric"),
    _pad((3, 4), ((1, 0), (2, 2)), mode="reflect", dynamic=True),
    _pad((3, 4), ((1, 0), (2, 2)), dynamic=True),
    _broadcast_to((3, 1), (2, 3, 4)),
    _broadcast_to((), (2, 2)),
    _broadcast_to((4,), (3, 4)),
    _broadcast_to((2, 1, 4), (2, 3, 4), dynamic=True),
    _tile((2, 3), (2, 1)),
    _tile((2, 3), (3,)),
    _tile((3,), (2, 2)),
    _tile((2, 3), (1, 0)),
    _tile((2, 3), (2, 3), dynamic=True),
    _case("zeros_like", "(2, 3)", ops.zeros_like, [(2, 3)], np.zeros_like, grad=[]),
    _case("ones_like", "(2, 3)", ops.ones_like, [(2, 3)], np.ones_like, grad=[]),
    OpCase("ones_like-int", "ones_like", ops.ones_like,
           lambda rng, dt: [_ints(rng, (3,), 0, 5)], np.ones_like, grad=[]),
    _case("zeros_like", "(2, 3)", ops.zeros_like, [(2, 3)], np.zeros_like, grad=[],
          dynamic=True),
]
