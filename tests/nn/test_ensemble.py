"""``nn.ensemble.average_models``: the merged network is the mean of its members."""

import pytest
import torch

from neurocompile.errors import NeurocompileError
from neurocompile.nn import SRNN, SRNNSpec
from neurocompile.nn.ensemble import average_models


def _model(size: int, seed: int, neuron: str = "ltc", layers: int = 1) -> SRNN:
    spec = SRNNSpec.from_dict(
        {
            "input_size": 2,
            "num_classes": 0,
            "num_outputs": 1,
            "readout": "integrator",
            "decode": "last",
            "seed": seed,
            "layers": [{"size": size, "neuron": neuron}] * layers,
        }
    )
    model = SRNN(spec)
    with torch.no_grad():  # spiking enough to matter, and one readout time constant for all
        for layer in model.layers:
            layer.ff.weight.mul_(4.0)
        model.readout.tau_m.fill_(7.0)
    return model


@pytest.mark.parametrize("neuron", ["ltc", "alif"])
def test_merged_output_is_the_mean_and_its_spikes_are_the_members(neuron):
    """With equal readout time constants the merged network's output is the members' mean
    (up to float rounding) and its hidden spikes are theirs side by side, bit for bit."""
    members = [_model(6, 0, neuron), _model(4, 1, neuron), _model(5, 2, neuron)]
    merged = average_models(members)
    assert merged.spec.layers[0].size == 15
    x = torch.rand(3, 40, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        outs, spikes = zip(*(m(x) for m in members))
        out, sp = merged(x)
    assert torch.allclose(out, sum(outs) / 3, atol=1e-6)
    both = torch.cat([s["layers.0"] for s in spikes], dim=-1)
    assert both.sum() > 0
    assert torch.equal(sp["layers.0"], both)


def test_ltc_gate_weights_are_block_diagonal_in_both_halves():
    a, b = _model(3, 0), _model(2, 1)
    merged = average_models([a, b]).layers[0].cell.m_weight
    ma, mb = a.layers[0].cell.m_weight, b.layers[0].cell.m_weight
    assert merged.shape == (5, 10)
    assert torch.equal(merged[:3, :3], ma[:, :3]) and torch.equal(merged[:3, 5:8], ma[:, 3:])
    assert torch.equal(merged[3:, 3:5], mb[:, :2]) and torch.equal(merged[3:, 8:], mb[:, 2:])
    zero = merged.clone()
    zero[:3, :3] = zero[:3, 5:8] = zero[3:, 3:5] = zero[3:, 8:] = 0
    assert not zero.any()


def test_different_readout_time_constants_need_the_mean_option():
    a, b = _model(3, 0), _model(3, 1)
    with torch.no_grad():
        b.readout.tau_m.fill_(9.0)
    with pytest.raises(NeurocompileError, match=r"readout time constants differ \(\[7.0, 9.0\]\)"):
        average_models([a, b])
    merged = average_models([a, b], readout_tau="mean")
    assert float(merged.readout.tau_m.detach()) == 8.0


def test_models_that_cannot_be_merged_are_refused():
    with pytest.raises(NeurocompileError, match="at least two models"):
        average_models([_model(3, 0)])
    with pytest.raises(NeurocompileError, match="only one-layer"):
        average_models([_model(3, 0, layers=2), _model(3, 1, layers=2)])
    with pytest.raises(NeurocompileError, match=r"model 1 differs from model 0 in \['layers'\]"):
        average_models([_model(3, 0, "ltc"), _model(3, 1, "alif")])
