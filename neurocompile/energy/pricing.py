r"""Price a run's activity counters with a chip's per-operation energy table.

The dynamic energy of a run is a sum of counted operations times their cost (Davies et al.,
IEEE Micro 2018, Table 2 for Loihi 1; the Loihi 2 spec reuses it, labelled approximate; see
:mod:`neurocompile.compiler.chips`):

.. math::
    E_{dyn} = (N_{syn} + N_{gate}) E_{syn} + N_{act} E_{act} + N_{inact} E_{inact}
              + N_{tile} E_{tile} + N_{ew} E_{ew} + N_{ns} E_{ns}

where the counts are :class:`neurocompile.backend.Counters` fields (``syn_ops``, ``gate_ops``,
``neuron_updates_active`` / ``_inactive``, ``spikes_in_tile``, ``spike_hops_ew`` / ``_ns``).
An LTC gate multiply-accumulate (``gate_ops``) is priced as a synaptic op [ASSUME]: on Loihi 2
it is a synaptic op with a graded payload; no public table prices it separately.
Static energy is the chip's static power times the simulated run time,
:math:`E_{stat} = P_{stat} \cdot n_{chips} \cdot T \cdot t_{step}`, with the time per step from
the cycle model of the simulator. Every figure is an estimate from pre-silicon minimum
per-operation energies (Loihi 1) or approximations (Loihi 2); the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import COUNTER_FIELDS, Counters
from ..compiler.chips import Chip

PJ = 1e-12

#: Counters field -> field of the chip's ``OpTable`` that prices it
PRICE_OF: dict[str, str] = {
    "syn_ops": "syn_op",
    "neuron_updates_active": "neuron_active",
    "neuron_updates_inactive": "neuron_inactive",
    "spikes_in_tile": "spike_in_tile",
    "spike_hops_ew": "hop_ew",
    "spike_hops_ns": "hop_ns",
    "gate_ops": "syn_op",  # LTC gate MACs: graded-payload synaptic ops [ASSUME]
}


@dataclass(frozen=True)
class MeasuredEnergy:
    """Energy and time of one simulated run, per inference and per step (all estimates).

    ``per_core_pj``: dynamic energy per inference of each core (``cores`` order);
    ``per_step_pj``: dynamic energy per inference at each step; ``by_op_pj``: dynamic energy per
    inference of each counter kind; ``counts``: operations per inference of each kind.
    """

    chip: str  # chip name
    table: str  # the table that priced the energy (chip.energy_source)
    time_table: str  # the table behind the step time
    steps: int
    samples: int
    cores: tuple[str, ...]
    counts: dict[str, float]  # operations per inference, per counter kind
    by_op_pj: dict[str, float]  # dynamic pJ per inference, per counter kind
    per_core_pj: np.ndarray  # [cores] dynamic pJ per inference
    per_step_pj: np.ndarray  # [steps] dynamic pJ per inference
    per_core_ops: dict[str, np.ndarray]  # counter kind -> [cores] operations per inference
    step_time_s: float | None  # mean simulated time per step (None: not known)
    static_power_w: float
    chips_used: int

    @property
    def per_core_syn_ops(self) -> np.ndarray:
        return self.per_core_ops["syn_ops"]

    @property
    def per_core_updates(self) -> np.ndarray:
        """Neuron updates (active + inactive) per inference of each core."""
        return (
            self.per_core_ops["neuron_updates_active"]
            + self.per_core_ops["neuron_updates_inactive"]
        )

    @property
    def dynamic_j_per_inference(self) -> float:
        return float(sum(self.by_op_pj.values())) * PJ

    @property
    def dynamic_j_per_step(self) -> float:
        return self.dynamic_j_per_inference / self.steps

    @property
    def latency_s(self) -> float | None:
        """Simulated time of one inference (``steps x step_time``)."""
        return None if self.step_time_s is None else self.step_time_s * self.steps

    @property
    def static_j_per_inference(self) -> float | None:
        lat = self.latency_s
        return None if lat is None else self.static_power_w * self.chips_used * lat

    @property
    def total_j_per_inference(self) -> float | None:
        static = self.static_j_per_inference
        return None if static is None else self.dynamic_j_per_inference + static

    @property
    def total_j_per_step(self) -> float | None:
        total = self.total_j_per_inference
        return None if total is None else total / self.steps

    @property
    def inferences_per_s(self) -> float | None:
        """One inference at a time, back to back: ``1 / latency``."""
        lat = self.latency_s
        return None if not lat else 1.0 / lat

    def to_dict(self) -> dict[str, object]:
        return {
            "estimate": True,
            "chip": self.chip,
            "energy_table": self.table,
            "time_table": self.time_table,
            "steps": self.steps,
            "samples": self.samples,
            "ops_per_inference": dict(self.counts),
            "dynamic_pj_per_inference_by_op": dict(self.by_op_pj),
            "dynamic_j_per_inference": self.dynamic_j_per_inference,
            "dynamic_j_per_step": self.dynamic_j_per_step,
            "static_power_w": self.static_power_w,
            "chips_used": self.chips_used,
            "step_time_s": self.step_time_s,
            "latency_s_per_inference": self.latency_s,
            "static_j_per_inference": self.static_j_per_inference,
            "total_j_per_inference": self.total_j_per_inference,
            "total_j_per_step": self.total_j_per_step,
            "inferences_per_s": self.inferences_per_s,
            "per_core_dynamic_pj_per_inference": dict(
                zip(self.cores, (float(x) for x in self.per_core_pj))
            ),
        }


def price_counters(
    counters: Counters,
    chip: Chip,
    step_time_s: float | np.ndarray | None = None,
    *,
    chips_used: int = 1,
) -> MeasuredEnergy:
    r"""Price ``counters`` with ``chip.energy_pj``; per-inference figures divide by ``samples``.

    ``step_time_s``: simulated time of each step (scalar, or ``[steps]``) from the cycle model;
    ``None`` leaves static energy, latency and throughput unknown.
    """
    steps = int(counters.syn_ops.shape[0])
    if steps == 0:
        raise ValueError("cannot price counters of a run with zero steps")
    samples = max(1, int(counters.samples))
    per_step = np.zeros(steps)
    per_core = np.zeros(len(counters.cores) or counters.syn_ops.shape[1])
    counts: dict[str, float] = {}
    by_op: dict[str, float] = {}
    per_core_ops: dict[str, np.ndarray] = {}
    for f in COUNTER_FIELDS:
        arr = np.asarray(getattr(counters, f), dtype=np.float64)
        cost = float(getattr(chip.energy_pj, PRICE_OF[f]))
        counts[f] = float(arr.sum()) / samples
        by_op[f] = counts[f] * cost
        per_step += arr.sum(axis=1) * cost / samples
        per_core_ops[f] = arr.sum(axis=0) / samples
        per_core += per_core_ops[f] * cost
    mean_step = None
    if step_time_s is not None:
        mean_step = float(np.mean(np.asarray(step_time_s, dtype=np.float64)))
    return MeasuredEnergy(
        chip=chip.name,
        table=chip.energy_source,
        time_table=chip.time_source,
        steps=steps,
        samples=samples,
        cores=tuple(counters.cores),
        counts=counts,
        by_op_pj=by_op,
        per_core_pj=per_core,
        per_step_pj=per_step,
        per_core_ops=per_core_ops,
        step_time_s=mean_step,
        static_power_w=chip.static_power_w,
        chips_used=chips_used,
    )
