"""Train LTC spiking neurons (128 in config.toml) + one integrator output on the Add task (thesis 4.3.1).

The model is ``neurocompile.nn.SRNN`` built from ``config.toml``'s ``[model]`` table; the
trainer step is the registered method (``fptt`` from ``neurocompile.train.fptt`` or ``bptt``
from ``neurocompile.train.loop``). As in the FPTT papers every iteration draws a fresh batch
(seed ``seed * 10**7 + iteration``), so there are no epochs; the test set is a fixed draw of
1000 sequences (seed 10**6). Every iteration appends one JSON line to ``curve_<method>.jsonl``; the
checkpoint (``neurocompile.checkpoint`` format) is written every ``--eval-every`` iterations.

    .venv/bin/python trained/add_ltc_fptt/train_add.py --method fptt --iters 3000 \\
        --out trained/add_ltc_fptt

``--resume`` continues a run in ``--out`` from its ``resume_<method>.pt`` (model, Adam state, the
FPTT running estimates ``W_bar`` and ``lambda``, and the iteration), written at every
evaluation; the curve is appended to, so a resumed run is the same run continued.

``--input-noise SIGMA`` trains on inputs whose value channel carries N(0, SIGMA^2) noise (the
target stays the clean sum): an experiment against the network's chaos (README, "sensitivity").
The firing-rate penalty, the other one, is a trainer option of the config
(``rate_penalty``, ``rate_target``; ``neurocompile.train.fptt``).

``--ema DECAY`` keeps an exponential moving average of the parameters (Polyak averaging:
``W_ema <- DECAY * W_ema + (1 - DECAY) * W`` after every iteration). The averaged model is the
run's model: it is evaluated (``test_mse``; the raw iterate's error is ``test_mse_raw``) and
checkpointed, while training continues on the raw iterate. It damps the iteration-to-iteration
noise of the test error.

``--fit-readout CKPT --out RUN_DIR`` refits CKPT's readout in closed form: for each time
constant of ``--readout-taus`` the least-squares weights on ``--fit-sequences`` fresh
sequences, keeping the time constant with the lowest MSE on 1000 validation sequences
(``neurocompile.train.readout_fit``). It writes ``RUN_DIR/model_readout.pt``, which
``--finalize RUN_DIR`` then ships instead of the run's ``model_fptt.pt``.

``--finalize RUN_DIR`` writes the shipped files of this folder from its runs (``RUNS`` in
``add_runs.py``):
``model.pt`` (the FPTT checkpoint of RUN_DIR), ``curves.json`` (every run's loss curve),
``sample.npy`` / ``sample_labels.npy`` (8 test sequences and their targets) and the run table
of ``README.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import tomllib
import torch

from neurocompile.checkpoint import save_checkpoint
from neurocompile.data.addtask import expected_sum, make_add_task
from neurocompile.errors import NeurocompileError
from neurocompile.nn import SRNN, SRNNSpec
from neurocompile.train import fptt  # also registers method "fptt"
from neurocompile.train.config import TrainerConfig
from neurocompile.train.loop import METHODS, StepContext, evaluate

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # diagnostics.py, add_runs.py beside it, also when loaded by path

from add_runs import RUNS  # the runs of this folder (add_runs.py beside this script)
from diagnostics import (
    TEST_SEED,
    VoltageReadoutSRNN,
    ensemble,
    gate_inputs,
    grad_norms,
    hold_time,
    refuse_voltage_readout,
    sensitivity,
)
from refit import READOUT_VAL_SEED, chip_graph, fit_readout_command  # noqa: F401 (tests use them)


def finalize(out: Path) -> None:
    """Ship ``model.pt`` (the FPTT checkpoint of run folder ``out``), ``curves.json`` (every
    run's curve), the sample files and the README's run table.

    ``model.pt`` gets its training time and iteration count (read from the run's curve at the
    checkpoint's iteration) and the command that trained it added to its metadata, so the model
    card can report them.
    """
    import numpy as np

    from neurocompile.checkpoint import load_checkpoint, read_checkpoint

    curves, command = {}, ""
    for key, folder, method, _, args in RUNS:
        path = HERE / folder / f"curve_{method}.jsonl"
        if path.exists():
            curves[key] = [json.loads(line) for line in path.open()]
        if (HERE / folder).resolve() == out.resolve() and method == "fptt":
            shipped, command = key, f".venv/bin/python trained/add_ltc_fptt/train_add.py {args}"
    if not command:
        raise SystemExit(f"error: {out} is not one of the FPTT run folders of {HERE}")
    source = out / "model_readout.pt"  # the run's model with a refitted readout, if any
    if not source.is_file():
        source = out / "model_fptt.pt"
    ck = read_checkpoint(source)
    model, _ = load_checkpoint(source)
    iters = int(ck["trainer"]["iterations"])
    at = [r for r in curves.get(shipped, []) if r["iter"] == iters - 1]
    metrics = {**ck["metrics"], "iterations": iters}
    if at:
        metrics["train_time_s"] = at[0]["time_s"]
    # a staged model's training includes the runs it started from (--init, recursively), up to
    # the iteration whose checkpoint the next stage started from (the run's last evaluation)
    stages = [shipped]
    while (earlier := _init_run(stages[-1])) is not None:
        stages.append(earlier)
    for key in stages[1:]:
        first = curves[key]
        metrics["iterations"] += len(first)
        metrics["train_time_s"] = metrics.get("train_time_s", 0.0) + first[-1]["time_s"]
    if len(stages) > 1:
        command = " && ".join(
            f".venv/bin/python trained/add_ltc_fptt/train_add.py {_args(k)}" for k in stages[::-1]
        )
    fitted = ck["trainer"].get("readout_fit")
    if fitted:
        command += f" && {fitted['command']}"
    save_checkpoint(
        HERE / "model.pt",
        model,
        metrics=metrics,
        dataset=ck["dataset"],
        trainer={**ck["trainer"], "command": command},
    )
    (HERE / "curves.json").write_text(json.dumps(curves) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text()
    a, b = text.index(TABLE_BEGIN) + len(TABLE_BEGIN), text.index(TABLE_END)
    readme.write_text(text[:a] + "\n" + summary_table(curves) + "\n" + text[b:])
    opts = ck["dataset"]["options"]
    x, y = make_add_task(8, int(opts["T"]), seed=TEST_SEED, quiet_tail=int(opts["quiet_tail"]))
    np.save(HERE / "sample.npy", x)
    np.save(HERE / "sample_labels.npy", y)


def _args(key: str) -> str:
    return next(a for k, _, _, _, a in RUNS if k == key)


def _init_run(key: str) -> str | None:
    """The FPTT run whose model run ``key`` started from (its ``--init``), or None."""
    words = _args(key).split()
    if "--init" not in words:
        return None
    folder = Path(words[words.index("--init") + 1]).parent.name
    return next(k for k, f, m, _, _ in RUNS if f == folder and m == "fptt")


TABLE_BEGIN, TABLE_END = "<!-- curves:begin -->", "<!-- curves:end -->"
LABELS = {key: label for key, _, _, label, _ in RUNS}


def summary_table(curves: dict[str, list[dict]]) -> str:
    """The README's table of every run, computed from their curves (MSEs to 3 significant
    figures: the runs' errors span 0.0036 to 1)."""
    rows = [
        (
            "| method | iterations | wall time | test MSE at start | best test MSE | "
            "last test MSE | mean train MSE, last 50 iterations | ended by |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for method, curve in curves.items():
        ev = [r for r in curve if "test_mse" in r]
        last = curve[-1]
        tail = [r["train_mse"] for r in curve[-50:] if math.isfinite(r["train_mse"])]
        end = "divergence (a parameter not finite)" if last.get("diverged") else "stopped"
        if ev:
            best = min(ev, key=lambda r: r["test_mse"])
            tests = (
                f"{ev[0]['test_mse']:.3g} | {best['test_mse']:.3g} (iteration {best['iter']}) "
                f"| {ev[-1]['test_mse']:.3g} (iteration {ev[-1]['iter']})"
            )
        else:  # ended before its first evaluation
            tests = "- | - | -"
        rows.append(
            f"| {LABELS.get(method, method)} | {len(curve)} | {last['time_s']:.0f} s | {tests} "
            f"| {sum(tail) / len(tail):.3g} | {end} |"
        )
    return "\n".join(rows)


def training_batch(
    batch: int,
    T: int,
    seed: int,
    it: int,
    quiet_tail: int,
    input_noise: float = 0.0,
    step_delay: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Iteration ``it``'s training batch: a fresh Add-task draw (seed ``seed * 10**7 + it``).

    ``input_noise`` > 0 adds N(0, input_noise**2) to every step of the value channel (channel 0;
    the marker channel and the target, the sum of the clean marked values, are unchanged), drawn
    from a generator seeded by the iteration, so a resumed run sees the same noise. The noise
    perturbs the hidden spike trajectory; training on it asks the readout to be robust to
    such perturbations (see "sensitivity" in README.md). It adds an irreducible 2 * noise**2 to
    the training MSE.

    ``step_delay = d`` returns a target for every step, ``[batch, T]``: ``E[y | inputs up to
    t - d]`` (``expected_sum``), for the FPTT option ``step_targets`` and a model that answers
    ``d`` steps after its input. The last step's target is ``y``.
    """
    x, y = make_add_task(batch, T, seed=seed * 10**7 + it, quiet_tail=quiet_tail)
    if step_delay is not None:
        y = expected_sum(x, step_delay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if input_noise > 0:
        gen = torch.Generator().manual_seed(seed * 10**7 + it)
        xt[..., 0] += input_noise * torch.randn(xt.shape[:-1], generator=gen, dtype=xt.dtype)
    return xt, yt


class ParameterAverage:
    """An exponential moving average of a model's parameters, held in a copy of the model.

    ``update()`` after every optimizer step: ``W_ema <- decay * W_ema + (1 - decay) * W``,
    starting from the weights at construction. Buffers are copied, not averaged.
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        import copy

        self.decay, self.source = decay, model
        self.model = copy.deepcopy(model)
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        for avg, p in zip(self.model.parameters(), self.source.parameters()):
            avg.lerp_(p.detach(), 1.0 - self.decay)
        for avg, b in zip(self.model.buffers(), self.source.buffers()):
            avg.copy_(b)


def save_resume(
    path: Path, next_iter: int, elapsed: float, model, opt, reg, ema: ParameterAverage | None = None
) -> None:
    """Everything a run needs to continue exactly (written atomically)."""
    state = {
        "iteration": next_iter,
        "elapsed_s": elapsed,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "w_bar": [] if reg is None else reg.w_bar,
        "lam": [] if reg is None else reg.lam,
        "fptt_updates": 0 if reg is None else reg.updates,  # seeds FPTT's weight noise
    }
    if ema is not None:
        state["ema"] = ema.model.state_dict()
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_resume(
    path: Path, model, opt, reg, ema: ParameterAverage | None = None
) -> tuple[int, float]:
    """Restore a :func:`save_resume` file; returns ``(next iteration, elapsed seconds)``."""
    if not path.is_file():
        raise SystemExit(f"error: {path} does not exist; start the run without --resume")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if (ema is not None) != ("ema" in state):
        raise SystemExit(
            f"error: {path} was written by a run {'without' if ema is not None else 'with'} "
            "--ema; resume it with the same --ema option"
        )
    model.load_state_dict(state["model"])
    if ema is not None:
        ema.model.load_state_dict(state["ema"])
    opt.load_state_dict(state["optimizer"])
    if reg is not None:
        for dst, src in zip(reg.w_bar + reg.lam, state["w_bar"] + state["lam"]):
            dst.copy_(src)
        reg.updates = int(state.get("fptt_updates", 0))  # absent in files from before the noise
    return int(state["iteration"]), float(state["elapsed_s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--finalize", type=Path, metavar="RUN_DIR", default=None)
    ap.add_argument(
        "--grad-norm",
        type=Path,
        metavar="CKPT",
        default=None,
        help="print the BPTT gradient norm of CKPT at T = 100, 300, 1000 and exit",
    )
    ap.add_argument(
        "--sensitivity",
        type=Path,
        metavar="CKPT",
        default=None,
        help="print how CKPT's test output changes when its parameters are perturbed and exit",
    )
    ap.add_argument(
        "--gate-inputs",
        type=Path,
        metavar="CKPT",
        default=None,
        help="print how far CKPT's LTC gates saturate and the MSE with integer sigmoid tables",
    )
    ap.add_argument(
        "--ensemble",
        type=Path,
        nargs="+",
        metavar="CKPT",
        default=None,
        help="print the test MSE of each CKPT and of their averaged outputs and exit",
    )
    ap.add_argument(
        "--hold-time",
        type=Path,
        nargs="+",
        metavar="CKPT",
        default=None,
        help="print each CKPT's test MSE by the steps from each marker to the end and exit",
    )
    ap.add_argument(
        "--fit-readout",
        type=Path,
        metavar="CKPT",
        default=None,
        help="refit CKPT's readout in closed form into --out/model_readout.pt and exit",
    )
    ap.add_argument(
        "--readout-taus",
        type=float,
        nargs="+",
        default=[100.0, 300.0, 1000.0, 3000.0],
        metavar="STEPS",
        help="--fit-readout: candidate readout time constants (default 100 300 1000 3000)",
    )
    ap.add_argument(
        "--fit-sequences",
        type=int,
        default=8000,
        metavar="N",
        help="--fit-readout: sequences the readout is fitted on (default 8000)",
    )
    ap.add_argument(
        "--spikes",
        choices=("float", "chip", "both"),
        default="float",
        help="--fit-readout: fit on the float model's hidden spikes, the chip simulator's "
        "(the graph of `neurocompile build --calibrate dataset:val`), or both (default float)",
    )
    ap.add_argument(
        "--sequences",
        type=int,
        default=1000,
        metavar="N",
        help="--sensitivity, --gate-inputs, --ensemble, --hold-time: N test sequences "
        "(default 1000)",
    )
    ap.add_argument("--config", type=Path, default=HERE / "config.toml")
    ap.add_argument("--method", choices=("fptt", "bptt"), default=None, help="overrides config")
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--resume", action="store_true", help="continue the run in --out")
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="CKPT",
        help="start from this checkpoint's weights (fresh Adam and FPTT estimates): a curriculum",
    )
    ap.add_argument(
        "--input-noise",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="add N(0, SIGMA^2) to the training inputs' value channel (default 0: none)",
    )
    ap.add_argument(
        "--ema",
        type=float,
        default=None,
        metavar="DECAY",
        help="evaluate and save a moving average of the parameters (e.g. 0.99; default: none)",
    )
    ap.add_argument(
        "--readout-voltage",
        action="store_true",
        help="diagnostic: the readout integrates the hidden voltages, not spikes (not deployable)",
    )
    a = ap.parse_args()
    for ckpt in (
        a.grad_norm,
        a.sensitivity,
        a.gate_inputs,
        *(a.ensemble or ()),
        *(a.hold_time or ()),
        a.fit_readout,
        a.finalize and a.finalize / "model_fptt.pt",
    ):
        if ckpt and Path(ckpt).is_file():
            try:
                refuse_voltage_readout(Path(ckpt))
            except NeurocompileError as exc:  # not a checkpoint: one line, no traceback
                raise SystemExit(f"error: {exc}") from None
    if a.finalize:
        finalize(a.finalize)
        return
    if a.fit_readout:
        if a.out is None:
            ap.error("--out is required for --fit-readout")
        if a.fit_sequences < 1:
            raise SystemExit(f"error: --fit-sequences {a.fit_sequences}: give a count >= 1")
        try:
            fit_readout_command(a.fit_readout, a.out, a.readout_taus, a.fit_sequences, a.spikes)
        except NeurocompileError as exc:
            raise SystemExit(f"error: {exc}") from None
        return
    if a.grad_norm or a.sensitivity or a.gate_inputs or a.ensemble or a.hold_time:
        try:
            if a.grad_norm:
                grad_norms(a.grad_norm)
            elif a.gate_inputs:
                gate_inputs(a.gate_inputs, n=a.sequences)
            elif a.ensemble:
                ensemble(a.ensemble, n=a.sequences)
            elif a.hold_time:
                hold_time(a.hold_time, n=a.sequences)
            else:
                sensitivity(a.sensitivity, n=a.sequences)
        except NeurocompileError as exc:
            raise SystemExit(f"error: {exc}") from None
        return
    if a.out is None:
        ap.error("--out is required for training")
    if not (math.isfinite(a.input_noise) and a.input_noise >= 0):
        raise SystemExit(
            f"error: --input-noise {a.input_noise}: give a standard deviation >= 0, e.g. 0.01"
        )
    if a.ema is not None and not (0.0 < a.ema < 1.0):
        raise SystemExit(f"error: --ema {a.ema}: give a decay between 0 and 1, e.g. 0.99")
    noise = {"input_noise": a.input_noise} if a.input_noise > 0 else {}
    if a.ema is not None:
        noise["ema"] = a.ema
    raw = tomllib.loads(a.config.read_text())
    trainer = dict(raw["trainer"])
    if a.method is not None:
        trainer["method"] = a.method
    cfg = TrainerConfig.from_dict(trainer)
    ds = raw["dataset"]["options"]
    T, tail = int(ds["T"]), int(ds.get("quiet_tail", 0))
    seed = int(raw.get("seed", 0))
    torch.set_num_threads(max(cfg.threads, 1))
    # Trained LTC gates saturate (sigmoid near 1), so the voltage and trace updates produce
    # subnormal floats, which the CPU handles about 2x slower (measured: 11.5 s vs 5.2 s per
    # T = 1000 iteration of the 256-neuron model). They are below 1e-38: flushing them to zero
    # changes no result that matters and halves the training time.
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    model = (VoltageReadoutSRNN if a.readout_voltage else SRNN)(SRNNSpec.from_dict(raw["model"]))
    if a.init is not None:
        from neurocompile.checkpoint import read_checkpoint

        model.load_state_dict(read_checkpoint(a.init)["state_dict"])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    ctx = StepContext(opt, cfg, model.spec.decode, model.spec.num_classes, params)
    step = METHODS[cfg.method]
    reg = (
        fptt.regularizer_for(ctx, fptt.FPTTConfig.from_options(cfg.options))
        if (cfg.method == "fptt")
        else None
    )
    ema = None if a.ema is None else ParameterAverage(model, a.ema)
    # FPTT step_targets: each part scores E[y | inputs seen so far]; the model sees the input
    # at step t at step t + (hidden layers + readout), one synapse delay each (docs/DESIGN.md)
    step_targets = cfg.method == "fptt" and bool(cfg.options.get("step_targets", False))
    delay = len(model.spec.layers) + 1 if step_targets else None
    if step_targets and model.spec.bidirectional:
        raise SystemExit(
            "error: step_targets needs a causal model; remove bidirectional or step_targets"
        )
    xt, yt = (torch.from_numpy(v) for v in make_add_task(1000, T, seed=TEST_SEED, quiet_tail=tail))
    a.out.mkdir(parents=True, exist_ok=True)
    curve = a.out / f"curve_{cfg.method}.jsonl"
    resume = a.out / f"resume_{cfg.method}.pt"
    start, t_before = 0, 0.0
    if a.resume:
        start, t_before = load_resume(resume, model, opt, reg, ema)
        kept = [ln for ln in curve.read_text().splitlines() if json.loads(ln)["iter"] < start]
        curve.write_text("".join(ln + "\n" for ln in kept))
    else:
        curve.write_text("")
    t0 = time.time() - t_before
    for it in range(start, a.iters):
        x, y = training_batch(cfg.batch_size, T, seed, it, tail, a.input_noise, delay)
        res = step(model, x, y, ctx)
        rec = {"iter": it, "time_s": round(time.time() - t0, 2), "train_mse": res.loss}
        if not all(torch.isfinite(p).all() for p in params) or not math.isfinite(res.loss):
            rec["diverged"] = True
            with curve.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            break
        if ema is not None:
            ema.update()
        if it % a.eval_every == 0 or it == a.iters - 1:
            if ema is not None:
                ev_raw = evaluate(model, xt, yt, model.spec.decode, 0, batch_size=250)
                rec["test_mse_raw"] = ev_raw["loss"]
            shipped = model if ema is None else ema.model
            ev = evaluate(shipped, xt, yt, model.spec.decode, 0, batch_size=250)
            rec["test_mse"] = ev["loss"]
            rec["firing_rate"] = ev["firing_rate"]
            metrics = {"test_mse": ev["loss"], "iterations": it + 1, "T": T}
            if a.readout_voltage:
                metrics["readout_voltage"] = True
            save_checkpoint(
                a.out / f"model_{cfg.method}.pt",
                shipped,
                metrics=metrics,
                dataset=raw["dataset"],
                trainer={**cfg.to_dict(), "iterations": it + 1, **noise},
            )
            save_resume(resume, it + 1, time.time() - t0, model, opt, reg, ema)
        with curve.open("a") as f:
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
