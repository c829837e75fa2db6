"""The graph core: symbolic tensors, ops with shape inference, variables, gradients, programs."""

from layerkit.graph import dtypes, ops
from layerkit.graph.errors import FailedPreconditionError, InvalidArgumentError, OpError
from layerkit.graph.gradients import gradients
from layerkit.graph.graph import (
    Graph,
    Operation,
    Tensor,
    control_dependencies,
    get_default_graph,
    name_scope,
    reset_default_graph,
)
from layerkit.graph.opdef import constant, convert_to_tensor
from layerkit.graph.ops.nn import window_output_size
from layerkit.graph.pure import (
    PureFunction,
    cached_pure,
    new_values,
    pure_function,
    signature_of,
    values_by_key,
)
from layerkit.graph.rewrite import substitute
from layerkit.graph.session import InteractiveSession, PreparedRun, Session, get_default_session
from layerkit.graph.shapes import format_shape
from layerkit.graph.variables import (
    Variable,
    assign,
    assigns_since,
    global_variables,
    global_variables_initializer,
    group,
    no_op,
    one_write_per_variable,
    placeholder,
    trainable_variables,
    variables_initializer,
)

__all__ = [
    "FailedPreconditionError", "Graph", "InteractiveSession", "InvalidArgumentError", "OpError",
    "Operation", "PreparedRun", "PureFunction", "Session", "Tensor", "Variable", "assign",
    "assigns_since", "cached_pure", "constant", "control_dependencies", "convert_to_tensor",
    "dtypes", "format_shape", "get_default_graph", "get_default_session", "global_variables",
    "global_variables_initializer", "gradients", "group", "name_scope", "new_values", "no_op",
    "one_write_per_variable", "ops", "placeholder", "pure_function", "reset_default_graph",
    "signature_of", "substitute", "trainable_variables", "values_by_key", "variables_initializer",
    "window_output_size",
]
