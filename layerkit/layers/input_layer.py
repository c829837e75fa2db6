"""``Input`` and ``InputLayer``: where a functional model's symbolic tensors start."""

from __future__ import annotations

from typing import Any

from layerkit import backend as K
from layerkit.graph import Tensor, placeholder
from layerkit.layers.layer import Layer, Node
from layerkit.utils.serialization import check_unsupported


class InputLayer(Layer):
    """The entry point of a model: a symbolic tensor of ``batch_shape``
    (``(batch_size, *shape)``; the batch size is usually None, any)."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 sparse: bool | None = None, batch_shape: Any = None, input_tensor: Any = None,
                 name: str | None = None, ragged: bool | None = None, optional: bool = False,
                 **kwargs):
        # Keras's older spellings (Keras 2 files hold batch_input_shape).
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        shape = kwargs.pop("input_shape", shape)
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_unsupported(f"InputLayer '{self.name}'", {
            "sparse": (bool(sparse), False), "ragged": (bool(ragged), False),
            "optional": (optional, False)})
        if batch_shape is None:
            if shape is None:
                raise ValueError(f"InputLayer '{self.name}': give shape or batch_shape")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        graph = K.get_graph()
        with graph.as_default(), graph.name_scope(None):
            tensor = input_tensor if isinstance(input_tensor, Tensor) else placeholder(
                self.dtype, self.batch_shape, name=self.name)
        tensor._keras_history = (self, 0, 0)
        self._inbound_nodes.append(Node(self, (tensor,), {}, tensor))
        self.built = True

    @property
    def output(self) -> Tensor:
        return self._inbound_nodes[0].outputs

    def get_config(self) -> dict[str, Any]:
        """As Keras 3 writes it: ``dtype`` is a plain dtype name here, not a policy."""
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": False}


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802
          sparse: bool | None = None, batch_shape: Any = None, name: str | None = None,
          tensor: Any = None, ragged: bool | None = None, optional: bool = False) -> Tensor:
    """A symbolic input tensor for a functional model: ``keras.Input(shape=(784,))``."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, input_tensor=tensor, name=name, ragged=ragged,
                       optional=optional)
    return layer.output
