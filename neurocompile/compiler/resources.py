"""What one core piece of a population uses, under the chip's per-core limits.

Definitions shared by ``split`` (to size pieces) and ``validate`` (to check them):

* **compartments**: neurons on the core; an ALIF neuron takes 2 on a chip without programmable
  neurons (threshold adaptation through an auxiliary compartment) [ASSUME];
* **fan-in axons**: for every synapse into the population, the source neurons (or input
  channels) with at least one stored synapse (nonzero weight mantissa) into the piece;
* **synaptic memory** in bits, per synapse into the population: a matrix without a mask is
  stored densely, ``rows x fan_in_axons x num_weight_bits``; a masked (sparse) one costs
  ``nonzero x (num_weight_bits + index_bits)`` with ``index_bits = ceil(log2(compartments
  per core))``; the cheaper of the two formats is used [ASSUME: a simplified model of Loihi's
  dense and sparse synapse encodings];
* **configs**: distinct decay tuples ``(du, dv)`` (ALIF: ``(du, dv, drho)``) among the piece's
  neurons (Loihi 1 compartment profiles);
* **fan-out axons** (per source piece): one output axon per (neuron, destination core) pair
  with at least one stored synapse.

An **LTC** population (thesis eq. 4.8a-b) also stores its two gate matrices, ``[M_x | M_v]``
and ``[A_x | A_eta]``, each ``[n, 2n]``, on the cores of its neurons: a piece of ``rows``
neurons stores ``rows x (columns with a stored gate weight) x GATE_WEIGHT_BITS`` bits per gate
(dense: the gates read every column every step). The gates of a piece read the input current
``i``, the voltage ``v`` and the threshold trace ``eta`` of every neuron their columns name; each
such state value of a neuron on *another* piece arrives as a graded message, and takes one
fan-in axon of the piece (:func:`gate_sources`) and one fan-out axon of the sending piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import ir
from . import fixed
from .chips import Chip

QUANTITIES = (
    "compartments",
    "fan_in_axons",
    "fan_out_axons",
    "synaptic_memory_bits",
    "compartment_configs",
)


@dataclass(frozen=True)
class Usage:
    compartments: int
    fan_in_axons: int
    synaptic_memory_bits: int
    compartment_configs: int
    fan_out_axons: int = 0


def stored(dense: ir.Dense) -> np.ndarray:
    """Boolean ``[out, in]``: synapses a core stores (nonzero mantissa, else nonzero weight)."""
    w = dense.weight_mant if dense.weight_mant is not None else dense.effective_weight()
    return np.asarray(w) != 0


def gate_stored(node: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """An LTC node's stored gate weights ``([n, 2n] membrane, [n, 2n] threshold)``, or None.

    Nonzero mantissas once quantized, else nonzero float weights.
    """
    if not isinstance(node, ir.LTC):
        return None
    m = node.gate_m_mant if node.gate_m_mant is not None else node.gate_m_weight
    a = node.gate_adp_mant if node.gate_adp_mant is not None else node.gate_adp_weight
    return np.asarray(m) != 0, np.asarray(a) != 0


def gate_sources(gates: tuple[np.ndarray, np.ndarray], start: int, stop: int) -> np.ndarray:
    """Boolean ``[3, n]``: which state values ``(i, v, eta)`` of each neuron the gates of
    neurons ``[start, stop)`` read (a column with a stored weight in one of their rows)."""
    m, a = (g[start:stop].any(axis=0) for g in gates)
    n = m.shape[0] // 2
    return np.stack([m[:n] | a[:n], m[n:], a[n:]])


def gate_weights(node: Any) -> int:
    """Stored gate weights of a node (0 for a node without gates)."""
    gates = gate_stored(node)
    return 0 if gates is None else int(sum(np.count_nonzero(g) for g in gates))


def compartments_per_neuron(node: Any, chip: Chip) -> int:
    return 2 if isinstance(node, ir.ALIF) and not chip.supports_programmable_neurons else 1


def decay_configs(node: Any) -> np.ndarray:
    """``[n, k]`` per-neuron decay tuple (empty columns for an unquantized node)."""
    cols = [getattr(node, f, None) for f in ("du", "dv", "drho")]
    cols = [np.asarray(c, np.int64) for c in cols if c is not None]
    if not cols:
        return np.zeros((node.size, 0), np.int64)
    return np.stack(cols, axis=1)


def piece_usage(
    graph: ir.Graph,
    pop: str,
    start: int,
    stop: int,
    chip: Chip,
    stored_cache: dict[str, np.ndarray] | None = None,
) -> Usage:
    """Resources used by neurons ``[start, stop)`` of ``pop`` on one core (module docstring)."""
    node = graph.nodes[pop]
    rows = stop - start
    fan_in = 0
    memory = 0
    index_bits = max(1, math.ceil(math.log2(chip.core.compartments)))
    for d in graph.predecessors(pop):
        dense: ir.Dense = graph.nodes[d]
        st = stored_cache[d] if stored_cache is not None and d in stored_cache else stored(dense)
        part = st[start:stop]
        axons = int(np.count_nonzero(part.any(axis=0)))
        bits = int(dense.num_weight_bits or chip.bits.weight_mant)
        dense_bits = rows * axons * bits
        sparse_bits = int(np.count_nonzero(part)) * (bits + index_bits)
        fan_in += axons
        memory += dense_bits if dense.mask is None else min(dense_bits, sparse_bits)
    gates = gate_stored(node)
    if gates is not None:
        for g in gates:
            memory += (
                rows * int(np.count_nonzero(g[start:stop].any(axis=0))) * fixed.GATE_WEIGHT_BITS
            )
        outside = gate_sources(gates, start, stop)
        outside[:, start:stop] = False
        fan_in += int(np.count_nonzero(outside))
    cfg = decay_configs(node)[start:stop]
    configs = len({tuple(r) for r in cfg.tolist()}) if cfg.shape[1] else 1
    return Usage(rows * compartments_per_neuron(node, chip), fan_in, memory, configs)


def limit_of(chip: Chip, quantity: str) -> int | None:
    return getattr(chip.core, quantity)
