"""Array manipulation: kernels and VJP rules side by side.

Axis attributes may be negative (the core stores them as given); numpy resolves them, and the
VJP rules resolve them against the run-time rank where they need a position.
"""

from __future__ import annotations

import numpy as np

from layerkit_backend.numpy.registry import defop, unbroadcast


def _back_to_shape(g, out, x, **attrs):
    """VJP of ops that only rearrange the same elements in row-major order."""
    return (np.reshape(g, x.shape),)


# -- reshaping --------------------------------------------------------------------------------
@defop("reshape")
def reshape(x, *, shape):
    return np.reshape(x, shape)


reshape.defvjp(_back_to_shape)


@defop("unflatten_leading")
def unflatten_leading(x, like, *, count):
    return np.reshape(x, (*like.shape[:count], *x.shape[1:]))


@unflatten_leading.defvjp
def _(g, out, x, like, *, count):
    return np.reshape(g, x.shape), None


@defop("expand_dims")
def expand_dims(x, *, axis):
    return np.expand_dims(x, axis)


expand_dims.defvjp(_back_to_shape)


@defop("squeeze")
def squeeze(x, *, axis):
    return np.squeeze(x, axis=axis)


squeeze.defvjp(_back_to_shape)


@defop("transpose")
def transpose(x, *, perm):
    return np.transpose(x, perm)


@transpose.defvjp
def _(g, out, x, *, perm):
    inverse = None if perm is None else np.argsort([p % x.ndim for p in perm])
    return (np.transpose(g, inverse),)


# -- joining ----------------------------------------------------------------------------------
@defop("concat")
def concat(*values, axis):
    return np.concatenate(values, axis=axis)


@concat.defvjp
def _(g, out, *values, axis):
    ends = np.cumsum([v.shape[axis] for v in values])
    return tuple(np.split(g, ends[:-1], axis=axis))


@defop("split")
def split(x, *, sizes, axis):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


@split.defvjp
def _(gs, outs, x, *, sizes, axis):
    return (np.concatenate(gs, axis=axis),)


@defop("stack")
def stack(*values, axis):
    return np.stack(values, axis=axis)


@stack.defvjp
def _(g, out, *values, axis):
    return tuple(np.moveaxis(g, axis, 0))


# -- reordering and indexing ------------------------------------------------------------------
@defop("flip")
def flip(x, *, axis):
    return np.flip(x, axis)


@flip.defvjp
def _(g, out, x, *, axis):
    return (np.flip(g, axis),)


def _basic_index(index: tuple) -> tuple:
    """The Python index that the core's ("int", i) / ("slice", ...) / ... tuple stands for."""
    decode = {"int": lambda i: i, "slice": slice, "newaxis": lambda: None,
              "ellipsis": lambda: Ellipsis}
    return tuple(decode[kind](*args) for kind, *args in index)


@defop("getitem")
def getitem(x, *, index):
    # asarray: an index selecting one element gives a numpy scalar, not an array.
    return np.asarray(x[_basic_index(index)])


@getitem.defvjp
def _(g, out, x, *, index):
    # Basic indexing never selects an element twice, so assignment is enough.
    gx = np.zeros(x.shape, g.dtype)
    gx[_basic_index(index)] = g
    return (gx,)


@defop("gather")
def gather(x, indices, *, axis):
    return np.take(x, indices, axis=axis)


@gather.defvjp
def _(g, out, x, indices, *, axis):
    # add.at accumulates repeated indices, where ``gx[...] += g`` would keep only one of them.
    gx = np.zeros(x.shape, g.dtype)
    np.add.at(gx, (slice(None),) * (axis % x.ndim) + (indices,), g)
    return gx, None


@defop("take_along_axis")
def take_along_axis(x, indices, *, axis):
    return np.take_along_axis(x, indices, axis=axis)


@take_along_axis.defvjp
def _(g, out, x, indices, *, axis):
    # Index every axis of x explicitly, broadcast as the forward broadcast them, so add.at
    # accumulates both repeated indices and the copies of a broadcast size-1 axis.
    axis %= x.ndim
    index = tuple(indices if i == axis else
                  np.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
                  for i, n in enumerate(x.shape))
    gx = np.zeros(x.shape, g.dtype)
    np.add.at(gx, index, g)
    return gx, None


@defop("one_hot")
def one_hot(indices, *, depth, on_value, off_value, axis, dtype):
    hot = np.expand_dims(indices, -1) == np.arange(depth)
    out = np.where(hot, np.asarray(on_value).astype(dtype), np.asarray(off_value).astype(dtype))
    return np.moveaxis(out, -1, axis)


# -- sorting ----------------------------------------------------------------------------------
@defop("sort")
def sort(x, *, axis):
    return np.sort(x, axis=axis, kind="stable")


@sort.defvjp
def _(g, out, x, *, axis):
    # Output position i holds x[perm[i]]: send g[i] back there (the permutation scatters
    # without collisions, so assignment is enough).
    gx = np.empty(x.shape, g.dtype)
    np.put_along_axis(gx, np.argsort(x, axis=axis, kind="stable"), g, axis=axis)
    return (gx,)


@defop("argsort")
def argsort(x, *, axis):
    return np.argsort(x, axis=axis, kind="stable").astype(np.int32)


@defop("top_k")
def top_k(x, *, k, sorted):
    if k > x.shape[-1]:  # known only now when the core saw an unknown last dimension
        raise ValueError(f"top_k: k={k} is larger than the last dimension of shape {x.shape}")
    # Largest first, and of equal entries the lower index first (as jax.lax.top_k): a stable
    # ascending sort of the reversed row, read backwards.
    n = x.shape[-1]
    indices = (n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1])[..., :k]
    if not sorted:
        indices = np.sort(indices, axis=-1)
    return np.take_along_axis(x, indices, axis=-1), indices.astype(np.int32)


@top_k.defvjp
def _(gs, outs, x, *, k, sorted):
    # The k indices of a row are distinct, so assignment is enough.
    gx = np.zeros(x.shape, gs[0].dtype)
    np.put_along_axis(gx, outs[1].astype(np.intp), gs[0], axis=-1)
    return (gx,)


# -- padding, broadcasting, tiling ------------------------------------------------------------
@defop("pad")
def pad(x, *, paddings, mode, constant_values):
    if mode == "constant":
        fill = np.asarray(constant_values).astype(x.dtype)
        return np.pad(x, paddings, mode="constant", constant_values=fill)
    # numpy reflects repeatedly past these limits; the VJP folds back one reflection only.
    limit = 1 if mode == "reflect" else 0
    for axis, (n, pair) in enumerate(zip(x.shape, paddings)):
        if max(pair) > n - limit:
            raise ValueError(f"pad: {mode} padding {pair} of axis {axis} is too large for its "
                             f"size {n} (shape {x.shape})")
    return np.pad(x, paddings, mode=mode)


@pad.defvjp
def _(g, out, x, *, paddings, mode, constant_values):
    # np.pad pads one axis after another; each step is linear along its own axis only, so the
    # steps commute and their VJPs can be applied in any order.
    for axis, (before, after) in enumerate(paddings):
        g = _unpad_axis(g, axis, before, after, x.shape[axis], mode)
    return (g,)


def _unpad_axis(g, axis, before, after, n, mode):
    """VJP of padding one axis of length ``n``: the centre, plus the mirrored pads folded back
    onto the elements they copied."""
    def part(start, stop):
        return (slice(None),) * axis + (slice(start, stop),)

    center = g[part(before, before + n)]
    if mode == "constant" or before == after == 0:
        return center
    center = center.copy()
    skip = 1 if mode == "reflect" else 0  # reflect does not repeat the edge element
    if before:
        center[part(skip, skip + before)] += np.flip(g[part(0, before)], axis)
    if after:
        end = before + n
        center[part(n - skip - after, n - skip)] += np.flip(g[part(end, end + after)], axis)
    return center


@defop("broadcast_to")
def broadcast_to(x, *, shape):
    return np.broadcast_to(x, shape)


@broadcast_to.defvjp
def _(g, out, x, *, shape):
    return (unbroadcast(g, x.shape),)


@defop("tile")
def tile(x, *, reps):
    return np.tile(x, reps)


@tile.defvjp
def _(g, out, x, *, reps):
    # View each output axis as (repeat, original) and sum over the repeats.
    rank = max(len(reps), x.ndim)
    reps = (1,) * (rank - len(reps)) + tuple(reps)
    dims = (1,) * (rank - x.ndim) + x.shape
    split = g.reshape([n for pair in zip(reps, dims) for n in pair])
    return (split.sum(axis=tuple(range(0, 2 * rank, 2))).reshape(x.shape),)


@defop("zeros_like")
def zeros_like(x):
    return np.zeros_like(x)


@defop("ones_like")
def ones_like(x):
    return np.ones_like(x)
