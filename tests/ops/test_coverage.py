"""Every public function of ``layerkit.ops`` (and of ``ops.nn``, ``ops.image``, ``ops.linalg``,
``ops.core``, ``ops.numpy``) has a case in one of the tables, a test of its own, or a reasoned
entry in ``SKIPPED``: a new op without a test fails here."""

from __future__ import annotations

import types

from layerkit import ops
from tests.ops import test_core_ops, test_image_ops, test_nn_ops, test_numpy_ops

# Public names deliberately without a value test, each with the reason.
SKIPPED: dict[str, str] = {}


def public_functions() -> dict[str, object]:
    found = {}
    for name in dir(ops):
        value = getattr(ops, name)
        if not name.startswith("_") and not isinstance(value, types.ModuleType):
            found[name] = value
    for module in (ops.nn, ops.image, ops.linalg, ops.core, ops.numpy):
        for name in module.__all__:
            found[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = getattr(module, name)
    return found


def _tested_functions() -> set[int]:
    tested = set()
    for module in (test_numpy_ops, test_nn_ops, test_core_ops, test_image_ops):
        tested |= {id(case.fn()) for case in module.CASES}
    tested |= {id(getattr(ops, name)) for name in test_core_ops.TESTED_OUTSIDE_THE_TABLE}
    return tested


def _untested() -> list[str]:
    tested = _tested_functions()
    return sorted(name for name, fn in public_functions().items()
                  if id(fn) not in tested and name.rsplit(".", 1)[-1] not in SKIPPED)


def test_every_public_op_is_tested_or_skipped_with_a_reason():
    missing = _untested()
    assert missing == [], f"public ops without a test (add a case or a reasoned skip): {missing}"


def test_a_new_op_without_a_test_is_caught(monkeypatch):
    monkeypatch.setattr(ops, "brand_new_op", lambda x: x, raising=False)
    monkeypatch.setattr(ops.nn, "__all__", [*ops.nn.__all__, "relu_new"])
    monkeypatch.setattr(ops.nn, "relu_new", lambda x: x, raising=False)
    assert _untested() == ["brand_new_op", "nn.relu_new"]


def test_skips_name_real_ops():
    names = {n.rsplit(".", 1)[-1] for n in public_functions()}
    assert set(SKIPPED) <= names, sorted(set(SKIPPED) - names)


def test_the_missing_linalg_functions_are_listed_and_refused():
    # ops.linalg's factorizations are not in layerkit: each raises NotImplementedError
    # (test_core_ops.test_missing_linalg_is_not_implemented); linalg.norm is in the table.
    assert ops.linalg.__all__ == ["norm"]
    assert "svd" in ops.linalg._MISSING
