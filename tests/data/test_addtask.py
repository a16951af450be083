"""Add-task generator (thesis 4.3.1)."""

import numpy as np
import pytest

from neurocompile.data import load_dataset
from neurocompile.data.addtask import BASELINE_MSE, expected_sum, make_add_task
from neurocompile.errors import NeurocompileError


def test_two_markers_one_per_half_and_target_is_their_sum():
    x, y = make_add_task(500, 40, seed=3)
    assert x.shape == (500, 40, 2) and y.shape == (500,) and x.dtype == np.float32
    marker = x[:, :, 1]
    assert set(np.unique(marker)) == {0.0, 1.0}
    assert (marker.sum(1) == 2).all()
    assert (marker[:, :20].sum(1) == 1).all() and (marker[:, 20:].sum(1) == 1).all()
    assert ((x[:, :, 0] >= 0) & (x[:, :, 0] < 1)).all()
    np.testing.assert_allclose(y, (x[:, :, 0] * marker).sum(1), rtol=1e-6)


def test_same_seed_same_data_and_baseline_is_the_variance():
    a = make_add_task(10, 30, seed=7)
    b = make_add_task(10, 30, seed=7)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    _, y = make_add_task(20000, 30, seed=0)
    assert float(np.var(y)) == pytest.approx(BASELINE_MSE, rel=0.03)  # Var(U1 + U2) = 1/6


def test_quiet_tail_keeps_the_last_steps_free_of_markers():
    x, _ = make_add_task(2000, 10, seed=1, quiet_tail=2)
    assert x[:, -2:, 1].sum() == 0
    assert x[:, 7, 1].sum() > 0  # the last allowed step is used


def test_registered_as_a_dataset():
    s = load_dataset("addtask", T=12, train_size=5, val_size=3, test_size=4, seed=2)
    assert [len(p) for p in s] == [5, 3, 4]
    assert s.train.X.shape == (5, 12, 2)
    assert not np.array_equal(s.train.X[:3], s.val.X)  # independent draws


def test_bad_arguments_are_user_errors():
    with pytest.raises(NeurocompileError, match="T = 1 steps is too short"):
        make_add_task(4, 1)
    with pytest.raises(NeurocompileError, match=r"quiet_tail = 5 must be in \[0, 5\)"):
        make_add_task(4, 10, quiet_tail=5)
    with pytest.raises(NeurocompileError, match="num_samples = 0 must be positive"):
        make_add_task(0, 10)


def test_expected_sum_by_hand():
    # T = 8, markers at steps 2 and 5 (values 0.2 and 0.7), seen by the model `delay` steps later
    x = np.zeros((1, 8, 2), np.float32)
    x[0, :, 0] = [0.9, 0.1, 0.2, 0.4, 0.3, 0.7, 0.8, 0.6]
    x[0, [2, 5], 1] = 1.0
    want = {
        0: [1, 1, 0.7, 0.7, 0.7, 0.9, 0.9, 0.9],
        2: [1, 1, 1, 1, 0.7, 0.7, 0.7, 0.9],
        8: [1] * 8,
    }
    for delay, row in want.items():
        got = expected_sum(x, delay)
        assert got.shape == (1, 8) and got.dtype == np.float32
        np.testing.assert_allclose(got[0], row, rtol=1e-6)


def test_expected_sum_is_the_conditional_mean_and_ends_at_the_target():
    x, y = make_add_task(20000, 20, seed=4, quiet_tail=2)
    c = expected_sum(x, 2)
    np.testing.assert_allclose(c[:, -1], y, rtol=1e-6)  # both markers seen by the last step
    # the residual y - c[t] has mean 0 given what is seen: here, among the sequences whose
    # first marker is seen by step 12 and the second is not
    seen = x[:, :11, 1].sum(1) == 1
    assert abs(float(np.mean(y[seen] - c[seen, 12]))) < 0.01
    assert float(np.var(y[seen] - c[seen, 12])) == pytest.approx(1 / 12, rel=0.05)
    with pytest.raises(NeurocompileError, match=r"inputs of shape \[20, 2\], expected"):
        expected_sum(x[0], 2)
    with pytest.raises(NeurocompileError, match="delay = -1 must be >= 0"):
        expected_sum(x, -1)
