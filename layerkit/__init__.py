"""layerkit: a Keras-like layers framework over a readable autodiff core.

``import layerkit as keras`` gives the Keras-shaped API: ``Sequential``, ``Model``, ``Input``,
``layers``, ``optimizers``, ``losses``, ``metrics``, ``callbacks``, ``datasets``, ``utils``,
``distribution``.
TensorFlow 1 style code runs on ``layerkit.compat.v1``; the graph core is ``layerkit.graph``;
backends live in ``layerkit_backend``.

Submodules load on first use, so ``import layerkit`` itself is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {"activations", "backend", "callbacks", "compat", "config", "constraints",
               "datasets", "distribution", "graph", "initializers", "layers", "losses",
               "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving",
               "utils"}
_NAMES = {"Input": "layerkit.layers", "Layer": "layerkit.layers", "Model": "layerkit.models",
          "Sequential": "layerkit.models", "Variable": "layerkit.backend"}

__all__ = sorted(_SUBMODULES | set(_NAMES))


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"layerkit.{name}")
    if name in _NAMES:
        module = importlib.import_module(_NAMES[name])
        return getattr(module, "KerasVariable" if name == "Variable" else name)
    raise AttributeError(f"module 'layerkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
