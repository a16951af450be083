r"""Liquid Time-Constant spiking neuron (LTC-SN): pure step function and a thin module.

Equations (thesis ``000_0005cebc1143a667.txt`` section 4.2, eq. 4.8a-f; the discrete form with the
one-step synaptic delay of ``docs/DESIGN.md`` is the one stated by ``neurocompile.ir.ltc.LTC``)::

    rho[t]   = sigmoid(A_x i[t] + A_eta eta[t-1] + a)                  (4.8a)  tau_adp gate
    alpha[t] = sigmoid(M_x i[t] + M_v   v[t-1]   + m)                  (4.8b)  tau_m gate
    eta[t]   = rho[t] eta[t-1] + (1 - rho[t]) s[t-1]
    theta[t] = b0 + beta eta[t],   b0 = 0.1, beta = 1.8                (4.8c)
    v[t]     = alpha[t] v[t-1] + (1 - alpha[t]) (-v[t-1] + i[t])       (4.8d)
    s[t]     = v[t] > theta[t];   v[t] <- 0 where s[t]                 (4.8e, f)

``i[t]`` is the summed synaptic input (the synapses already carry the one-step delay). The gates
are ``Dense`` layers over ``[i[t], state[t-1]]`` (thesis: ``Dense_m[x_t, u_{t-1}]``). The
ablations of thesis Table 4.2 are gate modes:

* ``"fixed"``: ``tau`` trained but not dynamic, the gate is ``sigmoid(bias)`` per neuron;
* ``"x"``: dynamic from the input only, ``sigmoid(W_x i[t] + bias)``;
* ``"xu"`` (tau_m) / ``"xb"`` (tau_adp): from input and own state (the full LTC-SN).

In the IR (``ir.LTC``) every mode is the ``[n, 2n]`` weight with the missing halves zero
(:meth:`LTC.ir_gate_weights`). Note: the published LTC-SN code updates the voltage as
``v += sigmoid(z) (i - v)``, not as printed in eq. 4.8d; this module follows eq. 4.8d (and the
IR) and compensates at initialisation only (``M_BIAS_INIT``, see :class:`LTC`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import NeurocompileError
from .neurons import SynapticLayer, register_neuron
from .spec import LayerSpec, SRNNSpec
from .surrogate import spike_fn

B0 = 0.1  # thesis eq. 4.8c, minimal threshold
BETA = 1.8  # thesis eq. 4.8c, adaptation strength
M_BIAS_INIT = math.log(3.0)  # alpha = 0.75 at start: voltage decay 2 alpha - 1 = 0.5 (see LTC)
TAU_M_MODES = ("fixed", "x", "xu")  # thesis Table 4.2 columns: tau_m, tau_m(x), tau_m(x,u)
TAU_ADP_MODES = ("fixed", "x", "xb")  # thesis Table 4.2 rows: tau_adp, tau_adp(x), tau_adp(x,b)


class LTCParams(NamedTuple):
    """Gate weights of one LTC population of ``n`` neurons.

    A gate weight is ``None`` (mode "fixed"), ``[n, n]`` (input half only, mode "x") or
    ``[n, 2n]`` acting on ``[i, state]`` (full mode).
    """

    m_weight: torch.Tensor | None  # tau_m gate, on [i, v]
    m_bias: torch.Tensor  # [n]
    adp_weight: torch.Tensor | None  # tau_adp gate, on [i, eta]
    adp_bias: torch.Tensor  # [n]
    b0: float = B0
    beta: float = BETA


class LTCState(NamedTuple):
    v: torch.Tensor  # [B, n] voltage after the reset of the previous step
    s: torch.Tensor  # [B, n] spikes of the previous step
    eta: torch.Tensor  # [B, n] threshold trace of the previous step


def gate(
    i: torch.Tensor, h: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor
) -> torch.Tensor:
    """``sigmoid(W [i, h] + bias)``, with the ablated forms of :class:`LTCParams`."""
    if weight is None:
        return torch.sigmoid(bias).expand_as(i)
    if weight.shape[1] == i.shape[-1]:
        return torch.sigmoid(F.linear(i, weight, bias))
    return torch.sigmoid(F.linear(torch.cat((i, h), dim=-1), weight, bias))


def ltc_update(
    i: torch.Tensor, state: LTCState, p: LTCParams
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sub-threshold part of eq. 4.8a-d; returns ``(v[t] before reset, theta[t], eta[t])``."""
    rho = gate(i, state.eta, p.adp_weight, p.adp_bias)
    alpha = gate(i, state.v, p.m_weight, p.m_bias)
    eta = rho * state.eta + (1.0 - rho) * state.s
    theta = p.b0 + p.beta * eta
    v = alpha * state.v + (1.0 - alpha) * (i - state.v)
    return v, theta, eta


def ltc_step(
    i: torch.Tensor,
    state: LTCState,
    p: LTCParams,
    surrogate: str = "multi_gaussian",
) -> tuple[torch.Tensor, LTCState]:
    """One step of thesis eq. 4.8a-f (see the module docstring); returns ``(s[t], state[t])``."""
    v, theta, eta = ltc_update(i, state, p)
    s = spike_fn(v - theta, surrogate)
    return s, LTCState(v * (1.0 - s), s, eta)


def ltc_init(v_init: torch.Tensor, batch: int) -> LTCState:
    """State at t = -1: ``v = v_init`` (``[n]``), no spikes, no threshold trace."""
    v = v_init.expand(batch, -1).clone()
    z = torch.zeros_like(v)
    return LTCState(v, z, z.clone())


def _check_mode(mode: str, allowed: tuple[str, ...], what: str) -> None:
    if mode not in allowed:
        raise NeurocompileError(
            f"LTC neuron: {what} mode {mode!r} is unknown; use one of {list(allowed)}"
        )


class LTC(nn.Module):
    """A population of ``size`` LTC spiking neurons (thin wrapper around :func:`ltc_step`).

    Initialisation: Xavier-uniform gate weights as in the published LTC-SN code (thesis ch.4);
    tau_adp gate bias 0 (the code's); tau_m gate bias ``M_BIAS_INIT = ln 3``. Reason: the code
    updates ``v += sigmoid(z) (i - v)``, voltage decay ``1 - sigmoid(0) = 0.5`` at bias 0, while
    eq. 4.8d as printed (and ``ir.LTC``) gives decay ``2 alpha - 1``, which is 0 (no memory)
    at ``alpha = sigmoid(0)``; ``alpha = sigmoid(ln 3) = 0.75`` restores the code's initial
    decay of 0.5. ``v_init`` (the voltage at t = -1) is drawn once, uniform in ``[0, b0]``
    (thesis 2.3.1, DESIGN.md; ``v_init="zero"`` for zeros), and stored as a buffer so runs are
    deterministic.

    ``tau_m_init = T_max`` (> 1) instead draws the tau_m gate biases for time constants
    uniform in ``[1, T_max]`` steps: the chrono initialisation of Tallec & Ollivier (ICLR 2018)
    for LSTM forget gates, here for the voltage retention ``2 alpha - 1 = 1 - 1 / tau``, i.e.
    ``m = logit(alpha) = ln(2 tau - 1)``: the network starts with memories of every length up
    to ``T_max``.
    """

    def __init__(
        self,
        size: int,
        tau_m: str = "xu",
        tau_adp: str = "xb",
        b0: float = B0,
        beta: float = BETA,
        surrogate: str = "multi_gaussian",
        gen: torch.Generator | None = None,
        v_init: str = "uniform",
        tau_m_init: float | None = None,
    ) -> None:
        super().__init__()
        if int(size) <= 0:
            raise NeurocompileError(f"LTC neuron: size {size} must be a positive integer")
        if tau_m_init is not None and not (
            isinstance(tau_m_init, (int, float))
            and not isinstance(tau_m_init, bool)
            and math.isfinite(tau_m_init)
            and tau_m_init > 1
        ):
            raise NeurocompileError(
                f"LTC neuron: tau_m_init = {tau_m_init!r} must be a number of steps > 1 (the "
                "longest initial time constant, e.g. the sequence length)"
            )
        _check_mode(tau_m, TAU_M_MODES, "tau_m")
        _check_mode(tau_adp, TAU_ADP_MODES, "tau_adp")
        n = self.size = int(size)
        self.tau_m, self.tau_adp = tau_m, tau_adp
        self.b0, self.beta, self.surrogate = float(b0), float(beta), surrogate
        self.m_weight = self._gate_weight(tau_m, gen)
        self.adp_weight = self._gate_weight(tau_adp, gen)
        if tau_m_init is None:
            self.m_bias = nn.Parameter(torch.full((n,), M_BIAS_INIT))
        else:  # chrono: tau uniform in [1, tau_m_init], m = ln(2 tau - 1)
            tau = 1.0 + torch.rand(n, generator=gen) * (float(tau_m_init) - 1.0)
            self.m_bias = nn.Parameter(torch.log(2.0 * tau - 1.0))
        self.adp_bias = nn.Parameter(torch.zeros(n))
        v0 = torch.zeros(n) if v_init == "zero" else torch.rand(n, generator=gen) * self.b0
        self.register_buffer("v_init", v0)

    def _gate_weight(self, mode: str, gen: torch.Generator | None) -> nn.Parameter | None:
        if mode == "fixed":
            return None
        cols = self.size if mode == "x" else 2 * self.size
        w = torch.empty(self.size, cols)
        nn.init.xavier_uniform_(w, generator=gen)
        return nn.Parameter(w)

    def params(self) -> LTCParams:
        """The parameters as the NamedTuple :func:`ltc_step` takes."""
        return LTCParams(
            self.m_weight, self.m_bias, self.adp_weight, self.adp_bias, self.b0, self.beta
        )

    def init_state(self, batch_size: int) -> LTCState:
        """State at t = -1: ``v = v_init``, no trace, no spikes."""
        return ltc_init(self.v_init, batch_size)

    def forward(self, i: torch.Tensor, state: LTCState) -> tuple[torch.Tensor, LTCState]:
        """One step: input current ``i`` [B, n] -> spikes [B, n] and the new state."""
        return ltc_step(i, state, self.params(), self.surrogate)

    def ir_gate_weights(self) -> dict[str, torch.Tensor]:
        """Gate weights in the layout of ``ir.LTC``: ``[n, 2n]`` on ``[i, state]``, zero-padded."""
        out = {}
        for name in ("m", "adp"):
            w = getattr(self, f"{name}_weight")
            full = torch.zeros(self.size, 2 * self.size)
            if w is not None:
                full[:, : w.shape[1]] = w.detach()
            out[f"gate_{name}_weight"] = full
            out[f"gate_{name}_bias"] = getattr(self, f"{name}_bias").detach().clone()
        return out

    def extra_repr(self) -> str:
        return f"size={self.size}, tau_m={self.tau_m!r}, tau_adp={self.tau_adp!r}, b0={self.b0}"


class LTCLayer(SynapticLayer):
    """A layer of LTC neurons for the SRNN builder (``LayerSpec(neuron="ltc")``).

    Synapses as every layer of ``nn.neurons`` (``ff``, optional ``rec``, masks, the one-step
    delay of DESIGN.md); neurons in ``self.cell`` (:class:`LTC`). ``LayerSpec`` fields used:
    ``threshold`` = ``b0`` (default 0.1), ``beta`` (1.8), ``reset`` (only "zero", eq. 4.8f),
    and ``options = {tau_m = "xu", tau_adp = "xb"}`` for the Table 4.2 ablations
    (``tau_m_init = T_max``: chrono initialisation of the tau_m gate, see :class:`LTC`). The time
    constants are the gates, so ``tau_m``, ``tau_adp`` and ``learn_tau`` of the spec are not
    used. State ``(prev_in, v, s, eta)``; autograd through :func:`ltc_step` one step at a time.
    """

    OPTIONS = ("tau_m", "tau_adp", "tau_m_init")

    def __init__(self, spec: LayerSpec, in_size: int, model: SRNNSpec, gen: torch.Generator):
        super().__init__(in_size, spec.size, spec.recurrent, spec.sparsity, gen)
        unknown = sorted(set(spec.options) - set(self.OPTIONS))
        if unknown:
            raise NeurocompileError(
                f"LTC layer: unknown option(s) {unknown}; allowed options are {list(self.OPTIONS)}"
            )
        if spec.reset not in (None, "zero"):
            raise NeurocompileError(
                f"LTC layer: reset {spec.reset!r} is not supported; LTC neurons reset to zero "
                f"(thesis eq. 4.8f), remove 'reset' or set it to 'zero'"
            )
        self.surrogate = model.surrogate
        self.cell = LTC(
            spec.size,
            tau_m=str(spec.options.get("tau_m", "xu")),
            tau_adp=str(spec.options.get("tau_adp", "xb")),
            b0=B0 if spec.threshold is None else float(spec.threshold),
            beta=float(spec.beta),
            surrogate=model.surrogate,
            gen=gen,
            v_init=model.init_membrane,
            tau_m_init=spec.options.get("tau_m_init"),
        )

    @property
    def v_init(self) -> torch.Tensor:
        return self.cell.v_init

    def params(self) -> LTCParams:
        return self.cell.params()

    def init_state(self, batch: int) -> tuple[torch.Tensor, ...]:
        st = ltc_init(self.cell.v_init, batch)
        return (torch.zeros(batch, self.in_size, device=self.cell.v_init.device), *st)

    def forward(self, inp: torch.Tensor, state: tuple[torch.Tensor, ...]):  # type: ignore[override]
        """``inp`` [T, B, in] (not yet delayed) -> ``(spikes, voltages before reset, state)``."""
        prev_in, v, s, eta = state
        cur = self.input_current(inp, prev_in)
        rec = self.rec_weight()
        p = self.cell.params()
        st = LTCState(v, s, eta)
        spikes, volts = [], []
        for i in cur.unbind(0):
            if rec is not None:
                i = i + st.s @ rec.t()
            vp, theta, eta_t = ltc_update(i, st, p)
            s_t = spike_fn(vp - theta, self.surrogate)
            volts.append(vp)
            spikes.append(s_t)
            st = LTCState(vp * (1.0 - s_t), s_t, eta_t)
        return torch.stack(spikes), torch.stack(volts), (inp[-1], *st)


register_neuron("ltc", LTCLayer)
