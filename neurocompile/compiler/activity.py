"""Activity counters of a run, from its spikes and the core map (one function for every engine).

Whichever engine produced the spikes (the cycle simulator or Lava), the counters come from
here, so they are equal whenever the spikes are. Conventions (``neurocompile.backend.Counters``,
CHIPS.md):

* ``syn_ops[t, B]``: for every event sent at step t (a spike, or a nonzero graded input
  payload) into core B, one op per *stored* synapse it reaches on B, i.e. per nonzero weight
  mantissa in the event's column restricted to B's neurons (Loihi's "synaptic spike op";
  Sinabs' ``synops = input x fan-out``). Counted at the step the event is sent.
* ``neuron_updates_active[t, B]`` / ``_inactive``: neurons of B that did / did not spike at t
  (every compartment is updated every step; thesis Table 3.4 convention).
* ``spikes_in_tile[t, A]``: for each spike of a neuron on core A at t, one per destination core
  in A's tile (including A itself). ``spike_hops_ew`` / ``_ns``: for each spike and each
  destination core outside the tile, the east-west / north-south tile distance (dimension-order
  routing). A neuron sends one copy per destination core (Loihi output axons), and only to
  cores where it has a nonzero synapse. Counted on the sender's core.
* External inputs come from the host, not from a core: they count synaptic ops at their
  destination, but no routing.
* ``gate_ops[t, B]``: an LTC population's gates are dense: every step each neuron on B does one
  multiply-accumulate per stored weight in its rows of the two gate matrices. The state values
  ``(i, v, eta)`` that B's gates read from a neuron on another core of the population arrive as
  one graded message per value and step (``resources.gate_sources``), routed and counted like a
  spike of that neuron to B.

Everything is summed over the samples of the run (``Counters.samples`` says how many).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Counters
from .coremap import Core, CoreMap, core_map_of
from .resources import gate_sources, gate_stored


def _stored_synapses(dense: Any) -> np.ndarray:
    """0/1 matrix [out, in] of the synapses a core stores (nonzero quantized weights)."""
    w = dense.weight_mant if dense.weight_mant is not None else dense.effective_weight()
    return (np.asarray(w) != 0).astype(np.int64)


@dataclass
class _Route:
    """Per source neuron, the cost of one event: syn ops per dest core, and routing."""

    source: str  # population or input name
    syn_ops: dict[int, np.ndarray]  # dest core index -> [n_src] synapses reached
    in_tile: dict[int, np.ndarray]  # source core index -> [n_src] in-tile deliveries per spike
    hops_ew: dict[int, np.ndarray]  # source core index -> [n_src] E-W hops per spike
    hops_ns: dict[int, np.ndarray]


class ActivityCounter:
    """Routing tables of one compiled graph, reused for every run of it."""

    def __init__(self, graph: Any, core_map: CoreMap | None = None) -> None:
        from ..ir import Dense, Input

        self.core_map = core_map if core_map is not None else core_map_of(graph)
        self.populations = [n for n in dict.fromkeys(c.node for c in self.core_map.cores)]
        self.sizes = {n: graph.nodes[n].out_size for n in self.populations}
        self.inputs = list(graph.of_type(Input))
        cores_of = {n: self.core_map.of_node(n) for n in self.populations}
        self.routes: dict[str, _Route] = {}
        for name, dense in graph.of_type(Dense).items():
            (src,) = graph.predecessors(name)
            (dst,) = graph.successors(name)
            route = self.routes.setdefault(src, _Route(src, {}, {}, {}, {}))
            stored = _stored_synapses(dense)  # [n_dst, n_src]
            reach: dict[int, np.ndarray] = {}  # dest core -> [n_src] 0/1 (sends a copy there)
            for core in cores_of[dst]:
                per_src = stored[core.start : core.stop].sum(axis=0)
                route.syn_ops[core.index] = route.syn_ops.get(core.index, 0) + per_src
                reach[core.index] = (per_src > 0).astype(np.int64)
            if src in cores_of:
                self._add_routing(route, cores_of[src], cores_of[dst], reach)
        # LTC gates: MACs per step per core, and the state messages between a population's cores
        self.gate_ops = np.zeros(len(self.core_map.cores), np.int64)
        self.gate_msgs = _Route("", {}, {}, {}, {})  # per source neuron, every step
        for name in self.populations:
            gates = gate_stored(graph.nodes[name])
            if gates is None:
                continue
            cores = cores_of[name]
            for core in cores:
                self.gate_ops[core.index] = sum(
                    int(np.count_nonzero(g[core.start : core.stop])) for g in gates
                )
            if len(cores) > 1:
                reach = {}
                for b in cores:
                    values = gate_sources(gates, b.start, b.stop).sum(axis=0)  # [n]
                    values[b.start : b.stop] = 0  # its own neurons' values are local
                    reach[b.index] = values
                route = _Route(name, {}, {}, {}, {})
                self._add_routing(route, cores, cores, reach)
                for field in ("in_tile", "hops_ew", "hops_ns"):
                    getattr(self.gate_msgs, field).update(getattr(route, field))

    def _add_routing(
        self,
        route: _Route,
        src_cores: list[Core],
        dst_cores: list[Core],
        reach: dict[int, np.ndarray],
    ) -> None:
        for a in src_cores:
            n = a.size
            tile = np.zeros(n, np.int64)
            ew = np.zeros(n, np.int64)
            ns = np.zeros(n, np.int64)
            for b in dst_cores:
                sends = reach[b.index][a.start : a.stop]
                if b.tile == a.tile:
                    tile += sends
                else:
                    ew += sends * abs(b.x - a.x)
                    ns += sends * abs(b.y - a.y)
            for table, value in ((route.in_tile, tile), (route.hops_ew, ew), (route.hops_ns, ns)):
                table[a.index] = table.get(a.index, 0) + value

    def count(self, spikes: dict[str, np.ndarray], inputs: dict[str, np.ndarray]) -> Counters:
        """Counters of one run.

        ``spikes``: population name -> ``[batch, T, n]`` 0/1 (populations that never spike,
        such as an LI readout, may be absent); ``inputs``: input name -> ``[batch, T, n]``
        values as the chip receives them (already time-reversed for reversed inputs).
        """
        batch, steps = self._shape(spikes, inputs)
        c = Counters.zeros(steps, self.core_map.names, samples=batch)
        events: dict[str, np.ndarray] = {}
        for name, x in inputs.items():
            events[name] = (np.asarray(x) != 0).sum(axis=0, dtype=np.int64)  # [T, n]
        for name in self.populations:
            if name in spikes:
                events[name] = np.asarray(spikes[name]).sum(axis=0, dtype=np.int64)
        for core in self.core_map.cores:
            ev = events.get(core.node)
            active = (
                ev[:, core.start : core.stop].sum(axis=1)
                if ev is not None
                else np.zeros(steps, np.int64)
            )
            c.neuron_updates_active[:, core.index] = active
            c.neuron_updates_inactive[:, core.index] = batch * core.size - active
        c.gate_ops[:] = batch * self.gate_ops
        for field, table in (
            ("spikes_in_tile", self.gate_msgs.in_tile),
            ("spike_hops_ew", self.gate_msgs.hops_ew),
            ("spike_hops_ns", self.gate_msgs.hops_ns),
        ):
            out = getattr(c, field)
            for idx, per_src in table.items():
                out[:, idx] += batch * int(per_src.sum())
        for src, route in self.routes.items():
            ev = events.get(src)
            if ev is None:
                continue
            for idx, per_src in route.syn_ops.items():
                c.syn_ops[:, idx] += ev @ per_src
            for field, table in (
                ("spikes_in_tile", route.in_tile),
                ("spike_hops_ew", route.hops_ew),
                ("spike_hops_ns", route.hops_ns),
            ):
                out = getattr(c, field)
                for idx, per_src in table.items():
                    core = self.core_map.cores[idx]
                    out[:, idx] += ev[:, core.start : core.stop] @ per_src
        return c

    @staticmethod
    def _shape(spikes: dict[str, np.ndarray], inputs: dict[str, np.ndarray]) -> tuple[int, int]:
        for arrays in (inputs, spikes):
            for a in arrays.values():
                return int(a.shape[0]), int(a.shape[1])
        raise ValueError("count_activity needs at least one spike or input array")


def count_activity(
    graph: Any,
    spikes: dict[str, np.ndarray],
    inputs: dict[str, np.ndarray],
    core_map: CoreMap | None = None,
) -> Counters:
    """Counters of a run of ``graph`` (see the module docstring for the conventions)."""
    return ActivityCounter(graph, core_map).count(spikes, inputs)
