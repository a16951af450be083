"""Calibration: float statistics before quantization, float vs fixed-point accuracy after.

``collect_stats`` runs the float graph (the ``torch`` reference target) on calibration inputs
and records what the passes can use: the largest voltage of each population (tighter state
scales, ``quantize``), per-neuron firing rates (traffic for ``place``) and the input range
(payload scale). ``compare`` runs the float graph and the compiled graph (cycle simulator) on
the same data and reports both accuracies and the drop in percentage points; a drop above
``max_drop`` (default 1 point) becomes a warning in the build report. A regression model (its
``Output`` has 0 classes) is scored by mean squared error instead: both MSEs and the relative
increase, and the mean squared difference between the two outputs (also without labels); no
threshold (``max_drop`` is in accuracy points).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import ir
from ..errors import NeurocompileError
from ..inputs import check_inputs, load_array
from .context import Stats

DEFAULT_MAX_DROP = 1.0  # percentage points
DEFAULT_SAMPLES = 256


def load_data(
    spec: str, graph: ir.Graph, limit: int | None = DEFAULT_SAMPLES
) -> tuple[np.ndarray, np.ndarray | None]:
    """Calibration inputs and labels from ``spec``.

    ``spec`` is a ``.npz`` file with arrays ``x`` and optionally ``y``; a ``.npy`` file of inputs
    ``[N, T, n]``; or ``dataset[:split]``: the model's own dataset (``graph.metadata["dataset"]``)
    and split (default ``val``). Files are loaded without pickle. At most ``limit`` samples.
    """
    path = Path(spec)
    if spec.startswith("dataset"):
        split = spec.split(":", 1)[1] if ":" in spec else "val"
        cfg = graph.metadata.get("dataset") or {}
        if not cfg:
            raise NeurocompileError(
                f"--calibrate {spec}: the model names no dataset; pass a .npz file with x and y"
            )
        from ..data import load_encoded

        x, y = load_encoded(cfg, split)
    elif path.suffix == ".npz" and path.is_file():
        try:
            archive = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise NeurocompileError(
                f"--calibrate {spec}: not a readable .npz archive ({exc})"
            ) from None
        with archive as f:
            if "x" not in f:
                raise NeurocompileError(
                    f"--calibrate {spec}: the .npz file has no array 'x' (found {sorted(f.files)})"
                )
            x = f["x"]
            y = f.get("y", None)
    elif path.suffix == ".npy" and path.is_file():
        x, y = load_array(path, "--calibrate"), None
    else:
        raise NeurocompileError(
            f"--calibrate {spec}: not a .npz/.npy file or 'dataset[:split]'; pass one of those"
        )
    x = check_inputs(graph, x, f"--calibrate {spec}").astype(np.float32)
    if limit is not None:
        x = x[:limit]
        y = None if y is None else np.asarray(y)[:limit]
    return x, y


def collect_stats(graph: ir.Graph, x: np.ndarray) -> Stats:
    """Float statistics of ``graph`` on inputs ``x [N, T, n]`` (module docstring)."""
    import torch

    from ..backend import get_backend

    exe = get_backend("torch").compile(graph, dtype="float64")
    _, trace = exe.run_tensors(torch.as_tensor(np.asarray(x, np.float64)))
    stats = Stats(input_max=float(np.abs(x).max()) if x.size else None)
    stats.input_binary = bool(np.all((x == 0) | (x == 1)))
    for name, seq in trace.out.items():
        node = graph.nodes[name]
        v = trace.voltage.get(name)
        if v is not None:
            stats.v_max[name] = float(v.abs().max())
        if not isinstance(node, ir.LI):
            stats.rates[name] = seq.double().mean(dim=(0, 1)).numpy()
    return stats


@dataclass
class Comparison:
    float_accuracy: float | None  # percent
    fixed_accuracy: float | None
    agreement: float | None  # percent of samples with the same decision (None: regression)
    samples: int
    max_drop: float
    float_mse: float | None = None  # regression models only
    fixed_mse: float | None = None
    diff_mse: float | None = None  # regression: mean squared float - fixed point difference

    @property
    def drop(self) -> float | None:
        if self.float_accuracy is None or self.fixed_accuracy is None:
            return None
        return self.float_accuracy - self.fixed_accuracy

    @property
    def warning(self) -> str | None:
        d = self.drop
        if d is not None and d > self.max_drop:
            return (
                f"fixed-point accuracy {self.fixed_accuracy:.2f}% is {d:.2f} points below float "
                f"{self.float_accuracy:.2f}% (threshold {self.max_drop:g}); check the "
                "quantization report for saturated layers"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "float_accuracy": self.float_accuracy,
            "fixed_accuracy": self.fixed_accuracy,
            "drop": self.drop,
            "agreement": self.agreement,
            "samples": self.samples,
            "max_drop": self.max_drop,
            "float_mse": self.float_mse,
            "fixed_mse": self.fixed_mse,
            "diff_mse": self.diff_mse,
        }


def _accuracy(pred: np.ndarray, y: np.ndarray | None) -> float | None:
    if y is None:
        return None
    y = np.asarray(y)
    if pred.shape != y.shape:
        return None
    mask = y != -1  # per-step padding (neurocompile.nn.decode.IGNORE)
    return float(100.0 * np.mean(pred[mask] == y[mask])) if mask.any() else None


def _mse(pred: np.ndarray, y: np.ndarray | None) -> float | None:
    if y is None or pred.shape != np.shape(y):
        return None
    return float(np.mean((np.asarray(pred, np.float64) - np.asarray(y, np.float64)) ** 2))


def is_regression(graph: ir.Graph) -> bool:
    """True when the graph's output decodes to values (``Output`` with 0 classes)."""
    return any(isinstance(n, ir.Output) and int(n.classes) == 0 for n in graph.nodes.values())


def compare(
    float_graph: ir.Graph,
    fixed_graph: ir.Graph,
    x: np.ndarray,
    y: np.ndarray | None,
    max_drop: float = DEFAULT_MAX_DROP,
    batch: int = 64,
) -> Comparison:
    """Float and fixed-point decisions on the same data (module docstring)."""
    from ..backend import get_backend

    f_exe = get_backend("torch").compile(float_graph)
    q_exe = get_backend("loihi-sim").compile(fixed_graph, engine="cycle")
    fp, qp = [], []
    for i in range(0, len(x), batch):
        fp.append(f_exe.run(x[i : i + batch]).predictions)
        qp.append(q_exe.run(x[i : i + batch]).predictions)
    f_pred, q_pred = np.concatenate(fp), np.concatenate(qp)
    if is_regression(float_graph):
        return Comparison(
            float_accuracy=None,
            fixed_accuracy=None,
            agreement=None,
            samples=len(x),
            max_drop=float(max_drop),
            float_mse=_mse(f_pred, y),
            fixed_mse=_mse(q_pred, y),
            diff_mse=_mse(q_pred, f_pred),
        )
    return Comparison(
        float_accuracy=_accuracy(f_pred, y),
        fixed_accuracy=_accuracy(q_pred, y),
        agreement=float(100.0 * np.mean(f_pred == q_pred)),
        samples=len(x),
        max_drop=float(max_drop),
    )
