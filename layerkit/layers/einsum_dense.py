"""``EinsumDense``: a dense layer whose product is an einsum equation.

``EinsumDense("abc,cde->abde", output_shape=(None, heads, dim), bias_axes="de")`` maps
``(batch, steps, features)`` to ``(batch, steps, heads, dim)`` with a kernel of shape
``(features, heads, dim)`` -- the projections of ``MultiHeadAttention``. The equation is
``inputs,kernel->outputs``; an ellipsis may stand for leading (``...b,bc->...c``) or trailing
axes. ``output_shape`` gives the output's sizes after the batch axis (None where the input
gives it), as Keras counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from layerkit import activations, initializers, ops, regularizers
from layerkit.graph import format_shape
from layerkit.layers.kernel_arguments import kernel_config, take_kernel_arguments
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


@dataclass
class EinsumShapes:
    """What an equation makes of an input shape."""

    kernel: tuple[int, ...]
    bias: tuple[int, ...] | None
    output: tuple
    input_axes: list[int]  # kernel axes that the product sums over (its fan-in)
    output_axes: list[int]  # kernel axes that reach the output (its fan-out)


_FORMS = (("", r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"),
          ("left", r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"),
          ("right", r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."))


def _parse(equation: str, label: str) -> tuple[str, str, str, str]:
    for where, pattern in _FORMS:
        match = re.fullmatch(pattern, equation)
        if match:
            return (where, *match.groups())
    raise ValueError(f"{label}: equation {equation!r} must have the form 'X,Y->Z', "
                     "'...X,Y->...Z' or 'X...,Y->Z...'")


def einsum_shapes(equation: str, bias_axes: str | None, input_shape: tuple,
                  output_shape: tuple, label: str) -> EinsumShapes:
    """The kernel, bias and output shapes of an ``EinsumDense`` on ``input_shape``."""
    where, spec_in, spec_w, spec_out = _parse(equation, label)
    elided = len(input_shape) - len(spec_in)
    if elided < 0 or (elided and not where):
        raise ValueError(f"{label}: equation {equation!r} names {len(spec_in)} input axes, "
                         f"inputs of shape {format_shape(input_shape)} have {len(input_shape)}")
    first = elided if where == "left" else 0
    in_dims = {c: input_shape[first + i] for i, c in enumerate(spec_in)}
    # Keras counts output_shape from the first axis after the batch: all of spec_out when
    # the ellipsis (which holds the batch) leads, else spec_out without its first (batch) axis.
    sized = spec_out if where == "left" else spec_out[1:]
    if len(output_shape) != len(sized):
        raise ValueError(f"{label}: output_shape {tuple(output_shape)} must give {len(sized)} "
                         f"sizes, for the output axes {', '.join(sized) or '(none)'}")
    out_dims = dict(zip(sized, output_shape))
    if where != "left":
        out_dims[spec_out[0]] = in_dims.get(spec_out[0])
    for c in spec_out:
        if c in in_dims:
            given = out_dims.get(c)
            if given is not None and in_dims[c] is not None and given != in_dims[c]:
                raise ValueError(f"{label}: output axis {c!r} is shared with the inputs, whose "
                                 f"size there is {in_dims[c]}, but output_shape gives {given}")
            out_dims[c] = in_dims[c] if given is None else given
        elif c not in spec_w:
            raise ValueError(f"{label}: output axis {c!r} of {equation!r} is in neither the "
                             "inputs nor the kernel")
    kernel, input_axes, output_axes = [], [], []
    for i, c in enumerate(spec_w):
        size = out_dims.get(c) if c in spec_out else in_dims.get(c)
        if c not in spec_out and c not in spec_in:
            raise ValueError(f"{label}: kernel axis {c!r} of {equation!r} is in neither the "
                             "inputs nor the outputs")
        if size is None:
            raise ValueError(f"{label}: the size of kernel axis {c!r} is unknown (inputs of "
                             f"shape {format_shape(input_shape)}, output_shape "
                             f"{tuple(output_shape)})")
        kernel.append(int(size))
        (output_axes if c in spec_out else input_axes).append(i)
    lead, trail = tuple(input_shape[:elided]) if where == "left" else (), ()
    if where == "right":
        trail = tuple(input_shape[len(input_shape) - elided:])
    output = (*lead, *(out_dims[c] for c in spec_out), *trail)
    return EinsumShapes(tuple(kernel), _bias_shape(bias_axes, spec_out, out_dims, trail, label),
                        output, input_axes, output_axes)


def _bias_shape(bias_axes: str | None, spec_out: str, out_dims: dict, trail: tuple,
                label: str) -> tuple[int, ...] | None:
    """Keras's bias: from the first biased output axis on, the axis's size where biased and 1
    elsewhere (then 1 for each trailing elided axis)."""
    if bias_axes is None:
        return None
    missing = [c for c in bias_axes if c not in spec_out]
    if missing:
        raise ValueError(f"{label}: bias axes {', '.join(map(repr, missing))} are not output axes "
                         f"of {spec_out!r}")
    start = min(spec_out.index(c) for c in bias_axes)
    return (*(out_dims[c] if c in bias_axes else 1 for c in spec_out[start:]), *[1] * len(trail))


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``; ``bias_axes`` names the
    output axes the bias varies along (None: no bias)."""

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None, **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        check_unsupported(label, {"lora_rank": (lora_rank, None),
                                  "lora_alpha": (lora_alpha, None),
                                  "quantization_config": (quantization_config, None)})
        if not isinstance(equation, str):
            raise ValueError(f"{label}: equation must be a string, got {equation!r}")
        _parse(equation, label)
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)


    def _shapes(self, input_shape: Any) -> EinsumShapes:
        return einsum_shapes(self.equation, self.bias_axes, tuple(input_shape),
                             self.partial_output_shape, self._label())

    def build(self, input_shape: Any) -> None:
        shapes = self._shapes(input_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and init.input_axes is None:
            # Fans over the kernel axes the product sums over and keeps (Keras 3.15).
            init = init.with_fan_axes(shapes.input_axes, shapes.output_axes)
        self.kernel = self.add_weight(shapes.kernel, init, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if shapes.bias is None else self.add_weight(
            shapes.bias, self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
            constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        expected = self._shapes(inputs.shape).kernel
        if expected != tuple(self.kernel.shape):
            raise ValueError(f"{self._label()} was built for a kernel of shape "
                             f"{tuple(self.kernel.shape)}, inputs of shape "
                             f"{format_shape(inputs.shape)} need {expected}")
        outputs = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._shapes(input_shape).output

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes, **kernel_config(self),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "quantization_config": None}


__all__ = ["EinsumDense"]
