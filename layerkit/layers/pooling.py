"""Pooling layers (Keras 3 signatures), in 1, 2 and 3 spatial dimensions, either data format.

``MaxPooling1D/2D/3D`` and ``AveragePooling1D/2D/3D`` slide a window over the spatial
dimensions (the core's ``max_pool`` / ``avg_pool`` ops); ``GlobalAveragePooling1D/2D/3D`` and
``GlobalMaxPooling1D/2D/3D`` reduce all of them, leaving ``(batch, channels)``.
"""

from __future__ import annotations

from typing import Any

from layerkit import ops
from layerkit.graph import format_shape, window_output_size
from layerkit.layers.convolutional import (
    check_rank,
    layout,
    normalize_tuple,
    shape_back,
    shape_to_last,
    standardize_data_format,
    standardize_padding,
)
from layerkit.layers.layer import Layer


class BasePooling(Layer):
    """A window of ``pool_size`` moved by ``strides`` (default: ``pool_size``) over the
    ``rank`` spatial dimensions; each window gives one output per channel."""

    rank = 0
    _op = None  # ops.max_pool or ops.average_pool

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", label)
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, self.rank, "strides", label))
        self.padding = standardize_padding(padding, label)
        self.data_format = standardize_data_format(data_format, label, channels_first=True)


    def call(self, inputs):
        self.compute_output_shape(inputs.shape)  # the errors, naming this layer
        return self._op(inputs, pool_size=self.pool_size, strides=self.strides,
                        padding=self.padding, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple | None:
        label = self._label()
        if input_shape is None:
            return None
        input_shape = tuple(input_shape)
        check_rank(label, input_shape, self.rank + 2, layout(self.rank, self.data_format))
        last = shape_to_last(input_shape, self.data_format)
        out = tuple(window_output_size(d, k, s, self.padding)
                    for d, k, s in zip(last[1:-1], self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"{label}: pool_size {self.pool_size} is larger than the spatial "
                             f"dimensions of inputs of shape {format_shape(input_shape)} with "
                             "padding='valid'")
        return shape_back((last[0], *out, last[-1]), self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(BasePooling):
    """Largest value of each window over ``(batch, steps, channels)``."""

    rank, _op = 1, staticmethod(ops.max_pool)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Largest value of each window over ``(batch, rows, cols, channels)``."""

    rank, _op = 2, staticmethod(ops.max_pool)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Largest value of each window over ``(batch, dim1, dim2, dim3, channels)``."""

    rank, _op = 3, staticmethod(ops.max_pool)

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean of each window over ``(batch, steps, channels)`` (with ``"same"`` padding, a border
    window averages only the inputs it covers)."""

    rank, _op = 1, staticmethod(ops.average_pool)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean of each window over ``(batch, rows, cols, channels)`` (with ``"same"`` padding, a
    border window averages only the inputs it covers)."""

    rank, _op = 2, staticmethod(ops.average_pool)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Mean of each window over ``(batch, dim1, dim2, dim3, channels)``."""

    rank, _op = 3, staticmethod(ops.average_pool)

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class BaseGlobalPooling(Layer):
    """Reduces every spatial dimension: ``(batch, *spatial, channels)`` to
    ``(batch, channels)``, or ``(batch, 1, ..., 1, channels)`` with ``keepdims=True``."""

    rank = 0
    _op = None  # ops.mean or ops.max

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, self._label(),
                                                   channels_first=True)
        self.keepdims = bool(keepdims)


    def _spatial_axes(self) -> tuple[int, ...]:
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        check_rank(self._label(), inputs.shape, self.rank + 2,
                   layout(self.rank, self.data_format))
        return self._op(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Any) -> tuple | None:
        if input_shape is None:
            return None
        input_shape = tuple(input_shape)
        check_rank(self._label(), input_shape, self.rank + 2,
                   layout(self.rank, self.data_format))
        last = shape_to_last(input_shape, self.data_format)
        if self.keepdims:
            return shape_back((last[0], *(1,) * self.rank, last[-1]), self.data_format)
        return (last[0], last[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)``."""

    rank, _op = 1, staticmethod(ops.mean)


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over the rows and columns of ``(batch, rows, cols, channels)``."""

    rank, _op = 2, staticmethod(ops.mean)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Largest value over the steps of ``(batch, steps, channels)``."""

    rank, _op = 1, staticmethod(ops.max)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Largest value over the rows and columns of ``(batch, rows, cols, channels)``."""

    rank, _op = 2, staticmethod(ops.max)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the three spatial dimensions of a volume."""

    rank, _op = 3, staticmethod(ops.mean)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Largest value over the three spatial dimensions of a volume."""

    rank, _op = 3, staticmethod(ops.max)


__all__ = ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPooling1D", "MaxPooling2D",
           "MaxPooling3D"]
