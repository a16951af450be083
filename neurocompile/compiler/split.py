"""Pass ``split``: cut every population into core-sized contiguous pieces.

For each population the pass picks the smallest number of equal pieces (sizes differ by at
most one) such that every piece fits a core's compartments, fan-in axons and synaptic memory
(``resources.py`` defines each quantity). Then it checks the fan-out of every source piece
(one output axon per neuron and destination core) and splits a source further where needed.
A population that cannot fit even one neuron per core stops the build with the layer, the
limit, the excess and a fix.

On a chip with a limit on distinct compartment configurations per core (Loihi 1: 32), learned
per-neuron decays are clustered per core with 1-D k-means (Lloyd iterations from quantile
seeds, deterministic) on the decay tuples; the report gives the neurons changed and the
largest change of the voltage decay factor ``alpha``.

The result is ``graph.metadata["core_map"]`` (``coremap.CoreMap``, positions unset until the
``place`` pass).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from .. import ir
from ..errors import ChipLimitError
from . import fixed
from .chips import Chip
from .context import Context
from .coremap import Core, CoreMap
from .resources import Usage, gate_sources, gate_stored, piece_usage, stored

_FIX = {
    "compartments": "split the layer or use --chip loihi2",
    "fan_in_axons": "reduce the inputs of the layer (fewer source neurons, or a sparsity mask) "
    "or use --chip loihi2",
    "synaptic_memory_bits": "prune its weights (sparsity mask) or use --chip loihi2",
    "fan_out_axons": "reduce the layer's targets or use --chip loihi2",
}


def bounds(n: int, k: int) -> list[tuple[int, int]]:
    """``k`` contiguous pieces of ``n`` neurons, sizes differing by at most one (larger first)."""
    base, extra = divmod(n, k)
    out, start = [], 0
    for i in range(k):
        stop = start + base + (1 if i < extra else 0)
        out.append((start, stop))
        start = stop
    return out


def _excess(u: Usage, chip: Chip) -> tuple[str, int, int] | None:
    """The worst violated (quantity, used, limit) of a piece, or None."""
    worst = None
    for q in ("compartments", "fan_in_axons", "synaptic_memory_bits"):
        limit = getattr(chip.core, q)
        used = getattr(u, q)
        over = limit is not None and used > limit
        if over and (worst is None or used / limit > worst[1] / worst[2]):
            worst = (q, used, limit)
    return worst


def _split_population(
    graph: ir.Graph, pop: str, chip: Chip, k0: int, cache: dict[str, np.ndarray]
) -> list[tuple[int, int]]:
    n = graph.nodes[pop].size
    k = max(1, min(n, k0))
    while True:
        pieces = bounds(n, k)
        worst = None
        for a, b in pieces:
            e = _excess(piece_usage(graph, pop, a, b, chip, cache), chip)
            if e is not None and (worst is None or e[1] / e[2] > worst[1] / worst[2]):
                worst = e
        if worst is None:
            return pieces
        if k == n:
            q, used, limit = worst
            raise ChipLimitError(
                f"layer {pop!r}: {q.replace('_', ' ')} {used} exceeds {chip.title} core limit "
                f"{limit} by {used - limit} even with one neuron per core; {_FIX[q]}"
            )
        k = min(n, max(k + 1, math.ceil(k * worst[1] / worst[2])))


def fan_out(
    graph: ir.Graph, pieces: dict[str, list[tuple[int, int]]], cache: dict[str, np.ndarray]
) -> dict[tuple[str, int], int]:
    """Output axons of every source piece: (pop, piece index) -> count.

    Besides its synapses' targets, a piece of an LTC population sends the state values that
    the gates of its population's other pieces read (``resources.gate_sources``).
    """
    out: dict[tuple[str, int], int] = {}
    for pop, plist in pieces.items():
        gates = gate_stored(graph.nodes[pop])
        if gates is not None and len(plist) > 1:
            reads = [gate_sources(gates, a, b) for a, b in plist]  # per reading piece [3, n]
            for i, (a, b) in enumerate(plist):
                sent = sum(int(np.count_nonzero(r[:, a:b])) for j, r in enumerate(reads) if j != i)
                out[(pop, i)] = out.get((pop, i), 0) + sent
        for d in graph.successors(pop):
            if not isinstance(graph.nodes[d], ir.Dense):
                continue
            (dst,) = graph.successors(d)
            st = cache[d]  # [n_dst, n_src]
            reach = np.stack([st[a:b].any(axis=0) for a, b in pieces[dst]], axis=1)  # [n_src, k]
            per_neuron = reach.sum(axis=1)
            for i, (a, b) in enumerate(plist):
                out[(pop, i)] = out.get((pop, i), 0) + int(per_neuron[a:b].sum())
    return out


def _kmeans_1d_rows(values: np.ndarray, k: int) -> np.ndarray:
    """Lloyd k-means on rows of small integer vectors; returns integer centroids per row."""
    uniq, inverse = np.unique(values, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(uniq) <= k:
        return values
    order = np.lexsort(uniq.T[::-1])
    seeds = uniq[order[np.linspace(0, len(uniq) - 1, k).round().astype(int)]].astype(np.float64)
    pts = values.astype(np.float64)
    for _ in range(50):
        dist = ((pts[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
        lab = dist.argmin(axis=1)
        new = np.array(
            [pts[lab == j].mean(axis=0) if np.any(lab == j) else seeds[j] for j in range(k)]
        )
        if np.allclose(new, seeds):
            break
        seeds = new
    cent = np.round(seeds).astype(np.int64)
    dist = ((pts[:, None, :] - cent[None, :, :].astype(np.float64)) ** 2).sum(axis=2)
    return cent[dist.argmin(axis=1)]


def _cluster_configs(node: Any, pieces: list[tuple[int, int]], limit: int) -> dict[str, Any] | None:
    fields = [f for f in ("du", "dv", "drho") if getattr(node, f, None) is not None]
    if not fields:
        return None
    table = np.stack([np.asarray(getattr(node, f), np.int64) for f in fields], axis=1)
    new = table.copy()
    for a, b in pieces:
        new[a:b] = _kmeans_1d_rows(table[a:b], limit)
    changed = np.any(new != table, axis=1)
    if not changed.any():
        return None
    for j, f in enumerate(fields):
        setattr(node, f, np.clip(new[:, j], 0, fixed.DECAY_UNITY - 1))
    dv_old = table[:, fields.index("dv")]
    d_alpha = np.abs(new[:, fields.index("dv")] - dv_old) / fixed.DECAY_UNITY
    return {
        "neurons_changed": int(changed.sum()),
        "max_alpha_change": float(d_alpha.max()),
        "mean_alpha_change": float(d_alpha.mean()),
        "configs_per_core": limit,
    }


def split(graph: ir.Graph, ctx: Context) -> ir.Graph:
    """Return a copy of ``graph`` with ``metadata["core_map"]`` (module docstring)."""
    g = copy.deepcopy(graph)
    chip = ctx.chip
    pops = [n for n, v in g.nodes.items() if v.family == "neuron"]
    cache = {d: stored(node) for d, node in g.of_type(ir.Dense).items()}
    pieces: dict[str, list[tuple[int, int]]] = {}
    for pop in pops:
        pieces[pop] = _split_population(g, pop, chip, 1, cache)
    limit = chip.core.fan_out_axons
    for _ in range(64):  # fan-out: split sources further until every piece fits
        over = {key: used for key, used in fan_out(g, pieces, cache).items() if used > limit}
        if not over:
            break
        for pop in dict.fromkeys(p for p, _ in over):
            used = max(v for (p, _), v in over.items() if p == pop)
            k = len(pieces[pop])
            n = g.nodes[pop].size
            if k == n:
                raise ChipLimitError(
                    f"layer {pop!r}: fan-out {used} axons exceeds {chip.title} core limit {limit} "
                    f"by {used - limit} even with one neuron per core; {_FIX['fan_out_axons']}"
                )
            pieces[pop] = _split_population(
                g, pop, chip, max(k + 1, math.ceil(k * used / limit)), cache
            )
    clustered = {}
    if chip.core.compartment_configs is not None:
        for pop in pops:
            info = _cluster_configs(g.nodes[pop], pieces[pop], chip.core.compartment_configs)
            if info is not None:
                clustered[pop] = info
                ctx.warnings.append(
                    f"layer {pop!r}: {info['neurons_changed']} neurons' decays were clustered to "
                    f"{info['configs_per_core']} configurations per core (largest change of alpha "
                    f"{info['max_alpha_change']:.4f})"
                )
    cores = []
    for pop in pops:
        for a, b in pieces[pop]:
            cores.append(Core(index=len(cores), node=pop, start=a, stop=b))
    g.metadata["core_map"] = CoreMap(chip.name, tuple(cores)).to_dict()
    ctx.note("split", "cores_per_layer", {p: len(pieces[p]) for p in pops})
    ctx.note("split", "clustered", clustered)
    return g
