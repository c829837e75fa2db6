"""Training throughput: layerkit against hand-written floors and Keras 3, one process per run.

    python benchmarks/bench_training.py [--workloads mlp,cnn,lstm] [--systems ...]
        [--epochs 4] [--rounds 1] [--samples-scale 1.0] [--scale SYSTEM:WORKLOAD=F ...]
        [--samples N] [--blas-threads 1] [--json out.json] [--quick]
    python benchmarks/bench_training.py --report out.json [more.json ...]

Workloads (synthetic MNIST-shaped float32 data, fixed seeds; batch 128, Adam, sparse
categorical cross-entropy, softmax output):

- ``mlp``: 784-512-512-10 relu, 60,000 samples (also timed: ``predict`` over the same samples);
- ``cnn``: 28x28x1, Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2, Flatten,
  Dense 10; 10,000 samples;
- ``lstm``: 50 steps of 32 features, LSTM 64, Dense 10; 10,000 samples;
- issue 17's layers (Keras-like systems only: the hand-written floors skip them):
  ``deconv`` (Conv2D 16 3x3 stride 2, Conv2DTranspose 16 3x3 stride 2, global average pool,
  Dense 10), ``depthwise`` (Conv2D 32 3x3, DepthwiseConv2D 3x3, Conv2D 32 1x1, MaxPool 2,
  Flatten, Dense 10), ``mha`` (50 steps of 32 features, MultiHeadAttention 4 heads of 16,
  residual Add, LayerNormalization, global average pool, Dense 10); 10,000 samples each.

Systems (``benchmarks/_train_worker.py`` says exactly what each runs): ``layerkit-jax``,
``layerkit-numpy``, ``jax-handwritten`` (the jax floor), ``numpy-handwritten`` (the numpy floor,
MLP only), ``keras3-jax`` (skipped, with a note, when Keras 3 is not installed).

Each (system, workload) run is a child process that trains ``--epochs`` epochs and prints one
JSON line. Runs are interleaved: each round runs every system once per workload, in the listed
order on odd rounds and in reverse on even ones, so machine noise lands on all of them. Per
system it reports the first epoch (compilation included) and the median of the later epochs
(over all rounds) with their CPU time, samples per second, peak RSS (``ru_maxrss`` of the
child), predict throughput (MLP), and ratios of time per sample (of the medians, and of the
fastest epochs): jax systems against ``jax-handwritten``, numpy systems against
``numpy-handwritten``, and against ``keras3-jax``; then issue 6's targets, met or missed.
``--json`` also writes every run and the summary; ``--report`` prints them again, pooling the
runs of several files. ``--scale layerkit-numpy:cnn=0.2`` trains that pair on a fifth of the
samples (a slow backend); ratios compare time per sample, so they stay valid. numpy's BLAS runs
on ``--blas-threads`` threads (default 1: on a busy machine, several made numpy steps 2-30x
slower at random).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _train_worker import BATCH, SYSTEMS, WORKLOADS  # noqa: E402

# Thread counts of numpy's BLAS (OpenBLAS, MKL, BLIS, OpenMP); XLA does not read them.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                         "BLIS_NUM_THREADS")
FLOORS = {"layerkit-jax": "jax-handwritten", "keras3-jax": "jax-handwritten",
          "layerkit-numpy": "numpy-handwritten"}
SUMMARY_FIELDS = ("workload", "system", "samples", "runs", "first_epoch_s", "epoch_median_s",
                  "epoch_min_s", "epoch_max_s", "epoch_cpu_median_s", "samples_per_s",
                  "peak_rss_mb", "predict_samples_per_s", "first_loss", "last_loss",
                  "loss_decreased", "vs_floor", "vs_floor_best", "vs_keras3", "vs_keras3_best",
                  "first_epoch_vs_keras3", "rss_vs_keras3", "scaled", "load_avg")


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for name in ("numpy", "jax", "jaxlib", "keras"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "versions": versions, "date": datetime.date.today().isoformat()}


def run_child(system: str, workload: str, epochs: int, samples: int, predict_reps: int,
              timeout: float, blas_threads: int = 1,
              steps_per_execution: int = 1, source: str = "arrays") -> dict[str, Any]:
    """One worker process; its JSON line (or a record of its failure)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    if blas_threads:
        for name in BLAS_THREAD_VARIABLES:
            env[name] = str(blas_threads)
    if system.startswith("layerkit-"):
        env["LAYERKIT_BACKEND"] = system.split("-", 1)[1]
    if system == "keras3-jax":
        env["KERAS_BACKEND"] = "jax"
    command = [sys.executable, os.path.join(HERE, "_train_worker.py"), "--system", system,
               "--workload", workload, "--epochs", str(epochs), "--samples", str(samples),
               "--predict-reps", str(predict_reps),
               "--steps-per-execution", str(steps_per_execution), "--source", source]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"system": system, "workload": workload, "ok": False, "skipped": None,
                "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"system": system, "workload": workload, "ok": False, "skipped": None,
                "error": f"exit {done.returncode}, no result: {done.stderr[-2000:]}"}
    result = json.loads(lines[-1])
    result["wall_s"] = time.perf_counter() - start
    return result


def summarize(runs: list[dict[str, Any]], scaled: dict[tuple[str, str], float]
              ) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (workload, system): epochs pooled over rounds (first epochs apart)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["workload"], run["system"]), []).append(run)
    summary = {}
    for (workload, system), group in groups.items():
        good = [r for r in group if r.get("ok")]
        row: dict[str, Any] = {k: None for k in SUMMARY_FIELDS}
        row.update(workload=workload, system=system, runs=len(good),
                   scaled=scaled.get((system, workload)))
        if not good:
            row["note"] = (group[0].get("skipped") or group[0].get("error") or "failed")
            summary[(workload, system)] = row
            continue
        later = [t for r in good for t in (r["epoch_seconds"][1:] or r["epoch_seconds"])]
        samples = good[0]["samples"]
        row.update(
            samples=samples,
            first_epoch_s=statistics.median(r["first_epoch_s"] for r in good),
            epoch_median_s=statistics.median(later), epoch_min_s=min(later),
            epoch_max_s=max(later), peak_rss_mb=max(r["peak_rss_mb"] for r in good),
            first_loss=good[0]["first_loss"], last_loss=good[0]["last_loss"],
            loss_decreased=all(r["loss_decreased"] for r in good),
            load_avg=[min(r["load_avg"][0] for r in good), max(r["load_avg"][0] for r in good)],
        )
        row["samples_per_s"] = samples / row["epoch_median_s"]
        cpu = [t for r in good for t in (r.get("epoch_cpu_seconds") or [])[1:]]
        row["epoch_cpu_median_s"] = statistics.median(cpu) if cpu else None
        predicts = [r["predict_samples_per_s"] for r in good if r.get("predict_samples_per_s")]
        row["predict_samples_per_s"] = statistics.median(predicts) if predicts else None
        summary[(workload, system)] = row
    for (workload, system), row in summary.items():
        if row["samples_per_s"] is None:
            continue
        floor = summary.get((workload, FLOORS.get(system, "")))
        if floor and floor["samples_per_s"]:
            row["vs_floor"] = floor["samples_per_s"] / row["samples_per_s"]
            row["vs_floor_best"] = _best_ratio(row, floor)
        keras = summary.get((workload, "keras3-jax"))
        if keras and keras["samples_per_s"] and system != "keras3-jax":
            row["vs_keras3"] = keras["samples_per_s"] / row["samples_per_s"]
            row["vs_keras3_best"] = _best_ratio(row, keras)
            if keras["samples"] == row["samples"]:
                row["first_epoch_vs_keras3"] = row["first_epoch_s"] / keras["first_epoch_s"]
            row["rss_vs_keras3"] = row["peak_rss_mb"] / keras["peak_rss_mb"]
    return summary


def _best_ratio(row: dict[str, Any], other: dict[str, Any]) -> float:
    """Time per sample of ``row`` over ``other``, from each one's fastest epoch: the least
    disturbed figure on a busy machine."""
    return (row["epoch_min_s"] / row["samples"]) / (other["epoch_min_s"] / other["samples"])


def _fmt(value: Any, spec: str, suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def _pair(ratio: float | None, best: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}x ({best:.2f}x)"


def table(summary: dict[tuple[str, str], dict[str, Any]], workloads: list[str],
          systems: list[str]) -> str:
    lines = [
        "| workload | system | samples | first epoch s | epoch s, median [min–max] | "
        "CPU s/epoch | samples/s | vs floor (best) | vs Keras 3 (best) | first epoch vs Keras 3 | "
        "peak RSS MiB | predict samples/s | loss first → last |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for workload in workloads:
        for system in systems:
            row = summary.get((workload, system))
            if row is None:
                continue
            if row["samples_per_s"] is None:
                lines.append(f"| {workload} | {system} | {row.get('note')} |" + " |" * 10)
                continue
            samples = f"{row['samples']:,}" + (" (scaled)" if row["scaled"] else "")
            spread = (f"{row['epoch_median_s']:.3f} [{row['epoch_min_s']:.3f}–"
                      f"{row['epoch_max_s']:.3f}]")
            loss = (f"{row['first_loss']:.4f} → {row['last_loss']:.4f}"
                    + ("" if row["loss_decreased"] else " (not decreasing!)"))
            lines.append(
                f"| {workload} | {system} | {samples} | {row['first_epoch_s']:.2f} | {spread} | "
                f"{_fmt(row['epoch_cpu_median_s'], '.2f')} | "
                f"{row['samples_per_s']:,.0f} | {_pair(row['vs_floor'], row['vs_floor_best'])} | "
                f"{_pair(row['vs_keras3'], row['vs_keras3_best'])} | "
                f"{_fmt(row['first_epoch_vs_keras3'], '.2f', 'x')} | "
                f"{row['peak_rss_mb']:.0f} | {_fmt(row['predict_samples_per_s'], ',.0f')} | "
                f"{loss} |")
    return "\n".join(lines)


def targets(summary: dict[tuple[str, str], dict[str, Any]], workloads: list[str]) -> list[str]:
    """Issue 6's targets, each met or missed with the measured figure."""
    out = []

    def check(label: str, value: float | None, limit: float, strict: bool = False) -> None:
        if value is None:
            out.append(f"- {label}: not measured")
            return
        met = value < limit if strict else value <= limit
        out.append(f"- {label}: {value:.2f}x (target {'<' if strict else '<='} {limit:.2f}x) "
                   f"-> {'met' if met else 'MISSED'}")

    for workload in workloads:
        row = summary.get((workload, "layerkit-jax"))
        if not row or row["samples_per_s"] is None:
            continue
        check(f"{workload}: layerkit-jax epoch / jax-handwritten", row["vs_floor"], 1.10)
        check(f"{workload}: layerkit-jax epoch / Keras 3", row["vs_keras3"], 1.0, strict=True)
        check(f"{workload}: layerkit-jax first epoch / Keras 3", row["first_epoch_vs_keras3"],
              1.0)
        check(f"{workload}: layerkit-jax peak RSS / Keras 3", row["rss_vs_keras3"], 1.0)
    for workload in workloads:
        row = summary.get((workload, "layerkit-numpy"))
        if not row or row["samples_per_s"] is None:
            continue
        if workload == "mlp":
            check("mlp: layerkit-numpy epoch / numpy-handwritten", row["vs_floor"], 1.30)
        else:
            out.append(f"- {workload}: layerkit-numpy {row['epoch_median_s']:.1f} s per epoch of "
                       f"{row['samples']:,} samples ({row['samples_per_s']:,.0f} samples/s; "
                       f"full {WORKLOADS[workload][0]:,}-sample epoch ~"
                       f"{WORKLOADS[workload][0] / row['samples_per_s']:.0f} s)")
        check(f"{workload}: layerkit-numpy peak RSS / Keras 3", row["rss_vs_keras3"], 1.0)
    return out


def report(info: dict[str, Any], settings: dict[str, Any], runs: list[dict[str, Any]]
           ) -> dict[str, Any]:
    """Print the table and the targets of ``runs``; the whole record, for ``--json``."""
    workloads = list(dict.fromkeys(r["workload"] for r in runs))
    systems = [s for s in settings["systems"].split(",")
               if any(r["system"] == s for r in runs)]
    scaled = {(r["system"], r["workload"]): r["samples"] / WORKLOADS[r["workload"]][0]
              for r in runs if r.get("samples") and r["samples"] != WORKLOADS[r["workload"]][0]}
    summary = summarize(runs, scaled)
    blas = settings.get("blas_threads")
    print(f"\nbatch {BATCH}, {settings['epochs']} epochs per run, {settings['rounds']} round(s), "
          f"BLAS threads {blas or 'default'}; epoch median over the epochs after the first; "
          "ratios are time per sample, median (fastest epochs), >1 = slower\n")
    print(table(summary, workloads, systems))
    print("\nTargets:")
    print("\n".join(targets(summary, workloads)))
    return {"machine": info, "settings": settings, "runs": runs,
            "summary": list(summary.values())}


def parse_scales(items: list[str]) -> dict[tuple[str, str], float]:
    scales = {}
    for item in items:
        try:
            pair, factor = item.split("=")
            system, workload = pair.split(":")
            scales[(system, workload)] = float(factor)
        except ValueError:
            raise SystemExit(f"--scale wants SYSTEM:WORKLOAD=FACTOR, got {item!r}") from None
    return scales


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--epochs", type=int, default=4,
                        help="epochs per run; the first is reported apart (default 4)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each system (default 1)")
    parser.add_argument("--samples-scale", type=float, default=1.0,
                        help="fraction of each workload's samples, for every system")
    parser.add_argument("--scale", action="append", default=[], metavar="SYSTEM:WORKLOAD=F",
                        help="a further fraction for one pair (repeatable)")
    parser.add_argument("--samples", type=int, default=0,
                        help="a fixed sample count for every run (overrides the scales)")
    parser.add_argument("--predict-reps", type=int, default=3)
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="compile(steps_per_execution=N) for layerkit and Keras 3 "
                        "(the hand-written floors run one step per call)")
    parser.add_argument("--source", choices=("arrays", "generator"), default="arrays",
                        help="fit on the arrays, or on a Python generator of the same batches "
                        "(layerkit and Keras 3 only)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="numpy's BLAS threads in every child (default 1: several threads "
                        "on a busy machine made a numpy step 2-30x slower at random); 0 leaves "
                        "the library's default")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per child run")
    parser.add_argument("--json", help="write every run and the summary here")
    parser.add_argument("--report", metavar="JSON", nargs="+",
                        help="run nothing: print the table and targets of saved --json files "
                        "(several: their runs pooled, as more rounds)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 384 samples (or --samples), 2 epochs, 1 round")
    args = parser.parse_args(argv)
    if args.report:
        saved = []
        for path in args.report:
            with open(path) as f:
                saved.append(json.load(f))
        settings = {**saved[0]["settings"],
                    "rounds": sum(s["settings"]["rounds"] for s in saved)}
        output = report(saved[0]["machine"], settings, [r for s in saved for r in s["runs"]])
        if args.json:
            with open(args.json, "w") as f:
                json.dump(output, f, indent=1)
        return output
    if args.quick:
        args.samples = args.samples or 384
        args.epochs, args.rounds, args.predict_reps = min(args.epochs, 2), 1, 1
    workloads = args.workloads.split(",")
    systems = args.systems.split(",")
    for name in workloads:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
    for name in systems:
        if name not in SYSTEMS:
            parser.error(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    scales = parse_scales(args.scale)
    info = machine_info()
    print(f"# {info['cpu']}, {info['cores']} cores; "
          + ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v), flush=True)

    def samples_for(system: str, workload: str) -> int:
        if args.samples:
            return args.samples
        fraction = args.samples_scale * scales.get((system, workload), 1.0)
        return max(BATCH, round(WORKLOADS[workload][0] * fraction))

    runs = []
    for round_index in range(args.rounds):
        order = systems if round_index % 2 == 0 else systems[::-1]
        for workload in workloads:
            for system in order:
                if system == "numpy-handwritten" and workload != "mlp":
                    continue  # the numpy floor is the MLP's only
                result = run_child(system, workload, args.epochs, samples_for(system, workload),
                                   args.predict_reps if workload == "mlp" else 0, args.timeout,
                                   args.blas_threads, args.steps_per_execution,
                                   args.source)
                result["round"] = round_index + 1
                runs.append(result)
                if result.get("ok"):
                    status = (f"first {result['first_epoch_s']:.2f} s, epochs "
                              + " ".join(f"{t:.2f}" for t in result["epoch_seconds"][1:])
                              + f" s, loss {result['first_loss']:.4f} -> "
                              f"{result['last_loss']:.4f}, load {result['load_avg'][0]:.1f}")
                else:
                    status = result.get("skipped") or f"FAILED: {result.get('error')}"
                print(f"  round {round_index + 1} {workload:4s} {system:17s} {status}",
                      file=sys.stderr, flush=True)
    output = report(info, vars(args), runs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(output, f, indent=1)
        print(f"\nwrote {args.json}")
    return output


if __name__ == "__main__":
    main()
