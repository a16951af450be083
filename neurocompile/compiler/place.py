r"""Pass ``place``: give every core a position on the mesh, minimising hop-weighted traffic.

Slots. Chip ``c`` has ``mesh.cores`` slots, ``cores_per_tile`` per tile; tiles are numbered
along a snake (boustrophedon) path over the ``tiles_x x tiles_y`` grid, so consecutive tiles
are neighbours; chip ``c`` occupies global tile columns ``[c * tiles_x, (c+1) * tiles_x)``.
As many chips are used as the cores need.

Cost. With ``T[a, b]`` the expected spikes per step sent from core ``a`` to core ``b`` (rate of
each source neuron times whether it has a synapse on ``b``; rates from calibration, else
``DEFAULT_RATE`` for every neuron) and ``D[p, q]`` the energy of one spike between slots
``p`` and ``q`` (chip energy table: in-tile cost within a tile, else ``E_ew |dx| + E_ns |dy|``),
the placement minimises ``sum_ab T[a, b] D[pos a, pos b]``. ``T`` also holds the state
messages of LTC gates (:func:`gate_traffic`): every step, one graded message for each state
value ``(i, v, eta)`` that a core's gates read from a neuron on another core of the same
population, routed like a spike (as ``activity`` counts them).

Search. Start from the snake order (layers in graph order, pieces in neuron order), then
best-improvement pairwise swaps (including swaps with free slots of the used chips) until no
swap helps or ``MAX_SWAPS`` swaps; above ``MAX_SLOTS_SEARCHED`` slots the snake order is kept
(the report says how many swaps were made). The swap gain is computed for all pairs at once: with ``W =
T + T^T`` and ``Dp`` the slot distances of the current positions, ``X = W Dp^T``,
``delta(a, b) = X_ab + X_ba - X_aa - X_bb + 2 W_ab (Dp_ab - D_self)``.
Deterministic: ties go to the first pair.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np

from .. import ir
from .chips import Chip
from .context import Context
from .coremap import CoreMap, core_map_of
from .resources import gate_sources, gate_stored, stored

DEFAULT_RATE = 0.1  # assumed firing probability per neuron per step without calibration
MAX_SWAPS = 500  # each swap costs O(slots^3): at most 500 (a few seconds for 256 slots)
MAX_SLOTS_SEARCHED = 256  # above this (3+ chips) the snake order is kept


def slot_position(chip: Chip, slot: int) -> tuple[int, int, int, int]:
    """``(chip, local slot, x, y)`` of global slot ``slot`` (snake order of tiles)."""
    m = chip.mesh
    c, local = divmod(slot, m.cores)
    tile = local // m.cores_per_tile
    y, i = divmod(tile, m.tiles_x)
    x = i if y % 2 == 0 else m.tiles_x - 1 - i
    return c, local, c * m.tiles_x + x, y


def slot_distances(chip: Chip, slots: int) -> np.ndarray:
    """``D[p, q]``: energy (pJ) of one spike from slot p to slot q."""
    pos = np.array([slot_position(chip, s)[2:] for s in range(slots)], dtype=np.float64)
    dx = np.abs(pos[:, None, 0] - pos[None, :, 0])
    dy = np.abs(pos[:, None, 1] - pos[None, :, 1])
    e = chip.energy_pj
    same = (dx == 0) & (dy == 0)
    return np.where(same, e.spike_in_tile, e.hop_ew * dx + e.hop_ns * dy)


def traffic(graph: ir.Graph, cmap: CoreMap, rates: dict[str, np.ndarray]) -> np.ndarray:
    """``T[a, b]``: expected spikes per step from core a to core b."""
    n = len(cmap.cores)
    t = np.zeros((n, n))
    for d, dense in graph.of_type(ir.Dense).items():
        (src,) = graph.predecessors(d)
        (dst,) = graph.successors(d)
        if src not in rates:
            continue  # external input: not on the mesh
        st = stored(dense)
        for a in cmap.of_node(src):
            r = rates[src][a.start : a.stop]
            for b in cmap.of_node(dst):
                t[a.index, b.index] += float(r @ st[b.start : b.stop, a.start : a.stop].any(axis=0))
    return t


def gate_traffic(graph: ir.Graph, cmap: CoreMap) -> np.ndarray:
    """``G[a, b]``: LTC gate state messages per step from core a to core b of one population.

    Sent every step whatever the spikes: core b's gates read the value, so a (the value's
    core) sends it. A core's own neurons' values cost no message (the diagonal is 0).
    """
    n = len(cmap.cores)
    g = np.zeros((n, n))
    for name, node in graph.nodes.items():
        gates = gate_stored(node)
        cores = cmap.of_node(name)
        if gates is None or len(cores) < 2:
            continue
        for b in cores:
            reads = gate_sources(gates, b.start, b.stop).sum(axis=0)  # values read, per neuron
            for a in cores:
                if a.index != b.index:
                    g[a.index, b.index] += float(reads[a.start : a.stop].sum())
    return g


def cost(t: np.ndarray, d: np.ndarray, pos: np.ndarray) -> float:
    """``sum_ab T[a, b] D[pos a, pos b]`` (self-traffic included)."""
    return float((t * d[np.ix_(pos, pos)]).sum())


def improve(
    t: np.ndarray, d: np.ndarray, pos: np.ndarray, max_swaps: int = MAX_SWAPS
) -> tuple[np.ndarray, int]:
    """Best-improvement pairwise swaps of ``pos`` (module docstring); returns (pos, swaps)."""
    w = t + t.T
    np.fill_diagonal(w, 0.0)
    d_self = float(d[0, 0])
    pos = pos.copy()
    swaps = 0
    for swaps in range(max_swaps):
        dp = d[np.ix_(pos, pos)]
        x = w @ dp.T
        diag = np.diag(x)
        delta = x + x.T - diag[:, None] - diag[None, :] + 2 * w * (dp - d_self)
        np.fill_diagonal(delta, 0.0)
        k = int(np.argmin(delta))
        if delta.flat[k] >= -1e-9:
            return pos, swaps
        a, b = divmod(k, len(pos))
        pos[a], pos[b] = pos[b], pos[a]
    return pos, max_swaps


def place(graph: ir.Graph, ctx: Context) -> ir.Graph:
    """Return a copy of ``graph`` whose core map has mesh positions (module docstring)."""
    g = copy.deepcopy(graph)
    chip = ctx.chip
    cmap = core_map_of(g)
    n = len(cmap.cores)
    chips = max(1, math.ceil(n / chip.mesh.cores))
    slots = chips * chip.mesh.cores
    pops = list(dict.fromkeys(c.node for c in cmap.cores))
    calibrated = ctx.stats is not None and bool(ctx.stats.rates)
    rates = {}
    for p in pops:
        if isinstance(g.nodes[p], ir.LI):
            rates[p] = np.zeros(g.nodes[p].size)  # a leaky integrator never spikes
        elif calibrated and p in ctx.stats.rates:
            rates[p] = np.asarray(ctx.stats.rates[p], np.float64)
        else:
            rates[p] = np.full(g.nodes[p].size, DEFAULT_RATE)
    t = np.zeros((slots, slots))
    gates = gate_traffic(g, cmap)
    t[:n, :n] = traffic(g, cmap, rates) + gates
    d = slot_distances(chip, slots)
    pos = np.arange(slots)
    start = cost(t, d, pos)
    swaps = 0
    if slots <= MAX_SLOTS_SEARCHED:
        pos, swaps = improve(t, d, pos)
    cores = []
    for core in cmap.cores:
        c, local, x, y = slot_position(chip, int(pos[core.index]))
        cores.append(replace(core, chip=c, slot=local, x=x, y=y))
    g.metadata["core_map"] = CoreMap(cmap.chip, tuple(cores)).to_dict()
    ctx.note("place", "chips", chips)
    ctx.note("place", "rates", "calibration" if calibrated else f"assumed {DEFAULT_RATE}")
    ctx.note("place", "cost_pj_per_step_initial", start)
    ctx.note("place", "cost_pj_per_step", cost(t, d, pos))
    ctx.note("place", "swaps", swaps)
    ctx.note("place", "gate_messages_per_step", float(gates.sum()))
    return g
