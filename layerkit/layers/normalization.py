"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``,
``GroupNormalization`` and ``UnitNormalization``."""

from __future__ import annotations

from typing import Any

from layerkit import constraints, initializers, ops, regularizers
from layerkit.graph import Tensor, format_shape
from layerkit.layers.layer import Layer
from layerkit.utils.serialization import check_unsupported


def _serialize_regularizer(regularizer: Any) -> Any:
    return None if regularizer is None else regularizers.serialize(regularizer)


def _canonical_axes(axis: Any, rank: int) -> tuple[int, ...]:
    axes = axis if isinstance(axis, list | tuple) else [axis]
    result = []
    for a in axes:
        if not isinstance(a, int) or not -rank <= a < rank:
            raise ValueError(f"axis {axis!r} is out of range for inputs of rank {rank}")
        result.append(a % rank)
    if len(set(result)) != len(result):
        raise ValueError(f"axis {axis!r} names an axis twice")
    return tuple(sorted(result))


class _Normalization(Layer):
    """The ``gamma``/``beta`` parameters over ``self.axes``, and how they broadcast."""

    def _take_param_arguments(self, epsilon: float, center: bool, scale: bool,
                              beta_initializer: Any, gamma_initializer: Any,
                              beta_regularizer: Any, gamma_regularizer: Any,
                              beta_constraint: Any, gamma_constraint: Any) -> None:
        """The arguments every normalization layer shares, resolved."""
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _make_params(self, input_shape: Any) -> None:
        if input_shape is None:
            raise ValueError("the rank of the inputs must be known")
        rank = len(input_shape)
        self.axes = _canonical_axes(self.axis, rank)
        param_shape = tuple(input_shape[a] for a in self.axes)
        if any(d is None for d in param_shape):
            raise ValueError(f"the normalized axis {self.axis!r} must have a known size, got "
                             f"inputs of shape {format_shape(input_shape)}")
        self._rank = rank
        # Parameters of shape (C,) broadcast against (..., C) as they are; otherwise reshaped
        # to e.g. (1, C, 1, 1) for axis=1 of a 4-D input.
        trailing = self.axes == tuple(range(rank - len(self.axes), rank))
        self._broadcast_shape = None if trailing else tuple(
            input_shape[a] if a in self.axes else 1 for a in range(rank))
        self.gamma = (self.add_weight(param_shape, self.gamma_initializer,
                                      regularizer=self.gamma_regularizer,
                                      constraint=self.gamma_constraint, name="gamma")
                      if self.scale else None)
        self.beta = (self.add_weight(param_shape, self.beta_initializer,
                                     regularizer=self.beta_regularizer,
                                     constraint=self.beta_constraint, name="beta")
                     if self.center else None)
        self.param_shape = param_shape

    def _broadcast(self, param: Tensor) -> Tensor:
        return param if self._broadcast_shape is None else ops.reshape(param,
                                                                       self._broadcast_shape)

    def _check(self, inputs: Tensor) -> None:
        shape = inputs.shape
        if shape is None or len(shape) != self._rank or any(
                shape[a] not in (None, d) for a, d in zip(self.axes, self.param_shape)):
            expected = ["?"] * self._rank
            for a, d in zip(self.axes, self.param_shape):
                expected[a] = str(d)
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of shape "
                             f"({', '.join(expected)}) (normalized axis {self.axis!r}), got "
                             f"shape {format_shape(shape)}")

    def _normalize(self, inputs: Tensor, mean: Tensor, variance: Tensor) -> Tensor:
        """``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, as Keras folds it."""
        inv = 1.0 / ops.sqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self._broadcast(self.gamma)
        outputs = inputs * inv - mean * inv
        if self.beta is not None:
            outputs = outputs + self._broadcast(self.beta)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def _param_config(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
                "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


class BatchNormalization(_Normalization):
    """Normalizes each feature (along ``axis``) over the batch.

    In training (``training=True`` and the layer trainable) it uses the batch's mean and
    (biased) variance and updates the moving statistics as Keras does::

        moving_mean = moving_mean * momentum + mean * (1 - momentum)
        moving_variance = moving_variance * momentum + variance * (1 - momentum)

    In inference it uses the moving statistics. ``gamma`` scales, ``beta`` shifts.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False,
                 renorm_clipping: dict[str, float] | None = None, renorm_momentum: float = 0.99,
                 synchronized: bool = False, **kwargs):
        super().__init__(**kwargs)
        label = f"BatchNormalization '{self.name}'"
        if isinstance(axis, list | tuple) and len(axis) == 1:
            axis = axis[0]  # Keras 2 files may hold [axis]
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"{label}: axis must be an int, got {axis!r}")
        check_unsupported(label, {"renorm": (renorm, False),
                                  "renorm_clipping": (renorm_clipping, None),
                                  "renorm_momentum": (renorm_momentum, 0.99),
                                  "synchronized": (synchronized, False)})
        self.axis = axis
        self.momentum = float(momentum)
        self._take_param_arguments(epsilon, center, scale, beta_initializer, gamma_initializer,
                                   beta_regularizer, gamma_regularizer, beta_constraint,
                                   gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape: Any) -> None:
        self._make_params(input_shape)
        self.moving_mean = self.add_weight(self.param_shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(self.param_shape,
                                               self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.built = True

    def call(self, inputs, training=False):
        self._check(inputs)
        if training and self.trainable:
            reduce = tuple(a for a in range(self._rank) if a not in self.axes)
            mean = ops.mean(inputs, axis=reduce)
            variance = ops.mean(ops.square(inputs - self._broadcast(mean)), axis=reduce)
            m = self.momentum
            self.add_update(self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m)))
            self.add_update(self.moving_variance.assign(
                self.moving_variance * m + variance * (1.0 - m)))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return self._normalize(inputs, self._broadcast(mean), self._broadcast(variance))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                **self._param_config(),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer),
                "synchronized": False, "renorm": False, "renorm_clipping": None,
                "renorm_momentum": 0.99}


class LayerNormalization(_Normalization):
    """Normalizes each sample over ``axis`` (an int or a list of ints, default the last):
    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, the same in training and
    inference."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, rms_scaling: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        label = f"LayerNormalization '{self.name}'"
        check_unsupported(label, {"rms_scaling": (rms_scaling, False)})
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.rms_scaling = False
        self._take_param_arguments(epsilon, center, scale, beta_initializer, gamma_initializer,
                                   beta_regularizer, gamma_regularizer, beta_constraint,
                                   gamma_constraint)

    def build(self, input_shape: Any) -> None:
        self._make_params(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(inputs)
        mean = ops.mean(inputs, axis=self.axes, keepdims=True)
        variance = ops.mean(ops.square(inputs - mean), axis=self.axes, keepdims=True)
        return self._normalize(inputs, mean, variance)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "rms_scaling": self.rms_scaling,
                **self._param_config()}


class UnitNormalization(Layer):
    """Scales each sample to L2 norm 1 over ``axis`` (an int or a list of ints)."""

    def __init__(self, axis: Any = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"UnitNormalization '{self.name}': axis must be an int or a list "
                            f"of ints, got {axis!r}")

    def call(self, inputs):
        if inputs.shape is not None:
            _canonical_axes(self.axis, len(inputs.shape))  # a clear error for a bad axis
        return ops.normalize(inputs, axis=self.axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class GroupNormalization(_Normalization):
    """Splits the channels (``axis``) into ``groups`` and normalizes each sample over each
    group (its channels and every other non-batch axis), then scales and shifts per channel.
    ``groups=1`` is layer normalization over all features; ``groups=-1`` (one channel a group)
    instance normalization."""

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        label = f"GroupNormalization '{self.name}'"
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0
                                                                       and groups != -1):
            raise ValueError(f"{label}: groups must be a positive int (or -1 for instance "
                             f"normalization), got {groups!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"{label}: axis must be an int, got {axis!r}")
        self.groups = groups
        self.axis = axis
        self._take_param_arguments(epsilon, center, scale, beta_initializer, gamma_initializer,
                                   beta_regularizer, gamma_regularizer, beta_constraint,
                                   gamma_constraint)

    def build(self, input_shape: Any) -> None:
        if input_shape is None or not -len(input_shape) <= self.axis < len(input_shape) \
                or self.axis % len(input_shape) == 0:
            raise ValueError(f"axis {self.axis} must name a non-batch axis of the inputs, got "
                             f"shape {format_shape(input_shape)}")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"the channel axis {self.axis} must have a known size, got inputs "
                             f"of shape {format_shape(input_shape)}")
        if self.groups == -1:
            self.groups = channels
        if channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide the {channels} channels (axis "
                             f"{self.axis} of {format_shape(input_shape)})")
        self._make_params(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(inputs)
        rank = len(inputs.shape)
        axis = self.axis % rank
        dims = [ops.shape(inputs)[i] for i in range(rank)]
        per_group = dims[axis] // self.groups
        grouped = ops.reshape(inputs, (*dims[:axis], self.groups, per_group, *dims[axis + 1:]))
        reduce = [i for i in range(1, rank + 1) if i != axis]
        mean, variance = ops.moments(grouped, axes=reduce, keepdims=True)
        params = [1] * (rank + 1)
        params[axis], params[axis + 1] = self.groups, per_group
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * ops.reshape(self.gamma, params)
        shift = -mean * inv
        if self.beta is not None:
            shift = shift + ops.reshape(self.beta, params)
        return ops.reshape(grouped * inv + shift, dims)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                **self._param_config()}


__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization",
           "UnitNormalization"]
