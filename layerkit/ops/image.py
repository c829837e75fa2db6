"""Keras 3's ``keras.ops.image``, for what the core's ops can express: grayscale conversion,
padding and cropping to a size, and resizing by nearest or bilinear interpolation (static
sizes; the interpolation weights become constants and the gathers differentiate).

Images are channels-last, ``(height, width, channels)`` or batched ``(batch, height, width,
channels)``. The other Keras image ops (affine and perspective transforms, HSV, patches, blur,
SSIM...) are not here yet (docs/ops.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.graph import Tensor
from layerkit.graph import ops as graph_ops
from layerkit.ops.eager import float_tensor, keras_op, tensor
from layerkit.ops.nn import _channels_last

__all__ = ["crop_images", "pad_images", "resize", "rgb_to_grayscale"]

# ITU-R 601 luma weights, as Keras and TensorFlow use.
_LUMA = np.array([0.2989, 0.5870, 0.1140])


@keras_op("images")
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Any:
    """RGB images as one-channel luma images (the channel axis is kept, of size 1)."""
    _channels_last(data_format, "image.rgb_to_grayscale")
    x = float_tensor(images)
    if x.shape[-1] != 3:
        raise ValueError(f"ops.image.rgb_to_grayscale: images need 3 channels, got shape "
                         f"{x.shape}")
    return graph_ops.sum(x * _LUMA.astype(x.dtype), axis=-1, keepdims=True)


def _spatial(x: Tensor, what: str) -> tuple[int, int]:
    if len(x.shape) not in (3, 4):
        raise ValueError(f"ops.image.{what}: images must be rank 3 or 4, got shape {x.shape}")
    height, width = x.shape[-3], x.shape[-2]
    if height is None or width is None:
        raise ValueError(f"ops.image.{what}: the image size must be known, got {x.shape}")
    return height, width


def _sides(before, after, target, size, what: str, name: str) -> tuple[int, int]:
    """The amounts at each side along one axis, from two of (before, after, target size)."""
    given = [v is not None for v in (before, after, target)]
    if sum(given) != 2:
        raise ValueError(f"ops.image.{what}: give exactly two of {name}'s before, after and "
                         f"target sizes")
    if before is None:
        before = abs(target - size) - after
    if after is None:
        after = abs(target - size) - before
    if min(before, after) < 0:
        raise ValueError(f"ops.image.{what}: negative {name} amounts ({before}, {after})")
    return int(before), int(after)


@keras_op("images")
def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None,
               target_height: int | None = None, target_width: int | None = None,
               data_format: str | None = None) -> Any:
    """``images`` with zeros added around them (two of top/bottom/target height, and of
    left/right/target width)."""
    _channels_last(data_format, "image.pad_images")
    x = tensor(images)
    height, width = _spatial(x, "pad_images")
    rows = _sides(top_padding, bottom_padding, target_height, height, "pad_images", "height")
    cols = _sides(left_padding, right_padding, target_width, width, "pad_images", "width")
    paddings = [(0, 0)] * (len(x.shape) - 3) + [rows, cols, (0, 0)]
    return graph_ops.pad(x, paddings)


@keras_op("images")
def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None,
                data_format: str | None = None) -> Any:
    """``images`` cut down at their borders (two of top/bottom/target height, and of
    left/right/target width)."""
    _channels_last(data_format, "image.crop_images")
    x = tensor(images)
    height, width = _spatial(x, "crop_images")
    top, bottom = _sides(top_cropping, bottom_cropping, target_height, height, "crop_images",
                         "height")
    left, right = _sides(left_cropping, right_cropping, target_width, width, "crop_images",
                         "width")
    index = (Ellipsis, slice(top, height - bottom), slice(left, width - right), slice(None))
    return graph_ops.getitem(x, index)


def _linear_weights(size: int, new: int) -> np.ndarray:
    """The ``(new, size)`` matrix of bilinear weights (half-pixel centres, edges clamped)."""
    source = np.clip((np.arange(new) + 0.5) * size / new - 0.5, 0, size - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size - 1)
    frac = source - low
    weights = np.zeros((new, size))
    np.add.at(weights, (np.arange(new), low), 1 - frac)
    np.add.at(weights, (np.arange(new), high), frac)
    return weights


@keras_op("images")
def resize(images: Any, size: tuple[int, int], interpolation: str = "bilinear",
           antialias: bool = False, crop_to_aspect_ratio: bool = False,
           pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: str | None = None) -> Any:
    """``images`` resized to ``size = (height, width)`` by "nearest" or "bilinear"
    interpolation (half-pixel centres)."""
    _channels_last(data_format, "image.resize")
    if antialias or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("ops.image.resize: antialias and aspect-ratio options are not in "
                         "layerkit yet")
    x = float_tensor(images)
    height, width = _spatial(x, "resize")
    new_h, new_w = (int(n) for n in size)
    if interpolation == "nearest":
        rows = np.floor((np.arange(new_h) + 0.5) * height / new_h).astype("int32")
        cols = np.floor((np.arange(new_w) + 0.5) * width / new_w).astype("int32")
        x = graph_ops.gather(x, np.minimum(rows, height - 1), axis=len(x.shape) - 3)
        return graph_ops.gather(x, np.minimum(cols, width - 1), axis=len(x.shape) - 2)
    if interpolation != "bilinear":
        raise ValueError(f"ops.image.resize: interpolation must be 'nearest' or 'bilinear', "
                         f"got {interpolation!r}")
    rows = _linear_weights(height, new_h).astype(x.dtype.name)
    cols = _linear_weights(width, new_w).astype(x.dtype.name)
    return graph_ops.einsum("Hh,...hwc,Ww->...HWc", rows, x, cols)
