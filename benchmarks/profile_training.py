"""Where layerkit's training time goes, for one workload of ``bench_training.py``.

    python benchmarks/profile_training.py --system layerkit-jax --workload cnn
        [--samples N] [--steps 40] [--top 15]

It builds the benchmark's model with layerkit's Keras API (same data, weights and settings as
``_train_worker.py``) and measures, in this one process:

1. the first ``fit`` epoch under cProfile: tracing, lowering, jax tracing and XLA compilation,
   and how many programs were compiled (the last, smaller batch is a second input shape);
2. a warm epoch (timed, then under cProfile: the functions with the most own time);
3. the time per training step at each level of the stack, on the same full batches:

   layerkit-jax
     - ``floor``: the hand-written jax step (``_train_worker.jax_floor``), device-resident
       batches, no per-step sync (pure compute and dispatch); then with the loss fetched every
       step;
     - ``program``: layerkit's compiled train program called directly (as the session calls
       it) with device-resident feeds, no per-step sync; then fetching its logs every step;
     - ``_run_step``: ``Model._run_step`` -- a prepared session run (``make_callable``) with
       its feed checks, the program, the logs fetched and turned into floats;
     - ``fit``: a warm ``fit`` epoch divided by its steps (adds slicing, shuffling, callbacks).
   Differences between consecutive levels say what each layer costs. For the CNN it also
   times floor variants that use layerkit's choices (``precision=HIGHEST`` matrix products and
   convolutions, layerkit's max-pool lowering) to attribute the program's own cost; for the
   LSTM, one that takes the gates as four slices, as layerkit's LSTM does.

   layerkit-numpy
     - the hand-written numpy step (MLP only), ``_run_step`` and ``fit``; and the time in each
       numpy kernel (forward and VJP, by op type) over the warm steps, against the floor's.

It only reads layerkit (and calls private attributes to reach the compiled program): a
profiling aid, not an API.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _train_worker import (  # noqa: E402
    BATCH,
    LEARNING_RATE,
    WORKLOADS,
    NumpyMLP,
    build_model,
    initial_weights,
    jax_floor,
    make_data,
)


def per_step_ms(step, steps: int, sync=None, rounds: int = 3) -> float:
    """Median over ``rounds`` of the mean ms per ``step(i)`` call; ``sync()`` ends a round."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(steps):
            out = step(i)
        if sync is not None:
            sync(out)
        times.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(times)


def profile_call(fn) -> tuple[float, pstats.Stats]:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    fn()
    profiler.disable()
    return time.perf_counter() - start, pstats.Stats(profiler)


def cumulative(stats: pstats.Stats, *needles: str) -> float:
    """Cumulative seconds of the functions whose 'file:function' contains every needle (the
    outermost match only: recursive or nested matches are not counted twice)."""
    best = 0.0
    for (filename, _, name), (_, _, _, cum, _) in stats.stats.items():
        label = f"{filename}:{name}"
        if all(n in label for n in needles):
            best = max(best, cum)
    return best


def top(stats: pstats.Stats, count: int, key: str = "tottime") -> str:
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats(key).print_stats(count)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(line[:150] for line in lines[start:] if line.strip())


def fixed_batches(x, y, steps: int):
    count = max(1, min(steps, len(x) // BATCH))
    return [(x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", choices=("layerkit-jax", "layerkit-numpy"),
                        default="layerkit-jax")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="mlp")
    parser.add_argument("--samples", type=int, default=0, help="0: the workload's default")
    parser.add_argument("--steps", type=int, default=40, help="steps per level and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--top", type=int, default=15, help="functions listed by own time")
    args = parser.parse_args()
    backend_name = args.system.split("-", 1)[1]
    os.environ["LAYERKIT_BACKEND"] = backend_name
    import layerkit as keras
    import layerkit_backend
    from layerkit import backend as K

    samples = args.samples or WORKLOADS[args.workload][0]
    x, y = make_data(args.workload, samples, 0)
    weights = initial_weights(args.workload, 0)
    keras.utils.set_random_seed(0)
    model = build_model(keras, args.workload)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy")
    model.set_weights(weights)
    backend = layerkit_backend.backend()
    steps_per_epoch = -(-samples // BATCH)
    print(f"{args.system} {args.workload}: {samples:,} samples, {steps_per_epoch} steps per "
          f"epoch (last batch {samples - (steps_per_epoch - 1) * BATCH}); load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    def epoch():
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)

    # 1. The first epoch.
    first_s, stats = profile_call(epoch)
    print(f"\n== first epoch (under cProfile): {first_s:.2f} s")
    parts = [("Trainer._trace (layer graph, gradients, optimizer)", ("trainer.py", "_trace")),
             ("Session._program (lowering + program object)", ("session.py", "_program")),
             ("lower_program", ("program.py", "lower_program"))]
    if backend_name == "jax":
        parts += [("JaxProgram._trace (jax traces layerkit's program)",
                   ("jax/program.py", "_trace")),
                  ("XLA compilation (backend_compile)", ("compiler.py", "backend_compile")),
                  ("jax lowering to StableHLO (lower_jaxpr_to_module)",
                   ("mlir.py", "lower_jaxpr_to_module"))]
    for label, needles in parts:
        print(f"  {label:58s} {cumulative(stats, *needles):7.2f} s")
    if backend_name == "jax":
        print(f"  programs compiled so far: {backend.compilations} (train for each batch size, "
              "none for the sparse-label check)")

    # 2. A warm epoch, timed then profiled.
    compiled_before = getattr(backend, "compilations", 0)
    start = time.perf_counter()
    epoch()
    warm_s = time.perf_counter() - start
    print(f"\n== warm epoch: {warm_s:.2f} s = {warm_s / steps_per_epoch * 1e3:.2f} ms/step; "
          f"new compilations: {getattr(backend, 'compilations', 0) - compiled_before}")
    profiled_s, stats = profile_call(epoch)
    print(f"warm epoch under cProfile: {profiled_s:.2f} s; by own time:")
    print(top(stats, args.top))

    # 3. Levels, measured in interleaved rounds so that machine noise hits them all.
    batches = fixed_batches(x, y, args.steps)
    steps = args.steps
    candidates: list[tuple[str, Any, Any, int]] = []  # label, step(i), sync(out), calls
    if backend_name == "jax":
        candidates += jax_candidates(model, K.get_session(), backend, batches, args.workload,
                                     weights)
    elif args.workload == "mlp":
        floor = NumpyMLP(weights)
        candidates.append(("numpy floor: hand-written step",
                           lambda i: floor.step(*batches[i % len(batches)]), None, steps))

    def run_step(i):
        xb, yb = batches[i % len(batches)]
        return model._run_step("train", [xb], [yb])

    candidates.append(("Model._run_step (prepared run + logs to floats)", run_step, None, steps))
    candidates.append(("fit, warm epoch / steps", lambda i: epoch(), None, 1))
    if backend_name == "jax":
        candidates = [c for c in candidates if not c[0].startswith("  variant")] + \
            [c for c in candidates if c[0].startswith("  variant")]
    print(f"\n== ms per training step, full batches of {BATCH}: median of {args.rounds} "
          f"interleaved rounds of {steps} steps (fit: one epoch)")
    times = {label: [] for label, *_ in candidates}
    for _ in range(args.rounds):
        for label, step, sync, calls in candidates:
            begin = time.perf_counter()
            for i in range(calls if calls > 1 else 1):
                out = step(i)
            if sync is not None:
                sync(out)
            per = (steps_per_epoch if calls == 1 else calls)
            times[label].append((time.perf_counter() - begin) / per * 1e3)
    base = previous = None
    for label, *_ in candidates:
        ms = statistics.median(times[label])
        spread = f"[{min(times[label]):.2f}-{max(times[label]):.2f}]"
        if label.startswith("  variant"):  # a floor variant: compared with the floor
            print(f"  {label:60s} {ms:8.2f} {spread:>17s}  ({ms - base:+.2f} vs the floor)")
            continue
        delta = "" if previous is None else f"  ({ms - previous:+.2f})"
        print(f"  {label:60s} {ms:8.2f} {spread:>17s}{delta}")
        base = ms if base is None else base
        previous = ms
    if backend_name == "numpy":
        timings = instrument_numpy_kernels()
        start = time.perf_counter()
        for i in range(steps):
            run_step(i)
        whole = (time.perf_counter() - start) / steps * 1e3
        report_numpy_kernels(timings, steps, whole, batches,
                             weights if args.workload == "mlp" else None, steps)


# -- jax --------------------------------------------------------------------------------------
def jax_candidates(model, session, backend, batches, workload, weights):
    import jax
    import jax.numpy as jnp

    candidates = []
    device = [(jnp.asarray(xb), jnp.asarray(yb)) for xb, yb in batches]
    block = jax.block_until_ready
    steps = len(batches)

    def floor_step(**variant):
        train_step, _, init = jax_floor(workload, **variant)
        holder = list(init(weights))

        def step(i, feeds=device):
            xb, yb = feeds[i % len(feeds)]
            holder[0], holder[1], loss = train_step(holder[0], holder[1], xb, yb)
            return loss

        block(step(0))
        return step

    step = floor_step()
    candidates += [
        ("jax floor: device batches, no per-step sync", step, block, steps),
        ("jax floor: host batches (as fit feeds), no per-step sync",
         lambda i: step(i, batches), block, steps),
        ("jax floor: host batches, loss fetched every step",
         lambda i: float(step(i, batches)), None, steps),
    ]
    from layerkit_backend.jax.ops.linalg import precision

    variants = [("  variant: precision=HIGHEST", {"precision": precision()})]
    if workload == "lstm":
        variants.append(("  variant: gates as four slices (as layerkit's LSTM)",
                         {"gates": "slices"}))
    if workload == "cnn":
        variants += [
            ("  variant: layerkit's max pool", {"pool": "layerkit"}),
            ("  variant: lax.reduce_window max pool", {"pool": "reduce_window"}),
            ("  variant: both layerkit choices", {"precision": precision(), "pool": "layerkit"}),
        ]
    for label, variant in variants:
        candidates.append((label, floor_step(**variant), block, steps))

    # layerkit's compiled train program, called as Session.run calls it.
    model._run_step("train", [batches[0][0]], [batches[0][1]])
    program_entry = next(p for key, p in model._programs.items() if key[0] == "train")
    (lowered, program), = [entry for key, entry in session._programs.items()
                           if program_entry.run in key[1]]
    values = {program_entry.inputs[0]: None, program_entry.targets[0]: None,
              program_entry.batch_size: np.float32(BATCH)}
    feeds = []
    for xb, yb in batches:
        values[program_entry.inputs[0]], values[program_entry.targets[0]] = xb, yb
        feeds.append([backend.asarray(values[p], p.dtype) for p in lowered.placeholders])
    print(f"  (layerkit's train program: {len(lowered.spec.function.nodes)} IR nodes, "
          f"{len(lowered.placeholders)} feeds, {len(lowered.variables)} state values, "
          f"{lowered.spec.n_fetches} fetched)")
    keys = [v.key for v in lowered.variables]

    def direct(i):
        # The session's state is read and written back at each call, so Session.run and
        # fit (interleaved with this) always see the current, undonated buffers.
        state = {k: session._state[k] for k in keys}
        fetched, new_state = program(state, feeds[i % len(feeds)], 1000 + i)
        session._state.update(new_state)
        return fetched

    candidates += [
        ("layerkit program: device feeds, no per-step sync", direct, block, steps),
        ("layerkit program: device feeds, logs fetched every step",
         lambda i: [backend.to_numpy(v) for v in direct(i)], None, steps),
    ]
    return candidates


# -- numpy ------------------------------------------------------------------------------------
def instrument_numpy_kernels() -> dict[str, dict[str, float]]:
    """Wrap every numpy kernel's forward and VJP to add up their time by op type."""
    from layerkit_backend.numpy.registry import KERNELS

    timings = {"forward": defaultdict(float), "vjp": defaultdict(float)}

    def timed(fn, table, name):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                table[name] += time.perf_counter() - start
        return wrapper

    for name, kernel in KERNELS.items():
        kernel.forward = timed(kernel.forward, timings["forward"], name)
        if kernel.vjp is not None:
            kernel.vjp = timed(kernel.vjp, timings["vjp"], name)
    return timings


def adam_ms(timings, calls: int) -> float:
    ops = ("adam_update", "subtract", "add", "multiply", "sqrt", "divide", "square", "power")
    return sum(timings["forward"].get(op, 0.0) for op in ops) / calls * 1e3


def report_numpy_kernels(timings, calls: int, whole: float, batches, weights,
                         steps: int) -> None:
    """Kernel time per ``_run_step`` call, by op type, over ``calls`` calls."""
    rows = [(f"{kind} {name}", seconds / calls * 1e3)
            for kind, table in timings.items() for name, seconds in table.items()]
    rows.sort(key=lambda r: -r[1])
    total = sum(ms for _, ms in rows)
    print(f"\n== numpy kernels over {calls} more _run_step calls ({whole:.2f} ms each, kernels "
          f"timed): {total:.2f} ms per step in kernels; the rest is the interpreter (planning "
          "is cached), feeds and logs")
    for label, ms in rows[:20]:
        print(f"  {label:40s} {ms:7.3f}")
    if weights is not None:
        floor = NumpyMLP(weights)
        xb, yb = batches[0]
        forward = per_step_ms(lambda i: floor.forward(xb), steps)
        backward = per_step_ms(lambda i: floor.gradients(xb, yb), steps) - forward
        _, grads = floor.gradients(xb, yb)
        adam = per_step_ms(lambda i: floor.apply(grads), steps)
        print(f"\n  the hand-written floor's step by part (ms): forward {forward:.2f}, backward "
              f"{backward:.2f}, Adam {adam:.2f}, total {forward + backward + adam:.2f}")
        print(f"  layerkit's Adam and elementwise kernels (adam_update, subtract, add, multiply, "
              f"sqrt, divide, square, power): {adam_ms(timings, calls):.2f} ms")


if __name__ == "__main__":
    main()
