"""``Embedding``: integer ids to dense vectors, by gathering rows of a ``(input_dim, output_dim)``
table."""

from __future__ import annotations

from typing import Any

from layerkit import constraints, initializers, ops, regularizers
from layerkit.graph import dtypes
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


class Embedding(Layer):
    """Maps each id in ``[0, input_dim)`` to a trainable vector of size ``output_dim``: inputs of
    shape ``(batch, ...)`` give outputs of shape ``(batch, ..., output_dim)``. Float inputs are
    cast to int32 (as Keras does). An id out of range is an error on the numpy backend and
    gives a row of NaNs on jax (a compiled program cannot raise)."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, weights: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None, **kwargs):
        super().__init__(**kwargs)
        label = f"Embedding '{self.name}'"
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{label}: {what} must be a positive int, got {value!r}")
        # mask_zero=True is refused: layerkit layers do not propagate masks.
        check_unsupported(label, {
            "mask_zero": (mask_zero, False),
            "lora_rank": (lora_rank, None), "lora_alpha": (lora_alpha, None),
            "quantization_config": (quantization_config, None)})
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = False
        self._initial_weights = weights

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          name="embeddings")
        self.built = True
        if self._initial_weights is not None:
            weights = self._initial_weights
            self._initial_weights = None
            self.set_weights(weights if isinstance(weights, list | tuple) else [weights])

    def call(self, inputs):
        if not dtypes.is_integer(inputs.dtype):
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
                "quantization_config": None}


__all__ = ["Embedding"]
