"""Cases for the random ops: static shape/dtype inference only (``reference=None``); their
statistics are tested in ``tests/graph/ops/test_random.py``."""

from __future__ import annotations

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform


def _static(op, shape, **kw):
    return OpCase(f"{op}-{shape}-{kw.get('dtype', 'float32')}", op,
                  lambda: getattr(ops, op)(shape, **kw), lambda rng, dt: [], random=True)


def _like(op, shape, **kw):
    """The sample takes the run-time shape of a placeholder whose dims are unknown at build."""
    return OpCase(f"{op}-like{shape}", op, lambda x: getattr(ops, op)(x, **kw),
                  lambda rng, dt: [uniform(rng, shape, dt)], random=True, static_shapes=False)


CASES = [
    *(c for op in ("random_uniform", "random_normal", "truncated_normal", "random_bernoulli")
      for c in [_static(op, (3, 4)), _static(op, ()), _static(op, [2, 1, 3], dtype="float64"),
                _like(op, (4, 3))]),
    _static("random_uniform", (5,), dtype="float16"),
    _static("random_bernoulli", (5,), dtype="int32"),
    _static("random_bernoulli", (2, 2), dtype="bool"),
]


# -- stateless ops: the key (int32, shape (2,)) is the first input -----------------------------
def _key(rng):
    return rng.integers(-2**31, 2**31 - 1, size=2).astype("int32")


def _stateless(op, shape, params=(), **kw):
    """A stateless op on a fed key (and fed parameter tensors), of a static shape."""
    return OpCase(f"{op}-{shape}-{kw.get('dtype', 'float32')}", op,
                  lambda key, *p: getattr(ops, op)(shape, key, *p, **kw),
                  lambda rng, dt: [_key(rng), *(uniform(rng, s, dt, 0.5, 2.0) for s in params)],
                  random=True)


def _stateless_like(op, shape, params=(), **kw):
    """A stateless op whose sample takes the run-time shape of its last (placeholder) input."""
    return OpCase(f"{op}-like{shape}", op,
                  lambda key, *rest: getattr(ops, op)(rest[-1], key, *rest[:-1], **kw),
                  lambda rng, dt: [_key(rng), *(uniform(rng, s, dt, 0.5, 2.0) for s in params),
                                   uniform(rng, shape, dt)],
                  random=True, static_shapes=False)


def _binomial_inputs(rng, dt, shape=()):
    return [_key(rng), rng.integers(1, 20, size=shape).astype(dt),
            rng.uniform(0.1, 0.9, size=shape).astype(dt)]


CASES += [
    *(c for op in ("stateless_random_uniform", "stateless_random_normal",
                   "stateless_truncated_normal")
      for c in [_stateless(op, (3, 4)), _stateless(op, ()),
                _stateless(op, [2, 1, 3], dtype="float64"), _stateless_like(op, (4, 3))]),
    _stateless("stateless_random_uniform", (5,), dtype="float16"),
    _stateless("stateless_random_gamma", (3, 4), params=[()]),
    _stateless("stateless_random_gamma", (3, 4), params=[(4,)], dtype="float64"),
    _stateless_like("stateless_random_gamma", (2, 5), params=[(5,)]),
    OpCase("stateless_random_binomial-(3, 4)", "stateless_random_binomial",
           lambda key, n, p: ops.stateless_random_binomial((3, 4), key, n, p),
           lambda rng, dt: _binomial_inputs(rng, dt), random=True),
    OpCase("stateless_random_binomial-(2, 3)-per-column", "stateless_random_binomial",
           lambda key, n, p: ops.stateless_random_binomial((2, 3), key, n, p, dtype="float64"),
           lambda rng, dt: _binomial_inputs(rng, dt, (3,)), random=True),
    *(OpCase(f"stateless_random_shuffle-{shape}-axis{axis}", "stateless_random_shuffle",
             lambda key, x, axis=axis: ops.stateless_random_shuffle(x, key, axis=axis),
             lambda rng, dt, shape=shape: [_key(rng), uniform(rng, shape, dt)], random=True,
             static_shapes=static)
      for shape, axis, static in [((5,), 0, True), ((3, 4), 1, True), ((3, 4), -2, False)]),
]
