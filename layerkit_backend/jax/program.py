"""A ``ProgramSpec`` as one ``jax.jit``-compiled function ``(state, feeds, seed) -> (fetches,
new_state)``.

The function is traced (and compiled by XLA) on the first call and again only when the shape or
dtype of an input changes: jit's own cache is keyed by them. The state a program both reads and
updates is donated, so XLA may write the new values into the old buffers instead of allocating.
State that is only read is not donated: its buffers stay the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from layerkit_backend.ir import ProgramSpec
from layerkit_backend.jax import distribution, ops  # noqa: F401  (ops registers the lowerings)
from layerkit_backend.jax.evaluator import Evaluator


class CompileCounter:
    """Counts traces; a trace happens exactly when jit compiles for a new input signature."""

    def __init__(self) -> None:
        self.count = 0


class JaxProgram:
    """A compiled program; calling it runs one XLA executable."""

    def __init__(self, spec: ProgramSpec, counter: CompileCounter | None = None):
        self.spec = spec
        self.compilations = 0  # how many times this program was traced and compiled
        self._counter = counter
        updated = set(spec.update_keys)
        self._donated = tuple(k for k in spec.state_keys if k in updated)
        self._kept = tuple(k for k in spec.state_keys if k not in updated)
        self._unroll_steps = not any(node.op == "scan" for node in spec.function.nodes)
        options = _compiler_options(spec)
        self._jitted = jax.jit(self._trace, donate_argnums=(0,), compiler_options=options)
        self._jitted_steps = jax.jit(self._trace_steps, donate_argnums=(0,),
                                     compiler_options=options)

    def __call__(self, state: Mapping[str, Any], feeds: Sequence[Any],
                 seed: int) -> tuple[list[Any], dict[str, Any]]:
        return self._jitted(*self._split_state(state), list(feeds), int(seed))

    def run_steps(self, state: Mapping[str, Any], stacked_feeds: Sequence[Any],
                  seeds: Sequence[int]) -> tuple[list[Any], dict[str, Any]]:
        """One run per seed as one XLA executable: a ``lax.scan`` over the stacked feeds with
        the updated state as its carry, so N steps cost one dispatch and no host round trip.
        A new number of steps compiles anew (the scan's length is part of the shapes).

        The scan is fully unrolled, so compiling costs about N times one step's (Keras 3.15's
        jax trainer instead calls its one-step program N times from Python, compiling it once
        but dispatching every step): XLA:CPU runs convolutions inside a while loop about 11x
        slower (a CNN epoch at N=4: 28.8 s rolled, 2.1 s unrolled, 2.6 s at N=1). Except when
        a step has a loop of its own (a recurrent layer's ``scan``): N unrolled copies of that
        loop run slower than one rolled loop (an LSTM epoch at N=8: 1.72 s unrolled, 1.25 s
        rolled, 1.51 s at N=1), and compile slower too (6.6 s against 4.1 s)."""
        seeds = np.asarray(seeds, dtype=np.int64)
        return self._jitted_steps(*self._split_state(state), list(stacked_feeds), seeds)

    def _split_state(self, state: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The state this program updates (its buffers donated) and the state it only reads."""
        return ({k: state[k] for k in self._donated}, {k: state[k] for k in self._kept})

    def _trace_steps(self, donated: dict[str, Any], kept: dict[str, Any],
                     stacked_feeds: list[Any], seeds: Any) -> tuple[list[Any], dict[str, Any]]:
        def step(carry, xs):
            feeds, seed = xs
            fetches, updates = self._trace(carry, kept, feeds, seed)
            # State updated but never read (a variable only assigned) is not carried: each
            # step's value comes out stacked, and the last one is the new value.
            return ({k: updates[k] for k in carry},
                    (fetches, {k: v for k, v in updates.items() if k not in carry}))

        carry, (fetches, written) = jax.lax.scan(step, donated, (stacked_feeds, seeds),
                                                 unroll=self._unroll_steps)
        return fetches, {**{k: v[-1] for k, v in written.items()}, **carry}

    def _trace(self, donated: dict[str, Any], kept: dict[str, Any], feeds: list[Any],
               seed: Any) -> tuple[list[Any], dict[str, Any]]:
        # Python code here runs only while jit traces, i.e. once per compilation.
        self.compilations += 1
        if self._counter is not None:
            self._counter.count += 1
        state = {**donated, **kept}
        inputs = [*feeds, *(state[k] for k in self.spec.state_keys)]
        outputs = Evaluator(self.spec.function, jax.random.key(seed)).run(inputs)
        n = self.spec.n_fetches
        new_state = dict(zip(self.spec.update_keys, outputs[n:]))
        # Read at trace time: another placement puts the inputs elsewhere, which retraces.
        placement = distribution.active()
        if placement is not None:
            new_state = placement.constrain_state(new_state)
        return outputs[:n], new_state


def _compiler_options(spec: ProgramSpec) -> dict[str, Any] | None:
    """XLA options for ``spec``. Strict float semantics on CPU: without LLVM's optimizations,
    XLA:CPU does not contract ``a * b + c`` into fused multiply-adds, so every op rounds as in
    numpy and TF1's CPU kernels (an MLP training step costs ~15% more). Matrix products still
    run in their optimized library kernels. GPUs keep their default: there, contraction stays."""
    if spec.strict_float and jax.default_backend() == "cpu":
        return {"xla_backend_optimization_level": 0}
    return None
