"""Integer parameters of a quantized population, as the ``fixed`` step functions take them.

One place that reads the compiler's annotations on IR nodes, used by the cycle simulator and by
our Lava ProcessModels, so both engines start from the same integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ir
from ..errors import ModelFileError
from . import fixed


def _need(node: Any, name: str, *fields: str) -> None:
    missing = [f for f in fields if getattr(node, f) is None]
    if missing:
        raise ValueError(
            f"population {name!r} is not quantized (missing {missing}); run the compiler passes"
        )


def lif_params(node: ir.LIF | ir.LI, name: str = "") -> fixed.LIFParams:
    """``fixed.LIFParams`` of a quantized LIF or LI (LI: threshold VTH_MAX, never spikes)."""
    _need(node, name, "du", "dv", "bias_mant", "bias_exp")
    spiking = isinstance(node, ir.LIF)
    if spiking:
        _need(node, name, "vth")
        vth = np.asarray(node.vth, np.int64)
    else:
        vth = np.full(node.size, fixed.VTH_MAX, np.int64)
    return fixed.LIFParams(
        du=np.asarray(node.du, np.int64),
        dv=np.asarray(node.dv, np.int64),
        bias=fixed.effective_bias(node.bias_mant, node.bias_exp),
        vth=vth,
        subtract=spiking and node.reset == "subtract",
        spiking=spiking,
    )


def alif_params(node: ir.ALIF, name: str = "") -> fixed.ALIFParams:
    _need(node, name, "du", "dv", "bias_mant", "bias_exp", "drho", "b0_fixed", "beta_fixed")
    return fixed.ALIFParams(
        du=np.asarray(node.du, np.int64),
        dv=np.asarray(node.dv, np.int64),
        bias=fixed.effective_bias(node.bias_mant, node.bias_exp),
        drho=np.asarray(node.drho, np.int64),
        b0=np.asarray(node.b0_fixed, np.int64),
        beta=np.asarray(node.beta_fixed, np.int64),
        subtract=node.reset == "subtract",
    )


def ltc_input_bias(graph: ir.Graph, name: str) -> np.ndarray:
    """Constant input of an LTC population in voltage units: ``round(S * sum_d c_d)``.

    Synapse biases into an LTC cannot be folded (``fold.py``); the fixed-point LTC adds this
    constant to its input ``I`` every step (and so to its gates, as the float model does).
    """
    node = graph.nodes[name]
    total = np.zeros(node.size)
    for d in graph.predecessors(name):
        bias = graph.nodes[d].bias
        if bias is not None:
            total = total + bias
    return np.round(total * float(node.state_scale)).astype(np.int64)


def ltc_params(graph: ir.Graph, name: str) -> fixed.LTCParams:
    """``fixed.LTCParams`` of a quantized LTC population (``ibias`` from its synapse biases)."""
    node: ir.LTC = graph.nodes[name]
    _need(node, name, "gate_m_mant", "gate_adp_mant", "gate_exp", "sigmoid_lut", "state_scale")
    if np.shape(node.sigmoid_lut) != (fixed.LUT_SIZE,):
        raise ModelFileError(
            f"population {name!r}: its sigmoid table has {np.size(node.sigmoid_lut)} entries, "
            f"this neurocompile's LTC uses {fixed.LUT_SIZE} ({fixed.RET_BITS}-bit retentions); "
            "the graph was compiled by an older version: build it again from the model"
        )
    n, s = node.size, float(node.state_scale)
    z1 = float(1 << fixed.GATE_FRAC_BITS)
    bias = np.zeros(n) if node.bias is None else np.asarray(node.bias) * s
    p = fixed.LTCParams(
        gm_x=node.gate_m_mant[:, :n],
        gm_v=node.gate_m_mant[:, n:],
        zb_m=np.round(np.asarray(node.gate_m_bias) * z1).astype(np.int64),
        ga_x=node.gate_adp_mant[:, :n],
        ga_e=node.gate_adp_mant[:, n:],
        zb_a=np.round(np.asarray(node.gate_adp_bias) * z1).astype(np.int64),
        gate_exp=int(node.gate_exp),
        lut=np.asarray(node.sigmoid_lut, np.int64),
        bias=np.round(bias).astype(np.int64),
        b0=np.clip(np.round(np.asarray(node.b0) * s), 0, fixed.V_MAX).astype(np.int64),
        beta=np.round(np.asarray(node.beta) * s).astype(np.int64),
        ibias=ltc_input_bias(graph, name),
    )
    return p


def initial_voltage(node: Any) -> np.ndarray:
    """``v_init_fixed`` (zeros when absent): the 24-bit voltage at t = -1."""
    if getattr(node, "v_init_fixed", None) is not None:
        return np.asarray(node.v_init_fixed, np.int64)
    if getattr(node, "v_init", None) is not None and getattr(node, "state_scale", None):
        v = np.round(np.asarray(node.v_init) * float(node.state_scale))
        return np.clip(v, -fixed.V_MAX, fixed.V_MAX).astype(np.int64)
    return np.zeros(node.size, np.int64)


def initial_trace(node: Any) -> np.ndarray:
    """ALIF ``eta_init`` in trace units (``2**ETA_FRAC_BITS`` per 1.0), zeros when absent."""
    eta = getattr(node, "eta_init", None)
    if eta is None:
        return np.zeros(node.size, np.int64)
    return np.round(np.asarray(eta) * (1 << fixed.ETA_FRAC_BITS)).astype(np.int64)
