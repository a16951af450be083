"""The energy report of one run: theory beside simulation, per layer and in total.

Assembles :mod:`estimate` (thesis formulas with the run's firing rates), :mod:`pricing` (the
run's counters priced with the chip's table) and :mod:`neurobench` (NeuroBench workload
figures), and renders them as a terminal table and a JSON-able dict. Every energy figure is
an estimate and names the table that priced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import Counters, Result
from ..compiler.chips import Chip
from ..ir import Graph
from .estimate import MODELS, LayerTheory, network_theory, total_ops
from .layers import Layer, event_rates, graph_layers, rates_over_time
from .neurobench import NeuroBenchFigures, neurobench_figures
from .pricing import PJ, MeasuredEnergy, price_counters
from .tables import OpEnergyTable

MODEL_TITLES = {"snn": "SNN", "rnn": "ReLU RNN", "lstm": "LSTM", "bilstm": "Bi-LSTM"}


@dataclass(frozen=True)
class LayerRow:
    """One layer of the report; every count and energy is per inference (``steps`` steps)."""

    theory: LayerTheory
    steps: int
    syn_ops: float  # simulated synaptic ops (events sent by all sources into this layer's cores)
    neuron_updates: float  # simulated neuron updates (active + inactive)
    sim_dynamic_pj: float  # simulated dynamic energy of this layer's cores
    rates: np.ndarray  # [T] firing rate per step (zeros for the readout)
    gate_ops: float = 0.0  # simulated LTC gate multiply-accumulates of this layer's cores

    def theory_pj(self, model: str, table: OpEnergyTable) -> float:
        return self.theory.energy_pj(model, table) * self.steps


@dataclass(frozen=True)
class EnergyReport:
    """Everything ``neurocompile energy`` prints, writes and plots."""

    source: str  # what was run (build directory)
    engine: str  # engine that produced the spikes
    chip: Chip
    op_table: OpEnergyTable
    steps: int
    samples: int
    rows: list[LayerRow]
    measured: MeasuredEnergy
    neurobench: NeuroBenchFigures
    spikes: dict[str, np.ndarray] = field(repr=False)  # [B, T, n] per spiking population
    notes: tuple[str, ...] = ()

    # -- totals ----------------------------------------------------------------------------
    def theory_ops(self, model: str) -> tuple[float, float]:
        """(ACs, MACs) per inference of ``model`` over the whole network."""
        ops = total_ops([r.theory for r in self.rows], model).scaled(self.steps)
        return ops.ac, ops.mac

    def theory_j(self, model: str) -> float:
        """Theoretical energy per inference of ``model`` (priced with ``op_table``)."""
        return sum(r.theory_pj(model, self.op_table) for r in self.rows) * PJ

    def loihi_practical_j(self) -> float:
        """Thesis Table 3.4 neuron-update estimate per inference."""
        return sum(r.theory.loihi_practical_pj for r in self.rows) * self.steps * PJ

    def ratios(self) -> dict[str, float]:
        """Theoretical energy of each ANN equivalent over the SNN's."""
        snn = self.theory_j("snn")
        return {m: (self.theory_j(m) / snn if snn else float("inf")) for m in MODELS if m != "snn"}

    def to_dict(self) -> dict[str, Any]:
        t = self.op_table
        return {
            "estimate": True,
            "source": self.source,
            "engine": self.engine,
            "chip": self.chip.name,
            "steps": self.steps,
            "samples": self.samples,
            "theory": {
                "energy_table": {
                    "name": t.name,
                    "e_mac_pj": t.e_mac_pj,
                    "e_ac_pj": t.e_ac_pj,
                    "source": t.source,
                },
                "per_inference": {
                    m: {"acs": a, "macs": mc, "energy_j": self.theory_j(m)}
                    for m in MODELS
                    for a, mc in [self.theory_ops(m)]
                },
                "loihi_practical_j_per_inference": self.loihi_practical_j(),
                "loihi_practical_source": "thesis Table 3.4 (81 pJ active / 52 pJ inactive, Davies 2018)",
                "ratios_vs_snn": self.ratios(),
            },
            "simulated": self.measured.to_dict(),
            "neurobench": self.neurobench.to_dict(),
            "layers": [self._row_dict(r) for r in self.rows],
            "notes": list(self.notes),
        }

    def _row_dict(self, r: LayerRow) -> dict[str, Any]:
        th = r.theory
        return {
            "name": th.name,
            "kind": th.kind,
            "m": th.m,
            "n": th.n,
            "recurrent": th.recurrent,
            "fr_in": th.fr_in,
            "fr_out": th.fr_out,
            "theory_per_inference": {
                m: {
                    "acs": th.ops[m].ac * r.steps,
                    "macs": th.ops[m].mac * r.steps,
                    "energy_j": r.theory_pj(m, self.op_table) * PJ,
                }
                for m in MODELS
            },
            "loihi_practical_j": th.loihi_practical_pj * r.steps * PJ,
            "simulated_syn_ops": r.syn_ops,
            "simulated_neuron_updates": r.neuron_updates,
            "simulated_gate_macs": r.gate_ops,
            "simulated_dynamic_j": r.sim_dynamic_pj * PJ,
        }


def _layer_columns(counters: Counters, layer: str) -> list[int]:
    return [i for i, c in enumerate(counters.cores) if c.split("[", 1)[0] == layer]


def build_report(
    graph: Graph,
    result: Result,
    inputs: dict[str, np.ndarray],
    chip: Chip,
    op_table: OpEnergyTable,
    *,
    step_time_s: float | np.ndarray | None = None,
    chips_used: int = 1,
    source: str = "",
    engine: str = "",
    voltages: dict[str, np.ndarray] | None = None,
    notes: tuple[str, ...] = (),
) -> EnergyReport:
    """The report of one run of ``graph``; ``inputs`` maps each ``Input`` node to its values."""
    if result.counters is None:
        raise ValueError("the run has no counters: run it on the loihi-sim target")
    counters = result.counters
    layers: list[Layer] = graph_layers(graph)
    rates = event_rates(result.spikes, inputs)
    theory = network_theory(layers, rates)
    measured = price_counters(counters, chip, step_time_s, chips_used=chips_used)
    samples = max(1, counters.samples)
    steps = int(counters.syn_ops.shape[0])
    rows = []
    for layer, th in zip(layers, theory):
        cols = _layer_columns(counters, layer.name)
        spikes = result.spikes.get(layer.name)
        rows.append(
            LayerRow(
                theory=th,
                steps=steps,
                syn_ops=float(counters.syn_ops[:, cols].sum()) / samples,
                neuron_updates=float(
                    counters.neuron_updates_active[:, cols].sum()
                    + counters.neuron_updates_inactive[:, cols].sum()
                )
                / samples,
                sim_dynamic_pj=float(measured.per_core_pj[cols].sum()),
                gate_ops=float(counters.gate_ops[:, cols].sum()) / samples,
                rates=rates_over_time(spikes) if spikes is not None else np.zeros(steps),
            )
        )
    spiking = {
        layer.name: result.spikes[layer.name]
        for layer in layers
        if layer.spiking and layer.name in result.spikes
    }
    nb = neurobench_figures(graph, spiking, inputs, voltages)
    custom = sorted({layer.kind for layer in layers if layer.kind in ("ALIF", "LTC")})
    if custom:
        e = chip.energy_pj
        note = (
            f"{'/'.join(custom)} neuron updates are priced like LIF compartment updates "
            f"({e.neuron_active:g} / {e.neuron_inactive:g} pJ)"
            + (
                "; LTC gate MACs are counted and priced as synaptic ops, their sigmoid lookups "
                "and the remaining state arithmetic only in the theory"
                if "LTC" in custom
                else "; their extra state arithmetic is only in the theory"
            )
        )
        notes = (*notes, note)
    return EnergyReport(
        source=source,
        engine=engine or str(result.info.get("engine", "")),
        chip=chip,
        op_table=op_table,
        steps=steps,
        samples=samples,
        rows=rows,
        measured=measured,
        neurobench=nb,
        spikes=spiking,
        notes=notes,
    )
