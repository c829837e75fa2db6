"""Noise and regularization layers: ``GaussianNoise``, ``GaussianDropout``, ``AlphaDropout``,
``SpatialDropout1D/2D/3D`` and ``ActivityRegularization``.

The noise layers act in training only (inference passes inputs through), as ``Dropout`` does,
and draw from the core's random ops the way it does: new values at each run of a program,
reproducible under ``utils.set_random_seed``.
"""

from __future__ import annotations

import math
from typing import Any

from layerkit import regularizers
from layerkit.graph import ops as graph_random
from layerkit.layers.convolutional import check_rank, standardize_data_format
from layerkit.layers.core import Dropout, noise_like
from layerkit.layers.layer import Layer


def _rate(value: Any, what: str, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{label}: {what} must be a number in [0, 1], got {value!r}")
    return float(value)


class _Noise(Layer):
    """Shape-preserving, and identity outside training."""


    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class GaussianNoise(_Noise):
    """In training, adds zero-mean normal noise of standard deviation ``stddev``."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _rate(stddev, "stddev", self._label())
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + graph_random.random_normal(inputs, stddev=self.stddev,
                                                   dtype=inputs.dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """In training, multiplies by normal noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))``."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate, "rate", self._label())
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * graph_random.random_normal(inputs, mean=1.0, stddev=stddev,
                                                   dtype=inputs.dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: AlphaDropout keeps a SELU network's mean and variance.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_Noise):
    """In training, sets each input (or slice, with ``noise_shape``) with probability ``rate``
    to SELU's negative saturation value, then rescales so that the mean and variance stay
    those of the inputs (for self-normalizing networks)."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate, "rate", self._label())
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        like = noise_like(inputs, self.noise_shape, self._label())
        kept = graph_random.random_bernoulli(like, p=1.0 - self.rate, dtype=inputs.dtype,
                                             seed=self.seed)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1.0 - kept)) + b

    def get_config(self) -> dict[str, Any]:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": noise_shape}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel, shared along the
    ``rank`` spatial axes (neighbouring entries of a map are correlated, so element-wise
    dropout would regularize little)."""

    rank = 1

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, dtype: Any = None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(data_format, f"{type(self).__name__} "
                                                   f"'{self.name}'", channels_first=True)

    def _noise_shape(self, inputs: Any) -> tuple:
        check_rank(f"{type(self).__name__} '{self.name}'", inputs.shape, self.rank + 2,
                   "(batch, *spatial, channels)" if self.data_format == "channels_last"
                   else "(batch, channels, *spatial)")
        if self.data_format == "channels_first":
            return (None, None, *[1] * self.rank)
        return (None, *[1] * self.rank, None)

    def get_config(self) -> dict[str, Any]:
        # Keras writes these four keys alone (no trainable, no noise_shape; the dtype as a
        # plain name).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype,
                "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)`` inputs in training."""

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None,
                 dtype: Any = None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]  # Keras's SpatialDropout1D takes no data_format
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of image inputs in training."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of volume inputs in training."""

    rank = 3


class ActivityRegularization(_Noise):
    """Passes inputs through and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` of them to the
    losses (in training and evaluation)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # Keras's config may carry its own
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config


__all__ = ["ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise",
           "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
