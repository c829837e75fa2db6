"""Backend benchmarks: per-call overhead, the slides' training loop, and an MLP training step.

    python benchmarks/bench_backend.py [--steps 50] [--backends numpy,jax]

Reports, for each backend:

- the per-call overhead of a tiny compiled program (``y = x + 1`` on one float), called through
  ``Session.run`` and directly (the compiled program alone);
- the slides' training loop (10 gradient-descent steps on ``W``): first run including
  compilation, then warm;
- a 784-512-512-10 relu MLP training step (softmax cross-entropy, TF1's Adam from
  ``layerkit.compat.v1.train``, batch 128), in ms/step through ``Session.run``.

Next to the MLP it times a hand-written ``jax.jit`` train step of the same model and math (same
initial weights, same Adam formula, one host round trip per step for the loss, as ``Session.run``
does), and the ratio layerkit-jax / hand-written. The target is 1.1x or better.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import layerkit.compat.v1 as tf  # noqa: E402
import layerkit.graph as lk  # noqa: E402
import layerkit_backend  # noqa: E402
from layerkit.graph.program import lower_program  # noqa: E402

BATCH = 128
SIZES = (784, 512, 512, 10)
LEARNING_RATE, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-8


def per_step_ms(step: Callable[[int], object], steps: int, warmup: int = 3) -> float:
    """Mean milliseconds per call of ``step(i)``, after ``warmup`` calls; the best of 3 rounds
    (less noise from other processes on a small machine)."""
    for i in range(warmup):
        step(i)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        best = min(best, (time.perf_counter() - start) / steps * 1e3)
    return best


# -- per-call overhead ------------------------------------------------------------------------
def bench_overhead(backend: str, calls: int) -> tuple[float, float]:
    """µs per call of ``x + 1``: through Session.run, and the compiled program alone."""
    with lk.Graph().as_default():
        x = lk.placeholder("float32", (1,))
        y = x + 1.0
        with lk.Session(backend=backend) as session:
            feed = {x: np.ones(1, np.float32)}
            via_session = per_step_ms(lambda i: session.run(y, feed), calls) * 1e3
        chosen = layerkit_backend.get_backend(backend)
        program = chosen.compile(lower_program([y], [], [x]).spec)
        value = chosen.asarray(np.ones(1), np.dtype("float32"))
        direct = per_step_ms(lambda i: chosen.to_numpy(program({}, [value], i)[0][0]),
                             calls) * 1e3
    return via_session, direct


# -- the slides' loop -------------------------------------------------------------------------
def bench_slides(backend: str) -> tuple[float, float]:
    """Milliseconds for the 10 steps: a fresh session (compiling), then warm."""
    with lk.Graph().as_default():
        x = tf.placeholder(tf.float32, name="x")
        target = tf.placeholder(tf.float32, name="target")
        learning_rate = tf.placeholder(tf.float32, name="learning_rate")
        w = tf.get_variable("W", initializer=[0.2, 0.7])
        y = tf.reduce_sum(x * w)
        loss = tf.pow(target - y, 2.0)
        train_op = tf.train.GradientDescentOptimizer(learning_rate=learning_rate).minimize(loss)
        feed = {x: [1.0, 1.0], target: 20.0, learning_rate: 0.1}

        def ten_steps(session) -> float:
            session.run(tf.global_variables_initializer())
            start = time.perf_counter()
            for _ in range(10):
                result, _ = session.run([y, train_op], feed_dict=feed)
            assert abs(result - 19.807514) < 1e-4, result
            return (time.perf_counter() - start) * 1e3

        with lk.Session(backend=backend) as session:
            cold = ten_steps(session)
            warm = min(ten_steps(session) for _ in range(5))
    return cold, warm


# -- the MLP ----------------------------------------------------------------------------------
def initial_weights(seed: int = 0) -> list[np.ndarray]:
    """Glorot-uniform kernels and zero biases: ``[W1, b1, W2, b2, W3, b3]``."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        weights.append(np.zeros(fan_out, np.float32))
    return weights


def batches(n: int = 16, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(BATCH, SIZES[0])).astype(np.float32),
             rng.integers(0, SIZES[-1], BATCH).astype(np.int32)) for _ in range(n)]


def bench_mlp_layerkit(backend: str, steps: int, data) -> tuple[float, float, float]:
    """ms/step of the layerkit MLP training step through Session.run and through the compiled
    program alone (what the session adds is the difference), and the first step's loss."""
    with lk.Graph().as_default():
        x = tf.placeholder(tf.float32, (None, SIZES[0]))
        labels = tf.placeholder(tf.int32, (None,))
        h = x
        params = [tf.Variable(w, name=f"p{i}") for i, w in enumerate(initial_weights())]
        for i in range(0, len(params), 2):
            h = tf.matmul(h, params[i]) + params[i + 1]
            if i + 2 < len(params):
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                             logits=h))
        train_op = tf.train.AdamOptimizer(LEARNING_RATE, BETA1, BETA2, EPSILON).minimize(loss)
        with lk.Session(backend=backend) as session:
            session.run(tf.global_variables_initializer())
            first = session.run([loss, train_op], {x: data[0][0], labels: data[0][1]})[0]

            def step(i):
                xb, yb = data[i % len(data)]
                session.run([loss, train_op], {x: xb, labels: yb})

            via_session = per_step_ms(step, steps)
            # The same compiled program called directly (session internals: a benchmark only).
            (lowered, program), = [entry for key, entry in session._programs.items() if key[2]]
            chosen = layerkit_backend.get_backend(backend)
            feeds = [[chosen.asarray(xb, np.dtype("float32")),
                      chosen.asarray(yb, np.dtype("int32"))] for xb, yb in data]
            state = [{k: session._state[k] for k in lowered.spec.state_keys}]

            def direct(i):
                fetched, new_state = program(state[0], feeds[i % len(feeds)], i)
                state[0] = {**state[0], **new_state}
                chosen.to_numpy(fetched[0])

            alone = per_step_ms(direct, steps)
    return via_session, alone, float(first)


def bench_mlp_handwritten(steps: int, data) -> tuple[float, float]:
    """ms/step of a hand-written ``jax.jit`` step (the same model, loss and TF1 Adam), and
    the first step's loss."""
    import jax
    import jax.numpy as jnp

    from layerkit_backend.jax.ops.linalg import precision

    def forward(params, x):
        h = x
        for i in range(0, len(params), 2):
            h = jnp.matmul(h, params[i], precision=precision()) + params[i + 1]
            if i + 2 < len(params):
                h = jnp.where(h > 0, h, 0)
        return h

    def loss_fn(params, x, y):
        logits = forward(params, x)
        picked = jax.nn.one_hot(y, SIZES[-1], dtype=logits.dtype)
        return jnp.mean(-jnp.sum(picked * jax.nn.log_softmax(logits), axis=-1))

    @partial(jax.jit, donate_argnums=(0,))
    def train_step(state, x, y):
        params, m, v, b1p, b2p = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        lr_t = LEARNING_RATE * jnp.sqrt(1 - b2p) / (1 - b1p)
        m = [BETA1 * a + (1 - BETA1) * g for a, g in zip(m, grads)]
        v = [BETA2 * a + (1 - BETA2) * g * g for a, g in zip(v, grads)]
        params = [p - lr_t * a / (jnp.sqrt(b) + EPSILON) for p, a, b in zip(params, m, v)]
        return (params, m, v, b1p * BETA1, b2p * BETA2), loss

    weights = [jnp.asarray(w) for w in initial_weights()]
    zeros = [jnp.zeros_like(w) for w in weights]
    holder = [(weights, zeros, [jnp.zeros_like(w) for w in weights],
               jnp.float32(BETA1), jnp.float32(BETA2))]

    def step(i):
        xb, yb = data[i % len(data)]
        holder[0], loss = train_step(holder[0], xb, yb)
        return float(loss)  # one host round trip per step, as Session.run fetching the loss

    first = step(0)
    return per_step_ms(step, steps), first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="timed MLP steps per round")
    parser.add_argument("--backends", default=",".join(layerkit_backend.available_backends()))
    args = parser.parse_args()
    names = args.backends.split(",")
    try:
        import jax

        print(f"jax {jax.__version__} on {', '.join(str(d) for d in jax.devices())}; "
              f"{os.cpu_count()} CPUs")
    except ImportError:
        print(f"jax unavailable; {os.cpu_count()} CPUs")
    data = batches()

    print("\nper-call overhead of `x + 1` (µs/call): Session.run | compiled program alone")
    for name in names:
        via_session, direct = bench_overhead(name, 300)
        print(f"  {name:6s} {via_session:9.1f} | {direct:9.1f}")

    print("\nslides' training loop, 10 steps (ms): first run, compiling | warm")
    for name in names:
        cold, warm = bench_slides(name)
        print(f"  {name:6s} {cold:9.1f} | {warm:9.2f}")

    print(f"\nMLP {'-'.join(map(str, SIZES))} relu, softmax cross-entropy, TF1 Adam, batch "
          f"{BATCH} (ms/step)")
    print("                       Session.run | program alone | first-step loss")
    results = {}
    for name in names:
        steps = args.steps if name == "jax" else max(args.steps // 5, 5)
        results[name] = bench_mlp_layerkit(name, steps, data)
        via_session, alone, loss = results[name]
        print(f"  layerkit-{name:6s}   {via_session:11.2f} | {alone:13.2f} | {loss:.6f}")
    if "jax" in names:
        hand, loss = bench_mlp_handwritten(args.steps, data)
        print(f"  hand-written jax.jit {hand:11.2f} | {hand:13.2f} | {loss:.6f}")
        via_session, alone, _ = results["jax"]
        print(f"  layerkit-jax / hand-written: {via_session / hand:.3f}x through Session.run, "
              f"{alone / hand:.3f}x for the compiled program alone (target <= 1.1x)")


if __name__ == "__main__":
    main()
