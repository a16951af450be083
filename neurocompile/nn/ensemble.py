"""Several one-layer SRNNs as one network whose output is the mean of theirs.

``average_models([m1, ..., mk])`` places the members' hidden populations side by side in one
layer of ``sum n_i`` neurons: feed-forward weights stacked, recurrent weights and LTC gate
weights block-diagonal (a member's neurons see only each other), per-neuron parameters
concatenated. The integrator readout is linear, so the mean of the members' readouts is one
readout with the concatenated weights divided by ``k``, the mean bias and the mean initial
voltage: the merged network computes ``(y_1 + ... + y_k) / k`` exactly when the members'
readout time constants are equal. When they differ the merged readout takes their mean
(``readout_tau="mean"``) and the output differs a little from the mean of the members'; the
merged network is what gets evaluated and deployed, so measure it, not the members.

Why: a chaotic spiking network's error is partly noise that any small change redraws; two
independently trained networks have largely independent noise, and their mean has less
(``trained/add_ltc_fptt/README.md``, "Averaging"). The merged network costs the members'
neurons, synapses and energy together.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import NeurocompileError
from .model import SRNN
from .spec import SRNNSpec

_STACKED = ("ff.weight",)  # [n, in]: rows stacked
_BLOCK = ("rec.weight",)  # [n, n]: block-diagonal
_GATES = ("cell.m_weight", "cell.adp_weight")  # [n, 2n] on [input, state]: two blocks


def _block_diag_halves(mats: list[torch.Tensor]) -> torch.Tensor:
    """``[n_i, 2 n_i]`` gate weights on ``[i, state]`` -> ``[N, 2N]``: each half block-diagonal."""
    sizes = [m.shape[0] for m in mats]
    left = torch.block_diag(*[m[:, :n] for m, n in zip(mats, sizes)])
    right = torch.block_diag(*[m[:, n:] for m, n in zip(mats, sizes)])
    return torch.cat([left, right], dim=1)


def _check(models: Sequence[SRNN]) -> None:
    if len(models) < 2:
        raise NeurocompileError("average_models: give at least two models to merge")
    first = models[0].spec
    if len(first.layers) != 1 or first.bidirectional:
        raise NeurocompileError(
            "average_models: only one-layer, one-directional SRNNs can be merged; "
            f"this one has {len(first.layers)} layer(s), bidirectional={first.bidirectional}"
        )
    if first.readout != "integrator":
        raise NeurocompileError(
            f"average_models: the readout must be the linear 'integrator', not {first.readout!r}"
        )
    for i, m in enumerate(models[1:], start=1):
        a, b = first.to_dict(), m.spec.to_dict()
        a["layers"][0].pop("size"), b["layers"][0].pop("size")
        a.pop("seed"), b.pop("seed")
        if a != b:
            diff = sorted(k for k in a if a[k] != b.get(k))
            raise NeurocompileError(
                f"average_models: model {i} differs from model 0 in {diff}; the members must "
                "share every setting but the layer size and the seed"
            )


def average_models(models: Sequence[SRNN], readout_tau: str = "equal") -> SRNN:
    """One SRNN computing the mean of ``models``' outputs (module docstring).

    ``readout_tau``: ``"equal"`` refuses members whose readout time constants differ;
    ``"mean"`` gives the merged readout their mean.
    """
    _check(models)
    states = [m.state_dict() for m in models]
    k = len(models)
    taus = torch.stack([s["readout.tau_m"] for s in states])
    if readout_tau == "equal" and not torch.all(taus == taus[0]):
        raise NeurocompileError(
            f"average_models: the readout time constants differ ({taus.flatten().tolist()}); "
            "pass readout_tau='mean' to give the merged readout their mean"
        )
    if readout_tau not in ("equal", "mean"):
        raise NeurocompileError(f"average_models: readout_tau {readout_tau!r}: 'equal' or 'mean'")
    merged: dict[str, torch.Tensor] = {}
    for name in states[0]:
        parts = [s[name] for s in states]
        if name.startswith("layers.0."):
            key = name[len("layers.0.") :]
            if key in _STACKED:
                merged[name] = torch.cat(parts, dim=0)
            elif key in _BLOCK:
                merged[name] = torch.block_diag(*parts)
            elif key in _GATES:
                merged[name] = _block_diag_halves(parts)
            elif parts[0].dim() == 1:  # per neuron: biases, time constants, initial voltages
                merged[name] = torch.cat(parts)
            else:
                raise NeurocompileError(
                    f"average_models: cannot merge layer parameter {name!r} "
                    f"of shape {tuple(parts[0].shape)}"
                )
        elif name == "readout.ff.weight":
            merged[name] = torch.cat(parts, dim=1) / k
        elif name in ("readout.ff.bias", "readout.v_init", "readout.tau_m"):
            merged[name] = torch.stack(parts).mean(dim=0)
        else:
            raise NeurocompileError(f"average_models: cannot merge parameter {name!r}")
    spec = SRNNSpec.from_dict(
        {
            **models[0].spec.to_dict(),
            "layers": [
                {
                    **models[0].spec.layers[0].to_dict(),
                    "size": sum(m.spec.layers[0].size for m in models),
                }
            ],
        }
    )
    out = SRNN(spec)
    out.load_state_dict(merged)
    return out
