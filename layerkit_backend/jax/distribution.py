"""Data parallelism on JAX's own machinery: every sharding decision layerkit makes is here.

``layerkit.distribution`` (pure Python, backend-neutral) describes *what* to distribute; this
module decides *how*, with ``jax.sharding``:

- a ``DataParallelPlacement`` is a 1-D ``jax.sharding.Mesh`` whose single axis (``"batch"``)
  runs over the chosen devices;
- variable values (weights, optimizer slots, metric accumulators) are *replicated*:
  ``NamedSharding(mesh, PartitionSpec())``, one full copy per device;
- a fed array is *split along its batch axis* (``PartitionSpec(..., "batch", ...)`` at that
  axis: 0, or 1 for steps stacked as ``(steps, batch, ...)``); a feed without that axis (the
  scalar batch size the trainer feeds, or those scalars stacked) is replicated;
- the state a program writes back is constrained to stay replicated
  (``jax.lax.with_sharding_constraint``), so a variable never drifts to another layout;
- XLA's SPMD partitioner does the rest: the gradient of a loss over a split batch becomes a
  per-device partial gradient and an all-reduce it inserts itself.

Several processes (``initialize``, over ``jax.distributed``) form one global mesh; each feeds
its own slice of every global batch (``jax.make_array_from_process_local_data``), and reads back
its own slice of batch-split outputs (``to_host``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = [
    "DataParallelPlacement", "activate", "active", "agree_on_seed", "device_name",
    "devices_named", "initialize", "list_devices", "process_count", "process_index",
    "to_host",
]

DEVICE_TYPES = ("cpu", "gpu", "tpu")
_PLATFORM_ALIASES = {"cuda": "gpu", "rocm": "gpu"}
_active: list[DataParallelPlacement | None] = [None]


# -- devices ----------------------------------------------------------------------------------
def device_name(device: Any) -> str:
    """A device as Keras names it: ``"<platform>:<id>"`` (``"cpu:0"``, ``"gpu:1"``)."""
    return f"{device.platform}:{device.id}"


def list_devices(device_type: str | None = None) -> list[str]:
    """The names of all devices (of every process) of ``device_type``; without one, those of
    JAX's default platform (the accelerators when there are any, else the CPU)."""
    if device_type is None:
        return [device_name(d) for d in jax.devices()]
    platform = _platform(device_type, "list_devices(device_type=...)")
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        raise ValueError(
            f"list_devices(device_type={device_type!r}): JAX has no {platform} device; it has "
            f"{', '.join(device_name(d) for d in jax.devices())}"
        ) from None
    return [device_name(d) for d in devices]


def devices_named(names: Sequence[Any]) -> list[Any]:
    """The JAX devices that ``names`` (``"cpu:0"``... or ``jax.Device`` objects) stand for."""
    known = {device_name(d): d for platform in _platforms() for d in jax.devices(platform)}
    found = []
    for name in names:
        if isinstance(name, jax.Device):
            found.append(name)
            continue
        key = _normalized_name(str(name))
        if key not in known:
            raise ValueError(f"Unknown device {name!r}: JAX has {', '.join(known)}")
        found.append(known[key])
    if len(set(found)) != len(found):
        raise ValueError(f"The devices {[device_name(d) for d in found]} repeat a device")
    return found


def _normalized_name(name: str) -> str:
    platform, _, index = name.strip().lower().partition(":")
    return f"{_PLATFORM_ALIASES.get(platform, platform)}:{index or 0}"


def _platform(device_type: str, argument: str) -> str:
    platform = _PLATFORM_ALIASES.get(str(device_type).lower(), str(device_type).lower())
    if platform not in DEVICE_TYPES:
        raise ValueError(f"{argument}: unknown device type {device_type!r}; expected one of "
                         f"{', '.join(DEVICE_TYPES)}")
    return platform


def _platforms() -> list[str]:
    """The platforms JAX has devices on (an absent one raises in ``jax.devices``)."""
    present = []
    for platform in DEVICE_TYPES:
        try:
            jax.devices(platform)
        except RuntimeError:
            continue
        present.append(platform)
    return present


# -- processes --------------------------------------------------------------------------------
def initialize(coordinator_address: str | None, num_processes: int | None,
               process_id: int | None) -> None:
    """Join the cluster of processes through ``jax.distributed.initialize`` (must come before
    anything runs on a device). None lets JAX detect a value from the cluster's environment
    (Cloud TPU, SLURM...)."""
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)


def process_count() -> int:
    """How many processes form the cluster (1 without ``initialize``)."""
    return jax.process_count()


def process_index() -> int:
    """This process's index in the cluster, from 0."""
    return jax.process_index()


def agree_on_seed(seed: int) -> int:
    """Process 0's ``seed``, on every process: a collective, so all processes must call it."""
    from jax.experimental import multihost_utils

    return int(multihost_utils.broadcast_one_to_all(np.asarray(seed, np.int64)))


# -- placement --------------------------------------------------------------------------------
class DataParallelPlacement:
    """Where arrays live under data parallelism over ``devices`` (a 1-D mesh, axis
    ``axis_name``): state replicated, feeds split along their batch axis."""

    def __init__(self, devices: Sequence[Any], axis_name: str = "batch"):
        self.devices = list(devices)
        self.axis_name = axis_name
        self.mesh = Mesh(np.array(self.devices, dtype=object), (axis_name,))
        self.replicated = NamedSharding(self.mesh, PartitionSpec())
        here = jax.process_index()
        # A process splits its own slice of the batch over its own devices of the mesh.
        self.local_device_count = sum(d.process_index == here for d in self.devices)
        self._multi_process = len({d.process_index for d in self.devices}) > 1

    def __repr__(self) -> str:
        return (f"DataParallelPlacement({len(self.devices)} devices, "
                f"axis {self.axis_name!r})")

    def feed_sharding(self, ndim: int, batch_axis: int | None = 0) -> NamedSharding:
        """A fed array of rank ``ndim``: split along ``batch_axis``; replicated when it has no
        such axis (a scalar; stacked scalars ``(steps,)`` fed with ``batch_axis=1``) or
        ``batch_axis`` is None."""
        if batch_axis is None or batch_axis >= ndim:
            return self.replicated
        spec: list[str | None] = [None] * ndim
        spec[batch_axis] = self.axis_name
        return NamedSharding(self.mesh, PartitionSpec(*spec))

    def place_state(self, value: np.ndarray) -> jax.Array:
        """A variable's value, one copy per device. Every process passes the same value."""
        return self._global_array(self.replicated, value)

    def place_feed(self, value: np.ndarray, batch_axis: int | None = 0) -> jax.Array:
        """A fed array: this process's slice of the global batch, split over its devices."""
        if batch_axis is not None and batch_axis < value.ndim:
            self._check_divisible(value.shape, batch_axis)
        return self._global_array(self.feed_sharding(value.ndim, batch_axis), value)

    def constrain_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """Inside a trace: the new values of variables, kept replicated."""
        return {k: jax.lax.with_sharding_constraint(v, self.replicated)
                for k, v in state.items()}

    def _check_divisible(self, shape: tuple[int, ...], batch_axis: int) -> None:
        size = shape[batch_axis]
        if size % self.local_device_count:
            raise ValueError(
                f"Cannot split a fed array of shape {shape} along axis {batch_axis} "
                f"({size} samples) over the {self.local_device_count} devices of mesh axis "
                f"{self.axis_name!r}: under data parallelism every batch must be a multiple "
                f"of {self.local_device_count} samples"
            )

    def _global_array(self, sharding: NamedSharding, value: np.ndarray) -> jax.Array:
        if self._multi_process:
            return jax.make_array_from_process_local_data(sharding, value)
        return jax.device_put(value, sharding)  # one process: the cheaper path


def activate(placement: DataParallelPlacement | None) -> None:
    """Make ``placement`` the one new state, feeds and traces follow (None: no distribution)."""
    _active[0] = placement


def active() -> DataParallelPlacement | None:
    """The placement in effect, or None."""
    return _active[0]


# -- back to the host -------------------------------------------------------------------------
def to_host(value: Any) -> np.ndarray:
    """A device array as a writable numpy array. An array split over several processes comes
    back as this process's block of it (its slice of a batch-split output), the counterpart of
    feeding each process's slice; a replicated one comes back whole. Such arrays exist only
    under a placement: without one, the check costs nothing."""
    if _active[0] is not None and isinstance(value, jax.Array) \
            and not value.is_fully_addressable and not value.is_fully_replicated:
        return _local_block(value)
    return np.array(value)


def _local_block(value: jax.Array) -> np.ndarray:
    """The block of ``value`` that this process's shards cover, assembled on the host."""
    shards = value.addressable_shards
    bounds = [_covered(s.index, value.shape) for s in shards]
    low = [min(b[axis][0] for b in bounds) for axis in range(value.ndim)]
    high = [max(b[axis][1] for b in bounds) for axis in range(value.ndim)]
    block = np.empty([h - lo for lo, h in zip(low, high)], dtype=value.dtype)
    for shard, bound in zip(shards, bounds):
        where = tuple(slice(b[0] - lo, b[1] - lo) for b, lo in zip(bound, low))
        block[where] = np.asarray(shard.data)
    return block


def _covered(index: tuple[slice, ...], shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """A shard's ``(start, stop)`` along each axis."""
    return [(s.start or 0, size if s.stop is None else s.stop) for s, size in zip(index, shape)]
