"""Recurrent layers: ``SimpleRNN``, ``LSTM``, ``GRU``.

Each loops over time with one ``scan`` op: the step is traced once into the loop body (never
unrolled in Python), so the graph and the compile time do not grow with the sequence length, and
the time dimension may be unknown. The weights are Keras's, named and laid out as Keras lays them
out (gates side by side in ``kernel`` and ``recurrent_kernel``), so Keras weights load as they
are. The shared base ``_RNN`` does the looping; each layer's ``_step`` is its cell's equations.

The input projection ``x_t @ kernel`` is computed inside the step, not hoisted out of the loop
as one big product: on XLA:CPU that was 2.2x faster for an LSTM (see docs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit import activations, initializers, ops, regularizers
from layerkit.graph import Tensor, convert_to_tensor, format_shape

# Dropout masks still come from the core's stateful Bernoulli op (new per program run);
# moving them onto keras.random's SeedGenerator changes what a resumed run reproduces.
from layerkit.graph import ops as graph_random
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


def _serialize_regularizer(regularizer: Any) -> Any:
    return None if regularizer is None else regularizers.serialize(regularizer)


def _constraints(kernel: Any, recurrent: Any, bias: Any) -> dict[str, Any]:
    return {"kernel_constraint": kernel, "recurrent_constraint": recurrent,
            "bias_constraint": bias}


class _RNN(Layer):
    """What the recurrent layers share: weights, checks, the time loop and the outputs.

    A subclass sets ``gates`` (how many blocks of ``units`` columns its kernels hold) and
    ``n_states``, and writes ``_step(x_t, states) -> (new_states, output_t)``.
    """

    gates = 1
    n_states = 1

    def __init__(self, units: int, activation: Any, recurrent_activation: Any, use_bias: bool,
                 kernel_initializer: Any, recurrent_initializer: Any, bias_initializer: Any,
                 kernel_regularizer: Any, recurrent_regularizer: Any, bias_regularizer: Any,
                 activity_regularizer: Any, constraints: dict[str, Any], dropout: float,
                 recurrent_dropout: float, seed: int | None, return_sequences: bool,
                 return_state: bool, go_backwards: bool, stateful: bool, unroll: bool,
                 zero_output_for_mask: bool = False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = f"{type(self).__name__} '{self.name}'"
        if isinstance(units, bool) or not isinstance(units, int | np.integer) or units <= 0:
            raise ValueError(f"{label}: units must be a positive int, got {units!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{label}: dropout must be in [0, 1), got {dropout!r}")
        # The loop is always a scan without masks; use dropout for the inputs.
        check_unsupported(label, {
            "recurrent_dropout": (recurrent_dropout, 0.0), "stateful": (stateful, False),
            "unroll": (unroll, False),
            **{name: (value, None) for name, value in constraints.items()}})
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        # Keras's flag for masked steps (zeros instead of the carried output); layerkit takes
        # no masks yet, so it changes nothing, but it is kept (Bidirectional sets it).
        self.zero_output_for_mask = bool(zero_output_for_mask)

    # -- weights ---------------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError("inputs must be 3-D (batch, time, features) with the number of "
                             f"features known, got {format_shape(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                name="recurrent_kernel")
        self.bias = (self.add_weight(self._bias_shape(), self._bias_init(),
                                     regularizer=self.bias_regularizer, name="bias")
                     if self.use_bias else None)
        self.built = True

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    # -- the loop --------------------------------------------------------------------------------
    def call(self, inputs, initial_state=None, mask=None, training=False):
        label = f"{type(self).__name__} '{self.name}'"
        if mask is not None:
            raise NotImplementedError(f"{label}: masks are not supported")
        features = self.kernel.shape[0]
        if inputs.shape is None or len(inputs.shape) != 3 \
                or inputs.shape[-1] not in (None, features):
            raise ValueError(f"{label} expects inputs of shape (batch, time, {features}), got "
                             f"shape {format_shape(inputs.shape)}")
        states = self._initial_states(inputs, initial_state, label)
        keep = None
        if training and self.dropout > 0.0:
            # One mask per sequence (drawn outside the loop), the same at every step, as Keras.
            p = 1.0 - self.dropout
            keep = graph_random.random_bernoulli(inputs[:, 0, :], p=p, dtype=inputs.dtype,
                                                 seed=self.seed) * (1.0 / p)
        time_major = ops.transpose(inputs, (1, 0, 2))
        if self.go_backwards:
            time_major = ops.flip(time_major, 0)  # outputs come in reversed order, as in Keras

        def step(carry, x_t):
            if keep is not None:
                x_t = x_t * keep
            new_states, output = self._step(x_t, carry)
            return new_states, (output if self.return_sequences else None)

        final, outputs = ops.scan(step, list(states), time_major)
        output = ops.transpose(outputs, (1, 0, 2)) if self.return_sequences else final[0]
        return [output, *final] if self.return_state else output

    def _initial_states(self, inputs: Tensor, given: Any, label: str) -> list[Tensor]:
        if given is None:
            # Zeros of shape (batch, units), the batch size known only at run time.
            zeros = ops.zeros_like(inputs[:, 0, :1]) + np.zeros(self.units, inputs.dtype.name)
            return [zeros] * self.n_states
        given = list(given) if isinstance(given, list | tuple) else [given]
        if len(given) != self.n_states:
            raise ValueError(f"{label} expects {self.n_states} initial state tensor(s), got "
                             f"{len(given)}")
        states = [convert_to_tensor(s) for s in given]
        for s in states:
            if s.shape is not None and (len(s.shape) != 2 or s.shape[1] not in (None,
                                                                                 self.units)):
                raise ValueError(f"{label} expects initial states of shape (batch, "
                                 f"{self.units}), got shape {format_shape(s.shape)}")
        return states

    def _step(self, x: Tensor, states: list[Tensor]) -> tuple[list[Tensor], Tensor]:
        raise NotImplementedError

    def _gates(self, z: Tensor) -> list[Tensor]:
        """The per-gate column blocks of a ``(batch, k * units)`` pre-activation, cut by one
        ``split`` op: its gradient is one concatenation, where a slice per gate would pad and
        add a full-width copy per gate at every time step."""
        return ops.split(z, z.shape[-1] // self.units, axis=-1)

    # -- shapes and config -----------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        batch, time = input_shape[0], input_shape[1]
        output = (batch, time, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output, *[(batch, self.units)] * self.n_states]
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(), "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed, "return_sequences": self.return_sequences,
            "return_state": self.return_state, "go_backwards": self.go_backwards,
            "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class SimpleRNN(_RNN):
    """A fully connected recurrence: ``h_t = activation(x_t @ W + h_{t-1} @ U + b)``."""

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, seed: int | None = None, **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, activity_regularizer,
                         _constraints(kernel_constraint, recurrent_constraint,
                                      bias_constraint), dropout,
                         recurrent_dropout, seed, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)

    def _step(self, x, states):
        (h,) = states
        z = x @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        h = self.activation(z)
        return [h], h


class LSTM(_RNN):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), as Keras computes it::

        i, f, g, o = split(x_t @ W + h @ U + b)          # gate order i, f, c, o
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(c)

    (``sigmoid`` is ``recurrent_activation``, ``tanh`` is ``activation``). The states are
    ``[h, c]``; ``return_state=True`` returns ``[output, h, c]``.
    """

    gates = 4
    n_states = 2

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, activity_regularizer,
                         _constraints(kernel_constraint, recurrent_constraint,
                                      bias_constraint), dropout,
                         recurrent_dropout, seed, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_cudnn = use_cudnn

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_gate_ones(shape, dtype=None):  # Keras's unit_forget_bias: f's bias starts at 1
            return np.concatenate([init((units,), dtype=dtype), np.ones(units, dtype),
                                   init((2 * units,), dtype=dtype)])

        return forget_gate_ones

    def _step(self, x, states):
        h, c = states
        z = x @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        i, f, g, o = self._gates(z)
        i, f, o = (self.recurrent_activation(gate) for gate in (i, f, o))
        c = f * c + i * self.activation(g)
        h = o * self.activation(c)
        return [h, c], h

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_RNN):
    """Gated recurrent unit (Cho et al., 2014), as Keras computes it (gate order z, r, h)::

        xz, xr, xh = split(x_t @ W + b_in)
        hz, hr, hh = split(h @ U + b_rec)                # reset_after=True (the default)
        z = sigmoid(xz + hz);  r = sigmoid(xr + hr)
        h = z * h + (1 - z) * tanh(xh + r * hh)

    With ``reset_after=False`` the reset gate applies before the product:
    ``tanh(xh + (r * h) @ U_h)``, and there is one bias of shape ``(3 * units,)``; with
    ``reset_after=True`` the bias has shape ``(2, 3 * units)``: input and recurrent biases.
    """

    gates = 3
    n_states = 1

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 reset_after: bool = True, use_cudnn: Any = "auto", **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, activity_regularizer,
                         _constraints(kernel_constraint, recurrent_constraint,
                                      bias_constraint), dropout,
                         recurrent_dropout, seed, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)
        self.reset_after = bool(reset_after)
        self.use_cudnn = use_cudnn

    def _bias_shape(self) -> tuple[int, ...]:
        width = self.gates * self.units
        return (2, width) if self.reset_after else (width,)

    def _step(self, x, states):
        (h,) = states
        u = self.units
        x_proj = x @ self.kernel
        if self.reset_after:
            h_proj = h @ self.recurrent_kernel
            if self.bias is not None:
                x_proj, h_proj = x_proj + self.bias[0], h_proj + self.bias[1]
        else:
            h_proj = h @ self.recurrent_kernel[:, :2 * u]
            if self.bias is not None:
                x_proj = x_proj + self.bias
        xz, xr, xh = self._gates(x_proj)
        hz, hr, *hh = self._gates(h_proj)
        z = self.recurrent_activation(xz + hz)
        r = self.recurrent_activation(xr + hr)
        if self.reset_after:
            candidate = xh + r * hh[0]
        else:
            candidate = xh + (r * h) @ self.recurrent_kernel[:, 2 * u:]
        h = z * h + (1.0 - z) * self.activation(candidate)
        return [h], h

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


__all__ = ["GRU", "LSTM", "SimpleRNN"]
