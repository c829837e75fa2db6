"""``layerkit.config``: Keras 3's global settings, over the state ``layerkit.backend`` keeps."""

from __future__ import annotations

import inspect

import pytest

import layerkit
import layerkit.backend as K
import layerkit_backend
from layerkit import config

# The names of keras.config in Keras 3.15 (checked against the real one in the slow test).
KERAS_CONFIG = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_backend", "set_dtype_policy", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]


@pytest.fixture(autouse=True)
def restore():
    saved = (K.floatx(), K.epsilon(), dict(config._flags))
    yield
    K.set_floatx(saved[0])
    K.set_epsilon(saved[1])
    config._flags.update(saved[2])


def test_it_has_keras_names_and_is_reachable_from_the_root():
    assert sorted(config.__all__) == KERAS_CONFIG
    assert layerkit.config is config
    assert all(callable(getattr(config, name)) for name in KERAS_CONFIG)


def test_backend(active_backend):
    assert config.backend() == active_backend == layerkit_backend.backend().name


def test_set_backend_switches_and_clears_the_session(active_backend):
    layerkit.layers.Dense(2)(layerkit.Input((3,)))
    graph = K.get_graph()
    config.set_backend(active_backend)
    assert K.get_graph() is not graph
    with pytest.raises(ValueError, match="unknown backend 'torch'"):
        config.set_backend("torch")


def test_floatx_is_the_backends():
    assert config.floatx() == "float32"
    config.set_floatx("float64")
    assert K.floatx() == "float64" == config.floatx()
    assert config.dtype_policy().name == "float64"
    with pytest.raises(ValueError):
        config.set_floatx("int32")
    with pytest.raises(NotImplementedError, match="bfloat16"):
        config.set_floatx("bfloat16")


def test_epsilon():
    assert config.epsilon() == 1e-7
    config.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5
    with pytest.raises(TypeError, match="set_epsilon"):
        config.set_epsilon("small")


def test_image_data_format():
    assert config.image_data_format() == "channels_last"
    config.set_image_data_format("Channels_Last")
    with pytest.raises(NotImplementedError, match="channels_last only"):
        config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="data_format"):
        config.set_image_data_format("nchw")


def test_dtype_policy():
    policy = config.dtype_policy()
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("float32",) * 3
    assert policy.get_config() == {"name": "float32"}
    config.set_dtype_policy("float32")
    config.set_dtype_policy(policy)
    config.set_dtype_policy({"class_name": "DTypePolicy", "config": {"name": "float32"}})
    with pytest.raises(NotImplementedError, match="mixed precision"):
        config.set_dtype_policy("mixed_float16")
    with pytest.raises(NotImplementedError, match="set_floatx"):
        config.set_dtype_policy("float64")
    with pytest.raises(ValueError, match="Invalid `policy`"):
        config.set_dtype_policy(3)


@pytest.mark.parametrize("enable, disable, is_enabled, default", [
    ("enable_traceback_filtering", "disable_traceback_filtering",
     "is_traceback_filtering_enabled", True),
    ("enable_interactive_logging", "disable_interactive_logging",
     "is_interactive_logging_enabled", True),
    ("enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled", None),
])
def test_flags(enable, disable, is_enabled, default):
    assert getattr(config, is_enabled)() == default
    getattr(config, disable)()
    assert getattr(config, is_enabled)() is False
    getattr(config, enable)()
    assert getattr(config, is_enabled)() == default


def test_safe_mode(monkeypatch):
    monkeypatch.setitem(config._flags, "safe_mode", True)  # restored after the test
    assert config.in_safe_mode() is True
    with config.safe_mode_scope(False):
        assert config.in_safe_mode() is False
        with config.safe_mode_scope(True):
            assert config.in_safe_mode() is True
    assert config.in_safe_mode() is True
    config.enable_unsafe_deserialization()
    assert config.in_safe_mode() is False
    with config.safe_mode_scope(True):  # the process-wide switch wins, as in Keras
        assert config.in_safe_mode() is False


def test_features_layerkit_lacks():
    assert config.is_nnx_enabled() is False
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    with pytest.raises(NotImplementedError, match="epochs"):
        config.set_max_epochs(2)
    with pytest.raises(NotImplementedError, match="steps"):
        config.set_max_steps_per_epoch(2)


def test_signatures_take_keras_arguments():
    assert list(inspect.signature(config.set_backend).parameters) == ["backend"]
    assert list(inspect.signature(config.set_image_data_format).parameters) == ["data_format"]
    assert list(inspect.signature(config.set_dtype_policy).parameters) == ["policy"]


# -- slow: against real Keras 3 ----------------------------------------------------------------
def parameters(fn) -> list[list[str]]:
    """``fn``'s parameters as Keras's are compared: name, kind and default (annotations aside)."""
    return [[p.name, p.kind.name, repr(p.default)]
            for p in inspect.signature(fn).parameters.values()]


@pytest.mark.slow
def test_names_and_signatures_match_keras(keras3):
    theirs = keras3("""
        import inspect
        names = [n for n in dir(keras.config) if not n.startswith("_")]
        emit({n: [[p.name, p.kind.name, repr(p.default)]
                  for p in inspect.signature(getattr(keras.config, n)).parameters.values()]
              for n in names})
    """)
    assert sorted(theirs) == KERAS_CONFIG
    assert {n: parameters(getattr(config, n)) for n in KERAS_CONFIG} == theirs
