"""Build ``model.pt``: two trained 256-neuron Add-task models as one 512-neuron network whose
output is the mean of theirs (``neurocompile.nn.ensemble.average_models``).

    .venv/bin/python trained/add_ltc_ensemble/merge.py

The members are FPTT models of ``trained/add_ltc_fptt`` (``MEMBERS``): the shipped one and the
3e-5 stage that continued it for 701 iterations, whose outputs differ by more than either
model's error (``train_add.py --ensemble``). Their readout time constants differ slightly, so
the merged readout takes their mean. The script prints the test MSE of the members and of the
merged network on the Add driver's test set, and writes ``model.pt`` (with the members'
training time and iterations, counting their shared stages once, and the commands), and the
sample files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from neurocompile.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from neurocompile.data.addtask import make_add_task
from neurocompile.nn.ensemble import average_models

HERE = Path(__file__).resolve().parent
ADD = HERE.parent / "add_ltc_fptt"
sys.path.insert(0, str(ADD))

from add_runs import RUNS
from diagnostics import TEST_SEED, predictions

# (run folder in trained/add_ltc_fptt, RUNS key); the second continued the first (--init)
MEMBERS = (
    ("run_curriculum_published_w256_rate30", "fptt_curriculum_published_w256_rate30"),
    ("run_curriculum_published_w256_rate30_lr3e5", "fptt_curriculum_published_w256_rate30_lr3e5"),
)


def _mse(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(((predictions(model, x) - y) ** 2).mean())


def main() -> None:
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    shipped = read_checkpoint(ADD / "model.pt")  # member 0's model with its lineage metadata
    paths = [ADD / folder / "model_fptt.pt" for folder, _ in MEMBERS]
    members = [load_checkpoint(p)[0] for p in paths]
    if any(
        not torch.equal(v, shipped["state_dict"][k]) for k, v in members[0].state_dict().items()
    ):
        raise SystemExit(f"error: {ADD / 'model.pt'} is not {paths[0]}; ship it again")
    merged = average_models(members, readout_tau="mean")
    x, y = make_add_task(1000, 1000, seed=TEST_SEED, quiet_tail=2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).double()
    for p, m in zip(paths, members):
        print(f"{p.relative_to(HERE.parent.parent)}: test MSE {_mse(m, xt, yt):.4g}")
    test_mse = _mse(merged, xt, yt)
    print(f"merged ({merged.spec.layers[0].size} neurons): test MSE {test_mse:.4g}")
    # training: member 0's lineage (its metadata) plus member 1's own stage
    curve = [json.loads(line) for line in (ADD / MEMBERS[1][0] / "curve_fptt.jsonl").open()]
    metrics = {
        "test_mse": test_mse,
        "iterations": int(shipped["metrics"]["iterations"]) + len(curve),
        "train_time_s": float(shipped["metrics"]["train_time_s"]) + curve[-1]["time_s"],
        "T": 1000,
    }
    args = next(a for k, _, _, _, a in RUNS if k == MEMBERS[1][1])
    command = (
        f"{shipped['trainer']['command']} && .venv/bin/python trained/add_ltc_fptt/train_add.py "
        f"{args} && .venv/bin/python trained/add_ltc_ensemble/merge.py"
    )
    trainer = {
        **read_checkpoint(paths[1])["trainer"],
        "command": command,
        "ensemble_of": [str(p.relative_to(HERE.parent.parent)) for p in paths],
    }
    save_checkpoint(HERE / "model.pt", merged, metrics, shipped["dataset"], trainer)
    xs, ys = make_add_task(8, 1000, seed=TEST_SEED, quiet_tail=2)
    np.save(HERE / "sample.npy", xs)
    np.save(HERE / "sample_labels.npy", ys)
    print(f"wrote {HERE / 'model.pt'}")


if __name__ == "__main__":
    from neurocompile.errors import NeurocompileError

    try:
        main()
    except NeurocompileError as exc:  # a missing or unreadable member: one line, exit 1
        raise SystemExit(f"error: {exc}") from None
