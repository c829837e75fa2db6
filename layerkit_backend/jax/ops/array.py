"""Array manipulation, lowered to jax.numpy.

Shapes are concrete while jit traces, so the checks the numpy kernels make at run time (an
integer index out of range, a reflect padding too large) are made here, at trace time, with the
same errors; JAX itself would clamp the index silently.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from layerkit_backend.jax.registry import deflower


# -- reshaping --------------------------------------------------------------------------------
@deflower("reshape")
def reshape(x, *, shape):
    return jnp.reshape(x, shape)


@deflower("unflatten_leading")
def unflatten_leading(x, like, *, count):
    # Shapes are concrete when a program is traced for its inputs, so this is a plain reshape.
    return jnp.reshape(x, (*like.shape[:count], *x.shape[1:]))


@deflower("expand_dims")
def expand_dims(x, *, axis):
    return jnp.expand_dims(x, axis)


@deflower("squeeze")
def squeeze(x, *, axis):
    return jnp.squeeze(x, axis=axis)


@deflower("transpose")
def transpose(x, *, perm):
    return jnp.transpose(x, perm)


# -- joining ----------------------------------------------------------------------------------
@deflower("concat")
def concat(*values, axis):
    return jnp.concatenate(values, axis=axis)


@deflower("split")
def split(x, *, sizes, axis):
    return tuple(jnp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


@deflower("stack")
def stack(*values, axis):
    return jnp.stack(values, axis=axis)


# -- reordering and indexing ------------------------------------------------------------------
@deflower("flip")
def flip(x, *, axis):
    return jnp.flip(x, axis)


def _basic_index(index: tuple, shape: tuple[int, ...]) -> tuple:
    """The Python index that the core's ("int", i) / ("slice", ...) / ... tuple stands for,
    with integer indices checked against ``shape`` (as numpy does; JAX would clamp)."""
    decode = {"slice": slice, "newaxis": lambda: None, "ellipsis": lambda: Ellipsis}
    used = sum(kind in ("int", "slice") for kind, *_ in index)
    result, axis = [], 0
    for kind, *args in index:
        if kind == "ellipsis":
            axis += len(shape) - used
        elif kind == "int":
            size = shape[axis]
            if not -size <= args[0] < size:
                raise IndexError(f"index {args[0]} is out of bounds for axis {axis} with size "
                                 f"{size}")
            result.append(args[0])
            axis += 1
            continue
        elif kind == "slice":
            axis += 1
        result.append(decode[kind](*args))
    return tuple(result)


@deflower("getitem")
def getitem(x, *, index):
    return x[_basic_index(index, x.shape)]


@deflower("gather")
def gather(x, indices, *, axis):
    # Negative indices count from the end, as numpy's take. An index out of range cannot raise
    # inside a compiled program: it gives the fill value (NaN for floats).
    return jnp.take(x, indices, axis=axis, mode="fill")


@deflower("take_along_axis")
def take_along_axis(x, indices, *, axis):
    # As gather: negative indices count from the end; one out of range gives the fill value.
    return jnp.take_along_axis(x, indices, axis=axis, mode="fill")


@deflower("one_hot")
def one_hot(indices, *, depth, on_value, off_value, axis, dtype):
    hot = jnp.expand_dims(indices, -1) == jnp.arange(depth, dtype=indices.dtype)
    on = jnp.asarray(np.asarray(on_value).astype(dtype))
    off = jnp.asarray(np.asarray(off_value).astype(dtype))
    return jnp.moveaxis(jnp.where(hot, on, off), -1, axis)


# -- sorting ----------------------------------------------------------------------------------
@deflower("sort")
def sort(x, *, axis):
    return jnp.sort(x, axis=axis, stable=True)


@deflower("argsort")
def argsort(x, *, axis):
    return jnp.argsort(x, axis=axis, stable=True).astype(jnp.int32)


@deflower("top_k")
def top_k(x, *, k, sorted):
    if k > x.shape[-1]:
        raise ValueError(f"top_k: k={k} is larger than the last dimension of shape "
                         f"{tuple(x.shape)}")
    # Largest first, and of equal entries the lower index first, as the numpy kernel.
    values, indices = jax.lax.top_k(x, k)
    if not sorted:
        order = jnp.argsort(indices, axis=-1)
        values = jnp.take_along_axis(values, order, axis=-1)
        indices = jnp.take_along_axis(indices, order, axis=-1)
    return values, indices.astype(jnp.int32)


# -- padding, broadcasting, tiling ------------------------------------------------------------
@deflower("pad")
def pad(x, *, paddings, mode, constant_values):
    if mode == "constant":
        fill = jnp.asarray(np.asarray(constant_values).astype(x.dtype))
        return jnp.pad(x, paddings, mode="constant", constant_values=fill)
    limit = 1 if mode == "reflect" else 0
    for axis, (n, pair) in enumerate(zip(x.shape, paddings)):
        if max(pair) > n - limit:
            raise ValueError(f"pad: {mode} padding {pair} of axis {axis} is too large for its "
                             f"size {n} (shape {tuple(x.shape)})")
    return jnp.pad(x, paddings, mode=mode)


@deflower("broadcast_to")
def broadcast_to(x, *, shape):
    return jnp.broadcast_to(x, shape)


@deflower("tile")
def tile(x, *, reps):
    return jnp.tile(x, reps)


@deflower("zeros_like")
def zeros_like(x):
    return jnp.zeros_like(x)


@deflower("ones_like")
def ones_like(x):
    return jnp.ones_like(x)
