"""One training benchmark, one (system, workload) pair, in a process of its own.

    python benchmarks/_train_worker.py --system layerkit-jax --workload mlp [--epochs 4]
        [--samples N] [--seed 0] [--predict-reps 3] [--steps-per-execution 1]
        [--source arrays|generator]

Run by ``benchmarks/bench_training.py`` (the driver), which sets ``LAYERKIT_BACKEND`` or
``KERAS_BACKEND`` for the child and interleaves systems; it can also be run by hand. It prints
exactly one JSON line on stdout, the last one (see ``RESULT_FIELDS``).

Systems:

- ``layerkit-jax``, ``layerkit-numpy``: layerkit's Keras API as a user writes it
  (``import layerkit as keras``; ``Sequential``, ``compile``, one ``fit(..., epochs=E,
  verbose=0, shuffle=True)`` call, timed by a callback at each epoch end).
- ``keras3-jax``: the same models and the same calls in Keras 3 (``KERAS_BACKEND=jax``);
  reported as skipped when Keras 3 is not importable.
- ``jax-handwritten``: the jax floor. Pure jax: forward, ``jax.value_and_grad`` and Keras 3's
  Adam written out, in one ``jax.jit`` step ``(params, opt_state, x, y) -> (params, opt_state,
  loss)`` with params and optimizer state donated; batches sliced on the host from a shuffled
  index and fed each step, as ``fit`` does; the loss of each step stays on the device and is
  fetched once per epoch. Written the fast way for XLA:CPU: max pooling as a reshape and a
  max (its gradient costs half of ``lax.reduce_window``'s), the LSTM a ``lax.scan`` whose step
  also does the input projection (hoisting it out as one big product was 2x slower).
- ``numpy-handwritten``: the numpy floor, MLP only: forward, backward and Adam written out in
  float32 numpy, updates in place.

Every system starts from the same initial weights (glorot-uniform kernels, zero biases, the
LSTM's forget-gate bias 1, from one seed; set with ``set_weights`` in the Keras-like systems;
for the layer workloads, made from the model's weight shapes: glorot-uniform for every weight
of rank 2 or more, zeros for vectors but unit ``gamma``s),
trains on the same synthetic data, and the numpy global generator is seeded just before
training, so layerkit's ``fit`` and the two hand-written loops visit the batches in the same
order (Keras 3 shuffles its own way). Each reports the mean training loss of every epoch, and
the wall-clock and CPU seconds (``time.process_time``, all threads) of every epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from typing import Any

import numpy as np

SYSTEMS = ("layerkit-jax", "layerkit-numpy", "jax-handwritten", "numpy-handwritten",
           "keras3-jax")
WORKLOADS = {  # name: (samples, input shape)
    "mlp": (60_000, (784,)),
    "cnn": (10_000, (28, 28, 1)),
    "lstm": (10_000, (50, 32)),
    # Issue 17's layers, Keras-like systems only (no hand-written floor):
    "deconv": (10_000, (28, 28, 1)),  # a strided Conv2D down, a Conv2DTranspose back up
    "depthwise": (10_000, (28, 28, 1)),  # a MobileNet block: depthwise 3x3, pointwise 1x1
    "mha": (10_000, (50, 32)),  # a transformer block: MultiHeadAttention, Add, LayerNorm
}
FLOOR_WORKLOADS = ("mlp", "cnn", "lstm")  # the ones the hand-written systems implement
CLASSES = 10
BATCH = 128
LEARNING_RATE, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-7  # Keras 3's Adam defaults

RESULT_FIELDS = (
    "system", "workload", "ok", "skipped", "error", "samples", "batch_size", "epochs",
    "epoch_seconds", "epoch_cpu_seconds", "first_epoch_s", "epoch_median_s",
    "epoch_cpu_median_s", "samples_per_s", "setup_s",
    "losses", "first_loss", "last_loss", "loss_decreased", "peak_rss_mb", "rss_before_fit_mb",
    "predict_first_s", "predict_median_s", "predict_samples_per_s", "load_avg", "versions",
    "steps_per_execution", "source",
)


# -- shared: data and initial weights ----------------------------------------------------------
def make_data(workload: str, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped float32 inputs in [0, 1) and int32 labels from a fixed random linear
    teacher (so the loss can go down). The first ``k`` samples are the same for every size."""
    shape = WORKLOADS[workload][1]
    x = np.random.default_rng(seed).random((samples, *shape), dtype=np.float32)
    features = int(np.prod(shape))
    teacher = np.random.default_rng(seed + 1).standard_normal((features, CLASSES))
    teacher = teacher.astype(np.float32)
    flat = x.reshape(samples, features)
    y = np.empty(samples, np.int32)
    for start in range(0, samples, 4096):  # in chunks: no transient copy of all of x
        chunk = flat[start:start + 4096] - np.float32(0.5)
        y[start:start + 4096] = np.argmax(chunk @ teacher, axis=1)
    return x, y


def _glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int,
            fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def initial_weights(workload: str, seed: int) -> list[np.ndarray]:
    """The initial weights in Keras's ``get_weights`` order for the workload's model."""
    rng = np.random.default_rng(seed + 2)
    zeros = lambda n: np.zeros(n, np.float32)  # noqa: E731
    if workload == "mlp":
        sizes = (784, 512, 512, CLASSES)
        weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            weights += [_glorot(rng, (fan_in, fan_out), fan_in, fan_out), zeros(fan_out)]
        return weights
    if workload == "cnn":
        return [_glorot(rng, (3, 3, 1, 32), 9 * 1, 9 * 32), zeros(32),
                _glorot(rng, (3, 3, 32, 64), 9 * 32, 9 * 64), zeros(64),
                _glorot(rng, (5 * 5 * 64, CLASSES), 5 * 5 * 64, CLASSES), zeros(CLASSES)]
    units, features = 64, 32
    bias = zeros(4 * units)
    bias[units:2 * units] = 1.0  # Keras's unit_forget_bias (gate order i, f, c, o)
    return [_glorot(rng, (features, 4 * units), features, 4 * units),
            _glorot(rng, (units, 4 * units), units, 4 * units), bias,
            _glorot(rng, (units, CLASSES), units, CLASSES), zeros(CLASSES)]


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _batches(n: int):
    """Shuffled index batches, the last one smaller, as layerkit's ``fit`` makes them."""
    order = np.random.permutation(n)
    for start in range(0, n, BATCH):
        yield order[start:start + BATCH]


def _generator(x: np.ndarray, y: np.ndarray):
    """``--source generator``: an endless Python generator of the batches ``fit`` would
    slice from the arrays (the same shuffled order), for the data-source overhead."""
    while True:
        for index in _batches(len(x)):
            yield x[index], y[index]


def _time_predict(predict, x: np.ndarray, reps: int) -> tuple[float, float]:
    """Seconds of the first predict pass over ``x`` and the median of ``reps`` more."""
    start = time.perf_counter()
    out = predict(x)
    first = time.perf_counter() - start
    assert out.shape == (len(x), CLASSES), out.shape
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        predict(x)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


# -- Keras-like systems: layerkit and Keras 3 --------------------------------------------------
def build_model(keras: Any, workload: str) -> Any:
    layers = keras.layers
    if workload == "mha":
        inputs = keras.Input(shape=WORKLOADS[workload][1])
        attended = layers.MultiHeadAttention(num_heads=4, key_dim=16)(inputs, inputs)
        h = layers.LayerNormalization()(layers.Add()([inputs, attended]))
        h = layers.GlobalAveragePooling1D()(h)
        return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(h))
    if workload == "deconv":
        stack = [layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
                 layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
                 layers.GlobalAveragePooling2D()]
    elif workload == "depthwise":
        stack = [layers.Conv2D(32, 3, activation="relu"),
                 layers.DepthwiseConv2D(3, padding="same", activation="relu"),
                 layers.Conv2D(32, 1, activation="relu"), layers.MaxPooling2D(2),
                 layers.Flatten()]
    elif workload == "mlp":
        stack = [layers.Dense(512, activation="relu"), layers.Dense(512, activation="relu")]
    elif workload == "cnn":
        stack = [layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
                 layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
                 layers.Flatten()]
    else:
        stack = [layers.LSTM(64)]
    return keras.Sequential([keras.Input(shape=WORKLOADS[workload][1]), *stack,
                             layers.Dense(CLASSES, activation="softmax")])


def model_weights(model: Any, seed: int) -> list[np.ndarray]:
    """Initial weights for a model from its weights' shapes and names alone (the same on every
    system): glorot-uniform kernels, zero biases and betas, unit gammas."""
    rng = np.random.default_rng(seed + 2)
    weights = []
    for w in model.weights:
        shape = tuple(w.shape)
        if len(shape) == 1:
            fill = 1.0 if w.path.endswith("gamma") else 0.0
            weights.append(np.full(shape, fill, np.float32))
            continue
        fan_in, fan_out = int(np.prod(shape[:-1])), int(shape[-1])
        weights.append(_glorot(rng, shape, fan_in, fan_out))
    return weights


def run_keras_like(keras: Any, args, x, y, weights, result: dict) -> None:
    start = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    model = build_model(keras, args.workload)
    if weights is None:
        weights = model_weights(model, args.seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy",
                  steps_per_execution=args.steps_per_execution)
    model.set_weights(weights)
    result["setup_s"] = time.perf_counter() - start

    class EpochTimer(keras.callbacks.Callback):
        """Only on_epoch_end: Keras 3 keeps its asynchronous batch dispatch."""

        def __init__(self):
            super().__init__()
            self.ends: list[float] = []
            self.losses: list[float] = []

        def on_epoch_end(self, epoch, logs=None):
            self.losses.append(float(logs["loss"]))
            self.ends.append((time.perf_counter(), time.process_time()))

    timer = EpochTimer()
    result["rss_before_fit_mb"] = rss_mb()
    np.random.seed(args.seed)
    start = (time.perf_counter(), time.process_time())
    if args.source == "generator":
        model.fit(_generator(x, y), steps_per_epoch=-(-len(x) // BATCH), epochs=args.epochs,
                  verbose=0, callbacks=[timer])
    else:
        model.fit(x, y, batch_size=BATCH, epochs=args.epochs, verbose=0, shuffle=True,
                  callbacks=[timer])
    ends = [start, *timer.ends]
    result["epoch_seconds"] = [b[0] - a[0] for a, b in zip(ends[:-1], ends[1:])]
    result["epoch_cpu_seconds"] = [b[1] - a[1] for a, b in zip(ends[:-1], ends[1:])]
    result["losses"] = timer.losses
    if args.workload == "mlp" and args.predict_reps:
        predict = lambda data: model.predict(data, batch_size=BATCH, verbose=0)  # noqa: E731
        result["predict_first_s"], result["predict_median_s"] = _time_predict(
            predict, x, args.predict_reps)


# -- the jax floor -------------------------------------------------------------------------------
def jax_floor(workload: str, precision: Any = None, pool: str = "reshape", gates: str = "split"):
    """The hand-written jax model: ``(train_step, forward, init)``. ``train_step(params,
    opt_state, x, y) -> (params, opt_state, loss)`` is one ``jax.jit`` program with params and
    optimizer state donated; ``init(weights) -> (params, opt_state)``. ``precision`` (of matrix
    products and convolutions), ``pool`` (``"reshape"``, ``"reduce_window"``, or
    ``"layerkit"``: layerkit's own lowering) and ``gates`` (the LSTM's: ``"split"``, or
    ``"slices"``, four column slices as layerkit's LSTM takes them) exist for
    ``profile_training.py``'s variants; the benchmark uses the defaults."""
    from functools import partial

    import jax
    import jax.numpy as jnp
    from jax import lax

    def dense(h, w, b):
        return jnp.dot(h, w, precision=precision) + b

    def max_pool_2x2(h):
        if pool == "reduce_window":
            return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        if pool == "layerkit":
            from layerkit_backend.jax.ops.nn import _max_pool

            return _max_pool(h, (2, 2), (2, 2), "valid")
        # A reshape and a max: on XLA:CPU its gradient costs half of lax.reduce_window's.
        batch, rows, cols, channels = h.shape
        h = h[:, :rows // 2 * 2, :cols // 2 * 2]
        return h.reshape(batch, rows // 2, 2, cols // 2, 2, channels).max(axis=(2, 4))

    def forward(params, xb):
        if workload == "mlp":
            w1, b1, w2, b2, w3, b3 = params
            h = jax.nn.relu(dense(xb, w1, b1))
            h = jax.nn.relu(dense(h, w2, b2))
            return dense(h, w3, b3)
        if workload == "cnn":
            k1, c1, k2, c2, w, b = params
            h = xb
            for kernel, bias in ((k1, c1), (k2, c2)):
                h = lax.conv_general_dilated(h, kernel, (1, 1), "VALID",
                                             dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                             precision=precision)
                h = jax.nn.relu(h + bias)
                h = max_pool_2x2(h)
            return dense(h.reshape(h.shape[0], -1), w, b)
        kernel, recurrent, bias, w, b = params
        units = recurrent.shape[0]

        def cell(carry, x_t):
            h, c = carry
            z = (jnp.dot(x_t, kernel, precision=precision)
                 + jnp.dot(h, recurrent, precision=precision) + bias)
            if gates == "split":
                i, f, g, o = jnp.split(z, 4, axis=-1)
            else:
                i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((xb.shape[0], units), xb.dtype)
        (h, _), _ = lax.scan(cell, (zeros, zeros), jnp.swapaxes(xb, 0, 1))
        return dense(h, w, b)

    def loss_fn(params, xb, yb):
        log_probs = jax.nn.log_softmax(forward(params, xb))
        return -jnp.mean(jnp.take_along_axis(log_probs, yb[:, None], axis=1))

    @partial(jax.jit, donate_argnums=(0, 1))
    def train_step(params, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        m, v, t = opt_state
        t = t + 1
        lr_t = LEARNING_RATE * jnp.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
        m = [a + (g - a) * (1 - BETA1) for a, g in zip(m, grads)]
        v = [a + (g * g - a) * (1 - BETA2) for a, g in zip(v, grads)]
        params = [p - lr_t * a / (jnp.sqrt(s) + EPSILON) for p, a, s in zip(params, m, v)]
        return params, (m, v, t), loss

    def init(weights):
        params = [jnp.asarray(w) for w in weights]
        return params, ([jnp.zeros_like(p) for p in params],
                        [jnp.zeros_like(p) for p in params], jnp.zeros((), jnp.float32))

    return train_step, forward, init


def run_jax_handwritten(args, x, y, weights, result: dict) -> None:
    import jax

    start = time.perf_counter()
    train_step, forward, init = jax_floor(args.workload)
    params, opt_state = init(weights)
    result["setup_s"] = time.perf_counter() - start
    result["rss_before_fit_mb"] = rss_mb()
    np.random.seed(args.seed)
    n = len(x)
    epoch_seconds, cpu_seconds, losses = [], [], []
    for _ in range(args.epochs):
        start, cpu = time.perf_counter(), time.process_time()
        step_losses, sizes = [], []
        for index in _batches(n):
            params, opt_state, loss = train_step(params, opt_state, x[index], y[index])
            step_losses.append(loss)
            sizes.append(len(index))
        fetched = np.asarray(jax.device_get(step_losses), np.float64)  # waits for the epoch
        losses.append(float(np.dot(fetched, sizes) / n))
        epoch_seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu)
    result["epoch_seconds"], result["epoch_cpu_seconds"] = epoch_seconds, cpu_seconds
    result["losses"] = losses

    if args.workload == "mlp" and args.predict_reps:
        probabilities = jax.jit(lambda p, xb: jax.nn.softmax(forward(p, xb)))

        def predict(data):
            return np.concatenate([np.asarray(probabilities(params, data[i:i + BATCH]))
                                   for i in range(0, len(data), BATCH)])

        result["predict_first_s"], result["predict_median_s"] = _time_predict(
            predict, x, args.predict_reps)


# -- the numpy floor (MLP) -------------------------------------------------------------------------
class NumpyMLP:
    """784-512-512-10 relu MLP, softmax cross-entropy, Keras 3's Adam; float32, in place."""

    def __init__(self, weights: list[np.ndarray]):
        self.params = [w.copy() for w in weights]
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.scratch = [np.empty_like(w) for w in weights]
        self.t = 0

    def forward(self, xb: np.ndarray) -> list[np.ndarray]:
        w1, b1, w2, b2, w3, b3 = self.params
        h1 = xb @ w1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ w2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        logits = h2 @ w3
        logits += b3
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return [h1, h2, logits]  # logits now holds the probabilities

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        loss, grads = self.gradients(xb, yb)
        self.apply(grads)
        return loss

    def gradients(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, list[np.ndarray]]:
        h1, h2, probs = self.forward(xb)
        rows = np.arange(len(yb))
        loss = float(-np.mean(np.log(probs[rows, yb])))
        d = probs
        d[rows, yb] -= 1.0
        d /= np.float32(len(yb))
        _, _, w2, _, w3, _ = self.params
        grads = [None] * 6
        grads[4], grads[5] = h2.T @ d, d.sum(axis=0)
        dh = d @ w3.T
        dh *= h2 > 0
        grads[2], grads[3] = h1.T @ dh, dh.sum(axis=0)
        dh = dh @ w2.T
        dh *= h1 > 0
        grads[0], grads[1] = xb.T @ dh, dh.sum(axis=0)  # no gradient for xb: not needed
        return loss, grads

    def apply(self, grads: list[np.ndarray]) -> None:
        """Adam, in place, through one scratch buffer per weight."""
        self.t += 1
        lr_t = np.float32(LEARNING_RATE * np.sqrt(1 - BETA2 ** self.t) / (1 - BETA1 ** self.t))
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.scratch):
            np.subtract(g, m, out=tmp)  # m += (g - m) * (1 - beta1)
            tmp *= np.float32(1 - BETA1)
            m += tmp
            np.square(g, out=tmp)  # v += (g * g - v) * (1 - beta2)
            tmp -= v
            tmp *= np.float32(1 - BETA2)
            v += tmp
            np.sqrt(v, out=tmp)  # p -= lr_t * m / (sqrt(v) + epsilon)
            tmp += np.float32(EPSILON)
            np.divide(m, tmp, out=tmp)
            tmp *= lr_t
            p -= tmp


def run_numpy_handwritten(args, x, y, weights, result: dict) -> None:
    if args.workload != "mlp":
        result["skipped"] = "the hand-written numpy floor exists for the MLP only"
        return
    start = time.perf_counter()
    model = NumpyMLP(weights)
    result["setup_s"] = time.perf_counter() - start
    result["rss_before_fit_mb"] = rss_mb()
    np.random.seed(args.seed)
    n = len(x)
    epoch_seconds, cpu_seconds, losses = [], [], []
    for _ in range(args.epochs):
        start, cpu = time.perf_counter(), time.process_time()
        total = 0.0
        for index in _batches(n):
            total += model.step(x[index], y[index]) * len(index)
        losses.append(total / n)
        epoch_seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu)
    result["epoch_seconds"], result["epoch_cpu_seconds"] = epoch_seconds, cpu_seconds
    result["losses"] = losses
    if args.predict_reps:
        def predict(data):
            return np.concatenate([model.forward(data[i:i + BATCH])[2]
                                   for i in range(0, len(data), BATCH)])

        result["predict_first_s"], result["predict_median_s"] = _time_predict(
            predict, x, args.predict_reps)


# -- main ----------------------------------------------------------------------------------------
def _versions(system: str) -> dict[str, str]:
    import importlib.metadata as metadata

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    names = {"layerkit-jax": ("jax", "jaxlib"), "jax-handwritten": ("jax", "jaxlib"),
             "keras3-jax": ("jax", "jaxlib", "keras")}.get(system, ())
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def run(args) -> dict[str, Any]:
    samples = args.samples or WORKLOADS[args.workload][0]
    result: dict[str, Any] = {k: None for k in RESULT_FIELDS}
    result.update(system=args.system, workload=args.workload, ok=False, samples=samples,
                  batch_size=BATCH, epochs=args.epochs, load_avg=list(os.getloadavg()),
                  steps_per_execution=args.steps_per_execution, source=args.source)
    x, y = make_data(args.workload, samples, args.seed)
    if args.workload not in FLOOR_WORKLOADS and args.system.endswith("-handwritten"):
        result["skipped"] = f"{args.system} has no {args.workload} model (a layer workload)"
        return result
    weights = initial_weights(args.workload, args.seed) if args.workload in FLOOR_WORKLOADS \
        else None  # made from the model's own weight shapes
    if args.system.startswith("layerkit-"):
        os.environ["LAYERKIT_BACKEND"] = args.system.split("-", 1)[1]
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import layerkit as keras
        import layerkit_backend

        assert layerkit_backend.backend().name == os.environ["LAYERKIT_BACKEND"]
        run_keras_like(keras, args, x, y, weights, result)
    elif args.system == "keras3-jax":
        os.environ["KERAS_BACKEND"] = "jax"
        try:
            import keras
        except ImportError as error:
            result["skipped"] = f"Keras 3 is not importable ({error})"
            return result
        if not keras.__version__.startswith("3.") or keras.backend.backend() != "jax":
            result["skipped"] = (f"keras {keras.__version__} on {keras.backend.backend()} "
                                 "is not Keras 3 on jax")
            return result
        run_keras_like(keras, args, x, y, weights, result)
    elif args.system == "jax-handwritten":
        run_jax_handwritten(args, x, y, weights, result)
    elif args.system == "numpy-handwritten":
        run_numpy_handwritten(args, x, y, weights, result)
    if result["skipped"]:
        return result
    epochs = result["epoch_seconds"]
    timed = epochs[1:] or epochs  # after the warm-up (first) epoch
    result["first_epoch_s"] = epochs[0]
    result["epoch_median_s"] = statistics.median(timed)
    cpu = result["epoch_cpu_seconds"]
    result["epoch_cpu_median_s"] = statistics.median(cpu[1:] or cpu)
    result["samples_per_s"] = samples / result["epoch_median_s"]
    losses = result["losses"]
    result["first_loss"], result["last_loss"] = losses[0], losses[-1]
    result["loss_decreased"] = bool(len(losses) > 1 and losses[-1] < losses[0])
    if result["predict_median_s"]:
        result["predict_samples_per_s"] = samples / result["predict_median_s"]
    result["peak_rss_mb"] = rss_mb()
    result["versions"] = _versions(args.system)
    result["ok"] = bool(np.all(np.isfinite(losses)))
    if not result["ok"]:
        result["error"] = f"non-finite losses: {losses}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True, choices=SYSTEMS)
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=0, help="0: the workload's default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--predict-reps", type=int, default=3,
                        help="timed predict passes after the first (MLP only; 0: none)")
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="compile(steps_per_execution=N) of the Keras-like systems")
    parser.add_argument("--source", choices=("arrays", "generator"), default="arrays",
                        help="what the Keras-like systems' fit reads: the arrays, or a Python "
                        "generator of the same batches (steps_per_epoch set)")
    args = parser.parse_args()
    try:
        result = run(args)
    except Exception as error:  # reported in the JSON line: the driver goes on
        result = {k: None for k in RESULT_FIELDS}
        result.update(system=args.system, workload=args.workload, ok=False,
                      error=f"{type(error).__name__}: {error}",
                      traceback=traceback.format_exc()[-3000:])
    sys.stdout.flush()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
