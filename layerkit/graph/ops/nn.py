"""Neural-network ops: softmax, N-D convolution and pooling (channels_last, Keras layouts).

Convolution and pooling follow TensorFlow/Keras exactly: cross-correlation, ``"valid"`` padding
keeps only windows that fit, ``"same"`` pads so the output has ``ceil(in / stride)`` positions,
with the odd padding element after.
"""

from __future__ import annotations

__all__ = ["softmax", "log_softmax", "conv", "conv_transpose", "conv_transpose_paddings",
           "conv_transpose_paddings_for", "max_pool", "avg_pool"]

from collections.abc import Sequence

from layerkit.graph.graph import Tensor
from layerkit.graph.opdef import apply1, convert_operands, convert_to_tensor, define_op
from layerkit.graph.ops._rules import require_float, same_dtype
from layerkit.graph.shapes import Shape, fmt

PADDINGS = ("valid", "same")


# -- softmax ----------------------------------------------------------------------------------
@define_op("softmax")
@define_op("log_softmax")
def _softmax_rule(x, *, axis):
    require_float(x)
    if x.shape is not None and not -len(x.shape) <= axis < len(x.shape):
        raise ValueError(f"axis {axis} is out of range for input '{x.name}' of shape "
                         f"{fmt(x.shape)}")
    return x.shape, x.dtype


def _softmax_op(op_type: str, x, axis: int, name: str | None) -> Tensor:
    x = convert_to_tensor(x)
    if x.shape is not None and -len(x.shape) <= axis < len(x.shape):
        axis %= len(x.shape)  # canonical; an out-of-range axis is left for the rule to report
    return apply1(op_type, [x], {"axis": int(axis)}, name=name)


def softmax(x, axis: int = -1, name: str | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the max so it never overflows."""
    return _softmax_op("softmax", x, axis, name)


def log_softmax(x, axis: int = -1, name: str | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``: the log of ``softmax``, computed without overflow."""
    return _softmax_op("log_softmax", x, axis, name)


# -- shared window arithmetic -----------------------------------------------------------------
def _label(op_type: str, name: str | None) -> str:
    return f"{op_type} '{name}'" if name else op_type


def _is_int(value) -> bool:
    return isinstance(value, int) or hasattr(value, "__index__")  # numpy ints too


def _per_dim(value, n: int) -> tuple:
    """An int or a sequence as a tuple of ``n`` values (the rule checks length and range)."""
    if _is_int(value):
        return (int(value),) * n
    return tuple(int(v) for v in value)


def _check_per_dim(what: str, values: tuple, n: int) -> None:
    if len(values) != n or any(v < 1 for v in values):
        raise ValueError(f"{what} {values} must be {n} positive int(s), one per spatial dimension")


def _check_padding(padding) -> None:
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def window_output_size(size: int | None, span: int, stride: int, padding: str) -> int | None:
    """Positions of a window spanning ``span`` inputs along a dimension of ``size`` (None: unknown).

    "valid": windows that fit, ``(size - span) // stride + 1``; "same": ``ceil(size / stride)``.
    Returns -1 when a "valid" window does not fit at all.
    """
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - span) // stride + 1 if size >= span else -1


def _spatial_output(x_shape: Shape, spans: tuple, strides: tuple, padding: str, what: str):
    """Output spatial shape of windows over x's spatial dims, or an error naming the shapes."""
    if x_shape is None:
        return (None,) * len(spans)
    spatial = x_shape[1:-1]
    out = tuple(window_output_size(d, k, s, padding) for d, k, s in zip(spatial, spans, strides))
    if any(o == -1 for o in out):
        raise ValueError(f"{what} spans {spans}, more than the input's spatial shape "
                         f"{fmt(spatial)} (input shape {fmt(x_shape)}) with 'valid' padding")
    return out


def _check_rank(t: Tensor, rank: int, role: str, layout: str) -> None:
    if t.shape is not None and len(t.shape) != rank:
        raise ValueError(f"{role} '{t.name}' has shape {fmt(t.shape)} (rank {len(t.shape)}); "
                         f"expected rank {rank}: {layout}")


# -- convolution ------------------------------------------------------------------------------
def _conv_spatial_rank(x: Tensor, kernel: Tensor, strides: tuple) -> int:
    """The number of spatial dims, told by the kernel's rank (else x's); strides must agree."""
    for t, role in ((kernel, "kernel"), (x, "input")):
        if t.shape is not None:
            if len(t.shape) < 3:
                raise ValueError(f"{role} '{t.name}' has shape {fmt(t.shape)}; it needs at "
                                 "least one spatial dimension besides its two channel axes")
            return len(t.shape) - 2
    return len(strides)


@define_op("conv")
def _conv_rule(x, kernel, *, strides, padding, dilation_rate, groups=1):
    require_float(x, kernel)
    dtype = same_dtype(x, kernel)
    n = _conv_spatial_rank(x, kernel, strides)
    _check_per_dim("strides", strides, n)
    _check_per_dim("dilation_rate", dilation_rate, n)
    _check_padding(padding)
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"strides {strides} > 1 together with dilation_rate {dilation_rate} > 1 "
                         "is not supported (as in Keras)")
    _check_rank(kernel, n + 2, "kernel", "(*kernel_size, in_channels, out_channels)")
    _check_rank(x, n + 2, "input", "(batch, *spatial, channels)")
    x_shape = x.shape if x.shape is not None else (None,) * (n + 2)
    k_shape = kernel.shape if kernel.shape is not None else (None,) * (n + 2)
    if groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups}")
    if None not in (x_shape[-1], k_shape[-2]) and x_shape[-1] != k_shape[-2] * groups:
        per_group = "" if groups == 1 else f" ({groups} groups of {k_shape[-2]})"
        raise ValueError(f"input '{x.name}' {fmt(x.shape)} has {x_shape[-1]} channels but kernel "
                         f"'{kernel.name}' {fmt(kernel.shape)} expects "
                         f"{k_shape[-2] * groups}{per_group}")
    if k_shape[-1] is not None and k_shape[-1] % groups:
        raise ValueError(f"kernel '{kernel.name}' {fmt(kernel.shape)} has {k_shape[-1]} output "
                         f"channels, not a multiple of groups={groups}")
    spans = tuple(None if k is None else (k - 1) * d + 1
                  for k, d in zip(k_shape[:n], dilation_rate))
    if None in spans:
        out = (None,) * n
    else:
        out = _spatial_output(x.shape, spans, strides, padding,
                              f"kernel {fmt(kernel.shape)} with dilation {dilation_rate}")
    return (x_shape[0], *out, k_shape[-1]), dtype


def conv(
    x,
    kernel,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    name: str | None = None,
) -> Tensor:
    """N-D cross-correlation, channels_last, as Keras' ``Conv1D``/``Conv2D``/``Conv3D`` compute.

    ``x`` is ``(batch, *spatial, in_channels)``; ``kernel`` is
    ``(*kernel_size, in_channels // groups, out_channels)``. ``strides`` and ``dilation_rate``
    are an int or one int per spatial dimension (not both above 1); ``padding`` is ``"valid"``
    or ``"same"``. With ``groups`` > 1 the channels split into that many groups, each
    convolved with its own slice of the output channels (``groups = in_channels``: a depthwise
    convolution).
    """
    x, kernel = convert_operands(x, kernel, op_name="conv")
    n = _spatial_rank("conv", name, kernel.shape, 2, x.shape)
    attrs = {"strides": _per_dim(strides, n), "padding": _lower(padding),
             "dilation_rate": _per_dim(dilation_rate, n)}
    if groups != 1:  # the attribute is left out at its default: programs stay as they were
        attrs["groups"] = int(groups)
    return apply1("conv", [x, kernel], attrs, name=name)


# -- transposed convolution -------------------------------------------------------------------
def conv_transpose_paddings(kernel_size: Sequence[int], strides: Sequence[int], padding: str,
                            output_padding: Sequence[int] | None,
                            dilation_rate: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Keras 3's (and TensorFlow's) paddings of a transposed convolution, per spatial dim, as
    ``(before, after)`` of the stride-dilated input that the flipped kernel then slides over
    with stride 1 (what ``lax.conv_transpose`` takes)."""
    pads = []
    for i, (k, s, d) in enumerate(zip(kernel_size, strides, dilation_rate)):
        span = (k - 1) * d + 1
        extra = None if output_padding is None else output_padding[i]
        if padding == "valid":
            extra = max(span, s) - span if extra is None else extra
            pads.append((span - 1, span - 1 + extra))
        else:
            total = s + span - 2 if extra is None else span + span % 2 - 2 + extra
            before = min(total // 2 + total % 2, span - 1)
            pads.append((before, total - before))
    return tuple(pads)


def conv_transpose_paddings_for(input_sizes: Sequence[int], output_sizes: Sequence[int],
                                kernel_size: Sequence[int], strides: Sequence[int],
                                padding: str, dilation_rate: Sequence[int]
                                ) -> tuple[tuple[int, int], ...]:
    """The paddings (as ``conv_transpose_paddings`` gives them) of the transposed convolution
    that maps ``input_sizes`` to the requested ``output_sizes``: the adjoint of the
    convolution, with ``padding``, of an input of ``output_sizes`` (TensorFlow's
    ``conv2d_transpose(..., output_shape)``). A ValueError when that convolution would not
    give ``input_sizes``."""
    pads = []
    for size_in, size_out, k, s, d in zip(input_sizes, output_sizes, kernel_size, strides,
                                         dilation_rate):
        span = (k - 1) * d + 1
        if window_output_size(size_out, span, s, padding) != size_in:
            raise ValueError(f"output size {size_out} does not fit: a {padding!r} convolution "
                             f"of it with a kernel spanning {span} and stride {s} gives "
                             f"{window_output_size(size_out, span, s, padding)} positions, not "
                             f"the input's {size_in}")
        before = 0
        if padding == "same":
            before = max((size_in - 1) * s + span - size_out, 0) // 2
        low = span - 1 - before
        pads.append((low, size_out + span - 1 - low - ((size_in - 1) * s + 1)))
    return tuple(pads)


@define_op("conv_transpose")
def _conv_transpose_rule(x, kernel, *, strides, pads, dilation_rate):
    require_float(x, kernel)
    dtype = same_dtype(x, kernel)
    n = _conv_spatial_rank(x, kernel, strides)
    _check_per_dim("strides", strides, n)
    _check_per_dim("dilation_rate", dilation_rate, n)
    _check_rank(kernel, n + 2, "kernel", "(*kernel_size, out_channels, in_channels)")
    _check_rank(x, n + 2, "input", "(batch, *spatial, channels)")
    x_shape = x.shape if x.shape is not None else (None,) * (n + 2)
    k_shape = kernel.shape if kernel.shape is not None else (None,) * (n + 2)
    if None not in (x_shape[-1], k_shape[-1]) and x_shape[-1] != k_shape[-1]:
        raise ValueError(f"input '{x.name}' {fmt(x.shape)} has {x_shape[-1]} channels but the "
                         f"transposed kernel '{kernel.name}' {fmt(kernel.shape)} takes "
                         f"{k_shape[-1]} (its last axis)")
    out = []
    for size, k, s, d, (before, after) in zip(x_shape[1:-1], k_shape[:n], strides,
                                              dilation_rate, pads):
        if size is None or k is None:
            out.append(None)
            continue
        length = (size - 1) * s + 1 + before + after - ((k - 1) * d + 1) + 1
        if length < 1:
            raise ValueError(f"a transposed convolution of input '{x.name}' {fmt(x.shape)} with "
                             f"kernel {fmt(kernel.shape)} and paddings {pads} has no output")
        out.append(length)
    return (x_shape[0], *out, k_shape[-2]), dtype


def conv_transpose(
    x,
    kernel,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    output_size: Sequence[int] | None = None,
    name: str | None = None,
) -> Tensor:
    """N-D transposed convolution (the gradient of ``conv`` with respect to its input, as a
    layer's forward pass), channels_last, as Keras's ``Conv*DTranspose`` compute it.

    ``x`` is ``(batch, *spatial, in_channels)``; ``kernel`` is
    ``(*kernel_size, out_channels, in_channels)`` (Keras's layout). With ``output_padding``
    None the output has ``size * stride`` positions for ``"same"`` and
    ``size * stride + max(span - stride, 0)`` for ``"valid"``; ``output_padding`` adds
    positions along each dimension as in Keras. ``output_size`` (the spatial sizes) asks for
    those sizes instead, as TensorFlow's ``output_shape`` does (the input's spatial sizes must
    then be known).
    """
    x, kernel = convert_operands(x, kernel, op_name="conv_transpose")
    n = _spatial_rank("conv_transpose", name, kernel.shape, 2, x.shape)
    padding = _lower(padding)
    _check_padding(padding)
    s, d = _per_dim(strides, n), _per_dim(dilation_rate, n)
    if kernel.shape is None or None in kernel.shape[:n]:
        raise ValueError(f"{_label('conv_transpose', name)}: the kernel's spatial size must be "
                         f"known, got {fmt(kernel.shape)}")
    extra = None if output_padding is None else _per_dim(output_padding, n)
    if extra is not None and any(not 0 <= e < max(si, 1) for e, si in zip(extra, s)):
        raise ValueError(f"{_label('conv_transpose', name)}: output_padding {extra} must be "
                         f"smaller than the strides {s}")
    if output_size is not None:
        sizes_in = None if x.shape is None else x.shape[1:-1]
        if sizes_in is None or None in sizes_in or len(output_size) != n:
            raise ValueError(f"{_label('conv_transpose', name)}: output_size {output_size} "
                             f"needs {n} sizes and an input of known spatial sizes, got "
                             f"{fmt(x.shape)}")
        try:
            pads = conv_transpose_paddings_for(sizes_in, [int(v) for v in output_size],
                                               kernel.shape[:n], s, padding, d)
        except ValueError as error:
            raise ValueError(f"{_label('conv_transpose', name)}: {error}") from None
    else:
        pads = conv_transpose_paddings(kernel.shape[:n], s, padding, extra, d)
    attrs = {"strides": s, "pads": pads, "dilation_rate": d}
    return apply1("conv_transpose", [x, kernel], attrs, name=name)


def _spatial_rank(op_type: str, name, shape: Shape, extra: int, x_shape: Shape) -> int:
    """Number of spatial dims: from ``shape`` (``extra`` non-spatial axes), else from x."""
    if shape is not None:
        return len(shape) - extra
    if x_shape is not None:
        return len(x_shape) - 2
    raise ValueError(f"{_label(op_type, name)}: the input's rank is unknown, so the number of "
                     "spatial dimensions cannot be told; give the input a shape")


def _lower(padding):
    return padding.lower() if isinstance(padding, str) else padding


# -- pooling ----------------------------------------------------------------------------------
@define_op("max_pool")
@define_op("avg_pool")
def _pool_rule(x, *, pool_size, strides, padding):
    require_float(x)
    n = len(pool_size)
    if n == 0:
        raise ValueError(f"nothing to pool over: pool_size {pool_size} for input '{x.name}' "
                         f"{fmt(x.shape)} (expected (batch, *spatial, channels))")
    _check_per_dim("pool_size", pool_size, n)
    _check_per_dim("strides", strides, n)
    _check_padding(padding)
    _check_rank(x, n + 2, "input", "(batch, *spatial, channels)")
    out = _spatial_output(x.shape, pool_size, strides, padding, f"pool_size {pool_size}")
    if x.shape is None:
        return (None, *out, None), x.dtype
    return (x.shape[0], *out, x.shape[-1]), x.dtype


def _pool(op_type: str, x, pool_size, strides, padding, name) -> Tensor:
    x = convert_to_tensor(x)
    n = _spatial_rank(op_type, name, None if _is_int(pool_size) else tuple(pool_size), 0,
                      x.shape)
    pool_size = _per_dim(pool_size, n)
    strides = pool_size if strides is None else _per_dim(strides, n)
    attrs = {"pool_size": pool_size, "strides": strides, "padding": _lower(padding)}
    return apply1(op_type, [x], attrs, name=name)


def max_pool(
    x,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    name: str | None = None,
) -> Tensor:
    """Largest value of each window, channels_last (Keras' ``MaxPooling1D/2D``).

    ``strides`` defaults to ``pool_size``. The gradient goes to one element per window (the first
    largest), as in TensorFlow.
    """
    return _pool("max_pool", x, pool_size, strides, padding, name)


def avg_pool(
    x,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    name: str | None = None,
) -> Tensor:
    """Mean of each window, channels_last (Keras' ``AveragePooling1D/2D``).

    ``strides`` defaults to ``pool_size``. With ``"same"`` padding a window at the border averages
    only the input elements it covers, as TensorFlow does.
    """
    return _pool("avg_pool", x, pool_size, strides, padding, name)
