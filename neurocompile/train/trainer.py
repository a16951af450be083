"""The epoch loop: optimiser, schedule, shuffling, logging, validation, distributed training.

Deterministic on CPU: the model is drawn from ``spec.seed``, the batch order of epoch e from a
generator seeded with ``(seed, e)``. Distributed data-parallel training: when
``torch.distributed`` is initialised (``torchrun --nproc_per_node N``, gloo backend on CPU) the
model is wrapped in ``DistributedDataParallel`` and rank r trains on its contiguous share of
each global batch; DDP averages the gradients, so the result equals one process with the same
global batch (``tests/train/test_distributed.py``). Only rank 0 logs, validates and saves.
Metrics of each epoch are appended to a JSON-lines file: loss, accuracy, learning rate, mean
firing rate per layer (spikes per neuron per step), wall time.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ..errors import NeurocompileError
from ..nn import decode
from ..nn.model import SRNN
from .config import TrainerConfig
from .loop import METHODS, StepContext, check_method, evaluate


def make_optimizer(params: list[nn.Parameter], cfg: TrainerConfig) -> torch.optim.Optimizer:
    cls = {"adam": torch.optim.Adam, "adamax": torch.optim.Adamax}[cfg.optimizer]
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_schedule(opt: torch.optim.Optimizer, cfg: TrainerConfig, epochs: int):  # type: ignore[no-untyped-def]
    """Per-epoch learning-rate schedule (``scheduler.step()`` after each epoch)."""
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.step_size, gamma=cfg.gamma)
    if cfg.schedule == "linear":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda e: max(0.0, 1.0 - e / epochs))
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda e: 0.5 * (1.0 + math.cos(math.pi * min(e, epochs) / epochs))
        )
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _flushing_subnormals(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with subnormal floats flushed to zero (``torch.set_flush_denormal``).

    Trained LTC gates saturate, and their state updates then produce subnormal floats, which
    the CPU computes about 2x slower (the Add-task driver measured 11.5 s against 5.2 s per
    T = 1000 FPTT iteration). Flushing changes values below 1e-38 only. The flag is
    process-wide and torch has no getter: it is switched off again afterwards, torch's default.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        torch.set_flush_denormal(True)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_flush_denormal(False)

    return wrapper


@_flushing_subnormals
def fit(
    model: SRNN,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor] | None,
    cfg: TrainerConfig,
    epochs: int,
    seed: int = 0,
    log_path: str | Path | None = None,
) -> dict[str, Any]:
    """Train ``model`` in place; returns the metrics of the best epoch (by validation).

    ``train`` / ``val`` are ``(X float [N, T, C], y)`` tensors (already encoded). With a
    validation split the returned model holds the weights of the epoch with the best
    validation accuracy (lowest validation loss for regression); without one, the last epoch.
    """
    check_method(cfg)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(seed)
    rank, world = _world()
    spec = model.spec
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, cfg)
    sched = make_schedule(opt, cfg, epochs)
    ctx = StepContext(opt, cfg, spec.decode, spec.num_classes, params)
    step = METHODS[cfg.method]
    X, y = train
    B = int(cfg.batch_size)
    if B % world:
        raise NeurocompileError(
            f"trainer batch_size {B} is not divisible by the {world} processes; change one of them"
        )
    log = Path(log_path) if (log_path is not None and rank == 0) else None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
    best: dict[str, Any] | None = None
    best_state = None
    history = []
    t_start = time.perf_counter()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(int(seed) * 100003 + epoch)
        order = torch.randperm(len(X), generator=g)
        n_batches = len(X) // B if len(X) >= B else 1
        batches = range(n_batches)
        bar = None
        if cfg.progress and rank == 0:
            from tqdm import tqdm

            bar = tqdm(
                batches,
                desc=f"epoch {epoch + 1}/{epochs}",
                leave=False,
                mininterval=0.5 if sys.stderr.isatty() else 30.0,
                file=sys.stderr,
            )
            batches = bar
        tot_loss, n_corr, n_dec, n_seen = 0.0, 0, 0, 0
        rates: dict[str, float] = {}
        model.train()
        for b in batches:
            idx = order[b * B : (b + 1) * B]
            share = len(idx) // world
            idx = idx[rank * share : (rank + 1) * share]
            xb, yb = X[idx], y[idx]
            res = step(net, xb, yb, ctx)
            if not math.isfinite(res.loss):
                raise NeurocompileError(
                    f"training diverged at epoch {epoch + 1} (loss {res.loss}); "
                    f"lower the learning rate (now {cfg.lr}) or set trainer.clip"
                )
            tot_loss += res.loss * len(xb)
            n_seen += len(xb)
            if spec.num_classes > 0:
                c, n = decode.correct(res.outputs, yb, spec.decode)
                n_corr, n_dec = n_corr + c, n_dec + n
            for name, s in res.spikes.items():
                rates[name] = rates.get(name, 0.0) + float(s.mean()) * len(xb)
            if bar is not None:
                bar.set_postfix(loss=f"{tot_loss / n_seen:.4f}")
        if bar is not None:
            bar.close()
        lr = opt.param_groups[0]["lr"]
        sched.step()
        rec: dict[str, Any] = {"epoch": epoch + 1, "lr": lr, "train_loss": tot_loss / n_seen}
        if spec.num_classes > 0:
            rec["train_accuracy"] = n_corr / max(n_dec, 1)
        rec["firing_rate"] = {k: v / n_seen for k, v in rates.items()}
        if rank == 0 and val is not None:
            ev = evaluate(model, val[0], val[1], spec.decode, spec.num_classes, cfg.eval_batch_size)
            rec["val_loss"] = ev["loss"]
            if "accuracy" in ev:
                rec["val_accuracy"] = ev["accuracy"]
        rec["epoch_time_s"] = time.perf_counter() - t0
        rec["elapsed_s"] = time.perf_counter() - t_start
        history.append(rec)
        if rank == 0:
            score = rec.get("val_accuracy", -rec.get("val_loss", -epoch))
            if best is None or score > best["_score"]:
                best = {**rec, "_score": score}
                best_state = copy.deepcopy(model.state_dict())
            if log is not None:
                with log.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
            print(_summary(rec), file=sys.stderr, flush=True)
    if rank == 0 and best_state is not None:
        model.load_state_dict(best_state)
    result = {k: v for k, v in (best or {}).items() if k != "_score"}
    result["best_epoch"] = result.pop("epoch", epochs)
    result["epochs"] = epochs
    result["train_time_s"] = time.perf_counter() - t_start
    return result


def _summary(rec: dict[str, Any]) -> str:
    parts = [f"epoch {rec['epoch']}", f"loss {rec['train_loss']:.4f}"]
    if "train_accuracy" in rec:
        parts.append(f"acc {rec['train_accuracy']:.4f}")
    if "val_accuracy" in rec:
        parts.append(f"val_acc {rec['val_accuracy']:.4f}")
    elif "val_loss" in rec:
        parts.append(f"val_loss {rec['val_loss']:.4f}")
    rates = rec.get("firing_rate", {})
    if rates:
        parts.append("rate " + " ".join(f"{v:.3f}" for v in rates.values()))
    parts.append(f"{rec['epoch_time_s']:.0f}s")
    return "  ".join(parts)
