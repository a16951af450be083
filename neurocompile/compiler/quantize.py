r"""Pass ``quantize``: float parameters -> the chip's fixed-point formats (``fixed.py``).

Scheme (units in the ``fixed`` module docstring). Run after ``fold`` (gains are 1).

* **State scale** ``S`` per population (fixed-point voltage units per float voltage unit):
  the largest value such that

  - the largest threshold ``theta_max`` (LIF ``threshold``; ALIF / LTC ``b0 + beta``, the
    trace being at most 1) sits ``HEADROOM_BITS`` below the 24-bit limit:
    ``theta_max * S <= 2**(23 - HEADROOM_BITS)``, leaving room for voltages down to
    ``-2**HEADROOM_BITS * theta`` before saturation;
  - the current cannot wrap: ``u_bound * S < 2**23`` with ``u_bound`` the largest input a
    neuron can receive in one step: the L1 norm of its weight row times the largest source
    value (1 for spikes, ``input_max`` for inputs), divided by ``1 - alpha_syn`` where the
    current accumulates; with calibration data, at most
    ``CAL_MARGIN`` times the largest float voltage seen (a tighter, data-driven bound);
  - the bias fits ``4095 << 7``; the largest weight fits the 8-bit mantissa at the largest
    exponent; a leaky integrator's voltage bound ``u_bound / (1 - alpha)`` stays under
    ``2**22``.

* **Weights** of each ``Dense`` into a population with scale ``S`` from a source of scale
  ``s_src`` (1 for spikes, the payload scale for a graded input): the real mantissa
  ``R = W * S / (64 * s_src)`` (``a_in << 6`` enters ``u``) is written ``R ~ W_mant * 2**e``
  with the smallest exponent ``e`` whose mantissas fit Lava's grid (``fixed.weight_grid``:
  even values in [-256, 254] for mixed signs, [0, 255] excitatory), rounding to nearest. The
  error per weight is at most half a grid step, ``2**e`` (mixed) or ``2**(e-1)`` (one sign);
  since the largest mantissa is at least half the grid's reach, that is at most ``1/127``
  (mixed) or ``1/255`` (one sign) of the largest weight, unless the exponent is clamped at
  ``weight_exp_min``.
* **Decays**: ``dv = round(4096 (1 - alpha))``; ``du = round(4096 (1 - alpha_syn)) - 1``
  (Lava's ``+1`` offset; ``alpha_syn = 0`` gives 4095: the current is replaced every step);
  ALIF ``drho = round(4096 (1 - rho))``.
* **Threshold** ``vth = round(theta * S / 64)`` (17 bits; ``<< 6`` on the chip); ALIF / LTC
  ``b0_fixed = round(b0 S)``, ``beta_fixed = round(beta S)`` in voltage units (our neurons
  keep the voltage's resolution); LI: ``VTH_MAX`` (never reached; ``fixed.lif_step`` flags it
  as an overflow).
* **Bias**: ``bias * S`` as a 13-bit mantissa and 3-bit exponent (``fixed.bias_to_fixed``).
* **Inputs**: spikes (or inputs known to be 0/1: a spike encoder, or calibration data) as
  1-bit events; real values as graded payloads
  ``round(x * scale)`` of ``INPUT_PAYLOAD_BITS`` bits, ``scale = (2**(bits-1) - 1) /
  input_max`` with ``input_max`` from calibration or ``DEFAULT_INPUT_MAX``, lowered where the
  input's weights would otherwise fall below ``MIN_MANTISSA`` at the smallest exponent
  (``_fit_input_scales``: input and weight precision are balanced).
* **16-bit weights** (option ``weight_bits=16``): every synapse gets a second 8-bit synapse
  ``<name>.lo`` carrying its rounding residual with its own exponent (``_split_precision``);
  twice the synapses for about 15 bits of weight precision. Option ``readout_bits=16`` does
  this for the synapses into a non-spiking readout only (``is_readout_synapse``): they do not
  feed back, so they change no spike, and a readout fitted in closed form
  (``train.readout_fit``) may need their precision.
* **LTC** (thesis eq. 4.8): gate weights ``M`` act on states of scale ``S`` (input and voltage)
  and ``2**ETA_FRAC_BITS`` (trace); their mantissas ``round(M * 2**GATE_FRAC_BITS / (scale *
  2**gate_exp))`` share one exponent chosen so the largest fits 8 bits; the sigmoid is the
  table ``fixed.sigmoid_lut()``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from .. import ir
from ..errors import ChipLimitError
from . import fixed
from .context import Context

HEADROOM_BITS = 2  # threshold at most 2**21: voltages down to -4 theta before saturation
LI_BITS = 22  # a leaky integrator's voltage bound maps to at most 2**22
CAL_MARGIN = 4.0  # calibrated bound: CAL_MARGIN x the largest float voltage seen
INPUT_PAYLOAD_BITS = 12  # graded input payload (signed): |payload| <= 2047
MIN_MANTISSA = 127  # input synapses: largest weight mantissa at least this (7 bits)
DEFAULT_INPUT_MAX = 1.0  # assumed |x| bound of real-valued inputs without calibration
BIAS_LIMIT = fixed.BIAS_MANT_MAX << fixed.BIAS_EXP_MAX  # 4095 << 7
SPIKE_ENCODERS = ("level_crossing", "latency", "poisson")  # neurocompile.data.encoders: 0/1 out


def _populations(graph: ir.Graph) -> list[str]:
    return [n for n, v in graph.nodes.items() if v.family == "neuron"]


def _incoming(graph: ir.Graph, pop: str) -> list[tuple[str, str]]:
    """``(dense, source)`` pairs into ``pop`` in edge order."""
    return [(d, graph.predecessors(d)[0]) for d in graph.predecessors(pop)]


def _threshold_max(node: Any) -> float | None:
    if isinstance(node, ir.LI):
        return None
    if isinstance(node, ir.LIF):
        return float(np.max(node.threshold))
    return float(np.max(np.asarray(node.b0) + np.maximum(np.asarray(node.beta), 0.0)))


def _binary_inputs(graph: ir.Graph, ctx: Context) -> bool:
    """True when the inputs are known to be 0/1: a spike encoder, or calibration data."""
    encoder = ((graph.metadata.get("dataset") or {}).get("encoder") or {}).get("name")
    return encoder in SPIKE_ENCODERS or bool(ctx.stats is not None and ctx.stats.input_binary)


def _input_scales(graph: ir.Graph, ctx: Context) -> dict[str, float]:
    """Set ``scale`` and ``payload_bits`` on every Input; return name -> scale.

    An input declared ``"current"`` whose values are known to be 0/1 (``_binary_inputs``)
    becomes a ``"spikes"`` input: 1-bit events, exact, and legal on Loihi 1.
    """
    scales = {}
    binary = _binary_inputs(graph, ctx)
    for name, node in graph.of_type(ir.Input).items():
        if node.kind == "current" and binary:
            node.kind = "spikes"
            ctx.note("quantize", f"{name}.binary", "0/1 input values: sent as 1-bit spikes")
        if node.kind == "spikes":
            node.scale, node.payload_bits = 1.0, 1
        else:
            if ctx.chip.bits.payload == 0:
                raise ChipLimitError(
                    f"input {name!r}: real-valued input needs graded spikes, which "
                    f"{ctx.chip.title} lacks (binary spikes only); encode the input as spikes "
                    "(e.g. encoder 'level_crossing' or 'rbf' + 'poisson') or use --chip loihi2"
                )
            bits = min(INPUT_PAYLOAD_BITS, ctx.chip.bits.payload)
            xmax = ctx.stats.input_max if ctx.stats and ctx.stats.input_max else None
            if not xmax:
                xmax = DEFAULT_INPUT_MAX
                ctx.warnings.append(
                    f"input {name!r}: no calibration data, assuming |x| <= {xmax:g} for the "
                    f"payload scale (larger inputs saturate); pass --calibrate DATA"
                )
            node.scale = float(((1 << (bits - 1)) - 1) / xmax)
            node.payload_bits = bits
        scales[name] = float(node.scale)
    return scales


def _fit_input_scales(
    graph: ir.Graph, in_scale: dict[str, float], pop_scale: dict[str, float], ctx: Context
) -> None:
    """Lower a real-valued input's payload scale where its weights would lose precision.

    A synapse from an input of scale ``s_in`` into a population of scale ``S`` has real
    mantissas ``W S / (64 s_in)``; when even the smallest exponent leaves the largest below
    ``MIN_MANTISSA`` (a fine payload makes them tiny), the payload scale is lowered until it is
    reached: the input keeps ``log2(scale * input_max)`` bits and the weights keep 7.
    """
    lowest = 2.0**ctx.chip.bits.weight_exp_min
    for name, node in graph.of_type(ir.Input).items():
        if node.kind != "current":
            continue
        fit = in_scale[name]
        for d in graph.successors(name):
            w = np.abs(graph.nodes[d].effective_weight())
            if not w.size or not w.max():
                continue
            (dst,) = graph.successors(d)
            top = float(w.max()) * pop_scale[dst] / 2**fixed.ACT_SHIFT  # mantissa * payload
            fit = min(fit, top / (lowest * MIN_MANTISSA))
        if fit < in_scale[name]:
            ctx.note(
                "quantize",
                f"{name}.scale_lowered",
                f"payload scale {in_scale[name]:.6g} -> {fit:.6g} so its synapses keep "
                f"{MIN_MANTISSA}-level weight mantissas",
            )
            node.scale = in_scale[name] = float(fit)


def _source_max(graph: ir.Graph, src: str) -> float:
    node = graph.nodes[src]
    if isinstance(node, ir.Input):
        return 1.0 if node.kind == "spikes" else ((1 << (node.payload_bits - 1)) - 1) / node.scale
    return 1.0  # spikes


def _state_scale(
    graph: ir.Graph, name: str, node: Any, in_scale: dict[str, float], ctx: Context
) -> tuple[float, dict[str, Any]]:
    """The population's state scale S and the bound that set it (see module docstring)."""
    row_l1 = np.zeros(node.size)
    caps: dict[str, float] = {}
    top_mant = (254 << ctx.chip.bits.weight_exp_max) * 2**fixed.ACT_SHIFT
    for d, src in _incoming(graph, name):
        w = np.abs(graph.nodes[d].effective_weight())
        row_l1 += w.sum(axis=1) * _source_max(graph, src)
        if w.size and w.max() > 0:  # largest weight must fit 254 << weight_exp_max
            cap = top_mant * in_scale.get(src, 1.0) / float(w.max())
            caps["weight"] = min(caps.get("weight", math.inf), cap)
    bias = np.abs(node.bias) if getattr(node, "bias", None) is not None else np.zeros(node.size)
    if isinstance(node, ir.LIF) and np.any(node.alpha_syn):  # the current accumulates
        row_l1 = row_l1 / np.maximum(1.0 - np.asarray(node.alpha_syn), 1.0 / fixed.DECAY_UNITY)
    u_bound = float(np.max(row_l1 + bias)) if node.size else 0.0
    v_seen = float(ctx.stats.v_max.get(name, 0.0)) if ctx.stats is not None else 0.0
    if v_seen > 0:
        u_bound = min(u_bound, CAL_MARGIN * v_seen)
    theta = _threshold_max(node)
    if theta is not None and theta > 0:
        caps["threshold"] = 2.0 ** (fixed.STATE_BITS - 1 - HEADROOM_BITS) / theta
    if isinstance(node, ir.LI):
        leak = float(np.min(1.0 - node.alpha)) if node.size else 1.0
        v_bound = u_bound / max(leak, 1.0 / fixed.DECAY_UNITY)
        if v_seen > 0:
            v_bound = min(v_bound, CAL_MARGIN * v_seen)
        elif leak == 0.0:
            ctx.warnings.append(
                f"{name}: integrator without leak and no calibration data: its voltage bound "
                f"assumes {fixed.DECAY_UNITY} steps of the largest input, which leaves coarse "
                "weights; pass --calibrate for a bound from the voltages the model reaches"
            )
        if v_bound > 0:
            caps["voltage"] = 2.0**LI_BITS / v_bound
    if u_bound > 0:
        caps["current"] = (fixed.STATE_LIMIT - 1) / u_bound
    if bias.size and bias.max() > 0:
        caps["bias"] = BIAS_LIMIT / float(bias.max())
    if not caps:
        return 1.0, {"limited_by": "none", "u_bound": 0.0}
    key = min(caps, key=lambda k: caps[k])
    return float(caps[key]), {"limited_by": key, "u_bound": u_bound}


def _on_grid(real: np.ndarray, mode: str, exp_min: int, exp_max: int) -> tuple[np.ndarray, int]:
    lo, hi, step = fixed.weight_grid(mode)
    top = float(np.max(np.abs(real)))
    reach = hi if mode != "inhibitory" else -lo
    exp = math.ceil(math.log2(top / reach))
    while top / 2.0**exp > reach:  # guard the rounding of log2
        exp += 1
    while top / 2.0 ** (exp - 1) <= reach:
        exp -= 1
    exp = int(min(max(exp, exp_min), exp_max))
    mant = np.round(real / 2.0**exp / step).astype(np.int64) * step
    return np.clip(mant, lo, hi), exp


def quantize_weights(real: np.ndarray, exp_min: int, exp_max: int) -> tuple[np.ndarray, int]:
    """``real ~ mant * 2**exp`` with mantissas on Lava's 8-bit grid (see module docstring).

    The grid follows the sign of the real values (Lava's ``determine_sign_mode``); a mixed
    matrix whose rounded mantissas all share one sign is redone on that sign's grid, so Lava
    sees the mode the mantissas were made for and its truncation leaves them unchanged.
    """
    if real.size == 0 or not np.any(real):
        return np.zeros(real.shape, np.int64), 0
    mode = fixed.sign_mode(real)
    mant, exp = _on_grid(real, mode, exp_min, exp_max)
    if fixed.sign_mode(mant) != mode:
        mant, exp = _on_grid(real, fixed.sign_mode(mant), exp_min, exp_max)
    return mant, exp


def is_readout_synapse(graph: ir.Graph, d: str) -> bool:
    """True for a synapse into a non-spiking readout (a leaky integrator feeding an output)."""
    (dst,) = graph.successors(d)
    return isinstance(graph.nodes[dst], ir.LI) and any(
        isinstance(graph.nodes[n], ir.Output) for n in graph.successors(dst)
    )


def _quantize_dense(
    graph: ir.Graph, d: str, src: str, scale: float, in_scale: dict[str, float], ctx: Context
) -> dict[str, Any]:
    dense: ir.Dense = graph.nodes[d]
    src_scale = in_scale.get(src, 1.0)
    w = dense.effective_weight()
    unit = scale / (2**fixed.ACT_SHIFT * src_scale)  # a_in units per weight unit
    lo_exp, hi_exp = ctx.chip.bits.weight_exp_min, ctx.chip.bits.weight_exp_max
    mant, exp = quantize_weights(w * unit, lo_exp, hi_exp)
    dense.weight_mant = mant.astype(np.int32)
    dense.weight_exp = exp
    dense.num_weight_bits = fixed.WEIGHT_BITS
    back = mant * 2.0**exp / unit
    split = None
    bits = ctx.options.get("weight_bits", fixed.WEIGHT_BITS)
    if is_readout_synapse(graph, d):
        bits = ctx.options.get("readout_bits", bits)
    if int(bits) > fixed.WEIGHT_BITS:
        split = _split_precision(graph, d, src, w, back, unit, lo_exp, hi_exp)
        if split is not None:
            back = (
                back + graph.nodes[split].weight_mant * 2.0 ** graph.nodes[split].weight_exp / unit
            )
    err = np.abs(back - w)
    top = float(np.max(np.abs(w))) if w.size else 0.0
    return {
        "weight_exp": exp,
        "max_abs_error": float(err.max()) if err.size else 0.0,
        "rel_error": float(err.max() / top) if top else 0.0,
        "nonzero": int(np.count_nonzero(mant)),
        "zeroed": int(np.count_nonzero((back == 0) & (w != 0))),
        **({"residual_synapse": split} if split else {}),
    }


def _split_precision(
    graph: ir.Graph,
    d: str,
    src: str,
    w: np.ndarray,
    back: np.ndarray,
    unit: float,
    lo_exp: int,
    hi_exp: int,
) -> str | None:
    """Add a second synapse ``<d>.lo`` carrying the rounding residual of ``d`` (16-bit weights).

    ``W ~ W_hi 2**e + W_lo 2**e'``: both are ordinary 8-bit Lava Dense synapses from the same
    source into the same target (their inputs add), so every engine runs them unchanged; the
    float weights are split the same way, so the graph still computes the original function.
    Costs twice the synapses. Returns the new node's name, or None when the residual is 0 or
    too small for the smallest exponent to carry it.
    """
    dense: ir.Dense = graph.nodes[d]
    residual = (w - back) * unit
    if not np.any(residual):
        return None
    mant, exp = quantize_weights(residual, lo_exp, hi_exp)
    if float(np.abs(residual).max()) / 2.0**exp < MIN_MANTISSA / 2:
        return None  # clamped at the smallest exponent: the residual would add only rounding
    name = f"{d}.lo"
    lo = ir.Dense(
        weight=residual / unit,
        mask=dense.mask,
        weight_mant=mant.astype(np.int32),
        weight_exp=exp,
        num_weight_bits=fixed.WEIGHT_BITS,
    )
    dense.weight = back.copy()
    (dst,) = graph.successors(d)
    nodes = {}
    for k, v in graph.nodes.items():
        nodes[k] = v
        if k == d:
            nodes[name] = lo
    graph.nodes = nodes
    graph.edges += [(src, name), (name, dst)]
    return name


def _quantize_lif_like(node: Any, scale: float, rep: dict[str, Any]) -> None:
    node.dv, clip_v = fixed.decay_from_factor(node.alpha)
    alpha_syn = getattr(node, "alpha_syn", np.zeros(node.size))
    node.du, clip_u = fixed.decay_from_factor(alpha_syn, fixed.DS_OFFSET)
    bias = np.zeros(node.size) if node.bias is None else node.bias * scale
    node.bias_mant, node.bias_exp, over_b = fixed.bias_to_fixed(bias)
    v0 = np.zeros(node.size) if node.v_init is None else node.v_init * scale
    node.v_init_fixed = np.clip(np.round(v0), -fixed.V_MAX, fixed.V_MAX).astype(np.int64)
    node.state_scale = float(scale)
    rep["alpha_max_error"] = float(
        np.max(np.abs((fixed.DECAY_UNITY - node.dv) / 4096 - node.alpha))
    )
    rep["decays_clipped"] = int(np.count_nonzero(clip_v) + np.count_nonzero(clip_u))
    rep["bias_saturated"] = int(np.count_nonzero(over_b))


def _mantissa17(x: np.ndarray, scale: float) -> tuple[np.ndarray, int]:
    m = np.round(np.asarray(x, np.float64) * scale / 2**fixed.VTH_SHIFT).astype(np.int64)
    over = int(np.count_nonzero((m > fixed.VTH_MAX) | (m < 0)))
    return np.clip(m, 0, fixed.VTH_MAX), over


def _quantize_ltc(node: ir.LTC, scale: float, ctx: Context, rep: dict[str, Any]) -> None:
    n = node.size
    z1 = 2.0**fixed.GATE_FRAC_BITS
    eta1 = 2.0**fixed.ETA_FRAC_BITS
    # real mantissas per unit of the integer state each column multiplies (exp applied below)
    m_real = np.concatenate(
        [node.gate_m_weight[:, :n] * z1 / scale, node.gate_m_weight[:, n:] * z1 / scale], axis=1
    )
    a_real = np.concatenate(
        [node.gate_adp_weight[:, :n] * z1 / scale, node.gate_adp_weight[:, n:] * z1 / eta1], axis=1
    )
    top = max(float(np.max(np.abs(m_real))), float(np.max(np.abs(a_real))), 0.0)
    gmax = (1 << (fixed.GATE_WEIGHT_BITS - 1)) - 1
    exp = 0 if top == 0.0 else math.ceil(math.log2(top / gmax))
    while top and top / 2.0**exp > gmax:
        exp += 1
    node.gate_m_mant = np.clip(np.round(m_real / 2.0**exp), -gmax, gmax).astype(np.int64)
    node.gate_adp_mant = np.clip(np.round(a_real / 2.0**exp), -gmax, gmax).astype(np.int64)
    node.gate_exp = int(exp)
    node.sigmoid_lut = fixed.sigmoid_lut()
    node.state_scale = float(scale)
    rep["gate_exp"] = int(exp)
    top = np.asarray(node.b0) + np.maximum(np.asarray(node.beta), 0) * scale
    rep["threshold_saturated"] = int(np.count_nonzero(top > fixed.V_MAX))


def quantize(graph: ir.Graph, ctx: Context) -> ir.Graph:
    """Return a copy of ``graph`` with every fixed-point annotation set (module docstring)."""
    g = copy.deepcopy(graph)
    for name, node in g.nodes.items():
        if isinstance(node, ir.LTC) and not ctx.chip.supports_programmable_neurons:
            raise ChipLimitError(
                f"layer {name!r}: LTC neurons need programmable neuron microcode, which "
                f"{ctx.chip.title} lacks; use --chip loihi2 or train the layer with LIF/ALIF"
            )
    in_scale = _input_scales(g, ctx)
    scales = {name: _state_scale(g, name, g.nodes[name], in_scale, ctx) for name in _populations(g)}
    _fit_input_scales(g, in_scale, {k: v[0] for k, v in scales.items()}, ctx)
    layers: dict[str, Any] = {}
    for name in _populations(g):
        node = g.nodes[name]
        scale, why = scales[name]
        rep: dict[str, Any] = {
            "type": type(node).__name__,
            "neurons": node.size,
            "state_scale": scale,
            **why,
            "synapses": {},
        }
        for d, src in _incoming(g, name):
            rep["synapses"][d] = _quantize_dense(g, d, src, scale, in_scale, ctx)
        if isinstance(node, ir.LTC):
            _quantize_ltc(node, scale, ctx, rep)
        else:
            _quantize_lif_like(node, scale, rep)
        if isinstance(node, ir.LIF):
            node.vth, rep["threshold_saturated"] = _mantissa17(node.threshold, scale)
        elif isinstance(node, ir.LI):
            pass  # threshold VTH_MAX, set by params.lif_params
        elif isinstance(node, ir.ALIF):
            node.drho, _ = fixed.decay_from_factor(node.rho)
            node.b0_fixed = np.clip(np.round(np.asarray(node.b0) * scale), 0, fixed.V_MAX).astype(
                np.int64
            )
            node.beta_fixed = np.round(np.asarray(node.beta) * scale).astype(np.int64)
            top = (np.asarray(node.b0) + np.maximum(node.beta, 0)) * scale
            rep["threshold_saturated"] = int(np.count_nonzero(top > fixed.V_MAX))
        layers[name] = rep
    for name, out in g.of_type(ir.Output).items():
        (src,) = g.predecessors(name)
        out.value_scale = 1.0 / float(g.nodes[src].state_scale)
    ctx.note("quantize", "layers", layers)
    ctx.note(
        "quantize",
        "inputs",
        {k: {"scale": v, "payload_bits": g.nodes[k].payload_bits} for k, v in in_scale.items()},
    )
    return g
