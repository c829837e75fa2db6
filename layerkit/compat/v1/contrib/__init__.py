"""``tf.contrib``: the parts TF1 tutorials use (``contrib.layers``, ``contrib.rnn``)."""

from layerkit.compat.v1.contrib import layers, rnn

__all__ = ["layers", "rnn"]
