"""``neurocompile run DIR``: run a build directory on inputs; predictions, accuracy, activity.

Writes ``OUT/run.npz`` (loadable with ``np.load(allow_pickle=False)``): ``predictions``,
``outputs`` (readout values ``[N, T, C]``), ``spikes/<population>`` (``uint8 [N, T, n]``),
``labels`` when known, and the activity counters ``counters/<field>`` (``int64 [T, cores]``,
summed over the samples) with ``counters/cores`` and ``counters/samples``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError, NeurocompileError
from ..inputs import check_inputs, load_array

#: default samples per batch: the cycle simulator's sweet spot; for Lava, whose every batch pays
#: a runtime start (compile, fork) and runs many samples per step, a larger one
CYCLE_BATCH = 64
LAVA_BATCH = 2048


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run",
        help="run a build directory on inputs",
        description="Run a compiled network (neurocompile build output) on a simulated chip.",
    )
    p.add_argument("build", help="build directory (from neurocompile build)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="FILE.npy", help="inputs [N, T, n] (or [T, n])")
    src.add_argument(
        "--dataset",
        nargs="?",
        const="",
        metavar="NAME",
        help="the model's dataset (or NAME) through its encoder",
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "val", "test"),
        help="dataset split (default test)",
    )
    p.add_argument("--labels", metavar="FILE.npy", help="labels for --input, to report accuracy")
    p.add_argument("--limit", type=int, metavar="N", help="run only the first N samples")
    p.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "cycle", "lava"),
        help="auto (default): cycle simulator; lava: Lava Loihi2SimCfg fixed_pt",
    )
    p.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help=f"samples per batch (default {CYCLE_BATCH}; lava: {LAVA_BATCH}, one Lava runtime "
        "per batch, many samples per Lava step)",
    )
    p.add_argument("--strict", action="store_true", help="stop at the first fixed-point overflow")
    p.add_argument("-o", "--output", metavar="OUT", help="directory for run.npz (default DIR/run)")
    p.set_defaults(func=run)


def load_build(directory: str | Path) -> Any:
    """The compiled graph of a build directory."""
    from ..ir.io_hdf5 import load_hdf5

    path = Path(directory) / "graph.h5"
    if not path.is_file():
        raise ModelFileError(
            f"{str(directory)!r} is not a build directory (no graph.h5); run neurocompile build"
        )
    graph = load_hdf5(path)
    if "core_map" not in graph.metadata:
        raise ModelFileError(f"{path}: the graph is not compiled (no core map); rebuild it")
    return graph


def inputs_of(args: argparse.Namespace, graph: Any) -> tuple[np.ndarray, np.ndarray | None]:
    if args.input:
        x = load_array(args.input, "input")
        y = load_array(args.labels, "labels") if args.labels else None
    else:
        from ..data import load_encoded

        cfg = dict(graph.metadata.get("dataset") or {})
        if args.dataset:
            if cfg.get("name") not in (None, args.dataset):
                cfg = {"name": args.dataset}
            cfg.setdefault("name", args.dataset)
        if not cfg.get("name"):
            raise NeurocompileError(
                "--dataset: the model names no dataset; give --dataset NAME or --input FILE.npy"
            )
        x, y = load_encoded(cfg, args.split)
    x = check_inputs(graph, x, args.input or f"dataset {cfg['name']!r}")
    if args.limit is not None:
        x = x[: args.limit]
        y = None if y is None else np.asarray(y)[: args.limit]
    return x, y


def execute(
    graph: Any,
    x: np.ndarray,
    engine: str = "auto",
    batch: int | None = None,
    strict: bool = False,
    show_progress: bool | None = None,
) -> Any:
    """Run ``x`` in batches; returns one ``Result`` with counters summed over all samples."""
    from tqdm import tqdm

    from ..backend import Result, get_backend

    exe = get_backend("loihi-sim").compile(graph, engine=engine, strict=strict)
    print(exe.notice, file=sys.stderr)
    if batch is None:
        batch = LAVA_BATCH if exe.engine == "lava" else CYCLE_BATCH
    steps = x.shape[0] * x.shape[1]
    # a bar only on a terminal: in logs and pipes it is noise
    disable = (
        (steps < 20_000 or not sys.stderr.isatty()) if show_progress is None else not show_progress
    )
    results = []
    with tqdm(
        total=steps, unit="sample-step", unit_scale=True, disable=disable, file=sys.stderr
    ) as bar:
        for i in range(0, len(x), max(1, batch)):
            chunk = x[i : i + max(1, batch)]
            done = [0]

            def advance(steps_done: int, b: int = len(chunk), done: list = done) -> None:
                bar.update((steps_done - done[0]) * b)
                done[0] = steps_done

            results.append(exe.run(chunk) if exe.engine == "lava" else exe.run(chunk, advance))
            bar.update((chunk.shape[1] - done[0]) * len(chunk))
    counters = results[0].counters
    for r in results[1:]:
        counters = counters + r.counters
    spikes = {k: np.concatenate([r.spikes[k] for r in results]) for k in results[0].spikes}
    info = dict(results[-1].info)
    info["wall_s"] = sum(r.info["wall_s"] for r in results)
    info["sample_steps_per_s"] = steps / info["wall_s"] if info["wall_s"] else 0.0
    return Result(
        spikes=spikes,
        outputs=np.concatenate([r.outputs for r in results]),
        predictions=np.concatenate([r.predictions for r in results]),
        counters=counters,
        info=info,
    )


def score_line(graph: Any, pred: np.ndarray, y: np.ndarray) -> str:
    """Accuracy for a classifier (label -1 = no label), mean squared error for a regression."""
    from ..compiler.calibrate import is_regression

    if is_regression(graph):
        err = np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2)
        return f"mse: {err:.5g} on {len(pred)} samples"
    mask = y != -1
    return f"accuracy: {100.0 * np.mean(pred[mask] == y[mask]):.2f}% on {len(pred)} samples"


def run(args: argparse.Namespace) -> int:
    graph = load_build(args.build)
    x, y = inputs_of(args, graph)
    result = execute(graph, x, args.engine, args.batch, args.strict)
    pred = result.predictions
    shown = " ".join(str(p) for p in np.asarray(pred).reshape(len(pred), -1)[:20, -1])
    print(
        f"predictions ({len(pred)} samples{', last step' if pred.ndim > 1 else ''}): {shown}"
        f"{' ...' if len(pred) > 20 else ''}"
    )
    if y is not None and np.asarray(y).shape == pred.shape:
        print(score_line(graph, pred, np.asarray(y)))
    t = result.info["timing"]
    tot = result.counters.totals()
    n = result.counters.samples
    print(
        f"activity per inference: {tot['syn_ops'] / n:.0f} synaptic ops, "
        + (f"{tot['gate_ops'] / n:.0f} LTC gate MACs, " if tot["gate_ops"] else "")
        + f"{tot['neuron_updates_active'] / n:.0f} spikes; estimated {t['mean_step_ns']:.0f} "
        f"ns/step, {1e3 * t['latency_s']:.3f} ms/inference ({result.info['timing_source']})"
    )
    overflows = sum(result.info.get("overflows", {}).values())
    if overflows:
        print(
            f"warning: {overflows} fixed-point overflow events (wrapped or saturated); run "
            "with --strict to stop at the first",
            file=sys.stderr,
        )
    out = Path(args.output) if args.output else Path(args.build) / "run"
    out.mkdir(parents=True, exist_ok=True)
    arrays = {"predictions": np.asarray(pred), "outputs": result.outputs}
    if y is not None:
        arrays["labels"] = np.asarray(y)
    for k, v in result.spikes.items():
        arrays[f"spikes/{k}"] = v
    for k, v in result.counters.to_dict().items():
        arrays[f"counters/{k}"] = np.asarray(v)
    np.savez_compressed(out / "run.npz", **arrays)
    print(
        f"wrote {out / 'run.npz'} ({result.info['sample_steps_per_s']:.0f} sample-steps/s, "
        f"{result.info['engine']} engine"
        + (f", {result.info['loop']} loop)" if "loop" in result.info else ")")
    )
    return 0
