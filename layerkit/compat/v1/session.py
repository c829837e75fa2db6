"""TensorFlow 1's sessions: the core's, with TF1's float semantics by default."""

from __future__ import annotations

from typing import Any

from layerkit.compat.v1.data import feeds_for
from layerkit.graph import session as _core
from layerkit.graph.graph import Graph


class _FeedsIterators:
    """A run that needs the elements of ``tf.data`` iterators gets them fed (``data.py``)."""

    def run(self, fetches: Any, feed_dict: Any = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        feed_dict = dict(feed_dict or {})
        feed_dict.update(feeds_for(self, fetches, feed_dict))
        return super().run(fetches, feed_dict, options, run_metadata)


class Session(_FeedsIterators, _core.Session):
    """``layerkit.graph.Session`` with ``strict_float=True``: every op rounds its own result,
    as TF1's CPU kernels did, so TF1 code prints the same digits on every backend (on the jax
    backend's CPU this forgoes fused multiply-adds, costing some speed; pass
    ``strict_float=False`` to trade the last bit for it)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 backend: str | None = None, strict_float: bool = True):
        super().__init__(target, graph, config, backend, strict_float)


class InteractiveSession(_FeedsIterators, _core.InteractiveSession):
    """``layerkit.graph.InteractiveSession`` with TF1's float semantics (see ``Session``)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 backend: str | None = None, strict_float: bool = True):
        super().__init__(target, graph, config, backend, strict_float)
