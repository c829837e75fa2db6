"""``layerkit.ops``: Keras 3's op namespace (``keras.ops``), symbolic and eager.

Every function works on symbolic tensors (inside a layer's ``call``, a loss, a metric: it builds
graph ops) and on values (numpy arrays, Python numbers, results of other ops: it computes now on
the active backend and returns an ``EagerArray``, a numpy array with Keras's ``.numpy()``). Dtypes
follow Keras's promotion rules (``layerkit.ops.dtypes``). The namespaces mirror Keras's:
``ops.nn``, ``ops.linalg``, ``ops.image``, ``ops.numpy``, ``ops.core``; the top level has the
numpy-like ops, the core ops and the nn ops, as ``keras.ops`` does.
"""

from layerkit.ops import core, image, linalg, nn, numpy  # noqa: F401
from layerkit.ops.core import *  # noqa: F403
from layerkit.ops.core import map, slice  # noqa: A004,F401
from layerkit.ops.nn import *  # noqa: F403
from layerkit.ops.numpy import *  # noqa: F403
from layerkit.ops.numpy import abs, all, any, max, min, round, sum  # noqa: A004,F401
