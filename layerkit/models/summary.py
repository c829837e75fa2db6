"""``Model.summary()``: a table of layers, output shapes and parameter counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _count(weights) -> int:
    return int(sum(np.prod(v.shape, dtype=int) for v in weights))


def print_summary(model: Any, width: int, print_fn: Callable[[str], Any],
                  show_trainable: bool = False) -> None:
    columns = [("Layer (type)", 0.45), ("Output Shape", 0.35), ("Param #", 0.2)]
    widths = [int(width * share) for _, share in columns]

    def row(cells: list[str]) -> str:
        return "".join(str(c)[:w - 1].ljust(w) for c, w in zip(cells, widths)).rstrip()

    print_fn(f'Model: "{model.name}"')
    print_fn("━" * width)
    print_fn(row([name for name, _ in columns]))
    print_fn("━" * width)
    for layer in model.layers:
        shape = getattr(layer, "_output_shape", None)
        if shape is None and hasattr(layer, "batch_shape"):
            shape = layer.batch_shape
        print_fn(row([f"{layer.name} ({type(layer).__name__})", _shape_text(shape),
                      f"{layer.count_params():,}"]))
    print_fn("─" * width)
    total = _count(model.weights)
    trainable = _count(model.trainable_weights)
    print_fn(f" Total params: {total:,}")
    print_fn(f" Trainable params: {trainable:,}")
    print_fn(f" Non-trainable params: {total - trainable:,}")
