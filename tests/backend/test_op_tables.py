"""Each backend's op table matches the ops the core defines: one kernel (numpy) or lowering (jax)
per op type that becomes a program node, none for anything else.

The facts of an op type (differentiable, random, multi-output) are the core's alone
(``define_op``); the tables hold kernels. What the numpy table still says about gradients -- which
kernels have a VJP rule -- must match the core's ``differentiable``.
"""

from __future__ import annotations

import importlib

import pytest

import layerkit.graph  # noqa: F401  (imports every op module of the core)
from layerkit.graph.opdef import registered_ops
from layerkit.graph.program import NOT_LOWERED

# ``gradients`` becomes a node, but each backend's interpreter runs it itself (a reverse sweep,
# jax.vjp): no table entry.
RUN_BY_THE_INTERPRETER = {"gradients"}

TABLES = {"numpy": ("layerkit_backend.numpy", "layerkit_backend.numpy.registry", "KERNELS"),
          "jax": ("layerkit_backend.jax", "layerkit_backend.jax.registry", "LOWERINGS")}


def _table(backend: str) -> dict:
    package, registry, name = TABLES[backend]
    if backend == "jax":
        pytest.importorskip("jax")
    importlib.import_module(package)  # registers the backend's ops
    return getattr(importlib.import_module(registry), name)


def _computed_ops() -> set[str]:
    return set(registered_ops()) - NOT_LOWERED - RUN_BY_THE_INTERPRETER


def _mismatch(table: dict) -> tuple[list[str], list[str]]:
    """The ops the core computes that ``table`` lacks, and its entries the core never computes."""
    computed = _computed_ops()
    return sorted(computed - set(table)), sorted(set(table) - computed)


def test_the_core_defines_the_ops_lowering_and_the_interpreters_handle():
    assert NOT_LOWERED | RUN_BY_THE_INTERPRETER <= set(registered_ops())
    assert {"add", "scan", "split", "random_normal"} <= _computed_ops()


@pytest.mark.parametrize("backend", sorted(TABLES))
def test_the_table_has_one_entry_per_op_the_core_computes(backend):
    missing, extra = _mismatch(_table(backend))
    assert not missing, f"ops the {backend} backend cannot run: {missing}"
    assert not extra, f"{backend} entries for ops the core never lowers to a node: {extra}"


@pytest.mark.parametrize("backend", sorted(TABLES))
def test_a_stray_or_a_missing_entry_is_caught(backend, monkeypatch):
    table = _table(backend)
    monkeypatch.setitem(table, "no_such_op", table["add"])
    monkeypatch.setitem(table, "gradients", table["add"])
    monkeypatch.delitem(table, "matmul")
    assert _mismatch(table) == (["matmul"], ["gradients", "no_such_op"])


def test_numpy_vjp_rules_are_exactly_those_of_the_differentiable_ops():
    kernels = _table("numpy")
    disagree = {name for name, kernel in kernels.items()
                if (kernel.vjp is not None) != registered_ops()[name].differentiable}
    assert not disagree, f"VJP rule present or missing against the core: {sorted(disagree)}"
