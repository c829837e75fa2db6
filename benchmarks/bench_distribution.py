"""Data-parallel training throughput against the number of devices, on forced CPU devices.

    python benchmarks/bench_distribution.py [--devices 1,2,4] [--samples 16384] [--batch 128]
        [--epochs 3] [--rounds 2] [--json out.json] [--plot figure.svg] [--quick]
    python benchmarks/bench_distribution.py --report out.json [--plot figure.svg]

The workload is ``bench_training.py``'s MLP (784-512-512-10 relu, softmax, Adam, sparse
categorical cross-entropy, synthetic MNIST-shaped data, the same initial weights everywhere).
Each run is a child process (JAX fixes its devices when it starts) with
``XLA_FLAGS=--xla_force_host_platform_device_count=N``: N CPU "devices" in one process, under
``DataParallel`` over all of them, fed the same global batches of ``--batch`` samples (split
N ways: a constant global batch, i.e. strong scaling). A run without any distribution on one
device is the baseline. Runs interleave (forwards, then backwards) over ``--rounds``.

Forced CPU devices share the machine's cores: they show that the sharded program runs and what
its overhead is, not a speed-up a machine with N real devices would give. Reported per
configuration: the median epoch after the first (which compiles), samples per second, the
ratio to the baseline, and the loss (equal across configurations: same batches, same weights).
``--json`` (default ``benchmarks/results/distribution-DATE.json``) keeps every run; ``--plot``
draws samples/s against device count (SVG; needs matplotlib).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

BASELINE = "none"  # the configuration without a distribution


# -- the child: one configuration ------------------------------------------------------------
def run_worker(config: str, samples: int, batch: int, epochs: int) -> dict[str, Any]:
    """Train the MLP under ``config`` (``none`` or a device count) and time each epoch."""
    sys.path.insert(0, ROOT)
    import numpy as np
    from _train_worker import build_model, initial_weights, make_data

    import layerkit as keras

    x, y = make_data("mlp", samples, seed=0)
    if config != BASELINE:
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    keras.utils.set_random_seed(0)
    model = build_model(keras, "mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    model.set_weights(initial_weights("mlp", seed=0))
    ends: list[float] = []
    losses: list[float] = []
    timer = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: (
        ends.append(time.perf_counter()), losses.append(float(logs["loss"]))))
    np.random.seed(0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[timer])
    seconds = [b - a for a, b in zip([start, *ends[:-1]], ends)]
    later = seconds[1:] or seconds
    return {"config": config, "devices": len(keras.distribution.list_devices()),
            "samples": samples, "batch": batch, "epoch_seconds": seconds,
            "epoch_median_s": statistics.median(later),
            "samples_per_s": samples / statistics.median(later), "losses": losses,
            "load_avg": list(os.getloadavg())}


# -- the parent: every configuration, interleaved --------------------------------------------
def run_child(config: str, args: argparse.Namespace) -> dict[str, Any]:
    """One configuration in a process of its own; its result, or a record of its failure."""
    count = 1 if config == BASELINE else int(config)
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={count}",
           "JAX_PLATFORMS": "cpu", "LAYERKIT_BACKEND": "jax", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, os.path.abspath(__file__), "--worker", config,
               "--samples", str(args.samples), "--batch", str(args.batch),
               "--epochs", str(args.epochs)]
    try:
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"config": config, "ok": False, "error": f"timed out after {args.timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"config": config, "ok": False,
                "error": f"exit {done.returncode}: {done.stderr[-2000:]}"}
    return {**json.loads(lines[-1]), "ok": True}


def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per configuration: later epochs pooled over rounds; throughput relative to the
    baseline's."""
    rows = []
    for config in dict.fromkeys(r["config"] for r in runs):
        good = [r for r in runs if r["config"] == config and r.get("ok")]
        if not good:
            rows.append({"config": config, "note": next(r["error"] for r in runs
                                                       if r["config"] == config)})
            continue
        later = [t for r in good for t in (r["epoch_seconds"][1:] or r["epoch_seconds"])]
        median = statistics.median(later)
        rows.append({"config": config, "devices": good[0]["devices"], "runs": len(good),
                     "epoch_median_s": median, "epoch_min_s": min(later),
                     "epoch_max_s": max(later), "samples_per_s": good[0]["samples"] / median,
                     "first_epoch_s": statistics.median(r["epoch_seconds"][0] for r in good),
                     "last_loss": good[0]["losses"][-1],
                     "load_avg": [min(r["load_avg"][0] for r in good),
                                  max(r["load_avg"][0] for r in good)]})
    base = next((r for r in rows if r["config"] == BASELINE and "samples_per_s" in r), None)
    for row in rows:
        if base and "samples_per_s" in row:
            row["vs_no_distribution"] = row["samples_per_s"] / base["samples_per_s"]
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The summary as a Markdown table."""
    lines = ["| configuration | devices | first epoch s | epoch s, median [min–max] | "
             "samples/s | vs no distribution | last loss |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        name = "no distribution" if row["config"] == BASELINE else "DataParallel"
        if "note" in row:
            lines.append(f"| {name} ({row['config']}) | | | failed: {row['note'][:80]} | | | |")
            continue
        lines.append(
            f"| {name} | {row['devices']} | {row['first_epoch_s']:.2f} | "
            f"{row['epoch_median_s']:.3f} [{row['epoch_min_s']:.3f}–{row['epoch_max_s']:.3f}] | "
            f"{row['samples_per_s']:,.0f} | {row.get('vs_no_distribution', float('nan')):.2f}x | "
            f"{row['last_loss']:.4f} |")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], machine: dict[str, Any], path: str) -> None:
    """Samples per second against device count, as an SVG (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parallel = [r for r in rows if r["config"] != BASELINE and "samples_per_s" in r]
    base = next((r for r in rows if r["config"] == BASELINE and "samples_per_s" in r), None)
    figure, axes = plt.subplots(figsize=(6, 3.6))
    counts = [r["devices"] for r in parallel]
    axes.bar([str(c) for c in counts], [r["samples_per_s"] for r in parallel], color="#4878a8",
             label="DataParallel")
    for index, row in enumerate(parallel):
        axes.annotate(f"{row['samples_per_s']:,.0f}", (index, row["samples_per_s"]),
                      ha="center", va="bottom", fontsize=9)
    if base:
        axes.axhline(base["samples_per_s"], color="#c44e52", linestyle="--",
                     label=f"no distribution ({base['samples_per_s']:,.0f})")
    axes.set_xlabel("forced CPU devices (one process)")
    axes.set_ylabel("training samples / s")
    axes.set_title(f"MLP 784-512-512-10, global batch 128; {machine['cores']}-core "
                   f"{machine['cpu']}", fontsize=10)
    axes.legend(loc="upper right", fontsize=9)
    axes.set_ylim(0, max(r["samples_per_s"] for r in [*parallel, *([base] if base else [])])
                  * 1.25)
    figure.tight_layout()
    figure.savefig(path, metadata={"Date": None})  # no timestamp: the file changes only with data
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="1,2,4", help="device counts, comma-separated")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--batch", type=int, default=128, help="the global batch size")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--json", help="where to write the runs and summary")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny settings")
    parser.add_argument("--report", help="print the summary of a saved JSON file")
    parser.add_argument("--plot", help="also draw samples/s against device count (SVG)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.samples, args.batch, args.epochs)))
        return 0
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        print(table(saved["summary"]))
        if args.plot:
            plot(saved["summary"], saved["machine"], args.plot)
        return 0
    if args.quick:
        args.samples, args.epochs, args.rounds = 512, 2, 1
    configs = [BASELINE, *args.devices.split(",")]
    runs = []
    for round_index in range(args.rounds):
        for config in (configs if round_index % 2 == 0 else configs[::-1]):
            runs.append(run_child(config, args))
            print(f"round {round_index + 1}, {config}: "
                  f"{runs[-1].get('epoch_median_s', runs[-1].get('error'))}", file=sys.stderr)
    summary = summarize(runs)
    print(table(summary))
    from bench_training import machine_info

    out = args.json or os.path.join(
        HERE, "results", f"distribution-{datetime.date.today().isoformat()}.json")
    settings = {k: getattr(args, k) for k in ("devices", "samples", "batch", "epochs", "rounds")}
    machine = machine_info()
    with open(out, "w") as f:
        json.dump({"machine": machine, "settings": settings, "runs": runs,
                   "summary": summary}, f, indent=1)
    print(f"written: {out}", file=sys.stderr)
    if args.plot:
        plot(summary, machine, args.plot)
    return 0 if all(r.get("ok") for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
