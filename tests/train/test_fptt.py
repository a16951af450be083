"""FPTT trainer (thesis eq. 4.1a-c, 4.2; seed 003 Algorithm 2)."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurocompile.data.addtask import BASELINE_MSE, make_add_task
from neurocompile.errors import NeurocompileError
from neurocompile.nn import SRNN, SRNNSpec
from neurocompile.nn.model import detach_state
from neurocompile.train.config import TrainerConfig
from neurocompile.train.fptt import FPTTConfig, fptt_step, part_bounds, part_loss
from neurocompile.train.loop import StepContext


def _model(seed: int = 1, hidden: int = 4) -> SRNN:
    return SRNN(
        SRNNSpec.from_dict(
            {
                "input_size": 2,
                "num_classes": 0,
                "decode": "last",
                "seed": seed,
                "layers": [{"size": hidden, "neuron": "ltc"}],
            }
        )
    )


def _ctx(model: nn.Module, opt: torch.optim.Optimizer, clip: float = 0.0, **options) -> StepContext:
    cfg = TrainerConfig(method="fptt", clip=clip, options=options)
    return StepContext(opt, cfg, "last", 0, [p for p in model.parameters() if p.requires_grad])


# the part weights omega_p (0-based p): thesis-like linear ramp, or what the published
# Add-task code computes, ``(p+1/PARTS) * loss`` = (p + 1/K) * loss
WEIGHTS = {"linear": lambda p, K: (p + 1) / K, "published": lambda p, K: p + 1 / K}


@pytest.mark.parametrize(
    "weighting, rate_penalty, noise, step_targets",
    [(w, 0.0, 0.0, False) for w in sorted(WEIGHTS)]
    + [("published", 2.0, 0.0, False), ("published", 0.0, 0.05, False)]
    + [("published", 0.0, 0.0, True)],
)
def test_update_equations_match_a_direct_implementation(
    weighting, rate_penalty, noise, step_targets
):
    alpha, beta, rho, lr, K, r0, seed = 0.7, 0.4, 0.3, 0.1, 3, 0.05, 7
    model = _model()
    ref = copy.deepcopy(model)
    ctx = _ctx(
        model,
        torch.optim.SGD(model.parameters(), lr=lr),
        parts=K,
        alpha=alpha,
        beta=beta,
        rho=rho,
        weighting=weighting,
        rate_penalty=rate_penalty,
        rate_target=r0,
        weight_noise=noise,
        noise_seed=seed,
        step_targets=step_targets,
    )
    # direct implementation: analytic gradient of the regularizer, plain SGD, eq. 4.1c by hand;
    # with weight noise the task gradient is taken at W (1 + r N(0, 1)) (a functional call),
    # the noise drawn from a generator seeded with the seed and the number of steps so far
    names = [n for n, _ in ref.named_parameters()]
    W = [p for p in ref.parameters()]
    W_bar = [w.detach().clone() for w in W]
    lam = [torch.zeros_like(w) for w in W]
    for batch in range(2):
        x, y = (torch.from_numpy(a) for a in make_add_task(8, 30, seed=batch))
        if step_targets:  # a different target for every step; part p scores its last step's
            y = torch.rand(8, 30, generator=torch.Generator().manual_seed(batch)) * 2
        fptt_step(model, x, y, ctx)
        state = None
        for p, (a, b) in enumerate(part_bounds(30, K)):
            gen = torch.Generator().manual_seed(seed * 1_000_003 + batch * K + p)
            Wn = [
                (w * (1 + noise * torch.randn(w.shape, generator=gen))).detach().requires_grad_()
                for w in W
            ]
            state = None if state is None else detach_state(state)
            out, spikes, state = torch.func.functional_call(
                ref, dict(zip(names, Wn)), (x[:, a:b],), {"state": state, "return_state": True}
            )
            target = y[:, b - 1] if step_targets else y
            task = WEIGHTS[weighting](p, K) * F.mse_loss(out[:, -1, 0], target)
            # the rate term: per hidden neuron, its rate over the part and batch against r0
            s = spikes["layers.0"]  # [B, T_part, n]
            n = s.shape[-1]
            rates = [s[:, :, i].sum() / (s.shape[0] * s.shape[1]) for i in range(n)]
            task = task + rate_penalty * sum((r - r0) ** 2 for r in rates) / n
            grads = torch.autograd.grad(task, Wn)
            with torch.no_grad():
                for w, g, wb, lm in zip(W, grads, W_bar, lam):
                    # d/dW [(rho-1) sum(W lam) + alpha/2 |W - W_bar|^2] = (rho-1) lam + alpha (W - W_bar)
                    w -= lr * (g + (rho - 1) * lm + alpha * (w - wb))
                    lm -= alpha * (w - wb)
                    wb.copy_((1 - beta) * wb + beta * w - (beta / alpha) * lm)
    from neurocompile.train.fptt import _REGULARIZERS

    reg = _REGULARIZERS[ctx.optimizer]
    # float32: lambda is a difference of nearly equal weights, so compare with atol 1e-5
    # (lambda itself is ~1e-3 here: a wrong term would be off by that much)
    for got, want in zip(model.parameters(), W):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    for got, want in zip(reg.w_bar, W_bar):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    for got, want in zip(reg.lam, lam):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    assert max(float(lm.abs().max()) for lm in lam) > 1e-3  # the lambda term was exercised


class _Recorder(nn.Module):
    """Passes through to the model and records the state each part starts from."""

    def __init__(self, model: SRNN) -> None:
        super().__init__()
        self.model = model
        self.seen: list = []
        self.returned: list = []

    def forward(self, x, state=None, return_state=False):
        self.seen.append(state)
        out, spikes, new = self.model(x, state=state, return_state=True)
        self.returned.append(new)
        return out, spikes, new


def _tensors(state):
    if isinstance(state, torch.Tensor):
        return [state]
    if isinstance(state, dict):
        return [t for v in state.values() for t in _tensors(v)]
    return [t for v in state for t in _tensors(v)]


def test_state_is_carried_and_detached_between_parts():
    model = _model()
    net = _Recorder(model)
    ctx = _ctx(model, torch.optim.SGD(model.parameters(), lr=0.0), parts=4)
    x, y = (torch.from_numpy(a) for a in make_add_task(5, 40, seed=0))
    res = fptt_step(net, x, y, ctx)
    assert net.seen[0] is None and len(net.seen) == 4
    for p in range(1, 4):
        for got, prev in zip(_tensors(net.seen[p]), _tensors(net.returned[p - 1])):
            assert got.grad_fn is None and not got.requires_grad
            assert torch.equal(got, prev.detach())
    # the returned state of a part does carry a graph (so the detach is what cuts it)
    assert any(t.grad_fn is not None for t in _tensors(net.returned[0]))
    # with a zero learning rate the parts together compute the whole sequence
    full, _ = model(x)
    assert torch.equal(res.outputs, full.detach())
    assert res.loss == pytest.approx(float(F.mse_loss(full[:, -1, 0], y).detach()), rel=1e-6)


def test_rate_loss_by_hand():
    from neurocompile.train.fptt import rate_loss

    # two hidden neurons over B = 2, T = 2: rates 3/4 and 0; a spiking readout is not counted
    s = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]])
    got = rate_loss({"layers.0": s, "readout": torch.ones(2, 2, 3)}, target=0.25)
    assert float(got) == pytest.approx(((0.75 - 0.25) ** 2 + 0.25**2) / 2)


def test_rate_penalty_keeps_the_firing_rate_down():
    """Five FPTT batches from one initial model: without the penalty the rate rises (0.054 to
    0.12 here), with rate_penalty = 100 (target 0) it falls (to 0.005)."""
    base = _model(seed=3, hidden=16)
    x_test, _ = (torch.from_numpy(a) for a in make_add_task(64, 40, seed=99))

    def trained_rate(c: float) -> float:
        model = copy.deepcopy(base)
        ctx = _ctx(model, torch.optim.Adam(model.parameters(), lr=0.01), parts=4, rate_penalty=c)
        for b in range(5):
            x, y = (torch.from_numpy(a) for a in make_add_task(32, 40, seed=b))
            fptt_step(model, x, y, ctx)
        with torch.no_grad():
            return float(model(x_test)[1]["layers.0"].mean())

    with torch.no_grad():
        start = float(base(x_test)[1]["layers.0"].mean())
    free, penalized = trained_rate(0.0), trained_rate(100.0)
    assert penalized < 0.5 * start < free


def test_classification_part_loss_is_eq_4_2():
    out = torch.tensor([[[0.0, 0.0, 0.0], [2.0, 0.0, -1.0]]])  # [B=1, T=2, C=3]
    y = torch.tensor([0])
    logp = F.log_softmax(torch.tensor([2.0, 0.0, -1.0]), -1)
    ce, div = -logp[0], -logp.mean()  # div = -sum_c Q(c) log P(c), Q uniform
    got = part_loss(out, y, "last", 3, p=0, n_parts=4, span=(0, 2))  # beta = 1/4
    assert float(got) == pytest.approx(float(0.25 * ce + 0.75 * div), rel=1e-6)
    last = part_loss(out, y, "last", 3, p=3, n_parts=4, span=(0, 2))  # beta = 1
    assert float(last) == pytest.approx(float(ce), rel=1e-6)


def test_part_bounds_and_part_length():
    assert part_bounds(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert FPTTConfig(part_length=4).bounds(10) == [(0, 4), (4, 8), (8, 10)]
    with pytest.raises(NeurocompileError, match="parts = 12 exceeds the sequence length T = 10"):
        part_bounds(10, 12)


def test_bad_options_are_user_errors():
    with pytest.raises(NeurocompileError, match=r"trainer options \['K'\] are unknown"):
        FPTTConfig.from_options({"K": 10})
    with pytest.raises(NeurocompileError, match="fptt beta = 0.0 must be in"):
        FPTTConfig.from_options({"beta": 0.0})
    with pytest.raises(NeurocompileError, match="fptt alpha = 0 must be > 0"):
        FPTTConfig(alpha=0)
    with pytest.raises(NeurocompileError, match="fptt weighting = 'cubic' is not one of"):
        FPTTConfig.from_options({"weighting": "cubic"})
    with pytest.raises(NeurocompileError, match="fptt rate_penalty = 'x' must be a number"):
        FPTTConfig.from_options({"rate_penalty": "x"})
    with pytest.raises(NeurocompileError, match="fptt rate_penalty = -1 must be >= 0"):
        FPTTConfig.from_options({"rate_penalty": -1})
    with pytest.raises(NeurocompileError, match="fptt rate_target = 2 must be a firing rate"):
        FPTTConfig.from_options({"rate_target": 2})
    with pytest.raises(NeurocompileError, match="fptt weight_noise = -0.1 must be a relative"):
        FPTTConfig.from_options({"weight_noise": -0.1})
    with pytest.raises(NeurocompileError, match="fptt weight_noise = nan must be a relative"):
        FPTTConfig.from_options({"weight_noise": float("nan")})
    with pytest.raises(NeurocompileError, match="fptt step_targets = 1 must be true or false"):
        FPTTConfig.from_options({"step_targets": 1})


def test_step_targets_need_a_target_per_step():
    model = _model()
    ctx = _ctx(model, torch.optim.SGD(model.parameters(), lr=0.1), parts=3, step_targets=True)
    x, y = (torch.from_numpy(a) for a in make_add_task(4, 12, seed=0))
    with pytest.raises(NeurocompileError, match=r"labels \[B, T\] = \[4, 12\], got labels \[4\]"):
        fptt_step(model, x, y, ctx)


def test_fptt_through_the_trainer_loop():
    from neurocompile.train.trainer import fit

    model = _model(hidden=8)
    x, y = (torch.from_numpy(a) for a in make_add_task(32, 20, seed=0))
    cfg = TrainerConfig(
        method="fptt", batch_size=16, lr=3e-3, clip=1.0, progress=False, options={"parts": 4}
    )
    res = fit(model, (x, y), (x, y), cfg, epochs=1)
    assert math.isfinite(res["train_loss"]) and math.isfinite(res["val_loss"])


@pytest.mark.slow
def test_short_add_task_run_learns_the_output_level():
    """T = 100, K = 10, the authors' settings (Adam 3e-3, clip 1), 64 LTC neurons, batch 64.

    Bound: after 150 iterations the test MSE is below 0.2 and below a quarter of the
    untrained network's (about 1.1: the output starts near 0, the targets average 1). This
    checks that FPTT optimises the network end to end (a wrong sign or a lost gradient keeps
    the MSE near 1 or makes it diverge). It does not show the long-range memory: on this
    machine the loss sat near the 1/6 plateau (``BASELINE_MSE``, predicting the mean) for the
    first 600 iterations at T = 100; breaking that plateau takes thousands of iterations
    (thesis Fig. 4.2, 4.6). Measured: 0.1646 after 100 iterations.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: more threads only add contention
    try:
        _short_add_task_run()
    finally:
        torch.set_num_threads(threads)


def _short_add_task_run() -> None:
    torch.manual_seed(0)
    model = SRNN(
        SRNNSpec.from_dict(
            {
                "input_size": 2,
                "num_classes": 0,
                "decode": "last",
                "seed": 0,
                "layers": [{"size": 64, "neuron": "ltc"}],
            }
        )
    )
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    ctx = _ctx(model, opt, clip=1.0, parts=10)
    xt, yt = (torch.from_numpy(a) for a in make_add_task(500, 100, seed=10**6, quiet_tail=2))

    def test_mse() -> float:
        with torch.no_grad():
            return float(F.mse_loss(model(xt)[0][:, -1, 0], yt))

    before = test_mse()
    for it in range(150):
        x, y = (torch.from_numpy(a) for a in make_add_task(64, 100, seed=it, quiet_tail=2))
        fptt_step(model, x, y, ctx)
    after = test_mse()
    assert after < 0.2 and after < before / 4, (before, after)
    assert after < 1.25 * BASELINE_MSE
