"""Convolution layers: ``Conv1D`` and ``Conv2D`` (channels_last, Keras 3 signatures).

Both are one base class, ``BaseConv``, over the core's N-D ``conv`` op: the kernel has Keras's
layout ``(*kernel_size, in_channels, filters)``, so weights load from Keras files unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layerkit import activations, ops, regularizers
from layerkit import backend as K
from layerkit.graph import format_shape, window_output_size
from layerkit.layers.kernel_arguments import kernel_config, take_kernel_arguments
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


# -- argument helpers shared with the pooling layers --------------------------------------------
def normalize_tuple(value: Any, n: int, what: str, label: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as a tuple of ``n`` positive ints (Keras's rule);
    anything else is a ValueError naming the layer."""

    def is_int(v: Any) -> bool:
        return hasattr(v, "__index__") and not isinstance(v, bool)  # numpy ints too

    values = (value,) * n if is_int(value) else value
    if not isinstance(values, Sequence) or isinstance(values, str) \
            or len(values) != n or not all(is_int(v) for v in values):
        raise ValueError(f"{label}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    values = tuple(int(v) for v in values)
    if any(v < 1 for v in values):
        raise ValueError(f"{label}: {what} must be positive, got {value!r}")
    return values


def standardize_padding(padding: Any, label: str, allowed: tuple[str, ...] = ("valid", "same")
                        ) -> str:
    """``padding`` lowercased; a ValueError naming the layer unless it is one of ``allowed``."""
    lowered = padding.lower() if isinstance(padding, str) else padding
    if lowered not in allowed:
        raise ValueError(f"{label}: padding must be one of {', '.join(map(repr, allowed))}, "
                         f"got {padding!r}")
    return lowered


def standardize_data_format(data_format: Any, label: str, channels_first: bool = False) -> str:
    """``data_format`` resolved as Keras does (None: ``image_data_format()``). Unless the layer
    takes ``channels_first`` (layers that only move data along axes), only
    ``"channels_last"`` is supported: ``"channels_first"`` is a NotImplementedError."""
    value = K.image_data_format() if data_format is None else data_format
    value = value.lower() if isinstance(value, str) else value
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{label}: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    if value == "channels_first" and not channels_first:
        raise NotImplementedError(f"{label}: data_format='channels_first' is not supported; "
                                  "layerkit layers are channels_last (batch, *spatial, channels)")
    return value


def check_rank(label: str, shape: Any, rank: int, layout: str) -> None:
    """A ValueError naming the layer (``label``; empty in ``build``, whose errors the base class
    prefixes), the expected layout and the actual shape, unless ``shape`` has ``rank``
    dimensions (an unknown shape passes)."""
    if shape is not None and len(shape) != rank:
        who = f"{label} expects" if label else "expected"
        raise ValueError(f"{who} inputs of rank {rank} {layout}, got shape {format_shape(shape)} "
                         f"(rank {len(shape)})")


def _serialize_regularizer(regularizer: Any) -> Any:
    return None if regularizer is None else regularizers.serialize(regularizer)


# -- the layers ------------------------------------------------------------------------------
class BaseConv(Layer):
    """``activation(conv(inputs, kernel) + bias)`` over ``rank`` spatial dimensions."""

    rank = 0  # spatial dimensions, set by subclasses
    _layout = ""  # the input layout, for errors
    _paddings: tuple[str, ...] = ("valid", "same")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: Any = 1,
                 groups: int = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = self._label()
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{label}: filters must be a positive int, got {filters!r}")
        check_unsupported(label, {"groups": (groups, 1)})
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", label)
        self.strides = normalize_tuple(strides, self.rank, "strides", label)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", label)
        self.padding = standardize_padding(padding, label, self._paddings)
        self.data_format = standardize_data_format(data_format, label)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{label}: strides {self.strides} > 1 together with dilation_rate "
                             f"{self.dilation_rate} > 1 is not supported (as in Keras)")
        self.groups = 1
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)

    def _label(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def build(self, input_shape: Any) -> None:
        check_rank("", input_shape, self.rank + 2, self._layout)
        if input_shape is None or input_shape[-1] is None:
            raise ValueError(f"the channel (last) dimension of the inputs must be known, got "
                             f"{format_shape(input_shape)}")
        shape = (*self.kernel_size, int(input_shape[-1]), self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = (self.add_weight((self.filters,), self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs):
        label = self._label()
        check_rank(label, inputs.shape, self.rank + 2, self._layout)
        channels = self.kernel.shape[-2]
        if inputs.shape is not None and inputs.shape[-1] not in (None, channels):
            raise ValueError(f"{label} was built for inputs with {channels} channels (last "
                             f"dimension), got shape {format_shape(inputs.shape)}")
        self._check_fits(label, inputs.shape)
        padding = self.padding
        if padding == "causal":  # left-pad the time axis so no output sees the future
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            inputs = ops.pad(inputs, ((0, 0), (left, 0), (0, 0)))
            padding = "valid"
        outputs = ops.conv(inputs, self.kernel, strides=self.strides, padding=padding,
                           dilation_rate=self.dilation_rate)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def _spatial_output(self, spatial: Sequence[Any]) -> tuple:
        # "causal" pads (span - 1) on the left, so it has as many outputs as "same".
        padding = "same" if self.padding == "causal" else self.padding
        return tuple(window_output_size(d, (k - 1) * r + 1, s, padding) for d, k, r, s in
                     zip(spatial, self.kernel_size, self.dilation_rate, self.strides))

    def _check_fits(self, label: str, shape: Any) -> None:
        if shape is None:
            return
        out = self._spatial_output(shape[1:-1])
        if any(o is not None and o <= 0 for o in out):
            spans = tuple((k - 1) * r + 1 for k, r in zip(self.kernel_size, self.dilation_rate))
            raise ValueError(f"{label}: the kernel spans {spans} (kernel_size "
                             f"{self.kernel_size}, dilation_rate {self.dilation_rate}), more "
                             "than the spatial dimensions of inputs of shape "
                             f"{format_shape(shape)} with padding='{self.padding}'")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        label = self._label()
        input_shape = tuple(input_shape)
        check_rank(label, input_shape, self.rank + 2, self._layout)
        self._check_fits(label, input_shape)
        return (input_shape[0], *self._spatial_output(input_shape[1:-1]), self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **kernel_config(self),
                "activity_regularizer": _serialize_regularizer(self.activity_regularizer)}


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding`` may also be ``"causal"``
    (the output at step t sees only inputs up to t, as for WaveNet)."""

    rank = 1
    _layout = "(batch, steps, channels)"
    _paddings = ("valid", "same", "causal")


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, rows, cols, channels)``."""

    rank = 2
    _layout = "(batch, rows, cols, channels)"


__all__ = ["Conv1D", "Conv2D"]
