"""Convolution layers with Keras 3's signatures, weights and configs: ``Conv1D/2D/3D`` (with
``groups``), ``Conv1D/2D/3DTranspose``, ``DepthwiseConv1D/2D`` and ``SeparableConv1D/2D``.

One geometry base, ``_Conv``, holds what they share (kernel size, strides, padding, dilation,
data format, activation, bias, the output-size arithmetic and its errors); each family adds
its weights and its op from ``layerkit.ops`` (``conv``, ``conv_transpose``, ``depthwise_conv``,
``separable_conv``). Kernels have Keras's layouts, so weights load from Keras files unchanged.
With ``data_format="channels_first"`` the inputs are transposed to channels_last for the op and
the outputs back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layerkit import activations, constraints, initializers, ops, regularizers
from layerkit import backend as K
from layerkit.graph import format_shape, window_output_size
from layerkit.graph.ops import conv_transpose_paddings
from layerkit.layers.kernel_arguments import kernel_config, take_kernel_arguments
from layerkit.layers.layer import Layer


# -- argument helpers shared with the pooling layers --------------------------------------------
def normalize_tuple(value: Any, n: int, what: str, label: str, allow_zero: bool = False
                    ) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as a tuple of ``n`` positive (or, with
    ``allow_zero``, non-negative) ints (Keras's rule); anything else is a ValueError naming the
    layer."""

    def is_int(v: Any) -> bool:
        return hasattr(v, "__index__") and not isinstance(v, bool)  # numpy ints too

    values = (value,) * n if is_int(value) else value
    if not isinstance(values, Sequence) or isinstance(values, str) \
            or len(values) != n or not all(is_int(v) for v in values):
        raise ValueError(f"{label}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    values = tuple(int(v) for v in values)
    if any(v < (0 if allow_zero else 1) for v in values):
        raise ValueError(f"{label}: {what} must be {'non-negative' if allow_zero else 'positive'}"
                         f", got {value!r}")
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


# -- channels_first ---------------------------------------------------------------------------
def shape_to_last(shape: tuple, data_format: str) -> tuple:
    """A ``(batch, channels, *spatial)`` shape as ``(batch, *spatial, channels)``."""
    if data_format == "channels_last" or shape is None or len(shape) < 3:
        return shape
    return (shape[0], *shape[2:], shape[1])


def shape_back(shape: tuple, data_format: str) -> tuple:
    """The inverse of ``shape_to_last``."""
    if data_format == "channels_last" or shape is None or len(shape) < 3:
        return shape
    return (shape[0], shape[-1], *shape[1:-1])


def to_last(x: Any, data_format: str) -> Any:
    if data_format == "channels_last":
        return x
    return ops.transpose(x, (0, *range(2, len(x.shape)), 1))


def back(y: Any, data_format: str) -> Any:
    if data_format == "channels_last":
        return y
    rank = len(y.shape)
    return ops.transpose(y, (0, rank - 1, *range(1, rank - 1)))


_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, rows, cols, channels)",
            3: "(batch, dim1, dim2, dim3, channels)"}


def layout(rank: int, data_format: str) -> str:
    """The input layout, for errors."""
    if data_format == "channels_last":
        return _LAYOUTS[rank]
    inner = _LAYOUTS[rank][len("(batch, "):-len(", channels)")]
    return f"(batch, channels, {inner})"


# -- the layers ------------------------------------------------------------------------------
class _Conv(Layer):
    """What every convolution shares: the window geometry over ``rank`` spatial dimensions,
    the data format, the activation and the bias; a subclass makes the weights (``build``)
    and applies its op (``_convolve``) on channels_last tensors."""

    rank = 0  # spatial dimensions, set by subclasses
    _paddings: tuple[str, ...] = ("valid", "same")

    def _geometry(self, kernel_size: Any, strides: Any, padding: str, data_format: Any,
                  dilation_rate: Any, activation: Any, use_bias: bool) -> None:
        label = self._label()
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", label)
        self.strides = normalize_tuple(strides, self.rank, "strides", label)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", label)
        self.padding = standardize_padding(padding, label, self._paddings)
        self.data_format = standardize_data_format(data_format, label, channels_first=True)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{label}: strides {self.strides} > 1 together with dilation_rate "
                             f"{self.dilation_rate} > 1 is not supported (as in Keras)")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)


    def _layout(self) -> str:
        return layout(self.rank, self.data_format)

    def _channels(self, input_shape: Any) -> int:
        """The input channels, checked (known, and the rank right)."""
        check_rank("", input_shape, self.rank + 2, self._layout())
        last = shape_to_last(tuple(input_shape), self.data_format)
        if last[-1] is None:
            raise ValueError(f"the channel dimension of the inputs must be known, got "
                             f"{format_shape(input_shape)}")
        return int(last[-1])

    def call(self, inputs):
        label = self._label()
        check_rank(label, inputs.shape, self.rank + 2, self._layout())
        shape = shape_to_last(tuple(inputs.shape), self.data_format)
        if shape[-1] not in (None, self._in_channels):
            where = "last" if self.data_format == "channels_last" else "axis 1"
            raise ValueError(f"{label} was built for inputs with {self._in_channels} channels "
                             f"({where} dimension), got shape {format_shape(inputs.shape)}")
        self._check_fits(label, shape)
        outputs = self._convolve(to_last(inputs, self.data_format))
        if self.bias is not None:
            outputs = outputs + self.bias
        return back(self.activation(outputs), self.data_format)

    def _convolve(self, x: Any) -> Any:
        raise NotImplementedError

    def _bias(self, size: int) -> Any:
        return (self.add_weight((size,), self.bias_initializer, regularizer=self.bias_regularizer,
                                constraint=self.bias_constraint, name="bias")
                if self.use_bias else None)

    def _spatial_output(self, spatial: Sequence[Any]) -> tuple:
        # "causal" pads (span - 1) on the left, so it has as many outputs as "same".
        padding = "same" if self.padding == "causal" else self.padding
        return tuple(window_output_size(d, (k - 1) * r + 1, s, padding) for d, k, r, s in
                     zip(spatial, self.kernel_size, self.dilation_rate, self.strides))

    def _check_fits(self, label: str, last_shape: Any) -> None:
        out = self._spatial_output(last_shape[1:-1])
        if any(o is not None and o <= 0 for o in out):
            spans = tuple((k - 1) * r + 1 for k, r in zip(self.kernel_size, self.dilation_rate))
            raise ValueError(f"{label}: the kernel spans {spans} (kernel_size "
                             f"{self.kernel_size}, dilation_rate {self.dilation_rate}), more "
                             "than the spatial dimensions of inputs of shape "
                             f"{format_shape(shape_back(last_shape, self.data_format))} with "
                             f"padding='{self.padding}'")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        label = self._label()
        input_shape = tuple(input_shape)
        check_rank(label, input_shape, self.rank + 2, self._layout())
        last = shape_to_last(input_shape, self.data_format)
        self._check_fits(label, last)
        out = (last[0], *self._spatial_output(last[1:-1]), self._out_channels(last[-1]))
        return shape_back(out, self.data_format)

    def _out_channels(self, in_channels: int | None) -> int | None:
        return self.filters

    def _geometry_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate}


def _positive(value: Any, what: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{label}: {what} must be a positive int, got {value!r}")
    return value


class BaseConv(_Conv):
    """``activation(conv(inputs, kernel) + bias)`` over ``rank`` spatial dimensions; with
    ``groups`` > 1 the input channels split into groups, each with its own filters."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: Any = 1,
                 groups: int = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = self._label()
        self.filters = _positive(filters, "filters", label)
        self.groups = _positive(groups, "groups", label)
        if self.filters % self.groups:
            raise ValueError(f"{label}: filters ({filters}) must be a multiple of groups "
                             f"({groups})")
        self._geometry(kernel_size, strides, padding, data_format, dilation_rate, activation,
                       use_bias)
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)

    def build(self, input_shape: Any) -> None:
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"the {channels} input channels are not a multiple of groups "
                             f"({self.groups})")
        self._in_channels = channels
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self._bias(self.filters)
        self.built = True

    def _convolve(self, x):
        padding = self.padding
        if padding == "causal":  # left-pad the time axis so no output sees the future
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            x = ops.pad(x, ((0, 0), (left, 0), (0, 0)))
            padding = "valid"
        return ops.conv(x, self.kernel, strides=self.strides, padding=padding,
                        dilation_rate=self.dilation_rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, **self._geometry_config(),
                "groups": self.groups, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **kernel_config(self),
                "activity_regularizer": _serialize_regularizer(self.activity_regularizer)}


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding`` may also be ``"causal"``
    (the output at step t sees only inputs up to t, as for WaveNet)."""

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, rows, cols, channels)``."""

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over ``(batch, dim1, dim2, dim3, channels)`` (volumes, video)."""

    rank = 3


class BaseConvTranspose(_Conv):
    """The transposed convolution (sometimes called deconvolution): the gradient of a
    convolution with respect to its input, as a layer; it up-samples by ``strides``. The kernel
    is ``(*kernel_size, filters, in_channels)``; output sizes as Keras (``size * stride`` for
    ``"same"``, ``size * stride + max(span - stride, 0)`` for ``"valid"``; ``output_padding``,
    below the strides, sets them otherwise)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = self._label()
        self.filters = _positive(filters, "filters", label)
        self._geometry(kernel_size, strides, padding, data_format, dilation_rate, activation,
                       use_bias)
        self.output_padding = None
        if output_padding is not None:
            extra = normalize_tuple(output_padding, self.rank, "output_padding", label,
                                    allow_zero=True)
            if any(e >= s for e, s in zip(extra, self.strides)):
                raise ValueError(f"{label}: output_padding {extra} must be smaller than the "
                                 f"strides {self.strides} in every dimension")
            self.output_padding = extra
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)

    def build(self, input_shape: Any) -> None:
        self._in_channels = self._channels(input_shape)
        shape = (*self.kernel_size, self.filters, self._in_channels)
        self.kernel = self.add_weight(shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self._bias(self.filters)
        self.built = True

    def _convolve(self, x):
        return ops.conv_transpose(x, self.kernel, strides=self.strides, padding=self.padding,
                                  output_padding=self.output_padding,
                                  dilation_rate=self.dilation_rate)

    def _spatial_output(self, spatial: Sequence[Any]) -> tuple:
        pads = conv_transpose_paddings(self.kernel_size, self.strides, self.padding,
                                       self.output_padding, self.dilation_rate)
        return tuple(None if d is None else (d - 1) * s + 1 + a + b - ((k - 1) * r + 1) + 1
                     for d, s, (a, b), k, r in zip(spatial, self.strides, pads,
                                                   self.kernel_size, self.dilation_rate))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, **self._geometry_config(),
                "output_padding": self.output_padding,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **kernel_config(self),
                "activity_regularizer": _serialize_regularizer(self.activity_regularizer)}


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over ``(batch, rows, cols, channels)`` (a decoder's
    learned up-sampling)."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over ``(batch, dim1, dim2, dim3, channels)``."""

    rank = 3


class _DepthwiseArguments(_Conv):
    """The depthwise kernel's arguments, shared by the depthwise and separable layers."""

    def _depthwise(self, depth_multiplier: int, initializer: Any, regularizer: Any,
                   constraint: Any) -> None:
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", self._label())
        self.depthwise_initializer = initializers.get(initializer)
        self.depthwise_regularizer = regularizers.get(regularizer)
        self.depthwise_constraint = constraints.get(constraint)

    def _depthwise_kernel(self, input_shape: Any, name: str) -> Any:
        self._in_channels = self._channels(input_shape)
        return self.add_weight((*self.kernel_size, self._in_channels, self.depth_multiplier),
                               self.depthwise_initializer, name=name,
                               regularizer=self.depthwise_regularizer,
                               constraint=self.depthwise_constraint)

    def _bias_arguments(self, initializer: Any, regularizer: Any, constraint: Any) -> None:
        self.bias_initializer = initializers.get(initializer)
        self.bias_regularizer = regularizers.get(regularizer)
        self.bias_constraint = constraints.get(constraint)

    def _depthwise_config(self) -> dict[str, Any]:
        """The depthwise kernel's and the bias's entries (Keras's order of keys differs
        between the depthwise and separable layers; the keys are the same)."""
        return {"depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


class BaseDepthwiseConv(_DepthwiseArguments):
    """Each input channel convolved on its own with ``depth_multiplier`` filters: the output
    has ``channels * depth_multiplier`` channels; the kernel is ``(*kernel_size, channels,
    depth_multiplier)``."""

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._geometry(kernel_size, strides, padding, data_format, dilation_rate, activation,
                       use_bias)
        self._depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                        depthwise_constraint)
        self._bias_arguments(bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape: Any) -> None:
        self.kernel = self._depthwise_kernel(input_shape, "kernel")
        self.bias = self._bias(self._in_channels * self.depth_multiplier)
        self.built = True

    def _convolve(self, x):
        return ops.depthwise_conv(x, self.kernel, strides=self.strides, padding=self.padding,
                                  dilation_rate=self.dilation_rate)

    def _out_channels(self, in_channels: int | None) -> int | None:
        return None if in_channels is None else in_channels * self.depth_multiplier

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                **self._geometry_config(), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **self._depthwise_config()}


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution over ``(batch, steps, channels)``."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution over ``(batch, rows, cols, channels)`` (MobileNet's)."""

    rank = 2


class BaseSeparableConv(_DepthwiseArguments):
    """A depthwise convolution followed by a pointwise (1x1) one to ``filters`` channels:
    weights ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)`` and
    ``pointwise_kernel`` ``(1, ..., 1, channels * depth_multiplier, filters)`` (Xception's)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: Any = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive(filters, "filters", self._label())
        self._geometry(kernel_size, strides, padding, data_format, dilation_rate, activation,
                       use_bias)
        self._depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                        depthwise_constraint)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self._bias_arguments(bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape: Any) -> None:
        self.depthwise_kernel = self._depthwise_kernel(input_shape, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (*(1,) * self.rank, self._in_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self.bias = self._bias(self.filters)
        self.built = True

    def _convolve(self, x):
        return ops.separable_conv(x, self.depthwise_kernel, self.pointwise_kernel,
                                  strides=self.strides, padding=self.padding,
                                  dilation_rate=self.dilation_rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "filters": self.filters, **self._geometry_config(),
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **self._depthwise_config(),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


class SeparableConv1D(BaseSeparableConv):
    """Depthwise-separable 1-D convolution over ``(batch, steps, channels)``."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """Depthwise-separable 2-D convolution over ``(batch, rows, cols, channels)``."""

    rank = 2


__all__ = ["Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D",
           "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D"]
