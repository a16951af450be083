"""Split sizes against hand counts, placement validity, and every limit's error message."""

import dataclasses

import numpy as np
import pytest

from neurocompile import ir
from neurocompile.compiler.chips import LOIHI1, LOIHI2, get_chip
from neurocompile.compiler.context import Context
from neurocompile.compiler.coremap import Core, CoreMap, core_map_of
from neurocompile.compiler.pipeline import PIPELINE, compile_graph
from neurocompile.compiler.place import (
    DEFAULT_RATE,
    cost,
    improve,
    place,
    slot_distances,
    slot_position,
    traffic,
)
from neurocompile.compiler.report import make_report, render_text
from neurocompile.compiler.split import bounds
from neurocompile.compiler.validate import validate
from neurocompile.errors import ChipLimitError, ModelFileError, NeurocompileError


def tiny_chip(**core):
    """Loihi 1 with tiny per-core limits, so hand counts stay small."""
    limits = {
        "compartments": 10,
        "fan_in_axons": 30,
        "fan_out_axons": 20,
        "synaptic_memory_bits": 400,
        "compartment_configs": 4,
    }
    limits.update(core)
    return dataclasses.replace(LOIHI1, name="tiny", core=dataclasses.replace(LOIHI1.core, **limits))


def chain(n_in=6, n=25, classes=3, alpha=0.9, mask=None):
    """x (spikes) -> h (LIF) -> ro (LI); all weights nonzero unless masked."""
    rng = np.random.default_rng(0)
    w = rng.uniform(0.2, 1.0, (n, n_in)) * rng.choice([-1, 1], (n, n_in))
    nodes = {
        "x": ir.Input(size=n_in, kind="spikes"),
        "ff": ir.Dense(weight=w, mask=mask),
        "h": ir.LIF(size=n, alpha=alpha, gain=0.1),
        "out": ir.Dense(weight=rng.uniform(0.2, 1.0, (classes, n))),
        "ro": ir.LI(size=classes, alpha=0.9, gain=0.1),
        "y": ir.Output(size=classes, classes=classes),
    }
    edges = [("x", "ff"), ("ff", "h"), ("h", "out"), ("out", "ro"), ("ro", "y")]
    return ir.Graph(nodes, edges, {})


def sizes(graph, node):
    return [c.size for c in core_map_of(graph).of_node(node)]


def test_bounds_are_contiguous_and_balanced():
    assert bounds(25, 4) == [(0, 7), (7, 13), (13, 19), (19, 25)]


def test_split_hand_counts_memory_and_compartments():
    # h: 25 neurons, 10 per core by compartments (3 cores), but each neuron stores 6 axons x
    # 8 bits = 48 bits and a core holds 400 bits: 8 neurons per core -> 4 cores of 7,6,6,6.
    # ro: 3 neurons x 25 axons x 8 bits = 600 > 400 -> 2 cores of 2 (400 bits) and 1.
    q, ctx = compile_graph(chain(), tiny_chip())
    assert sizes(q, "h") == [7, 6, 6, 6]
    assert sizes(q, "ro") == [2, 1]
    assert ctx.report["split"]["cores_per_layer"] == {"h": 4, "ro": 2}


def test_split_for_fan_out():
    # with 12 output axons per core, a piece of 7 h neurons each sending to both ro cores
    # needs 14: h is cut into 5 pieces of 5 (10 axons each)
    q, _ = compile_graph(chain(), tiny_chip(fan_out_axons=12))
    assert sizes(q, "h") == [5, 5, 5, 5, 5]


def test_split_real_chip_hand_count():
    # Loihi 1: 1000 LIF neurons with 700 dense inputs need 700 x 8 = 5600 bits each; a core's
    # 1,048,576 bits hold 187 -> ceil(1000 / 187) = 6 cores (167 neurons = 935,200 bits)
    q, _ = compile_graph(chain(n_in=700, n=1000), "loihi1")
    assert sizes(q, "h") == [167, 167, 167, 167, 166, 166]
    q2, _ = compile_graph(chain(n_in=700, n=1000), "loihi2")
    assert sizes(q2, "h") == [1000]


def test_sparse_mask_uses_the_cheaper_format():
    # mask keeps 1 of 6 inputs per neuron: sparse costs 1 x (8 + ceil(log2 10) = 4) = 12 bits
    # per neuron instead of 6 x 8 = 48 dense: 25 neurons fit by memory, compartments give 3
    mask = np.zeros((25, 6), np.int8)
    mask[np.arange(25), np.arange(25) % 6] = 1
    q, _ = compile_graph(chain(mask=mask), tiny_chip())
    assert sizes(q, "h") == [9, 8, 8]


def test_fan_in_error_names_layer_limit_excess_and_fix():
    with pytest.raises(
        ChipLimitError,
        match=r"split pass \(after quantize\): layer 'h': fan in axons 40 exceeds "
        r"Intel Loihi 1 core limit 30 by 10 even with one neuron per core; "
        r"reduce the inputs of the layer .* or use --chip loihi2",
    ):
        compile_graph(chain(n_in=40), tiny_chip())


def test_loihi1_fan_in_limit_real_numbers():
    with pytest.raises(
        ChipLimitError,
        match=r"layer 'h': fan in axons 5000 exceeds Intel Loihi 1 "
        r"core limit 4096 by 904",
    ):
        compile_graph(chain(n_in=5000, n=2), "loihi1")


def test_configs_clustered_on_loihi1_and_reported():
    g = chain(n=10, alpha=np.linspace(0.5, 0.99, 10))
    q, ctx = compile_graph(g, tiny_chip(synaptic_memory_bits=10**6))
    dv = q.nodes["h"].dv
    assert len(set(dv.tolist())) <= 4
    info = ctx.report["split"]["clustered"]["h"]
    assert info["neurons_changed"] > 0 and 0 < info["max_alpha_change"] < 0.25
    assert any("clustered to 4 configurations" in w for w in ctx.warnings)
    q2, _ = compile_graph(g, "loihi2")  # programmable: no config table, decays untouched
    assert len(set(q2.nodes["h"].dv.tolist())) == 10


def test_placement_is_valid_and_not_worse():
    q, ctx = compile_graph(chain(n_in=700, n=1000), "loihi1")
    cmap = core_map_of(q)
    slots = {(c.chip, c.slot) for c in cmap.cores}
    assert len(slots) == len(cmap.cores)
    for c in cmap.cores:
        assert 0 <= c.slot < 128
        assert (c.x, c.y) == slot_position(LOIHI1, c.chip * 128 + c.slot)[2:]
    p = ctx.report["place"]
    assert p["cost_pj_per_step"] <= p["cost_pj_per_step_initial"]


def test_swap_search_improves_a_bad_order():
    # 6 cores on 4-core tiles: heavy traffic between core 0 and core 5, which the snake order
    # puts on different tiles; the swap search must bring them together
    chip = LOIHI1
    d = slot_distances(chip, 8)
    t = np.zeros((8, 8))
    t[0, 5] = t[5, 0] = 10.0
    t[1, 2] = 1.0
    pos0 = np.arange(8)
    pos, swaps = improve(t, d, pos0)
    assert swaps >= 1
    assert cost(t, d, pos) < cost(t, d, pos0)
    a, b = (slot_position(chip, int(pos[i]))[2:] for i in (0, 5))
    assert a == b  # same tile
    # the incremental swap gains agree with recomputed costs: no swap improves further
    for i in range(8):
        for j in range(i + 1, 8):
            p2 = pos.copy()
            p2[i], p2[j] = p2[j], p2[i]
            assert cost(t, d, p2) >= cost(t, d, pos) - 1e-9


def test_ltc_gate_messages_pull_cores_together():
    # an LTC population of 16 on 8 cores of 2 (snake order: cores 0-3 on tile 0, 4-7 on
    # tile 1) whose cores 0 and 7 read each other's voltage and threshold trace in their gates:
    # 2 neurons x 2 values = 4 graded messages each way every step, and no spike between them
    n = 16
    m, a = np.zeros((n, 2 * n)), np.zeros((n, 2 * n))
    m[np.ix_([0, 1], [n + 14, n + 15])] = m[np.ix_([14, 15], [n + 0, n + 1])] = 1.0
    a[np.ix_([0, 1], [n + 14, n + 15])] = a[np.ix_([14, 15], [n + 0, n + 1])] = 1.0
    z = np.zeros(n)
    nodes = {
        "x": ir.Input(size=2, kind="spikes"),
        "xh": ir.Dense(weight=np.ones((n, 2))),
        "h": ir.LTC(size=n, gate_m_weight=m, gate_m_bias=z, gate_adp_weight=a, gate_adp_bias=z),
        "ho": ir.Dense(weight=np.ones((1, n))),
        "o": ir.LI(size=1, alpha=0.5, gain=1.0),
        "y": ir.Output(size=1),
    }
    edges = [("x", "xh"), ("xh", "h"), ("h", "ho"), ("ho", "o"), ("o", "y")]
    cores = tuple(Core(k, "h", 2 * k, 2 * k + 2) for k in range(8)) + (Core(8, "o", 0, 1),)
    g = ir.Graph(nodes, edges, {"core_map": CoreMap("loihi1", cores).to_dict()})
    ctx = Context(LOIHI1)
    placed = core_map_of(place(g, ctx)).cores
    assert (placed[0].x, placed[0].y) == (placed[7].x, placed[7].y)  # one tile: no hops
    # the snake order's cost: the spikes of h to the readout, plus the 8 gate messages per
    # step between tiles 0 and 1, one E-W hop each
    rates = {"h": np.full(n, DEFAULT_RATE), "o": np.zeros(1)}
    t = np.zeros((128, 128))
    t[:9, :9] = traffic(g, CoreMap("loihi1", cores), rates)
    spikes_only = cost(t, slot_distances(LOIHI1, 128), np.arange(128))
    assert ctx.report["place"]["cost_pj_per_step_initial"] == pytest.approx(
        spikes_only + 8 * LOIHI1.energy_pj.hop_ew
    )


def test_split_dense_ltc_reports_its_gate_messages():
    # 1024 LTC neurons with dense gates do not fit one Loihi 2 core: every piece's gates read
    # all (i, v, eta) values of the neurons on the other pieces, every step
    n, rng = 1024, np.random.default_rng(0)
    gates = {
        f"gate_{k}_{w}": rng.normal(0, 0.1, (n, 2 * n)) if w == "weight" else np.zeros(n)
        for k in ("m", "adp")
        for w in ("weight", "bias")
    }
    nodes = {
        "x": ir.Input(size=2, kind="spikes"),
        "xh": ir.Dense(weight=rng.normal(0, 1, (n, 2))),
        "h": ir.LTC(size=n, **gates),
        "ho": ir.Dense(weight=rng.normal(0, 1, (1, n))),
        "o": ir.LI(size=1, alpha=0.5, gain=1.0),
        "y": ir.Output(size=1),
    }
    edges = [("x", "xh"), ("xh", "h"), ("h", "ho"), ("ho", "o"), ("o", "y")]
    q, ctx = compile_graph(ir.Graph(nodes, edges, {}), "loihi2")
    pieces = len(core_map_of(q).of_node("h"))
    assert pieces > 1
    assert ctx.report["place"]["gate_messages_per_step"] == n * 3 * (pieces - 1)
    text = render_text(make_report(q, ctx, "random LTC"))
    assert f"LTC gate-message ({n * 3 * (pieces - 1):.4g} per step) routing" in text


def test_multi_chip_placement():
    chip = dataclasses.replace(
        LOIHI1, mesh=dataclasses.replace(LOIHI1.mesh, cores=4, tiles_x=1, tiles_y=1)
    )
    q, ctx = compile_graph(chain(), dataclasses.replace(tiny_chip(), mesh=chip.mesh))
    cmap = core_map_of(q)
    assert cmap.chips_used == 2 and ctx.report["place"]["chips"] == 2
    assert {c.x for c in cmap.cores if c.chip == 1} == {1}  # chip 1 is one tile column east


def _mapped():
    q, _ = compile_graph(chain(), tiny_chip())
    return q


@pytest.mark.parametrize(
    "quantity,change,pattern",
    [
        (
            "compartments",
            {"compartments": 5},
            r"layer 'h': compartments on core h\[0:7\] 7 exceeds Intel Loihi 1 core limit 5 by 2; re-run the split",
        ),
        (
            "fan_in",
            {"fan_in_axons": 5},
            r"layer 'h': fan in axons on core h\[0:7\] 6 exceeds .* limit 5 by 1; reduce the inputs",
        ),
        (
            "fan_out",
            {"fan_out_axons": 10},
            r"layer 'h': fan out axons on core h\[0:7\] 14 exceeds .* limit 10 by 4; split the layer",
        ),
        (
            "memory",
            {"synaptic_memory_bits": 300},
            r"layer 'h': synaptic memory bits on core h\[0:7\] 336 exceeds .* limit 300 by 36; prune",
        ),
    ],
)
def test_validate_every_core_limit(quantity, change, pattern):
    q = _mapped()
    with pytest.raises(ChipLimitError, match=pattern):
        validate(q, Context(tiny_chip(**change)))


def test_validate_configs_limit():
    q = _mapped()
    q.nodes["h"].dv = np.arange(25) * 10  # 7 distinct decays on the first core
    with pytest.raises(
        ChipLimitError,
        match=r"layer 'h': compartment configs on core h\[0:7\] 7 "
        r"exceeds .* limit 4 by 3; cluster the layer's time",
    ):
        validate(q, Context(tiny_chip()))


def test_validate_formats():
    q = _mapped()
    q.nodes["ff"].weight_mant = q.nodes["ff"].weight_mant + 1  # odd values: Lava truncates them
    with pytest.raises(ChipLimitError, match=r"synapse 'ff': weight mantissas are not 8-bit Lava"):
        validate(q, Context(tiny_chip()))
    q = _mapped()
    q.nodes["ff"].weight_exp = 9
    with pytest.raises(
        ChipLimitError, match=r"layer 'ff': weight exponent 9 exceeds .* limit 7 by 2"
    ):
        validate(q, Context(tiny_chip()))
    q = _mapped()
    q.nodes["h"].vth = np.full(25, 2**17)
    with pytest.raises(ChipLimitError, match=r"layer 'h': vth 131072 exceeds .* limit 131071 by 1"):
        validate(q, Context(tiny_chip()))
    q = _mapped()
    q.nodes["x"].payload_bits = 12
    with pytest.raises(
        ChipLimitError,
        match=r"layer 'x': input payload bits 12 exceeds .* limit 1 "
        r"by 11; encode the input as spikes",
    ):
        validate(q, Context(tiny_chip()))


def test_validate_duplicate_slot():
    q = _mapped()
    cmap = core_map_of(q)
    cores = list(cmap.cores)
    cores[1] = dataclasses.replace(cores[1], slot=cores[0].slot, chip=cores[0].chip)
    q.metadata["core_map"] = CoreMap(cmap.chip, tuple(cores)).to_dict()
    with pytest.raises(
        ChipLimitError,
        match=r"core h\[7:13\] is placed on chip 0 slot \d+, "
        r"already used by h\[0:7\]",
    ):
        validate(q, Context(tiny_chip()))


def test_utilization_rows():
    q = _mapped()
    rows = q.metadata["utilization"]
    first = rows[0]
    assert first["core"] == "h[0:7]"
    assert first["compartments"] == [7, 10] and first["fan_in_axons"] == [6, 30]
    assert first["synaptic_memory_bits"] == [336, 400] and first["fan_out_axons"] == [14, 20]


def test_invalid_input_graph_is_a_model_error():
    g = chain()
    g.edges.append(("x", "h"))  # Input -> neuron without a synapse
    with pytest.raises(ModelFileError, match=r"the input graph is invalid"):
        compile_graph(g, "loihi2")


def test_pipeline_is_one_named_list():
    assert [n for n, _ in PIPELINE] == ["fold", "quantize", "split", "place", "validate"]


def test_unknown_chip():
    with pytest.raises(
        NeurocompileError, match=r"unknown chip 'loihi3'; known chips: loihi1, loihi2"
    ):
        get_chip("loihi3")
    assert get_chip("Loihi-2") is LOIHI2
