"""Peak memory of one training step vs sequence length: BPTT vs FPTT on the same LTC-SRNN.

Not a test: a measurement, run with ``python benchmarks/fptt_memory.py`` (``make bench``).

Network: the Add-task model (2 inputs, 128 recurrent LTC spiking neurons, one integrator
output; thesis 4.3.1), batch 128, T = 100, 250, 500, 1000, 2000. Each (method, T) runs in a
fresh Python process so peaks do not mix; it reports ``ru_maxrss`` after setup (imports, model,
data) and after one training step. Methods:

* ``bptt``: one forward over T steps, one backward (``neurocompile.train.loop.bptt_step``);
* ``fptt``: FPTT with a fixed part length of 10 steps (K = T / 10; K = 10 at T = 100, the
  authors' setting), ``neurocompile.train.fptt.fptt_step``;
* ``fptt_K10``: FPTT with K = 10 parts at every T (part length T / 10), for reference.

Target (issue 3): FPTT peak at T = 2000 within 1.25x of its peak at T = 100; BPTT roughly
linear in T (thesis Table 4.5: up to 5x less memory with FPTT).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import machine, peak_rss_mb, run_in_subprocess, table, write_json

LENGTHS = (100, 250, 500, 1000, 2000)
METHODS = ("bptt", "fptt", "fptt_K10")
BATCH, HIDDEN = 128, 128
TARGET_RATIO = 1.25


def measure(method: str, T: int, threads: int) -> dict:
    """One training step in this process; returns peaks before/after, MiB."""
    import time

    import torch

    from neurocompile.data.addtask import make_add_task
    from neurocompile.nn import SRNN, SRNNSpec
    from neurocompile.train import fptt  # noqa: F401
    from neurocompile.train.config import TrainerConfig
    from neurocompile.train.loop import METHODS as STEPS
    from neurocompile.train.loop import StepContext

    torch.set_num_threads(threads)
    model = SRNN(
        SRNNSpec.from_dict(
            {
                "input_size": 2,
                "num_classes": 0,
                "decode": "last",
                "seed": 0,
                "layers": [{"size": HIDDEN, "neuron": "ltc"}],
            }
        )
    )
    options = {"part_length": 10} if method == "fptt" else {"parts": 10}
    cfg = TrainerConfig(method=method.split("_")[0], lr=3e-3, clip=1.0, options=options)
    params = [p for p in model.parameters() if p.requires_grad]
    ctx = StepContext(torch.optim.Adam(params, lr=cfg.lr), cfg, "last", 0, params)
    x, y = (torch.from_numpy(a) for a in make_add_task(BATCH, T, seed=0))
    before = peak_rss_mb()
    t0 = time.perf_counter()
    STEPS[cfg.method](model, x, y, ctx)
    seconds = time.perf_counter() - t0
    after = peak_rss_mb()
    return {
        "method": method,
        "T": T,
        "setup_peak_mb": before,
        "peak_mb": after,
        "step_mb": after - before,
        "step_s": seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "T"), help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(measure(a.one[0], int(a.one[1]), a.threads)))
        return
    rows = []
    for method in a.methods:
        for T in a.lengths:
            r = run_in_subprocess(
                Path(__file__), ["--one", method, str(T), "--threads", str(a.threads)]
            )
            rows.append(r)
            print(
                f"  {method:9s} T={T:5d}  peak {r['peak_mb']:8.1f} MiB  step +{r['step_mb']:7.1f} MiB"
                f"  {r['step_s']:6.2f} s",
                file=sys.stderr,
                flush=True,
            )
    summary = {}
    for method in a.methods:
        mine = {r["T"]: r for r in rows if r["method"] == method}
        lo, hi = min(mine), max(mine)
        for r in mine.values():
            r["peak_vs_shortest"] = r["peak_mb"] / mine[lo]["peak_mb"]
            r["step_mb_vs_shortest"] = r["step_mb"] / max(mine[lo]["step_mb"], 1e-9)
        summary[method] = {
            "T_range": [lo, hi],
            "peak_ratio": mine[hi]["peak_mb"] / mine[lo]["peak_mb"],
            "step_increase_ratio": mine[hi]["step_mb"] / max(mine[lo]["step_mb"], 1e-9),
        }
    fptt_ok = summary["fptt"]["peak_ratio"] <= TARGET_RATIO if "fptt" in summary else None
    cols = [
        ("method", "method", "s"),
        ("T", "T", "d"),
        ("peak_mb", "peak RSS MiB", ".1f"),
        ("step_mb", "step +MiB", ".1f"),
        ("peak_vs_shortest", "peak / T=min", ".2f"),
        ("step_s", "step s", ".2f"),
    ]
    print(table(rows, cols))
    for method, sm in summary.items():
        print(
            f"{method}: peak RSS ratio T={sm['T_range'][1]} / T={sm['T_range'][0]} = "
            f"{sm['peak_ratio']:.2f}, step increase ratio {sm['step_increase_ratio']:.2f}"
        )
    if fptt_ok is not None:
        print(f"FPTT target (peak ratio <= {TARGET_RATIO}): {'met' if fptt_ok else 'NOT met'}")
    path = write_json(
        "fptt_memory",
        {
            "benchmark": "fptt_memory",
            "network": f"2-{HIDDEN}LTC(rec)-1LI, batch {BATCH}",
            "threads": a.threads,
            "rows": rows,
            "summary": summary,
            "target_ratio": TARGET_RATIO,
            "target_met": fptt_ok,
            "machine": machine(),
            "command": "python benchmarks/fptt_memory.py",
        },
    )
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
