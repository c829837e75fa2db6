"""Seeding: ``set_random_seed`` makes a whole Keras program repeat, on any backend.

Randomness comes from two places. Initial weights are drawn on the host, with numpy, by
``layerkit.initializers``: an initializer given an int seed uses its own generator; one without
a seed draws from the module-level generator here (``host_generator()``). In-graph random ops
(dropout, noise layers) get their seeds from the Keras graph's seed. ``set_random_seed`` resets
all of these at once, and Python's and numpy's global generators too, as Keras does.
"""

from __future__ import annotations

import random

import numpy as np

_state: dict = {"seed": None, "generator": np.random.default_rng()}


def host_generator() -> np.random.Generator:
    """The numpy generator that unseeded initializers draw from (reset by ``set_random_seed``)."""
    return _state["generator"]


def get_random_seed() -> int | None:
    """The seed last given to ``set_random_seed``, or None if it was never called."""
    return _state["seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator, layerkit's initializers, and the
    Keras graph (``layerkit.backend.get_graph().seed``), so in-graph random ops repeat too.

    After ``set_random_seed(s)``, building and training the same model gives the same initial
    weights and the same dropout masks, run after run, on each backend.

    The seed also applies to graphs made later (after ``layerkit.backend.clear_session()``).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed}")
    _state["seed"] = seed
    _state["generator"] = np.random.default_rng(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # the legacy global generator takes 32-bit seeds only

    from layerkit import backend  # late: utils is imported by modules that backend may import

    backend.get_graph().seed = seed
