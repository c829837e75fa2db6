"""``layerkit.ops``'s numpy-like ops, eager and symbolic on both backends, against numpy; and
Keras 3's dtype promotion rules (``tests/ops/harness.py`` runs the table)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit import ops
from layerkit.ops import dtypes as lk_dtypes
from tests.conftest import BACKENDS
from tests.ops.harness import (
    Case,
    boolean,
    check_eager,
    check_symbolic,
    distinct32,
    f32,
    f64,
    i32,
    params,
    pos32,
    run_eager,
)

C = Case
_erf = np.vectorize(math.erf, otypes=[np.float64])
SPECIAL = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0, 3e38], np.float32)


def unary(op: str, ref, x=None, **kw) -> Case:
    return C(op, [f32(3, 4) if x is None else x], ref, **kw)


def _as(dtype, fn):
    return lambda *a: np.asarray(fn(*a)).astype(dtype)


def _f32(fn):
    """A reference computed in float64 and given as float32 (Keras's result for these)."""
    return lambda *a: np.asarray(fn(*(np.asarray(v, np.float64) if isinstance(v, np.ndarray)
                                      else v for v in a))).astype(np.float32)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _top_k(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


X34 = f32(3, 4)
SQUARE = f32(4, 4)
I34 = i32(3, 4)
I34_NONZERO = np.where(i32(3, 4) == 0, 3, i32(3, 4)).astype(np.int32)
B34 = boolean(3, 4)
B34b = boolean(3, 4)
DISTINCT = distinct32(3, 5)

CASES: list[Case] = [
    # -- element-wise, one operand ------------------------------------------------------------
    unary("sqrt", np.sqrt, pos32(3, 4)),
    unary("exp", np.exp),
    unary("log", np.log, pos32(3, 4)),
    unary("log1p", np.log1p, pos32(3, 4)),
    unary("expm1", np.expm1),
    unary("sin", np.sin, f32(3, 4, low=-3, high=3)),
    unary("cos", np.cos, f32(3, 4, low=-3, high=3)),
    unary("tan", np.tan, rtol=1e-4),
    unary("arcsin", np.arcsin, f32(3, 4, low=-0.9, high=0.9)),
    unary("arccos", np.arccos, f32(3, 4, low=-0.9, high=0.9)),
    unary("arctan", np.arctan, f32(3, 4, low=-3, high=3)),
    unary("sinh", np.sinh),
    unary("cosh", np.cosh),
    unary("tanh", np.tanh, f32(3, 4, low=-3, high=3)),
    unary("arcsinh", np.arcsinh, f32(3, 4, low=-3, high=3)),
    unary("arccosh", np.arccosh, f32(3, 4, low=1.1, high=3)),
    unary("arctanh", np.arctanh, f32(3, 4, low=-0.9, high=0.9)),
    unary("floor", np.floor, f32(3, 4, low=-3, high=3)),
    unary("ceil", np.ceil, f32(3, 4, low=-3, high=3)),
    unary("erf", _f32(_erf), f32(3, 4, low=-2, high=2)),
    unary("negative", np.negative),
    unary("square", np.square),
    unary("sign", np.sign, np.array([-2.0, 0.0, 3.0, -0.5], np.float32)),
    unary("abs", np.abs),
    unary("absolute", np.absolute),
    unary("isnan", np.isnan, SPECIAL),
    unary("isinf", np.isinf, SPECIAL),
    unary("isfinite", np.isfinite, SPECIAL),
    unary("log2", np.log2, pos32(3, 4)),
    unary("log10", np.log10, pos32(3, 4)),
    unary("exp2", np.exp2, f32(3, 4, low=-3, high=3)),
    unary("reciprocal", np.reciprocal, pos32(3, 4)),
    unary("rsqrt", lambda x: 1 / np.sqrt(x), pos32(3, 4)),
    unary("trunc", np.trunc, f32(3, 4, low=-3, high=3)),
    unary("copy", np.copy),
    # ints: the float ops give floatx(), the others keep int32
    unary("sqrt", _f32(np.sqrt), np.array([0, 1, 4, 10], np.int32), id="sqrt-int",
          dtype="float32"),
    unary("exp", _f32(np.exp), np.array([-1, 0, 2], np.int32), id="exp-int", dtype="float32"),
    unary("floor", _f32(np.floor), np.array([-3, 0, 2], np.int32), id="floor-int",
          dtype="float32"),
    unary("negative", np.negative, I34, id="negative-int"),
    unary("square", np.square, I34, id="square-int"),
    unary("sign", np.sign, I34, id="sign-int"),
    unary("abs", np.abs, I34, id="abs-int"),
    C("round", [np.array([0.5, 1.5, 2.5, -0.5, -1.7, 2.449], np.float32)], np.round),
    C("round", [np.array([-7, 0, 15, 25, 34], np.int32)], np.round, id="round-int"),
    C("round", [np.array([-7, 0, 15, 25, 34], np.int32)], lambda x: np.round(x, -1),
      kwargs={"decimals": -1}, id="round-int-decimals"),
    C("trunc", [np.array([-7, 0, 15], np.int32)], np.trunc, id="trunc-int"),
    C("round", [np.array([0.25, 1.35, -2.449, 7.0], np.float32)], lambda x: np.round(x, 1),
      kwargs={"decimals": 1}, id="round-decimals", atol=1e-6),
    C("nan_to_num", [SPECIAL], np.nan_to_num),
    C("nan_to_num", [SPECIAL], lambda x: np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
      kwargs={"nan": -1.0, "posinf": 9.0, "neginf": -9.0}, id="nan_to_num-values"),
    C("nan_to_num", [I34], lambda x: x, id="nan_to_num-int"),
    # -- element-wise, two operands (broadcast) -----------------------------------------------
    C("add", [X34, f32(4)], np.add),
    C("subtract", [X34, f32(3, 1)], np.subtract),
    C("multiply", [X34, f32(1, 4)], np.multiply),
    C("divide", [X34, pos32(4)], np.divide),
    C("true_divide", [X34, pos32(4)], np.true_divide),
    C("maximum", [X34, f32(4)], np.maximum),
    C("minimum", [X34, f32(4)], np.minimum),
    C("mod", [f32(3, 4, low=-5, high=5), np.array([1.5, -2.0, 3.0, -0.7], np.float32)],
      np.mod, atol=1e-5),
    C("mod", [I34, np.array([3, -2, 4, -5], np.int32)], np.mod, id="mod-int"),
    C("floor_divide", [f32(3, 4, low=-5, high=5), np.array([1.5, -2.0, 3.0, -0.7], np.float32)],
      np.floor_divide),
    C("floor_divide", [I34, np.array([3, -2, 4, -5], np.int32)], np.floor_divide,
      id="floor_divide-int"),
    C("arctan2", [X34, f32(3, 4)], np.arctan2),
    C("logaddexp", [X34, f32(4)], np.logaddexp),
    C("hypot", [X34, f32(4)], np.hypot),
    C("equal", [I34, np.array([0, 1, -1, 2], np.int32)], np.equal),
    C("not_equal", [I34, np.array([0, 1, -1, 2], np.int32)], np.not_equal),
    C("less", [X34, f32(4)], np.less),
    C("less_equal", [I34, 0], np.less_equal),
    C("greater", [X34, 0.1], np.greater),
    C("greater_equal", [I34, np.array([0, 1, -1, 2], np.int32)], np.greater_equal),
    C("logical_and", [B34, B34b], np.logical_and),
    C("logical_or", [B34, B34b], np.logical_or),
    C("logical_xor", [B34, B34b], np.logical_xor),
    C("logical_and", [X34, I34], np.logical_and, id="logical_and-numbers"),
    C("logical_not", [B34], np.logical_not),
    C("logical_not", [I34], np.logical_not, id="logical_not-int"),
    C("divide_no_nan", [X34, np.array([0.0, 2.0, 0.0, -1.0], np.float32)],
      lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1, b)).astype(np.float32)),
    C("power", [pos32(3, 4), f32(4, low=-2, high=2)], np.power, rtol=1e-5),
    C("power", [i32(3, 4, low=-3, high=4), np.array([0, 1, 2, 3], np.int32)], np.power,
      id="power-int"),
    C("power", [X34, 2], np.power, id="power-scalar"),
    C("isclose", [np.array([1.0, 1.0, np.nan, 2.0], np.float32),
                  np.array([1.0 + 1e-7, 1.1, np.nan, 2.0], np.float32)], np.isclose),
    C("isclose", [np.array([1.0, np.nan], np.float32), np.array([1.05, np.nan], np.float32)],
      lambda a, b: np.isclose(a, b, rtol=0.1, equal_nan=True),
      kwargs={"rtol": 0.1, "equal_nan": True}, id="isclose-options"),
    C("where", [B34, X34, f32(4)], np.where),
    C("where", [B34, I34, 0.5], lambda c, a, b: np.where(c, a, b).astype(np.float32),
      id="where-weak-float", dtype="float32"),
    C("clip", [X34, -0.5, 0.5], np.clip),
    C("clip", [I34, -2, 3], np.clip, id="clip-int"),
    C("clip", [X34, f32(4, low=-1, high=0), 0.25], np.clip, id="clip-tensor-bounds"),
    C("clip", [B34, 0, 1], lambda x, lo, hi: x.astype(np.int32), id="clip-bool",
      dtype="int32"),
    # Keras promotes int32 with weak float bounds to float32 (jnp.clip); bounds are not cut
    C("clip", [I34, -1.5, 2.5], lambda x, lo, hi: np.clip(x.astype(np.float32), lo, hi),
      id="clip-int-float-bounds", dtype="float32"),
    # bools in arithmetic, as Keras (jax) computes them: add is "or", multiply "and"...
    C("add", [B34, B34b], np.logical_or, id="add-bool"),
    C("multiply", [B34, B34b], np.logical_and, id="multiply-bool"),
    C("maximum", [B34, B34b], np.logical_or, id="maximum-bool"),
    C("abs", [B34], lambda x: x, id="abs-bool"),
    C("square", [B34], lambda x: x.astype(np.int32), id="square-bool"),
    # -- reductions ---------------------------------------------------------------------------
    C("sum", [X34], np.sum),
    C("sum", [X34], lambda x: np.sum(x, axis=1, keepdims=True),
      kwargs={"axis": 1, "keepdims": True}, id="sum-axis"),
    C("sum", [f32(2, 3, 4)], lambda x: np.sum(x, axis=(0, 2)), kwargs={"axis": (0, 2)},
      id="sum-axes"),
    C("sum", [I34], lambda x: np.sum(x, axis=0), kwargs={"axis": 0}, id="sum-int",
      dtype="int32"),
    C("sum", [B34], np.sum, id="sum-bool", dtype="int32"),
    C("prod", [f32(3, 4, low=0.5, high=1.5)], lambda x: np.prod(x, axis=0),
      kwargs={"axis": 0}),
    C("prod", [i32(3, 4, low=-2, high=3)], np.prod, id="prod-int", dtype="int32"),
    C("mean", [X34], lambda x: np.mean(x, axis=-1), kwargs={"axis": -1}),
    C("mean", [I34], _f32(np.mean), id="mean-int", dtype="float32"),
    C("max", [X34], lambda x: np.max(x, axis=0), kwargs={"axis": 0}),
    C("max", [X34], lambda x: np.max(x, initial=0.5), kwargs={"initial": 0.5},
      id="max-initial"),
    C("max", [B34], lambda x: np.max(x, axis=1), kwargs={"axis": 1}, id="max-bool"),
    C("min", [I34], lambda x: np.min(x, axis=1, keepdims=True),
      kwargs={"axis": 1, "keepdims": True}),
    C("amax", [X34], np.amax),
    C("amin", [X34], lambda x: np.amin(x, axis=1), kwargs={"axis": 1}),
    C("var", [X34], lambda x: np.var(x, axis=0), kwargs={"axis": 0}),
    C("var", [I34], _f32(np.var), id="var-int", dtype="float32"),
    C("std", [X34], lambda x: np.std(x, axis=1, keepdims=True),
      kwargs={"axis": 1, "keepdims": True}),
    C("logsumexp", [f32(3, 4, low=-50, high=50)], lambda x: _logsumexp(x, axis=1),
      kwargs={"axis": 1}),
    C("logsumexp", [X34], _logsumexp, id="logsumexp-all"),
    C("any", [B34], lambda x: np.any(x, axis=1), kwargs={"axis": 1}),
    C("any", [I34 * 0], np.any, id="any-int"),
    C("all", [B34], lambda x: np.all(x, axis=0, keepdims=True),
      kwargs={"axis": 0, "keepdims": True}),
    C("all", [X34], np.all, id="all-float"),
    C("count_nonzero", [I34], _as(np.int32, np.count_nonzero)),
    C("count_nonzero", [I34], _as(np.int32, lambda x: np.count_nonzero(x, axis=1)),
      kwargs={"axis": 1}, id="count_nonzero-axis"),
    C("argmax", [DISTINCT], _as(np.int32, np.argmax)),
    C("argmax", [DISTINCT], _as(np.int32, lambda x: np.argmax(x, axis=1, keepdims=True)),
      kwargs={"axis": 1, "keepdims": True}, id="argmax-axis"),
    C("argmin", [DISTINCT], _as(np.int32, lambda x: np.argmin(x, axis=0)), kwargs={"axis": 0}),
    C("argmin", [DISTINCT], _as(np.int32, lambda x: np.argmin(x, keepdims=True)),
      kwargs={"keepdims": True}, id="argmin-keepdims"),
    C("cumsum", [X34], lambda x: np.cumsum(x, axis=1), kwargs={"axis": 1}),
    C("cumsum", [I34], _as(np.int32, np.cumsum), id="cumsum-flat-int"),
    C("cumsum", [B34], _as(np.int32, lambda x: np.cumsum(x, axis=0)), kwargs={"axis": 0},
      id="cumsum-bool"),
    C("cumprod", [f32(3, 4, low=0.5, high=1.5)], lambda x: np.cumprod(x, axis=0),
      kwargs={"axis": 0}),
    C("cumprod", [i32(5, low=-2, high=3)], _as(np.int32, np.cumprod), id="cumprod-int"),
    C("average", [X34], np.average),
    C("average", [X34, 1, pos32(4)], lambda x, a, w: np.average(x, a, w).astype(np.float32),
      id="average-weights"),
    C("average", [X34, None, pos32(3, 4)],
      lambda x, a, w: np.average(x, a, w).astype(np.float32), id="average-weights-full"),
    C("median", [f32(3, 5)], lambda x: np.median(x, axis=1), kwargs={"axis": 1}),
    C("median", [f32(4, 2)], np.median, id="median-even"),
    C("median", [f32(3, 4)], lambda x: np.median(x, axis=0, keepdims=True),
      kwargs={"axis": 0, "keepdims": True}, id="median-keepdims"),
    # -- creation -----------------------------------------------------------------------------
    C("zeros", [(2, 3)], lambda s: np.zeros(s, np.float32)),
    C("zeros", [(2,)], lambda s: np.zeros(s, np.int32), kwargs={"dtype": "int32"},
      id="zeros-int"),
    C("ones", [(3, 1)], lambda s: np.ones(s, np.float32)),
    C("empty", [(2, 2)], lambda s: np.zeros(s, np.float32)),
    C("full", [(2, 3), 7.5], lambda s, v: np.full(s, v, np.float32)),
    C("full", [(2,), 7], lambda s, v: np.full(s, v, np.float32), id="full-int"),  # Keras: floatx
    C("full", [(2,), 7], lambda s, v: np.full(s, v, np.int32), kwargs={"dtype": "int32"},
      id="full-int-dtype"),
    C("full", [(2,), 7], lambda s, v: np.full(s, v, np.float16), kwargs={"dtype": "float16"},
      id="full-dtype"),
    C("zeros_like", [I34], np.zeros_like),
    C("ones_like", [X34], np.ones_like),
    C("ones_like", [X34], lambda x: np.ones_like(x, np.int32), kwargs={"dtype": "int32"},
      id="ones_like-dtype"),
    C("empty_like", [X34], np.zeros_like),
    C("full_like", [X34, 3.0], np.full_like),
    C("full_like", [I34, 2], lambda x, v: np.full_like(x, v, np.float32),
      kwargs={"dtype": "float32"}, id="full_like-dtype"),
    C("arange", [5], lambda n: np.arange(n, dtype=np.int32)),
    C("arange", [1, 10, 3], lambda a, b, c: np.arange(a, b, c, dtype=np.int32),
      id="arange-step"),
    C("arange", [0.0, 1.0, 0.25], lambda a, b, c: np.arange(a, b, c, dtype=np.float32),
      id="arange-float"),
    C("linspace", [0.0, 1.0, 5], lambda a, b, n: np.linspace(a, b, n).astype(np.float32)),
    C("linspace", [0.0, 1.0, 4], lambda a, b, n: np.linspace(a, b, n, endpoint=False).astype(
        np.float32), kwargs={"endpoint": False}, id="linspace-open"),
    C("eye", [3], lambda n: np.eye(n, dtype=np.float32)),
    C("eye", [3, 4, 1], lambda n, m, k: np.eye(n, m, k, dtype=np.float32), id="eye-offset"),
    C("identity", [3], lambda n: np.identity(n, np.float32)),
    C("tri", [3, 4, -1], lambda n, m, k: np.tri(n, m, k, np.float32)),
    C("array", [[[1, 2], [3, 4]]], lambda x: np.array(x, np.int32)),
    C("array", [[1.0, 2.5]], lambda x: np.array(x, np.float32), id="array-float"),
    C("tril", [SQUARE], np.tril),
    C("tril", [f32(2, 3, 4)], lambda x: np.tril(x, -1), kwargs={"k": -1}, id="tril-batched"),
    C("triu", [SQUARE], lambda x: np.triu(x, 1), kwargs={"k": 1}),
    # -- shapes -------------------------------------------------------------------------------
    C("reshape", [X34, (2, 6)], np.reshape),
    C("reshape", [X34, (-1, 2)], np.reshape, id="reshape-minus-one"),
    C("transpose", [f32(2, 3, 4)], np.transpose),
    C("transpose", [f32(2, 3, 4), (1, 0, 2)], np.transpose, id="transpose-axes"),
    C("moveaxis", [f32(2, 3, 4), 0, -1], np.moveaxis),
    C("moveaxis", [f32(2, 3, 4, 5), (0, 1), (-1, 0)], np.moveaxis, id="moveaxis-many"),
    C("swapaxes", [f32(2, 3, 4), 0, 2], np.swapaxes),
    C("expand_dims", [X34, 1], np.expand_dims),
    C("expand_dims", [X34, -1], np.expand_dims, id="expand_dims-last"),
    C("squeeze", [f32(1, 3, 1)], np.squeeze),
    C("squeeze", [f32(1, 3, 1)], lambda x: np.squeeze(x, 0), kwargs={"axis": 0},
      id="squeeze-axis"),
    C("ravel", [X34], np.ravel),
    C("ndim", [f32(2, 3, 4)], np.ndim),
    C("size", [f32(2, 3, 4)], np.size),
    C("broadcast_to", [f32(4), (2, 3, 4)], np.broadcast_to),
    C("concatenate", [[X34, f32(2, 4)]], np.concatenate),
    C("concatenate", [[X34, f32(3, 2)]], lambda xs: np.concatenate(xs, axis=1),
      kwargs={"axis": 1}, id="concatenate-axis1"),
    C("concatenate", [[X34, f32(5)]], lambda xs: np.concatenate(xs, axis=None),
      kwargs={"axis": None}, id="concatenate-flat"),
    C("concatenate", [[I34, X34]], lambda xs: np.concatenate(xs).astype(np.float32),
      id="concatenate-promote", dtype="float32"),
    C("append", [X34, f32(5)], np.append),
    C("append", [X34, f32(1, 4)], lambda a, b: np.append(a, b, axis=0), kwargs={"axis": 0},
      id="append-axis"),
    C("stack", [[X34, f32(3, 4)]], np.stack),
    C("stack", [[X34, f32(3, 4), f32(3, 4)]], lambda xs: np.stack(xs, axis=-1),
      kwargs={"axis": -1}, id="stack-last"),
    C("hstack", [[X34, f32(3, 2)]], np.hstack),
    C("hstack", [[f32(3), f32(2)]], np.hstack, id="hstack-1d"),
    C("vstack", [[X34, f32(2, 4)]], np.vstack),
    C("vstack", [[f32(4), f32(4)]], np.vstack, id="vstack-1d"),
    C("split", [f32(3, 6), 3], lambda x, n: np.split(x, n, axis=1), kwargs={"axis": 1}),
    C("split", [f32(6, 2), [1, 4]], np.split, id="split-indices"),
    C("tile", [X34, (2, 1)], np.tile),
    C("tile", [f32(3), (2, 2)], np.tile, id="tile-more-reps"),
    C("tile", [X34, 2], np.tile, id="tile-int"),
    C("repeat", [X34, 2], lambda x, r: np.repeat(x, r, axis=0), kwargs={"axis": 0}),
    C("repeat", [X34, [1, 0, 2, 1]], lambda x, r: np.repeat(x, r, axis=1), kwargs={"axis": 1},
      id="repeat-counts"),
    C("repeat", [X34, 2], np.repeat, id="repeat-flat"),
    C("flip", [X34], np.flip),
    C("flip", [X34], lambda x: np.flip(x, 1), kwargs={"axis": 1}, id="flip-axis"),
    C("roll", [X34, 1], lambda x, s: np.roll(x, s, axis=0), kwargs={"axis": 0}),
    C("roll", [X34, 5], np.roll, id="roll-flat"),
    C("roll", [X34, (1, -1)], lambda x, s: np.roll(x, s, axis=(0, 1)),
      kwargs={"axis": (0, 1)}, id="roll-axes"),
    C("pad", [X34, ((1, 0), (2, 1))], np.pad),
    C("pad", [X34, 1], lambda x, w: np.pad(x, w, constant_values=2.5),
      kwargs={"constant_values": 2.5}, id="pad-value"),
    C("pad", [X34, ((1, 2), (2, 1))], lambda x, w: np.pad(x, w, mode="reflect"),
      kwargs={"mode": "reflect"}, id="pad-reflect"),
    C("pad", [X34, ((1, 2), (2, 1))], lambda x, w: np.pad(x, w, mode="symmetric"),
      kwargs={"mode": "symmetric"}, id="pad-symmetric"),
    C("take", [X34, np.array([0, 5, 11, 5], np.int32)], np.take),
    C("take", [X34, np.array([[2, 0], [1, 1]], np.int32)], lambda x, i: np.take(x, i, axis=0),
      kwargs={"axis": 0}, id="take-axis"),
    C("take", [X34, np.array([-1, 0], np.int32)], lambda x, i: np.take(x, i, axis=1),
      kwargs={"axis": 1}, id="take-negative-index"),
    C("take_along_axis", [X34, np.array([[0, 3], [1, 1], [2, 0]], np.int32)],
      lambda x, i: np.take_along_axis(x, i, axis=1), kwargs={"axis": 1}),
    C("take_along_axis", [X34, np.array([[0, 1, 2, 0]], np.int32)],
      lambda x, i: np.take_along_axis(x, i, axis=0), kwargs={"axis": 0},
      id="take_along_axis-broadcast"),
    C("meshgrid", [f32(3), f32(2)], np.meshgrid),
    C("meshgrid", [f32(3), f32(2), f32(4)], lambda *x: np.meshgrid(*x, indexing="ij"),
      kwargs={"indexing": "ij"}, id="meshgrid-ij"),
    C("diff", [f32(3, 5)], np.diff),
    C("diff", [np.array([True, False, False])], lambda x: x[1:] != x[:-1], id="diff-bool"),
    C("diff", [f32(4, 3)], lambda x: np.diff(x, n=2, axis=0), kwargs={"n": 2, "axis": 0},
      id="diff-n2"),
    C("select", [[B34, B34b], [X34, f32(3, 4)], -1.0],
      lambda c, ch, d: np.select(c, ch, d)),
    C("select", [[B34], [I34]], lambda c, ch: np.select(c, ch), id="select-default"),
    # -- products -----------------------------------------------------------------------------
    C("matmul", [X34, f32(4, 2)], np.matmul),
    C("matmul", [f32(2, 3, 4), f32(2, 4, 5)], np.matmul, id="matmul-batched"),
    C("matmul", [f32(2, 3, 4), f32(4)], np.matmul, id="matmul-vector"),
    C("matmul", [f32(4), f32(4, 3)], np.matmul, id="matmul-vector-left"),
    C("matmul", [I34, i32(4, 2)], np.matmul, id="matmul-int"),
    C("einsum", ["ij,jk->ik", X34, f32(4, 2)], np.einsum),
    C("einsum", ["bij->bji", f32(2, 3, 4)], np.einsum, id="einsum-transpose"),
    C("einsum", ["ii->i", SQUARE], np.einsum, id="einsum-diagonal"),
    C("einsum", ["ij,ij->", X34, f32(3, 4)], np.einsum, id="einsum-full"),
    C("tensordot", [f32(2, 3, 4), f32(3, 4, 5)], np.tensordot),
    C("tensordot", [f32(2, 3, 4), f32(4, 3)], lambda a, b: np.tensordot(a, b, ([1, 2], [1, 0])),
      kwargs={"axes": ([1, 2], [1, 0])}, id="tensordot-pairs"),
    C("tensordot", [X34, f32(2, 5)], lambda a, b: np.tensordot(a, b, 0), kwargs={"axes": 0},
      id="tensordot-outer"),
    C("dot", [X34, f32(4, 2)], np.dot),
    C("dot", [f32(4), f32(4)], np.dot, id="dot-vectors"),
    C("dot", [f32(2, 3, 4), f32(5, 4, 2)], np.dot, id="dot-nd"),
    C("dot", [X34, f32(4)], np.dot, id="dot-matrix-vector"),
    C("dot", [X34, np.float32(2.0)], np.dot, id="dot-scalar"),
    C("inner", [X34, f32(2, 4)], np.inner),
    C("inner", [f32(4), f32(4)], np.inner, id="inner-vectors"),
    C("outer", [f32(3), f32(4)], np.outer),
    C("outer", [f32(2, 2), f32(3)], np.outer, id="outer-flattens"),
    C("vdot", [X34, f32(3, 4)], np.vdot),
    C("trace", [SQUARE], np.trace),
    C("trace", [f32(3, 5)], lambda x: np.trace(x, 1), kwargs={"offset": 1}, id="trace-offset"),
    C("trace", [SQUARE], lambda x: np.trace(x, -1), kwargs={"offset": -1},
      id="trace-negative-offset"),
    C("diagonal", [SQUARE], np.diagonal),
    C("diagonal", [f32(3, 5)], lambda x: np.diagonal(x, 2), kwargs={"offset": 2},
      id="diagonal-offset"),
    C("diagonal", [f32(5, 3)], lambda x: np.diagonal(x, -1), kwargs={"offset": -1},
      id="diagonal-negative-offset"),
    C("diagonal", [f32(2, 3, 4)], lambda x: np.diagonal(x, 0, 1, 2),
      kwargs={"axis1": 1, "axis2": 2}, id="diagonal-axes"),
    C("norm", [X34], np.linalg.norm),
    C("norm", [X34], lambda x: np.linalg.norm(x, axis=1), kwargs={"axis": 1}, id="norm-axis"),
    C("norm", [X34], lambda x: np.linalg.norm(x, 1, axis=0), kwargs={"ord": 1, "axis": 0},
      id="norm-l1"),
    C("norm", [X34], lambda x: np.linalg.norm(x, np.inf, axis=1),
      kwargs={"ord": np.inf, "axis": 1}, id="norm-inf"),
    C("norm", [X34], lambda x: np.linalg.norm(x, -np.inf, axis=1),
      kwargs={"ord": -np.inf, "axis": 1}, id="norm-neg-inf"),
    C("norm", [I34], lambda x: np.linalg.norm(x, 0, axis=1).astype(np.float32),
      kwargs={"ord": 0, "axis": 1}, id="norm-0"),
    C("norm", [X34], lambda x: np.linalg.norm(x, 3, axis=1), kwargs={"ord": 3, "axis": 1},
      id="norm-p3", rtol=1e-4),
    C("norm", [X34], lambda x: np.linalg.norm(x, "fro"), kwargs={"ord": "fro"},
      id="norm-fro"),
    C("norm", [X34], lambda x: np.linalg.norm(x, 1), kwargs={"ord": 1}, id="norm-matrix-1"),
    C("norm", [X34], lambda x: np.linalg.norm(x, -np.inf), kwargs={"ord": -np.inf},
      id="norm-matrix-neg-inf"),
    C("norm", [f32(2, 3, 4)], lambda x: np.linalg.norm(x, np.inf, axis=(1, 2), keepdims=True),
      kwargs={"ord": np.inf, "axis": (1, 2), "keepdims": True}, id="norm-matrix-axes"),
    C("norm", [I34], _f32(np.linalg.norm), id="norm-int", dtype="float32"),
    C("linalg.norm", [X34], lambda x: np.linalg.norm(x, axis=-1), kwargs={"axis": -1},
      id="linalg.norm"),
    # -- sorting ------------------------------------------------------------------------------
    C("sort", [DISTINCT], np.sort),
    C("sort", [DISTINCT], lambda x: np.sort(x, axis=0), kwargs={"axis": 0}, id="sort-axis0"),
    C("sort", [I34], np.sort, id="sort-int"),
    C("argsort", [DISTINCT], _as(np.int32, np.argsort)),
    C("sort", [np.array([True, False, True])], np.sort, id="sort-bool"),
    C("argsort", [np.array([True, False, True])], _as(np.int32, lambda x: np.argsort(
        x, kind="stable")), id="argsort-bool"),
    C("argmax", [np.array([False, True, True])], _as(np.int32, np.argmax), id="argmax-bool"),
    C("argsort", [np.array([3, 1, 3, 1, 2], np.int32)],
      _as(np.int32, lambda x: np.argsort(x, kind="stable")), id="argsort-stable"),
    C("argsort", [DISTINCT], _as(np.int32, lambda x: np.argsort(x, axis=None)),
      kwargs={"axis": None}, id="argsort-flat"),
    C("top_k", [DISTINCT, 2], _top_k),
    C("top_k", [I34 * 10 + np.arange(4, dtype=np.int32), 3], _top_k, id="top_k-int"),
    # -- float64 stays float64 (layerkit keeps 64-bit results) ----------------------------------
    unary("sin", np.sin, f64(3, 4), id="sin-float64"),
    C("matmul", [f64(3, 4), f64(4, 2)], np.matmul, id="matmul-float64", rtol=1e-12),
    C("mean", [f64(3, 4)], np.mean, id="mean-float64", rtol=1e-12),
]

PARAMS = params(CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_eager(case, backend):
    check_eager(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [p for p, c in zip(PARAMS, CASES) if c.symbolic])
def test_symbolic(case, backend):
    check_symbolic(case, backend)


# -- dtype promotion (Keras 3's rules) ----------------------------------------------------------
PROMOTION = [
    # (id, op, inputs, expected dtype)
    ("int32+weak-float", "add", [np.array([1, 2], np.int32), 1.5], "float32"),
    ("int32+int32", "add", [np.array([1, 2], np.int32), np.array([3, 4], np.int32)], "int32"),
    ("int32+weak-int", "add", [np.array([1, 2], np.int32), 3], "int32"),
    ("float32+weak-int", "add", [np.array([1.5, 2], np.float32), 2], "float32"),
    ("int32+float16", "add", [np.array([1, 2], np.int32), np.array([0.5, 1], np.float16)],
     "float16"),
    ("int64+float32", "add", [np.array([1, 2], np.int64), np.array([0.5, 1], np.float32)],
     "float32"),
    ("bool+weak-int", "add", [np.array([True, False]), 1], "int32"),
    ("bool+weak-float", "add", [np.array([True, False]), 1.5], "float32"),
    ("uint8+int32", "add", [np.array([1, 2], np.uint8), np.array([3, 4], np.int32)], "int32"),
    ("uint8+uint8", "add", [np.array([1, 2], np.uint8), np.array([3, 4], np.uint8)], "uint8"),
    ("uint8+weak-int", "multiply", [np.array([1, 2], np.uint8), 3], "uint8"),
    ("float16+weak-float", "multiply", [np.array([1, 2], np.float16), 2.5], "float16"),
    ("float16+float32", "add", [np.array([1, 2], np.float16), np.array([1, 2], np.float32)],
     "float32"),
    ("mean-int", "mean", [np.array([1, 2, 4], np.int32)], "float32"),
    ("sqrt-int", "sqrt", [np.array([1, 4], np.int32)], "float32"),
    ("divide-int", "divide", [np.array([1, 4], np.int32), np.array([2, 3], np.int32)],
     "float32"),
    ("divide-int-weak", "divide", [np.array([1, 4], np.int32), 2], "float32"),
    ("sin-bool", "sin", [np.array([True, False])], "float32"),
    ("argmax", "argmax", [np.array([1.0, 3.0, 2.0], np.float32)], "int32"),
    ("argmax-float64", "argmax", [np.array([1.0, 3.0, 2.0], np.float64)], "int32"),
    ("sum-bool", "sum", [np.array([True, True, False])], "int32"),
    ("sum-uint8", "sum", [np.array([200, 100], np.uint8)], "int32"),
    ("int64-keeps", "add", [np.array([1, 2], np.int64), 1], "int64"),
    ("int64-sum", "sum", [np.array([1, 2], np.int64)], "int64"),
    ("int64+int32", "add", [np.array([1, 2], np.int64), np.array([1, 2], np.int32)], "int64"),
    ("float64-keeps", "add", [np.array([1.5], np.float64), 1.0], "float64"),
    ("float64+float32", "add", [np.array([1.5], np.float64), np.array([1], np.float32)],
     "float64"),
    ("float64+int64", "add", [np.array([1.5], np.float64), np.array([1], np.int64)],
     "float64"),
    ("mean-float64", "mean", [np.array([1.5, 2.0], np.float64)], "float64"),
    ("mean-int64", "mean", [np.array([1, 2], np.int64)], "float32"),
    ("python-ints", "add", [1, 2], "int32"),
    ("python-floats", "add", [1, 2.5], "float32"),
    ("python-list", "add", [[1, 2], 0.5], "float32"),
    ("compare", "less", [np.array([1, 2], np.int32), 1.5], "bool"),
    ("where-int-float", "where", [np.array([True, False]), np.array([1, 2], np.int32),
                                  np.array([0.5, 1.5], np.float32)], "float32"),
    ("concatenate-int-float16", "concatenate",
     [[np.array([1], np.int32), np.array([0.5], np.float16)]], "float16"),
    ("matmul-int-float", "matmul", [np.ones((2, 2), np.int32), np.ones((2, 2), np.float32)],
     "float32"),
    ("matmul-bool", "matmul", [np.ones((2, 2), bool), np.ones((2, 2), bool)], "int32"),
    ("maximum-int-weak-float", "maximum", [np.array([1, 2], np.int32), 1.5], "float32"),
    ("power-int-weak-float", "power", [np.array([1, 4], np.int32), 0.5], "float32"),
    ("cumsum-bool", "cumsum", [np.array([True, True])], "int32"),
    ("prod-bool", "prod", [np.array([True, True])], "int32"),
    ("abs-int", "abs", [np.array([-1, 2], np.int32)], "int32"),
    ("relu-int", "relu", [np.array([-1, 2], np.int32)], "float32"),
    ("one_hot-default", "one_hot", [np.array([0, 2], np.int32), 3], "float32"),
]


def _promotion_reference(op: str, inputs: list):
    as_float = [np.asarray(v, np.float64) if not isinstance(v, list) or op != "concatenate"
                else [np.asarray(u, np.float64) for u in v] for v in inputs]
    numpy_fn = {"relu": lambda x: np.maximum(x, 0),
                "one_hot": lambda x, n: np.eye(int(n))[x.astype(int)],
                "divide": np.true_divide}.get(op) or getattr(np, op)
    return numpy_fn(*as_float)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op,inputs,dtype", [pytest.param(*p[1:], id=p[0]) for p in PROMOTION])
def test_promotion(op, inputs, dtype, backend):
    eager = run_eager(Case(op, inputs, None), backend)
    assert np.asarray(eager).dtype.name == dtype, f"eager ops.{op}: {np.asarray(eager).dtype}"
    expected = _promotion_reference(op, inputs)
    np.testing.assert_allclose(np.asarray(eager, np.float64), expected, rtol=1e-3)
    # symbolically: the graph's static dtype, and what it computes
    feeds, graph = {}, lk.Graph()

    def place(v):
        if isinstance(v, np.ndarray):
            p = lk.placeholder(v.dtype, v.shape)
            feeds[p] = v
            return p
        if isinstance(v, list) and v and isinstance(v[0], np.ndarray):
            return [place(u) for u in v]
        return v

    with graph.as_default():
        built = getattr(ops, op)(*[place(v) for v in inputs])
    if not isinstance(built, lk.Tensor):  # only Python numbers: eager even here
        return
    assert built.dtype.name == dtype, f"symbolic ops.{op}: {built.dtype.name}"
    value = lk.Session(graph=graph, backend=backend).run(built, feeds)
    assert np.asarray(value).dtype.name == dtype


@pytest.mark.parametrize("values,dtype", [
    ((np.int32, float), "float32"),
    (("int32", "float16"), "float16"),
    (("int64", "float32"), "float32"),
    (("bool", int), "int32"),
    (("bool", bool), "bool"),
    (("uint8", "int32"), "int32"),
    (("float64", int), "float64"),
    ((float, int), "float32"),
    ((int,), "int32"),
])
def test_result_type(values, dtype):
    assert lk_dtypes.result_type(*values) == dtype


def test_unsupported_dtype_is_named():
    with pytest.raises(TypeError, match="bfloat16"):
        ops.cast(np.ones(2, np.float32), "bfloat16")


def test_eager_graph_cache_tells_calls_apart(active_backend):
    """Eager calls are cached per op, static arguments, Python numbers and input signature."""
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert ops.add(x, 1).dtype == np.int32 and ops.add(x, 1.0).dtype == np.float32
    np.testing.assert_array_equal(ops.add(x, 2), x + 2)
    np.testing.assert_array_equal(ops.add(x, True), x + 1)
    np.testing.assert_array_equal(ops.sum(x, axis=0), [3, 5, 7])
    np.testing.assert_array_equal(ops.sum(x, axis=1), [3, 12])
    np.testing.assert_array_equal(ops.sum(x.astype(np.float32), axis=1), [3.0, 12.0])
    y = x.copy()
    first = ops.multiply(y, 2)
    y[0, 0] = 100  # a later change to the input changes neither the result nor the next call
    assert first[0, 0] == 0 and ops.multiply(y, 2)[0, 0] == 200
    np.testing.assert_array_equal(ops.reshape(x, (3, 2)), x.reshape(3, 2))
    np.testing.assert_array_equal(ops.reshape(x, (6,)), x.reshape(6))


def test_incompatible_shape_message_names_op_and_shapes():
    with pytest.raises(ValueError) as info:
        ops.add(lk.placeholder("float32", (3, 4)), lk.placeholder("float32", (5,)))
    assert "add" in str(info.value) and "(3, 4)" in str(info.value) and "(5" in str(info.value)
