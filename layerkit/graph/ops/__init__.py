"""Every op of the core. Each is defined once, with its shape and dtype rule."""

from layerkit.graph.ops import equality  # noqa: F401  (element-wise == and !=)
from layerkit.graph.ops.array import *  # noqa: F403
from layerkit.graph.ops.control import *  # noqa: F403
from layerkit.graph.ops.linalg import *  # noqa: F403
from layerkit.graph.ops.math import *  # noqa: F403
from layerkit.graph.ops.math import abs, max, min, sum  # noqa: A004,F401
from layerkit.graph.ops.nn import *  # noqa: F403
from layerkit.graph.ops.random import *  # noqa: F403
from layerkit.graph.ops.special import *  # noqa: F403
from layerkit.graph.ops.updates import *  # noqa: F403
