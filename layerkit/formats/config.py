"""Model configs and compile arguments as JSON-ready data (Keras 3's forms), and back.

Reading a config never imports a module or runs code it names: a class is taken from the
built-in registries or from ``custom_objects``, and any other name is refused.
"""

from __future__ import annotations

from typing import Any

from layerkit import layers, losses, metrics, optimizers

__all__ = ["compile_from_training_config", "deserialize_model", "serialize_model",
           "training_config"]


def serialize_model(model: Any) -> dict[str, Any]:
    """``{"class_name", "config"}`` for a model (a plain functional ``Model`` is written as
    ``"Functional"``, as Keras 3 writes it)."""
    return layers.serialize(model)


def deserialize_model(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """A model from ``serialize_model`` output (or Keras's ``model_config``)."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"Not a model config: {str(config)[:200]}")
    model = layers.deserialize(config, custom_objects=custom_objects)
    if not getattr(model, "_is_model", False):
        raise ValueError(f"The config describes a {config['class_name']}, not a model")
    return model


# -- compile arguments ------------------------------------------------------------------------
def training_config(model: Any) -> dict[str, Any]:
    """The ``training_config`` Keras stores: the compile arguments (losses and metrics given by
    name stay names) and the optimizer's class and config."""
    args = dict(model._compile_config)
    config = {
        "loss": _nested(args["loss"], losses.serialize),
        "loss_weights": args["loss_weights"],
        "metrics": _nested(args["metrics"], metrics.serialize),
        "weighted_metrics": _nested(args["weighted_metrics"], metrics.serialize),
        "run_eagerly": bool(args["run_eagerly"]),
        "steps_per_execution": int(args["steps_per_execution"]),
        "jit_compile": args["jit_compile"] if isinstance(args["jit_compile"], bool) else True,
    }
    optimizer = model.optimizer
    config["optimizer_config"] = {"class_name": type(optimizer).__name__,
                                  "config": optimizer.get_config()}
    return config


def _nested(spec: Any, serialize: Any) -> Any:
    """Names and None as they are; functions by name; objects serialized; lists and dicts
    item by item."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list | tuple):
        return [_nested(s, serialize) for s in spec]
    if isinstance(spec, dict):
        return {k: _nested(v, serialize) for k, v in spec.items()}
    if callable(spec) and not hasattr(spec, "get_config"):
        return getattr(spec, "__name__", repr(spec))
    return serialize(spec)


def compile_from_training_config(model: Any, config: dict[str, Any],
                                 custom_objects: dict[str, Any] | None = None) -> None:
    """``model.compile`` with the arguments a ``training_config`` records."""
    if not isinstance(config, dict) or not isinstance(config.get("optimizer_config"), dict):
        raise ValueError("The file's training_config has no optimizer_config")
    optimizer = optimizers.deserialize(config["optimizer_config"],
                                       custom_objects=custom_objects)

    def loss(spec: Any) -> Any:
        return losses.deserialize(spec, custom_objects=custom_objects)

    def metric(spec: Any) -> Any:
        return metrics.deserialize(spec, custom_objects=custom_objects)

    model.compile(optimizer=optimizer,
                  loss=_rebuild(config.get("loss"), loss),
                  loss_weights=config.get("loss_weights"),
                  metrics=_rebuild(config.get("metrics"), metric),
                  weighted_metrics=_rebuild(config.get("weighted_metrics"), metric),
                  steps_per_execution=config.get("steps_per_execution") or 1)


def _rebuild(spec: Any, deserialize: Any) -> Any:
    """The inverse of ``_nested``: names stay names (compile resolves them, so 'accuracy'
    picks the right accuracy for the loss); serialized objects are rebuilt."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_rebuild(s, deserialize) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        return deserialize(spec)
    if isinstance(spec, dict):
        return {k: _rebuild(v, deserialize) for k, v in spec.items()}
    raise ValueError(f"Cannot read the compile argument {spec!r} from the file")
