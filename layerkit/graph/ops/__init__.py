"""Every op of the core. Each is defined once, with its shape and dtype rule."""

from layerkit.graph.ops.math import *  # noqa: F403
from layerkit.graph.ops.math import abs, max, min, sum  # noqa: A004,F401
