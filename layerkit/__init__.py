"""layerkit: a Keras-like layers framework over a readable autodiff core.

The graph core is ``layerkit.graph``; TensorFlow 1 style code runs on ``layerkit.compat.v1``;
backends live in ``layerkit_backend``. The embedded digits data: ``layerkit.datasets.digits``.
"""

__version__ = "0.1.0"
