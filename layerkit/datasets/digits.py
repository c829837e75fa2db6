"""The handwritten digits data set (8x8 images, 10 classes), shipped with layerkit.

1,797 images of 8x8 pixels with values 0..16 — the test part of the Optical Recognition of
Handwritten Digits data set by E. Alpaydin and C. Kaynak (1998), UCI Machine Learning Repository,
CC BY 4.0, as redistributed by scikit-learn. See ``data/README.md``.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

_FILE = "digits.csv.gz"
N_SAMPLES = 1797


def load_raw() -> tuple[np.ndarray, np.ndarray]:
    """All images as uint8 ``(1797, 8, 8)`` with values 0..16, and their uint8 labels."""
    with resources.files("layerkit.datasets").joinpath("data", _FILE).open("rb") as raw:
        table = np.loadtxt(gzip.open(raw), delimiter=",", dtype=np.uint8)
    if table.shape != (N_SAMPLES, 65):
        raise ValueError(f"{_FILE} is damaged: expected 1797 rows of 65 values, got {table.shape}")
    return table[:, :64].reshape(-1, 8, 8), table[:, 64]


def load_data(test_split: float = 0.2, seed: int = 113
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))`` like ``keras.datasets.mnist.load_data()``.

    Images are uint8 ``(n, 8, 8)`` with values 0..16 (divide by 16 to scale to [0, 1]); labels
    are uint8 0..9. The split is a fixed shuffle given ``seed``, so with the default arguments
    it is the same on every machine.
    """
    if not 0.0 < test_split < 1.0:
        raise ValueError(f"test_split must be between 0 and 1, got {test_split}")
    images, labels = load_raw()
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(len(labels) * test_split))
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])
