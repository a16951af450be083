"""The backend interface and its registry.

A backend turns an IR graph into an ``Executable`` for one target::

    exe = get_backend("loihi-sim").compile(graph, chip)
    result = exe.run(inputs)            # inputs: [batch, T, input_size]

Backends are found by name in the entry-point group ``neurocompile.backends`` (nengo's
``nengo.backends`` pattern), so a third-party package adds a target the same way ours do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar

import numpy as np

from .errors import BackendUnavailableError

ENTRY_POINT_GROUP = "neurocompile.backends"

COUNTER_FIELDS = (
    "syn_ops",
    "neuron_updates_active",
    "neuron_updates_inactive",
    "spikes_in_tile",
    "spike_hops_ew",
    "spike_hops_ns",
    "gate_ops",
)


@dataclass(frozen=True)
class Counters:
    """Activity of a run, per time step and per core, summed over the samples of the run.

    Every array is ``int64 [steps, cores]``. Conventions (ARCHITECTURE.md, CHIPS.md):

    * ``syn_ops``: one per (nonzero input event x synapse it reaches): a spike into a neuron
      with fan-in from that axon counts 1 per target (Loihi's "synaptic spike op");
    * ``neuron_updates_active`` / ``_inactive``: compartments that did / did not spike that step
      (thesis Table 3.4 convention: Fr * 81 pJ + (1 - Fr) * 52 pJ);
    * ``spikes_in_tile``: spikes delivered to a core in the sender's tile;
    * ``spike_hops_ew`` / ``spike_hops_ns``: mesh hops travelled east-west / north-south;
    * ``gate_ops``: multiply-accumulates of LTC gates, one per stored gate weight per neuron
      per step (the gates are dense: every step reads every column); priced and timed as a
      synaptic op, the graded-payload synaptic op that computes them on Loihi 2 [ASSUME].
      The state values a piece's gates read from another core travel as graded messages and
      count in ``spikes_in_tile`` / ``spike_hops_*`` like spikes.

    ``cores`` names the core of each column (``"<node>[start:stop]"``); ``samples`` counts the
    inferences summed, so per-inference figures divide by it.
    """

    syn_ops: np.ndarray
    neuron_updates_active: np.ndarray
    neuron_updates_inactive: np.ndarray
    spikes_in_tile: np.ndarray
    spike_hops_ew: np.ndarray
    spike_hops_ns: np.ndarray
    gate_ops: np.ndarray | None = None  # None: zeros (a network without LTC gates)
    cores: tuple[str, ...] = ()
    samples: int = 1

    def __post_init__(self) -> None:
        if self.gate_ops is None:
            object.__setattr__(self, "gate_ops", np.zeros_like(self.syn_ops))

    def __add__(self, other: Counters) -> Counters:
        """Counters of two runs of the same executable over different samples."""
        if self.cores != other.cores:
            raise ValueError("cannot add counters of different core maps")
        sums = {f: getattr(self, f) + getattr(other, f) for f in COUNTER_FIELDS}
        return Counters(**sums, cores=self.cores, samples=self.samples + other.samples)

    @classmethod
    def zeros(cls, steps: int, cores: tuple[str, ...], samples: int = 1) -> Counters:
        z = {f: np.zeros((steps, len(cores)), dtype=np.int64) for f in COUNTER_FIELDS}
        return cls(**z, cores=tuple(cores), samples=samples)

    def totals(self) -> dict[str, int]:
        return {f: int(getattr(self, f).sum()) for f in COUNTER_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {f: getattr(self, f) for f in COUNTER_FIELDS}
        d["cores"] = np.array(self.cores)
        d["samples"] = self.samples
        return d


@dataclass
class Result:
    """What a run returns.

    ``spikes``: per population, ``uint8 [batch, T, size]``; ``outputs``: readout values
    ``[batch, T, classes]`` (voltages of a leaky-integrator readout in float units, or spikes);
    ``predictions``: ``[batch]`` (or ``[batch, T]`` for per-step decoding); ``counters``: None
    for engines that do not count (the float reference).
    """

    spikes: dict[str, np.ndarray]
    outputs: np.ndarray
    predictions: np.ndarray
    counters: Counters | None = None
    info: dict[str, Any] = field(default_factory=dict)  # engine name, timings, notes


class Executable:
    """A compiled network for one backend."""

    def run(self, inputs: np.ndarray) -> Result:  # inputs [batch, T, input_size]
        raise NotImplementedError


class Backend:
    """Base class of targets. Subclasses set ``name`` and capability flags."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    needs_quantized: ClassVar[bool] = False  # True: compile() expects the compiler's passes run
    counts_activity: ClassVar[bool] = False  # True: Result.counters is filled

    def compile(self, graph: Any, chip: Any = None, **options: Any) -> Executable:
        raise NotImplementedError


def available_backends() -> dict[str, Any]:
    """Name -> entry point of every registered backend (nothing is imported)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def get_backend(name: str) -> Backend:
    eps = available_backends()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none (is neurocompile installed?)"
        raise BackendUnavailableError(f"unknown target {name!r}; known targets: {known}")
    cls = eps[name].load()
    return cls()


def replace(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` re-exported for passes that return modified nodes."""
    return dataclasses.replace(obj, **changes)
