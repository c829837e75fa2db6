"""The house's import rules, checked by parsing the source (ast), so they hold without running it.

Imports point one way (docs/architecture.md): each package of ``layerkit`` may import only the
packages below it, listed in ``ALLOWED``; imports inside functions count as much as those at
module level (a late import hides a cycle, it does not remove one). So:

- ``layerkit_backend`` imports nothing of ``layerkit``; only its ``jax`` package imports jax
  (and the backend's report, ``python -m layerkit_backend``);
- ``layerkit.graph`` (the core) imports only ``layerkit_backend``;
- nothing outside ``layerkit.compat`` imports it (the TF1 face is a leaf);
- no package imports another one's private (``_underscore``) names, and the Keras wing
  takes from the core only its public API (``layerkit.graph``, its ``ops`` and ``dtypes``);
- no two packages import each other, directly or around a loop;
- inside a package, modules import each other in a loop only where ``MODULE_CYCLES`` says why.
"""

from __future__ import annotations

import ast
import functools
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = ("layerkit", "layerkit_backend")

# Each package, and the packages of this project it may import (besides itself and the root
# ``layerkit``, which only names its submodules lazily). Listed from the floor up.
_CORE = {"layerkit_backend", "layerkit.graph"}
_BASE = _CORE | {"layerkit.backend", "layerkit.utils"}
# Keras 3's op namespaces, above the core: everything from activations up writes with them.
_OPS = _BASE | {"layerkit.ops", "layerkit.random", "layerkit.config"}
_VOCABULARY = _OPS | {"layerkit.activations", "layerkit.constraints", "layerkit.initializers",
                      "layerkit.regularizers"}
ALLOWED: dict[str, set[str]] = {
    "layerkit_backend": set(),
    "layerkit.graph": {"layerkit_backend"},
    "layerkit.backend": _CORE,
    "layerkit.utils": _CORE | {"layerkit.backend"},
    "layerkit.datasets": {"layerkit.utils"},
    "layerkit.distribution": _BASE,
    "layerkit.config": _BASE,
    "layerkit.ops": _BASE,
    "layerkit.random": _BASE | {"layerkit.ops"},
    "layerkit.activations": _OPS,
    "layerkit.initializers": _OPS,
    "layerkit.regularizers": _OPS,
    "layerkit.constraints": _OPS,
    "layerkit.losses": _OPS,
    "layerkit.metrics": _OPS | {"layerkit.initializers", "layerkit.losses"},
    "layerkit.optimizers": _OPS,
    "layerkit.layers": _VOCABULARY,
    "layerkit.formats": _VOCABULARY | {"layerkit.layers", "layerkit.losses", "layerkit.metrics",
                                       "layerkit.optimizers"},
    "layerkit.callbacks": _OPS | {"layerkit.formats"},
    "layerkit.models": _VOCABULARY | {"layerkit.layers", "layerkit.losses", "layerkit.metrics",
                                      "layerkit.optimizers", "layerkit.formats",
                                      "layerkit.callbacks", "layerkit.distribution"},
    "layerkit.saving": {"layerkit.formats", "layerkit.models", "layerkit.utils"},
    "layerkit.compat": _BASE | {"layerkit.formats"},
    "layerkit.demo": {"layerkit_backend"},  # and, through the root, the whole Keras API
}

# Loops between modules of one package that are kept, each with the reason.
MODULE_CYCLES: dict[frozenset[str], str] = {}


# -- reading the source -------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in TOP for p in sorted((ROOT / top).rglob("*.py"))}


MODULES = _modules()


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` reads from, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


@functools.cache
def _attributes_shadowing_modules(package: str) -> frozenset[str]:
    """Names a package's ``__init__`` binds to something of another module: in
    ``layerkit.graph``, ``gradients`` is the function (``from layerkit.graph.gradients import
    gradients``), not the module of that name."""
    path = MODULES.get(package)
    if path is None or path.name != "__init__.py":
        return frozenset()
    tree = ast.parse(path.read_text(), str(path))
    return frozenset(alias.asname or alias.name for node in tree.body
                     if isinstance(node, ast.ImportFrom)
                     and _absolute(package, path, node) != package for alias in node.names)


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every module ``module`` imports, anywhere in it: ``from a import b`` is ``a.b`` when that
    is a module (and ``a`` does not bind ``b`` to something else), else ``a``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                is_module = (submodule in MODULES
                             and alias.name not in _attributes_shadowing_modules(source))
                yield submodule if is_module else source


def _ours(name: str) -> str | None:
    """The module of this project that an import names (its longest known prefix), if any."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def module_imports() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        found = {_ours(name) for name in imported_names(module, path)}
        graph[module] = {m for m in found if m is not None and m != module}
    return graph


def package_of(module: str) -> str:
    """``layerkit.layers.core`` -> ``layerkit.layers``; the backend is one package."""
    parts = module.split(".")
    return "layerkit_backend" if parts[0] == "layerkit_backend" else ".".join(parts[:2])


def package_imports(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = package_of(module)
        packages.setdefault(here, set()).update(
            package_of(t) for t in targets if package_of(t) not in (here, "layerkit"))
    return packages


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The loops of ``graph``: its strongly connected components of more than one node
    (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[set[str]] = []
    counter = itertools.count()

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return loops


GRAPH = module_imports()
PACKAGES = package_imports(GRAPH)


# -- the rules ----------------------------------------------------------------------------
def test_every_package_is_in_the_table():
    assert sorted(set(PACKAGES) - set(ALLOWED) - {"layerkit"}) == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_lies_below_it(package):
    offending = {
        f"{module} imports {target}"
        for module, targets in GRAPH.items() if package_of(module) == package
        for target in targets
        if package_of(target) not in ALLOWED[package] | {package, "layerkit"}
    }
    assert sorted(offending) == []


def test_the_root_package_imports_nothing_at_load():
    # ``import layerkit`` stays cheap and names submodules lazily, so importing it from a
    # package (``from layerkit import __version__``) cannot close a loop.
    assert GRAPH["layerkit"] == set()


def test_no_loop_between_packages():
    assert strongly_connected(PACKAGES) == []


def test_nothing_outside_compat_imports_it():
    offending = sorted(f"{m} imports {t}" for m, targets in GRAPH.items()
                       if package_of(m) != "layerkit.compat" for t in targets
                       if package_of(t) == "layerkit.compat")
    assert offending == []


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def test_no_package_imports_another_ones_private_names():
    # What a package offers the others is public (and documented); its _names are its own.
    offending = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [f"{_absolute(module, path, node)}.{alias.name}" for alias in node.names]
                     if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                target = _ours(name)
                if target and package_of(target) != package_of(module) and _private(name):
                    offending.append(f"{module} imports {name}")
    assert sorted(offending) == []


# What the Keras wing may take from the core: its package (``layerkit.graph``'s public names)
# and its two vocabularies. The TF1 face, the core's other face, is built on its modules.
CORE_PUBLIC = {"layerkit.graph", "layerkit.graph.ops", "layerkit.graph.dtypes"}


def test_the_keras_wing_uses_only_the_cores_public_api():
    offending = sorted(
        f"{module} imports {target}" for module, targets in GRAPH.items()
        if package_of(module) not in ("layerkit.graph", "layerkit.compat")
        for target in targets
        if package_of(target) == "layerkit.graph" and target not in CORE_PUBLIC)
    assert offending == []


def test_only_the_backends_jax_side_imports_jax():
    # The backend's own report (``python -m layerkit_backend``) may name jax's devices too.
    allowed = ("layerkit_backend.jax", "layerkit_backend.__main__")
    offending = sorted(
        module for module, path in MODULES.items()
        if not module.startswith(allowed)
        and any(name.split(".")[0] in ("jax", "jaxlib") for name in imported_names(module, path)))
    assert offending == []


def test_loops_between_modules_of_a_package_are_the_known_ones():
    loops = {frozenset(loop) for loop in strongly_connected(GRAPH)}
    assert sorted(map(sorted, loops - set(MODULE_CYCLES))) == []
    assert sorted(map(sorted, set(MODULE_CYCLES) - loops)) == []  # a removed loop leaves the list


# -- the checker itself --------------------------------------------------------------------
def test_the_loop_finder_finds_loops_and_only_loops():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert strongly_connected(graph) == [{"a", "b", "c"}]


def test_late_and_relative_imports_are_seen(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from layerkit import models\n    from . import layers\n")
    names = set(imported_names("layerkit.formats.mod", source))
    # ``from . import layers`` in layerkit.formats names a module that does not exist, so it
    # counts as an import of the package itself.
    assert names == {"layerkit.models", "layerkit.formats"}


def test_a_name_a_package_binds_is_not_taken_for_its_module(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("from layerkit.graph import gradients, ops\n")
    # layerkit.graph binds ``gradients`` to the function of layerkit.graph.gradients; ``ops``
    # is the module itself.
    assert set(imported_names("layerkit.layers.mod", source)) == {"layerkit.graph",
                                                                  "layerkit.graph.ops"}


def test_ops_random_and_config_load_on_first_use():
    # ``import layerkit`` stays cheap: Keras 3's op namespaces load when first named.
    code = ("import sys, layerkit\n"
            "before = {m for m in ('layerkit.ops', 'layerkit.random', 'layerkit.config') "
            "if m in sys.modules}\n"
            "layerkit.ops.add, layerkit.random.normal, layerkit.config.floatx\n"
            "print(sorted(before), 'layerkit.ops' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
