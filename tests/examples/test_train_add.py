"""The Add-task training driver ``trained/add_ltc_fptt/train_add.py`` on a tiny config: a
resumed run continues exactly as the uninterrupted one, the run table copes with a run that
ended before its first evaluation, and ``--grad-norm`` prints one row per sequence length."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "trained" / "add_ltc_fptt" / "train_add.py"

TINY = """
seed = 0
[dataset]
name = "addtask"
options = { T = 24, quiet_tail = 2 }
[model]
input_size = 2
num_classes = 0
num_outputs = 1
readout = "integrator"
decode = "last"
[[model.layers]]
size = 8
neuron = "ltc"
options = { tau_m = "xu", tau_adp = "xb" }
[trainer]
method = "fptt"
batch_size = 16
lr = 0.003
optimizer = "adam"
clip = 1.0
threads = 1
options = { weighting = "published", part_length = 6, alpha = 0.5, beta = 0.5, rho = 0.0 }
"""


def _run(*args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(DRIVER), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _tiny_checkpoint(tmp_path: Path, name: str = "run", iters: int = 1) -> Path:
    """The checkpoint of the tiny config after ``iters`` iterations (evaluated at each)."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / name
    _run("--config", str(cfg), "--iters", str(iters), "--eval-every", "1", "--out", str(out))
    return out / "model_fptt.pt"


def _curve(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "curve_fptt.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    "noise, options",
    [
        ([], ""),
        (["--input-noise", "0.05"], ""),
        (["--ema", "0.9"], ""),
        ([], ", weight_noise = 0.05, noise_seed = 3"),
        ([], ", step_targets = true"),
    ],
    ids=["clean", "noisy", "averaged", "weight-noise", "step-targets"],
)
def test_resume_continues_exactly(tmp_path: Path, noise: list[str], options: str) -> None:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY.replace("rho = 0.0 }", f"rho = 0.0{options} }}"))
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    common = ["--config", str(cfg), "--eval-every", "3", *noise]
    _run(*common, "--iters", "6", "--out", str(whole))
    _run(*common, "--iters", "4", "--out", str(parts))
    # the second run stopped after iteration 3 (its last save was at the evaluation of 3)
    _run(*common, "--iters", "6", "--out", str(parts), "--resume")
    a, b = _curve(whole), _curve(parts)
    assert [r["iter"] for r in b] == list(range(6))
    for ra, rb in zip(a, b):
        assert ra["train_mse"] == rb["train_mse"], ra["iter"]  # bit for bit
        assert ra.get("test_mse") == rb.get("test_mse")


def _driver():
    spec = importlib.util.spec_from_file_location("train_add", DRIVER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_input_noise_perturbs_only_the_value_channel() -> None:
    """--input-noise: channel 0 gets N(0, sigma^2) on every step, the same for the same
    iteration; the marker channel and the target (the clean marked sum) are unchanged."""
    import torch

    driver = _driver()
    x0, y0 = driver.training_batch(64, 50, 0, 7, 2)
    x1, y1 = driver.training_batch(64, 50, 0, 7, 2, input_noise=0.1)
    again, _ = driver.training_batch(64, 50, 0, 7, 2, input_noise=0.1)
    other, _ = driver.training_batch(64, 50, 0, 8, 2, input_noise=0.1)
    assert torch.equal(y0, y1) and torch.equal(x0[..., 1], x1[..., 1])
    assert torch.equal(x1, again)
    diff = x1[..., 0] - x0[..., 0]
    assert (diff != 0).all()
    assert abs(float(diff.std()) - 0.1) < 0.005 and abs(float(diff.mean())) < 0.005
    assert not torch.equal(diff, other[..., 0] - driver.training_batch(64, 50, 0, 8, 2)[0][..., 0])
    marked = (x0[..., 1] == 1).float()
    assert torch.allclose((x0[..., 0] * marked).sum(1), y0)


def test_step_targets_are_the_expected_sum_at_the_models_delay() -> None:
    """With ``step_targets`` the driver scores each part against E[y | inputs the model has
    seen], the inputs ``hidden layers + 1`` steps back: check that delay on the model itself
    (a changed input first moves the output that many steps later) and the batch's targets."""
    import tomllib
    import torch

    from neurocompile.data.addtask import expected_sum
    from neurocompile.nn import SRNN, SRNNSpec

    driver = _driver()
    torch.manual_seed(0)
    model = SRNN(SRNNSpec.from_dict(tomllib.loads(TINY)["model"]))
    delay = len(model.spec.layers) + 1
    x = torch.rand(1, 24, 2)
    moved = x.clone()
    moved[0, 10] = torch.tensor([5.0, 1.0])
    with torch.no_grad():
        diff = (model(moved)[0] - model(x)[0]).abs()[0, :, 0]
    assert torch.nonzero(diff).min() == 10 + delay
    x0, y0 = driver.training_batch(16, 24, 0, 5, 2)
    xs, ys = driver.training_batch(16, 24, 0, 5, 2, step_delay=delay)
    assert torch.equal(x0, xs) and ys.shape == (16, 24)
    assert torch.equal(ys, torch.from_numpy(expected_sum(x0.numpy(), delay)))
    assert torch.allclose(ys[:, -1], y0)


def test_input_noise_is_recorded_and_a_negative_one_refused(tmp_path: Path) -> None:
    from neurocompile.checkpoint import read_checkpoint

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    _run("--config", str(cfg), "--iters", "1", "--out", str(out), "--input-noise", "0.02")
    assert read_checkpoint(out / "model_fptt.pt")["trainer"]["input_noise"] == 0.02
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "--config", str(cfg), "--out", str(out)]
        + ["--input-noise", "-1"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr == "error: --input-noise -1.0: give a standard deviation >= 0, e.g. 0.01\n"


def test_parameter_average_is_the_hand_computed_moving_average() -> None:
    """ParameterAverage after three updates equals d^3 W0 + (1-d) (d^2 W1 + d W2 + W3),
    computed in float64 from the recorded iterates; the source model is left untouched."""
    import torch

    driver = _driver()
    model = torch.nn.Linear(3, 2)
    d = 0.8
    avg = driver.ParameterAverage(model, d)
    iterates = [[p.detach().double().clone() for p in model.parameters()]]
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=gen))
        iterates.append([p.detach().double().clone() for p in model.parameters()])
        avg.update()
    for i, p in enumerate(avg.model.parameters()):
        w = [it[i] for it in iterates]
        want = d**3 * w[0] + (1 - d) * (d**2 * w[1] + d * w[2] + w[3])
        assert torch.allclose(p.double(), want, atol=1e-6)
        assert not p.requires_grad
    assert all(p.requires_grad for p in model.parameters())
    assert not torch.equal(avg.model.weight, model.weight)


def test_ema_run_saves_the_averaged_model_and_refuses_a_bad_decay(tmp_path: Path) -> None:
    """With --ema the checkpoint holds the averaged weights (not the raw iterate in the resume
    file), the curve records both errors, and a decay outside (0, 1) is one error line."""
    import torch

    from neurocompile.checkpoint import read_checkpoint

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    _run(
        "--config", str(cfg), "--iters", "4", "--eval-every", "3", "--out", str(out), "--ema", "0.5"
    )
    ck = read_checkpoint(out / "model_fptt.pt")
    assert ck["trainer"]["ema"] == 0.5
    state = torch.load(out / "resume_fptt.pt", weights_only=True)
    for name, w in ck["state_dict"].items():
        assert torch.equal(w, state["ema"][name])
    assert any(not torch.equal(state["ema"][n], state["model"][n]) for n in state["model"])
    evals = [r for r in _curve(out) if "test_mse" in r]
    assert [r["iter"] for r in evals] == [0, 3] and all("test_mse_raw" in r for r in evals)
    for bad in ("1.0", "0", "nan"):
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "--config", str(cfg), "--out", str(out), "--ema", bad],
            check=False,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith(f"error: --ema {float(bad)}: give a decay between 0 and 1")
    # resuming an averaged run without --ema is refused, not silently restarted
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "--config", str(cfg), "--out", str(out), "--resume"]
        + ["--iters", "6"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "resume it with the same --ema option" in proc.stderr


def test_run_table_with_a_run_that_never_reached_an_evaluation() -> None:
    mod = _driver()
    curves = {
        "fptt": [
            {"iter": 0, "time_s": 1.0, "train_mse": 0.5, "test_mse": 0.4},
            {"iter": 1, "time_s": 2.0, "train_mse": 0.3, "test_mse": 0.2},
            {"iter": 2, "time_s": 3.0, "train_mse": 0.004, "test_mse": 0.00359},
        ],
        "bptt_curriculum_published": [
            {"iter": 0, "time_s": 2.8, "train_mse": 0.065, "diverged": True}
        ],
    }
    rows = mod.summary_table(curves).splitlines()
    # three significant figures, so an MSE of 0.0036 is not rounded to 0.004
    assert rows[2].startswith(
        "| FPTT from scratch | 3 | 3 s | 0.4 | 0.00359 (iteration 2) | 0.00359 (iteration 2) |"
    )
    assert "| - | - | - | 0.065 | divergence (a parameter not finite) |" in rows[3]


def test_grad_norm_rows_and_a_bad_file(tmp_path: Path) -> None:
    ckpt = _tiny_checkpoint(tmp_path)
    text = _run("--grad-norm", str(ckpt))
    rows = [r for r in text.splitlines() if r.startswith("| ") and r[2].isdigit()]
    assert [r.split("|")[1].strip() for r in rows] == ["100", "300", "1000"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "--grad-norm", str(tmp_path / "missing.pt")],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "missing.pt" in proc.stderr


def test_sensitivity_rows_start_from_the_unperturbed_model(tmp_path: Path) -> None:
    """Row 0 (no perturbation) changes nothing; every perturbation level has two seeds."""
    ckpt = _tiny_checkpoint(tmp_path)
    text = _run("--sensitivity", str(ckpt), "--sequences", "50")
    rows = [
        [c.strip() for c in r.split("|")[1:-1]]
        for r in text.splitlines()
        if r.startswith("| ") and r[2].isdigit()
    ]
    assert [(r[0], r[1]) for r in rows] == [
        ("0", "0"),
        ("1e-06", "0"),
        ("1e-06", "1"),
        ("0.0001", "0"),
        ("0.0001", "1"),
        ("0.01", "0"),
        ("0.01", "1"),
    ]
    assert rows[0][3:] == ["0", "0"]
    assert float(rows[-1][3]) > 0, "a 1% perturbation left the output unchanged"


def test_table_gate_is_the_chips_lookup() -> None:
    """The float emulation of the chip's sigmoid table equals fixed.lut_lookup on floor(256 z)
    divided by 2**16, over the table's range and beyond it."""
    import numpy as np
    import torch

    from neurocompile.compiler import fixed

    driver = _driver()
    diag = sys.modules["diagnostics"]
    lut = fixed.sigmoid_lut()
    gate = diag._table_gate(torch.from_numpy(lut), fixed.RET_UNITY)
    z = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    got = gate(z[None], None, None, z[None]).squeeze(0)  # weight None: z is the bias
    want = fixed.lut_lookup(np.floor(z.numpy() * 256).astype(np.int64), lut) / fixed.RET_UNITY
    assert torch.equal(got, torch.from_numpy(want))
    assert driver.gate_inputs is diag.gate_inputs


def test_gate_inputs_counts_a_saturated_membrane_gate(tmp_path: Path) -> None:
    """A model whose membrane gate has weights 0 and bias 20 (z = 20 everywhere) and whose
    threshold gate has weights 0 and bias 0 (z = 0): 100% and 0% of the inputs are saturated;
    the float row is the model's own error."""
    import torch

    from neurocompile.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint

    ckpt = _tiny_checkpoint(tmp_path)
    model, _ = load_checkpoint(ckpt)
    ltc = model.layers[0].cell
    with torch.no_grad():
        ltc.m_weight.zero_()
        ltc.m_bias.fill_(20.0)
        ltc.adp_weight.zero_()
        ltc.adp_bias.zero_()
    ck = read_checkpoint(ckpt)
    saturated = tmp_path / "saturated.pt"
    save_checkpoint(saturated, model, ck["metrics"], ck["dataset"], ck["trainer"])
    text = _run("--gate-inputs", str(saturated), "--sequences", "20")
    assert "membrane gate: 100.0% at or above 8, 100.0% at or above 10.6875" in text
    assert "threshold gate: 0.0% at or above 8, 0.0% at or above 10.6875" in text
    mse = {
        r.split("|")[1].strip(): float(r.split("|")[2])
        for r in text.splitlines()
        if r.startswith("| ") and r.split("|")[2].strip()[0].isdigit()
    }
    assert list(mse) == [
        "float",
        "12-bit table, z in [-8, 8)",
        "16-bit table, z in [-16, 16) (the chip's)",
    ]
    # the float row is the unpatched model on the driver's first 20 test sequences
    from neurocompile.data.addtask import make_add_task

    x, y = make_add_task(20, 1000, seed=10**6, quiet_tail=2)
    with torch.no_grad():
        pred = model(torch.from_numpy(x))[0][:, -1, 0].double()
    want = float(((pred - torch.from_numpy(y).double()) ** 2).mean())
    assert mse["float"] == pytest.approx(want, rel=1e-5)


def test_ensemble_rows_match_a_direct_computation(tmp_path: Path) -> None:
    """--ensemble: each model's MSE, the averaged pair's MSE and their mean squared difference,
    computed here directly from the two models' outputs; a model paired with itself has
    difference 0 and the average equals the model."""
    import torch

    from neurocompile.checkpoint import load_checkpoint
    from neurocompile.data.addtask import make_add_task

    ca, cb = _tiny_checkpoint(tmp_path, "a", 1), _tiny_checkpoint(tmp_path, "b", 3)
    x, y = make_add_task(20, 1000, seed=10**6, quiet_tail=2)
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()
    with torch.no_grad():
        pa, pb = (load_checkpoint(c)[0](x)[0][:, -1, 0].double() for c in (ca, cb))

    def mse(p: torch.Tensor) -> float:
        return float(((p - y) ** 2).mean())

    rows = [
        [c.strip() for c in r.split("|")[1:-1]]
        for r in _run("--ensemble", str(ca), str(cb), str(ca), "--sequences", "20").splitlines()
        if r.startswith("| ") and not r.startswith("| models")
    ]
    assert rows[0] == [str(ca), f"{mse(pa):.4g}", ""]
    assert rows[1] == [str(cb), f"{mse(pb):.4g}", ""]
    diff = float(((pa - pb) ** 2).mean())
    assert diff > 0
    assert rows[2] == [str(ca), f"{mse(pa):.4g}", ""]
    assert rows[3] == [f"average of {ca} and {cb}", f"{mse((pa + pb) / 2):.4g}", f"{diff:.4g}"]
    assert rows[4] == [f"average of {ca} and {ca}", f"{mse(pa):.4g}", "0"]  # with itself
    assert rows[-1] == ["average of all 3", f"{mse((2 * pa + pb) / 3):.4g}", ""]


def test_voltage_readout_reads_voltages_and_is_refused_for_shipping(tmp_path: Path) -> None:
    """--readout-voltage: the readout integrates the hidden voltages before reset (the LI
    readout applied to the layer's voltage trace gives the same output), and its checkpoint
    is refused by --sensitivity and --finalize with one line, exit code 1."""
    import torch

    driver = _driver()
    from neurocompile.nn import SRNN, SRNNSpec

    mspec = SRNNSpec.from_dict(
        {
            "input_size": 2,
            "num_classes": 0,
            "num_outputs": 1,
            "readout": "integrator",
            "decode": "last",
            "layers": [{"size": 8, "neuron": "ltc", "options": {"tau_m": "xu", "tau_adp": "xb"}}],
        }
    )
    volt, spiking = driver.VoltageReadoutSRNN(mspec), SRNN(mspec)
    spiking.load_state_dict(volt.state_dict())
    x = torch.rand(3, 20, 2)
    with torch.no_grad():
        out_v, spikes_v = volt(x)
        out_s, spikes_s = spiking(x)
        xt = x.transpose(0, 1)
        _, trace, _ = spiking.layers[0](xt, spiking.init_state(3)["layers.0"])
        _, ref, _ = spiking.readout(trace, spiking.init_state(3)["readout"])
    assert torch.equal(spikes_v["layers.0"], spikes_s["layers.0"])
    assert torch.allclose(out_v, ref.transpose(0, 1))
    assert not torch.allclose(out_v, out_s)

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    _run(
        "--config",
        str(cfg),
        "--iters",
        "1",
        "--eval-every",
        "1",
        "--out",
        str(out),
        "--readout-voltage",
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for flag, target in (("--sensitivity", out / "model_fptt.pt"), ("--finalize", out)):
        proc = subprocess.run(
            [sys.executable, str(DRIVER), flag, str(target)],
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1 and "--readout-voltage" in proc.stderr


def test_every_run_entry_names_its_config_and_its_iterations() -> None:
    """Each ``RUNS`` entry's config exists, its ``--init`` (if any) is another entry's model,
    and its ``--iters`` is the number of iterations its curve holds (fewer only if it
    diverged), so the table's commands reproduce the runs as recorded."""
    drv = _driver()
    here = DRIVER.parent
    folders = {folder for _, folder, _, _, _ in drv.RUNS}
    for key, folder, method, _, args in drv.RUNS:
        words = args.split()
        if "--config" in words:  # else the driver's default, config.toml
            assert (ROOT / words[words.index("--config") + 1]).is_file(), key
        assert words[words.index("--out") + 1] == f"trained/add_ltc_fptt/{folder}", key
        if "--init" in words:
            assert Path(words[words.index("--init") + 1]).parent.name in folders, key
        curve = here / folder / f"curve_{method}.jsonl"
        if not curve.is_file():
            continue
        records = [json.loads(line) for line in curve.read_text().splitlines()]
        iters = int(words[words.index("--iters") + 1])
        assert len(records) == iters or records[-1].get("diverged"), (key, len(records), iters)


def test_hold_time_rows_by_hand() -> None:
    """Three sequences of T = 10: markers at (1, 8), (4, 5), (0, 9); the steps from a marker to
    the last step are 9 - t. Errors 0.1, 0.2, 0.3 (squared 0.01, 0.04, 0.09)."""
    import torch

    x = torch.zeros(3, 10, 2)
    for row, (a, b) in enumerate([(1, 8), (4, 5), (0, 9)]):
        x[row, [a, b], 1] = 1.0
    y = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    pred = y + torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    _driver()  # puts the driver's folder on sys.path
    import diagnostics

    rows = diagnostics.hold_time_rows(x, y, pred, bins=((0, 2), (2, 6), (6, 10)))
    got = [(m, lo, hi, n, round(e, 10)) for m, lo, hi, n, e in rows]
    assert got == [
        # first markers hold 8, 5, 9 steps
        ("first", 2, 6, 1, 0.04),
        ("first", 6, 10, 2, 0.05),
        # second markers hold 1, 4, 0 steps
        ("second", 0, 2, 2, 0.05),
        ("second", 2, 6, 1, 0.04),
    ]


def test_hold_time_table_covers_every_sequence(tmp_path: Path) -> None:
    ckpt = _tiny_checkpoint(tmp_path)
    text = _run("--hold-time", str(ckpt), "--sequences", "20")
    rows = [r.split("|")[1:-1] for r in text.splitlines() if r.startswith(("| first", "| second"))]
    for marker in ("first", "second"):
        assert sum(int(r[2]) for r in rows if r[0].strip() == marker) == 20
    assert "test MSE" in text.splitlines()[0]


def test_fit_readout_writes_a_model_that_scores_what_it_prints(tmp_path: Path) -> None:
    """--fit-readout: the table has one row per time constant, the kept one has the lowest
    validation MSE, and the written model's readout has that time constant and scores the
    printed test MSE on the driver's test set."""
    import re

    import torch

    from neurocompile.checkpoint import load_checkpoint, read_checkpoint
    from neurocompile.data.addtask import make_add_task

    ckpt = _tiny_checkpoint(tmp_path, iters=3)
    out = tmp_path / "fitted"
    text = _run(
        "--fit-readout", str(ckpt), "--readout-taus", "5", "20", "80",
        "--fit-sequences", "300", "--out", str(out),
    )  # fmt: skip
    rows = re.findall(r"^\| (\d+) \| ([\d.e-]+) \| ([\d.e-]+) \|$", text, re.MULTILINE)
    assert [r[0] for r in rows] == ["5", "20", "80"]
    best = min(rows, key=lambda r: float(r[2]))[0]
    kept = re.search(r"kept (\S+) steps: test MSE (\S+)", text)
    assert kept.group(1) == best
    model, _ = load_checkpoint(out / "model_readout.pt")
    assert float(model.readout.tau_m.detach()[0]) == float(best)
    ck = read_checkpoint(out / "model_readout.pt")
    assert ck["trainer"]["readout_fit"]["command"].endswith(f"--out {out}")
    x, y = make_add_task(1000, 24, seed=10**6, quiet_tail=2)
    with torch.no_grad():
        pred = torch.cat([model(xb)[0][:, -1, 0] for xb in torch.from_numpy(x).split(250)])
    mse = float(((pred.double() - torch.from_numpy(y).double()) ** 2).mean())
    assert f"{mse:.4g}" == kept.group(2)
    assert ck["metrics"]["test_mse"] == pytest.approx(mse, rel=1e-5)


def test_fit_readout_on_chip_spikes_matches_the_compiled_model(tmp_path: Path) -> None:
    """--spikes chip: the readout is fitted to the chip simulator's hidden spikes, so the
    rebuilt fixed-point model scores, on the validation sequences, the MSE the fit printed
    (up to the readout weights' rounding)."""
    import re

    import numpy as np

    from neurocompile.backend import get_backend
    from neurocompile.checkpoint import load_checkpoint, read_checkpoint
    from neurocompile.data.addtask import make_add_task

    ckpt = _tiny_checkpoint(tmp_path, iters=3)
    out = tmp_path / "fitted"
    text = _run(
        "--fit-readout", str(ckpt), "--readout-taus", "5", "20", "--fit-sequences", "300",
        "--spikes", "chip", "--out", str(out),
    )  # fmt: skip
    assert "(chip hidden spikes)" in text
    kept = re.search(r"kept (\S+) steps", text).group(1)
    val_mse = float(re.search(rf"^\| {kept} \| \S+ \| (\S+) \|$", text, re.MULTILINE).group(1))
    model, _ = load_checkpoint(out / "model_readout.pt")
    ck = read_checkpoint(out / "model_readout.pt")
    assert ck["trainer"]["readout_fit"]["spikes"] == "chip"
    driver = _driver()
    exe = get_backend("loihi-sim").compile(driver.chip_graph(model, ck), engine="cycle")
    x, y = make_add_task(1000, 24, seed=driver.READOUT_VAL_SEED, quiet_tail=2)
    pred = np.concatenate([exe.run(x[i : i + 250]).predictions for i in range(0, 1000, 250)])
    assert float(np.mean((pred.reshape(-1) - y) ** 2)) == pytest.approx(val_mse, rel=0.02)


def test_fit_readout_bad_input_is_one_line(tmp_path: Path) -> None:
    """A corrupt file or a model of another task: one ``error:`` line, exit 1, no traceback,
    nothing written."""
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    other = ROOT / "trained" / "ecg_alif" / "model.pt"
    for ckpt, words in (
        (bad, "not a readable torch checkpoint"),
        (other, "not trained on the Add"),
    ):
        out = tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "--fit-readout", str(ckpt), "--out", str(out)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
        assert not out.exists()
