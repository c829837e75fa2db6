"""Layers that resize the spatial axes of sequences, images and volumes: ``ZeroPadding1D/2D/3D``,
``Cropping1D/2D/3D`` and ``UpSampling1D/2D/3D``.

Each is one N-D class over the ``rank`` spatial axes, which sit after the batch axis
(``channels_last``) or after the channel axis (``channels_first``); only data moves, so both
layouts are supported. Arguments, defaults and configs are Keras 3's, per dimension count (the
1-D layers write a flat pair, the others a pair per axis).
"""

from __future__ import annotations

from typing import Any

from layerkit import ops
from layerkit.graph import format_shape
from layerkit.layers.convolutional import check_rank, normalize_tuple, standardize_data_format
from layerkit.layers.layer import Layer

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, rows, cols, channels)",
            3: "(batch, dim1, dim2, dim3, channels)"}


def _pairs(value: Any, rank: int, what: str, label: str) -> tuple[tuple[int, int], ...]:
    """Keras's forms of a padding or cropping as one ``(before, after)`` pair per spatial axis:
    an int (all sides), one entry per axis (an int: both sides, or a pair), or, for one axis,
    a pair."""

    def is_int(v: Any) -> bool:
        return hasattr(v, "__index__") and not isinstance(v, bool)

    def pair(entry: Any) -> tuple[int, int]:
        if is_int(entry):
            return (int(entry), int(entry))
        if isinstance(entry, list | tuple) and len(entry) == 2 and all(map(is_int, entry)):
            return (int(entry[0]), int(entry[1]))
        raise ValueError(f"{label}: {what} must be an int, a pair of ints or {rank} such "
                         f"entries, got {value!r}")

    if is_int(value):
        pairs = (pair(value),) * rank
    elif rank == 1 and isinstance(value, list | tuple) and len(value) == 2 \
            and all(map(is_int, value)):
        pairs = (pair(value),)
    elif isinstance(value, list | tuple) and len(value) == rank:
        pairs = tuple(pair(entry) for entry in value)
    else:
        pairs = (pair(value),) * rank if rank == 1 else None
    if pairs is None:
        raise ValueError(f"{label}: {what} must be an int, a pair of ints or {rank} such "
                         f"entries, got {value!r}")
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"{label}: {what} must not be negative, got {value!r}")
    return pairs


class _Spatial(Layer):
    """The spatial axes of the inputs, from ``rank`` and ``data_format``."""

    rank = 1


    def _format(self, data_format: Any) -> str:
        return standardize_data_format(data_format, self._label(), channels_first=True)

    def _axes(self) -> range:
        first = 2 if getattr(self, "data_format", "channels_last") == "channels_first" else 1
        return range(first, first + self.rank)

    def _check(self, shape: Any) -> None:
        check_rank(self._label(), shape, self.rank + 2, _LAYOUTS[self.rank])

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check(input_shape)
        out = list(input_shape)
        for i, axis in enumerate(self._axes()):
            out[axis] = None if out[axis] is None else self._resized(i, out[axis], input_shape)
        return tuple(out)

    def _resized(self, i: int, size: int, input_shape: Any) -> int:
        raise NotImplementedError


class _ZeroPadding(_Spatial):
    """Zeros added before and after each spatial axis."""

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._format(data_format)
        self.padding = _pairs(padding, self.rank, "padding", self._label())

    def call(self, inputs):
        self._check(inputs.shape)
        widths = [(0, 0)] * (self.rank + 2)
        for pair, axis in zip(self.padding, self._axes()):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def _resized(self, i, size, input_shape):
        return size + sum(self.padding[i])

    def get_config(self) -> dict[str, Any]:
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps of ``(batch, steps, channels)``: ``padding`` is an int
    or a pair ``(before, after)``."""

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around images: ``padding`` is an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around volumes: ``padding`` is an int, three ints or three pairs."""

    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    """Entries removed from the start and end of each spatial axis."""

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._format(data_format)
        self.cropping = _pairs(cropping, self.rank, "cropping", self._label())

    def call(self, inputs):
        self._check(inputs.shape)
        index = [slice(None)] * (self.rank + 2)
        for i, axis in enumerate(self._axes()):
            start, end = self.cropping[i]
            size = inputs.shape[axis]
            if size is not None:
                self._resized(i, size, inputs.shape)  # checks that something is left
            index[axis] = slice(start, -end if end else None)
        return inputs[tuple(index)]

    def _resized(self, i, size, input_shape):
        left = size - sum(self.cropping[i])
        if left <= 0:
            raise ValueError(f"{self._label()}: cropping {self.cropping} leaves nothing of "
                             f"inputs of shape {format_shape(input_shape)} (axis "
                             f"{self._axes()[i]}: {size} entries)")
        return left

    def get_config(self) -> dict[str, Any]:
        if self.rank == 1:  # Keras's Cropping1D has no data_format
            return {**super().get_config(), "cropping": self.cropping[0]}
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Steps removed from the start and end of ``(batch, steps, channels)``: ``cropping`` is
    an int or ``(start, end)``."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Rows and columns removed around images: ``cropping`` is an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Entries removed around volumes: ``cropping`` is an int, three ints or three pairs."""

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(_Spatial):
    """Each spatial axis ``size[i]`` times longer: entries repeated (``"nearest"``) or, for
    images, interpolated (``"bilinear"``, as ``ops.image.resize``)."""

    interpolations = ("nearest",)

    def __init__(self, size: Any, data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        self.data_format = self._format(data_format)
        self.size = normalize_tuple(size, self.rank, "size", label)
        lowered = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if lowered not in self.interpolations:
            raise ValueError(f"{label}: interpolation must be one of "
                             f"{', '.join(map(repr, self.interpolations))}, got "
                             f"{interpolation!r}")
        self.interpolation = lowered

    def call(self, inputs):
        self._check(inputs.shape)
        if self.interpolation != "nearest":
            return self._interpolated(inputs)
        for factor, axis in zip(self.size, self._axes()):
            if factor > 1:
                inputs = ops.repeat(inputs, factor, axis=axis)
        return inputs

    def _interpolated(self, inputs):
        sizes = [inputs.shape[axis] for axis in self._axes()]
        if None in sizes:
            raise ValueError(f"{self._label()}: interpolation={self.interpolation!r} needs "
                             f"known spatial sizes, got inputs of shape "
                             f"{format_shape(inputs.shape)}")
        first = self.data_format == "channels_first"
        if first:
            inputs = ops.transpose(inputs, (0, 2, 3, 1))
        outputs = ops.image.resize(inputs, tuple(s * f for s, f in zip(sizes, self.size)),
                                   interpolation=self.interpolation)
        return ops.transpose(outputs, (0, 3, 1, 2)) if first else outputs

    def _resized(self, i, size, input_shape):
        return size * self.size[i]


class UpSampling1D(_UpSampling):
    """Each step of ``(batch, steps, features)`` repeated ``size`` times."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs):
        if isinstance(size, bool) or not hasattr(size, "__index__"):
            raise TypeError(f"UpSampling1D: size must be an int, got {size!r}")
        super().__init__(size, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Images ``size = (rows, cols)`` times larger: ``interpolation`` is ``"nearest"``
    (repeated pixels) or ``"bilinear"``."""

    rank = 2
    interpolations = ("nearest", "bilinear")

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Volumes ``size`` times larger along each axis, entries repeated."""

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
           "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]
