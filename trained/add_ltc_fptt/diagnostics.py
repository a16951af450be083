"""Diagnostics of the Add-task driver ``train_add.py``: BPTT's full-sequence gradient norm
(``--grad-norm``), the output's sensitivity to tiny parameter changes (``--sensitivity``), the
gates' saturation (``--gate-inputs``), averaged outputs (``--ensemble``), the error by how long
a value must be held (``--hold-time``) and the voltage-readout network of
``--readout-voltage``."""

from __future__ import annotations

from pathlib import Path

import torch

from neurocompile.data.addtask import make_add_task
from neurocompile.nn import SRNN
from neurocompile.nn.model import detach_state

TEST_SEED = 10**6  # the driver's test set: 1000 sequences drawn with this seed


def predictions(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's answers (its output at the last step) for ``x [N, T, 2]``, in float64,
    computed 250 sequences at a time without gradients."""
    with torch.no_grad():
        return torch.cat([model(xb)[0][:, -1, 0].double() for xb in x.split(250)])


class VoltageReadoutSRNN(SRNN):
    """Diagnostic, not deployable: the readout integrates the last layer's membrane voltage
    (before reset) instead of its spikes, as the published SNN code reads ``lin(mem)``.

    The compiler and the chip only carry spikes from the hidden layer to the readout, so a run
    with ``--readout-voltage`` tells whether spike noise at the readout limits the error; its
    checkpoint is marked and refused by ``--finalize``, ``--grad-norm`` and ``--sensitivity``.
    """

    def run(self, x, state=None):  # type: ignore[override]
        state = self.init_state(x.shape[0]) if state is None else detach_state(state)
        h = x.transpose(0, 1).contiguous()
        spikes, new_state = {}, {}
        volts = h
        for i, m in enumerate(self.layers):
            h, volts, new_state[f"layers.{i}"] = m(h, state[f"layers.{i}"])
            spikes[f"layers.{i}"] = h.transpose(0, 1)
        _, v_out, new_state["readout"] = self.readout(volts, state["readout"])
        return v_out.transpose(0, 1), spikes, new_state


def refuse_voltage_readout(ckpt: Path) -> None:
    from neurocompile.checkpoint import read_checkpoint

    if read_checkpoint(ckpt).get("metrics", {}).get("readout_voltage"):
        raise SystemExit(
            f"error: {ckpt} reads the hidden voltages (--readout-voltage, a diagnostic); "
            "it cannot be compiled or shipped; pass a spike-readout run"
        )


def grad_norms(ckpt: Path, lengths: tuple[int, ...] = (100, 300, 1000)) -> None:
    """Print the gradient norm BPTT takes from ``ckpt`` on one batch of each sequence length.

    The full-sequence gradient of the last step's MSE (what one BPTT step uses before clipping),
    over all parameters; ``inf``/``nan`` is what makes a clipped step write NaN into the weights.
    """
    from neurocompile.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    model, _ = load_checkpoint(ckpt)
    print("| T | test-batch MSE | gradient norm (all parameters) | hidden layer | readout |")
    print("|---:|---:|---:|---:|---:|")
    for T in lengths:
        x, y = make_add_task(128, T, seed=TEST_SEED, quiet_tail=2)
        out, _ = model(torch.from_numpy(x))
        loss = torch.nn.functional.mse_loss(out[:, -1, 0], torch.from_numpy(y))
        model.zero_grad()
        loss.backward()

        def norm(prefix: str) -> float:
            gs = [
                p.grad
                for n, p in model.named_parameters()
                if n.startswith(prefix) and p.grad is not None
            ]
            return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in gs])))

        print(
            f"| {T} | {float(loss.detach()):.4f} | {norm(''):.3g} | {norm('layers'):.3g} "
            f"| {norm('readout'):.3g} |"
        )


def sensitivity(
    ckpt: Path, T: int = 1000, n: int = 1000, rels: tuple[float, ...] = (0.0, 1e-6, 1e-4, 1e-2)
) -> None:
    """Print how much the output of ``ckpt`` moves when its parameters move a little.

    Every parameter is multiplied by ``1 + rel * N(0, 1)`` (seeds 0 and 1); on the test set
    (``n`` sequences of length ``T``) each row gives the test MSE, the mean squared difference of
    the output to the unperturbed model's and the fraction of hidden spikes that differ. A
    network whose spike trains decorrelate under a tiny perturbation (chaos) carries that much
    noise in its output; the fixed-point chip model is such a perturbation too.
    """
    from neurocompile.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    model, _ = load_checkpoint(ckpt)
    x, y = make_add_task(n, T, seed=TEST_SEED, quiet_tail=2)
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()

    def outputs() -> tuple[torch.Tensor, torch.Tensor]:
        preds, spikes = [], []
        with torch.no_grad():
            for xb in x.split(250):
                out, sp = model(xb)
                preds.append(out[:, -1, 0].double())
                spikes.append(torch.cat([s.bool() for s in sp.values()], dim=-1))
        return torch.cat(preds), torch.cat(spikes)

    base = {k: v.clone() for k, v in model.state_dict().items()}
    names = {name for name, _ in model.named_parameters()}
    p0, s0 = outputs()
    print(
        f"| relative perturbation | seed | test MSE (T = {T}, {n} sequences) "
        "| mean squared output change | hidden spikes changed |"
    )
    print("|---:|---:|---:|---:|---:|")
    for rel in rels:
        for seed in (0,) if rel == 0 else (0, 1):
            g = torch.Generator().manual_seed(seed)
            model.load_state_dict(
                {
                    k: v * (1 + rel * torch.randn(v.shape, generator=g, dtype=v.dtype))
                    if k in names
                    else v
                    for k, v in base.items()
                }
            )
            p, sp = outputs()
            print(
                f"| {rel:g} | {seed} | {float(torch.mean((p - y) ** 2)):.4f} "
                f"| {float(torch.mean((p - p0) ** 2)):.3g} "
                f"| {float((sp != s0).double().mean()):.3g} |"
            )
    model.load_state_dict(base)


def gate_input(i: torch.Tensor, h: torch.Tensor, weight, bias: torch.Tensor) -> torch.Tensor:
    """The pre-activation ``z`` of ``neurocompile.nn.ltc.gate`` (same three forms)."""
    import torch.nn.functional as F

    if weight is None:
        return bias.expand_as(i)
    if weight.shape[1] == i.shape[-1]:
        return F.linear(i, weight, bias)
    return F.linear(torch.cat((i, h), dim=-1), weight, bias)


def _table_gate(lut: torch.Tensor, unity: int):
    """A ``neurocompile.nn.ltc.gate`` that looks the sigmoid up in an integer retention table
    as the chip does (``fixed.lut_lookup``: z floored to 1/256 steps, saturating at the table's
    ends), in float otherwise."""

    def gate(i, h, weight, bias):
        z = gate_input(i, h, weight, bias)
        k = torch.floor(z * 256.0).long() + len(lut) // 2
        return lut[k.clamp(0, len(lut) - 1)].to(z.dtype) / unity

    return gate


def gate_inputs(ckpt: Path, T: int = 1000, n: int = 250) -> None:
    """Print how far the LTC gates of ``ckpt`` saturate and what an integer sigmoid table costs.

    On the first ``n`` sequences of the driver's test set: the fraction of membrane (tau_m) and
    threshold (tau_adp) gate inputs ``z`` at or above 8 (where a 12-bit table over [-8, 8)
    stops, at retention 4095/4096) and at or above 10.69 (where the 16-bit table of
    ``neurocompile.compiler.fixed`` reaches 65535/65536); then the test MSE of the float model
    with its sigmoids in float, looked up in the old 12-bit table, and in the chip's 16-bit
    table (every other operation in float).
    """
    import numpy as np

    from neurocompile.checkpoint import load_checkpoint
    from neurocompile.compiler import fixed
    from neurocompile.nn import ltc

    torch.set_num_threads(1)
    model, _ = load_checkpoint(ckpt)
    x, y = make_add_task(n, T, seed=TEST_SEED, quiet_tail=2)
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()
    counts = {"membrane": [0, 0, 0], "threshold": [0, 0, 0]}
    sat16 = float(np.argmax(fixed.sigmoid_lut() == fixed.RET_UNITY - 1) - fixed.LUT_SIZE // 2)
    sat16 /= 1 << fixed.GATE_FRAC_BITS
    update, gate = ltc.ltc_update, ltc.gate

    def counting_update(i, state, p):
        with torch.no_grad():
            for name, w, b, h in (
                ("membrane", p.m_weight, p.m_bias, state.v),
                ("threshold", p.adp_weight, p.adp_bias, state.eta),
            ):
                z = gate_input(i, h, w, b)
                c = counts[name]
                c[0] += int((z >= 8).sum())
                c[1] += int((z >= sat16).sum())
                c[2] += z.numel()
        return update(i, state, p)

    def mse() -> float:
        return float(((predictions(model, x) - y) ** 2).mean())

    z = (torch.arange(4096, dtype=torch.float64) - 2048) / 256
    old = torch.round(4096 / (1 + torch.exp(-z))).long()
    new = torch.from_numpy(fixed.sigmoid_lut())
    rows = []
    try:
        ltc.ltc_update = counting_update
        rows.append(("float", mse()))
        ltc.ltc_update = update
        ltc.gate = _table_gate(old, 4096)
        rows.append(("12-bit table, z in [-8, 8)", mse()))
        ltc.gate = _table_gate(new, fixed.RET_UNITY)
        rows.append((f"{fixed.RET_BITS}-bit table, z in [-16, 16) (the chip's)", mse()))
    finally:
        ltc.ltc_update, ltc.gate = update, gate
    print(f"gate inputs z over {n} test sequences of length {T}:")
    for name, (c8, c16, total) in counts.items():
        print(
            f"  {name} gate: {c8 / total:.1%} at or above 8, {c16 / total:.1%} at or above {sat16}"
        )
    print(f"| sigmoid | test MSE (T = {T}, {n} sequences) |")
    print("|---|---:|")
    for label, value in rows:
        print(f"| {label} | {value:.6g} |")


def ensemble(ckpts: list[Path], T: int = 1000, n: int = 1000) -> None:
    """Print how much averaging the outputs of several models lowers the error.

    On the driver's test set (``n`` sequences of length ``T``): each model's MSE, then for every
    pair the MSE of their averaged output and the mean squared difference between their
    outputs, and the MSE of the average of all. If the models' errors were one shared bias the
    average would not help; if they are independent noise of equal size, the average of two
    halves it (the noise part of the error).
    """
    import itertools

    from neurocompile.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    x, y = make_add_task(n, T, seed=TEST_SEED, quiet_tail=2)
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()
    preds = []
    for ckpt in ckpts:
        preds.append((str(ckpt), predictions(load_checkpoint(ckpt)[0], x)))

    def mse(p: torch.Tensor) -> float:
        return float(((p - y) ** 2).mean())

    print(f"| models (T = {T}, {n} test sequences) | test MSE | mean squared difference |")
    print("|---|---:|---:|")
    for name, p in preds:
        print(f"| {name} | {mse(p):.4g} | |")
    for (a, pa), (b, pb) in itertools.combinations(preds, 2):
        diff = float(((pa - pb) ** 2).mean())
        print(f"| average of {a} and {b} | {mse((pa + pb) / 2):.4g} | {diff:.4g} |")
    if len(preds) > 2:
        mean = sum(p for _, p in preds) / len(preds)
        print(f"| average of all {len(preds)} | {mse(mean):.4g} | |")


HOLD_BINS = (
    (0, 10),
    (10, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, 600),
    (600, 750),
    (750, 900),
    (900, 1000),
)


def hold_time_rows(
    x: torch.Tensor, y: torch.Tensor, pred: torch.Tensor, bins=HOLD_BINS
) -> list[tuple[str, int, int, int, float]]:
    """Squared errors grouped by how long the network must hold a value: for each marker
    (first, second) and each bin ``[lo, hi)`` of steps from that marker to the last step,
    ``(marker, lo, hi, sequences, MSE)`` (empty bins left out)."""
    T = x.shape[1]
    pos = torch.stack([torch.nonzero(m).flatten() for m in x[:, :, 1]])  # [N, 2] marker steps
    err = (pred - y) ** 2
    rows = []
    for k, name in enumerate(("first", "second")):
        hold = T - 1 - pos[:, k]
        for lo, hi in bins:
            sel = (hold >= lo) & (hold < hi)
            if int(sel.sum()):
                rows.append((name, lo, hi, int(sel.sum()), float(err[sel].mean())))
    return rows


def hold_time(ckpts: list[Path], T: int = 1000, n: int = 1000) -> None:
    """Print each model's test MSE by the number of steps from each marker to the last step.

    A value seen at step t must be held for ``T - 1 - t`` steps; if the error grows with that
    time, the network's memory drifts, rather than its readout missing late markers.
    """
    from neurocompile.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    x, y = make_add_task(n, T, seed=TEST_SEED, quiet_tail=2)
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()
    for ckpt in ckpts:
        pred = predictions(load_checkpoint(ckpt)[0], x)
        print(f"{ckpt}: test MSE {float(((pred - y) ** 2).mean()):.4g} (T = {T}, {n} sequences)")
        print("| marker | steps from it to the end | sequences | test MSE |")
        print("|---|---|---:|---:|")
        for name, lo, hi, count, mse in hold_time_rows(x, y, pred):
            print(f"| {name} | {lo}-{hi - 1} | {count} | {mse:.4g} |")
