"""Fixed-point arithmetic of the chip: pure numpy functions on integer arrays (int64).

This module is the *definition* of the integer semantics. The cycle simulator
(``neurocompile_backends.loihi_sim``) and our own Lava ProcessModels (ALIF, LTC) compute exactly
these functions; LIF and Dense follow Lava 0.10's bit-accurate models bit for bit
(``lava/proc/lif/models.py: AbstractPyLifModelFixed``, ``lava/proc/dense/models.py:
AbstractPyDenseModelBitAcc``, ``lava/utils/weightutils.py``), as nengo-loihi's ``discretize``
does for NxSDK. Every function works on arrays whose last axis is the neuron axis, with any
leading batch axes. Helpers that can overflow return ``(value, overflowed)``.

Units. A population has a *state scale* S (fixed-point voltage units per float voltage unit,
chosen by the quantize pass). ``u``, ``v``, the effective bias and the effective threshold
``vth << 6`` are all in those units; a synaptic input ``a_in`` enters ``u`` as ``a_in << 6``
(Lava's ``act_shift``), so one ``a_in`` unit is 64 voltage units.

LIF / LI (Lava ``PyLifModelBitAcc``)::

    u[t] = wrap24( tz(u[t-1] * (4096 - (du + 1)) / 4096) + (a_in[t] << 6) )
    v[t] = clip24( tz(v[t-1] * (4096 - dv) / 4096) + u[t] + (bias_mant << bias_exp)
                   [- (vth << 6) * s[t-1]   if reset == "subtract"] )
    s[t] = v[t] > (vth << 6);   v[t] = 0 where s[t]   (reset == "zero")

``tz(p / 4096)`` is Lava's sign-magnitude shift ``sign(p) * (|p| >> 12)`` (truncation toward
zero, computed in int64); ``+1`` on ``du`` is Lava's ``ds_offset`` (the voltage offset
``dm_offset`` is 0). ``wrap24`` maps ``x > 2**23`` to ``x - 2**24`` and ``x <= -2**23`` to
``x + 2**24`` (Lava's wrap, applied once); ``clip24`` saturates to ``+-(2**23 - 1)``. The
``subtract`` reset is ours (thesis eq. 2.4, ``000_0005cebc1143a667.txt`` ch.2); Lava's LIF only
resets to zero.

Dense (Lava ``PyDenseModelBitAcc``)::

    a[t+1] = shift( sum_j W[i, j] * s_j[t],  weight_exp )
    shift(x, e) = x << e if e > 0 else x >> -e      (arithmetic shift: floor)

``W`` are the integers Lava stores after ``clip_weights(num_bits=8)`` and ``truncate_weights``:
mixed-sign matrices hold even values in [-256, 254] (an 8-bit mantissa times 2), excitatory
ones [0, 255], inhibitory ones [-255, 0]. ``s`` is 0/1 for spikes or an integer payload for a
graded input. The one-step delay lives in the caller.

ALIF (ours; thesis eq. 2.4-2.7, ch.2). The adaptation trace ``eta`` is an integer ``E`` with
``2**ETA_FRAC_BITS`` units per 1.0; its decay ``drho`` is a 12-bit constant like ``dv``::

    E[t]     = tz(E[t-1] * (4096 - drho) / 4096) + (drho << (ETA_FRAC_BITS - 12)) * s[t-1]
    th[t]    = b0 + ((beta * E[t]) >> ETA_FRAC_BITS)        (voltage units, 24-bit)
    u[t]     = as LIF
    v[t]     = clip24( tz(v[t-1] * (4096 - dv) / 4096) + u[t] + bias
                       [- th[t] * s[t-1]   if reset == "subtract"] )
    s[t]     = v[t] > th[t];   v[t] = 0 where s[t]  (reset == "zero")

so the float trace ``eta = rho * eta + (1 - rho) * s`` with ``rho = (4096 - drho) / 4096`` and
the threshold ``theta = b0 + beta * eta`` are in voltage units, the units of ``vth << 6``: the
threshold keeps the voltage's full resolution (a programmable neuron compares two 24-bit
registers; LIF's ``vth`` has 64-unit steps only because of Lava's 17-bit register).

LTC spiking neuron (ours; thesis eq. 4.8a-f, ch.4.2.2). Both gates are integer Dense maps of
the integer state followed by a lookup-table sigmoid that yields a ``RET_BITS``-bit
*retention* ``r = round(U * sigmoid(z))``, ``U = RET_UNITY = 2**RET_BITS`` (the decay factor
is ``r / U``). The input is ``I = (a_in << 6) + ibias`` in voltage units (``ibias``: the
synapse biases, constant; there is no gain, LTC computes its own ``1 - alpha``)::

    z_m[t]  = shift(Gm_x @ I[t] + Gm_v @ V[t-1], gate_exp) + zb_m       (GATE_FRAC_BITS units)
    z_a[t]  = shift(Ga_x @ I[t] + Ga_e @ E[t-1], gate_exp) + zb_a
    r_m, r_a = LUT[clip(z + LUT_SIZE/2, 0, LUT_SIZE - 1)]                (4.8a, 4.8b)
    E[t]    = tz(E[t-1] * r_a / U) + ((U - r_a) << (ETA_FRAC_BITS - RET_BITS)) * s[t-1]  (4.8c)
    th[t]   = b0 + ((beta * E[t]) >> ETA_FRAC_BITS)                      (voltage units)
    V[t]    = clip24( tz(V[t-1] * (2 r_m - U) / U) + tz(I[t] * (U - r_m) / U) + bias )
    s[t]    = V[t] > th[t];   V[t] = 0 where s[t]                          (4.8d-f)

since ``alpha v + (1 - alpha)(-v + i) = (2 alpha - 1) v + (1 - alpha) i``. This needs
programmable neurons (Loihi 2); the compiler refuses LTC on Loihi 1.

Why 16-bit retentions, not Lava's 12-bit decays: a trained LTC remembers by driving its
membrane gate into saturation: on the Add task at T = 1000, 43% of the shipped model's
membrane gate inputs are at or above 8 and 25% at or above 10.69
(``trained/add_ltc_fptt/train_add.py --gate-inputs``). A 12-bit retention stops at
``4095 / 4096``, a voltage decay of ``1 - 2/4096`` (time constant 2048 steps), so every longer
memory is shortened: the model's fixed-point MSE was 4x its float MSE (0.0149 vs 0.0037), and
the 12-bit table alone, every other operation in float, gives 0.0121 (16-bit: 0.0037). With
16 bits the longest time constant is 32768 steps. The table covers ``z`` in ``[-16, 16)`` at
``1/256`` steps; from ``z = 10.69`` on every entry is ``U - 1``. The 17-bit signed factor
``2 r - U`` times the 24-bit voltage needs a 41-bit product, where the ALIF / LIF decays need
37 bits (both are computed in int64 here; the chip's microcode word width is not published).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --- bit widths (Lava 0.10 lif/models.py, dense/models.py; CHIPS.md) -------------------------
DECAY_BITS = 12  # du, dv: 12-bit unsigned
DECAY_UNITY = 1 << DECAY_BITS  # 4096: decay factor (4096 - d) / 4096
DS_OFFSET = 1  # Lava ds_offset: added to du (current decay)
DM_OFFSET = 0  # Lava dm_offset: added to dv (voltage decay)
STATE_BITS = 24  # u, v
STATE_LIMIT = 1 << (STATE_BITS - 1)  # 2**23, Lava max_uv_val
V_MAX = STATE_LIMIT - 1  # voltage saturates at +-(2**23 - 1)
VTH_BITS = 17  # threshold mantissa, unsigned
VTH_MAX = (1 << VTH_BITS) - 1
VTH_SHIFT = 6  # threshold compared as vth << 6
ACT_SHIFT = 6  # synaptic input enters u as a_in << 6
WEIGHT_BITS = 8  # weight mantissa
BIAS_MANT_BITS = 13  # signed bias mantissa
BIAS_MANT_MAX = (1 << (BIAS_MANT_BITS - 1)) - 1  # 4095
BIAS_EXP_BITS = 3  # unsigned bias exponent 0..7
BIAS_EXP_MAX = (1 << BIAS_EXP_BITS) - 1

# --- our own formats (ALIF, LTC) -------------------------------------------------------------
ETA_FRAC_BITS = 20  # adaptation trace: 2**20 units = 1.0 (fits the 24-bit state)
GATE_FRAC_BITS = 8  # LTC gate pre-activation z: 2**8 units = 1.0
GATE_WEIGHT_BITS = 8  # LTC gate weight mantissa (signed)
RET_BITS = 16  # LTC retention r = round(2**16 sigmoid(z)) (module docstring: why not 12)
RET_UNITY = 1 << RET_BITS
GATE_Z_RANGE = 16  # the sigmoid table covers z in [-16, 16)
LUT_SIZE = 2 * GATE_Z_RANGE << GATE_FRAC_BITS  # 8192 entries at 1/256 steps


# --- elementary operations -------------------------------------------------------------------
def decay(x: np.ndarray, d: np.ndarray | int, offset: int = 0) -> np.ndarray:
    """``tz(x * (4096 - d - offset) / 4096)``: Lava's decay with sign-magnitude truncation.

    ``sign(p) * (|p| >> 12)`` with ``p = x * (4096 - d - offset)`` in int64 (Lava
    ``subthr_dynamics``); the result is rounded toward zero.
    """
    p = np.asarray(x, dtype=np.int64) * (DECAY_UNITY - np.asarray(d, dtype=np.int64) - offset)
    return np.sign(p) * np.right_shift(np.abs(p), DECAY_BITS)


def scale_by(x: np.ndarray, factor: np.ndarray | int, bits: int = DECAY_BITS) -> np.ndarray:
    """``tz(x * factor / 2**bits)``: a ``bits``-bit factor (12: ALIF's trace; ``RET_BITS``:
    LTC's dynamic decays), truncated toward zero like Lava's decays."""
    p = np.asarray(x, dtype=np.int64) * np.asarray(factor, dtype=np.int64)
    return np.sign(p) * np.right_shift(np.abs(p), bits)


def wrap_current(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lava's 24-bit wrap of the current: ``u > 2**23 -> u - 2**24``, ``u <= -2**23 -> u + 2**24``.

    Returns ``(wrapped, overflowed)``; ``overflowed`` marks the neurons that wrapped. Like Lava the
    wrap is applied once (values beyond +-3 * 2**23 stay out of range).
    """
    u = np.asarray(u, dtype=np.int64)
    hi = u > STATE_LIMIT
    lo = u <= -STATE_LIMIT
    wrapped = np.where(hi, u - 2 * STATE_LIMIT, u)
    wrapped = np.where(lo, u + 2 * STATE_LIMIT, wrapped)
    return wrapped, hi | lo


def clip_voltage(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saturate the voltage to ``+-(2**23 - 1)`` (Lava). Returns ``(clipped, overflowed)``."""
    v = np.asarray(v, dtype=np.int64)
    over = (v > V_MAX) | (v < -V_MAX)
    return np.clip(v, -V_MAX, V_MAX), over


def shift(x: np.ndarray, exp: int) -> np.ndarray:
    """``x << exp`` for ``exp > 0`` else ``x >> -exp`` (arithmetic: floor), as Lava's Dense."""
    x = np.asarray(x, dtype=np.int64)
    return np.left_shift(x, exp) if exp > 0 else np.right_shift(x, -exp)


def effective_bias(bias_mant: np.ndarray, bias_exp: np.ndarray) -> np.ndarray:
    """``bias_mant << bias_exp`` (right shift for a negative exponent), Lava ``scale_bias``."""
    mant = np.asarray(bias_mant, dtype=np.int64)
    exp = np.asarray(bias_exp, dtype=np.int64)
    return np.where(
        exp >= 0, np.left_shift(mant, np.maximum(exp, 0)), np.right_shift(mant, np.maximum(-exp, 0))
    )


def effective_threshold(vth: np.ndarray) -> np.ndarray:
    """``vth << 6`` (Lava ``scale_threshold``)."""
    return np.left_shift(np.asarray(vth, dtype=np.int64), VTH_SHIFT)


# --- weights ---------------------------------------------------------------------------------
def sign_mode(weights: np.ndarray) -> str:
    """Lava ``determine_sign_mode``: ``"excitatory"`` (min >= 0), ``"inhibitory"`` (max <= 0)
    or ``"mixed"``."""
    w = np.asarray(weights)
    if w.size == 0 or np.min(w) >= 0:
        return "excitatory"
    if np.max(w) <= 0:
        return "inhibitory"
    return "mixed"


def lava_weights(
    weights: np.ndarray, num_weight_bits: int = WEIGHT_BITS
) -> tuple[np.ndarray, bool]:
    """The integers Lava's bit-accurate Dense actually uses for ``weights``.

    ``clip_weights(num_bits=8)`` then ``truncate_weights(num_weight_bits)`` of
    ``lava/utils/weightutils.py``: with ``m = 1`` for a mixed-sign matrix, values are clipped to
    ``[-256 m, 255]`` (sign-flipped for an inhibitory matrix) and their lowest
    ``8 - num_weight_bits + m`` bits are cleared (``(w >> k) << k``, floor). Returns
    ``(weights, changed)``; the quantize pass emits weights for which ``changed`` is False.
    """
    w = np.asarray(weights, dtype=np.int64)
    mode = sign_mode(w)
    mixed = int(mode == "mixed")
    out = -w if mode == "inhibitory" else w.copy()
    out = np.clip(out, -(1 << 8) * mixed, (1 << 8) - 1)
    k = WEIGHT_BITS - int(num_weight_bits) + mixed
    out = np.left_shift(np.right_shift(out, k), k)
    if mode == "inhibitory":
        out = -out
    return out, bool(np.any(out != w))


def weight_grid(mode: str, num_weight_bits: int = WEIGHT_BITS) -> tuple[int, int, int]:
    """``(lo, hi, step)`` of the integers that survive :func:`lava_weights` unchanged."""
    mixed = int(mode == "mixed")
    step = 1 << (WEIGHT_BITS - int(num_weight_bits) + mixed)
    if mode == "mixed":
        return -(1 << 8), (1 << 8) - step, step
    if mode == "inhibitory":
        return -((1 << 8) - step), 0, step
    return 0, (1 << 8) - step, step


def dense_accumulate(weights: np.ndarray, s: np.ndarray, weight_exp: int) -> np.ndarray:
    """``shift(s @ W.T, weight_exp)`` in int64: one Dense step (without its delay)."""
    acc = np.asarray(s, dtype=np.int64) @ np.asarray(weights, dtype=np.int64).T
    return shift(acc, int(weight_exp))


# --- neuron step functions -------------------------------------------------------------------
class LIFParams(NamedTuple):
    """Per-neuron integer parameters of a LIF / LI population (arrays of shape [n])."""

    du: np.ndarray  # 12-bit current decay (Lava adds ds_offset = 1)
    dv: np.ndarray  # 12-bit voltage decay
    bias: np.ndarray  # effective bias, voltage units (bias_mant << bias_exp)
    vth: np.ndarray  # 17-bit threshold mantissa (compared as vth << 6)
    subtract: bool = False  # reset by subtraction instead of to zero
    spiking: bool = True  # False for LI: never spikes, never resets


class LIFState(NamedTuple):
    u: np.ndarray  # [..., n] int64 current
    v: np.ndarray  # [..., n] int64 voltage
    s: np.ndarray  # [..., n] bool spikes of the previous step


def lif_init(n: int, v0: np.ndarray | None = None, batch: tuple[int, ...] = ()) -> LIFState:
    """State at t = -1: zero current, voltage ``v0`` (or zeros), no spikes."""
    v = np.zeros(batch + (n,), np.int64)
    if v0 is not None:
        v[...] = np.asarray(v0, dtype=np.int64)
    return LIFState(np.zeros(batch + (n,), np.int64), v, np.zeros(batch + (n,), bool))


def _current(u: np.ndarray, a_in: np.ndarray, du: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``wrap24(decay(u, du + 1) + (a_in << 6))`` (Lava: the int32 product fits at these sizes)."""
    a = np.left_shift(np.asarray(a_in, dtype=np.int64), ACT_SHIFT)
    return wrap_current(decay(u, du, DS_OFFSET) + a)


def lif_step(
    a_in: np.ndarray, state: LIFState, p: LIFParams
) -> tuple[np.ndarray, LIFState, np.ndarray]:
    """One LIF step (formula in the module docstring). Returns ``(s, state, overflowed)``."""
    u, over_u = _current(state.u, a_in, p.du)
    v = decay(state.v, p.dv, DM_OFFSET) + u + p.bias
    th = effective_threshold(p.vth)
    if p.subtract:
        v = v - th * state.s
    v, over_v = clip_voltage(v)
    if p.spiking:
        s = v > th
        if not p.subtract:
            v = np.where(s, 0, v)
    else:  # LI: Lava runs it as a LIF whose threshold is VTH_MAX; reaching it is an overflow
        s = np.zeros(v.shape, bool)
        over_v = over_v | (v > effective_threshold(VTH_MAX))
    return s, LIFState(u, v, s), over_u | over_v


class ALIFParams(NamedTuple):
    du: np.ndarray  # 12-bit current decay (+1 offset as LIF)
    dv: np.ndarray  # 12-bit voltage decay
    bias: np.ndarray  # effective bias, voltage units
    drho: np.ndarray  # 12-bit adaptation-trace decay
    b0: np.ndarray  # minimal threshold, voltage units
    beta: np.ndarray  # threshold voltage units per 1.0 of trace
    subtract: bool = True


class ALIFState(NamedTuple):
    u: np.ndarray
    v: np.ndarray
    eta: np.ndarray  # [..., n] int64 trace, 2**ETA_FRAC_BITS = 1.0
    s: np.ndarray


def alif_init(
    n: int,
    v0: np.ndarray | None = None,
    eta0: np.ndarray | None = None,
    batch: tuple[int, ...] = (),
) -> ALIFState:
    base = lif_init(n, v0, batch)
    eta = np.zeros(batch + (n,), np.int64)
    if eta0 is not None:
        eta[...] = np.asarray(eta0, dtype=np.int64)
    return ALIFState(base.u, base.v, eta, base.s)


def adaptive_threshold(eta: np.ndarray, b0: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Threshold ``b0 + ((beta * E) >> ETA_FRAC_BITS)`` in voltage units (floor shift)."""
    return np.asarray(b0, np.int64) + np.right_shift(
        np.asarray(beta, np.int64) * eta, ETA_FRAC_BITS
    )


def trace_step(
    eta: np.ndarray, retention: np.ndarray, s_prev: np.ndarray, bits: int = DECAY_BITS
) -> np.ndarray:
    """``E = tz(E * r / 2**bits) + ((2**bits - r) << (ETA_FRAC_BITS - bits)) * s`` with a
    ``bits``-bit retention ``r`` (ALIF: 12 bits, ``r = 4096 - drho``; LTC: ``RET_BITS``)."""
    gain = np.left_shift((1 << bits) - np.asarray(retention, np.int64), ETA_FRAC_BITS - bits)
    return scale_by(eta, retention, bits) + gain * np.asarray(s_prev, np.int64)


def alif_step(
    a_in: np.ndarray, state: ALIFState, p: ALIFParams
) -> tuple[np.ndarray, ALIFState, np.ndarray]:
    """One ALIF step (formula in the module docstring). Returns ``(s, state, overflowed)``."""
    eta = trace_step(state.eta, DECAY_UNITY - np.asarray(p.drho, np.int64), state.s)
    th = adaptive_threshold(eta, p.b0, p.beta)
    u, over_u = _current(state.u, a_in, p.du)
    v = decay(state.v, p.dv, DM_OFFSET) + u + p.bias
    if p.subtract:
        v = v - th * state.s
    v, over_v = clip_voltage(v)
    s = v > th
    if not p.subtract:
        v = np.where(s, 0, v)
    return s, ALIFState(u, v, eta, s), over_u | over_v


# --- LTC -------------------------------------------------------------------------------------
def sigmoid_lut() -> np.ndarray:
    """Retention table: ``LUT[k] = min(round(U * sigmoid((k - LUT_SIZE/2) / 2**GATE_FRAC_BITS)),
    U - 1)`` with ``U = RET_UNITY``.

    ``LUT_SIZE`` entries cover ``z`` in ``[-GATE_Z_RANGE, GATE_Z_RANGE)``; values are
    ``RET_BITS``-bit (0 .. U - 1: a retention of 1 would be an integrator that never decays).
    """
    z = (np.arange(LUT_SIZE, dtype=np.float64) - LUT_SIZE // 2) / (1 << GATE_FRAC_BITS)
    r = np.round(RET_UNITY / (1.0 + np.exp(-z))).astype(np.int64)
    return np.minimum(r, RET_UNITY - 1)


def lut_lookup(z: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``LUT[clip(z + LUT_SIZE/2, 0, LUT_SIZE - 1)]`` (saturating sigmoid)."""
    k = np.clip(np.asarray(z, np.int64) + len(lut) // 2, 0, len(lut) - 1)
    return np.asarray(lut, np.int64)[k]


class LTCParams(NamedTuple):
    gm_x: np.ndarray  # [n, n] membrane gate mantissas on the input I
    gm_v: np.ndarray  # [n, n] membrane gate mantissas on the voltage V
    zb_m: np.ndarray  # [n] membrane gate bias, GATE_FRAC_BITS units
    ga_x: np.ndarray  # [n, n] threshold gate mantissas on I
    ga_e: np.ndarray  # [n, n] threshold gate mantissas on the trace E
    zb_a: np.ndarray  # [n] threshold gate bias
    gate_exp: int  # shift of the gate sums (negative: right shift, floor)
    lut: np.ndarray  # [LUT_SIZE] RET_BITS-bit retention table
    bias: np.ndarray  # [n] voltage units
    b0: np.ndarray  # [n] minimal threshold, voltage units
    beta: np.ndarray  # [n] threshold voltage units per 1.0 of trace
    ibias: np.ndarray | int = 0  # [n] constant input (synapse biases), voltage units


class LTCState(NamedTuple):
    v: np.ndarray
    eta: np.ndarray
    s: np.ndarray


def ltc_init(n: int, v0: np.ndarray | None = None, batch: tuple[int, ...] = ()) -> LTCState:
    base = lif_init(n, v0, batch)
    return LTCState(base.v, np.zeros(batch + (n,), np.int64), base.s)


def ltc_step(
    a_in: np.ndarray, state: LTCState, p: LTCParams
) -> tuple[np.ndarray, LTCState, np.ndarray]:
    """One LTC step (formula in the module docstring). Returns ``(s, state, overflowed)``."""
    i = np.left_shift(np.asarray(a_in, np.int64), ACT_SHIFT) + p.ibias
    z_m = shift(i @ p.gm_x.T + state.v @ p.gm_v.T, p.gate_exp) + p.zb_m
    z_a = shift(i @ p.ga_x.T + state.eta @ p.ga_e.T, p.gate_exp) + p.zb_a
    r_m = lut_lookup(z_m, p.lut)
    r_a = lut_lookup(z_a, p.lut)
    eta = trace_step(state.eta, r_a, state.s, RET_BITS)
    th = adaptive_threshold(eta, p.b0, p.beta)
    v = (
        scale_by(state.v, 2 * r_m - RET_UNITY, RET_BITS)
        + scale_by(i, RET_UNITY - r_m, RET_BITS)
        + p.bias
    )
    v, over = clip_voltage(v)
    s = v > th
    v = np.where(s, 0, v)
    return s, LTCState(v, eta, s), over


# --- float -> fixed conversions used by the quantize pass ------------------------------------
def decay_from_factor(factor: np.ndarray, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """12-bit ``d`` with ``(4096 - d - offset) / 4096`` nearest to ``factor`` in [0, 1].

    ``d = round(4096 * (1 - factor)) - offset`` clipped to ``[0, 4095]``. Returns ``(d,
    clipped)``: ``clipped`` marks factors the format cannot reach (e.g. ``factor = 1`` with the
    current's ``+1`` offset gives ``d = -1``, stored as 0, decay 4095/4096).
    """
    f = np.asarray(factor, dtype=np.float64)
    d = np.round(DECAY_UNITY * (1.0 - f)).astype(np.int64) - offset
    c = np.clip(d, 0, DECAY_UNITY - 1)
    return c, c != d


def bias_to_fixed(bias: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """13-bit mantissa and 3-bit exponent with ``mant << exp`` nearest to ``bias`` (voltage units).

    Per neuron the smallest exponent whose mantissa fits ``[-4095, 4095]`` is used, so the error
    is at most ``2**exp / 2``. Returns ``(mant, exp, overflowed)``; ``overflowed`` marks biases
    beyond ``4095 << 7`` (saturated).
    """
    b = np.asarray(bias, dtype=np.float64)
    need = np.ceil(np.log2(np.maximum(np.abs(b), 1.0) / BIAS_MANT_MAX)).astype(np.int64)
    exp = np.clip(need, 0, BIAS_EXP_MAX)
    mant = np.round(b / np.exp2(exp)).astype(np.int64)
    over = np.abs(mant) > BIAS_MANT_MAX
    return np.clip(mant, -BIAS_MANT_MAX, BIAS_MANT_MAX), exp, over
