"""``layerkit.config``: Keras 3's global settings (``keras.config``).

The settings that exist in layerkit live where they always did (``layerkit.backend``: floatx,
epsilon, the image data format; ``layerkit_backend``: the active backend); this module is the
Keras-shaped door to them and keeps no copy. Settings of Keras features layerkit lacks are
plain flags, documented as such, or refuse values layerkit cannot honour:

- ``set_image_data_format("channels_first")``: layerkit's convolutions are channels_last only.
- ``set_dtype_policy``: layerkit has plain dtypes only (a layer's dtype defaults to
  ``floatx()``), so the policy is ``DTypePolicy(floatx())``; a mixed or quantized policy, or a
  plain one other than floatx, is a NotImplementedError (use ``set_floatx``).
- ``set_max_epochs`` / ``set_max_steps_per_epoch``: ``fit`` does not read them; only None.
- traceback filtering, interactive logging, flash attention: flags that nothing in layerkit
  reads (tracebacks are never filtered; ``fit`` prints progress with ``verbose``; there is no
  flash attention).
- ``enable_unsafe_deserialization``: as in Keras, lets a ``Lambda`` layer's saved Python
  lambda be loaded (``in_safe_mode`` / ``safe_mode_scope`` are what ``load_model`` and
  ``Lambda.from_config`` consult).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import layerkit_backend
from layerkit import backend as K
from layerkit.utils.serialization import dtype_policy_name

__all__ = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_backend", "set_dtype_policy", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]

# Flags of Keras features layerkit does not have (see the module docstring); Keras's defaults.
_flags: dict[str, Any] = {"traceback_filtering": True, "interactive_logging": True,
                          "flash_attention": None, "safe_mode": True}


# -- the backend ------------------------------------------------------------------------------
def backend() -> str:
    """The name of the active backend: ``"numpy"`` or ``"jax"``."""
    return K.backend()


def set_backend(backend: str) -> None:
    """Make ``backend`` the active one. As in Keras, objects made before belong to the old
    backend: the Keras session is cleared (every layer, model and weight is forgotten)."""
    if backend not in layerkit_backend.available_backends():
        raise ValueError(f"set_backend: unknown backend {backend!r}; available: "
                         + ", ".join(layerkit_backend.available_backends()))
    K.clear_session()
    layerkit_backend.set_backend(backend)


# -- numerics ---------------------------------------------------------------------------------
def floatx() -> str:
    """The default float dtype (``"float32"``)."""
    return K.floatx()


def set_floatx(value: str) -> None:
    """Set the default float dtype: ``"float16"``, ``"float32"`` or ``"float64"`` (layerkit has
    no bfloat16)."""
    if value == "bfloat16":
        raise NotImplementedError("set_floatx: layerkit has no bfloat16; use float16, float32 "
                                  "or float64")
    K.set_floatx(value)


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7)."""
    return K.epsilon()


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"set_epsilon: `value` must be a float. Received: value={value!r}")
    K.set_epsilon(value)


def image_data_format() -> str:
    """``"channels_last"``: the layout of image tensors."""
    return K.image_data_format()


def set_image_data_format(data_format: str) -> None:
    """Keras's image layout setting; layerkit supports ``"channels_last"`` only."""
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    if data_format != K.image_data_format():
        raise NotImplementedError(f"set_image_data_format({data_format!r}): layerkit's "
                                  "convolutions and pooling support channels_last only")


# -- dtype policies ---------------------------------------------------------------------------
class DTypePolicy:
    """A plain dtype policy: variables and computations in one dtype (``name``)."""

    def __init__(self, name: str | None = None):
        self.name = name or K.floatx()

    @property
    def compute_dtype(self) -> str:
        return self.name

    @property
    def variable_dtype(self) -> str:
        return self.name

    @property
    def quantization_mode(self) -> None:
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


def dtype_policy() -> DTypePolicy:
    """The default dtype policy: layerkit's layers compute in ``floatx()`` unless given a
    dtype, so it is ``DTypePolicy(floatx())``."""
    return DTypePolicy(K.floatx())


def set_dtype_policy(policy: Any) -> None:
    """Keras's global dtype policy. Only a plain policy naming ``floatx()`` is accepted (it
    changes nothing); mixed precision and quantization are not supported, and another plain
    dtype is set with ``set_floatx``."""
    if isinstance(policy, DTypePolicy) or hasattr(policy, "compute_dtype"):
        if getattr(policy, "variable_dtype", policy.compute_dtype) != policy.compute_dtype:
            raise NotImplementedError(f"set_dtype_policy: policy {policy.name!r} (mixed "
                                      "precision) is not supported")
        policy = policy.name
    elif not isinstance(policy, str | dict):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                         "(such as 'float32') or a `DTypePolicy` instance. Received: "
                         f"policy={policy!r} (of type {type(policy).__name__})")
    name = dtype_policy_name(policy, "set_dtype_policy")
    if name != K.floatx():
        raise NotImplementedError(
            f"set_dtype_policy({name!r}): layerkit's layers take their dtype from floatx() "
            f"({K.floatx()!r}); call keras.config.set_floatx({name!r}) instead, or pass "
            "dtype= to the layers")


# -- flags nothing in layerkit reads (see the module docstring) ----------------------------------
def enable_traceback_filtering() -> None:
    """A flag only: layerkit never filters tracebacks."""
    _flags["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """A flag only: layerkit never filters tracebacks."""
    _flags["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The flag the two functions above set (True by default, as in Keras)."""
    return _flags["traceback_filtering"]


def enable_interactive_logging() -> None:
    """A flag only: ``fit`` prints its progress to stdout as ``verbose`` says."""
    _flags["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """A flag only: ``fit`` prints its progress to stdout as ``verbose`` says."""
    _flags["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """The flag the two functions above set (True by default)."""
    return _flags["interactive_logging"]


def enable_flash_attention() -> None:
    """A flag only: layerkit has no flash attention."""
    _flags["flash_attention"] = None


def disable_flash_attention() -> None:
    """A flag only: layerkit has no flash attention."""
    _flags["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """As Keras: None (attempt it where possible, the default) or False (disabled)."""
    return _flags["flash_attention"]


def enable_unsafe_deserialization() -> None:
    """Let configs deserialize Python lambdas (the bytecode a ``Lambda`` layer saves) everywhere
    in this process, as ``load_model(..., safe_mode=False)`` does for one load. Only that:
    classes are still only built-in ones and ``custom_objects``, and no module a file names is
    imported."""
    _flags["safe_mode"] = False


_safe_mode_scopes: list[bool] = []


def in_safe_mode() -> bool:
    """Whether deserializing code from a config is refused here: True unless
    ``enable_unsafe_deserialization()`` was called or an enclosing ``safe_mode_scope(False)``
    (``load_model(..., safe_mode=False)``) allows it. Unset is safe."""
    if _flags["safe_mode"] is False:
        return False
    return _safe_mode_scopes[-1] if _safe_mode_scopes else True


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool = True) -> Iterator[None]:
    """Within the block, ``in_safe_mode()`` is ``safe_mode`` (unless unsafe deserialization
    was enabled for the whole process)."""
    _safe_mode_scopes.append(bool(safe_mode))
    try:
        yield
    finally:
        _safe_mode_scopes.pop()


def is_nnx_enabled() -> bool:
    """False: layerkit has no Flax NNX integration."""
    return False


def max_epochs() -> None:
    """None: no cap on ``fit``'s epochs (``fit`` does not read one)."""
    return None


def set_max_epochs(max_epochs: int | None) -> None:
    """Only None (no cap) is accepted: layerkit's ``fit`` does not cap its epochs."""
    if max_epochs is not None:
        raise NotImplementedError("set_max_epochs: layerkit's fit does not cap its epochs; "
                                  "pass epochs= to fit")


def max_steps_per_epoch() -> None:
    """None: no cap on the steps of an epoch (``fit``/``evaluate``/``predict`` read none)."""
    return None


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Only None (no cap) is accepted: layerkit does not cap the steps of an epoch."""
    if max_steps_per_epoch is not None:
        raise NotImplementedError("set_max_steps_per_epoch: layerkit does not cap the steps "
                                  "of an epoch; pass steps_per_epoch= to fit")
