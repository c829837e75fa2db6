"""``python -m layerkit_backend``: which backend is active, why, and what it runs on."""

from __future__ import annotations

import importlib
import sys

import layerkit_backend


def _version(module: str) -> str:
    try:
        return importlib.import_module(module).__version__
    except Exception as error:  # noqa: BLE001  (report whatever keeps it from importing)
        return f"unavailable ({type(error).__name__}: {error})"


def main() -> int:
    """Print the report; returns the exit status."""
    name, how = layerkit_backend.backend_choice()
    print(f"backend: {name} (chosen by {how})")
    print(f"config file: {layerkit_backend.config_path()}")
    print(f"numpy: {_version('numpy')}")
    print(f"jax: {_version('jax')}")
    print(f"jaxlib: {_version('jaxlib')}")
    try:
        import jax

        devices = ", ".join(str(d) for d in jax.devices())
        print(f"jax devices: {devices} (default backend: {jax.default_backend()})")
    except Exception as error:  # noqa: BLE001
        print(f"jax devices: unavailable ({type(error).__name__}: {error})")
    if name == "jax":
        chosen = layerkit_backend.get_backend("jax").device
        print(f"layerkit device: {chosen if chosen is not None else 'JAX default'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
