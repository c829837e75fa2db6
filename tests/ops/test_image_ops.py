"""``layerkit.ops.image``, eager and symbolic on both backends, against numpy references
(``tests/ops/harness.py`` runs the table)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layerkit import ops
from tests.conftest import BACKENDS
from tests.ops.harness import Case, check_eager, check_symbolic, f32, params

C = Case


def grayscale(x):
    return (x.astype(np.float64) @ np.array([0.2989, 0.5870, 0.1140]))[..., None].astype(
        np.float32)


def bilinear(x, size):
    """Half-pixel-centre bilinear resizing, one output pixel at a time (edges clamped)."""
    h, w = x.shape[-3:-1]
    new_h, new_w = size
    out = np.zeros(x.shape[:-3] + (new_h, new_w, x.shape[-1]))

    def source(i, n, new):
        s = min(max((i + 0.5) * n / new - 0.5, 0.0), n - 1)
        lo = math.floor(s)
        return lo, min(lo + 1, n - 1), s - lo

    for i in range(new_h):
        y0, y1, fy = source(i, h, new_h)
        for j in range(new_w):
            x0, x1, fx = source(j, w, new_w)
            top = (1 - fx) * x[..., y0, x0, :] + fx * x[..., y0, x1, :]
            bottom = (1 - fx) * x[..., y1, x0, :] + fx * x[..., y1, x1, :]
            out[..., i, j, :] = (1 - fy) * top + fy * bottom
    return out.astype(x.dtype)


def nearest(x, size):
    h, w = x.shape[-3:-1]
    rows = np.minimum(np.floor((np.arange(size[0]) + 0.5) * h / size[0]).astype(int), h - 1)
    cols = np.minimum(np.floor((np.arange(size[1]) + 0.5) * w / size[1]).astype(int), w - 1)
    return x[..., rows, :, :][..., cols, :]


IMAGE = f32(5, 6, 3, low=0, high=1)
BATCH = f32(2, 5, 6, 3, low=0, high=1)

CASES: list[Case] = [
    C("image.rgb_to_grayscale", [IMAGE], grayscale),
    C("image.rgb_to_grayscale", [BATCH], grayscale, id="image.rgb_to_grayscale-batch"),
    C("image.rgb_to_grayscale", [np.full((2, 2, 3), 255, np.int32)],
      lambda x: grayscale(x.astype(np.float32)), id="image.rgb_to_grayscale-int",
      dtype="float32", rtol=1e-5),
    C("image.pad_images", [IMAGE, 1, 2, 0, 3], lambda x, t, left, b, r: np.pad(
        x, ((t, b), (left, r), (0, 0)))),
    C("image.pad_images", [BATCH], lambda x: np.pad(x, ((0, 0), (1, 2), (2, 2), (0, 0))),
      kwargs={"top_padding": 1, "target_height": 8, "left_padding": 2, "target_width": 10},
      id="image.pad_images-target"),
    C("image.crop_images", [IMAGE, 1, 2, 1, 0], lambda x, t, left, b, r: x[1:4, 2:6]),
    C("image.crop_images", [BATCH], lambda x: x[:, 1:4, 0:4],
      kwargs={"top_cropping": 1, "target_height": 3, "left_cropping": 0, "target_width": 4},
      id="image.crop_images-target"),
    C("image.resize", [BATCH, (8, 9)], bilinear),
    C("image.resize", [IMAGE, (3, 4)], bilinear, id="image.resize-down"),
    C("image.resize", [BATCH, (10, 3)], nearest, kwargs={"interpolation": "nearest"},
      id="image.resize-nearest"),
    C("image.resize", [IMAGE, (2, 4)], nearest, kwargs={"interpolation": "nearest"},
      id="image.resize-nearest-down"),
    # A hand-computed row: [0, 1] doubled, half-pixel centres: 0, 0.25, 0.75, 1.
    C("image.resize", [np.array([[[0.0], [1.0]]], np.float32), (1, 4)],
      lambda x, s: np.array([[[0.0], [0.25], [0.75], [1.0]]], np.float32),
      id="image.resize-known"),
]

PARAMS = params(CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_eager(case, backend):
    check_eager(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PARAMS)
def test_symbolic(case, backend):
    check_symbolic(case, backend)


def test_resize_keeps_a_constant_image_constant():
    out = ops.image.resize(np.full((4, 4, 2), 3.0, np.float32), (7, 3))
    np.testing.assert_allclose(out, 3.0, rtol=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: ops.image.resize(IMAGE, (3, 3), interpolation="bicubic"), "interpolation"),
    (lambda: ops.image.resize(IMAGE, (3, 3), antialias=True), "antialias"),
    (lambda: ops.image.resize(f32(5, 3), (3, 3)), "rank 3 or 4"),
    (lambda: ops.image.rgb_to_grayscale(f32(4, 4, 2)), "3 channels"),
    (lambda: ops.image.pad_images(IMAGE, top_padding=1), "exactly two"),
    (lambda: ops.image.crop_images(IMAGE, top_cropping=4, target_height=3, left_cropping=0,
                                   right_cropping=0), "negative"),
    (lambda: ops.image.resize(IMAGE, (3, 3), data_format="channels_first"), "channels_last"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
