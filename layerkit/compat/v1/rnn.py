"""``tf.nn.static_rnn``, ``dynamic_rnn`` and their bidirectional forms (TF1 semantics).

``dynamic_rnn`` loops with the core's ``scan`` op (the step is traced once, never unrolled);
``static_rnn`` unrolls a Python list of steps, as TF1 does. With ``sequence_length``, outputs past
a row's length are zero and its state is copied through, so the final state is the one at the
row's last valid step; the backward direction of a bidirectional RNN walks each row from its own
last valid step (as TF1's ``reverse_sequence``) by scanning in reverse with the same masks.
"""

from __future__ import annotations

from typing import Any

from layerkit.compat.v1.rnn_cell import LSTMStateTuple, RNNCell
from layerkit.compat.v1.variables import variable_scope
from layerkit.graph import dtypes, ops
from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import convert_to_tensor

__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]


def _flatten(structure: Any) -> list[Tensor]:
    if isinstance(structure, tuple | list):
        return [t for s in structure for t in _flatten(s)]
    return [structure]


def _pack_like(structure: Any, flat: list[Tensor]) -> Any:
    it = iter(flat)

    def pack(s: Any) -> Any:
        if isinstance(s, LSTMStateTuple):
            return LSTMStateTuple(pack(s.c), pack(s.h))
        if isinstance(s, tuple | list):
            return type(s)(pack(x) for x in s)
        return next(it)
    return pack(structure)


def _mask(step: Any, lengths: Tensor | None, dtype: Any) -> Tensor | None:
    """``[batch, 1]``: 1 where ``step < length``, else 0."""
    if lengths is None:
        return None
    return ops.expand_dims(ops.cast(ops.less(step, lengths), dtype), 1)


def _masked_step(cell: RNNCell, x: Tensor, state: Any, mask: Tensor | None) -> tuple[Tensor, Any]:
    out, new = cell.call(x, state)
    if mask is None:
        return out, new
    flat_new, flat_old = _flatten(new), _flatten(state)
    kept = [mask * n + (1.0 - mask) * o for n, o in zip(flat_new, flat_old)]
    return out * mask, _pack_like(new, kept)


def _lengths(sequence_length: Any) -> Tensor | None:
    if sequence_length is None:
        return None
    lengths = convert_to_tensor(sequence_length)
    if len(lengths.shape) != 1:
        raise ValueError(f"sequence_length must be a vector [batch], got shape "
                         f"{tuple(lengths.shape)}")
    return ops.cast(lengths, dtypes.int32)


def _initial(cell: RNNCell, first: Tensor, initial_state: Any, dtype: Any) -> Any:
    if initial_state is not None:
        return initial_state
    return cell.zero_state_like(first if dtype is None else ops.cast(first, dtype))


def static_rnn(cell: RNNCell, inputs: list[Any], initial_state: Any = None, dtype: Any = None,
               sequence_length: Any = None, scope: Any = None) -> tuple[list[Tensor], Any]:
    """Run ``cell`` over the list ``inputs`` (each ``[batch, depth]``); returns the list of
    outputs and the final state. Variables live under ``scope`` (default ``rnn``)."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise TypeError("static_rnn: inputs must be a non-empty list of [batch, depth] tensors")
    inputs = [convert_to_tensor(x) for x in inputs]
    first = tuple(inputs[0].shape)
    for t, x in enumerate(inputs):
        if len(x.shape) != 2 or tuple(x.shape)[1:] != first[1:] or len(first) != 2:
            raise ValueError(f"static_rnn: every input must be [batch, depth] with the same "
                             f"depth; step 0 has shape {first}, step {t} has shape "
                             f"{tuple(x.shape)}")
    lengths = _lengths(sequence_length)
    with variable_scope(scope or "rnn"):
        cell.build(first[1])
        state = _initial(cell, inputs[0], initial_state, dtype)
        outputs = []
        for t, x in enumerate(inputs):
            out, state = _masked_step(cell, x, state, _mask(t, lengths, x.dtype))
            outputs.append(out)
    return outputs, state


def _scan_cell(cell: RNNCell, x_tm: Tensor, state: Any, lengths: Tensor | None,
               reverse: bool) -> tuple[Tensor, Any]:
    """Scan ``cell`` over time-major ``x_tm``; returns time-major outputs and the final state."""
    steps = x_tm.shape[0]
    if reverse and lengths is not None and steps is None:
        raise ValueError("bidirectional_dynamic_rnn with sequence_length needs a known number "
                         "of time steps")
    flat = _flatten(state)
    start = convert_to_tensor(steps - 1 if reverse else 0, dtype=dtypes.int32)

    def step(carry: list[Tensor], x: Tensor) -> tuple[list[Tensor], Tensor]:
        t, flat_state = carry[0], carry[1:]
        out, new = _masked_step(cell, x, _pack_like(state, flat_state),
                                _mask(t, lengths, x.dtype))
        return [t + (-1 if reverse else 1), *_flatten(new)], out

    final, outputs = ops.scan(step, [start, *flat], x_tm, reverse=reverse, name="rnn")
    return outputs, _pack_like(state, final[1:])


def _check_rank(inputs: Tensor, who: str, time_major: bool) -> None:
    if len(inputs.shape) != 3 or inputs.shape[-1] is None:
        layout = "[time, batch, depth]" if time_major else "[batch, time, depth]"
        raise ValueError(f"{who}: inputs must have rank 3 {layout} with a known depth, got "
                         f"shape {tuple(inputs.shape)}")


def _dynamic(cell: RNNCell, inputs: Any, sequence_length: Any, initial_state: Any, dtype: Any,
             time_major: bool, scope: Any, who: str, default_scope: str,
             reverse: bool = False) -> tuple[Tensor, Any]:
    inputs = convert_to_tensor(inputs)
    _check_rank(inputs, who, time_major)
    if dtype is not None:
        inputs = ops.cast(inputs, dtype)
    x_tm = inputs if time_major else ops.transpose(inputs, (1, 0, 2))
    lengths = _lengths(sequence_length)
    with variable_scope(scope or default_scope):
        cell.build(inputs.shape[-1])
        state = _initial(cell, x_tm[0], initial_state, None)
        outputs, final = _scan_cell(cell, x_tm, state, lengths, reverse)
    return (outputs if time_major else ops.transpose(outputs, (1, 0, 2))), final


def dynamic_rnn(cell: RNNCell, inputs: Any, sequence_length: Any = None,
                initial_state: Any = None, dtype: Any = None, parallel_iterations: Any = None,
                swap_memory: bool = False, time_major: bool = False,
                scope: Any = None) -> tuple[Tensor, Any]:
    """Run ``cell`` over ``inputs`` ``[batch, time, depth]`` (``[time, batch, depth]`` with
    ``time_major``) in one scan; returns the outputs (same layout) and the final state."""
    return _dynamic(cell, inputs, sequence_length, initial_state, dtype, time_major, scope,
                    "dynamic_rnn", "rnn")


def bidirectional_dynamic_rnn(cell_fw: RNNCell, cell_bw: RNNCell, inputs: Any,
                              sequence_length: Any = None, initial_state_fw: Any = None,
                              initial_state_bw: Any = None, dtype: Any = None,
                              parallel_iterations: Any = None, swap_memory: bool = False,
                              time_major: bool = False,
                              scope: Any = None) -> tuple[tuple[Tensor, Tensor], tuple[Any, Any]]:
    """Forward and backward ``dynamic_rnn``s under ``bidirectional_rnn/fw`` and ``/bw``;
    returns ``(output_fw, output_bw), (state_fw, state_bw)``, the backward outputs in input
    order."""
    with variable_scope(scope or "bidirectional_rnn"):
        out_fw, st_fw = _dynamic(cell_fw, inputs, sequence_length, initial_state_fw, dtype,
                                 time_major, "fw", "bidirectional_dynamic_rnn", "fw")
        out_bw, st_bw = _dynamic(cell_bw, inputs, sequence_length, initial_state_bw, dtype,
                                 time_major, "bw", "bidirectional_dynamic_rnn", "bw",
                                 reverse=True)
    return (out_fw, out_bw), (st_fw, st_bw)


def static_bidirectional_rnn(cell_fw: RNNCell, cell_bw: RNNCell, inputs: list[Any],
                             initial_state_fw: Any = None, initial_state_bw: Any = None,
                             dtype: Any = None, sequence_length: Any = None,
                             scope: Any = None) -> tuple[list[Tensor], Any, Any]:
    """Forward and backward ``static_rnn``s; returns the per-step outputs ``concat([fw, bw])``
    and both final states. With ``sequence_length`` the backward pass starts at each row's
    last valid step."""
    inputs = [convert_to_tensor(x) for x in inputs]
    with variable_scope(scope or "bidirectional_rnn"):
        out_fw, st_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length,
                                   scope="fw")
        lengths = _lengths(sequence_length)
        with variable_scope("bw"):
            cell_bw.build(int(inputs[0].shape[-1]))
            state = _initial(cell_bw, inputs[0], initial_state_bw, dtype)
            out_bw: list[Tensor] = [None] * len(inputs)  # type: ignore[list-item]
            for t in reversed(range(len(inputs))):
                out_bw[t], state = _masked_step(cell_bw, inputs[t], state,
                                                _mask(t, lengths, inputs[t].dtype))
    outputs = [ops.concat([f, b], axis=1) for f, b in zip(out_fw, out_bw)]
    return outputs, st_fw, state
