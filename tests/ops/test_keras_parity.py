"""``layerkit.ops`` against real Keras 3 (``keras.ops``, jax backend) in one child process.

Every table case of the other tests whose inputs are 32-bit (or bool/uint8: Keras narrows
64-bit results to 32 bits, layerkit deliberately keeps them) is sent to Keras; the values and
dtypes Keras computes are compared with layerkit's eager results on the numpy backend. A few
control-flow calls, which take callables, are written out in the child's code.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.ops import test_core_ops, test_image_ops, test_nn_ops, test_numpy_ops
from tests.ops.harness import Case, Static, run_eager

pytestmark = pytest.mark.slow

# Where layerkit and Keras 3.15 (jax) knowingly differ, by case id, with the reason.
KNOWN_DIFFERENCES: dict[str, str] = {
    "repeat-counts": "Keras's jax backend refuses a list of counts (jnp.repeat wants an array)",
    "nn.relu-int": "Keras's relu keeps int32 (jax.nn.relu); layerkit computes activations of "
                   "ints in floatx (Keras itself is mixed: relu6, elu, gelu give float32, "
                   "sigmoid and silu refuse ints)",
    "nn.conv-int": "Keras convolves two int32 arrays in int32; layerkit computes in floatx",
    "image.rgb_to_grayscale-int": "Keras casts the luma back to the input's int dtype "
                                  "(truncating); layerkit returns floatx",
    "promotion:relu-int": "as nn.relu-int",
    "promotion:sum-uint8": "Keras sums uint8 as uint32, a dtype layerkit's core does not have; "
                           "layerkit sums it as int32",
    "promotion:matmul-bool": "Keras multiplies bool matrices to a bool matrix; layerkit "
                             "computes bools as int32 (the counts)",
    "flow:while_loop": "on Python numbers layerkit's eager while_loop is a Python loop and "
                       "returns Python ints/floats; Keras returns int32/float32 arrays",
}

_CHILD = """
import json, math
import numpy as np
from keras import ops as kops

with open(SPECS_FILE) as _file:
    specs = json.load(_file)


def decode(v):
    if isinstance(v, dict) and "__array__" in v:
        return np.asarray(v["__array__"], dtype=v["dtype"]).reshape(v["shape"])
    if isinstance(v, dict) and "__tuple__" in v:
        return tuple(decode(u) for u in v["__tuple__"])
    if isinstance(v, list):
        return [decode(u) for u in v]
    if isinstance(v, dict):
        return {k: decode(u) for k, u in v.items()}
    return v


def encode(out):
    if isinstance(out, (list, tuple)):
        return {"many": [encode(o) for o in out]}
    if isinstance(out, (bool, int, float, str)) or out is None:
        return {"python": out}
    a = np.asarray(kops.convert_to_numpy(out))
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}


results = {}
for spec in specs:
    fn = kops
    try:
        for part in spec["op"].split("."):
            fn = getattr(fn, part)
        args, kwargs = decode(spec["args"]), decode(spec["kwargs"])
        if spec["op"] in ("nn.max_pool", "nn.average_pool") and "strides" not in kwargs:
            kwargs["strides"] = args[1]  # Keras 3.15 (jax) fails on strides=None
        out = fn(*args, **kwargs)
        results[spec["id"]] = encode(out)
    except Exception as error:  # reported, compared in the parent
        results[spec["id"]] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}

x = np.arange(6, dtype="float32").reshape(3, 2) / 4
flow = {
    "while_loop": kops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 1.5),
                                  (0, np.float32(1.0))),
    "while_loop-capped": kops.while_loop(lambda v: v < 100.0, lambda v: v * 2.0,
                                         np.float32(1.0), maximum_iterations=3),
    "scan": kops.scan(lambda c, v: (c + v, c * v), np.ones(2, "float32"), x),
    "scan-reverse": kops.scan(lambda c, v: (c + v, c * v), np.ones(2, "float32"), x,
                              reverse=True),
    "fori_loop": kops.fori_loop(0, 4, lambda i, v: v * 2.0 + i, np.float32(1.0)),
    "map": kops.map(lambda r: kops.sum(r * r), x),
    "cond": kops.cond(np.array(True), lambda: x * 2.0, lambda: x - 1.0),
    "switch": kops.switch(1, [lambda v: v + 1.0, lambda v: v * 3.0], x),
    "switch-clipped": kops.switch(5, [lambda v: v + 1.0, lambda v: v * 3.0], x),
}
results.update({"flow:" + k: encode(v) for k, v in flow.items()})
emit(results)
"""


def _flow(ops):
    x = np.arange(6, dtype="float32").reshape(3, 2) / 4
    return {
        "while_loop": ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 1.5),
                                     (0, np.float32(1.0))),
        "while_loop-capped": ops.while_loop(lambda v: v < 100.0, lambda v: v * 2.0,
                                            np.float32(1.0), maximum_iterations=3),
        "scan": ops.scan(lambda c, v: (c + v, c * v), np.ones(2, "float32"), x),
        "scan-reverse": ops.scan(lambda c, v: (c + v, c * v), np.ones(2, "float32"), x,
                                 reverse=True),
        # ops.add, not "+": layerkit's tensor operators do not promote int32 + float32
        # (test_core_ops.test_tensor_operators_promote_as_keras_does)
        "fori_loop": ops.fori_loop(0, 4, lambda i, v: ops.add(v * 2.0, i), np.float32(1.0)),
        "map": ops.map(lambda r: ops.sum(r * r), x),
        "cond": ops.cond(np.array(True), lambda: x * 2.0, lambda: x - 1.0),
        "switch": ops.switch(1, [lambda v: v + 1.0, lambda v: v * 3.0], x),
        "switch-clipped": ops.switch(5, [lambda v: v + 1.0, lambda v: v * 3.0], x),
    }


def _narrow(value) -> bool:
    """Whether every array in ``value`` is of a dtype Keras keeps (no 64-bit arrays)."""
    if isinstance(value, Static):
        return _narrow(value.value)
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype.itemsize < 8
    if isinstance(value, list | tuple):
        return all(_narrow(v) for v in value)
    if isinstance(value, dict):
        return all(_narrow(v) for v in value.values())
    return True


def _encode(value):
    if isinstance(value, Static):
        return _encode(value.value)
    if isinstance(value, np.ndarray | np.generic):
        a = np.asarray(value)
        return {"__array__": a.ravel().tolist(), "dtype": a.dtype.name, "shape": list(a.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _cases():
    cases = []
    for module in (test_numpy_ops, test_nn_ops, test_core_ops, test_image_ops):
        cases += [c for c in module.CASES
                  if _narrow(list(c.inputs)) and _narrow(c.kwargs)]
    cases += [Case(op, inputs, None, id=f"promotion:{name}")
              for name, op, inputs, _ in test_numpy_ops.PROMOTION if _narrow(inputs)]
    return cases


def _leaves(encoded):
    if "many" in encoded:
        return [leaf for e in encoded["many"] for leaf in _leaves(e)]
    return [encoded]


def _flat(value):
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


def _compare(name, ours, theirs, rtol, atol) -> list[str]:
    if "error" in theirs:
        return [f"{name}: Keras raised {theirs['error']}"]
    problems = []
    mine = _flat(ours)
    keras_leaves = _leaves(theirs)
    if len(mine) != len(keras_leaves):
        return [f"{name}: {len(mine)} outputs, Keras {len(keras_leaves)}"]
    for k, (m, t) in enumerate(zip(mine, keras_leaves)):
        where = f"{name}[{k}]"
        if "python" in t:
            if isinstance(m, np.ndarray):
                m = m.item() if m.ndim == 0 else m.tolist()
            if m != t["python"]:
                problems.append(f"{where}: {m!r} != Keras {t['python']!r}")
            continue
        m = np.asarray(m)
        expected = np.asarray(t["data"], dtype=t["dtype"]).reshape(t["shape"])
        if m.dtype.name != t["dtype"]:
            problems.append(f"{where}: dtype {m.dtype.name} != Keras {t['dtype']}")
        if m.shape != expected.shape:
            problems.append(f"{where}: shape {m.shape} != Keras {expected.shape}")
            continue
        if not np.allclose(m.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                           atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(m.astype(np.float64) - expected.astype(np.float64)))
            problems.append(f"{where}: values differ (max abs {worst:.3g})")
    return problems


def test_ops_match_keras3(keras3, tmp_path):
    cases = _cases()
    specs = [{"id": c.name, "op": c.op, "args": _encode(list(c.inputs)),
              "kwargs": _encode(c.kwargs)} for c in cases]
    specs_file = tmp_path / "specs.json"
    specs_file.write_text(json.dumps(specs))
    code = f"SPECS_FILE = {str(specs_file)!r}\n" + _CHILD
    results = keras3(code, timeout=600)
    from layerkit import ops

    problems = []
    for c in cases:
        if c.name in KNOWN_DIFFERENCES:
            continue
        try:
            ours = run_eager(c, "numpy")
        except Exception as error:  # noqa: BLE001 (every difference is listed at the end)
            problems.append(f"{c.name}: layerkit raised {type(error).__name__}: "
                            f"{str(error)[:200]}")
            continue
        problems += _compare(c.name, ours, results[c.name], max(c.rtol, 1e-5),
                             max(c.atol, 1e-6))
    for name, ours in _flow(ops).items():
        if f"flow:{name}" in KNOWN_DIFFERENCES:
            continue
        problems += _compare(f"flow:{name}", ours, results[f"flow:{name}"], 1e-5, 1e-6)
    assert len(cases) > 300
    known = {c.name for c in cases} | {f"flow:{name}" for name in _flow(ops)}
    assert set(KNOWN_DIFFERENCES) <= known, sorted(set(KNOWN_DIFFERENCES) - known)
    assert problems == [], "layerkit.ops differs from keras.ops:\n" + "\n".join(problems)
