"""Training steps (BPTT, truncated BPTT), evaluation and the epoch loop.

A training method is a function ``step(net, x, y, ctx) -> StepResult`` that runs the
forward pass(es), backward pass(es) and optimizer update(s) of one batch; methods are looked
up by name in ``METHODS`` (``register_method`` adds one, e.g. FPTT). ``net`` is the model or
its ``DistributedDataParallel`` wrapper (both are called as ``net(x, state=..., return_state=True)``);
``ctx.update()`` clips the gradient and steps the optimizer.

* BPTT (thesis ``000_0005cebc1143a667.txt`` 2.2, Fig. 2.5): one forward over all T steps,
  the decoder's loss (many-to-one or per step), one backward, one update.
* Truncated BPTT with interval k (thesis 3.3.5): the sequence is cut into segments of k
  steps; each segment starts from the previous segment's final state *detached* (values kept,
  gradient cut: membrane, threshold trace, spikes and the delayed synaptic input), computes
  the loss on its own outputs (per-step labels of the segment, or the sequence label decoded
  from the segment) and takes one optimizer step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..errors import NeurocompileError
from ..nn import decode
from .config import TrainerConfig


@dataclass
class StepContext:
    optimizer: torch.optim.Optimizer
    cfg: TrainerConfig
    decode: str
    num_classes: int
    params: list[nn.Parameter] = field(default_factory=list)

    def update(self) -> None:
        """Clip the gradient norm (if ``cfg.clip``) and take one optimizer step."""
        if self.cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.cfg.clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


@dataclass
class StepResult:
    loss: float
    outputs: torch.Tensor  # [B, T, C], detached
    spikes: dict[str, torch.Tensor]  # layer -> [B, T, n], detached


def bptt_step(net: nn.Module, x: torch.Tensor, y: torch.Tensor, ctx: StepContext) -> StepResult:
    out, spikes = net(x)
    loss = decode.loss(out, y, ctx.decode, ctx.num_classes)
    loss.backward()
    ctx.update()
    return StepResult(loss.item(), out.detach(), {k: v.detach() for k, v in spikes.items()})


def tbptt_step(net: nn.Module, x: torch.Tensor, y: torch.Tensor, ctx: StepContext) -> StepResult:
    k = int(ctx.cfg.truncation)
    state = None
    outs, spk, losses = [], [], []
    for t0 in range(0, x.shape[1], k):
        seg_y = y[:, t0 : t0 + k] if (y.dim() == 2 and ctx.decode == "per_step") else y
        out, spikes, state = net(x[:, t0 : t0 + k], state=state, return_state=True)
        loss = decode.loss(out, seg_y, ctx.decode, ctx.num_classes)
        loss.backward()
        ctx.update()
        losses.append(loss.item())
        outs.append(out.detach())
        spk.append({n: s.detach() for n, s in spikes.items()})
    spikes_all = {n: torch.cat([d[n] for d in spk], 1) for n in spk[0]}
    return StepResult(sum(losses) / len(losses), torch.cat(outs, 1), spikes_all)


METHODS: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor, StepContext], StepResult]] = {
    "bptt": bptt_step,
    "tbptt": tbptt_step,
}


OPTION_CHECKS: dict[str, Callable[[dict[str, Any] | None], Any]] = {}


def register_method(
    name: str,
    step: Callable[[nn.Module, torch.Tensor, torch.Tensor, StepContext], StepResult],
    check_options: Callable[[dict[str, Any] | None], Any] | None = None,
) -> None:
    """Add a training method usable as ``[trainer] method = name``.

    ``check_options(options)`` validates ``[trainer] options`` for this method (raising
    ``NeurocompileError``); :func:`check_method` runs it before any training starts.
    """
    METHODS[name] = step
    if check_options is not None:
        OPTION_CHECKS[name] = check_options


def check_method(cfg: Any) -> None:
    """Raise ``NeurocompileError`` unless ``cfg.method`` (a ``TrainerConfig``) is a known method
    whose ``options`` pass its check; called before a run creates any file."""
    if cfg.method not in METHODS and cfg.method == "fptt":
        from . import fptt  # noqa: F401  (registers itself)
    if cfg.method not in METHODS:
        raise NeurocompileError(
            f"trainer method {cfg.method!r} is unknown; use one of {sorted(METHODS)}"
        )
    check = OPTION_CHECKS.get(cfg.method)
    if check is not None:
        check(cfg.options)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    decode_name: str,
    num_classes: int,
    batch_size: int = 512,
) -> dict[str, float]:
    """Loss, accuracy (classification) and mean firing rate per layer over a whole split."""
    model.eval()
    total_loss, n_correct, n_total, n_seen = 0.0, 0, 0, 0
    rates: dict[str, float] = {}
    for i in range(0, len(X), batch_size):
        xb, yb = X[i : i + batch_size], y[i : i + batch_size]
        out, spikes = model(xb)
        total_loss += float(decode.loss(out, yb, decode_name, num_classes)) * len(xb)
        if num_classes > 0:
            c, n = decode.correct(out, yb, decode_name)
            n_correct, n_total = n_correct + c, n_total + n
        for name, s in spikes.items():
            rates[name] = rates.get(name, 0.0) + float(s.mean()) * len(xb)
        n_seen += len(xb)
    model.train()
    res = {"loss": total_loss / n_seen}
    if num_classes > 0:
        res["accuracy"] = n_correct / max(n_total, 1)
    res["firing_rate"] = {k: v / n_seen for k, v in rates.items()}  # type: ignore[assignment]
    return res
