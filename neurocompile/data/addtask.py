r"""The Add task (adding problem; thesis ``000_0005cebc1143a667.txt`` section 4.3.1).

One sample is two length-T channels: ``x1[t]`` uniform in [0, 1) and a marker ``x2[t]`` with
exactly two ones; the target is ``y = sum_t x1[t] x2[t]``, the sum of the two marked values. As
in the adding problem of Hochreiter & Schmidhuber and the FPTT paper's generator, one marker
lies in the first half of the sequence and one in the second half, so the network must hold
the first value for on average T/2 steps. Predicting the mean (y = 1) gives an MSE of 1/6, the
level a network that has learnt nothing reaches (``BASELINE_MSE``).

``quiet_tail`` keeps the last steps free of markers. A network of L synapse stages answers L
steps after its input (``docs/DESIGN.md``: every synapse is a one-step delay), so a model read
at the last step needs ``quiet_tail >= L`` to have seen both marked values.
"""

from __future__ import annotations

import numpy as np

from ..errors import NeurocompileError

BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for two independent U[0, 1) values


def make_add_task(
    num_samples: int,
    T: int,
    seed: int | None = 0,
    quiet_tail: int = 0,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``num_samples`` Add-task sequences of length ``T``.

    Returns ``x`` of shape ``[num_samples, T, 2]`` (channel 0 values, channel 1 marker) and
    ``y`` of shape ``[num_samples]``.
    """
    if int(T) < 2:
        raise NeurocompileError(f"add task: T = {T} steps is too short; use T >= 2")
    if not 0 <= int(quiet_tail) < int(T) - int(T) // 2:
        raise NeurocompileError(
            f"add task: quiet_tail = {quiet_tail} must be in [0, {int(T) - int(T) // 2}) for T = {T}"
        )
    if int(num_samples) <= 0:
        raise NeurocompileError(f"add task: num_samples = {num_samples} must be positive")
    n, T = int(num_samples), int(T)
    rng = np.random.default_rng(seed)
    values = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T - int(quiet_tail), size=n)
    marker = np.zeros((n, T))
    rows = np.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = np.stack([values, marker], axis=-1).astype(dtype)
    y = (values[rows, first] + values[rows, second]).astype(dtype)
    return x, y


def expected_sum(x: np.ndarray, delay: int) -> np.ndarray:
    """``E[y | x[:, : t - delay + 1]]`` for every step t: the target as far as it is known.

    ``x`` is ``[N, T, 2]`` from :func:`make_add_task`; returns float32 ``[N, T]``. A model of
    ``delay`` synapse stages has seen the inputs up to ``t - delay`` at step t. A marked value
    seen by then counts with its value; each of the two marked values not yet seen with its
    mean, 1/2 (the values are independent of the marker positions). So the result is 1 before
    any marker is seen and ``y`` once both are: at the last step if ``quiet_tail >= delay``.
    """
    if x.ndim != 3 or x.shape[-1] != 2:
        raise NeurocompileError(f"add task: inputs of shape {list(x.shape)}, expected [N, T, 2]")
    if int(delay) < 0:
        raise NeurocompileError(f"add task: delay = {delay} must be >= 0")
    values, marker = x[..., 0].astype(np.float64), x[..., 1].astype(np.float64)
    known = np.cumsum(values * marker, axis=1) + 0.5 * (2.0 - np.cumsum(marker, axis=1))
    out = np.ones_like(known)
    d = int(delay)
    if d < known.shape[1]:
        out[:, d:] = known[:, : known.shape[1] - d]
    return out.astype(np.float32)


def load(
    T: int = 1000,
    train_size: int = 10000,
    val_size: int = 1000,
    test_size: int = 1000,
    seed: int = 0,
    quiet_tail: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``load_dataset("addtask", T=...)``: three independent draws (seeds ``seed``..``seed+2``).

    ``X`` float32 ``[N, T, 2]``, ``y`` float32 ``[N]`` (regression; decode "last").
    """
    sizes = {"train": train_size, "val": val_size, "test": test_size}
    return {
        name: make_add_task(n, T, seed=int(seed) + k, quiet_tail=quiet_tail)
        for k, (name, n) in enumerate(sizes.items())
    }
