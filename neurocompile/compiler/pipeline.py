"""The compiler pipeline: one list of named passes, the IR verifier between them.

Each pass is a function ``(graph, ctx) -> graph`` that returns a new graph (the input is not
modified). ``compile_graph`` runs them in order, verifies the graph after every pass, and
prefixes a user error with the pass that raised it, e.g.
``split pass (after quantize): layer 'rec1': fan in axons 5120 exceeds ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..errors import ModelFileError, NeurocompileError
from .chips import Chip, get_chip
from .context import Context, Stats
from .fold import fold_gain_bias
from .place import place
from .quantize import quantize
from .split import split
from .validate import validate

Pass = Callable[[ir.Graph, Context], ir.Graph]

PIPELINE: list[tuple[str, Pass]] = [
    ("fold", fold_gain_bias),  # gain (1 - alpha) and synapse biases into weights and bias
    ("quantize", quantize),  # fixed-point weights, decays, thresholds, scales
    ("split", split),  # populations -> core-sized pieces (core map)
    ("place", place),  # cores -> mesh positions, minimising hop-weighted traffic
    ("validate", validate),  # every chip limit; per-core utilization
]


def _verify(graph: ir.Graph, after: str | None) -> None:
    try:
        graph.verify()
    except ValueError as exc:
        if after is None:  # the user's graph
            raise ModelFileError(f"the input graph is invalid: {exc}") from None
        raise RuntimeError(f"graph invalid after pass {after!r}: {exc}") from exc


def compile_graph(
    graph: ir.Graph,
    chip: str | Chip = "loihi2",
    stats: Stats | None = None,
    passes: list[tuple[str, Pass]] | None = None,
    weight_bits: int = 8,
    readout_bits: int | None = None,
) -> tuple[ir.Graph, Context]:
    """Run ``passes`` (default :data:`PIPELINE`) on ``graph`` for ``chip``.

    ``weight_bits``: 8 (one Lava synapse per connection) or 16 (a second synapse carries the
    rounding residual; ``quantize``); ``readout_bits`` the same for the synapses into a
    non-spiking readout only (default: ``weight_bits``). Returns the mapped graph and the
    context holding the per-pass report and warnings.
    """
    readout_bits = weight_bits if readout_bits is None else readout_bits
    for what, bits in (("weight", weight_bits), ("readout weight", readout_bits)):
        if bits not in (8, 16):
            raise NeurocompileError(f"{what} bits {bits} must be 8 or 16")
    options = {"weight_bits": int(weight_bits), "readout_bits": int(readout_bits)}
    ctx = Context(chip=get_chip(chip), stats=stats, options=options)
    _verify(graph, None)
    previous = None
    for name, fn in passes if passes is not None else PIPELINE:
        try:
            graph = fn(graph, ctx)
        except NeurocompileError as exc:
            where = f"{name} pass" + (f" (after {previous})" if previous else "")
            raise type(exc)(f"{where}: {exc}") from None
        _verify(graph, name)
        previous = name
    graph.metadata["chip"] = ctx.chip.name
    graph.metadata["compiler"] = {
        "passes": [n for n, _ in (passes or PIPELINE)],
        "weight_bits": int(weight_bits),
        "readout_bits": int(readout_bits),
    }
    return graph, ctx


def summary(ctx: Context) -> dict[str, Any]:
    """The context's report and warnings as one JSON-able dict."""
    return {"chip": ctx.chip.name, "passes": ctx.report, "warnings": list(ctx.warnings)}
