"""Pricing of a tiny hand-made Counters with the Loihi 1 table (Davies 2018 Table 2)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neurocompile.backend import Counters
from neurocompile.compiler.chips import LOIHI1, LOIHI2
from neurocompile.energy.pricing import price_counters


def _counters() -> Counters:
    # 2 steps x 2 cores, summed over 2 samples
    return Counters(
        syn_ops=np.array([[10, 0], [4, 6]]),
        neuron_updates_active=np.array([[1, 0], [2, 1]]),
        neuron_updates_inactive=np.array([[3, 4], [2, 3]]),
        spikes_in_tile=np.array([[1, 0], [0, 2]]),
        spike_hops_ew=np.array([[0, 2], [0, 0]]),
        spike_hops_ns=np.array([[0, 0], [1, 0]]),
        cores=("a[0:4]", "b[0:4]"),
        samples=2,
    )


def test_loihi1_dynamic_energy_by_hand():
    e = price_counters(_counters(), LOIHI1, step_time_s=2e-6)
    # per inference (sum / 2 samples): syn 20/2=10 ops * 23.6 = 236 pJ; active 4/2=2 * 81 = 162;
    # inactive 12/2=6 * 52 = 312; in tile 3/2=1.5 * 1.7 = 2.55; ew 2/2=1 * 3.0 = 3; ns 0.5 * 4 = 2
    assert e.counts["syn_ops"] == 10
    assert e.by_op_pj["syn_ops"] == pytest.approx(236.0)
    assert e.by_op_pj["neuron_updates_active"] == pytest.approx(162.0)
    assert e.by_op_pj["neuron_updates_inactive"] == pytest.approx(312.0)
    assert e.by_op_pj["spikes_in_tile"] == pytest.approx(2.55)
    assert e.by_op_pj["spike_hops_ew"] == pytest.approx(3.0)
    assert e.by_op_pj["spike_hops_ns"] == pytest.approx(2.0)
    total_pj = 236 + 162 + 312 + 2.55 + 3 + 2
    assert e.dynamic_j_per_inference == pytest.approx(total_pj * 1e-12)
    assert e.dynamic_j_per_step == pytest.approx(total_pj / 2 * 1e-12)
    # step 0 per inference: (10*23.6 + 1*81 + 7*52 + 1*1.7 + 2*3.0) / 2 = 344.35 pJ
    assert e.per_step_pj[0] == pytest.approx(344.35)
    assert e.per_step_pj.sum() == pytest.approx(total_pj)
    # core a: (14*23.6 + 3*81 + 5*52 + 1*1.7 + 1*4) / 2 = 419.55 pJ
    assert e.per_core_pj[0] == pytest.approx(419.55)
    # static: 0.1 W * 2 steps * 2 us = 0.4 uJ; latency 4 us; 250,000 inferences/s
    assert e.latency_s == pytest.approx(4e-6)
    assert e.static_j_per_inference == pytest.approx(0.4e-6)
    assert e.total_j_per_inference == pytest.approx(0.4e-6 + total_pj * 1e-12)
    assert e.total_j_per_step == pytest.approx((0.4e-6 + total_pj * 1e-12) / 2)
    assert e.inferences_per_s == pytest.approx(250_000)
    assert "pre-silicon" in e.table and "Davies" in e.table


def test_ltc_gate_macs_are_priced_as_synaptic_ops():
    import dataclasses

    c = dataclasses.replace(_counters(), gate_ops=np.array([[6, 0], [0, 4]]))
    base = price_counters(_counters(), LOIHI1)
    e = price_counters(c, LOIHI1)
    # 10 gate MACs over 2 samples: 5 per inference x 23.6 pJ = 118 pJ, on cores a 3 and b 2
    assert e.counts["gate_ops"] == 5 and e.by_op_pj["gate_ops"] == pytest.approx(118.0)
    assert e.dynamic_j_per_inference - base.dynamic_j_per_inference == pytest.approx(118e-12)
    np.testing.assert_allclose(e.per_core_pj - base.per_core_pj, [3 * 23.6, 2 * 23.6])
    assert base.counts["gate_ops"] == 0  # absent: zeros


def test_loihi2_is_labelled_approximate_and_unknown_time_leaves_static_open():
    e = price_counters(_counters(), LOIHI2)
    assert "approximation" in e.table
    assert e.static_j_per_inference is None and e.total_j_per_inference is None
    assert e.inferences_per_s is None
    d = e.to_dict()
    assert d["estimate"] is True and d["energy_table"] == LOIHI2.energy_source


@settings(max_examples=40, deadline=None)
@given(
    a=arrays(np.int64, (3, 2), elements=st.integers(0, 1000)),
    b=arrays(np.int64, (3, 2), elements=st.integers(0, 1000)),
    sa=st.integers(1, 5),
    sb=st.integers(1, 5),
)
def test_pricing_is_additive_over_runs(a, b, sa, sb):
    # two runs of the same executable: energy per inference of the sum is the sample-weighted mean
    def counters(x, samples):
        return Counters(
            syn_ops=x, neuron_updates_active=x // 3, neuron_updates_inactive=x // 2,
            spikes_in_tile=x // 5, spike_hops_ew=x // 7, spike_hops_ns=x // 11,
            cores=("p[0:1]", "p[1:2]"), samples=samples,
        )  # fmt: skip

    ea = price_counters(counters(a, sa), LOIHI1).dynamic_j_per_inference
    eb = price_counters(counters(b, sb), LOIHI1).dynamic_j_per_inference
    both = price_counters(counters(a, sa) + counters(b, sb), LOIHI1).dynamic_j_per_inference
    assert both == pytest.approx((ea * sa + eb * sb) / (sa + sb), rel=1e-12, abs=1e-18)
