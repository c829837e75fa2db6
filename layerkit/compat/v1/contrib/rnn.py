"""``tf.contrib.rnn``: the cells of ``tf.nn.rnn_cell`` and the static RNNs under TF1's names."""

from layerkit.compat.v1.rnn import static_bidirectional_rnn, static_rnn
from layerkit.compat.v1.rnn_cell import (
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
)

__all__ = [
    "BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell", "LSTMStateTuple",
    "MultiRNNCell", "RNNCell", "static_bidirectional_rnn", "static_rnn",
]
