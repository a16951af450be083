"""Time per step from activity counters and the chip's timing table.

Model (Loihi's barrier-synchronised time steps, Davies et al. 2018): in each step every core
works through its synaptic ops, its neuron updates and the spikes it sends; the step ends when
the slowest core is done and the mesh-wide barrier completes::

    core_ns[t, c] = (syn_ops + gate_ops) * t_syn + active * t_active + inactive * t_inactive
                    + in_tile * t_tile + hops_ew * t_ew + hops_ns * t_ns
    step_ns[t]    = max_c core_ns[t, c] + barrier_ns(tiles used)

Counters summed over ``samples`` inferences are divided by ``samples`` first (one inference at
a time on the chip). Latency per inference is ``sum_t step_ns[t]``; throughput its inverse.
These are estimates from the chip's table (``Chip.time_source``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import Counters
from .chips import Chip


@dataclass(frozen=True)
class StepTiming:
    step_ns: np.ndarray  # [T] time of each step, one inference
    core_ns: np.ndarray  # [T, cores] busy time of each core
    barrier_ns: float

    @property
    def latency_s(self) -> float:
        return float(self.step_ns.sum()) * 1e-9

    @property
    def throughput(self) -> float:
        """Inferences per second, one inference at a time."""
        return 1.0 / self.latency_s if self.latency_s > 0 else float("inf")

    def to_dict(self) -> dict[str, float]:
        return {
            "mean_step_ns": float(self.step_ns.mean()) if self.step_ns.size else 0.0,
            "max_step_ns": float(self.step_ns.max()) if self.step_ns.size else 0.0,
            "barrier_ns": self.barrier_ns,
            "latency_s": self.latency_s,
            "inferences_per_s": self.throughput,
        }


def step_timing(counters: Counters, chip: Chip, tiles: int) -> StepTiming:
    """Per-step time of one inference (module docstring)."""
    t = chip.time_ns
    k = 1.0 / max(1, counters.samples)
    core = k * (
        (counters.syn_ops + counters.gate_ops) * t.syn_op
        + counters.neuron_updates_active * t.neuron_active
        + counters.neuron_updates_inactive * t.neuron_inactive
        + counters.spikes_in_tile * t.spike_in_tile
        + counters.spike_hops_ew * t.hop_ew
        + counters.spike_hops_ns * t.hop_ns
    )
    barrier = chip.barrier_ns(tiles)
    step = (core.max(axis=1) if core.shape[1] else np.zeros(core.shape[0])) + barrier
    return StepTiming(step_ns=step, core_ns=core, barrier_ns=barrier)
