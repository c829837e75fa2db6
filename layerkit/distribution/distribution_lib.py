"""The distribution API, as ``keras.distribution``: describe how work spreads over devices.

Pure Python: the objects here name devices and meshes; the active backend decides how arrays are
placed (on jax: ``layerkit_backend.jax.distribution``, with ``jax.sharding``). Layers and models
know nothing of either; ``Model.fit``/``evaluate``/``predict`` only ask ``check_batches`` before
their first step.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import layerkit_backend

__all__ = [
    "DEFAULT_BATCH_DIM_NAME", "DataParallel", "DeviceMesh", "Distribution", "check_batches",
    "distribution", "get_device_count", "initialize", "list_devices", "set_distribution",
]

DEFAULT_BATCH_DIM_NAME = "batch"
ENV_JOB_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
ENV_NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"

_current: dict[str, Any] = {"distribution": None, "lib": None}  # lib: where placed


def _backend_lib(what: str) -> Any:
    """The active backend's distribution module, or a clear error where it has none."""
    backend = layerkit_backend.backend()
    lib = getattr(backend, "distribution_lib", None)
    if lib is None:
        raise RuntimeError(
            f"{what} needs the jax backend, which distributes work with jax.sharding; the "
            f"active backend is {backend.name!r}, which runs on one device only. Choose jax "
            "(LAYERKIT_BACKEND=jax or layerkit_backend.set_backend('jax'))"
        )
    return lib


# -- devices and processes --------------------------------------------------------------------
def list_devices(device_type: str | None = None) -> list[str]:
    """The devices available, of every process, as ``"<type>:<id>"`` strings (``"gpu:0"``).

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``. By default, the accelerators when there
            are any, else the CPU devices; never a mix of types.

    Returns:
        The device names, in JAX's order.
    """
    return _backend_lib("list_devices()").list_devices(device_type)


def get_device_count(device_type: str | None = None) -> int:
    """How many devices ``list_devices(device_type)`` lists."""
    return len(list_devices(device_type))


def initialize(job_addresses: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Join a cluster of processes (several hosts, or several processes on one), through
    ``jax.distributed.initialize``. Call it first, before building models or running anything.

    Each argument left out is read from the environment: ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES``, ``KERAS_DISTRIBUTION_PROCESS_ID``; what is still None
    JAX may detect itself (Cloud TPU, SLURM...).

    Afterwards every process is seeded with process 0's seed (the one
    ``layerkit.utils.set_random_seed`` set there, or else a random one), so weights initialize
    identically everywhere.

    Args:
        job_addresses: ``"host:port"`` of the coordinator (process 0), or a comma-separated list
            of every process's address whose first entry is the coordinator's (as in Keras).
        num_processes: How many processes form the cluster.
        process_id: This process's index, from 0 (the coordinator) to ``num_processes - 1``.
    """
    job_addresses = job_addresses if job_addresses is not None else \
        os.environ.get(ENV_JOB_ADDRESSES)
    num_processes = _int_setting(num_processes, ENV_NUM_PROCESSES, "num_processes")
    process_id = _int_setting(process_id, ENV_PROCESS_ID, "process_id")
    coordinator = _coordinator(job_addresses, num_processes)
    if num_processes is not None and process_id is not None \
            and not 0 <= process_id < num_processes:
        raise ValueError(f"initialize(): process_id={process_id} is not in [0, "
                         f"num_processes={num_processes})")
    lib = _backend_lib("initialize()")
    lib.initialize(coordinator, num_processes, process_id)
    _agree_on_seed(lib)


def _int_setting(value: Any, variable: str, argument: str) -> int | None:
    if value is None:
        text = os.environ.get(variable)
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{variable}={text!r} is not an integer") from None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"initialize({argument}=...) must be an integer, got {value!r}")
    return int(value)


def _coordinator(job_addresses: str | None, num_processes: int | None) -> str | None:
    """The coordinator's address: the first of a comma-separated list, checked against
    ``num_processes``."""
    if job_addresses is None:
        return None
    addresses = [a.strip() for a in str(job_addresses).split(",") if a.strip()]
    if not addresses:
        raise ValueError(f"initialize(job_addresses={job_addresses!r}) names no address")
    if len(addresses) > 1 and num_processes is not None and len(addresses) != num_processes:
        raise ValueError(f"initialize(): job_addresses lists {len(addresses)} addresses but "
                         f"num_processes={num_processes}")
    return addresses[0]


def _agree_on_seed(lib: Any) -> None:
    """Weights are drawn on the host (``layerkit.initializers``): the same seed everywhere
    makes them the same everywhere. Without ``set_random_seed``, process 0's random choice."""
    from layerkit.utils import rng_utils

    seed = rng_utils.get_random_seed()
    local = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)
    rng_utils.set_random_seed(lib.agree_on_seed(local))


# -- meshes and distributions -----------------------------------------------------------------
class DeviceMesh:
    """Devices arranged in a named grid (mirrors ``jax.sharding.Mesh``).

    Args:
        shape: The grid's shape, e.g. ``(8,)`` for 8 devices of data parallelism.
        axis_names: One name per axis of ``shape``, e.g. ``["batch"]``.
        devices: Device names (``"gpu:0"``...) or backend device objects; by default all of
            ``list_devices()``. Their number must be the product of ``shape``.
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str],
                 devices: Sequence[Any] | None = None):
        shape, axis_names = tuple(shape or ()), tuple(axis_names or ())
        if not shape or not axis_names:
            raise ValueError(f"DeviceMesh needs a shape and axis_names; got shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape={shape} has {len(shape)} axes but "
                             f"axis_names={axis_names} names {len(axis_names)}")
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"DeviceMesh: axis_names={axis_names} repeats a name")
        if devices is None:
            devices = list_devices()
        flat = np.empty(len(devices), dtype=object)
        flat[:] = list(devices)
        if math.prod(shape) != flat.size:
            raise ValueError(f"DeviceMesh: shape={shape} holds {math.prod(shape)} devices, but "
                             f"{flat.size} devices were given: {list(flat)}")
        self._shape = tuple(int(d) for d in shape)
        self._axis_names = axis_names
        self._devices = flat.reshape(self._shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape."""
        return self._shape

    @property
    def axis_names(self) -> tuple[str, ...]:
        """The name of each axis."""
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        """The devices, as an object array of ``shape``."""
        return self._devices

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={list(self.axis_names)}>"


class Distribution:
    """How work spreads over a ``DeviceMesh``; the base of ``DataParallel``.

    Args:
        device_mesh: The mesh.
        batch_dim_name: The mesh axis that batches are split along.
    """

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str = DEFAULT_BATCH_DIM_NAME):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name

    @property
    def device_mesh(self) -> DeviceMesh:
        """The mesh of devices."""
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str:
        """The mesh axis batches are split along."""
        return self._batch_dim_name

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Make this distribution the current one inside a ``with`` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def _placement(self, lib: Any) -> Any:
        """The backend's placement of arrays for this distribution."""
        raise NotImplementedError


class DataParallel(Distribution):
    """Data parallelism: every device holds all the weights and computes on its slice of each
    batch; the gradients are summed over devices (an all-reduce XLA inserts).

    Give ``device_mesh`` or ``devices``, not both; with neither, all of ``list_devices()``.
    The mesh must be 1-D: its one axis is the batch axis.

    Under it, each batch (each process's slice of it, with several processes) must split
    evenly over the devices; ``fit``, ``evaluate`` and ``predict`` check this before their
    first step. The variables, optimizer state and metric accumulators are replicated.

    Args:
        device_mesh: A 1-D ``DeviceMesh``.
        devices: Device names (``"gpu:0"``...), to make a 1-D mesh with axis ``"batch"``.
    """

    def __init__(self, device_mesh: DeviceMesh | None = None,
                 devices: Sequence[Any] | None = None):
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel takes device_mesh or devices, not both")
        if device_mesh is None:
            names = list(devices) if devices is not None else list_devices()
            if not names:
                raise ValueError("DataParallel(devices=[]) has no device")
            device_mesh = DeviceMesh((len(names),), [DEFAULT_BATCH_DIM_NAME], names)
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"DataParallel(device_mesh=...) must be a DeviceMesh, got "
                             f"{type(device_mesh).__name__}")
        if len(device_mesh.shape) != 1:
            raise ValueError(f"DataParallel needs a 1-D device mesh (data parallelism only; "
                             f"layerkit has no model parallelism); got shape "
                             f"{device_mesh.shape}, axis_names {list(device_mesh.axis_names)}")
        super().__init__(device_mesh, device_mesh.axis_names[0])

    @property
    def num_model_replicas(self) -> int:
        """How many copies of the model train in parallel: the number of devices."""
        return int(self.device_mesh.devices.size)

    def __repr__(self) -> str:
        return (f"<DataParallel devices={list(self.device_mesh.devices)}, "
                f"batch_dim_name={self.batch_dim_name!r}>")

    def _placement(self, lib: Any) -> Any:
        devices = lib.devices_named(list(self.device_mesh.devices))
        return lib.DataParallelPlacement(devices, self.batch_dim_name)


# -- the current distribution -----------------------------------------------------------------
def distribution() -> Distribution | None:
    """The current distribution, or None (everything on one device)."""
    return _current["distribution"]


def set_distribution(value: Distribution | None) -> None:
    """Make ``value`` the current distribution (None: back to one device).

    Best set before building models, as in Keras. Weights that already exist in Keras's
    session are moved to the new placement (their values are kept), so a later step never
    computes across mismatched devices. Sessions of your own (``layerkit.compat.v1``) are not
    moved: JAX copies their uncommitted values over at each run, and refuses values placed on
    a chosen device (``LAYERKIT_DEVICE``) with its "incompatible devices" error. Unlike in
    Keras, the distribution survives ``layerkit.backend.clear_session()``.

    Args:
        value: A ``Distribution`` (``DataParallel(...)``), or None.

    Raises:
        RuntimeError: if the active backend cannot distribute work (numpy).
    """
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution() takes a Distribution (e.g. DataParallel()) or "
                         f"None, got {type(value).__name__}")
    if value is None:
        lib, placement = _current["lib"], None
        if lib is None:
            return
    else:
        lib = _backend_lib("set_distribution()")
        placement = value._placement(lib)
    _move_keras_state(lib, lambda: lib.activate(placement))
    _current.update(distribution=value, lib=lib if value is not None else None)


def _move_keras_state(lib: Any, switch: Any) -> None:
    """Run ``switch`` (which changes where new arrays are placed) and place the values of
    Keras's session anew, where it will then compute."""
    from layerkit import backend as K

    if getattr(layerkit_backend.backend(), "distribution_lib", None) is not lib:
        switch()  # Keras's session runs on another backend: nothing of it lives on lib's devices
        return
    session = K.get_session()
    values = session.variable_values()
    switch()
    if values:
        session.load_variable_values(values)


# -- checks for the training loops ------------------------------------------------------------
def check_batches(samples: int, batch_size: int, steps: int | None = None,
                  argument: str = "batch_size") -> None:
    """Before a loop's first step: under a distribution, fail unless every batch of
    ``samples`` cut ``batch_size`` at a time (the first ``steps`` of them, if given) splits
    evenly over the devices. Nothing to check without a distribution.

    Raises:
        ValueError: naming the batch size, the device count and ``argument``.
        RuntimeError: if the active backend cannot distribute work.
    """
    current = distribution()
    if current is None:
        return
    lib = _backend_lib("Training under a distribution")
    placement = lib.active()
    if placement is None:  # set on another backend's run, e.g. jax, numpy, then jax again
        raise RuntimeError("The distribution is set but the jax backend holds no placement; "
                           "call set_distribution() again")
    devices = placement.local_device_count
    for size in _batch_sizes(samples, batch_size, steps):
        if size % devices:
            raise ValueError(_indivisible_message(size, devices, samples, batch_size, argument,
                                                  lib.process_count() > 1))


def _batch_sizes(samples: int, batch_size: int, steps: int | None) -> set[int]:
    """The sizes of the batches a loop cuts: full ones, and the last one if it is run."""
    count = -(-samples // batch_size)
    limited = isinstance(steps, int) and not isinstance(steps, bool) and steps > 0
    used = min(steps, count) if limited else count  # a bad steps fails later, named
    sizes = {batch_size} if samples >= batch_size and used else set()
    if samples % batch_size and used == count:
        sizes.add(samples % batch_size)
    return sizes


def _indivisible_message(size: int, devices: int, samples: int, batch_size: int,
                         argument: str, several_processes: bool) -> str:
    if size == batch_size:
        where = f"each batch has {size} samples, which"
    elif samples < batch_size:
        where = f"the one batch holds all {samples} samples, which"
    else:
        where = (f"the last batch of {samples} samples cut {batch_size} at a time has {size} "
                 "samples, which")
    whose = "this process's" if several_processes else "the distribution's"
    return (f"{argument}={batch_size}: {where} does not split evenly "
            f"over {whose} {devices} devices (data parallelism needs a multiple of {devices}). "
            f"Choose a {argument} and a number of samples that are multiples of {devices}, or "
            "limit the steps so that the last, partial batch is not run")
