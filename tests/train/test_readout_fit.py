"""Closed-form readout fit (``neurocompile.train.readout_fit``): recovers a known readout."""

import numpy as np
import pytest
import torch

from neurocompile.data.addtask import make_add_task
from neurocompile.errors import NeurocompileError
from neurocompile.nn import SRNN, SRNNSpec
from neurocompile.train.readout_fit import fit_readout, float_spikes


def _model(num_classes: int = 0, seed: int = 3) -> SRNN:
    return SRNN(
        SRNNSpec.from_dict(
            {
                "input_size": 2,
                "num_classes": num_classes,
                "num_outputs": 1 if num_classes == 0 else None,
                "decode": "last" if num_classes == 0 else "mean",
                "readout": "integrator",
                "seed": seed,
                "layers": [{"size": 12, "neuron": "ltc"}],
            }
        )
    )


def _data(n: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(make_add_task(n, 40, seed=seed, quiet_tail=2)[0])


def test_recovers_a_known_readout_and_its_time_constant():
    # targets made by the model itself with readout time constant 7 and known weights: the
    # fit must pick 7 among the candidates and reproduce the targets through the model
    model = _model()
    with torch.no_grad():
        model.readout.tau_m.fill_(7.0)
        model.readout.ff.weight.copy_(
            torch.randn(1, 12, generator=torch.Generator().manual_seed(1))
        )
        model.readout.ff.bias.fill_(0.3)
    xf, xv = _data(400, 0), _data(200, 1)
    with torch.no_grad():
        yf, yv = (model(x)[0][:, -1, 0] for x in (xf, xv))
    want_w = model.readout.ff.weight.detach().clone()
    with torch.no_grad():  # start from another readout
        model.readout.tau_m.fill_(50.0)
        model.readout.ff.weight.zero_()
        model.readout.ff.bias.zero_()
    res = fit_readout(model, (xf, yf), (xv, yv), [3.0, 7.0, 20.0])
    assert res.tau == 7.0 and float(model.readout.tau_m.detach()[0]) == 7.0
    by_tau = {tau: val for tau, _, val in res.rows}
    assert by_tau[7.0] < 1e-8 < min(by_tau[3.0], by_tau[20.0])
    with torch.no_grad():
        got = model(xv)[0][:, -1, 0]
    torch.testing.assert_close(got, yv, atol=1e-4, rtol=0)
    # the weights are identified on the neurons that fired (a silent neuron's weight is free)
    fired = (model(xf)[1]["layers.0"].sum((0, 1)) > 0).nonzero().flatten()
    torch.testing.assert_close(
        model.readout.ff.weight[0, fired], want_w[0, fired], atol=1e-3, rtol=0
    )
    assert res.check < 1e-4


def test_refuses_what_it_cannot_fit():
    x, y = _data(20, 0), torch.rand(20)
    with pytest.raises(NeurocompileError, match="needs an SRNN regression read at the last step"):
        fit_readout(_model(num_classes=3), (x, y), (x, y), [10.0])
    with pytest.raises(NeurocompileError, match=r"time constants \[0.0\] must be positive"):
        fit_readout(_model(), (x, y), (x, y), [0.0])
    with pytest.raises(NeurocompileError, match="differ in length"):
        fit_readout(_model(), (x, y), (x[:, :30], y), [10.0])
    assert np.isfinite(fit_readout(_model(), (x, y), (x, y), [10.0]).rows[0][2])


def test_other_spike_sources_are_fitted_jointly():
    # a source of spike trains computed from the inputs another way (standing in for the
    # chip's), and targets made from them by hand with the formula of the module docstring:
    # the fit recovers the readout exactly; adding the model's own spikes as a second source
    # fits one readout to both
    model = _model()
    xf, xv = _data(300, 0), _data(100, 1)

    def given(xb: torch.Tensor) -> torch.Tensor:  # [B, 40, 12] spikes, a function of xb
        phase = xb[:, :, :1] * torch.arange(1, 13) * 7.3
        return (torch.remainder(phase, 1.0) < 0.2).float()

    a = float(torch.exp(torch.tensor(-1 / 9.0)))
    w = torch.randn(12, generator=torch.Generator().manual_seed(5)).double()
    k = torch.tensor([(1 - a) * a ** (38 - t) for t in range(39)], dtype=torch.float64)

    def target(x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("btn,t,n->b", given(x)[:, :39].double(), k, w) + 0.4 * (1 - a**40)

    yf, yv = target(xf), target(xv)
    res = fit_readout(model, (xf, yf), (xv, yv), [4.0, 9.0], sources=[given])
    assert res.tau == 9.0 and np.isnan(res.check)
    np.testing.assert_allclose(res.weight[0], w.numpy(), atol=1e-6)
    np.testing.assert_allclose(res.bias, [0.4], atol=1e-6)
    assert res.rows[1][1] < 1e-12 < res.rows[0][1]
    both = fit_readout(model, (xf, yf), (xv, yv), [9.0], sources=[given, float_spikes(model)])
    assert both.rows[0][1] > 1e-6  # the model's spikes do not carry these targets exactly
