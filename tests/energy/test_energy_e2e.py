"""End to end: IR graph -> `neurocompile build` -> `neurocompile energy`, and the counters of the
real run against spikes x fan-out counted another way (NeuroBench convention + last step)."""

import json

import numpy as np
import pytest

from neurocompile.cli import main
from neurocompile.energy.neurobench import synaptic_operations, weight_pattern
from neurocompile.energy.session import graph_inputs, load_build, run_build
from neurocompile.ir import Dense
from neurocompile.ir.io_hdf5 import save_hdf5


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory, make_alif_graph):
    tmp = tmp_path_factory.mktemp("energy_e2e")
    g = make_alif_graph(input_kind="spikes")  # the ALIF graph of the estimate tests
    g.nodes["h"].b0[:] = 0.05  # low threshold: the hidden layer fires
    g.nodes["fc_in"].weight[:] = np.abs(g.nodes["fc_in"].weight) * 5
    g.metadata["name"] = "tiny"
    save_hdf5(g, tmp / "g.h5")
    assert main(["build", str(tmp / "g.h5"), "--chip", "loihi1", "-o", str(tmp / "build")]) == 0
    rng = np.random.default_rng(0)
    np.save(tmp / "x.npy", (rng.random((3, 40, 3)) < 0.4).astype(np.float32))
    return tmp


def test_energy_command_writes_report_and_plots(build_dir, capsys):
    out = build_dir / "energy"
    code = main(
        [
            "energy",
            str(build_dir / "build"),
            "--input",
            str(build_dir / "x.npy"),
            "--engine",
            "cycle",
            "--energy-table",
            "45nm-fp32",
            "-o",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "ESTIMATES" in text and "45nm-fp32" in text and "pre-silicon" in text
    d = json.loads((out / "energy.json").read_text())
    assert d["samples"] == 3 and d["steps"] == 40 and d["chip"] == "loihi1"
    h = d["layers"][0]
    assert h["name"] == "h" and 0 < h["fr_out"] < 1
    assert d["simulated"]["dynamic_j_per_inference"] > 0
    assert d["simulated"]["total_j_per_inference"] > d["simulated"]["dynamic_j_per_inference"]
    assert d["simulated"]["inferences_per_s"] > 0
    for name in ("energy_per_layer.png", "raster.png", "rates.png", "core_load.png"):
        assert (out / name).stat().st_size > 5000


def test_counters_are_spikes_times_fan_out(build_dir):
    build = load_build(build_dir / "build")
    x = np.load(build_dir / "x.npy")
    run = run_build(build, x, "cycle")
    spikes = run.result.spikes
    outputs = {**graph_inputs(build.graph, x), **spikes}
    acs, macs, _ = synaptic_operations(build.graph, outputs)
    # events of the last step are counted by the chip when sent, not delivered within the run
    last = 0
    for name, dense in build.graph.of_type(Dense).items():
        (src,) = build.graph.predecessors(name)
        fan_out = weight_pattern(dense).sum(axis=0)
        last += int(((np.asarray(outputs[src])[:, -1] != 0) * fan_out).sum())
    counters = run.result.counters
    assert counters.samples == 3
    assert counters.syn_ops.sum() == pytest.approx((acs + macs) * 3 + last)
    # neuron updates: every neuron of every core, every step, every sample
    n_neurons = sum(c.size for c in build.core_map.cores)
    total_updates = counters.neuron_updates_active.sum() + counters.neuron_updates_inactive.sum()
    assert total_updates == n_neurons * 40 * 3
    assert counters.neuron_updates_active.sum() == spikes["h"].sum()


@pytest.mark.lava
@pytest.mark.slow
def test_lava_and_cycle_give_the_same_report(build_dir):
    from neurocompile.compat import lava311

    if not lava311.HAS_LAVA:
        pytest.skip("lava-nc not installed")
    reports = {}
    # Lava first: importing Lava after tqdm has created its multiprocessing lock fails
    # (Lava calls mp.set_start_method('fork') at import; the default context is then set)
    for engine in ("lava", "cycle"):
        out = build_dir / f"energy_{engine}"
        args = ["energy", str(build_dir / "build"), "--input", str(build_dir / "x.npy")]
        assert main([*args, "--engine", engine, "-o", str(out)]) == 0
        reports[engine] = json.loads((out / "energy.json").read_text())
    assert reports["lava"]["engine"] == "lava" and reports["cycle"]["engine"] == "cycle"
    for d in reports.values():
        d.pop("engine")
    assert reports["lava"] == reports["cycle"]  # same spikes, so the same counts and energies


def test_ltc_gates_in_build_report_and_energy(tmp_path, capsys):
    """An LTC layer's gates: the build report counts their stored weights, and the energy run
    counts each of them once per neuron row and step as a MAC priced as a synaptic op."""
    import torch

    from neurocompile.export import export_model
    from neurocompile.nn import SRNN, SRNNSpec

    spec = {
        "input_size": 2,
        "num_classes": 0,
        "decode": "last",
        "seed": 3,
        "layers": [{"size": 6, "neuron": "ltc", "options": {"tau_m": "xu", "tau_adp": "xb"}}],
    }
    torch.manual_seed(0)
    save_hdf5(export_model(SRNN(SRNNSpec.from_dict(spec))), tmp_path / "g.h5")
    build = tmp_path / "build"
    assert main(["build", str(tmp_path / "g.h5"), "--chip", "loihi2", "-o", str(build)]) == 0
    report = json.loads((build / "report.json").read_text())
    node = load_build(build).graph.nodes["L0"]
    stored = int(np.count_nonzero(node.gate_m_mant) + np.count_nonzero(node.gate_adp_mant))
    assert 0 < stored <= 2 * 6 * 12
    assert report["totals"]["gate_weights"] == stored == report["layers"]["L0"]["gate_weights"]
    assert f"{stored} LTC gate weights" in capsys.readouterr().out
    np.save(tmp_path / "x.npy", np.random.default_rng(1).random((2, 30, 2)).astype(np.float32))
    out = tmp_path / "energy"
    args = ["energy", str(build), "--input", str(tmp_path / "x.npy"), "--engine", "cycle"]
    assert main([*args, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "gate MACs" in text
    d = json.loads((out / "energy.json").read_text())
    sim = d["simulated"]
    assert sim["ops_per_inference"]["gate_ops"] == stored * 30
    assert sim["dynamic_pj_per_inference_by_op"]["gate_ops"] == pytest.approx(stored * 30 * 23.6)
    assert d["layers"][0]["simulated_gate_macs"] == stored * 30
