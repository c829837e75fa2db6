"""``tf.nn.rnn_cell`` / ``tf.contrib.rnn``: TF1's RNN cells with TF1's formulas and names.

A cell creates its variables once, in ``build(input_depth)``, under the variable scope open at
that time plus the cell's own name (``rnn/basic_lstm_cell/kernel``); later calls reuse them, as
TF1's layer-based cells do. ``static_rnn``/``dynamic_rnn`` build the cell before looping, so a
``scan`` body never creates state.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from layerkit.compat.v1 import initializers as _init
from layerkit.compat.v1 import nn
from layerkit.compat.v1.variables import get_variable, variable_scope
from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor

__all__ = [
    "BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell", "LSTMStateTuple",
    "MultiRNNCell", "RNNCell",
]


class LSTMStateTuple(namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM state: the cell state ``c`` and the output ``h``."""

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        return self.c.dtype


def _depth(inputs: Tensor, who: str) -> int:
    if len(inputs.shape) != 2 or inputs.shape[-1] is None:
        raise ValueError(f"{who}: inputs must be [batch, depth] with a known depth, got shape "
                         f"{tuple(inputs.shape)}")
    return int(inputs.shape[-1])


def _zeros_like_batch(ref: Tensor, units: int) -> Tensor:
    # Zeros [batch, units] whose batch follows ``ref`` at run time (the batch may be unknown).
    return ops.zeros_like(ref[:, :1]) * ops.zeros_like(ref[:1, :1]) + \
        convert_to_tensor([0.0] * units, dtype=ref.dtype)


class RNNCell:
    """The base cell: ``output, new_state = cell(inputs, state)``."""

    default_name = "rnn_cell"

    def __init__(self, num_units: int = 0, activation: Any = None, reuse: Any = None,
                 name: str | None = None, dtype: Any = None):
        self._num_units = int(num_units)
        self._activation = activation or ops.tanh
        self.name = name or self.default_name
        self.built = False
        self.variables: list[Any] = []

    @property
    def state_size(self) -> Any:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def zero_state(self, batch_size: Any, dtype: Any = dtypes.float32) -> Any:
        """All-zero state for ``batch_size`` rows (an int)."""
        def zeros(n: int) -> Tensor:
            return ops.zeros_like(convert_to_tensor([[0.0] * n] * int(batch_size),
                                                    dtype=dtypes.as_dtype(dtype)))
        return _map_size(self.state_size, zeros)

    def zero_state_like(self, inputs: Tensor) -> Any:
        """All-zero state with the batch of ``inputs`` (known at run time only)."""
        return _map_size(self.state_size, lambda n: _zeros_like_batch(inputs, n))

    def build(self, input_depth: int) -> None:
        """Create the variables (once) under the current variable scope + ``self.name``."""
        if self.built:
            return
        with variable_scope(self.name):
            self._build(int(input_depth))
        self.built = True

    def _build(self, input_depth: int) -> None:
        raise NotImplementedError

    def _var(self, name: str, shape: tuple[int, ...], initializer: Any = None) -> Any:
        var = get_variable(name, shape, initializer=initializer)
        self.variables.append(var)
        return var

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Tensor, Any]:
        inputs = convert_to_tensor(inputs)
        if not self.built:
            if scope is not None:
                with variable_scope(scope):
                    self.build(_depth(inputs, type(self).__name__))
            else:
                self.build(_depth(inputs, type(self).__name__))
        return self.call(inputs, state)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        raise NotImplementedError


def _map_size(size: Any, fn: Any) -> Any:
    if isinstance(size, LSTMStateTuple):
        return LSTMStateTuple(fn(size.c), fn(size.h))
    if isinstance(size, tuple):
        return tuple(_map_size(s, fn) for s in size)
    return fn(size)


def _linear(inputs: Tensor, state: Tensor, kernel: Any, bias: Any) -> Tensor:
    return ops.matmul(ops.concat([inputs, state], axis=1), kernel) + bias


class BasicRNNCell(RNNCell):
    """``h' = tanh([x, h] @ kernel + bias)``."""

    default_name = "basic_rnn_cell"

    def _build(self, input_depth: int) -> None:
        n = self._num_units
        self.kernel = self._var("kernel", (input_depth + n, n))
        self.bias = self._var("bias", (n,), _init.Zeros())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        out = self._activation(_linear(inputs, state, self.kernel, self.bias))
        return out, out


class BasicLSTMCell(RNNCell):
    """TF1's LSTM: gates ``i, j, f, o`` from ``[x, h] @ kernel + bias``;
    ``c' = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j)``, ``h' = tanh(c') * sigmoid(o)``."""

    default_name = "basic_lstm_cell"

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Any = None, reuse: Any = None, name: str | None = None,
                 dtype: Any = None, **kwargs: Any):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._forget_bias = float(forget_bias)
        self._state_is_tuple = state_is_tuple
        self._initializer = kwargs.get("initializer")
        unsupported = {k for k, v in kwargs.items()
                       if k in ("use_peepholes", "num_proj", "cell_clip", "proj_clip") and v}
        if unsupported:
            raise NotImplementedError(f"{type(self).__name__}: {sorted(unsupported)} not supported")

    @property
    def state_size(self) -> Any:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    def _build(self, input_depth: int) -> None:
        n = self._num_units
        self.kernel = self._var("kernel", (input_depth + n, 4 * n), self._initializer)
        self.bias = self._var("bias", (4 * n,), _init.Zeros())

    def zero_state_like(self, inputs: Tensor) -> Any:
        if self._state_is_tuple:
            return super().zero_state_like(inputs)
        return _zeros_like_batch(inputs, 2 * self._num_units)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = ops.split(state, 2, axis=1)
        i, j, f, o = ops.split(_linear(inputs, h, self.kernel, self.bias), 4, axis=1)
        new_c = c * ops.sigmoid(f + self._forget_bias) + ops.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * ops.sigmoid(o)
        new = (LSTMStateTuple(new_c, new_h) if self._state_is_tuple
               else ops.concat([new_c, new_h], axis=1))
        return new_h, new


class LSTMCell(BasicLSTMCell):
    """``tf.nn.rnn_cell.LSTMCell`` without peepholes or projection (the same formula as
    ``BasicLSTMCell``; variables ``lstm_cell/kernel`` and ``lstm_cell/bias``)."""

    default_name = "lstm_cell"

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: Any = None,
                 initializer: Any = None, num_proj: Any = None, proj_clip: Any = None,
                 num_unit_shards: Any = None, num_proj_shards: Any = None,
                 forget_bias: float = 1.0, state_is_tuple: bool = True, activation: Any = None,
                 reuse: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype,
                         initializer=initializer, use_peepholes=use_peepholes,
                         num_proj=num_proj, cell_clip=cell_clip, proj_clip=proj_clip)


class GRUCell(RNNCell):
    """TF1's GRU: ``r, u = split(sigmoid([x, h] @ gates/kernel + gates/bias))`` (gate bias
    starts at 1), ``c = tanh([x, r * h] @ candidate/kernel + candidate/bias)``,
    ``h' = u * h + (1 - u) * c``."""

    default_name = "gru_cell"

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._kernel_init = kernel_initializer
        self._bias_init = bias_initializer

    def _build(self, input_depth: int) -> None:
        n = self._num_units
        with variable_scope("gates"):
            self.gate_kernel = self._var("kernel", (input_depth + n, 2 * n), self._kernel_init)
            self.gate_bias = self._var("bias", (2 * n,), self._bias_init or _init.Constant(1.0))
        with variable_scope("candidate"):
            self.cand_kernel = self._var("kernel", (input_depth + n, n), self._kernel_init)
            self.cand_bias = self._var("bias", (n,), self._bias_init or _init.Zeros())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        gates = ops.sigmoid(_linear(inputs, state, self.gate_kernel, self.gate_bias))
        r, u = ops.split(gates, 2, axis=1)
        c = self._activation(_linear(inputs, r * state, self.cand_kernel, self.cand_bias))
        new_h = u * state + (1.0 - u) * c
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Cells stacked: cell ``k`` runs under ``multi_rnn_cell/cell_k`` on the output of cell
    ``k - 1``; the state is the tuple of the cells' states."""

    default_name = "multi_rnn_cell"

    def __init__(self, cells: list[RNNCell], state_is_tuple: bool = True):
        if not cells:
            raise ValueError("MultiRNNCell: give at least one cell")
        if not state_is_tuple:
            raise NotImplementedError("MultiRNNCell(state_is_tuple=False) is not supported")
        super().__init__(0)
        self._cells = list(cells)

    @property
    def state_size(self) -> Any:
        return tuple(c.state_size for c in self._cells)

    @property
    def output_size(self) -> int:
        return self._cells[-1].output_size

    def zero_state_like(self, inputs: Tensor) -> Any:
        return tuple(c.zero_state_like(inputs) for c in self._cells)

    def _build(self, input_depth: int) -> None:
        depth = input_depth
        for k, cell in enumerate(self._cells):
            with variable_scope(f"cell_{k}"):
                cell.build(depth)
            self.variables.extend(cell.variables)
            depth = cell.output_size

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        new_states = []
        for cell, s in zip(self._cells, state):
            inputs, s = cell.call(inputs, s)
            new_states.append(s)
        return inputs, tuple(new_states)


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs and outputs (``tf.nn.dropout`` with the keep probabilities).

    Only for ``static_rnn``: random ops inside a ``dynamic_rnn`` loop are not supported.
    ``state_keep_prob`` other than 1 and ``variational_recurrent`` are not supported.
    """

    def __init__(self, cell: RNNCell, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: Any = None, **kwargs: Any):
        if state_keep_prob != 1.0 or variational_recurrent:
            raise NotImplementedError("DropoutWrapper: state_keep_prob and "
                                      "variational_recurrent are not supported")
        super().__init__(0)
        self._cell = cell
        self._in_keep, self._out_keep, self._seed = input_keep_prob, output_keep_prob, seed
        self.name = cell.name

    @property
    def state_size(self) -> Any:
        return self._cell.state_size

    @property
    def output_size(self) -> int:
        return self._cell.output_size

    def zero_state_like(self, inputs: Tensor) -> Any:
        return self._cell.zero_state_like(inputs)

    def build(self, input_depth: int) -> None:
        self._cell.build(input_depth)
        self.variables = self._cell.variables
        self.built = True

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        if not _is_one(self._in_keep):
            inputs = nn.dropout(inputs, keep_prob=self._in_keep, seed=self._seed)
        out, state = self._cell.call(inputs, state)
        if not _is_one(self._out_keep):
            out = nn.dropout(out, keep_prob=self._out_keep, seed=self._seed)
        return out, state


def _is_one(value: Any) -> bool:
    return isinstance(value, int | float) and float(value) == 1.0
