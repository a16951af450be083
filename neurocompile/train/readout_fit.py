r"""Closed-form least-squares fit of a leaky-integrator readout, at a chosen time constant.

For a regression read at the last step (``readout = "integrator"``, ``decode = "last"``), the
output is linear in the readout's weights: with the readout decay ``a = exp(-dt / tau)``, the
last hidden layer's spikes ``s[t]`` (one synaptic delay) and ``T`` steps,

.. math::
    \hat y = v[T-1] = W f_\tau + b\,(1 - a^T), \qquad
    f_\tau = \sum_{t=0}^{T-2} (1 - a)\, a^{T-2-t}\, s[t]

(``v[t] = a v[t-1] + (1 - a)(W s[t-1] + b)``, ``v[-1] = 0``, ``s[-1] = 0``). The hidden
spikes do not depend on the readout, so for each ``tau`` the MSE-optimal ``W, b`` over a set
of sequences is one linear least-squares problem. :func:`fit_readout` solves it for every
``tau`` given, keeps the one with the lowest MSE on a validation set, and writes ``tau, W, b``
into the model; the hidden layers are unchanged.

Why: gradient training with short truncation windows (FPTT's parts, truncated BPTT) sees only
a few steps of the readout's history, so the readout's time constant stays short (43 steps for
the Add-task model trained with 10-step parts) and the output carries the hidden layer's spike
noise; a readout that averages over the whole sequence cancels much of it. The fitted readout
is an ordinary leaky integrator and compiles like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import NeurocompileError


@dataclass(frozen=True)
class ReadoutFit:
    """The fitted readout and the MSE of every candidate ``tau`` (fit and validation sets)."""

    tau: float
    weight: np.ndarray  # [C, n]
    bias: np.ndarray  # [C]
    rows: tuple[tuple[float, float, float], ...]  # (tau, fit MSE, validation MSE)
    check: float  # max |model output - fitted prediction| on the validation set


def _check_model(model: torch.nn.Module) -> None:
    spec = getattr(model, "spec", None)
    if spec is None or spec.readout != "integrator" or spec.decode != "last":
        raise NeurocompileError(
            "readout fit: needs an SRNN regression read at the last step (readout = "
            "'integrator', decode = 'last')"
        )
    if spec.num_classes != 0 or spec.bidirectional:
        raise NeurocompileError(
            "readout fit: needs a causal regression model (num_classes = 0, not bidirectional)"
        )


def _decay(model: torch.nn.Module, tau: float) -> float:
    """The readout decay the model uses for time constant ``tau``."""
    from ..nn.neurons import decay

    return float(decay(torch.tensor([float(tau)]), float(model.spec.dt))[0])


SpikeSource = Callable[[torch.Tensor], torch.Tensor]  # inputs [B, T, in] -> spikes [B, T, n]


def float_spikes(model: torch.nn.Module) -> SpikeSource:
    """The model's own (float) spikes of its last hidden layer."""
    last = f"layers.{len(model.spec.layers) - 1}"

    def run(xb: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(xb)[1][last]

    return run


def traces(
    model: torch.nn.Module,
    x: torch.Tensor,
    taus: list[float],
    spikes: SpikeSource | None = None,
    batch: int = 250,
) -> dict[float, np.ndarray]:
    """``f_tau`` (module docstring) of every sequence of ``x [N, T, in]``: ``{tau: [N, n]}``,
    from the spikes ``spikes(x)`` (default: the model's own, :func:`float_spikes`)."""
    spikes = spikes or float_spikes(model)
    T = x.shape[1]
    weights = {}
    for tau in taus:
        a = _decay(model, tau)
        weights[tau] = torch.from_numpy((1 - a) * a ** np.arange(T - 2, -1, -1.0))  # t = 0..T-2
    out: dict[float, list[torch.Tensor]] = {tau: [] for tau in taus}
    for xb in x.split(batch):
        s = torch.as_tensor(spikes(xb))[:, : T - 1].double()  # [B, T-1, n]
        for tau in taus:
            out[tau].append(torch.einsum("btn,t->bn", s, weights[tau]))
    return {tau: torch.cat(v).numpy() for tau, v in out.items()}


def _design(f: np.ndarray, a: float, T: int) -> np.ndarray:
    return np.concatenate([f, np.full((f.shape[0], 1), 1.0 - a**T)], axis=1)


def fit_readout(
    model: torch.nn.Module,
    fit: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    taus: list[float],
    sources: list[SpikeSource] | None = None,
) -> ReadoutFit:
    """Fit the readout on ``fit = (x, y)`` for each ``tau``, keep the best on ``val``, and
    write it into ``model`` (in place). ``y`` is ``[N]`` or ``[N, C]``.

    ``sources``: where the hidden spikes come from (default: the float model). With several,
    e.g. the float model and the compiled chip model (``neurocompile.compiler``), every
    sequence counts once per source in both the fit and the validation MSE: one readout for
    the spike trains of all of them. The check that the model reproduces the fitted
    predictions is made, on the float model, only when the float spikes are the one source.
    """
    _check_model(model)
    taus = [float(t) for t in taus]
    if not taus or not all(math.isfinite(t) and t > 0 for t in taus):
        raise NeurocompileError(f"readout fit: time constants {taus} must be positive numbers")
    (xf, yf), (xv, yv) = fit, val
    if xf.shape[1] != xv.shape[1]:
        raise NeurocompileError("readout fit: fit and validation sequences differ in length")
    own = sources is None
    sources = sources or [float_spikes(model)]
    T = xf.shape[1]
    yf2 = np.tile(yf.double().reshape(len(yf), -1).numpy(), (len(sources), 1))
    yv2 = np.tile(yv.double().reshape(len(yv), -1).numpy(), (len(sources), 1))
    ff = [traces(model, xf, taus, src) for src in sources]
    fv = [traces(model, xv, taus, src) for src in sources]
    rows, best = [], None
    for tau in taus:
        a = _decay(model, tau)
        A = np.concatenate([_design(f[tau], a, T) for f in ff])
        Av = np.concatenate([_design(f[tau], a, T) for f in fv])
        coef, *_ = np.linalg.lstsq(A, yf2, rcond=None)  # [n + 1, C]
        mse_fit = float(np.mean((A @ coef - yf2) ** 2))
        mse_val = float(np.mean((Av @ coef - yv2) ** 2))
        rows.append((tau, mse_fit, mse_val))
        if best is None or mse_val < best[1]:
            best = (tau, mse_val, coef, Av[: len(xv)] @ coef)
    tau, _, coef, pred = best
    ro = model.readout
    with torch.no_grad():
        ro.tau_m.fill_(tau)
        ro.ff.weight.copy_(torch.from_numpy(coef[:-1].T.copy()))
        ro.ff.bias.copy_(torch.from_numpy(coef[-1].copy()))
    check = float("nan")
    if own:
        with torch.no_grad():
            got = torch.cat([model(xb)[0][:, -1].double() for xb in xv.split(250)]).numpy()
        check = float(np.max(np.abs(got - pred)))
        if not check < 1e-3:  # the model's readout is not the one of the module docstring
            raise NeurocompileError(
                f"readout fit: the model's outputs differ from the fitted readout's by "
                f"{check:.3g}; this model's readout is not a plain leaky integrator of the last "
                "layer's spikes"
            )
    return ReadoutFit(tau, coef[:-1].T.copy(), coef[-1].copy(), tuple(rows), check)


def readout_source(graph: Any) -> str:
    """The population whose spikes the readout integrates, in an IR graph (``readout.ff``'s
    source)."""
    dense = graph.predecessors("readout")
    if len(dense) != 1:
        raise NeurocompileError("readout fit: the graph's readout must have one input synapse")
    (pop,) = graph.predecessors(dense[0])
    return pop


def chip_spikes(compiled: Any, engine: str = "cycle") -> SpikeSource:
    """The spikes of the readout's source population on the cycle-level chip simulator
    (``loihi-sim``) running ``compiled``, a graph from ``neurocompile.compiler``."""
    from ..backend import get_backend

    exe = get_backend("loihi-sim").compile(compiled, engine=engine)
    pop = readout_source(compiled)

    def run(xb: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.asarray(exe.run(xb.numpy()).spikes[pop]))

    return run
