"""MNIST handwritten digits, as ``keras.datasets.mnist``: 60,000 training and 10,000 test
images of 28x28 uint8 pixels (0..255) with uint8 labels 0..9.

The first call downloads Keras's ``mnist.npz`` (about 11 MB) into layerkit's cache
(``$LAYERKIT_HOME/datasets``, default ``~/.layerkit/datasets``) and checks its SHA-256; later
calls read the cached copy. See ``layerkit.utils.file_utils.get_file``.

MNIST is by Yann LeCun and Corinna Cortes, derived from NIST's data, and is available under the
Creative Commons Attribution-Share Alike 3.0 license.
"""

from __future__ import annotations

import numpy as np

from layerkit.utils.file_utils import get_file

# Where Keras downloads it from, and the SHA-256 Keras checks it against. Tests point these at
# a small local file.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path: str = "mnist.npz"
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: images uint8 ``(n, 28, 28)``, labels uint8
    ``(n,)``.

    ``path``: where to cache the file, relative to ``$LAYERKIT_HOME/datasets`` (or absolute).
    Raises ``layerkit.utils.file_utils.DownloadError`` if the file is not cached and cannot be
    downloaded, and ``ValueError`` if the download does not match the known SHA-256.
    """
    file = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(file, allow_pickle=False) as data:
        missing = [k for k in KEYS if k not in data.files]
        if missing:
            raise ValueError(f"{file} is not an MNIST archive: it lacks {', '.join(missing)}")
        x_train, y_train, x_test, y_test = (data[k] for k in KEYS)
    return (x_train, y_train), (x_test, y_test)
