"""``Lambda``: a Python function as a layer.

Built in code, it calls the function. Saved, it is written as Keras 3 writes it: a named
function by name (``{"class_name": "function", "config": name, ...}``), a Python ``lambda`` as
its marshalled bytecode. Loading bytecode runs code from the file, so it is refused unless the
user opts in (``load_model(..., safe_mode=False)``, ``config.enable_unsafe_deserialization()``
or ``Lambda.from_config(config, safe_mode=False)``), exactly as Keras 3 does. A named function
is looked up, never imported: among ``custom_objects`` and registered objects, then among
``keras.ops`` and ``keras.activations``.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import marshal
import types
from collections.abc import Callable
from typing import Any

from layerkit import activations, ops
from layerkit import config as keras_config
from layerkit.layers.layer import Layer
from layerkit.utils.object_registration import custom_objects_in_scope
from layerkit.utils.tree import flatten

_LAMBDA = "__lambda__"


def _is_lambda(fn: Any) -> bool:
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _builtin_module(fn: Callable) -> str | None:
    """``"keras.ops"`` / ``"keras.activations"`` for the public functions of those namespaces.
    (Keras 3.15 writes them as ``module: "builtins"``, which it cannot read back for ops; the
    dotted module it can, and so can layerkit, which reads both.)"""
    name = getattr(fn, "__name__", None)
    for module, source in (("keras.ops", ops), ("keras.activations", activations)):
        if name and getattr(source, name, None) is fn:
            return module
    return None


def serialize_function(fn: Callable) -> dict[str, Any]:
    """Keras 3's config of a function a ``Lambda`` holds."""
    if _is_lambda(fn):
        closure = None if fn.__closure__ is None else [c.cell_contents for c in fn.__closure__]
        return {"class_name": _LAMBDA, "config": {
            "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
            "defaults": None if fn.__defaults__ is None else list(fn.__defaults__),
            "closure": closure}}
    if not callable(fn) or not hasattr(fn, "__name__"):
        raise ValueError(f"Lambda: cannot serialize {fn!r} ({type(fn).__name__}): expected a "
                         "function")
    module = _builtin_module(fn)
    if module:
        return {"module": module, "class_name": "function", "config": fn.__name__,
                "registered_name": None}
    return {"module": fn.__module__, "class_name": "function", "config": fn.__name__,
            "registered_name": fn.__name__}


def _refuse_code(what: str) -> None:
    raise ValueError(
        f"Lambda: the config holds a Python lambda ({what}) as bytecode; loading it would run "
        "code from the file, so it is refused by default. If you trust the file, pass "
        "safe_mode=False to the loading function or call "
        "keras.config.enable_unsafe_deserialization()")


def deserialize_function(spec: Any, safe_mode: bool, what: str,
                         custom_objects: dict[str, Any] | None = None) -> Any:
    """The function ``serialize_function`` described (a callable passes as it is)."""
    if callable(spec):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"Lambda: {what} must be a function config, got {spec!r}")
    if spec.get("class_name") == _LAMBDA:
        if safe_mode:
            _refuse_code(what)
        inner = spec.get("config") or {}
        code = marshal.loads(base64.decodebytes(str(inner["code"]).encode("ascii")))
        closure = inner.get("closure")
        defaults = inner.get("defaults")
        # The globals a loaded lambda sees: builtins, and ``keras`` as the lambda's own
        # script most likely named it (``lambda x: keras.ops.square(x)``).
        namespace = {"__builtins__": __builtins__, "keras": importlib.import_module("layerkit")}
        return types.FunctionType(
            code, namespace, code.co_name,
            None if defaults is None else tuple(defaults),
            None if closure is None else tuple(types.CellType(v) for v in closure))
    if spec.get("class_name") != "function" or not isinstance(spec.get("config"), str):
        raise ValueError(f"Lambda: {what} is not a function config: {str(spec)[:200]}")
    name = spec["config"]
    objects = custom_objects_in_scope(custom_objects)
    for key in (spec.get("registered_name"), name):
        if key in objects:
            return objects[key]
    module = spec.get("module")
    for namespace, source in (("keras.ops", ops), ("keras.activations", activations)):
        if module in (namespace, "builtins") and callable(getattr(source, name, None)):
            return getattr(source, name)
    raise ValueError(f"Lambda: unknown function {name!r} (module {module!r}) for {what}: it is "
                     "neither in keras.ops / keras.activations nor passed in custom_objects")


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (for quick, weightless
    computations; a ``Layer`` subclass saves more portably).

    ``output_shape`` (without the batch axis, or a function of the input shape) is only
    needed where it cannot be traced; ``mask`` is accepted for Keras's signature. A
    ``function`` taking ``training`` gets the call's flag.
    """

    def __init__(self, function: Callable, output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, got "
                            f"{type(function).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) \
            else output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._takes_training = "training" in params
        self._takes_mask = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        flat = flatten(input_shape)
        return (flat[0] if flat else None, *self._output_shape)

    def get_config(self) -> dict[str, Any]:
        result = {**super().get_config(), "function": serialize_function(self.function)}
        if self._output_shape is not None:
            result["output_shape"] = (serialize_function(self._output_shape)
                                      if callable(self._output_shape)
                                      else list(self._output_shape))
        if self.mask is not None:
            result["mask"] = serialize_function(self.mask) if callable(self.mask) else self.mask
        result["arguments"] = self.arguments
        return result

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Lambda:
        """A ``Lambda`` from its config. ``safe_mode`` None follows the enclosing
        ``config.safe_mode_scope`` (safe when there is none)."""
        safe = keras_config.in_safe_mode() if safe_mode is None else bool(safe_mode)
        values = dict(config)
        values["function"] = deserialize_function(values.get("function"), safe, "function",
                                                  custom_objects)
        for key in ("output_shape", "mask"):
            if isinstance(values.get(key), dict):
                values[key] = deserialize_function(values[key], safe, key, custom_objects)
        return cls(**values)


__all__ = ["Lambda"]
