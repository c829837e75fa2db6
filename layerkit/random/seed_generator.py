"""Seeds for ``layerkit.random``: ``SeedGenerator`` (a seed kept in a variable, advanced each
draw) and ``draw_seed``, which turns a function's ``seed`` argument into a key.

A key is an int32 pair the stateless core ops draw from (``stateless_random_normal(shape,
key)``: the same key, the same values). What a ``seed`` argument gives:

- an int ``s``: the key ``[s, 0]``, every call (Keras 3: an int seed repeats).
- a ``SeedGenerator``: its state, ``[s, n]`` after ``n`` draws, advanced by ``[0, 1]``. Eagerly
  the variable is read and advanced at once. Symbolically (a layer's ``call`` while a model
  traces its programs) the generator makes, once, an ``assign`` of ``state + [0, 1]`` in the
  Keras graph; every draw's key is computed from that assign's value, so whenever a program
  computes a draw it also stores the advanced state: each training step (each ``predict``
  batch) draws anew. The k-th symbolic draw from one generator (two dropout calls in one
  model) mixes k into the key's first word, so draws within one program differ too.
- None: eagerly, a global generator kept on the host, made from Python's ``random`` (which
  ``layerkit.utils.set_random_seed`` seeds) when first used after each ``set_random_seed``.
  Symbolically, a key drawn by a stateful core op: fresh each run, reproducible given the graph
  seed (where Keras on jax refuses unseeded draws while tracing).
"""

from __future__ import annotations

import random as python_random
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.graph import Tensor, constant, get_default_graph
from layerkit.graph import ops as graph_ops
from layerkit.ops.eager import EagerArray

__all__ = ["SeedGenerator", "draw_seed", "make_default_seed"]

# The k-th symbolic draw from a generator adds k times this to its key's first word (mod 2**32).
_DRAW_STRIDE = 0x9E3779B1
_INCREMENT = np.array([0, 1], np.int32)


def _int32(value: int) -> int:
    """``value`` mod 2**32 as a signed int32 (Keras bit-casts seeds the same way)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def make_default_seed() -> int:
    """A seed for a generator made with ``seed=None``: from Python's ``random``, as Keras."""
    return python_random.randint(1, int(1e9))


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


class SeedGenerator:
    """A seed that changes on each use: pass it as ``seed=`` and successive draws differ, in a
    sequence fixed by the initial ``seed`` (None: one drawn from Python's ``random``, which
    ``layerkit.utils.set_random_seed`` seeds).

    Its ``state`` is a non-trainable int32 variable ``[seed, draws]`` of the Keras session.
    Assigned as a layer attribute, the generator is tracked by the layer: its state is in
    ``layer.variables`` (not in ``layer.weights``, which are what files hold, as in Keras).

    Example (as in Keras)::

        class Noise(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seed_generator = keras.random.SeedGenerator(1337)

            def call(self, x, training=False):
                if training:
                    return x + keras.random.normal(ops.shape(x), seed=self.seed_generator)
                return x
    """

    _is_seed_generator = True  # what a Layer tracks (layers do not import this package)

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any):
        if name is None:
            uid = K.get_uid("seed_generator")
            name = "seed_generator" if uid == 1 else f"seed_generator_{uid - 1}"
        self.name = name
        kwargs.pop("backend", None)  # Keras's custom backend module: layerkit has one
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments: {sorted(kwargs)}")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not _is_int(seed):
            raise ValueError("SeedGenerator: argument `seed` must be an integer. Received: "
                             f"seed={seed!r} (of type {type(seed).__name__})")
        self.state = K.variable(np.array([_int32(int(seed)), 0], np.int32),
                                name=f"{name}/seed_generator_state", dtype="int32",
                                trainable=False)
        self._advanced: Tensor | None = None  # the assign of state + [0, 1], once symbolic
        self._symbolic_draws = 0

    def next(self, ordered: bool = True) -> Any:
        """The key of the next draw, advancing the state: eagerly an int32 array (the state
        before this call); symbolically a tensor computed from the advanced state (see the
        module's docstring). ``ordered`` is accepted for Keras's signature; the state always
        advances by ``[0, 1]``."""
        if _building():
            return self._next_symbolic()
        value = self.state.numpy()
        K.get_session().load_variable_values({self.state.key: value + _INCREMENT})  # now
        return value.view(EagerArray)

    def _next_symbolic(self) -> Tensor:
        graph = self.state.graph
        if not graph.is_ancestor_of(get_default_graph()):
            raise ValueError(
                f"SeedGenerator '{self.name}' belongs to an earlier Keras session (was "
                "clear_session() called after it was made?); make a new one")
        if self._advanced is None:
            # Made once, outside any layer's scope or control dependencies, so every program
            # of the graph can share it: each run that computes a draw stores the new state.
            with graph.as_default(), graph.control_dependencies(None), graph.name_scope(None):
                self._advanced = self.state.assign(self.state + _INCREMENT,
                                                   name=f"{self.name}/next")
        k, self._symbolic_draws = self._symbolic_draws, self._symbolic_draws + 1
        offset = np.array([_int32(k * _DRAW_STRIDE), -1], np.int32)
        return graph_ops.add(self._advanced, offset)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name} seed={self._initial_seed}>"


def _building() -> bool:
    """Whether random calls now build ops: a model traces a program (or a layer is called on
    values, which traces it too)."""
    return K.in_symbolic_scope()


# -- the global generator (seed=None, eagerly) -------------------------------------------------
_global: dict[str, Any] = {"owner": None, "state": None}


def _global_key() -> np.ndarray:
    """The next key of the global generator, kept on the host: ``[s, n]`` for its n-th draw,
    ``s`` from ``make_default_seed()`` when first used after each ``set_random_seed`` (which
    makes a new host generator: that is how a reset is seen)."""
    owner = K.host_generator()
    if _global["owner"] is not owner:
        _global["owner"] = owner
        _global["state"] = np.array([_int32(make_default_seed()), 0], np.int32)
    key = _global["state"]
    _global["state"] = key + _INCREMENT
    return key


def _unseeded_key() -> Tensor:
    """A key drawn by a stateful core op: fresh on each run of the program."""
    u = graph_ops.random_uniform((2,), minval=-2.0**31, maxval=2.0**31, dtype="float64")
    return graph_ops.cast(graph_ops.floor(u), "int32")


def check_seed(seed: Any, fn: str) -> None:
    """A clear error naming ``fn`` unless ``seed`` is an int, a SeedGenerator or None."""
    if seed is None or _is_int(seed) or getattr(seed, "_is_seed_generator", False):
        return
    raise ValueError(f"{fn}: argument `seed` must be an int, a keras.random.SeedGenerator or "
                     f"None. Received: seed={seed!r} (of type {type(seed).__name__})")


def draw_seed(seed: Any, symbolic: bool | None = None, fn: str = "layerkit.random") -> Any:
    """The key a draw with ``seed`` uses: an int32 pair, as an array (eager) or a tensor
    (``symbolic``; default: whether a model is tracing). A SeedGenerator advances."""
    check_seed(seed, fn)
    symbolic = _building() if symbolic is None else symbolic
    if isinstance(seed, SeedGenerator) or getattr(seed, "_is_seed_generator", False):
        if symbolic and not _building():
            # Building ops outside a trace (on symbolic inputs): draw symbolically too.
            return seed._next_symbolic()
        return seed.next()
    if seed is not None:
        key = np.array([_int32(int(seed)), 0], np.int32)
        return constant(key) if symbolic else key
    return _unseeded_key() if symbolic else _global_key()
