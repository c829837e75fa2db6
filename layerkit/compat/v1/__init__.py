"""TensorFlow 1's graph-mode API over the layerkit core: ``import layerkit.compat.v1 as tf``.

Build a graph with placeholders, variables and ops, then run parts of it in a ``Session``::

    import layerkit.compat.v1 as tf

    a = tf.placeholder(tf.float32, name="a")
    b = tf.placeholder(tf.float32, name="b")
    with tf.Session() as sess:
        print("Result:", sess.run(a + b, feed_dict={a: 4, b: 5}))   # Result: 9.0

Names, signatures, defaults and behaviours follow TF1's documentation: a new session starts with
uninitialized variables, every read in one run sees the values from before the run, optimizer
updates are applied when the run ends, and the optimizers use TF1's own update formulas.
Programs run on the active layerkit backend (``layerkit_backend.set_backend``).
"""

from __future__ import annotations

import re
from typing import Any

from layerkit.compat.v1 import (
    contrib,
    errors,
    initializers,
    layers,
    losses,
    metrics,
    nn,
    summary,
    train,
)
from layerkit.compat.v1 import rnn as _rnn
from layerkit.compat.v1 import rnn_cell as _rnn_cell
from layerkit.compat.v1.app import app, flags, gfile, logging
from layerkit.compat.v1.data import data
from layerkit.compat.v1.functions import *  # noqa: F403 - TF1's top-level functions
from layerkit.compat.v1.initializers import Constant as constant_initializer
from layerkit.compat.v1.initializers import GlorotNormal as glorot_normal_initializer
from layerkit.compat.v1.initializers import GlorotUniform as glorot_uniform_initializer
from layerkit.compat.v1.initializers import Ones as ones_initializer
from layerkit.compat.v1.initializers import RandomNormal as random_normal_initializer
from layerkit.compat.v1.initializers import RandomUniform as random_uniform_initializer
from layerkit.compat.v1.initializers import TruncatedNormal as truncated_normal_initializer
from layerkit.compat.v1.initializers import VarianceScaling as variance_scaling_initializer
from layerkit.compat.v1.initializers import Zeros as zeros_initializer
from layerkit.compat.v1.session import InteractiveSession, Session
from layerkit.compat.v1.variables import (
    AUTO_REUSE,
    Variable,
    VariableScope,
    assign,
    assign_add,
    assign_sub,
    get_variable,
    get_variable_scope,
    variable_scope,
)
from layerkit.graph import dtypes as _dtypes
from layerkit.graph import shapes as _shapes
from layerkit.graph import variables as _core_variables
from layerkit.graph.gradients import gradients as _core_gradients
from layerkit.graph.graph import (
    Graph,
    Operation,
    Tensor,
    control_dependencies,
    get_default_graph,
    reset_default_graph,
)
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.session import get_default_session
from layerkit.graph.variables import (
    global_variables_initializer,
    group,
    no_op,
    placeholder,
    variables_initializer,
)

# -- dtypes (numpy dtypes, which is what tensors carry) -------------------------------------------
float16 = half = _dtypes.float16
float32 = _dtypes.float32
float64 = double = _dtypes.float64
int32 = _dtypes.int32
int64 = _dtypes.int64
uint8 = _dtypes.uint8
bool = _dtypes.bool_  # noqa: A001 - TF1's name
as_dtype = _dtypes.as_dtype
TensorShape = _shapes.TensorShapeV1  # TensorFlow 1's: indexing gives Dimension objects
Dimension = _shapes.Dimension
newaxis = None


class RunOptions:
    """``tf.RunOptions``: accepted by ``Session.run(options=...)``; layerkit records no traces,
    so the trace level changes nothing."""

    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3

    def __init__(self, trace_level: int = 0, timeout_in_ms: int = 0, **kwargs: Any):
        self.trace_level, self.timeout_in_ms = trace_level, timeout_in_ms


class RunMetadata:
    """``tf.RunMetadata``: stays empty (no step stats or cost graph are recorded)."""

    def __init__(self) -> None:
        self.step_stats = None
        self.cost_graph = None
        self.partition_graphs: list[Any] = []


class GraphKeys:
    """The standard collection names."""

    GLOBAL_VARIABLES = _core_variables.GLOBAL_VARIABLES
    TRAINABLE_VARIABLES = _core_variables.TRAINABLE_VARIABLES
    LOCAL_VARIABLES = "local_variables"
    SUMMARIES = summary.SUMMARIES
    GLOBAL_STEP = train.GLOBAL_STEP
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"



# ``tf.nn`` also holds TF1's RNN API; it lives in modules of its own, which use ``nn``'s ops.
nn.rnn_cell = _rnn_cell
nn.dynamic_rnn, nn.static_rnn = _rnn.dynamic_rnn, _rnn.static_rnn
nn.bidirectional_dynamic_rnn = _rnn.bidirectional_dynamic_rnn
nn.static_bidirectional_rnn = _rnn.static_bidirectional_rnn

def get_collection(key: str, scope: str | None = None) -> list[Any]:
    """The items of the default graph's collection ``key`` (those whose name matches ``scope``
    from the start, when given)."""
    return _filter(get_default_graph().get_collection(key), scope)


def add_to_collection(name: str, value: Any) -> None:
    """Add ``value`` to the default graph's collection ``name``."""
    get_default_graph().add_to_collection(name, value)


def _filter(items: list[Any], scope: str | None) -> list[Any]:
    if scope is None:
        return items
    pattern = re.compile(scope)
    return [v for v in items if pattern.match(getattr(v, "name", "") or "")]


def global_variables(scope: str | None = None) -> list[Variable]:
    """Every variable of the default graph (optionally those whose name matches ``scope``)."""
    return _filter(_core_variables.global_variables(), scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    """The trainable variables of the default graph (the ones optimizers update by default)."""
    return _filter(_core_variables.trainable_variables(), scope)


all_variables = global_variables


def local_variables(scope: str | None = None) -> list[Variable]:
    """The local variables: the state of ``tf.metrics``."""
    return get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def local_variables_initializer() -> Operation:
    """An op initializing the local variables (``tf.metrics``' state)."""
    return variables_initializer(local_variables(), name="init_1")


initialize_all_variables = global_variables_initializer


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: str = "gradients",
              colocate_gradients_with_ops: bool = False, gate_gradients: bool = False,
              aggregation_method: Any = None, stop_gradients: Any = None,
              unconnected_gradients: str = "none") -> list[Tensor | None]:
    """Symbolic gradients of ``sum(ys)`` with respect to each of ``xs`` (None where x does not
    affect ys, or zeros with ``unconnected_gradients="zero"``)."""
    if stop_gradients is not None:
        raise NotImplementedError("gradients(stop_gradients=...) is not supported; wrap the "
                                  "tensors in tf.stop_gradient instead")
    result = _core_gradients(ys, xs, grad_ys=grad_ys, name=name)
    if str(unconnected_gradients).lower().endswith("zero"):
        xs_list = xs if isinstance(xs, list | tuple) else [xs]
        result = [zeros_like(x) if g is None else g for g, x in zip(result, xs_list)]  # noqa: F405
    return result


class ConfigProto:
    """Session options: accepted and ignored (devices are chosen by the backend)."""

    def __init__(self, **kwargs: Any):
        self.__dict__.update(kwargs)
        self.gpu_options = kwargs.get("gpu_options", GPUOptions())


class GPUOptions:
    """GPU options: accepted and ignored (see ``ConfigProto``)."""

    def __init__(self, **kwargs: Any):
        self.allow_growth = False
        self.__dict__.update(kwargs)
