"""Compatibility APIs: ``layerkit.compat.v1`` runs TensorFlow 1 graph-mode code.

``import layerkit.compat.v1 as tf`` gives placeholders, variables, sessions, optimizers,
summaries and checkpoints with TensorFlow 1's names, defaults and behaviour, built on the
``layerkit.graph`` core, so the same program runs on every backend.
"""
