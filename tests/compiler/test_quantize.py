"""Quantize and fold passes: error bounds, formats, scales, and their user errors."""

import numpy as np
import pytest

from neurocompile import ir
from neurocompile.backend import get_backend
from neurocompile.compiler import fixed
from neurocompile.compiler.chips import LOIHI1, LOIHI2
from neurocompile.compiler.context import Context
from neurocompile.compiler.fold import fold_gain_bias
from neurocompile.compiler.pipeline import compile_graph
from neurocompile.compiler.quantize import quantize, quantize_weights
from neurocompile.errors import ChipLimitError, NeurocompileError


def small_graph(kind: str = "current", seed: int = 0, n: int = 12) -> ir.Graph:
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(0.8, 0.97, n)
    nodes = {
        "x": ir.Input(size=5, kind=kind),
        "ff": ir.Dense(weight=rng.normal(0, 1, (n, 5)), bias=rng.normal(0, 0.1, n)),
        "h": ir.ALIF(
            size=n, alpha=alpha, gain=1 - alpha, rho=rng.uniform(0.9, 0.99, n), b0=0.1, beta=1.8
        ),
        "rec": ir.Dense(weight=rng.normal(0, 0.3, (n, n))),
        "out.ff": ir.Dense(weight=rng.normal(0, 1, (3, n))),
        "ro": ir.LI(size=3, alpha=0.9, gain=0.1),
        "y": ir.Output(size=3, classes=3),
    }
    edges = [
        ("x", "ff"),
        ("ff", "h"),
        ("h", "rec"),
        ("rec", "h"),
        ("h", "out.ff"),
        ("out.ff", "ro"),
        ("ro", "y"),
    ]
    return ir.Graph(nodes, edges, {})


@pytest.mark.parametrize("seed", range(5))
def test_weight_error_bound_and_lava_grid(seed):
    rng = np.random.default_rng(seed)
    real = rng.normal(0, 10.0 ** rng.uniform(-2, 3), (20, 30))
    mant, exp = quantize_weights(real, -8, 7)
    _, changed = fixed.lava_weights(mant)
    assert not changed  # Lava's clip + truncation leaves the mantissas as they are
    err = np.abs(mant * 2.0**exp - real)
    assert err.max() <= 2.0**exp + 1e-9  # half a grid step of 2 (mixed sign)
    if exp > -8:  # not clamped at the smallest exponent: the largest mantissa is >= 127
        assert err.max() <= np.abs(real).max() / 127 + 1e-9


def test_one_sign_weights_use_the_finer_grid():
    real = np.linspace(0.0, 3.0, 50)[None]
    mant, exp = quantize_weights(real, -8, 7)
    assert mant.min() >= 0 and 127 < mant.max() <= 255  # excitatory grid [0, 255], step 1
    assert np.abs(mant * 2.0**exp - real).max() <= 2.0 ** (exp - 1) + 1e-12


def test_mixed_matrix_rounding_to_one_sign_gets_that_grid():
    # the negative value rounds to 0 on the mixed grid: Lava would then call the matrix
    # excitatory; the quantizer must emit excitatory-grid values so truncation keeps them
    real = np.array([[-0.001, 1.0, 0.5]])
    mant, _ = quantize_weights(real, -8, 7)
    assert fixed.sign_mode(mant) == "excitatory"
    assert not fixed.lava_weights(mant)[1]


def test_fold_keeps_the_float_function():
    g = small_graph()
    folded = fold_gain_bias(g, Context(LOIHI2))
    assert np.all(folded.nodes["h"].gain == 1) and folded.nodes["ff"].bias is None
    x = np.random.default_rng(1).uniform(-1, 1, (2, 20, 5))
    a = get_backend("torch").compile(g, dtype="float64").run(x)
    b = get_backend("torch").compile(folded, dtype="float64").run(x)
    np.testing.assert_allclose(a.outputs, b.outputs, atol=1e-9)
    np.testing.assert_array_equal(a.spikes["h"], b.spikes["h"])
    assert g.nodes["h"].gain[0] != 1  # the input graph is not modified


def test_fold_bias_into_decaying_current_is_the_steady_state():
    g = small_graph(kind="spikes")
    g.nodes["h"] = ir.LIF(size=12, alpha=0.9, gain=0.1, alpha_syn=0.5, threshold=100.0)
    ctx = Context(LOIHI2)
    folded = fold_gain_bias(g, ctx)
    assert any("folded as a steady-state voltage bias" in w for w in ctx.warnings)
    import torch

    x = torch.zeros((1, 60, 5), dtype=torch.float64)  # only the bias drives h (never spikes)
    va = get_backend("torch").compile(g, dtype="float64").run_tensors(x)[1].voltage["h"]
    vb = get_backend("torch").compile(folded, dtype="float64").run_tensors(x)[1].voltage["h"]
    diff = (va - vb).abs()[:, 0].max(dim=1).values.numpy()
    assert diff[5] > 0  # the transient
    assert diff[-1] < diff[5] / 100  # decays (with the slower of alpha_syn and alpha)


def test_quantized_formats_and_scales():
    q, ctx = compile_graph(small_graph(), "loihi2")
    h = q.nodes["h"]
    assert h.dv.min() >= 0 and h.dv.max() <= 4095
    np.testing.assert_array_equal(h.du, 4095)  # alpha_syn = 0: current replaced every step
    # decays: |(4096 - dv)/4096 - alpha| <= half a step
    assert np.abs((4096 - h.dv) / 4096 - small_graph().nodes["h"].alpha).max() <= 0.5 / 4096
    s = h.state_scale
    # threshold b0 + beta (trace at most 1) sits HEADROOM_BITS below the 24-bit limit
    assert (0.1 + 1.8) * s <= 2**21 * (1 + 1e-12)
    assert abs(h.b0_fixed[0] - 0.1 * s) <= 0.5
    assert q.nodes["x"].payload_bits == 12 and q.nodes["x"].scale == pytest.approx(2047)
    assert q.nodes["y"].value_scale == pytest.approx(1 / q.nodes["ro"].state_scale)
    assert "no calibration data" in " ".join(ctx.warnings)


def test_binary_inputs_become_spikes_and_fit_loihi1():
    g = small_graph(kind="current")
    g.metadata["dataset"] = {"name": "x", "encoder": {"name": "poisson"}}
    q, _ = compile_graph(g, "loihi1")
    assert q.nodes["x"].kind == "spikes" and q.nodes["x"].payload_bits == 1


def test_loihi1_refuses_real_valued_inputs():
    with pytest.raises(
        ChipLimitError,
        match=r"quantize pass \(after fold\): input 'x': real-valued input needs "
        r"graded spikes, which Intel Loihi 1 lacks .* use --chip loihi2",
    ):
        compile_graph(small_graph(), "loihi1")


def ltc_graph(n: int = 4) -> ir.Graph:
    """``small_graph`` with spike inputs and an LTC population (all gate weights zero)."""
    g = small_graph(kind="spikes", n=n)
    g.nodes["h"] = ir.LTC(
        size=n,
        gate_m_weight=np.zeros((n, 2 * n)),
        gate_m_bias=np.zeros(n),
        gate_adp_weight=np.zeros((n, 2 * n)),
        gate_adp_bias=np.zeros(n),
    )
    return g


def test_ltc_on_loihi1_stops_with_one_line():
    g = ltc_graph()
    with pytest.raises(
        ChipLimitError,
        match=r"layer 'h': LTC neurons need programmable neuron microcode, which "
        r"Intel Loihi 1 lacks; use --chip loihi2",
    ):
        quantize(fold_gain_bias(g, Context(LOIHI1)), Context(LOIHI1))


def test_calibrated_scale_is_tighter_for_li_readout():
    from neurocompile.compiler.calibrate import collect_stats

    g = small_graph()
    x = np.random.default_rng(2).uniform(-1, 1, (8, 30, 5))
    q0, _ = compile_graph(g, "loihi2")
    q1, _ = compile_graph(g, "loihi2", collect_stats(g, x))
    assert q1.nodes["ro"].state_scale >= q0.nodes["ro"].state_scale


def test_leakless_integrator_warns_without_calibration_and_is_exact_with_it():
    from neurocompile.compiler.calibrate import collect_stats

    g = small_graph()
    g.nodes["ro"] = ir.LI(size=3, alpha=1.0, gain=0.05)  # NIR's integrator ``I``: no leak
    x = np.random.default_rng(2).uniform(-1, 1, (8, 60, 5))
    q0, ctx0 = compile_graph(g, "loihi2")
    assert any("ro: integrator without leak and no calibration" in w for w in ctx0.warnings)
    q1, ctx1 = compile_graph(g, "loihi2", collect_stats(g, x))
    assert not any("without leak" in w for w in ctx1.warnings)
    assert np.all(q1.nodes["ro"].dv == 0)  # the chip voltage does not decay
    # the bound from 4096 steps of the largest input leaves far coarser weights
    assert q1.nodes["ro"].state_scale > 100 * q0.nodes["ro"].state_scale
    # the chip's readout: the float sum of the chip's own hidden spikes, up to weight rounding
    res = get_backend("loihi-sim").compile(q1).run(x)
    s = res.spikes["h"].astype(np.float64)
    assert 0 < s.mean() < 1
    step = np.concatenate([np.zeros_like(s[:, :1]), s[:, :-1]], 1) @ g.nodes["out.ff"].weight.T
    expected = (0.05 * step).cumsum(1)
    assert np.abs(res.outputs - expected).max() < 0.02 * np.abs(expected).max()


def test_16_bit_weights_shrink_the_error():
    g = small_graph()
    _q8, c8 = compile_graph(g, "loihi2")
    _q16, c16 = compile_graph(g, "loihi2", weight_bits=16)
    e8 = c8.report["quantize"]["layers"]["h"]["synapses"]["rec"]["max_abs_error"]
    e16 = c16.report["quantize"]["layers"]["h"]["synapses"]["rec"]["max_abs_error"]
    assert e16 < e8 / 50
    assert c16.report["quantize"]["layers"]["h"]["synapses"]["rec"]["residual_synapse"] == "rec.lo"
    with pytest.raises(NeurocompileError, match=r"weight bits 12 must be 8 or 16"):
        compile_graph(g, "loihi2", weight_bits=12)


def test_16_bit_readout_weights_only():
    # readout_bits=16: only the synapse into the non-spiking readout gets a residual synapse;
    # the hidden synapses, and so every spike, stay as with 8-bit weights
    from neurocompile.backend import get_backend
    from neurocompile.compiler.quantize import is_readout_synapse

    g = small_graph()
    assert [d for d in ("ff", "rec", "out.ff") if is_readout_synapse(g, d)] == ["out.ff"]
    q8, c8 = compile_graph(g, "loihi2")
    qr, cr = compile_graph(g, "loihi2", readout_bits=16)
    assert set(qr.nodes) - set(q8.nodes) == {"out.ff.lo"}
    syn8, synr = (c.report["quantize"]["layers"] for c in (c8, cr))
    assert synr["ro"]["synapses"]["out.ff"]["max_abs_error"] < (
        syn8["ro"]["synapses"]["out.ff"]["max_abs_error"] / 50
    )
    assert synr["h"]["synapses"] == syn8["h"]["synapses"]
    assert qr.metadata["compiler"]["readout_bits"] == 16
    assert qr.metadata["compiler"]["weight_bits"] == 8
    x = np.random.default_rng(3).uniform(-1, 1, (4, 40, 5))
    r8, rr = (get_backend("loihi-sim").compile(q).run(x) for q in (q8, qr))
    np.testing.assert_array_equal(r8.spikes["h"], rr.spikes["h"])
    assert not np.array_equal(r8.outputs, rr.outputs)
    with pytest.raises(NeurocompileError, match=r"readout weight bits 4 must be 8 or 16"):
        compile_graph(g, "loihi2", readout_bits=4)


def test_input_payload_scale_is_lowered_for_small_input_weights():
    # weights 100x smaller: at scale 2047 their mantissas would be clamped at exponent -8
    g = small_graph()
    g.nodes["ff"].weight = g.nodes["ff"].weight * 0.01
    q, ctx = compile_graph(g, "loihi2")
    scale = q.nodes["x"].scale
    assert scale < 2047
    assert "x.scale_lowered" in ctx.report["quantize"]
    mant = np.abs(q.nodes["ff"].weight_mant).max()
    assert 126 <= mant <= 254  # the largest real mantissa is 127 (7 bits), on the even grid


def test_ltc_graph_with_an_old_12_bit_sigmoid_table_is_refused_by_the_simulator(tmp_path):
    """A graph compiled before the 16-bit retention table (4096 entries of 12 bits) would run
    with wrong decays; ``neurocompile run`` names the problem and the fix in one line."""
    import subprocess
    import sys

    from neurocompile.ir.io_hdf5 import save_hdf5

    g = ltc_graph()
    q, _ = compile_graph(g, "loihi2")
    assert q.nodes["h"].sigmoid_lut.shape == (fixed.LUT_SIZE,)
    q.nodes["h"].sigmoid_lut = np.round(4096 / (1 + np.exp(-(np.arange(4096) - 2048) / 256)))
    build = tmp_path / "build"
    build.mkdir()
    save_hdf5(q, build / "graph.h5")
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 5, 5), np.float32))
    proc = subprocess.run(
        [sys.executable, "-m", "neurocompile", "run", str(build), "--input", str(x)]
        + ["--engine", "cycle", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    want = (
        "neurocompile: error: population 'h': its sigmoid table has 4096 entries, this "
        "neurocompile's LTC uses 8192 (16-bit retentions); the graph was compiled by an older "
        "version: build it again from the model"
    )
    assert proc.stderr.strip().splitlines() == [want]
    assert not (tmp_path / "out").exists()
