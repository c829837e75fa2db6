"""Initializers with TensorFlow 1's names and defaults (``tf.zeros_initializer`` ...).

An initializer is called as ``init(shape, dtype=None, partition_info=None)`` and returns a
tensor holding the initial value; ``get_variable`` calls it once, when building the graph, and
the value is computed when the variable's initializer op runs. Random initializers take their
seed from ``seed`` or, as in TF1, from the graph seed (``set_random_seed``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import constant as _constant
from layerkit.graph.shapes import as_shape
from layerkit.graph.variables import global_variables_initializer, variables_initializer

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "Initializer", "Ones", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "constant", "get",
    "global_variables", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "ones", "random_normal", "random_uniform",
    "truncated_normal", "variables", "variance_scaling", "zeros",
]

# sqrt(2) * erfinv(...)-based factor: the stddev of a unit normal truncated at +-2 stddevs.
# Dividing by it makes the truncated samples' stddev the one asked for (as TF1 does).
_TRUNCATED_STDDEV = 0.87962566103423978


class Initializer:
    """Base class: ``init(shape, dtype=None, partition_info=None) -> Tensor``."""

    dtype: np.dtype | None = None

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, so ``cls(**config)`` rebuilds the initializer."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def _dtype(self, dtype: Any) -> np.dtype:
        return dtypes.as_dtype(dtype or self.dtype or dtypes.float32)


def _optional_dtype(dtype: Any) -> np.dtype | None:
    return None if dtype is None else dtypes.as_dtype(dtype)


class Zeros(Initializer):
    """All zeros (``tf.zeros_initializer``)."""

    def __init__(self, dtype: Any = dtypes.float32):
        self.dtype = _optional_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        return _constant(np.zeros(as_shape(shape), self._dtype(dtype)))

    def get_config(self):
        return {"dtype": self.dtype.name if self.dtype is not None else None}


class Ones(Zeros):
    """All ones (``tf.ones_initializer``)."""

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        return _constant(np.ones(as_shape(shape), self._dtype(dtype)))


class Constant(Initializer):
    """A given value: a scalar fills the shape, a list/array must have as many elements."""

    def __init__(self, value: Any = 0, dtype: Any = dtypes.float32, verify_shape: bool = False):
        if isinstance(value, Tensor):
            raise TypeError("constant_initializer takes a value, not a symbolic tensor")
        self.value = value
        self.dtype = _optional_dtype(dtype)
        self.verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        shape = as_shape(shape)
        value = np.asarray(self.value)
        if self.verify_shape and value.shape != shape:
            raise ValueError(f"constant_initializer: value of shape {value.shape} does not have "
                             f"the variable's shape {shape}")
        return _constant(value, dtype=self._dtype(dtype), shape=shape)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name if self.dtype is not None else None,
                "verify_shape": self.verify_shape}


class RandomUniform(Initializer):
    """Uniform samples in ``[minval, maxval)``; ``maxval`` defaults to 1 for floats."""

    def __init__(self, minval: float = 0.0, maxval: float | None = None, seed: int | None = None,
                 dtype: Any = dtypes.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = _optional_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        maxval = 1.0 if self.maxval is None else self.maxval
        return ops.random_uniform(as_shape(shape), minval=self.minval, maxval=maxval,
                                  dtype=self._dtype(dtype), seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name if self.dtype is not None else None}


class RandomNormal(Initializer):
    """Normal samples with ``mean`` and ``stddev``."""

    _op = "random_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: Any = dtypes.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _optional_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        sample = getattr(ops, self._op)
        return sample(as_shape(shape), mean=self.mean, stddev=self.stddev,
                      dtype=self._dtype(dtype), seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name if self.dtype is not None else None}


class TruncatedNormal(RandomNormal):
    """Normal samples, redrawn while more than two ``stddev`` away from ``mean``."""

    _op = "truncated_normal"


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """TF1's fan-in and fan-out: dense kernels ``(in, out)``, conv kernels
    ``(*window, in, out)`` (the window multiplies both)."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class VarianceScaling(Initializer):
    """Samples scaled to the variable's size: variance ``scale / n``, where ``n`` is the fan-in,
    the fan-out or their mean (``mode``). ``distribution`` is ``"truncated_normal"`` (also
    ``"normal"``, as in TF1), ``"untruncated_normal"`` or ``"uniform"``."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("normal", "truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None,
                 dtype: Any = dtypes.float32):
        if scale <= 0:
            raise ValueError(f"variance_scaling_initializer: scale must be positive, got {scale}")
        if mode not in self._MODES:
            raise ValueError(f"variance_scaling_initializer: mode {mode!r} is not one of "
                             f"{self._MODES}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"variance_scaling_initializer: distribution {distribution!r} is not "
                             f"one of {self._DISTRIBUTIONS}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _optional_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None) -> Tensor:
        shape = as_shape(shape)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        dtype = self._dtype(dtype)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return ops.random_uniform(shape, minval=-limit, maxval=limit, dtype=dtype,
                                      seed=self.seed)
        if self.distribution == "untruncated_normal":
            return ops.random_normal(shape, mean=0.0, stddev=math.sqrt(variance), dtype=dtype,
                                     seed=self.seed)
        stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
        return ops.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name if self.dtype is not None else None}


class GlorotUniform(VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``: the default
    initializer of ``get_variable`` for floating-point variables."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name if self.dtype is not None else None}


class GlorotNormal(VarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name if self.dtype is not None else None}


def he_normal(seed: int | None = None) -> VarianceScaling:
    """``VarianceScaling(2.0, "fan_in", "truncated_normal")``."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    """``VarianceScaling(2.0, "fan_in", "uniform")``."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """``VarianceScaling(1.0, "fan_in", "truncated_normal")``."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """``VarianceScaling(1.0, "fan_in", "uniform")``."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


# ``tf.initializers.<name>`` (the classes, called to make an initializer).
zeros = Zeros
ones = Ones
constant = Constant
random_uniform = RandomUniform
random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal


def global_variables():
    """``tf.initializers.global_variables()``: the op initializing every variable."""
    return global_variables_initializer()


def variables(var_list, name: str = "init"):
    """``tf.initializers.variables(var_list)``: the op initializing ``var_list``."""
    return variables_initializer(var_list, name=name)


def get(identifier: Any) -> Any:
    """An initializer from a name (``"glorot_uniform"``), a class, or an initializer itself."""
    if identifier is None or callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    raise ValueError(f"Unknown initializer {identifier!r}")


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": he_normal, "he_uniform": he_uniform,
    "lecun_normal": lecun_normal, "lecun_uniform": lecun_uniform,
}
