"""LTC spiking neuron (thesis eq. 4.8a-f): hand-computed steps, ablations, SRNN layer."""

import math

import numpy as np
import pytest
import torch

from neurocompile.backend import get_backend
from neurocompile.errors import NeurocompileError
from neurocompile.export import export_model
from neurocompile.nn import SRNN, SRNNSpec
from neurocompile.nn.ltc import LTC, LTCParams, LTCState, ltc_step


def _one(x: float) -> torch.Tensor:
    return torch.tensor([[x]])


def _state(v: float, s: float, eta: float) -> LTCState:
    return LTCState(_one(v), _one(s), _one(eta))


def test_fixed_gates_hand_computed_sequence():
    # One neuron, both gates fixed with bias 0: alpha = rho = sigmoid(0) = 0.5; b0 = 0.1,
    # beta = 1.8, v[-1] = 0. Input i = 0.4, 0.4, 0.4, 0.0.
    # t0: eta = 0.5*0 + 0.5*0 = 0, theta = 0.1; v = 0.5*0 + 0.5*(0.4 - 0) = 0.2 > 0.1: spike, v <- 0
    # t1: eta = 0 + 0.5*1 = 0.5, theta = 0.1 + 0.9 = 1.0; v = 0 + 0.5*0.4 = 0.2: no spike
    # t2: eta = 0.25, theta = 0.55; v = 0.5*0.2 + 0.5*(0.4 - 0.2) = 0.2: no spike
    # t3: eta = 0.125, theta = 0.325; v = 0.5*0.2 + 0.5*(0 - 0.2) = 0.0: no spike
    p = LTCParams(None, torch.zeros(1), None, torch.zeros(1))
    st = _state(0.0, 0.0, 0.0)
    got_s, got_v, got_eta = [], [], []
    for i in (0.4, 0.4, 0.4, 0.0):
        s, st = ltc_step(_one(i), st, p)
        got_s.append(float(s))
        got_v.append(float(st.v))
        got_eta.append(float(st.eta))
    assert got_s == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(got_v, [0.0, 0.2, 0.2, 0.0], atol=1e-7)
    np.testing.assert_allclose(got_eta, [0.0, 0.5, 0.25, 0.125], atol=1e-7)


def test_dynamic_gates_hand_computed_step():
    # tau_m(x, u): M = [2, -4] on [i, v], bias 0; i = 0.5, v[-1] = 0.25:
    #   alpha = sigmoid(2*0.5 - 4*0.25) = sigmoid(0) = 0.5, v = 0.5*0.25 + 0.5*(0.5 - 0.25) = 0.25
    # tau_adp(x, b): A = [0, 0] on [i, eta], bias ln 3: rho = 3/4; eta[-1] = 0.4, s[-1] = 1:
    #   eta = 0.75*0.4 + 0.25*1 = 0.55, theta = 0.1 + 1.8*0.55 = 1.09 > 0.25: no spike
    p = LTCParams(
        torch.tensor([[2.0, -4.0]]),
        torch.zeros(1),
        torch.zeros(1, 2),
        torch.full((1,), math.log(3)),
    )
    s, st = ltc_step(_one(0.5), _state(0.25, 1.0, 0.4), p)
    assert float(s) == 0.0
    assert float(st.v) == pytest.approx(0.25)
    assert float(st.eta) == pytest.approx(0.55)
    # tau_m(x): the [n, n] weight sees the input only; M_x = 2 -> alpha = sigmoid(1)
    p_x = p._replace(m_weight=torch.tensor([[2.0]]))
    _, st = ltc_step(_one(0.5), _state(0.25, 1.0, 0.4), p_x)
    a = 1 / (1 + math.exp(-1.0))
    assert float(st.v) == pytest.approx(a * 0.25 + (1 - a) * 0.25)


def test_spike_is_strict_and_resets_to_zero():
    # alpha = 0 (bias -inf-like): v = i; i = theta exactly must not spike (v > theta is strict)
    p = LTCParams(None, torch.full((1,), -1e4), None, torch.full((1,), -1e4))
    s, st = ltc_step(_one(0.1), _state(0.0, 0.0, 0.0), p)  # rho ~ 0: eta = s[-1] = 0
    assert float(s) == 0.0 and float(st.v) == pytest.approx(0.1)
    s, st = ltc_step(_one(0.3), _state(0.0, 0.0, 0.0), p)
    assert float(s) == 1.0 and float(st.v) == 0.0


def test_ablation_modes_shapes_and_ir_layout():
    n = 4
    full = LTC(n)
    assert full.m_weight.shape == (n, 2 * n) and full.adp_weight.shape == (n, 2 * n)
    x_only = LTC(n, tau_m="x", tau_adp="x")
    assert x_only.m_weight.shape == (n, n)
    fixed = LTC(n, tau_m="fixed", tau_adp="fixed")
    assert fixed.m_weight is None and fixed.adp_weight is None
    g = x_only.ir_gate_weights()
    assert g["gate_m_weight"].shape == (n, 2 * n)
    assert torch.equal(g["gate_m_weight"][:, :n], x_only.m_weight.detach())
    assert torch.count_nonzero(g["gate_m_weight"][:, n:]) == 0
    assert torch.count_nonzero(fixed.ir_gate_weights()["gate_adp_weight"]) == 0


def test_unknown_mode_is_a_user_error():
    with pytest.raises(NeurocompileError, match="tau_m mode 'xb' is unknown"):
        LTC(3, tau_m="xb")
    with pytest.raises(NeurocompileError, match="size 0 must be a positive integer"):
        LTC(0)


def _spec(**layer):
    return SRNNSpec.from_dict(
        {
            "input_size": 2,
            "num_classes": 0,
            "decode": "per_step",
            "seed": 3,
            "layers": [{"size": 5, "neuron": "ltc", **layer}],
        }
    )


def test_srnn_layer_matches_hand_written_loop_with_delays():
    torch.manual_seed(0)
    model = SRNN(_spec())
    x = torch.rand(2, 12, 2)
    _, spikes = model(x)
    lay = model.layers[0]
    # reference: i[t] = W x[t-1] + b + U s[t-1] (x[-1] = 0, DESIGN.md one-step delays)
    st = LTCState(lay.cell.v_init.expand(2, -1), torch.zeros(2, 5), torch.zeros(2, 5))
    prev_x = torch.zeros(2, 2)
    ref = []
    with torch.no_grad():
        for t in range(12):
            i = lay.ff(prev_x) + st.s @ lay.rec.weight.t()
            s, st = ltc_step(i, st, lay.cell.params())
            ref.append(s)
            prev_x = x[:, t]
    assert torch.equal(spikes["layers.0"], torch.stack(ref, 1))
    assert 0 < float(spikes["layers.0"].detach().mean()) < 1


def test_srnn_chunks_equal_whole_sequence():
    model = SRNN(_spec())
    x = torch.rand(3, 20, 2)
    out, _ = model(x)
    o1, _, st = model(x[:, :7], return_state=True)
    o2, _, _ = model(x[:, 7:], state=st, return_state=True)
    assert torch.equal(torch.cat([o1, o2], 1), out)


def test_gradients_reach_every_gate_parameter():
    model = SRNN(_spec())
    out, _ = model(torch.rand(4, 15, 2))
    out.pow(2).mean().backward()
    cell = model.layers[0].cell
    for name in ("m_weight", "m_bias", "adp_weight", "adp_bias"):
        g = getattr(cell, name).grad
        assert g is not None and float(g.abs().sum()) > 0, name


def test_export_and_torch_reference_backend_agree_with_the_model():
    model = SRNN(_spec(options={"tau_m": "x", "tau_adp": "fixed"}))
    x = torch.rand(2, 25, 2)
    out, _ = model(x)
    graph = export_model(model)
    assert graph.nodes["L0"].gate_adp_weight.shape == (5, 10)
    res = get_backend("torch").compile(graph, None).run(x.numpy())
    np.testing.assert_array_equal(np.asarray(res.outputs), out.detach().numpy())


def test_layer_options_are_checked():
    with pytest.raises(NeurocompileError, match=r"unknown option\(s\) \['tau'\]"):
        SRNN(_spec(options={"tau": "x"}))
    with pytest.raises(NeurocompileError, match="reset 'subtract' is not supported"):
        SRNN(_spec(reset="subtract"))


def test_chrono_init_spreads_time_constants_up_to_tau_m_init():
    """tau_m_init = 500: with the gate input at zero, the voltage retention 2 alpha - 1 =
    1 - 1 / tau has tau uniform in [1, 500] (Tallec & Ollivier's chrono initialisation)."""
    model = SRNN(_spec(size=400, options={"tau_m_init": 500}))
    m = model.layers[0].cell.m_bias.detach().double()
    tau = 1.0 / (1.0 - (2.0 * torch.sigmoid(m) - 1.0))
    assert float(tau.min()) >= 1.0 - 1e-6 and float(tau.max()) <= 500.0 + 1e-3
    # uniform: quartiles near 125.75, 250.5, 375.25 (400 draws: a few percent off)
    q = torch.quantile(tau, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    np.testing.assert_allclose(q.numpy(), [125.75, 250.5, 375.25], rtol=0.15)
    # default: every bias ln 3
    default = SRNN(_spec(size=400)).layers[0].cell.m_bias.detach()
    assert torch.allclose(default, torch.full((400,), math.log(3.0)))
    for bad in (1, 0.5, "long", float("nan"), True):
        with pytest.raises(NeurocompileError, match="tau_m_init = .* must be a number of steps"):
            SRNN(_spec(options={"tau_m_init": bad}))
