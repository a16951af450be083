"""Regenerate every model card and the README results table from real runs.

    .venv/bin/python scripts/model_cards.py [trained/NAME ...] [--lava-samples N|all]

For each shipped model (``trained/<name>/model.pt``) this

1. builds it for Loihi 2 with ``neurocompile build --calibrate dataset:val``;
2. evaluates the float model (the ``torch`` target, identical to the PyTorch model) and the
   fixed-point chip image (``neurocompile run --engine cycle``) on the whole test split;
3. runs the test split (default: all of it; ``--lava-samples N``: the first N samples) as Lava
   processes (``--engine lava``, many samples per Lava step) and checks that every spike and
   every readout value equals the cycle simulator's;
4. runs ``neurocompile energy`` on 256 test samples;

then writes ``trained/<name>/card.json`` and ``trained/<name>/MODEL_CARD.md``, and the results
table between the ``results`` markers of README.md. Nothing here is typed in by hand: training
figures come from the checkpoint's own metrics (written by ``neurocompile train``), the rest from
the runs above, after the last code change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

from neurocompile.energy.text import si

ROOT = Path(__file__).resolve().parents[1]
OUT = Path("out") / "cards"  # relative: the script runs from the repository root
README = ROOT / "README.md"
SHOWCASE = "mnist_row_alif"  # the model whose IR and energy report README shows
# build options beyond the defaults, per model (shown on its card). The Add-task model's
# readout is fitted in closed form over the whole sequence (train_add.py --fit-readout); its
# weights need more than 8 bits (README of trained/add_ltc_fptt, "A readout that averages")
BUILD_OPTIONS = {"add_ltc_fptt": ["--readout-bits", "16"]}


def cli(*args: str) -> str:
    """Run ``neurocompile ARGS`` in-process; returns what it printed (also echoed)."""
    import contextlib
    import io

    from neurocompile.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([str(a) for a in args])
    print(buf.getvalue(), end="")
    if code:
        raise SystemExit(f"neurocompile {' '.join(map(str, args))} failed with exit code {code}")
    return buf.getvalue()


def replace_block(text: str, name: str, body: str) -> str:
    """Put ``body`` between the ``<!-- name:begin -->`` and ``<!-- name:end -->`` markers."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        return text
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def task_metric(pred: np.ndarray, y: np.ndarray, classes: int) -> tuple[str, float]:
    """Accuracy in percent (labels -1 ignored) or mean squared error for regression."""
    if classes == 0:
        return "mse", float(np.mean((np.asarray(pred, float) - np.asarray(y, float)) ** 2))
    mask = y != -1
    return "accuracy", 100.0 * float(np.mean(pred[mask] == y[mask]))


def lava_samples_arg(text: str) -> int | None:
    """``--lava-samples``: a positive count, or ``all`` (None: the whole test split)."""
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'all', got {text!r}")
    return n


def lava_scope(c: dict[str, Any]) -> str:
    """How many test samples Lava ran, in words."""
    n = c["lava_samples"]
    return f"full test set ({n} samples)" if n == c["test_samples"] else f"first {n} test samples"


def card(model_dir: Path, lava_samples: int | None) -> dict[str, Any]:
    import torch

    from neurocompile.backend import get_backend
    from neurocompile.data import load_encoded
    from neurocompile.export import export
    from neurocompile.ir import Output

    ckpt = torch.load(model_dir / "model.pt", weights_only=True)
    metrics, dataset = dict(ckpt["metrics"]), dict(ckpt["dataset"])
    out = OUT / model_dir.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    t0 = time.perf_counter()
    cli(
        "build",
        model_dir / "model.pt",
        "--target",
        "loihi-sim",
        "--chip",
        "loihi2",
        "--calibrate",
        "dataset:val",
        *BUILD_OPTIONS.get(model_dir.name, []),
        "-o",
        out / "build",
    )
    build_s = time.perf_counter() - t0
    report = json.loads((out / "build" / "report.json").read_text())

    graph = export(model_dir / "model.pt")
    classes = next(iter(graph.of_type(Output).values())).classes
    x, y = load_encoded(dataset, "test")
    fl = get_backend("torch").compile(graph).run(x)
    kind, float_metric = task_metric(fl.predictions, y, classes)
    # what a model without input scores: the most common class, or the mean target
    if classes:
        labels = np.asarray(y)[np.asarray(y) != -1]
        baseline = 100.0 * float(np.bincount(labels).max()) / len(labels)
    else:
        baseline = float(np.var(np.asarray(y, float)))

    cli("run", out / "build", "--dataset", "--engine", "cycle", "-o", out / "cycle")
    cyc = np.load(out / "cycle" / "run.npz", allow_pickle=False)
    _, fixed_metric = task_metric(cyc["predictions"], y, classes)
    flips = prediction_flips(fl.predictions, cyc["predictions"], y) if classes else None
    spikes = [k for k in cyc.files if k.startswith("spikes/")]
    rate = float(np.mean([cyc[k].mean() for k in spikes])) if spikes else 0.0

    n = len(x) if lava_samples is None else min(lava_samples, len(x))
    t0 = time.perf_counter()
    cli("run", out / "build", "--dataset", "--limit", n, "--engine", "lava", "-o", out / "lava")
    lava_s = time.perf_counter() - t0
    lav = np.load(out / "lava" / "run.npz", allow_pickle=False)
    identical = all(np.array_equal(lav[k], cyc[k][:n]) for k in spikes) and np.array_equal(
        lav["outputs"], cyc["outputs"][:n]
    )
    _, lava_metric = task_metric(lav["predictions"], y[:n], classes)
    _, cycle_prefix_metric = task_metric(cyc["predictions"][:n], y[:n], classes)

    energy_text = cli("energy", out / "build", "--dataset", "--samples", 256, "-o", out / "energy")
    (out / "energy" / "report.txt").write_text(energy_text)
    energy = json.loads((out / "energy" / "energy.json").read_text())
    sim = energy["simulated"]

    config = tomllib.loads((model_dir / "config.toml").read_text())
    return {
        "name": model_dir.name,
        "task": kind,
        "dataset": dataset,
        "architecture": _architecture(ckpt["spec"]),
        "trainer": ckpt["trainer"],
        "seed": config.get("seed"),
        "train_time_s": metrics.get("train_time_s"),
        "epochs": metrics.get("epochs"),
        "iterations": metrics.get("iterations"),
        # a model trained by its own driver script records the command in its checkpoint
        "train_command": ckpt["trainer"].get(
            "command", f"neurocompile train trained/{model_dir.name}/config.toml"
        ),
        "files": listing(model_dir),
        "test_samples": len(x),
        "float_test": float_metric,
        "baseline_test": baseline,
        "trainer_test": metrics.get("test_accuracy", metrics.get("test_loss")),
        "fixed_cycle_test": fixed_metric,
        "flips": flips,
        "lava_samples": n,
        "lava_s": lava_s,
        "lava_identical_to_cycle": bool(identical),
        "fixed_lava_prefix": lava_metric,
        "fixed_cycle_prefix": cycle_prefix_metric,
        "mean_firing_rate": rate,
        "cores": len(report["cores"]),
        "build_s": build_s,
        "build_command": " ".join(
            [
                "neurocompile build model.pt --calibrate dataset:val",
                *BUILD_OPTIONS.get(model_dir.name, []),
            ]
        ),
        "calibration": report.get("calibration"),
        "energy_dynamic_uj": 1e6 * sim["dynamic_j_per_inference"],
        "energy_total_uj": 1e6 * sim.get("total_j_per_inference", float("nan")),
        "latency_us": 1e6 * sim["latency_s_per_inference"],
        "energy_table": sim["energy_table"],
        "energy_samples": energy["samples"],
    }


def listing(model_dir: Path) -> list[str]:
    """The files of a model's folder that its card lists."""
    return sorted(
        p.name
        for p in model_dir.iterdir()
        if p.name not in ("card.json", "MODEL_CARD.md", "__pycache__")
        and not p.name.startswith(".")
    )


def _architecture(spec: dict[str, Any]) -> str:
    layers = " - ".join(
        f"{l['size']} {l['neuron'].upper()}{' (rec)' if l.get('recurrent') else ''}"
        for l in spec["layers"]
    )
    bi = "bidirectional " if spec.get("bidirectional") else ""
    return f"{bi}{spec['input_size']} in - {layers} - {spec.get('readout')} readout ({spec.get('decode')})"


def fmt(c: dict[str, Any], key: str) -> str:
    v = c[key]
    if v is None:
        return "-"
    return f"{v:.2f}%" if c["task"] == "accuracy" else f"MSE {v:.4g}"


def prediction_flips(float_pred: Any, fixed_pred: Any, y: Any) -> dict[str, int]:
    """Test predictions the fixed-point image changed: ``to_right`` (float wrong, fixed right)
    and ``to_wrong`` (float right, fixed wrong); per-step labels count per labelled step."""
    f, q, t = (np.asarray(a) for a in (float_pred, fixed_pred, y))
    keep = t != -1
    f, q, t = f[keep], q[keep], t[keep]
    return {
        "to_right": int(np.sum((f != t) & (q == t))),
        "to_wrong": int(np.sum((f == t) & (q != t))),
        "changed": int(np.sum(f != q)),
    }


def amount(c: dict[str, Any]) -> str:
    """How much training: epochs, or iterations for a driver that draws fresh batches."""
    if c.get("epochs"):
        return f"{c['epochs']} epochs"
    if c.get("iterations"):
        return f"{c['iterations']} iterations"
    return "length not recorded"


def versus_baseline(c: dict[str, Any]) -> str:
    """Does the float model beat the no-input baseline? Said plainly when it does not."""
    fl, base = c["float_test"], c["baseline_test"]
    if fl is None or base is None:
        return "-"
    if c["task"] == "accuracy":
        d = fl - base
        return f"{d:+.2f} points" + ("" if d > 0 else ": **does not beat the baseline**")
    ratio = fl / base if base else float("inf")
    return f"MSE {ratio:.3g}x the baseline's" + (
        "" if ratio < 1 else ": **does not beat the baseline (the model is not trained yet)**"
    )


def band(c: dict[str, Any]) -> str:
    """Fixed point (cycle simulator) against float: the issue's target is within 0.5 points."""
    fx, fl = c["fixed_cycle_test"], c["float_test"]
    if fx is None or fl is None:
        return "-"
    if c["task"] != "accuracy":
        rel = (fx - fl) / fl * 100 if fl else 0.0
        return f"MSE {fx - fl:+.3g} ({rel:+.1f}%); the 0.5-point target is for accuracy"
    d = fx - fl
    if abs(d) <= 0.5:
        return f"{d:+.2f} points: within the 0.5-point target"
    side = "above" if d > 0 else "below"
    fl_ = c.get("flips")
    why = (
        f"; quantization changed {fl_['changed']} predictions: {fl_['to_right']} wrong ones "
        f"became right, {fl_['to_wrong']} right ones became wrong"
        if fl_
        else ""
    )
    return f"{d:+.2f} points: **target missed** (fixed point is {side} float{why})"


def write_card(model_dir: Path, c: dict[str, Any]) -> None:
    (model_dir / "card.json").write_text(json.dumps(c, indent=1, default=str) + "\n")
    t = c["train_time_s"]
    lines = [
        f"# {c['name']}",
        "",
        "Generated by `python scripts/model_cards.py` from real runs; do not edit by hand.",
        "",
        "| | |",
        "|---|---|",
        f"| data | `{json.dumps(c['dataset'])}` (offline package, see `neurocompile/data`) |",
        f"| task | {'classification' if c['task'] == 'accuracy' else 'regression'} |",
        f"| architecture | {c['architecture']} |",
        f"| trainer | `{json.dumps(c['trainer'])}` |",
        f"| seed | {c['seed']} |",
        f"| reproduce | `{c['train_command']}` |",
        f"| training time (this 2-core machine) | {t / 60:.1f} min, {amount(c)} |"
        if t
        else "| training time | not recorded |",
        f"| float, test split ({c['test_samples']} samples, `torch` target) | {fmt(c, 'float_test')} |",
        (
            f"| fixed point, cycle simulator, whole test split | {fmt(c, 'fixed_cycle_test')} "
            f"(`{c.get('build_command', 'neurocompile build model.pt --calibrate dataset:val')}`) |"
        ),
        f"| fixed point minus float | {band(c)} |",
        f"| baseline without input ({'most common class' if c['task'] == 'accuracy' else 'predict the mean'}) | {fmt(c, 'baseline_test')} |",
        f"| float against the baseline | {versus_baseline(c)} |",
        (
            f"| fixed point, Lava `fixed_pt`, {lava_scope(c)} | "
            f"{fmt(c, 'fixed_lava_prefix')} (cycle simulator on the same samples: "
            f"{fmt(c, 'fixed_cycle_prefix')}; every spike and readout value identical: "
            f"{'yes' if c['lava_identical_to_cycle'] else 'NO'}) |"
        ),
        f"| mean firing rate (hidden, test split) | {c['mean_firing_rate']:.3f} spikes/neuron/step |",
        (
            f"| energy per inference (estimate, Loihi 2, {c['energy_samples']} test samples) | "
            f"{si(c['energy_dynamic_uj'] * 1e-6, 'J')} dynamic, "
            f"{si(c['energy_total_uj'] * 1e-6, 'J')} with static power; "
            f"{si(c['latency_us'] * 1e-6, 's')} latency; priced with: {c['energy_table']} |"
        ),
        "",
        (
            f"Files: {', '.join(f'`{f}`' for f in c.get('files', []))}. `model.pt` is the "
            "checkpoint (`torch.load(weights_only=True)`); `sample.npy` + labels are real test "
            "samples (encoded model inputs)."
        ),
    ]
    (model_dir / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")


def results_table(cards: list[dict[str, Any]]) -> str:
    rows = [
        (
            "| model | task metric | baseline (no input) | float (test) | fixed point, cycle sim "
            "(test) | Lava = cycle | firing rate | energy / inference (est.) | training time |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cards:
        t = c["train_time_s"]
        rows.append(
            f"| [{c['name']}](trained/{c['name']}/MODEL_CARD.md) | {c['task']} | "
            f"{fmt(c, 'baseline_test')} | {fmt(c, 'float_test')} | {fmt(c, 'fixed_cycle_test')} | "
            f"{'identical' if c['lava_identical_to_cycle'] else 'DIFFERENT'} on "
            f"{'all ' if c['lava_samples'] == c['test_samples'] else ''}{c['lava_samples']} |"
            f" {c['mean_firing_rate']:.3f} | {si(c['energy_dynamic_uj'] * 1e-6, 'J')} | "
            f"{f'{t / 60:.1f} min' if t else '-'} |"
        )
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="trained/<name> folders (default: all)")
    ap.add_argument(
        "--lava-samples",
        type=lava_samples_arg,
        default=None,
        metavar="N|all",
        help="test samples to run on Lava (default: all)",
    )
    ap.add_argument(
        "--render-only",
        action="store_true",
        help="only re-render the model cards and README from the card.json files of the last run "
        "(the file lists are read again)",
    )
    args = ap.parse_args()
    found = sorted(p.parent for p in (ROOT / "trained").glob("*/model.pt"))
    dirs = [Path(m).resolve() for m in args.models] or found
    dirs = [d.relative_to(ROOT) for d in dirs]
    os.chdir(ROOT)  # every path the commands print is then relative to the repository
    for d in dirs:
        if args.render_only:
            if (d / "card.json").is_file():  # the measured figures as they were, the listing now
                write_card(d, {**json.loads((d / "card.json").read_text()), "files": listing(d)})
            continue
        print(f"== {d.name}", file=sys.stderr)
        write_card(d, card(d, args.lava_samples))
    cards = [json.loads(p.read_text()) for p in sorted((ROOT / "trained").glob("*/card.json"))]
    text = replace_block(README.read_text(), "results", results_table(cards))
    show = ROOT / "trained" / SHOWCASE / "model.pt"
    if show.is_file():
        inspect = cli("inspect", show.relative_to(ROOT))
        text = replace_block(
            text,
            "ir",
            f"```\n$ neurocompile inspect {show.relative_to(ROOT)}\n{inspect.rstrip()}\n```",
        )
    report = OUT / SHOWCASE / "energy" / "report.txt"
    if report.is_file():
        cmd = f"neurocompile energy out/cards/{SHOWCASE}/build --dataset --samples 256"
        text = replace_block(text, "energy", f"```\n$ {cmd}\n{report.read_text().rstrip()}\n```")
    README.write_text(text)
    print(results_table(cards))
    return 0


if __name__ == "__main__":
    sys.exit(main())
