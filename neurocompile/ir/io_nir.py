r"""NIR interchange (the only module that imports ``nir``): export to and import from NIR graphs.

NIR (Neuromorphic Intermediate Representation, package ``nir`` 1.0) describes neurons in
continuous time (time constants in seconds); our IR is discrete (``alpha`` per step of ``dt``).

**Discretisation** (both directions; ``dt`` in seconds is an explicit argument):
forward Euler, the rule the NIR exporters' own simulators use (snnTorch ``Leaky``:
``beta = 1 - dt/tau`` with ``r = tau/dt``; Norse ``LIFBoxCell``/``LIBoxCell``:
``v += dt/tau ((v_leak - v) + r i)``)::

    alpha = 1 - dt/tau          gain = dt r / tau          bias = dt v_leak / tau
    CubaLIF / CubaLI current:   alpha_syn = 1 - dt/tau_syn, input factor dt w_in / tau_syn
                                (folded into the rows of the incoming Dense weights and bias)
    IF:                         alpha = 1, gain = dt r
    I (integrator):             LI with alpha = 1, gain = dt r (our "accumulator" readout)

``method="exp"`` uses ``alpha = exp(-dt/tau)``, ``gain = (1 - alpha) r``,
``bias = (1 - alpha) v_leak`` instead (the exact solution for an input held over one step).
NIR neurons reset to ``v_reset`` in the step of the spike; only ``v_reset = 0`` maps to our
``reset="zero"`` (others are rejected). The current of a CubaLIF is updated before the voltage
(snnTorch ``Synaptic``); Norse's ``LIFCell`` uses the previous step's current, so its CubaLIF
graphs import with snnTorch's timing. ``CubaLI`` becomes a ``LIF`` with an unreachable
threshold (``NO_SPIKE``); an Output fed by it reads its voltage.

**Delays.** NIR edges have no delay: tools simulate a feed-forward edge within the step
(snnTorch, Norse), and a recurrent cycle with the previous step's spikes. Our ``Dense`` always
delays one step. For a layered graph (every path from the input to the output crosses the same
number ``L`` of synapses, each cycle one synapse) the imported graph therefore computes the same
values ``L`` steps later: ``ours[t + L] == theirs[t]`` exactly when the synapses have no bias
(a bias acts from step 0 in our graph, before the delayed input arrives). ``L`` is stored in
``graph.metadata["nir"]["latency"]``; run ours on the input followed by ``L`` zero steps and
drop the first ``L`` outputs to compare. ``tests/ir/test_ir_nir_interop.py`` checks this
against the tools' own simulators: snnTorch ``RLeaky``/``Leaky``/``Synaptic`` networks exported
by snnTorch (spikes equal), Norse ``LIFBoxCell``/``LIBoxCell`` networks exported by Norse
(spikes equal, voltages to float rounding: Norse computes ``v + dt/tau (...)``), and our
recurrent LIF graph run by Norse's ``from_nir`` (spikes equal). snnTorch's zero reset must be
``reset_delay=False`` (its default delayed reset drops the next step's input, which NIR's LIF
does not describe); Norse 1.1.0's ``to_nir`` writes ``tau = dt / tau_mem_inv``, so call it
with ``dt=1.0`` to get time constants in seconds.

**Structure.** Our graph needs synapses between populations: an edge Input->neuron or
neuron->neuron gets an identity ``Dense`` (named ``"<src>-><dst>"``), an Affine feeding the
Output gets a pass-through ``LI`` (alpha 0, gain 1, named ``"<affine>.out"``), and an Affine with
several sources or targets is split into one ``Dense`` per pair (the bias on the first source).
Nested ``NIRGraph`` nodes are flattened (names joined with ``.``).

**Our extension.** ALIF and LTC-SN have no NIR node. On export every node carries its full
neurocompile record as JSON in ``node.metadata["neurocompile"]`` and the graph its metadata in
``graph.metadata["neurocompile"]``; ALIF is written as ``nir.LIF`` with threshold ``b0``, LTC as
``nir.LIF`` with the bias-only gate as its time constant (other tools see that approximation).
Our importer rebuilds nodes from the extension when present, so a round trip through NIR is
lossless.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError, NeurocompileError
from .graph import Graph
from .io_hdf5 import node_from_record, node_record
from .io_nodes import Input, Output
from .ltc import LTC
from .neuron import ALIF, LI, LIF
from .node import Node
from .synapse import Dense

EXT = "neurocompile"
METHODS = ("euler", "exp")
NO_SPIKE = 1e30  # threshold of a CubaLI imported as LIF: never reached
SUPPORTED = "Input, Output, Affine, Linear, LIF, CubaLIF, LI, CubaLI, IF, I, NIRGraph"


# --------------------------------------------------------------------------- discretisation
def _check(dt: float, method: str) -> None:
    if not dt or dt <= 0:
        raise NeurocompileError(
            f"NIR dt {dt!r} must be > 0 seconds; NIR is continuous time (snnTorch exports with "
            "dt = 1e-4, Norse with 1e-3)"
        )
    if method not in METHODS:
        raise NeurocompileError(f"NIR discretisation {method!r} is not one of {METHODS}")


def decay(tau: np.ndarray, dt: float, method: str, where: str) -> np.ndarray:
    """Per-step decay ``1 - dt/tau`` (euler) or ``exp(-dt/tau)`` (exp)."""
    tau = np.asarray(tau, dtype=np.float64)
    too_fast = np.any(tau < dt) if method == "euler" else np.any(tau <= 0)  # euler: alpha < 0
    if too_fast:
        raise NeurocompileError(
            f"NIR node {where}: time constant {float(tau.min())} s is below dt = {dt} s; "
            "give a smaller --dt"
        )
    return 1.0 - dt / tau if method == "euler" else np.exp(-dt / tau)


def time_constant(alpha: np.ndarray, dt: float, method: str) -> np.ndarray:
    """Inverse of :func:`decay` (``alpha = 0`` gives ``tau = dt`` with euler)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    if method == "euler":
        return dt / (1.0 - alpha)
    with np.errstate(divide="ignore"):
        return np.where(alpha > 0, -dt / np.log(np.maximum(alpha, 1e-300)), dt * 1e-6)


def _factor(alpha: np.ndarray, tau: np.ndarray, dt: float, method: str) -> np.ndarray:
    """Input factor per unit of ``r`` (``dt/tau`` or ``1 - alpha``)."""
    return dt / np.asarray(tau, dtype=np.float64) if method == "euler" else 1.0 - alpha


# --------------------------------------------------------------------------- export
def _record_json(node: Node) -> str:
    type_name, scalars, arrays = node_record(node)
    return json.dumps(
        {
            "type": type_name,
            "fields": scalars,
            "arrays": {k: {"dtype": str(v.dtype), "data": v.tolist()} for k, v in arrays.items()},
        }
    )


def _record_node(text: Any) -> Node:
    if isinstance(text, (bytes, np.bytes_)):
        text = text.decode()
    if isinstance(text, np.ndarray):
        text = text.item()
        text = text.decode() if isinstance(text, bytes) else text
    data = json.loads(str(text))
    arrays = {k: np.asarray(v["data"], dtype=v["dtype"]) for k, v in data["arrays"].items()}
    return node_from_record(data["type"], data["fields"], arrays)


def _lif_like(node: Any, dt: float, method: str) -> dict[str, np.ndarray]:
    tau = time_constant(node.alpha, dt, method)
    f = _factor(node.alpha, tau, dt, method)
    bias = np.zeros(node.size) if node.bias is None else node.bias
    return {"tau": tau, "r": node.gain / f, "v_leak": bias / f}


def _to_nir_node(name: str, node: Node, dt: float, method: str) -> Any:
    import nir

    meta = {EXT: _record_json(node)}
    if isinstance(node, Input):
        return nir.Input(input_type={"input": np.array([node.size])}, metadata=meta)
    if isinstance(node, Output):
        return nir.Output(output_type={"output": np.array([node.size])}, metadata=meta)
    if isinstance(node, Dense):
        w = node.effective_weight().astype(np.float64)
        if node.bias is None:
            return nir.Linear(weight=w, metadata=meta)
        return nir.Affine(weight=w, bias=node.bias, metadata=meta)
    if isinstance(node, LI):
        if np.all(node.alpha == 1.0) and (node.bias is None or not np.any(node.bias)):
            return nir.I(r=node.gain / dt, metadata=meta)  # no leak: NIR's integrator
        return nir.LI(**_lif_like(node, dt, method), metadata=meta)
    if isinstance(node, LIF):
        p = _lif_like(node, dt, method)
        if np.any(node.alpha_syn):
            tau_syn = time_constant(node.alpha_syn, dt, method)
            w_in = 1.0 / _factor(node.alpha_syn, tau_syn, dt, method)  # input enters c with 1
            return nir.CubaLIF(
                tau_syn=tau_syn,
                tau_mem=p["tau"],
                r=p["r"],
                v_leak=p["v_leak"],
                v_threshold=node.threshold,
                v_reset=np.zeros(node.size),
                w_in=w_in,
                metadata=meta,
            )
        return nir.LIF(**p, v_threshold=node.threshold, v_reset=np.zeros(node.size), metadata=meta)
    if isinstance(node, ALIF):
        p = _lif_like(node, dt, method)
        return nir.LIF(**p, v_threshold=node.b0, v_reset=np.zeros(node.size), metadata=meta)
    if isinstance(node, LTC):
        alpha = 1.0 / (1.0 + np.exp(-node.gate_m_bias))  # the gate with zero weights
        tau = time_constant(np.minimum(alpha, 1 - 1e-12), dt, method)
        return nir.LIF(
            tau=tau,
            r=(1 - alpha) / _factor(alpha, tau, dt, method),
            v_leak=np.zeros(node.size),
            v_threshold=node.b0,
            v_reset=np.zeros(node.size),
            metadata=meta,
        )
    raise NeurocompileError(
        f"node {name!r}: type {type(node).__name__} has no NIR export; "
        "supported: Input, Output, Dense, LIF, LI, ALIF, LTC"
    )


def to_nir(graph: Graph, dt: float | None = None, method: str = "euler") -> Any:
    """Our graph as a ``nir.NIRGraph`` (``dt`` in seconds; default the graph's own ``dt``)."""
    import nir

    graph.verify()
    if dt is None:
        dts = {float(getattr(n, "dt", 1.0)) for n in graph.nodes.values() if hasattr(n, "dt")}
        dt = (dts.pop() if len(dts) == 1 else float(graph.metadata.get("dt", 1.0))) / 1000.0
    _check(dt, method)
    nodes = {name: _to_nir_node(name, node, dt, method) for name, node in graph.nodes.items()}
    meta = {
        EXT: json.dumps(
            {"metadata": graph.metadata, "dt": dt, "method": method, "order": list(graph.nodes)}
        )
    }
    return nir.NIRGraph(nodes=nodes, edges=list(graph.edges), metadata=meta, type_check=False)


def save_nir(
    graph: Graph, path: str | Path, dt: float | None = None, method: str = "euler"
) -> Path:
    """Write ``graph`` as a NIR HDF5 file, atomically (temp file + rename)."""
    import os
    import tempfile

    import nir

    nir_graph = to_nir(graph, dt, method)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        nir.write(tmp, nir_graph)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- import
def _flatten(nir_graph: Any, prefix: str = "") -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Nodes and edges with nested NIRGraphs inlined (their Input/Output become pass-through)."""
    import nir

    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    entry: dict[str, list[str]] = {}  # subgraph name -> its nodes fed by its Input
    exit_: dict[str, list[str]] = {}  # subgraph name -> its nodes feeding its Output
    for name, node in nir_graph.nodes.items():
        full = f"{prefix}{name}".replace("/", ".")
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, f"{full}.")
            ins = [n for n, v in sub_nodes.items() if isinstance(v, nir.Input)]
            outs = [n for n, v in sub_nodes.items() if isinstance(v, nir.Output)]
            entry[full] = [d for s, d in sub_edges if s in ins]
            exit_[full] = [s for s, d in sub_edges if d in outs]
            nodes.update({k: v for k, v in sub_nodes.items() if k not in ins + outs})
            edges += [(s, d) for s, d in sub_edges if s not in ins and d not in outs]
        else:
            nodes[full] = node
    for s, d in nir_graph.edges:
        s, d = f"{prefix}{s}".replace("/", "."), f"{prefix}{d}".replace("/", ".")
        for a in exit_.get(s, [s]):
            for b in entry.get(d, [d]):
                edges.append((a, b))
    return nodes, edges


def _arr(node: Any, field: str) -> np.ndarray:
    return np.asarray(getattr(node, field), dtype=np.float64).reshape(-1)


def _size(shape: Any) -> int:
    return int(np.prod(np.asarray(shape).reshape(-1)))


def _ext(node: Any) -> Node | None:
    meta = getattr(node, "metadata", None) or {}
    if EXT in meta:
        try:
            return _record_node(meta[EXT])
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"NIR node: bad neurocompile extension metadata ({exc})") from None
    return None


def _population(name: str, node: Any, dt: float, method: str) -> tuple[Node, np.ndarray | None]:
    """Our population for a NIR neuron, and the CubaLIF input factor (or None)."""
    import nir

    kind = type(node).__name__
    dt_ms = dt * 1000.0
    where = f"{name!r} ({kind})"

    def reset_ok() -> None:
        if np.any(_arr(node, "v_reset") != 0):
            raise NeurocompileError(
                f"NIR node {where}: v_reset != 0 is not supported (our neurons reset to 0)"
            )

    def base(tau_field: str, bias: bool = True) -> dict[str, np.ndarray | None]:
        tau = _arr(node, tau_field)
        alpha = decay(tau, dt, method, where)
        f = _factor(alpha, tau, dt, method)
        v_leak = _arr(node, "v_leak") if bias else np.zeros_like(tau)
        b = f * v_leak
        return {"alpha": alpha, "gain": f * _arr(node, "r"), "bias": b if np.any(b) else None}

    if isinstance(node, nir.LIF):
        reset_ok()
        return LIF(
            size=_arr(node, "tau").size,
            **base("tau"),
            threshold=_arr(node, "v_threshold"),
            reset="zero",
            dt=dt_ms,
        ), None
    if isinstance(node, nir.LI):
        return LI(size=_arr(node, "tau").size, **base("tau"), dt=dt_ms), None
    if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
        tau_syn = _arr(node, "tau_syn")
        alpha_syn = decay(tau_syn, dt, method, where)
        k = _factor(alpha_syn, tau_syn, dt, method) * _arr(node, "w_in")
        p = base("tau_mem")
        n = tau_syn.size
        if isinstance(node, nir.CubaLIF):
            reset_ok()
            threshold = _arr(node, "v_threshold")
        else:
            threshold = np.full(n, NO_SPIKE)
        return LIF(size=n, **p, threshold=threshold, alpha_syn=alpha_syn, reset="zero", dt=dt_ms), k
    if isinstance(node, nir.I):
        r = _arr(node, "r")
        return LI(size=r.size, alpha=np.ones_like(r), gain=dt * r, dt=dt_ms), None
    if isinstance(node, nir.IF):
        reset_ok()
        r = _arr(node, "r")
        return LIF(
            size=r.size,
            alpha=np.ones_like(r),
            gain=dt * r,
            threshold=_arr(node, "v_threshold"),
            reset="zero",
            dt=dt_ms,
        ), None
    raise NeurocompileError(f"NIR node {where} is not supported; supported: {SUPPORTED}")


INPUT_KINDS = ("spikes", "current")


def from_nir(nir_graph: Any, dt: float, method: str = "euler", input_kind: str = "spikes") -> Graph:
    """Import a ``nir.NIRGraph`` made by any tool (see the module docstring for the rules).

    NIR does not say whether an input carries spikes or real values; ``input_kind`` does
    (``"spikes"``: 0/1 events, what a chip sends cheapest; ``"current"``: real values, sent as
    graded payloads). ``run`` refuses non-0/1 data on a spike input rather than alter it.
    """
    import nir

    if input_kind not in INPUT_KINDS:
        raise NeurocompileError(f"input kind {input_kind!r} is not one of {INPUT_KINDS}")

    meta_ext = (getattr(nir_graph, "metadata", None) or {}).get(EXT)
    graph_meta: dict[str, Any] = {}
    order: list[str] = []
    if meta_ext is not None:
        text = meta_ext.decode() if isinstance(meta_ext, (bytes, np.bytes_)) else str(meta_ext)
        try:
            ext = json.loads(text)
            graph_meta, order = dict(ext.get("metadata", {})), list(ext.get("order", []))
        except (json.JSONDecodeError, AttributeError, TypeError) as exc:
            raise ModelFileError(
                f"NIR graph: bad neurocompile extension metadata ({exc})"
            ) from None
    _check(dt, method)
    raw, raw_edges = _flatten(nir_graph)
    ours: dict[str, Node] = {}
    factors: dict[str, np.ndarray] = {}
    for name, node in raw.items():
        ext = _ext(node)
        if ext is not None:
            ours[name] = ext
        elif isinstance(node, nir.Input):
            ours[name] = Input(size=_size(node.input_type["input"]), kind=input_kind)
        elif isinstance(node, nir.Output):
            ours[name] = Output(size=_size(node.output_type["output"]), decode="per_step")
        elif isinstance(node, (nir.Affine, nir.Linear)):
            w = np.asarray(node.weight, dtype=np.float64)
            if w.ndim != 2:
                raise NeurocompileError(f"NIR node {name!r}: weight must be 2-D, got {w.shape}")
            b = np.asarray(node.bias, dtype=np.float64) if isinstance(node, nir.Affine) else None
            ours[name] = Dense(weight=w, bias=b if b is not None and np.any(b) else None)
        else:
            ours[name], k = _population(name, node, dt, method)
            if k is not None and not np.all(k == 1.0):
                factors[name] = k
    if sorted(order) == sorted(ours):  # our own file: keep our node order
        ours = {n: ours[n] for n in order}
    graph = _restructure(ours, raw_edges)
    for pop, k in factors.items():
        for d in graph.predecessors(pop):
            dense = graph.nodes[d]
            dense.weight = dense.weight * k[:, None]
            if dense.bias is not None:
                dense.bias = dense.bias * k
    for name, node in graph.of_type(Output).items():
        (pred,) = graph.predecessors(name) or [None]
        if isinstance(raw.get(pred), nir.CubaLI) and node.value == "auto":
            node.value = "voltage"  # a CubaLI is read by its voltage
    graph.metadata = graph_meta
    graph.metadata["nir"] = {
        "dt": dt,
        "method": method,
        "latency": latency(graph),
        "nir_version": getattr(nir, "version", ""),
    }
    try:
        graph.verify()
    except ValueError as exc:
        raise NeurocompileError(f"NIR graph cannot be imported: {exc}") from None
    return graph


def _restructure(nodes: dict[str, Node], edges: list[tuple[str, str]]) -> Graph:
    """Insert identity synapses / pass-through readouts and split shared Affines (see top).

    New edges are emitted in the order of the NIR edges they come from (the order in which
    synapses into one population are summed).
    """
    out_nodes: dict[str, Node] = {n: v for n, v in nodes.items() if not isinstance(v, Dense)}
    into: dict[tuple[str, str], list[tuple[str, str]]] = {}  # NIR edge -> our edges

    def is_pop(n: str) -> bool:
        return nodes[n].family == "neuron"

    def emit(key: tuple[str, str], *pairs: tuple[str, str]) -> None:
        into.setdefault(key, []).extend(pairs)

    for name, node in nodes.items():
        if not isinstance(node, Dense):
            continue
        srcs = [s for s, d in edges if d == name]
        dsts = [d for s, d in edges if s == name]
        for s in srcs:
            if isinstance(nodes[s], Dense):
                raise NeurocompileError(
                    f"NIR edge {s!r} -> {name!r}: two synapses in a row are not supported; "
                    "merge the Affine layers"
                )
        pairs = [(s, d) for d in dsts for s in srcs]
        for i, (s, d) in enumerate(pairs):
            first = srcs.index(s) == 0
            part = (
                node
                if len(pairs) == 1
                else dataclasses.replace(
                    node, weight=node.weight.copy(), bias=node.bias if first else None
                )
            )
            dname = name if len(pairs) == 1 else f"{name}.{i}"
            out_nodes[dname] = part
            emit((s, name), (s, dname))
            if isinstance(nodes[d], Output):
                li = f"{name}.out"
                out_nodes[li] = LI(size=node.out_size, alpha=0.0, gain=1.0)
                emit((name, d), (dname, li), (li, d))
            else:
                emit((name, d), (dname, d))
    for s, d in edges:
        if isinstance(nodes[s], Dense) or isinstance(nodes[d], Dense):
            continue
        if (isinstance(nodes[s], Input) or is_pop(s)) and is_pop(d):
            ident = f"{s}->{d}"
            out_nodes[ident] = Dense(weight=np.eye(nodes[d].in_size, nodes[s].out_size))
            emit((s, d), (s, ident), (ident, d))
        elif is_pop(s) and isinstance(nodes[d], Output):
            emit((s, d), (s, d))
        else:
            raise NeurocompileError(
                f"NIR edge {s!r} -> {d!r} ({type(nodes[s]).__name__} -> "
                f"{type(nodes[d]).__name__}) cannot be imported"
            )
    out_edges: list[tuple[str, str]] = []
    for e in edges:
        for new in into.get(tuple(e), []):
            if new not in out_edges:
                out_edges.append(new)
    order = [n for n in nodes if n in out_nodes] + [n for n in out_nodes if n not in nodes]
    return Graph(nodes={n: out_nodes[n] for n in order}, edges=out_edges)


def latency(graph: Graph) -> int | None:
    """Synapses on every feed-forward Input -> Output path (edges that close a cycle are
    skipped), or ``None`` if the paths have different lengths."""
    inputs = [n for n, v in graph.nodes.items() if isinstance(v, Input)]
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:  # depth-first post-order from the inputs
        state[n] = 1
        for d in graph.successors(n):
            if d not in state:
                visit(d)
        order.append(n)

    for n in inputs:
        if n not in state:
            visit(n)
    pos = {n: i for i, n in enumerate(reversed(order))}  # a topological order of the DAG part
    depth: dict[str, set[int]] = {n: {0} for n in inputs}
    for n in reversed(order):
        for d in graph.successors(n):
            if pos[d] <= pos[n] or n not in depth:  # closes a cycle
                continue
            step = 1 if isinstance(graph.nodes[d], Dense) else 0
            depth.setdefault(d, set()).update(k + step for k in depth[n])
    outs = [n for n, v in graph.nodes.items() if isinstance(v, Output)]
    found = depth.get(outs[0], set()) if len(outs) == 1 else set()
    return next(iter(found)) if len(found) == 1 else None


def stored_dt(path: str | Path) -> float | None:
    """The ``dt`` recorded by :func:`save_nir` in a NIR file, or None (other tools' files)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f["node/metadata"][EXT][()]
        text = text.decode() if isinstance(text, bytes) else str(text)
        dt = json.loads(text).get("dt")
        return float(dt) if dt else None
    except (OSError, KeyError, ValueError, TypeError, AttributeError):
        return None


def load_nir(
    path: str | Path, dt: float, method: str = "euler", input_kind: str = "spikes"
) -> Graph:
    """Read a NIR HDF5 file (any tool's) and import it; bad files raise ``ModelFileError``."""
    import nir

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        nir_graph = nir.read(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure to parse is a bad file for the user
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise ModelFileError(f"{path}: not a readable NIR file ({first})") from None
    try:
        return from_nir(nir_graph, dt, method, input_kind=input_kind)
    except NeurocompileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
