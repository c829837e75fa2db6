"""The jax backend: programs lowered to JAX, compiled by XLA, differentiated by JAX's autodiff.

Each op type has a small lowering to ``jax.numpy`` / ``jax.lax`` (``layerkit_backend.jax.ops``);
a whole program -- forward pass, gradients, optimizer updates -- becomes one pure function
``(state, feeds, seed) -> (fetches, new_state)``, compiled once by ``jax.jit`` per input
shape, with the updated state's buffers donated (``layerkit_backend.jax.program``). Gradients
come from ``jax.vjp`` over the forward path, the forward computed once
(``layerkit_backend.jax.evaluator``).

Choosing the device
-------------------
``LAYERKIT_DEVICE`` picks where arrays live and programs run: ``cpu``, ``gpu`` (the first GPU),
``gpu:1`` (the second), ``cuda:0``, ``tpu``... Without it, JAX's default device is used, which
JAX's own settings control: ``JAX_PLATFORMS=cpu`` forces the CPU, ``CUDA_VISIBLE_DEVICES``
restricts the GPUs JAX sees. ``python -m layerkit_backend`` shows the active backend and JAX's
devices.

Importing this module turns on ``jax_enable_x64`` for the process, so float64 programs run in
float64 (the gradient checks need it). The lowerings use explicit dtypes, so float32 programs
stay float32; but JAX code of your own in the same process now gets 64-bit defaults for Python
scalars and ``jnp.arange``-style constructors.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import jax

# Before anything creates an array: 64-bit types are a process-wide JAX switch.
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from jax.sharding import SingleDeviceSharding  # noqa: E402

from layerkit_backend.ir import ProgramSpec  # noqa: E402
from layerkit_backend.jax import distribution  # noqa: E402
from layerkit_backend.jax.program import CompileCounter, JaxProgram  # noqa: E402

# A platform that cannot reuse a donated buffer (older CPU runtimes) warns on every compile;
# donation is only an optimization, so that one warning is noise.
warnings.filterwarnings("ignore", message="Some donated buffers were not usable",
                        category=UserWarning)

__all__ = ["BACKEND", "JaxBackend", "JaxProgram", "select_device"]

_SMALL_TRANSFER = 256 * 1024  # bytes; see JaxBackend.__init__


def select_device(spec: str | None = None) -> Any:
    """The JAX device that ``spec`` (default: ``$LAYERKIT_DEVICE``) names, or None for JAX's
    default. ``spec`` is a platform (``cpu``, ``gpu``, ``cuda``, ``rocm``, ``tpu``), optionally
    followed by ``:index``."""
    spec = (os.environ.get("LAYERKIT_DEVICE", "") if spec is None else spec).strip().lower()
    if not spec:
        return None
    platform, _, index = spec.partition(":")
    if platform == "cuda" or platform == "rocm":
        platform = "gpu"
    try:
        devices = jax.devices(platform)
    except RuntimeError as error:
        raise RuntimeError(
            f"LAYERKIT_DEVICE={spec!r}: JAX has no {platform} device ({error}); JAX sees "
            f"{', '.join(str(d) for d in jax.devices())}"
        ) from None
    try:
        position = int(index) if index else 0
        return devices[position]
    except (ValueError, IndexError):
        raise RuntimeError(
            f"LAYERKIT_DEVICE={spec!r}: there is no {platform} device {index!r}; JAX sees "
            f"{', '.join(str(d) for d in devices)}"
        ) from None


class JaxBackend:
    """The jax backend. ``compilations`` counts every trace-and-compile of every program."""

    name = "jax"
    distribution_lib = distribution  # what ``layerkit.distribution`` asks to distribute work

    def __init__(self, device: Any = None):
        self.device = device
        self._counter = CompileCounter()
        # Small host-to-device transfers by a jitted identity: jit's C++ argument handling
        # costs ~15 µs where jax.device_put's Python path costs ~80 µs; from a few hundred KB
        # on, the identity's copy costs more than that and device_put wins.
        placement = {} if device is None else {"out_shardings": SingleDeviceSharding(device)}
        self._transfer = jax.jit(lambda x: x, **placement)

    @property
    def compilations(self) -> int:
        """How many times programs of this backend were traced and compiled, in total."""
        return self._counter.count

    def compile(self, spec: ProgramSpec) -> JaxProgram:
        """A program compiled on its first call, and again only for new input shapes."""
        return JaxProgram(spec, self._counter)

    def asarray(self, value: Any, dtype: np.dtype) -> jax.Array:
        """``value`` as a device array of ``dtype``, on the chosen device.

        The array never shares memory with ``value``: on CPU, JAX may otherwise alias a numpy
        array (or copy it asynchronously), so a caller reusing its buffer would change the
        device array. A small array is copied on the host first, so the transfer reads only our
        copy; a large one is copied by JAX (``may_alias=False``), and we wait for that copy.
        Under a distribution, the value is replicated over its devices."""
        placement = distribution.active()
        if placement is not None:
            return placement.place_state(np.array(value, dtype=dtype))
        array = np.asarray(value, dtype=dtype)
        if array.nbytes <= _SMALL_TRANSFER:
            return self._transfer(array.copy())
        return jax.device_put(array, self.device, may_alias=False).block_until_ready()

    def feed(self, value: Any, dtype: np.dtype, batch_axis: int | None = 0,
             copy: bool = True) -> Any:
        """A fed value: on JAX's default device, a host array that the program call transfers
        itself (jit's C++ argument path, overlapping with the previous step's work), copied
        first unless ``copy=False`` says the caller never changes it; on a chosen device, a
        device array there (``asarray``). Under a distribution, a global array split along
        ``batch_axis`` (replicated if None or the value has no such axis)."""
        placement = distribution.active()
        if placement is None and self.device is not None:
            return self.asarray(value, dtype)  # never aliases ``value``: no host copy first
        array = np.array(value, dtype=dtype) if copy else np.asarray(value, dtype=dtype)
        return array if placement is None else placement.place_feed(array, batch_axis)

    def to_numpy(self, value: Any) -> np.ndarray:
        """A device array copied to the host (a writable numpy array); of an array split over
        processes, this process's part."""
        return distribution.to_host(value)

    def devices(self) -> list[Any]:
        """The device programs run on (the chosen one, or JAX's default) and all JAX sees."""
        return [self.device] if self.device is not None else jax.devices()


BACKEND = JaxBackend(select_device())
