"""The table-driven runner for ``layerkit.ops`` tests.

A ``Case`` names an op (``"add"``, ``"nn.relu"``, ``"image.resize"``: looked up in
``layerkit.ops``), gives its positional inputs (numpy arrays are tensor inputs; Python numbers,
tuples of ints and ``Static(...)`` values stay static), its keyword arguments (static), and a
numpy reference called with the same inputs. Each case is run

- eagerly: the op on the numpy arrays, on the active backend (an ``EagerArray`` comes back);
- symbolically: the op on ``layerkit.graph.placeholder``s of the inputs' shapes and dtypes (or,
  for ops without tensor inputs, inside ``layerkit.backend.symbolic_scope()``), evaluated by a
  ``Session`` feed on the chosen backend;

and compared with the reference, value and dtype (and, symbolically, the static shape and dtype
the graph inferred against what it computed).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import layerkit.graph as lk
import layerkit_backend
from layerkit import backend as K
from layerkit import ops


class Static:
    """An input that stays a static (non-tensor) argument in the symbolic run too."""

    def __init__(self, value: Any):
        self.value = value


@dataclass
class Case:
    """One application of an op. ``dtype``: the expected result dtype (a name, or one per output
    of a multi-output op); None takes the reference's. ``reference`` gets the inputs (unwrapped
    from ``Static``) positionally."""

    op: str
    inputs: Sequence[Any]
    reference: Callable[..., Any]
    kwargs: dict = field(default_factory=dict)
    dtype: Any = None
    rtol: float = 1e-5
    atol: float = 1e-6
    id: str = ""
    symbolic: bool = True  # False: the op has no symbolic form worth testing (say why)
    equal_nan: bool = False

    @property
    def name(self) -> str:
        return self.id or self.op

    def fn(self) -> Callable[..., Any]:
        return resolve(self.op)


def resolve(name: str) -> Callable[..., Any]:
    obj: Any = ops
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def rng_for(text: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(text.encode()))


def params(cases: Sequence[Case]) -> list:
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case ids: {sorted(duplicates)}"
    return [pytest.param(c, id=c.name) for c in cases]


# -- running ----------------------------------------------------------------------------------
def _unwrap(value: Any) -> Any:
    if isinstance(value, Static):
        return value.value
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def run_eager(case: Case, backend: str) -> Any:
    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend(backend)
    try:
        return case.fn()(*_unwrap(list(case.inputs)), **case.kwargs)
    finally:
        layerkit_backend.set_backend(previous)


def _has_arrays(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, list | tuple):
        return any(_has_arrays(v) for v in value)
    return False


def run_symbolic(case: Case, backend: str) -> tuple[Any, Any]:
    """(the built outputs, their values): on placeholders in a fresh graph, or, for an op with
    no tensor inputs, inside ``symbolic_scope`` (the Keras graph)."""
    feeds: dict = {}

    def place(value: Any) -> Any:
        if isinstance(value, Static):
            return value.value
        if isinstance(value, np.ndarray):
            p = lk.placeholder(value.dtype, value.shape)
            feeds[p] = value
            return p
        if isinstance(value, list):  # a list of tensors (concatenate, stack, select...)
            return [place(v) for v in value]
        return value

    if _has_arrays(list(case.inputs)):
        graph = lk.Graph()
        with graph.as_default():
            built = case.fn()(*[place(v) for v in case.inputs], **case.kwargs)
    else:
        K.clear_session()
        graph = K.get_graph()
        with K.symbolic_scope():
            built = case.fn()(*_unwrap(list(case.inputs)), **case.kwargs)
    leaves = _flat(built)
    tensors = [leaf for leaf in leaves if isinstance(leaf, lk.Tensor)]
    assert tensors or not _has_arrays(list(case.inputs)) or case.op in STATIC_RESULTS, \
        f"ops.{case.op} built no tensor from placeholders: {built!r:.200}"
    values = iter(lk.Session(graph=graph, backend=backend).run(tensors, feeds)) if tensors \
        else iter(())
    computed = [np.asarray(next(values)) if isinstance(leaf, lk.Tensor) else leaf
                for leaf in leaves]
    return leaves, computed


# Ops whose result is a Python value even on tensors with static shapes.
STATIC_RESULTS = {"ndim", "size", "shape", "dtype", "is_tensor"}


def _flat(value: Any) -> list:
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


# -- checking ---------------------------------------------------------------------------------
def expected_of(case: Case) -> list:
    return _flat(case.reference(*_unwrap(list(case.inputs))))


def expected_dtypes(case: Case, expected: list) -> list:
    if case.dtype is None:
        return [np.asarray(e).dtype.name if not _is_python(e) else None for e in expected]
    if isinstance(case.dtype, list | tuple):
        return list(case.dtype)
    return [case.dtype] * len(expected)


def _is_python(value: Any) -> bool:
    return isinstance(value, bool | int | float | str | tuple) and not isinstance(value,
                                                                                  np.generic)


def check_values(case: Case, got: list, mode: str) -> None:
    expected = expected_of(case)
    assert len(got) == len(expected), \
        f"ops.{case.op} ({mode}): {len(got)} outputs, expected {len(expected)}"
    for k, (g, e, dtype) in enumerate(zip(got, expected, expected_dtypes(case, expected))):
        where = f"ops.{case.op} ({mode}) output {k}"
        if _is_python(e):
            assert g == e, f"{where}: {g!r} != {e!r}"
            continue
        g_arr = np.asarray(g)
        e_arr = np.asarray(e)
        assert g_arr.shape == e_arr.shape, f"{where}: shape {g_arr.shape} != {e_arr.shape}"
        if dtype is not None:
            assert g_arr.dtype.name == dtype, f"{where}: dtype {g_arr.dtype.name} != {dtype}"
        if e_arr.dtype.kind in "biu" and g_arr.dtype.kind in "biu":
            np.testing.assert_array_equal(g_arr, e_arr, err_msg=where)
        else:
            np.testing.assert_allclose(g_arr.astype(np.float64), e_arr.astype(np.float64),
                                       rtol=case.rtol, atol=case.atol,
                                       equal_nan=case.equal_nan, err_msg=where)


def check_eager(case: Case, backend: str) -> None:
    out = run_eager(case, backend)
    leaves = _flat(out)
    for leaf in leaves:
        if not _is_python(leaf) and case.op not in STATIC_RESULTS:
            assert isinstance(leaf, ops.eager.EagerArray), \
                f"ops.{case.op} (eager) returned {type(leaf).__name__}, not an EagerArray"
            assert type(leaf.numpy()) is np.ndarray
    check_values(case, leaves, f"eager, {backend}")


def check_symbolic(case: Case, backend: str) -> None:
    built, values = run_symbolic(case, backend)
    for t, v in zip(built, values):
        if isinstance(t, lk.Tensor):
            assert t.dtype.name == np.asarray(v).dtype.name, \
                f"ops.{case.op}: static dtype {t.dtype.name}, computed {np.asarray(v).dtype}"
            if t.shape is not None:
                assert len(t.shape) == np.ndim(v) and all(
                    s is None or s == n for s, n in zip(t.shape, np.shape(v))), \
                    f"ops.{case.op}: static shape {t.shape}, computed {np.shape(v)}"
    check_values(case, values, f"symbolic, {backend}")


# -- inputs -----------------------------------------------------------------------------------
_RNG = np.random.default_rng(20240601)


def f32(*shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return _RNG.uniform(low, high, size=shape).astype(np.float32)


def f64(*shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return _RNG.uniform(low, high, size=shape).astype(np.float64)


def pos32(*shape: int) -> np.ndarray:
    return f32(*shape, low=0.5, high=2.0)


def i32(*shape: int, low: int = -5, high: int = 6) -> np.ndarray:
    return _RNG.integers(low, high, size=shape).astype(np.int32)


def boolean(*shape: int) -> np.ndarray:
    return _RNG.uniform(size=shape) > 0.5


def distinct32(*shape: int) -> np.ndarray:
    """No ties (for sorts, arg-reductions and top_k)."""
    n = int(np.prod(shape, dtype=int))
    return (_RNG.permutation(n).reshape(shape) * 0.25 - n / 8).astype(np.float32)
