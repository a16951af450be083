"""`neurocompile train CONFIG.toml`: outputs, reproducibility, one-line errors."""

import numpy as np
import pytest

from neurocompile.checkpoint import load_checkpoint
from neurocompile.cli import main
from neurocompile.config import load_config, to_toml

CONFIG = """
seed = 1
epochs = 2
output = "{out}"

[dataset]
name = "digits"
options = {{ train_limit = 64, val_limit = 32, test_limit = 40 }}
encoder = {{ name = "direct", pad = 2 }}

[model]
readout = "integrator"
readout_tau_m = [3.0, 1.0]
[[model.layers]]
size = 12
tau_m = [5.0, 1.0]

[trainer]
batch_size = 16
lr = 0.01
progress = false
"""


def write(tmp_path, text):
    p = tmp_path / "cfg.toml"
    p.write_text(text)
    return p


def test_train_writes_checkpoint_config_samples(tmp_path, capsys):
    out = tmp_path / "run"
    cfg = write(tmp_path, CONFIG.format(out=out))
    assert main(["train", str(cfg)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["config.toml", "metrics.jsonl", "model.pt", "sample.npy", "sample_labels.npy"]
    model, ckpt = load_checkpoint(out / "model.pt")
    assert ckpt["dataset"]["name"] == "digits" and "test_accuracy" in ckpt["metrics"]
    assert model.spec.input_size == 8 and model.spec.num_classes == 10 and model.spec.seed == 1
    sample = np.load(out / "sample.npy")
    assert sample.shape == (16, 10, 8) and np.load(out / "sample_labels.npy").shape == (16,)
    assert "test accuracy" in capsys.readouterr().out
    # the written config reproduces the run exactly
    again = load_config(out / "config.toml")
    assert to_toml(again) == (out / "config.toml").read_text()
    assert main(["train", str(out / "config.toml"), "--output", str(tmp_path / "again")]) == 0
    m2, _ = load_checkpoint(tmp_path / "again" / "model.pt")
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), m2.state_dict()[k].numpy()), k


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("epochs = [", "not valid TOML"),
        ("[model]\n[[model.layers]]\nsize = 4\n", r"missing table \[dataset\]"),
        ("colour = 1\n[dataset]\nname='digits'\n[model]\n", r"unknown key\(s\) \['colour'\]"),
        ("[dataset]\nname='digits'\n[model]\nlayers=[{size=4}]\n[trainer]\nlr='fast'\n", "lr"),
        ("[dataset]\nname='nope'\n[model]\nlayers=[{size=4}]\n", "dataset 'nope' is unknown"),
        (
            "[dataset]\nname='digits'\n[model]\nlayers=[{size=4, neuron='hh'}]\n",
            "neuron type 'hh' is unknown",
        ),
    ],
)
def test_bad_config_is_one_line_exit_1(tmp_path, capsys, text, match):
    cfg = write(tmp_path, text)
    assert main(["train", str(cfg), "--epochs", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("neurocompile: error: config") or "error:" in err
    assert len(err.splitlines()) == 1, err
    assert pytest.importorskip("re").search(match, err), err


def test_missing_config_file(tmp_path, capsys):
    assert main(["train", str(tmp_path / "none.toml")]) == 1
    assert "cannot read it" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("trainer", "match"),
    [
        ('method = "fptt"\noptions = { rate_penalty = "x" }', "fptt rate_penalty = 'x' must be"),
        ('method = "fptt"\noptions = { alpha = -1 }', r"fptt alpha = -1 must be > 0"),
        ('method = "fptt"\noptions = { parts = 2, gamma = 1 }', r"options \['gamma'\] are unknown"),
        ('method = "rtrl"', "trainer method 'rtrl' is unknown"),
        (
            'method = "fptt"\noptions = { step_targets = true }',
            r"step_targets = true needs a regression target for every step.*labels \[64\]",
        ),
    ],
)
def test_bad_method_or_option_stops_before_any_file_is_written(tmp_path, capsys, trainer, match):
    """A bad trainer method or FPTT option is one line naming the config, exit 1, and the
    output folder is never created (it used to hold an empty metrics.jsonl)."""
    out = tmp_path / "run"
    text = CONFIG.format(out=out).replace("[trainer]\n", f"[trainer]\n{trainer}\n")
    cfg = write(tmp_path, text)
    assert main(["train", str(cfg)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"neurocompile: error: config {cfg}: [trainer] "), err
    assert pytest.importorskip("re").search(match, err), err
    assert not out.exists()
