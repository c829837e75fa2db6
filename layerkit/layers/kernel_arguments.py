"""The six arguments of a layer with a kernel and a bias (``Dense``, the convolutions,
``EinsumDense``, the attention layers): their initializers, regularizers and constraints,
resolved on the layer and written back to its config the way Keras 3 writes them."""

from __future__ import annotations

from typing import Any

from layerkit import constraints, initializers, regularizers


def take_kernel_arguments(layer: Any, kernel_initializer: Any, bias_initializer: Any,
                          kernel_regularizer: Any, bias_regularizer: Any,
                          kernel_constraint: Any, bias_constraint: Any) -> None:
    """Resolve the six (names, configs or objects) onto ``layer``'s attributes of those
    names."""
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def kernel_config(layer: Any) -> dict[str, Any]:
    """The six as config entries."""
    return {"kernel_initializer": initializers.serialize(layer.kernel_initializer),
            "bias_initializer": initializers.serialize(layer.bias_initializer),
            "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
            "kernel_constraint": constraints.serialize(layer.kernel_constraint),
            "bias_constraint": constraints.serialize(layer.bias_constraint)}


def sublayer_kernel_arguments(layer: Any) -> dict[str, Any]:
    """The six for a sublayer (an attention projection): fresh copies of the initializers, so
    that each sublayer draws its own values, and the same regularizers and constraints."""
    return {"kernel_initializer": initializers.deserialize(
                initializers.serialize(layer.kernel_initializer)),
            "bias_initializer": initializers.deserialize(
                initializers.serialize(layer.bias_initializer)),
            "kernel_regularizer": layer.kernel_regularizer,
            "bias_regularizer": layer.bias_regularizer,
            "kernel_constraint": layer.kernel_constraint,
            "bias_constraint": layer.bias_constraint}
