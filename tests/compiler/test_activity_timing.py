"""Activity counters and the step-time model, counted by hand."""

import numpy as np

from neurocompile import ir
from neurocompile.backend import Counters
from neurocompile.compiler.activity import count_activity
from neurocompile.compiler.chips import LOIHI1
from neurocompile.compiler.coremap import Core, CoreMap
from neurocompile.compiler.timing import step_timing


def network():
    """x (2) -> a (LIF 2, cores a0 @ tile (0,0)) -> b (LIF 3: b0 [0:2] @ (0,0), b1 [2:3] @ (2,1))."""
    nodes = {
        "x": ir.Input(size=2, kind="spikes"),
        "xa": ir.Dense(weight=np.array([[1.0, 0.0], [1.0, 1.0]])),
        "a": ir.LIF(size=2, alpha=0.5, gain=1.0),
        "ab": ir.Dense(weight=np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
        "b": ir.LIF(size=3, alpha=0.5, gain=1.0),
        "bo": ir.Dense(weight=np.ones((1, 3))),
        "o": ir.LI(size=1, alpha=0.5, gain=1.0),
        "y": ir.Output(size=1),
    }
    edges = [
        ("x", "xa"),
        ("xa", "a"),
        ("a", "ab"),
        ("ab", "b"),
        ("b", "bo"),
        ("bo", "o"),
        ("o", "y"),
    ]
    cmap = CoreMap(
        "loihi1",
        (
            Core(0, "a", 0, 2, x=0, y=0),
            Core(1, "b", 0, 2, x=0, y=0),
            Core(2, "b", 2, 3, x=2, y=1),
            Core(3, "o", 0, 1, x=0, y=1),
        ),
    )
    return ir.Graph(nodes, edges, {}), cmap


def test_counters_by_hand():
    g, cmap = network()
    # two samples, two steps; sample 0: x = [1, 1] at t0, a spikes [1, 0] at t0, [1, 1] at t1
    # sample 1: nothing at all
    inputs = {"x": np.array([[[1, 1], [0, 0]], [[0, 0], [0, 0]]])}
    spikes = {
        "a": np.array([[[1, 0], [1, 1]], [[0, 0], [0, 0]]], np.uint8),
        "b": np.zeros((2, 2, 3), np.uint8),
    }
    c = count_activity(g, spikes, inputs, cmap)
    assert c.samples == 2 and c.cores == ("a[0:2]", "b[0:2]", "b[2:3]", "o[0:1]")
    # syn ops at t0 on core a: input 0 reaches a0, a1 (2); input 1 reaches a1 (1) -> 3
    # a spikes: neuron 0 reaches b0 (core 1) and b2 (core 2); neuron 1 reaches b1 (core 1), b2
    # t0: a0 spikes -> core1 1 op, core2 1 op; t1: a0, a1 -> core1 2 ops, core2 2 ops
    np.testing.assert_array_equal(c.syn_ops, [[3, 1, 1, 0], [0, 2, 2, 0]])
    np.testing.assert_array_equal(c.neuron_updates_active, [[1, 0, 0, 0], [2, 0, 0, 0]])
    # inactive: 2 samples x core size - active
    np.testing.assert_array_equal(c.neuron_updates_inactive, [[3, 4, 2, 2], [2, 4, 2, 2]])
    # routing from core a (tile (0,0)): each spike goes to core 1 (same tile) and core 2
    # (tile (2,1): 2 E-W hops, 1 N-S hop)
    np.testing.assert_array_equal(c.spikes_in_tile, [[1, 0, 0, 0], [2, 0, 0, 0]])
    np.testing.assert_array_equal(c.spike_hops_ew, [[2, 0, 0, 0], [4, 0, 0, 0]])
    np.testing.assert_array_equal(c.spike_hops_ns, [[1, 0, 0, 0], [2, 0, 0, 0]])


def test_step_time_by_hand():
    z = np.zeros((1, 2), np.int64)
    c = Counters(
        syn_ops=np.array([[10, 0]]),
        neuron_updates_active=np.array([[1, 0]]),
        neuron_updates_inactive=np.array([[3, 4]]),
        spikes_in_tile=z,
        spike_hops_ew=np.array([[0, 2]]),
        spike_hops_ns=z,
        gate_ops=np.array([[0, 10]]),
        cores=("a", "b"),
        samples=1,
    )
    t = step_timing(c, LOIHI1, tiles=1)
    # core a: 10 x 3.5 + 8.4 + 3 x 5.3 = 59.3 ns; core b: 4 x 5.3 + 2 x 4.1 + 10 gate MACs
    # x 3.5 (a synaptic op each) = 64.4 ns; step = slowest core + barrier for 1 tile (113 ns)
    np.testing.assert_allclose(t.core_ns, [[59.3, 64.4]])
    np.testing.assert_allclose(t.step_ns, [177.4])
    assert LOIHI1.barrier_ns(32) == 465.0


def ltc_network():
    """x (2) -> h (LTC 3: h0 [0:2] @ tile (0,0), h1 [2:3] @ (2,1)) -> o (LI 1 @ (0,1)).

    Gate weights (columns: i0 i1 i2 | v0 v1 v2, resp. | eta0 eta1 eta2), nonzero where 1:
    membrane gate row 0 reads i0 and v2, row 2 reads i1 and v0; threshold gate row 1 reads i2,
    row 2 reads eta1.
    """
    m = np.zeros((3, 6))
    m[0, 0] = m[0, 5] = m[2, 1] = m[2, 3] = 1.0
    a = np.zeros((3, 6))
    a[1, 2] = a[2, 4] = 1.0
    nodes = {
        "x": ir.Input(size=2, kind="spikes"),
        "xh": ir.Dense(weight=np.ones((3, 2))),
        "h": ir.LTC(
            size=3,
            gate_m_weight=m,
            gate_m_bias=np.zeros(3),
            gate_adp_weight=a,
            gate_adp_bias=np.zeros(3),
        ),
        "ho": ir.Dense(weight=np.ones((1, 3))),
        "o": ir.LI(size=1, alpha=0.5, gain=1.0),
        "y": ir.Output(size=1),
    }
    edges = [("x", "xh"), ("xh", "h"), ("h", "ho"), ("ho", "o"), ("o", "y")]
    cmap = CoreMap(
        "loihi2",
        (
            Core(0, "h", 0, 2, x=0, y=0),
            Core(1, "h", 2, 3, x=2, y=1),
            Core(2, "o", 0, 1, x=0, y=1),
        ),
    )
    return ir.Graph(nodes, edges, {}), cmap


def test_ltc_gate_ops_and_state_messages_by_hand():
    g, cmap = ltc_network()
    # two samples, two steps, no input and no spike: only the gates work
    inputs = {"x": np.zeros((2, 2, 2))}
    c = count_activity(g, {"h": np.zeros((2, 2, 3), np.uint8)}, inputs, cmap)
    assert c.syn_ops.sum() == 0
    # h0 (rows 0, 1): 2 membrane-gate weights + 1 threshold-gate weight; h1 (row 2): 2 + 1;
    # times 2 samples, every step
    np.testing.assert_array_equal(c.gate_ops, [[6, 6, 0], [6, 6, 0]])
    # h0's gates read i2 and v2 of neuron 2 (on h1): 2 messages h1 -> h0 per step;
    # h1's gate reads v0, i1 and eta1 (on h0): 3 messages h0 -> h1. Between tiles (0,0) and
    # (2,1): 2 E-W hops and 1 N-S hop each, counted on the sender, times 2 samples
    np.testing.assert_array_equal(c.spikes_in_tile, np.zeros((2, 3)))
    np.testing.assert_array_equal(c.spike_hops_ew, [[12, 8, 0], [12, 8, 0]])
    np.testing.assert_array_equal(c.spike_hops_ns, [[6, 4, 0], [6, 4, 0]])


def test_placement_gate_traffic_is_the_counted_messages():
    from neurocompile.compiler.place import gate_traffic

    g, cmap = ltc_network()
    # per step: h1's gates read v0, i1 and eta1 on h0 (3 messages h0 -> h1), h0's gates read
    # i2 and v2 on h1 (2 messages h1 -> h0); the LI core has no gates
    np.testing.assert_array_equal(gate_traffic(g, cmap), [[0, 3, 0], [2, 0, 0], [0, 0, 0]])


def test_ltc_gate_memory_fan_in_and_fan_out_by_hand():
    from neurocompile.compiler.chips import LOIHI2
    from neurocompile.compiler.resources import gate_weights, piece_usage, stored
    from neurocompile.compiler.split import fan_out

    g, _ = ltc_network()
    assert gate_weights(g.nodes["h"]) == 6 and gate_weights(g.nodes["o"]) == 0
    # piece [0:2]: input synapses 2 rows x 2 axons x 8 bits = 32; membrane gate rows 0-1 use
    # columns i0, v2: 2 x 2 x 8 = 32; threshold gate column i2: 2 x 1 x 8 = 16 -> 80 bits.
    # Fan-in: 2 input axons + i2 and v2 from the other piece
    u = piece_usage(g, "h", 0, 2, LOIHI2)
    assert (u.synaptic_memory_bits, u.fan_in_axons) == (80, 4)
    # piece [2:3]: 1 x 2 x 8 = 16; membrane gate columns i1, v0: 16; threshold gate eta1: 8;
    # fan-in 2 + i1, v0, eta1
    u = piece_usage(g, "h", 2, 3, LOIHI2)
    assert (u.synaptic_memory_bits, u.fan_in_axons) == (40, 5)
    # one piece: 3 x 2 x 8 = 48; membrane gate columns i0 i1 v0 v2: 96; threshold i2 eta1: 48;
    # every state value is local
    u = piece_usage(g, "h", 0, 3, LOIHI2)
    assert (u.synaptic_memory_bits, u.fan_in_axons) == (192, 2)
    # fan-out: each neuron has one synapse into o (h0: 2 axons, h1: 1), plus the state values
    # the other piece's gates read (h0 sends 3, h1 sends 2)
    cache = {d: stored(g.nodes[d]) for d in ("xh", "ho")}
    out = fan_out(g, {"h": [(0, 2), (2, 3)], "o": [(0, 1)]}, cache)
    assert out == {("h", 0): 5, ("h", 1): 3}
