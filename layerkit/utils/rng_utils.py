"""Seeding: ``set_random_seed`` makes a whole Keras program repeat, on any backend.

Randomness comes from two places. Initial weights are drawn on the host, with numpy, by
``layerkit.initializers``: an initializer given an int seed uses its own generator; one without
a seed draws from the host generator (``layerkit.backend.host_generator()``). In-graph random ops
(dropout, noise layers) get their seeds from the Keras graph's seed. ``set_random_seed`` resets
all of these at once, and Python's and numpy's global generators too, as Keras does. The seed
itself is state of ``layerkit.backend``, beside the graph it seeds.
"""

from __future__ import annotations

import random

import numpy as np

from layerkit import backend
from layerkit.backend import get_random_seed

__all__ = ["get_random_seed", "set_random_seed"]


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
    random.seed(seed)
    np.random.seed(seed % 2**32)  # the legacy global generator takes 32-bit seeds only
    backend.set_seed(seed)
