"""``layerkit.random``: Keras 3's random functions (``keras.random``) and ``SeedGenerator``.

Each works symbolically (in a layer's ``call``: it builds ops) and eagerly (on values: it
returns an ``EagerArray``), on every backend. ``seed`` is an int (the same values on every call),
a ``SeedGenerator`` (new values on each call and each training step, in a sequence fixed by the
generator's seed) or None (a global generator, reproducible after
``layerkit.utils.set_random_seed``). See docs/random.md.
"""

from layerkit.random.random import (
    beta,
    binomial,
    categorical,
    dropout,
    gamma,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
from layerkit.random.seed_generator import SeedGenerator

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]
