"""``train_add.py --fit-readout``: refit a run's readout in closed form
(``neurocompile.train.readout_fit``) and save the model as ``RUN_DIR/model_readout.pt``."""

from __future__ import annotations

from pathlib import Path

import torch
from diagnostics import TEST_SEED

from neurocompile.checkpoint import save_checkpoint
from neurocompile.data.addtask import make_add_task
from neurocompile.errors import NeurocompileError
from neurocompile.train.loop import evaluate

READOUT_FIT_SEED = 10**6 + 2  # the readout fit's sequences (training draws use seed * 10**7 + it)
READOUT_VAL_SEED = 10**6 + 1  # its validation sequences, which choose the time constant


def chip_graph(model: torch.nn.Module, ckpt: dict):
    """The fixed-point graph ``neurocompile build MODEL --calibrate dataset:val`` compiles for
    the default chip (Loihi 2, 8-bit weights, 256 calibration sequences)."""
    from neurocompile.commands.build import compile_model
    from neurocompile.export import export_model

    return compile_model(export_model(model, ckpt), calibrate="dataset:val")[0]


def fit_readout_command(
    ckpt: Path, out: Path, taus: list[float], n_fit: int, spikes: str = "float"
) -> None:
    """``--fit-readout``: refit ``ckpt``'s readout (module docstring) into ``out/model_readout.pt``.

    ``spikes``: fit on the float model's hidden spikes, on the chip simulator's (``chip``:
    the graph ``neurocompile build --calibrate dataset:val`` compiles), or on both.
    """
    import numpy as np

    from neurocompile.checkpoint import load_checkpoint, read_checkpoint
    from neurocompile.train.readout_fit import chip_spikes, fit_readout, float_spikes

    np.finfo(np.float64), np.finfo(np.float32)  # numpy reads these once; with FTZ it warns
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    ck = read_checkpoint(ckpt)
    if (ck.get("dataset") or {}).get("name") != "addtask":
        raise NeurocompileError(
            f"{ckpt} was not trained on the Add task; --fit-readout draws Add-task sequences"
        )
    model, _ = load_checkpoint(ckpt)
    opts = ck["dataset"]["options"]
    T, tail = int(opts["T"]), int(opts.get("quiet_tail", 0))

    def draw(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = make_add_task(n, T, seed=seed, quiet_tail=tail)
        return torch.from_numpy(x), torch.from_numpy(y)

    before = evaluate(model, *draw(1000, TEST_SEED), "last", 0, batch_size=250)["loss"]
    sources, chip_before = [], None
    if spikes in ("float", "both"):
        sources.append(float_spikes(model))
    if spikes in ("chip", "both"):
        chip_before = chip_spikes(chip_graph(model, ck))
        sources.append(chip_before)
    fit, val = draw(n_fit, READOUT_FIT_SEED), draw(1000, READOUT_VAL_SEED)
    res = fit_readout(model, fit, val, taus, sources if spikes != "float" else None)
    after = evaluate(model, *draw(1000, TEST_SEED), "last", 0, batch_size=250)
    if chip_before is not None:
        # the readout does not feed back: the rebuilt chip model's hidden spikes are the ones
        # the readout was fitted on
        rebuilt = chip_spikes(chip_graph(model, ck))
        if not torch.equal(rebuilt(val[0][:8]), chip_before(val[0][:8])):
            raise SystemExit("error: the rebuilt chip model's hidden spikes changed; not saved")
    print(
        f"{ckpt}: readout time constant {float(ck['state_dict']['readout.tau_m'][0]):.4g} "
        f"steps, test MSE {before:.4g} (T = {T}, 1000 sequences)"
    )
    print(
        f"| readout time constant (steps) | MSE, {n_fit} fit sequences | MSE, 1000 validation "
        f"sequences |  ({spikes} hidden spikes)"
    )
    print("|---:|---:|---:|")
    for tau, mse_fit, mse_val in res.rows:
        print(f"| {tau:.4g} | {mse_fit:.4g} | {mse_val:.4g} |")
    print(f"kept {res.tau:.4g} steps: test MSE {after['loss']:.4g} (float)")
    argv = " ".join(str(t) for t in taus)
    command = (
        f".venv/bin/python trained/add_ltc_fptt/train_add.py --fit-readout {ckpt} "
        f"--readout-taus {argv} --fit-sequences {n_fit} --spikes {spikes} --out {out}"
    )
    fitted = {
        "source": str(ckpt),
        "tau": res.tau,
        "fit_sequences": n_fit,
        "spikes": spikes,
        "fit_seed": READOUT_FIT_SEED,
        "validation_seed": READOUT_VAL_SEED,
        "rows": [list(r) for r in res.rows],
        "command": command,
    }
    out.mkdir(parents=True, exist_ok=True)
    metrics = {**ck["metrics"], "test_mse": after["loss"], "firing_rate": after["firing_rate"]}
    path = save_checkpoint(
        out / "model_readout.pt",
        model,
        metrics=metrics,
        dataset=ck["dataset"],
        trainer={**ck["trainer"], "readout_fit": fitted},
    )
    print(f"-> {path}")
