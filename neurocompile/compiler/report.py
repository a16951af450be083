"""The build report: per layer and per core facts of a compiled graph, as JSON and as text.

Nothing in it depends on the clock or the machine, so the same build gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ir
from . import fixed
from .context import Context
from .coremap import core_map_of
from .resources import QUANTITIES, gate_weights

REPORT_FORMAT = "neurocompile-build-report"
REPORT_VERSION = 1


def _layers(graph: ir.Graph, ctx: Context) -> dict[str, Any]:
    quant = ctx.report.get("quantize", {}).get("layers", {})
    cores = ctx.report.get("split", {}).get("cores_per_layer", {})
    out = {}
    for name, q in quant.items():
        synapses = {}
        for d, info in q["synapses"].items():
            dense = graph.nodes[d]
            synapses[d] = {
                **info,
                "source": graph.predecessors(d)[0],
                "shape": list(dense.weight.shape),
            }
        out[name] = {
            "type": q["type"],
            "neurons": q["neurons"],
            "cores": cores.get(name, 0),
            "synapses_in": int(sum(s["nonzero"] for s in synapses.values())),
            "gate_weights": gate_weights(graph.nodes[name]),
            "state_scale": q["state_scale"],
            "scale_limited_by": q["limited_by"],
            "synapse_groups": synapses,
            **{
                k: q[k]
                for k in ("alpha_max_error", "threshold_saturated", "bias_saturated", "gate_exp")
                if k in q
            },
        }
    return out


def make_report(
    graph: ir.Graph, ctx: Context, source: str, comparison: Any = None
) -> dict[str, Any]:
    """The JSON-able build report."""
    cmap = core_map_of(graph)
    compiler = graph.metadata.get("compiler", {})
    util = graph.metadata.get("utilization", [])
    peak = {q: max((r[q][0] / r[q][1] for r in util if r[q][1]), default=0.0) for q in QUANTITIES}
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "source": source,
        "chip": {"name": ctx.chip.name, "title": ctx.chip.title},
        "passes": list(compiler.get("passes", [])),
        "weight_bits": int(compiler.get("weight_bits", 8)),
        "readout_bits": int(compiler.get("readout_bits", compiler.get("weight_bits", 8))),
        "inputs": ctx.report.get("quantize", {}).get("inputs", {}),
        "layers": _layers(graph, ctx),
        "cores": util,
        "totals": {
            "cores": len(cmap.cores),
            "chips": cmap.chips_used,
            "tiles": cmap.tiles_used,
            "neurons": int(sum(c.size for c in cmap.cores)),
            "synapses": int(
                sum(int(np.count_nonzero(d.weight_mant)) for d in graph.of_type(ir.Dense).values())
            ),
            "gate_weights": int(sum(gate_weights(v) for v in graph.nodes.values())),
            "peak_utilization": peak,
        },
        "placement": ctx.report.get("place", {}),
        "clustering": ctx.report.get("split", {}).get("clustered", {}),
        "calibration": None if comparison is None else comparison.to_dict(),
        "warnings": list(ctx.warnings),
    }


def _pct(used: float, limit: float | None) -> str:
    return f"{used}/{limit} ({100.0 * used / limit:.0f}%)" if limit else f"{used}/-"


def render_text(r: dict[str, Any]) -> str:
    """The human-readable twin of :func:`make_report`."""
    lines = [
        f"neurocompile build report: {r['source']} -> {r['chip']['title']}",
        f"passes: {' -> '.join(r['passes'])}; weights {r['weight_bits']}-bit"
        + (" (a residual synapse per connection)" if r["weight_bits"] > 8 else "")
        + (
            f", readout weights {r['readout_bits']}-bit"
            + (" (a residual synapse per connection)" if r["readout_bits"] > 8 else "")
            if r.get("readout_bits", r["weight_bits"]) != r["weight_bits"]
            else ""
        ),
        "",
    ]
    t = r["totals"]
    gates = t.get("gate_weights", 0)
    lines.append(
        f"{t['neurons']} neurons, {t['synapses']} synapses"
        + (f" and {gates} LTC gate weights" if gates else "")
        + f" on {t['cores']} cores "
        f"({t['tiles']} tiles, {t['chips']} chip{'s' if t['chips'] != 1 else ''})"
    )
    for name, info in r["inputs"].items():
        lines.append(f"input {name}: payload {info['payload_bits']} bits, scale {info['scale']:g}")
    lines += [
        "",
        "layers:",
        (
            f"  {'layer':<16}{'type':<6}{'neurons':>8}{'synapses':>10}{'cores':>6}"
            f"{'state scale':>13}  limited by"
        ),
    ]
    for name, L in r["layers"].items():
        lines.append(
            f"  {name:<16}{L['type']:<6}{L['neurons']:>8}{L['synapses_in']:>10}"
            f"{L['cores']:>6}{L['state_scale']:>13.5g}  {L['scale_limited_by']}"
        )
        if L.get("gate_weights"):
            lines.append(
                f"    gates: {L['gate_weights']} stored weights ({fixed.GATE_WEIGHT_BITS}-bit, "
                f"exp {L['gate_exp']}), "
                "every one a multiply-accumulate per neuron and step"
            )
        for d, s in L["synapse_groups"].items():
            lines.append(
                f"    <- {d:<18} from {s['source']:<12} exp {s['weight_exp']:>3}  "
                f"max error {s['max_abs_error']:.3g} ({100 * s['rel_error']:.2f}% of max "
                f"|w|), {s['zeroed']} weights rounded to 0"
            )
    lines += ["", "cores (used/max):"]
    heads = [
        "compartments",
        "fan_in_axons",
        "fan_out_axons",
        "synaptic_memory_bits",
        "compartment_configs",
    ]
    lines.append(
        f"  {'core':<22}{'tile':<8}"
        + "".join(
            f"{h:>26}"
            for h in ("compartments", "fan-in", "fan-out", "synaptic memory bits", "configs")
        )
    )
    for row in r["cores"]:
        tile = f"{row['chip']}:{row['tile'][0]},{row['tile'][1]}"
        lines.append(
            f"  {row['core']:<22}{tile:<8}" + "".join(f"{_pct(*row[h]):>26}" for h in heads)
        )
    p = r["placement"]
    if p:
        routed = "spike routing"
        if p.get("gate_messages_per_step"):
            routed = (
                f"spike and LTC gate-message ({p['gate_messages_per_step']:.4g} per step) routing"
            )
        lines += [
            "",
            (
                f"placement: {p.get('swaps', 0)} swaps, {routed} "
                f"{p.get('cost_pj_per_step_initial', 0):.4g} -> {p.get('cost_pj_per_step', 0):.4g} "
                f"pJ/step (rates {p.get('rates')}; estimate, {r['chip']['title']} table)"
            ),
        ]
    c = r["calibration"]
    if c:
        lines += ["", f"calibration on {c['samples']} samples:"]
        if c.get("agreement") is not None:
            lines[-1] += f" decisions agree on {c['agreement']:.2f}%"
        if c["float_accuracy"] is not None:
            lines.append(
                f"  accuracy float {c['float_accuracy']:.2f}%, fixed point "
                f"{c['fixed_accuracy']:.2f}%, drop {c['drop']:.2f} points "
                f"(threshold {c['max_drop']:g})"
            )
        if c.get("diff_mse") is not None:
            lines.append(f"  {_mse_pair(c)}")
    if r["warnings"]:
        lines += ["", "warnings:"] + [f"  - {w}" for w in r["warnings"]]
    return "\n".join(lines) + "\n"


def _mse_pair(c: dict[str, Any]) -> str:
    """A regression model's calibration: both MSEs (with labels) and their mean difference."""
    diff = f"float vs fixed point: mean squared difference {c['diff_mse']:.3g}"
    f, q = c["float_mse"], c["fixed_mse"]
    if f is None:
        return diff
    rel = f" ({100 * (q - f) / f:+.1f}%)" if f > 0 else ""
    return f"mse float {f:.5g}, fixed point {q:.5g}{rel}; {diff}"


def render_summary(r: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    t = r["totals"]
    peak = max(t["peak_utilization"].items(), key=lambda kv: kv[1])
    lines = [
        (
            f"built {r['source']} for {r['chip']['title']}: {t['neurons']} neurons, "
            f"{t['synapses']} synapses, "
            + (f"{t['gate_weights']} LTC gate weights, " if t.get("gate_weights") else "")
            + f"{t['cores']} cores on {t['chips']} chip(s); peak "
            f"{peak[0].replace('_', ' ')} {100 * peak[1]:.0f}%"
        )
    ]
    c = r["calibration"]
    if c and c["float_accuracy"] is not None:
        lines.append(
            f"calibration: float {c['float_accuracy']:.2f}%, fixed point "
            f"{c['fixed_accuracy']:.2f}% (drop {c['drop']:.2f} points)"
        )
    elif c and c.get("diff_mse") is not None:
        lines.append(f"calibration: {_mse_pair(c)}")
    lines += [f"warning: {w}" for w in r["warnings"]]
    return "\n".join(lines)
