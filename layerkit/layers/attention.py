"""Attention layers: ``Attention`` (dot-product, Luong), ``AdditiveAttention`` (Bahdanau) and
``MultiHeadAttention``.

Masks are explicit arguments (layerkit does not propagate Keras masks from layer to layer):
``mask=[query_mask, value_mask]`` for the first two, ``attention_mask`` / ``query_mask`` /
``value_mask`` / ``key_mask`` and ``use_causal_mask`` for ``MultiHeadAttention``. A masked-out
key gets a score of -1e9 before the softmax (probability 0); dropout on the attention
probabilities acts in training only.
"""

from __future__ import annotations

import math
import string
from typing import Any

from layerkit import ops, regularizers
from layerkit.graph import Tensor, format_shape
from layerkit.layers.activation import Softmax
from layerkit.layers.core import Dropout
from layerkit.layers.einsum_dense import EinsumDense
from layerkit.layers.kernel_arguments import (
    kernel_config,
    sublayer_kernel_arguments,
    take_kernel_arguments,
)
from layerkit.layers.layer import Layer

_LARGE_NEGATIVE = -1e9


def _causal_mask(query: Tensor, value: Tensor) -> Tensor:
    """(1, Tq, Tv) booleans: query step i sees value steps j <= i."""
    tq, tv = query.shape[1], value.shape[1]
    if tq is None or tv is None:
        raise ValueError(f"use_causal_mask needs known sequence lengths, got query shape "
                         f"{format_shape(query.shape)} and value shape "
                         f"{format_shape(value.shape)}")
    rows = ops.expand_dims(ops.arange(tq), -1)
    cols = ops.expand_dims(ops.arange(tv), 0)
    return ops.expand_dims(ops.greater_equal(rows, cols), 0)


def _as_bool(mask: Any) -> Tensor:
    mask = ops.convert_to_tensor(mask)
    return mask if mask.dtype == "bool" else ops.cast(mask, "bool")


class Attention(Layer):
    """Dot-product attention over ``[query, value]`` or ``[query, value, key]`` (key defaults
    to value): ``softmax(query @ key^T * scale) @ value``, shapes ``(batch, Tq, dim)`` and
    ``(batch, Tv, dim)`` to ``(batch, Tq, dim)``. ``use_scale`` learns a scalar ``scale``;
    ``score_mode="concat"`` scores with ``sum(tanh(query + key))`` instead."""

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{self._label()}: score_mode must be 'dot' or 'concat', got "
                             f"{score_mode!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed, name="attention_dropout") \
            if self.dropout > 0 else None


    def _inputs(self, inputs: Any) -> tuple:
        if not isinstance(inputs, list | tuple) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{self._label()} must be called on a list [query, value] or "
                             f"[query, value, key], got {type(inputs).__name__}"
                             + (f" of {len(inputs)}" if isinstance(inputs, list | tuple) else ""))
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        return query, value, key

    def build(self, input_shape: Any) -> None:
        query, value, key = self._inputs(input_shape)
        if None not in (query, key) and query[-1] != key[-1] and self.score_mode == "concat":
            raise ValueError(f"query and key must have the same last dimension for "
                             f"score_mode='concat', got {format_shape(query)} and "
                             f"{format_shape(key)}")
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = (self.add_weight((), "ones", name="concat_score_weight")
                                    if self.score_mode == "concat" else None)
        self.built = True

    def _scores(self, query: Tensor, key: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores * self.scale if self.scale is not None else scores
        summed = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * ops.sum(ops.tanh(summed), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = self._inputs(inputs)
        if mask is not None and (not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{self._label()}: mask must be a list [query_mask, value_mask], "
                             f"got {mask!r}")
        query_mask, value_mask = (mask[0], mask[1]) if mask is not None else (None, None)
        scores = self._scores(query, key)
        keep = None if value_mask is None else ops.expand_dims(_as_bool(value_mask), -2)
        if use_causal_mask:
            causal = _causal_mask(query, key)
            keep = causal if keep is None else ops.logical_and(keep, causal)
        if keep is not None:
            scores = ops.where(keep, scores, scores - 1e9)
        weights = ops.softmax(scores, axis=-1)
        if self._dropout_layer is not None:
            weights_used = self._dropout_layer(weights, training=training)
        else:
            weights_used = weights
        outputs = ops.matmul(weights_used, value)
        if query_mask is not None:
            outputs = ops.where(ops.expand_dims(_as_bool(query_mask), -1), outputs, 0.0)
        return (outputs, weights) if return_attention_scores else outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        query, value, _ = self._inputs(input_shape)
        return (*query[:-1], value[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(query + key), -1)`` with a
    learned ``scale`` per feature (``use_scale=True``, the default)."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        query, _, _ = self._inputs(input_shape)
        if query is None or query[-1] is None:
            raise ValueError(f"the last dimension of the query must be known, got "
                             f"{format_shape(query)}")
        self.scale = (self.add_weight((query[-1],), "glorot_uniform", name="scale")
                      if self.use_scale else None)
        self.concat_score_weight = None
        self.built = True

    def _scores(self, query: Tensor, key: Tensor) -> Tensor:
        summed = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        return ops.sum(summed * self.scale if self.scale is not None else summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config


# -- multi-head attention -----------------------------------------------------------------------
def combined_mask(query: Tensor, value: Tensor, query_mask: Any, value_mask: Any, key_mask: Any,
                  attention_mask: Any, use_causal_mask: bool, sliding_window: int | None
                  ) -> Tensor | None:
    """Every mask given, combined into one boolean mask broadcastable to ``(batch, Tq, Tv)``
    (None when there is none): per-step query, value and key masks, the causal mask, a sliding
    window of ``|i - j| < sliding_window``, and the ``attention_mask`` itself."""
    masks = [] if attention_mask is None else [_as_bool(attention_mask)]
    if query_mask is not None:
        masks.append(ops.expand_dims(_as_bool(query_mask), -1))
    for step_mask in (value_mask, key_mask):
        if step_mask is not None:
            masks.append(ops.expand_dims(_as_bool(step_mask), -2))
    if use_causal_mask:
        masks.append(_causal_mask(query, value))
    if sliding_window is not None:
        rows = ops.expand_dims(ops.arange(query.shape[1]), -1)
        cols = ops.expand_dims(ops.arange(value.shape[1]), 0)
        masks.append(ops.expand_dims(ops.less(ops.abs(rows - cols), sliding_window), 0))
    if not masks:
        return None
    combined = masks[0]
    for mask in masks[1:]:
        combined = ops.logical_and(combined, mask)
    return combined


def _built_for_call(layer: Layer, query: Tensor, value: Tensor, key: Tensor | None) -> Tensor:
    """The key (the value when none is given), with ``layer``'s projections built for these
    inputs on its first call: ``build`` from the query's shape alone, as a first call makes
    it, has to wait for the value's and the key's."""
    key = value if key is None else key
    if not hasattr(layer, "_output_dense"):  # made last by build
        layer.build(query.shape, value.shape, key.shape)
    return key


def _per_head(mask: Tensor | None, scores_rank: int, attention_axes: int) -> Tensor | None:
    """A ``(batch, Tq, Tv)`` mask broadcast over the heads axis of the scores."""
    if mask is None:
        return None
    for _ in range(scores_rank - len(mask.shape)):
        mask = ops.expand_dims(mask, -attention_axes * 2 - 1)
    return mask


def _letters(start: int, count: int) -> str:
    return string.ascii_lowercase[start:start + count]


def projection_equation(free_dims: int, bound_dims: int, output_dims: int
                        ) -> tuple[str, str, int]:
    """Keras's projection einsum: ``free_dims`` axes kept, ``bound_dims`` contracted with the
    kernel, ``output_dims`` made by it; and the bias axes (the made ones) and output rank."""
    free = _letters(0, free_dims)
    bound = _letters(free_dims, bound_dims)
    made = _letters(free_dims + bound_dims, output_dims)
    return f"{free}{bound},{bound}{made}->{free}{made}", made, free_dims + output_dims


def attention_equations(rank: int, attention_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """The score (``key, query -> scores``) and combine (``scores, value -> output``) einsums
    for projected tensors of ``rank`` axes (``(batch, *steps, heads, dim)``), attending over
    ``attention_axes``; and the rank of the scores."""
    target = _letters(0, rank)
    batch_dims = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source = list(target)
    offset = rank
    for i in attention_axes:
        source[i] = _letters(offset, 1)
        offset += 1
    source = "".join(source)
    product = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attention_axes)
               + "".join(source[i] for i in attention_axes))
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al.) as Keras 3 computes it, with its weights:
    ``query``, ``key`` and ``value`` projections ``(dim, num_heads, key_dim)`` (value:
    ``value_dim``) and an ``attention_output`` projection back to the query's last size (or
    ``output_shape``), each an ``EinsumDense``.

    ``mha(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; ``attention_mask`` is ``(batch, Tq, Tv)`` (True:
    may attend); ``query_mask``/``value_mask``/``key_mask`` are per-step masks combined into
    it. ``attention_axes`` (default: every axis between batch and features) for attention over
    several axes, e.g. the rows and columns of an image.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, sliding_window: int | None = None,
                 flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, use_gate: bool = False, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        label = self._label()
        for what, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                      ("value_dim", value_dim, True)):
            if (value is None and optional) or (isinstance(value, int) and value > 0
                                                 and not isinstance(value, bool)):
                continue
            raise ValueError(f"{label}: {what} must be a positive int, got {value!r}")
        if sliding_window is not None and (not isinstance(sliding_window, int)
                                           or sliding_window <= 0):
            raise ValueError(f"{label}: sliding_window must be None or a positive int, got "
                             f"{sliding_window!r}")
        if flash_attention:
            raise NotImplementedError(f"{label}: flash_attention=True is not supported by "
                                      "layerkit (it computes attention with einsums)")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self._output_shape = None if not output_shape else (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape))
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.sliding_window = sliding_window
        self.seed = seed
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)


    # The projections, under Keras's attribute names (its weights file walks them by name).
    @property
    def query_dense(self) -> EinsumDense:
        return self._query_dense

    @property
    def key_dense(self) -> EinsumDense:
        return self._key_dense

    @property
    def value_dense(self) -> EinsumDense:
        return self._value_dense

    @property
    def output_dense(self) -> EinsumDense:
        return self._output_dense

    def _sublayer_kwargs(self) -> dict[str, Any]:
        """What every projection gets: fresh copies of the initializers (so each draws its
        own values), the regularizers and constraints."""
        return {**sublayer_kernel_arguments(self),
                "activity_regularizer": self.projection_activity_regularizer,
                "dtype": self.dtype}

    def _projection(self, shape: tuple, size: int, name: str, activation: Any = None
                    ) -> EinsumDense:
        equation, bias_axes, rank = projection_equation(len(shape) - 1, 1, 2)
        return EinsumDense(equation, output_shape=[None] * (rank - 3) + [self.num_heads, size],
                           bias_axes=bias_axes if self.use_bias else None, name=name,
                           activation=activation, **self._sublayer_kwargs())

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        """Builds the projections for these input shapes (called with the query's shape alone,
        as a first call does, it waits for the call, which knows all three)."""
        if value_shape is None:
            return
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        label = self._label()
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{label}: value and key must agree on every axis but the last, "
                             f"got shapes {format_shape(value_shape)} and "
                             f"{format_shape(key_shape)}")
        if len(query_shape) != len(value_shape):
            raise ValueError(f"{label}: query and value must have the same rank, got shapes "
                             f"{format_shape(query_shape)} and {format_shape(value_shape)}")
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(f"{label}: {what} must be (batch, steps..., features) with "
                                 f"known features, got shape {format_shape(shape)}")
        with self._sublayer_scope():
            self._query_dense = self._projection(query_shape, self.key_dim, "query")
            self._query_dense.build(query_shape)
            self._key_dense = self._projection(key_shape, self.key_dim, "key")
            self._key_dense.build(key_shape)
            if self.use_gate:
                self._gate_dense = self._projection(query_shape, self.value_dim, "gate",
                                                    activation="sigmoid")
                self._gate_dense.build(query_shape)
            self._value_dense = self._projection(value_shape, self.value_dim, "value")
            self._value_dense.build(value_shape)
            rank = len(query_shape) + 1  # the projected tensors: (batch, *steps, heads, dim)
            axes = self.attention_axes or tuple(range(1, rank - 2))
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
            self._dot_product_equation, self._combine_equation, scores_rank = \
                attention_equations(rank, self._attention_axes)
            norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
            self._softmax = Softmax(axis=list(norm_axes), dtype=self.dtype)
            self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
            out = self._output_shape or (query_shape[-1],)
            equation, bias_axes, out_rank = projection_equation(len(query_shape) - 1, 2, len(out))
            self._output_dense = EinsumDense(
                equation, output_shape=[None] * (out_rank - 1 - len(out)) + list(out),
                bias_axes=bias_axes if self.use_bias else None, name="attention_output",
                **self._sublayer_kwargs())
            self._output_dense.build((*query_shape[:-1], self.num_heads, self.value_dim))

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = query * (1.0 / math.sqrt(float(self.key_dim)))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._softmax(scores, mask=_per_head(attention_mask, len(scores.shape),
                                                      len(self._attention_axes)))
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = _built_for_call(self, query, value, key)
        mask = combined_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                             use_causal_mask, self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        output, scores = self._compute_attention(self._query_dense(query), self._key_dense(key),
                                                 self._value_dense(value), mask, training)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> tuple:
        query_shape = tuple(query_shape)
        return (*query_shape[:-1], *self._output_shape) if self._output_shape else query_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias, "use_gate": self.use_gate,
                "output_shape": self._output_shape, "attention_axes": self.attention_axes,
                "sliding_window": self.sliding_window, **kernel_config(self),
                "activity_regularizer": regularizers.serialize(
                    self.projection_activity_regularizer),
                "seed": self.seed}


class GroupedQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al.): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads (each key/value head serves
    ``num_query_heads // num_key_value_heads`` query heads); ``head_dim`` per head. Called as
    ``MultiHeadAttention``; the output has the query's last size. Keras's ``GroupQueryAttention``.
    """

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int,
                 dropout: float = 0.0, use_bias: bool = True, sliding_window: int | None = None,
                 flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, use_gate: bool = False, seed: int | None = None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = f"GroupedQueryAttention '{self.name}'"
        for what, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                            ("num_key_value_heads", num_key_value_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{label}: {what} must be a positive int, got {value!r}")
        if num_query_heads % num_key_value_heads:
            raise ValueError(f"{label}: num_query_heads ({num_query_heads}) must be a multiple "
                             f"of num_key_value_heads ({num_key_value_heads})")
        if flash_attention:
            raise NotImplementedError(f"{label}: flash_attention=True is not supported by "
                                      "layerkit")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self.seed = seed
        take_kernel_arguments(self, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, kernel_constraint, bias_constraint)

    def _dense(self, equation: str, output_shape: tuple, bias_axes: str, name: str,
               activation: Any = None) -> EinsumDense:
        return EinsumDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None,
            name=name, activation=activation, **sublayer_kernel_arguments(self),
            activity_regularizer=self.activity_regularizer, dtype=self.dtype)

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        """As ``MultiHeadAttention.build``: the projections wait for all three shapes."""
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        heads_q, heads_kv = (None, self.num_query_heads, self.head_dim), \
            (None, self.num_key_value_heads, self.head_dim)
        with self._sublayer_scope():
            self._query_dense = self._dense("bqm,muh->bquh", heads_q, "uh", "query")
            self._query_dense.build(tuple(query_shape))
            self._key_dense = self._dense("bkm,mvh->bkvh", heads_kv, "vh", "key")
            self._key_dense.build(tuple(key_shape))
            if self.use_gate:
                self._gate_dense = self._dense("bqm,muh->bquh", heads_q, "uh", "gate",
                                               activation="sigmoid")
                self._gate_dense.build(tuple(query_shape))
            self._value_dense = self._dense("bkm,mvh->bkvh", heads_kv, "vh", "value")
            self._value_dense.build(tuple(value_shape))
            self._softmax = Softmax(axis=-1, dtype=self.dtype)
            self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
            self._output_dense = self._dense("bquh,uhm->bqm", (None, query_shape[-1]), "m",
                                             "attention_output")
            self._output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = _built_for_call(self, query, value, key)
        mask = combined_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                             use_causal_mask, self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query) * (1.0 / math.sqrt(float(self.head_dim)))
        k = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        scores = ops.einsum("bquh,bkuh->buqk", q, k)
        scores = self._softmax(scores, mask=_per_head(mask, 4, 1))
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        output = ops.einsum("buqk,bkuh->bquh", dropped, v)
        output = self._output_dense(output * gate if gate is not None else output)
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> tuple:
        return tuple(query_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self.sliding_window,
                "dropout": self.dropout, **kernel_config(self),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention  # Keras's public name for it

__all__ = ["AdditiveAttention", "Attention", "GroupQueryAttention", "GroupedQueryAttention",
           "MultiHeadAttention"]
