"""NIR import/export: discretisation, structure mapping, our extension, and rejected inputs."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from ir_examples import example_node, graph_with, same_node, srnn_graph

from neurocompile import ir
from neurocompile.backend import get_backend
from neurocompile.errors import ModelFileError, NeurocompileError
from neurocompile.ir.io_nir import from_nir, load_nir, save_nir, to_nir


@pytest.mark.parametrize("type_name", sorted(ir.NODE_TYPES))
def test_round_trip_through_nir_is_lossless(type_name: str, tmp_path) -> None:
    graph = graph_with(type_name, example_node(ir.NODE_TYPES[type_name]))
    back = load_nir(save_nir(graph, tmp_path / "g.nir"), dt=1e-3)
    assert list(back.nodes) == list(graph.nodes) and back.edges == graph.edges
    assert {k: v for k, v in back.metadata.items() if k != "nir"} == graph.metadata
    for name in graph.nodes:
        same_node(graph.nodes[name], back.nodes[name])


def _lif_graph(neuron: nir.NIRNode, n_in: int = 2, n: int = 3) -> nir.NIRGraph:
    w = np.arange(n * n_in, dtype=float).reshape(n, n_in) / 10
    return nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([n_in])}),
            "w": nir.Linear(weight=w),
            "pop": neuron,
            "out": nir.Output(output_type={"output": np.array([n])}),
        },
        edges=[("in", "w"), ("w", "pop"), ("pop", "out")],
    )


def test_euler_and_exp_discretisation() -> None:
    tau = np.array([0.01, 0.02, 0.005])
    lif = nir.LIF(
        tau=tau,
        r=np.array([2.0, 1.0, 1.0]),
        v_leak=np.array([0.0, 0.5, 0.0]),
        v_threshold=np.ones(3),
    )
    g = from_nir(_lif_graph(lif), dt=1e-3)
    pop = g.nodes["pop"]
    # euler: alpha = 1 - dt/tau = [0.9, 0.95, 0.8]; gain = dt r / tau; bias = dt v_leak / tau
    np.testing.assert_allclose(pop.alpha, [0.9, 0.95, 0.8])
    np.testing.assert_allclose(pop.gain, [0.2, 0.05, 0.2])
    np.testing.assert_allclose(pop.bias, [0.0, 0.025, 0.0])
    assert pop.dt == 1.0 and pop.reset == "zero"
    g = from_nir(_lif_graph(lif), dt=1e-3, method="exp")
    a = np.exp(-1e-3 / tau)
    np.testing.assert_allclose(g.nodes["pop"].alpha, a)
    np.testing.assert_allclose(g.nodes["pop"].gain, (1 - a) * [2.0, 1.0, 1.0])


def test_cuba_lif_folds_the_input_factor_into_the_weights() -> None:
    n = 3
    cuba = nir.CubaLIF(
        tau_syn=np.full(n, 0.004),
        tau_mem=np.full(n, 0.01),
        r=np.ones(n),
        v_leak=np.zeros(n),
        v_threshold=np.ones(n),
        w_in=np.full(n, 2.0),
    )
    g = from_nir(_lif_graph(cuba), dt=1e-3)
    np.testing.assert_allclose(g.nodes["pop"].alpha_syn, 0.75)  # 1 - 1/4
    w = np.arange(6, dtype=float).reshape(3, 2) / 10
    np.testing.assert_allclose(g.nodes["w"].weight, w * 0.5)  # dt w_in / tau_syn = 0.5


def test_cuba_li_and_if_hand_run() -> None:
    # IF: v[t] = v[t-1] + dt r i[t]; threshold 1, reset to 0. Input 1 every step through w = 1;
    # with dt r = 0.4 and the one-step delay: v = 0, .4, .8, 1.2 (spike, -> 0), .4, .8, 1.2 ...
    g = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([1])}),
            "w": nir.Linear(weight=np.ones((1, 1))),
            "if": nir.IF(r=np.array([400.0]), v_threshold=np.array([1.0])),
            "out": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("in", "w"), ("w", "if"), ("if", "out")],
    )
    graph = from_nir(g, dt=1e-3)
    res = get_backend("torch").compile(graph, dtype="float64").run(np.ones((1, 7, 1)))
    assert res.outputs[0, :, 0].tolist() == [0, 0, 0, 1, 0, 0, 1]
    # CubaLI: a LIF that never fires; the Output reads its voltage
    cli = nir.CubaLI(
        tau_syn=np.array([0.002]),
        tau_mem=np.array([0.004]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
    )
    one = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([1])}),
            "w": nir.Linear(weight=np.ones((1, 1))),
            "pop": cli,
            "out": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("in", "w"), ("w", "pop"), ("pop", "out")],
    )
    graph = from_nir(one, dt=1e-3)
    pop = graph.nodes["pop"]
    assert isinstance(pop, ir.LIF) and pop.threshold[0] > 1e29
    assert graph.nodes["out"].value == "voltage"  # read by its voltage, as an LI
    # x = 1 every step; euler with dt = 1 ms: alpha_syn = 1 - 1/2 = .5, input factor
    # dt w_in / tau_syn = .5 (folded into w), alpha = 1 - 1/4 = .75, gain = dt r / tau = .25.
    # i[0] = 0 (the delay), i[t >= 1] = .5; c[t] = .5 c[t-1] + i[t] = 0, .5, .75, .875;
    # v[t] = .75 v[t-1] + .25 c[t] = 0, .125, .28125, .4296875
    res = get_backend("torch").compile(graph, dtype="float64").run(np.ones((1, 4, 1)))
    np.testing.assert_allclose(res.outputs[0, :, 0], [0.0, 0.125, 0.28125, 0.4296875])


def test_integrator_i_hand_run_and_export() -> None:
    # I: v[t] = v[t-1] + dt r i[t], no leak, no threshold. Input 1 every step through w = 1,
    # dt r = 0.25 and the one-step delay: v = 0, .25, .5, .75, 1, 1.25
    g = _lif_graph(nir.I(r=np.array([250.0, 250.0, 250.0])), n_in=1)
    graph = from_nir(g, dt=1e-3)
    pop = graph.nodes["pop"]
    assert isinstance(pop, ir.LI) and np.all(pop.alpha == 1.0)
    np.testing.assert_allclose(pop.gain, 0.25)
    res = get_backend("torch").compile(graph, dtype="float64").run(np.ones((1, 6, 1)))
    w = np.arange(3) / 10  # _lif_graph's weights for one input
    np.testing.assert_allclose(res.outputs[0], np.outer([0, 0.25, 0.5, 0.75, 1.0, 1.25], w))
    # and written back as NIR's integrator (an LI's tau would be infinite)
    back = to_nir(graph)
    assert isinstance(back.nodes["pop"], nir.I)
    np.testing.assert_allclose(back.nodes["pop"].r, 250.0)


def test_structure_mapping_identity_synapses_and_passthrough_readout() -> None:
    n = 2
    g = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([n])}),
            "lif": nir.LIF(
                tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)
            ),
            "aff": nir.Affine(weight=np.ones((1, n)), bias=np.array([0.5])),
            "out": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("in", "lif"), ("lif", "aff"), ("aff", "out")],
    )
    graph = from_nir(g, dt=1e-3)
    assert ("in", "in->lif") in graph.edges and ("in->lif", "lif") in graph.edges
    np.testing.assert_array_equal(graph.nodes["in->lif"].weight, np.eye(n))
    assert isinstance(graph.nodes["aff.out"], ir.LI) and ("aff.out", "out") in graph.edges
    assert graph.metadata["nir"]["latency"] == 2


def test_export_without_extension_reads_as_plain_nir() -> None:
    graph = srnn_graph()
    ng = to_nir(graph, dt=1e-3)
    assert isinstance(ng.nodes["L0"], nir.LIF)  # ALIF as LIF with threshold b0
    np.testing.assert_allclose(ng.nodes["L0"].v_threshold, graph.nodes["L0"].b0)
    np.testing.assert_allclose(ng.nodes["L0"].tau, 1e-3 / (1 - graph.nodes["L0"].alpha))
    assert isinstance(ng.nodes["readout"], nir.LI) and isinstance(ng.nodes["L0.ff"], nir.Affine)
    for node in ng.nodes.values():
        node.metadata = {}
    ng.metadata = {}
    plain = from_nir(ng, dt=1e-3)
    np.testing.assert_allclose(plain.nodes["readout"].alpha, graph.nodes["readout"].alpha)
    np.testing.assert_allclose(plain.nodes["readout"].gain, graph.nodes["readout"].gain)
    assert isinstance(plain.nodes["L0"], ir.LIF)  # the adaptation needs the extension


def test_rejected_inputs(tmp_path) -> None:
    lif = nir.LIF(
        tau=np.full(3, 0.01),
        r=np.ones(3),
        v_leak=np.zeros(3),
        v_threshold=np.ones(3),
        v_reset=np.full(3, 0.2),
    )
    with pytest.raises(NeurocompileError, match=r"'pop' \(LIF\): v_reset != 0 is not supported"):
        from_nir(_lif_graph(lif), dt=1e-3)
    fast = nir.LIF(tau=np.full(3, 1e-4), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3))
    with pytest.raises(NeurocompileError, match=r"time constant 0.0001 s is below dt = 0.001 s"):
        from_nir(_lif_graph(fast), dt=1e-3)
    with pytest.raises(NeurocompileError, match=r"NIR dt None must be > 0 seconds"):
        from_nir(_lif_graph(fast), dt=None)  # type: ignore[arg-type]
    thr = nir.Threshold(threshold=np.ones(3))
    with pytest.raises(NeurocompileError, match=r"'pop' \(Threshold\) is not supported; supported"):
        from_nir(_lif_graph(thr), dt=1e-3)
    bad = tmp_path / "bad.nir"
    bad.write_text("not hdf5")
    with pytest.raises(ModelFileError, match=r"bad.nir: not a readable NIR file"):
        load_nir(bad, dt=1e-3)


def test_nested_subgraph_is_flattened() -> None:
    """A recurrent layer as a nested NIRGraph (how snnTorch writes RLeaky before nirtorch)."""
    n = 3
    sub = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([n])}),
            "lif": nir.LIF(
                tau=np.full(n, 0.01), r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n)
            ),
            "w_rec": nir.Linear(weight=np.eye(n) * 0.5),
            "output": nir.Output(output_type={"output": np.array([n])}),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    top = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([2])}),
            "w": nir.Linear(weight=np.ones((n, 2))),
            "rl": sub,
            "out": nir.Output(output_type={"output": np.array([n])}),
        },
        edges=[("in", "w"), ("w", "rl"), ("rl", "out")],
    )
    graph = from_nir(top, dt=1e-3)
    assert set(graph.nodes) == {"in", "w", "rl.lif", "rl.w_rec", "out"}
    assert ("w", "rl.lif") in graph.edges and ("rl.lif", "rl.w_rec") in graph.edges
    assert ("rl.w_rec", "rl.lif") in graph.edges and ("rl.lif", "out") in graph.edges
    assert graph.metadata["nir"]["latency"] == 1
