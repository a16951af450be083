"""``neurocompile build MODEL --target loihi-sim``: compile a model into a build directory.

The directory holds ``graph.h5`` (the compiled IR: fixed-point fields and the core map),
``core_map.json``, ``report.txt`` and its twin ``report.json``. The same input gives
byte-identical files. The build is written to a temporary directory next to the target and
renamed at the end, so a failed build leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import ir
from ..backend import available_backends, get_backend
from ..errors import ModelFileError, NeurocompileError

BUILD_FILES = ("graph.h5", "core_map.json", "report.txt", "report.json")


def add_parser(subparsers: Any) -> None:
    from ..compiler.calibrate import DEFAULT_MAX_DROP, DEFAULT_SAMPLES
    from ..compiler.chips import CHIPS, DEFAULT_CHIP

    p = subparsers.add_parser(
        "build",
        help="compile a trained model for a chip target",
        description="Compile a checkpoint (model.pt) or IR graph (.h5): fold, quantize, split "
        "to cores, place on the mesh, validate every chip limit.",
    )
    p.add_argument("model", help="checkpoint (model.pt) or IR graph (.h5)")
    p.add_argument(
        "--target",
        default="loihi-sim",
        metavar="TARGET",
        help=f"backend to build for: {', '.join(sorted(available_backends()))} (default loihi-sim)",
    )
    p.add_argument(
        "--chip",
        default=DEFAULT_CHIP,
        metavar="CHIP",
        help=f"chip spec: {', '.join(sorted(CHIPS))} (default {DEFAULT_CHIP})",
    )
    p.add_argument(
        "--calibrate",
        metavar="DATA",
        help="calibration data: .npz (x, y), .npy (x) or dataset[:split]; reports "
        "float and fixed-point accuracy (MSE for a regression model)",
    )
    p.add_argument(
        "--calibrate-samples",
        type=int,
        default=DEFAULT_SAMPLES,
        metavar="N",
        help=f"use at most N calibration samples (default {DEFAULT_SAMPLES})",
    )
    p.add_argument(
        "--max-drop",
        type=float,
        default=DEFAULT_MAX_DROP,
        metavar="POINTS",
        help=(
            f"warn when fixed point loses more accuracy, in points (default {DEFAULT_MAX_DROP}); "
            "a regression model reports float and fixed-point MSE instead"
        ),
    )
    p.add_argument(
        "--weight-bits",
        type=int,
        default=8,
        choices=(8, 16),
        help="8: one 8-bit Lava synapse per connection (default); 16: a second "
        "synapse carries the rounding residual (twice the synapses)",
    )
    p.add_argument(
        "--readout-bits",
        type=int,
        default=None,
        choices=(8, 16),
        help="the same for the synapses into a non-spiking readout only (default: "
        "--weight-bits); 16 for a readout fitted in closed form",
    )
    p.add_argument(
        "-o", "--output", default="build", metavar="DIR", help="build directory (default ./build)"
    )
    p.set_defaults(func=run)


def load_model_graph(path: str) -> ir.Graph:
    """An IR graph from a checkpoint (exported), an IR ``.h5`` or a NIR file we wrote."""
    from ..export import load_graph

    if not Path(path).is_file():
        raise ModelFileError(f"model file {path!r} does not exist; pass a model.pt or graph .h5")
    return load_graph(path)[0]


def _check_output(out: Path) -> None:
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / "report.json").is_file())
    ):
        raise NeurocompileError(
            f"output {str(out)!r} exists and is not a neurocompile build directory; choose "
            "another -o DIR"
        )


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move the finished build ``tmp`` to ``out``, replacing a previous build."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "build")
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def compile_model(
    graph: ir.Graph,
    chip: str = "loihi2",
    calibrate: str | None = None,
    samples: int = 256,
    weight_bits: int = 8,
    readout_bits: int | None = None,
) -> tuple[ir.Graph, Any, tuple[Any, Any] | None]:
    """The compile step of :func:`build`: calibration statistics from ``calibrate`` (if given),
    then the passes. Returns ``(compiled graph, context, calibration data or None)``."""
    from ..compiler import calibrate as cal
    from ..compiler.pipeline import compile_graph

    stats, data = None, None
    if calibrate:
        data = cal.load_data(calibrate, graph, samples)
        stats = cal.collect_stats(graph, data[0])
    compiled, ctx = compile_graph(
        graph, chip, stats, weight_bits=weight_bits, readout_bits=readout_bits
    )
    return compiled, ctx, data


def build(
    model: str,
    target: str = "loihi-sim",
    chip: str = "loihi2",
    calibrate: str | None = None,
    samples: int = 256,
    max_drop: float = 1.0,
    output: str | Path = "build",
    weight_bits: int = 8,
    readout_bits: int | None = None,
) -> dict[str, Any]:
    """Compile ``model`` into ``output`` (module docstring); returns the report dict."""
    from ..compiler import calibrate as cal
    from ..compiler.chips import get_chip
    from ..compiler.coremap import core_map_of
    from ..compiler.report import make_report, render_text
    from ..ir.io_hdf5 import save_hdf5

    backend = get_backend(target)
    get_chip(chip)  # an unknown chip fails here, before any work
    if not backend.needs_quantized:
        raise NeurocompileError(
            f"target {target!r} runs the float graph as it is; build is for chip targets "
            f"(e.g. loihi-sim): use neurocompile run with a graph, or --target loihi-sim"
        )
    out = Path(output)
    _check_output(out)
    graph = load_model_graph(model)
    compiled, ctx, data = compile_model(graph, chip, calibrate, samples, weight_bits, readout_bits)
    comparison = None
    if data is not None:
        comparison = cal.compare(graph, compiled, data[0], data[1], max_drop)
        if comparison.warning:
            ctx.warnings.append(comparison.warning)
    report = make_report(compiled, ctx, source=Path(model).name, comparison=comparison)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        save_hdf5(compiled, tmp / "graph.h5")
        (tmp / "core_map.json").write_text(core_map_of(compiled).to_json())
        (tmp / "report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        (tmp / "report.txt").write_text(render_text(report))
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    report = build(
        args.model,
        args.target,
        args.chip,
        args.calibrate,
        args.calibrate_samples,
        args.max_drop,
        args.output,
        args.weight_bits,
        args.readout_bits,
    )
    from ..compiler.report import render_summary

    print(render_summary(report))
    print(f"wrote {args.output}/ ({', '.join(BUILD_FILES)}) in {time.perf_counter() - start:.2f} s")
    return 0
