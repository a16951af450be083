"""Terminal rendering of an :class:`~neurocompile.energy.report.EnergyReport`."""

from __future__ import annotations

from .report import MODEL_TITLES, EnergyReport


def si(value: float | None, unit: str) -> str:
    """``1.2e-6, "J"`` -> ``"1.20 uJ"``; ``None`` -> ``"n/a"``."""
    if value is None:
        return "n/a"
    if value == 0:
        return f"0 {unit}"
    for scale, prefix in ((1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value / 1e-15:.3g} f{unit}"


def count(value: float) -> str:
    """Operation counts: ``1234567 -> "1.23M"``."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return out


def format_report(rep: EnergyReport) -> str:
    """The terminal table: per layer and total, then the ratios and the simulated figures."""
    t, m = rep.op_table, rep.measured
    lines = [
        (
            f"neurocompile energy: {rep.source or 'run'} on {rep.chip.title}, engine "
            f"{rep.engine or '?'}, {rep.samples} sample(s) x {rep.steps} steps"
        ),
        "All energies are ESTIMATES, per inference unless marked.",
        f"  theory    priced with {t.name}: E_MAC {t.e_mac_pj} pJ, E_AC {t.e_ac_pj} pJ ({t.source})",
        f"  simulated priced with {m.table}",
        "",
    ]
    header = [
        "layer",
        "kind",
        "m",
        "n",
        "Fr",
        "ACs",
        "MACs",
        "syn ops",
        "updates",
        "E snn",
        "E rnn",
        "E lstm",
        "E loihi*",
        "E sim",
    ]
    rows = []
    for r in rep.rows:
        th = r.theory
        snn = th.ops["snn"]
        rows.append(
            [
                th.name,
                th.kind,
                str(th.m),
                str(th.n),
                f"{th.fr_out:.3f}" if th.kind != "LI" else "-",
                count(snn.ac * r.steps),
                count(snn.mac * r.steps),
                count(r.syn_ops),
                count(r.neuron_updates),
                si(r.theory_pj("snn", t) * 1e-12, "J"),
                si(r.theory_pj("rnn", t) * 1e-12, "J"),
                si(r.theory_pj("lstm", t) * 1e-12, "J"),
                si(th.loihi_practical_pj * r.steps * 1e-12, "J"),
                si(r.sim_dynamic_pj * 1e-12, "J"),
            ]
        )
    acs, macs = rep.theory_ops("snn")
    rows.append(
        [
            "total",
            "",
            "",
            str(sum(r.theory.n for r in rep.rows)),
            "",
            count(acs),
            count(macs),
            count(sum(r.syn_ops for r in rep.rows)),
            count(sum(r.neuron_updates for r in rep.rows)),
            si(rep.theory_j("snn"), "J"),
            si(rep.theory_j("rnn"), "J"),
            si(rep.theory_j("lstm"), "J"),
            si(rep.loihi_practical_j(), "J"),
            si(m.dynamic_j_per_inference, "J"),
        ]
    )
    if any(r.gate_ops for r in rep.rows):  # LTC gates: a column of their MACs after syn ops
        header.insert(8, "gate MACs")
        for row, r in zip(rows, [*rep.rows, None]):
            row.insert(8, count(r.gate_ops if r else sum(x.gate_ops for x in rep.rows)))
    lines += _table(header, rows)
    lines.append(
        "  ACs/MACs and E snn/rnn/lstm: thesis formulas (Table 3.3, paper Table 2) with the "
        "run's firing rates."
    )
    lines.append(
        "  syn ops, updates, E sim: simulated counters of the layer's cores (synaptic ops of the "
        "events it receives, its neuron updates, routing of the spikes it sends)."
    )
    if any(r.gate_ops for r in rep.rows):
        lines.append(
            "  gate MACs: simulated LTC gate multiply-accumulates (every stored gate weight, every "
            "step), priced as synaptic ops."
        )
    lines.append(
        "  E loihi*: thesis Table 3.4 estimate, neurons x (Fr x 81 pJ + (1 - Fr) x 52 pJ) per step."
    )
    lines.append("")
    ratios = ", ".join(f"{MODEL_TITLES[k]} / SNN = {v:.1f}x" for k, v in rep.ratios().items())
    lines.append(
        f"Theory, same topology ({t.name}): {ratios}; Bi-LSTM {si(rep.theory_j('bilstm'), 'J')}"
    )
    lines.append(
        f"Simulated ({rep.chip.name}): dynamic {si(m.dynamic_j_per_inference, 'J')} per "
        f"inference, {si(m.dynamic_j_per_step, 'J')} per step; static "
        f"{si(m.static_j_per_inference, 'J')} ({m.static_power_w} W x {m.chips_used} chip(s) "
        f"x run time); total {si(m.total_j_per_inference, 'J')} per inference, "
        f"{si(m.total_j_per_step, 'J')} per step"
    )
    rate = f"{m.inferences_per_s:,.0f} inferences/s" if m.inferences_per_s else "inferences/s n/a"
    lines.append(
        f"  latency {si(m.step_time_s, 's')} per step, {si(m.latency_s, 's')} per inference; "
        f"{rate} (time: {m.time_table})"
    )
    by_op = ", ".join(
        f"{k} {count(m.counts[k])} = {si(v * 1e-12, 'J')}"
        for k, v in m.by_op_pj.items()
        if k != "gate_ops" or m.counts[k]
    )
    lines.append(f"  by operation: {by_op}")
    nb = rep.neurobench
    mem = "n/a (no voltages recorded)"
    if nb.membrane_updates is not None:
        mem = count(nb.membrane_updates)
    lines.append(
        f"NeuroBench (per sample): Effective_ACs {count(nb.effective_acs)}, Effective_MACs "
        f"{count(nb.effective_macs)}, Dense {count(nb.dense)}, activation sparsity "
        f"{nb.activation_sparsity:.3f}, membrane updates {mem}"
    )
    lines += [f"note: {n}" for n in rep.notes]
    return "\n".join(lines) + "\n"
