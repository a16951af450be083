r"""Forward Propagation Through Time (FPTT) for spiking recurrent networks.

FPTT (Kag & Saligrama 2021; for SNNs: Yin, Corradi & Bohte, seeds ``002_1fd42c0e04b8c700.txt``
and ``003_08d920e8f3fda498.txt`` Algorithm 2; thesis ``000_0005cebc1143a667.txt`` section 4.2,
eq. 4.1a-c) replaces one backward pass through the whole sequence by K short ones. The sequence
is split into K parts; after each part p = 1..K the parameters W take one optimizer step on the
dynamic loss

.. math::
    \ell^{dyn}_p(W) = \omega_p\, \ell_p(W) + (\rho - 1) \sum W \odot \lambda
                      + \frac{\alpha}{2} \lVert W - \bar W \rVert^2          (4.1a)

with gradients taken within the part only (the state entering the part is detached), the
gradient norm clipped, and then the running estimates are updated with W held fixed:

.. math::
    \lambda &\leftarrow \lambda - \alpha (W - \bar W) \\
    \bar W &\leftarrow (1 - \beta)\, \bar W + \beta\, W - \frac{\beta}{\alpha} \lambda   (4.1c)

``W_bar`` starts as W and ``lambda`` as 0. The thesis writes the same update with the
past-loss gradient ``grad l_{t-1}`` in place of ``lambda`` (eq. 4.1a, 4.1c; Algorithm 2, lines
8-10 of seed 003); ``lambda`` is the running estimate of that gradient that the published FPTT
code keeps (its ``get_regularizer_named_params`` / ``post_optimizer_updates`` pair with
``debias`` off), and this module follows that code term by term.
Authors' Add-task settings (thesis 4.3.1, FPTT code): alpha = 0.5, beta = 0.5, rho = 0, K = 10,
clip 1.0, Adam 3e-3, batch 128.

The task loss of part p (:func:`part_loss`; ``decode`` and the loss are those of
``nn.decode``, applied to the outputs of the part):

* per-step labels (``decode = "per_step"``): the part's labels, ``omega_p = 1``;
* regression with one target per sequence (Add task, ``decode = "last"``): ``omega_p`` times
  the MSE at the part's last step (the target is only predictable late in the sequence).
  ``omega_p = p / K`` (p = 1..K; ``weighting = "linear"``, the default), or ``p - 1 + 1 / K``
  (``weighting = "published"``): the published Add-task code writes ``(p+1/PARTS) * loss``
  with a 0-based p, which Python reads as ``p + 1/PARTS``, up to 9.1 for K = 10, so there the
  task loss outweighs the regularizer about 10 times more than with ``p / K``;
* classification with one label per sequence: thesis eq. 4.2,
  ``l_p = beta_p l^CE + (1 - beta_p) l^div`` with ``beta_p = p / K`` and
  ``l^div = -sum_c Q(c) log P_hat(c)``, Q uniform (the published code's oracle distribution
  before class statistics exist), ``P_hat`` the decoder's class probabilities of the part.

In a training config: ``[trainer] method = "fptt"`` with
``options = { parts = 10, alpha = 0.5, beta = 0.5, rho = 0.0 }`` (or ``part_length`` = steps
per part instead of ``parts``); ``clip`` is the trainer's own ``clip``. ``rate_penalty = c``
(default 0, off) and ``rate_target = r0`` add ``c sum_layers mean_n (r_n - r0)^2`` to every
part's loss, ``r_n`` the firing rate of hidden neuron n over the part and the batch: a
firing-rate regularizer (not in the thesis), for networks whose activity drifts up.
``weight_noise = r`` (default 0, off) computes each part's task gradient at perturbed
parameters ``W (1 + r N(0, 1))`` (a fresh draw per part and element) and applies it, with the
regularizer's gradient at the clean W, to the clean W: weight-noise training (not in the
thesis), which favours solutions whose output does not depend on exact weights, such as
their fixed-point versions. The draws come from a generator seeded with ``noise_seed`` and the
number of optimizer steps taken so far, so a resumed run that restores
``FPTTRegularizer.updates`` draws the same noise.
``step_targets = true`` (regression with one target per sequence only) takes labels with a
target for every step, ``[B, T(, C)]``, and scores part p against the target of its last step
instead of the sequence's final target; the batch loss reported is still that of the last
part. With ``E[y | inputs seen so far]`` as the step targets (``data.addtask.expected_sum``)
the expected loss of every part, and so the expected gradient, is the same as with the final
target, since ``E[(o - y)^2 | x] = (o - E[y | x])^2 + Var(y | x)`` for an output ``o`` that
depends on the inputs seen so far only; what goes is the ``Var(y | x)`` noise in each sample's
gradient (the value of a marker not yet seen). Not in the thesis.

Memory: the state is detached between parts and nothing of a part (graph, activations) is kept
after its optimizer step, so peak memory is that of one part: it grows with T / K, not with T
(``benchmarks/fptt_memory.py`` measures it).
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import NeurocompileError
from ..nn import decode as dec
from ..nn.model import detach_state
from .loop import StepContext, StepResult, register_method

_EPS = 1e-8
WEIGHTINGS = ("linear", "published")


@dataclass(frozen=True)
class FPTTConfig:
    """FPTT hyper-parameters (defaults: the authors' Add-task settings, thesis 4.3.1)."""

    parts: int = 10  # K, number of parts a sequence is split into
    part_length: int = 0  # steps per part; if > 0 it overrides parts (K = ceil(T / part_length))
    alpha: float = 0.5  # weight of the proximal term (alpha/2) ||W - W_bar||^2
    beta: float = 0.5  # step of the running mean W_bar
    rho: float = 0.0  # weight of the linear term (rho - 1) sum(W * lambda)
    # omega_p of a sequence-label regression (0-based p): "linear" (p + 1) / K, or "published"
    # p + 1 / K, what the published Add-task code computes (``(p+1/PARTS) * loss``)
    weighting: str = "linear"
    # firing-rate regularizer, added to every part's loss (0 = off):
    # rate_penalty * sum over hidden layers of mean_n (r_n - rate_target)^2, r_n the firing
    # rate of neuron n over the part and the batch (e-prop's rate regularizer, Bellec et al. 2020)
    rate_penalty: float = 0.0
    rate_target: float = 0.0
    # relative std r of the parameter noise W (1 + r N(0, 1)) of each part's forward pass (0 = off)
    weight_noise: float = 0.0
    noise_seed: int = 0
    # regression with one target per sequence: y holds a target for every step, [B, T(, C)],
    # and part p is scored against the target of its last step (e.g. E[y | inputs so far])
    step_targets: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.step_targets, bool):
            raise NeurocompileError(
                f"fptt step_targets = {self.step_targets!r} must be true or false"
            )
        numbers = ("parts", "part_length", "alpha", "beta", "rho", "rate_penalty", "rate_target")
        for name in (*numbers, "weight_noise", "noise_seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise NeurocompileError(f"fptt {name} = {value!r} must be a number")
        if int(self.parts) < 1:
            raise NeurocompileError(f"fptt parts = {self.parts} must be >= 1 (K, thesis 4.2)")
        if int(self.part_length) < 0:
            raise NeurocompileError(f"fptt part_length = {self.part_length} must be >= 0")
        if not self.alpha > 0:
            raise NeurocompileError(f"fptt alpha = {self.alpha} must be > 0 (beta/alpha is used)")
        if not 0 < self.beta <= 1:
            raise NeurocompileError(f"fptt beta = {self.beta} must be in (0, 1]")
        if not self.rate_penalty >= 0:
            raise NeurocompileError(f"fptt rate_penalty = {self.rate_penalty} must be >= 0")
        if not (math.isfinite(self.weight_noise) and self.weight_noise >= 0):
            raise NeurocompileError(
                f"fptt weight_noise = {self.weight_noise} must be a relative std >= 0, e.g. 0.001"
            )
        if not 0 <= self.rate_target <= 1:
            raise NeurocompileError(
                f"fptt rate_target = {self.rate_target} must be a firing rate in [0, 1]"
            )
        if self.weighting not in WEIGHTINGS:
            raise NeurocompileError(
                f"fptt weighting = {self.weighting!r} is not one of {WEIGHTINGS}"
            )

    def omega(self, p: int, n_parts: int) -> float:
        """Weight of part ``p``'s (0-based) loss for a regression with one target per sequence."""
        return p + 1.0 / n_parts if self.weighting == "published" else (p + 1) / n_parts

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> FPTTConfig:
        """From ``[trainer] options``; unknown keys raise ``NeurocompileError``."""
        options = dict(options or {})
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise NeurocompileError(
                f"trainer options {unknown} are unknown for method 'fptt'; allowed: {names}"
            )
        return cls(**options)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def bounds(self, T: int) -> list[tuple[int, int]]:
        """The parts of ``range(T)``: ``[(start, stop), ...]``."""
        if self.part_length > 0:
            return [(a, min(a + self.part_length, T)) for a in range(0, T, self.part_length)]
        return part_bounds(T, int(self.parts))


def part_bounds(T: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(T)`` into ``parts`` contiguous chunks, the first ``T % parts`` one longer."""
    if parts > T:
        raise NeurocompileError(
            f"fptt parts = {parts} exceeds the sequence length T = {T}; use parts <= {T}"
        )
    base, extra = divmod(T, parts)
    bounds, start = [], 0
    for p in range(parts):
        stop = start + base + (1 if p < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


class FPTTRegularizer:
    """Per-parameter running estimates ``W_bar`` and ``lambda`` and the dynamic regularizer.

    ``penalty()`` is the differentiable term of eq. 4.1a; ``update()`` is the post-step update
    (eq. 4.1c) and must be called right after ``optimizer.step()``.
    """

    def __init__(self, params: list[nn.Parameter], alpha: float, beta: float, rho: float):
        self.params = [p for p in params if p.requires_grad]
        self.alpha, self.beta, self.rho = float(alpha), float(beta), float(rho)
        self.w_bar = [p.detach().clone() for p in self.params]
        self.lam = [torch.zeros_like(p) for p in self.params]
        self.updates = 0  # optimizer steps taken (seeds the weight noise; save it to resume)

    def penalty(self) -> torch.Tensor:
        """``(rho - 1) sum(W * lambda) + (alpha / 2) ||W - W_bar||^2`` over all parameters."""
        total = self.params[0].new_zeros(())
        for w, w_bar, lam in zip(self.params, self.w_bar, self.lam):
            total = total + (self.rho - 1.0) * torch.sum(w * lam)
            total = total + 0.5 * self.alpha * torch.sum((w - w_bar) ** 2)
        return total

    @torch.no_grad()
    def update(self) -> None:
        """``lambda -= alpha (W - W_bar)``, then ``W_bar = (1-b) W_bar + b W - (b/alpha) lambda``."""
        a, b = self.alpha, self.beta
        for w, w_bar, lam in zip(self.params, self.w_bar, self.lam):
            lam.sub_(a * (w - w_bar))
            w_bar.mul_(1.0 - b).add_(b * w - (b / a) * lam)
        self.updates += 1

    @contextlib.contextmanager
    def perturbed(self, r: float, seed: int) -> Iterator[None]:
        """Inside: every parameter is ``W (1 + r N(0, 1))``; on exit the clean W is back.

        The noise generator is seeded with ``seed`` and :attr:`updates`. Gradients taken
        inside are those at the perturbed parameters; they stay in ``.grad`` on exit.
        """
        if r == 0:
            yield
            return
        gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + self.updates)
        clean = [w.detach().clone() for w in self.params]
        with torch.no_grad():
            for w in self.params:
                noise = torch.randn(w.shape, generator=gen, dtype=w.dtype)
                w.mul_(1.0 + r * noise)
        try:
            yield
        finally:
            with torch.no_grad():
                for w, c in zip(self.params, clean):
                    w.copy_(c)


def rate_loss(spikes: dict[str, torch.Tensor], target: float) -> torch.Tensor:
    """``sum_layers mean_n (r_n - target)^2`` over the hidden layers (not a spiking readout).

    ``spikes[name]`` is ``[B, T_part, n]``; ``r_n`` its mean over the batch and the part.
    """
    total = next(iter(spikes.values())).new_zeros(())
    for name, s in spikes.items():
        if name != "readout":
            total = total + torch.mean((s.mean(dim=(0, 1)) - target) ** 2)
    return total


def part_loss(
    out: torch.Tensor,
    y: torch.Tensor,
    decode: str,
    num_classes: int,
    p: int,
    n_parts: int,
    span: tuple[int, int],
    omega: float | None = None,
) -> torch.Tensor:
    """The weighted task loss ``omega_p l_p`` of part ``p`` (0-based); see the module docstring.

    ``out`` holds the part's outputs ``[B, T_part, C]``; ``y`` the labels of the whole
    sequence (per-step labels ``[B, T(, C)]`` are sliced with ``span``).
    """
    frac = (p + 1) / n_parts
    if decode == "per_step" and y.dim() >= 2:
        return dec.loss(out, y[:, span[0] : span[1]], decode, num_classes)
    if num_classes == 0:
        return (frac if omega is None else omega) * dec.loss(out, y, decode, num_classes)
    ce = dec.loss(out, y, decode, num_classes)
    sc = dec.scores(out, decode)
    if decode == "per_step":
        sc = sc[:, -1]
    logp = torch.log(sc + _EPS) if decode == "sum_softmax" else F.log_softmax(sc, dim=-1)
    div = -logp.mean(dim=-1).mean()  # -sum_c Q(c) log P(c) with Q(c) = 1 / C
    return frac * ce + (1.0 - frac) * div


# one regularizer per optimizer (i.e. per training run), created at its first batch
_REGULARIZERS: weakref.WeakKeyDictionary[torch.optim.Optimizer, FPTTRegularizer] = (
    weakref.WeakKeyDictionary()
)


def regularizer_for(ctx: StepContext, cfg: FPTTConfig) -> FPTTRegularizer:
    """The run's regularizer (``W_bar = W``, ``lambda = 0`` at the first batch)."""
    reg = _REGULARIZERS.get(ctx.optimizer)
    if reg is None:
        params = ctx.params or [p for g in ctx.optimizer.param_groups for p in g["params"]]
        reg = FPTTRegularizer(params, cfg.alpha, cfg.beta, cfg.rho)
        _REGULARIZERS[ctx.optimizer] = reg
    return reg


def fptt_step(net: nn.Module, x: torch.Tensor, y: torch.Tensor, ctx: StepContext) -> StepResult:
    """One batch of FPTT (Algorithm 2 of seed 003): K parts, K optimizer steps.

    ``net(x_part, state=..., return_state=True)`` returns ``(outputs, spikes, state)``; the
    state is carried from part to part and detached in between (values kept, gradient cut), so
    running the parts one after the other computes the same outputs as the whole sequence. Of a
    part only its detached outputs (``[B, T_part, C]``, for the metrics) and spike counts are
    kept, so the memory of a step does not grow with T beyond the input and outputs themselves.
    """
    cfg = FPTTConfig.from_options(ctx.cfg.options)
    reg = regularizer_for(ctx, cfg)
    bounds = cfg.bounds(x.shape[1])
    state = None
    outs, losses = [], []
    spike_sums: dict[str, torch.Tensor] = {}
    if cfg.step_targets and not (_weighted(ctx, y) and y.dim() >= 2 and y.shape[:2] == x.shape[:2]):
        raise NeurocompileError(
            f"fptt step_targets = true needs a regression with one target per step, labels "
            f"[B, T] = {list(x.shape[:2])}, got labels {list(y.shape)}; remove step_targets"
        )
    for p, span in enumerate(bounds):
        state = None if state is None else detach_state(state)  # the cut between parts
        yp = y[:, span[1] - 1] if cfg.step_targets else y
        with reg.perturbed(cfg.weight_noise, cfg.noise_seed):
            out, spikes, state = net(x[:, span[0] : span[1]], state=state, return_state=True)
            omega = cfg.omega(p, len(bounds))
            task = part_loss(out, yp, ctx.decode, ctx.num_classes, p, len(bounds), span, omega)
            loss = task
            if cfg.weight_noise == 0:
                loss = loss + reg.penalty()
            if cfg.rate_penalty > 0 and spikes:
                loss = loss + cfg.rate_penalty * rate_loss(spikes, cfg.rate_target)
            loss.backward()
        if cfg.weight_noise > 0:
            reg.penalty().backward()  # at the clean W, after the task gradient at the noisy W
        ctx.update()  # clip (trainer.clip), optimizer step, zero grad
        reg.update()
        losses.append(float(task.detach()) / (omega if _weighted(ctx, y) else 1.0))
        outs.append(out.detach())
        for k, v in spikes.items():
            spike_sums[k] = spike_sums.get(k, 0) + v.detach().sum(1, keepdim=True)
        del out, spikes, task, loss
    T = x.shape[1]
    # spikes are returned as time averages [B, 1, n] (their mean is the firing rate): keeping
    # every part's [B, T_part, n] spikes would make memory grow with T
    rates = {k: v / T for k, v in spike_sums.items()}
    # the batch loss reported is the task loss of the last part (the full-sequence prediction)
    return StepResult(losses[-1], torch.cat(outs, 1), rates)


def _weighted(ctx: StepContext, y: torch.Tensor) -> bool:
    """True if the part losses are scaled by ``omega_p = p / K`` (regression, sequence label)."""
    return ctx.num_classes == 0 and not (ctx.decode == "per_step" and y.dim() >= 2)


register_method("fptt", fptt_step, FPTTConfig.from_options)
