"""Weight initializers with Keras 3's names, arguments and defaults (``keras.initializers``).

Initial values are computed on the host, with numpy: ``init(shape, dtype=None)`` returns a
``numpy.ndarray`` (``dtype`` defaults to ``layerkit.backend.floatx()``), which a layer loads into
its variable. So the same seed gives the same weights on every backend.

Seeding: an initializer given an int ``seed`` draws from its own generator, made afresh from the
seed at each call, so it returns the same values every time (as in Keras 3). One with
``seed=None`` draws from layerkit's host generator, which ``layerkit.utils.set_random_seed``
resets: each call gives new values, and a whole model's weights repeat given the seed. Samples
are drawn in float64 and then cast, so a seed gives the same values (to rounding) in any dtype.

Fans follow Keras: a ``(fan_in, fan_out)`` matrix; a convolution kernel
``(*kernel_size, in_channels, out_channels)`` has ``fan_in = receptive_field * in_channels`` and
``fan_out = receptive_field * out_channels``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerkit import backend
from layerkit.graph import dtypes
from layerkit.utils.serialization import deserialize_object, get_object, serialize_object

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Zeros", "compute_fans", "constant", "deserialize", "get",
    "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
    "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "serialize",
    "truncated_normal", "variance_scaling", "zeros",
]

# The standard deviation of a unit normal truncated to [-2, 2]. VarianceScaling divides by it so
# that the *truncated* samples have the standard deviation asked for (as Keras and TF do).
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    try:
        result = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in result):
        raise ValueError(f"shape must not have negative dimensions, got {result}")
    return result


def _dtype(dtype: Any, *, floating: bool = False) -> np.dtype:
    if dtype is None:
        dtype = backend.floatx()
    dtype = dtypes.as_dtype(dtype)
    if floating and not dtypes.is_floating(dtype):
        raise ValueError(f"this initializer draws floating-point values; dtype {dtype.name} "
                         "is not a float dtype")
    return dtype


def compute_fans(shape: Sequence[int], input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    With ``input_axes`` and ``output_axes``: the products of those axes' sizes (an
    ``EinsumDense`` kernel names them). Otherwise by layout: scalars (1, 1); vectors (n, n);
    matrices (rows, cols); higher ranks are convolution kernels ``(*kernel_size, in, out)``:
    each fan is times the receptive field size.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: ``init(shape, dtype=None) -> numpy.ndarray``.

    Subclasses implement ``__call__`` and, if they take arguments, ``get_config`` returning them
    so that ``cls.from_config(config)`` (``cls(**config)``) rebuilds the initializer.
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        config = dict(config)
        config.pop("dtype", None)  # stored by some older Keras versions; the call decides it
        return cls(**config)

    def clone(self) -> Initializer:
        return self.__class__.from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- constants --------------------------------------------------------------------------------
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.ones(_shape(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element ``value`` (a scalar; an array broadcastable to the shape also works)."""

    def __init__(self, value: Any = 0.0):
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape(shape)
        value = np.asarray(self.value, dtype=_dtype(dtype))
        try:
            return np.array(np.broadcast_to(value, shape))
        except ValueError:
            raise ValueError(f"Constant: a value of shape {value.shape} cannot fill shape "
                             f"{shape}") from None

    def get_config(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, np.ndarray | np.generic):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; a non-square one gets ones on its
    main diagonal)."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


# -- random -----------------------------------------------------------------------------------
class RandomInitializer(Initializer):
    """Base of the random initializers: where their samples come from (see the module doc)."""

    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError("`seed` argument should be an integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> np.random.Generator:
        if self.seed is None:
            return backend.host_generator()
        return np.random.default_rng(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit normal samples, each redrawn until it lies within 2 standard deviations."""
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while np.any(bad):
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return z


class RandomNormal(RandomInitializer):
    """Samples of a normal distribution ``N(mean, stddev**2)``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = _shape(shape), _dtype(dtype, floating=True)
        z = self._generator().standard_normal(shape)
        return (self.mean + self.stddev * z).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Like ``RandomNormal``, but samples more than two ``stddev`` from ``mean`` are redrawn."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = _shape(shape), _dtype(dtype, floating=True)
        z = _truncated_normal(self._generator(), shape)
        return (self.mean + self.stddev * z).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples of a uniform distribution on ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = _shape(shape), _dtype(dtype, floating=True)
        u = self._generator().random(shape)
        return (self.minval + (self.maxval - self.minval) * u).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Samples whose variance is ``scale / n``, ``n`` being the fan named by ``mode``.

    ``mode``: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (their mean). ``distribution``:
    ``"truncated_normal"`` (stddev ``sqrt(scale / n)`` after truncation at 2 stddevs),
    ``"untruncated_normal"``, or ``"uniform"`` on ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)``. ``"normal"`` means ``"truncated_normal"``.
    ``input_axes``/``output_axes`` (Keras 3.15): the fans are the sizes of those axes
    (``EinsumDense`` sets them for its kernel); written in the config only when set, so
    default configs stay loadable by older Keras 3 versions.
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None,
                 input_axes: Any = None, output_axes: Any = None):
        if not scale > 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in self.MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of "
                             f"{', '.join(self.MODES)}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}. Please use "
                             f"one of {', '.join(self.DISTRIBUTIONS)}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = _axes(input_axes, "input_axes")
        self.output_axes = _axes(output_axes, "output_axes")
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = _shape(shape), _dtype(dtype, floating=True)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self._generator()
        if self.distribution == "truncated_normal":
            values = math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV * _truncated_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(scale) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, **self._axes_config()}

    def _axes_config(self) -> dict[str, Any]:
        if self.input_axes is None and self.output_axes is None:
            return {}
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}

    def with_fan_axes(self, input_axes: Sequence[int], output_axes: Sequence[int]
                      ) -> VarianceScaling:
        """A copy (same seed) whose fans are the given axes of the shape."""
        config = {**self.get_config(), "input_axes": list(input_axes),
                  "output_axes": list(output_axes)}
        return type(self).from_config(config)


def _axes(value: Any, what: str) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list | tuple) or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in value):
        raise ValueError(f"Argument `{what}` must be None or a list of ints. Received: "
                         f"{what}={value!r}")
    return list(value)


class _FixedVarianceScaling(VarianceScaling):
    """A named ``VarianceScaling`` whose only argument is ``seed`` (and Keras's ``input_axes``
    and ``output_axes``, written only when set)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed: int | None = None, input_axes: Any = None,
                 output_axes: Any = None):
        super().__init__(scale=self.SCALE, mode=self.MODE, distribution=self.DISTRIBUTION,
                         seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, **self._axes_config()}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Xavier)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))`` (Xavier)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)`` (for SELU networks)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"


class Orthogonal(RandomInitializer):
    """``gain`` times a random orthogonal matrix (from the QR decomposition of a normal one).

    A shape of rank > 2 is treated as the matrix ``(prod(shape[:-1]), shape[-1])`` and reshaped
    back. With fewer rows than columns, the rows are orthonormal; otherwise the columns are.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = _shape(shape), _dtype(dtype, floating=True)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        # Multiplying by the signs of R's diagonal makes Q uniform over orthogonal matrices
        # (Mezzadri, 2007); a zero on the diagonal keeps its column as it is.
        signs = np.sign(np.diag(r))
        q = q * np.where(signs == 0, 1.0, signs)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

# Keras's lowercase names are the classes themselves: ``keras.initializers.glorot_uniform()``.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal


# -- lookup and serialization -----------------------------------------------------------------
def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
            LecunNormal, LecunUniform, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, Orthogonal)
ALL_OBJECTS_DICT: dict[str, type] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{_snake_case(cls.__name__): cls for cls in _CLASSES},
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
}


def _unknown(identifier: Any) -> ValueError:
    names = ", ".join(sorted(ALL_OBJECTS_DICT))
    return ValueError(f"Could not interpret initializer identifier: {identifier!r}. Known "
                      f"initializers: {names}")


def serialize(initializer: Initializer | None) -> dict[str, Any] | None:
    """A Keras 3 style config: ``{"module", "class_name", "config", "registered_name"}``
    (None for None, as Keras stores an absent initializer)."""
    return serialize_object(initializer, Initializer, ALL_OBJECTS_DICT, "keras.initializers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None
                ) -> Initializer | None:
    """A initializer from a name or a ``{"class_name": ..., "config": {...}}`` dict."""
    return deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, _unknown)


def get(identifier: Any) -> Initializer | Any:
    """An initializer from a name (``"glorot_uniform"``), a config dict, a class (instantiated
    with its defaults) or an instance / callable (returned as is); None gives None."""
    return get_object(identifier, deserialize, _unknown)
