"""Process models of ``process.py``: ``floating_pt`` and bit-accurate ``fixed_pt`` variants.

The LIF-family fixed-point models inherit Lava's ``AbstractPyLifModelFixed``
(``lava/proc/lif/models.py``), so Lava's own code computes the decay, 24-bit wrap, clip, bias
and threshold scaling: only the per-neuron parameter types and the reset rule are ours. The
float models inherit ``AbstractPyLifModelFloat`` the same way. ALIF and LTC fixed-point models
call :mod:`neurocompile.compiler.fixed` (one definition of the arithmetic, shared with the
cycle-level simulator). ``ResetLIF`` and ``ResetSparse`` models are Lava's ``LIF`` and ``Sparse``
models (subclassed, arithmetic unchanged) plus the sample reset of :class:`_SampleReset`.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort, PyRefPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.lif.models import (
    AbstractPyLifModelFixed,
    AbstractPyLifModelFloat,
    PyLifModelBitAcc,
    PyLifModelFloat,
)
from lava.proc.sparse.models import AbstractPySparseModelBitAcc, AbstractPySparseModelFloat
from neurocompile_backends.lava.procs.process import (
    ALIF,
    LTC,
    LeakyIntegrator,
    LIFPerNeuron,
    ResetLIF,
    ResetSparse,
    SpikeRecorder,
    StreamSource,
    VarRecorder,
)

from neurocompile.compiler import fixed

# ---------------------------------------------------------------------------------------------
# Sample reset (process.py docstring)
# ---------------------------------------------------------------------------------------------


class _SampleReset:
    """``sample_reset()`` at the start of ``run_spk``: at the first step of every sample (every
    ``proc_params["reset_period"]`` steps) the variables named in ``STATE`` get back the values
    they had at step 1 (their initial values, the state at ``t = -1``)."""

    STATE: tuple[str, ...] = ()
    proc_params: dict
    time_step: int
    _initial: list[tuple[str, np.ndarray]]

    def sample_reset(self) -> None:
        period = int(self.proc_params.get("reset_period", 0) or 0)
        if period <= 0:
            return
        if self.time_step == 1:
            self._initial = [(k, np.array(getattr(self, k), copy=True)) for k in self.STATE]
        elif (self.time_step - 1) % period == 0:
            for k, value in self._initial:
                getattr(self, k)[...] = value


# ---------------------------------------------------------------------------------------------
# Lava's LIF and Sparse with the sample reset
# ---------------------------------------------------------------------------------------------


@implements(proc=ResetLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyResetLIFModelFloat(_SampleReset, PyLifModelFloat):
    """Lava's ``PyLifModelFloat`` with the sample reset."""

    implements_process = None  # Lava's decorator refuses to re-target an inherited LIF model
    tags: list = []  # noqa: RUF012  (Lava's @tag appends to an inherited list)
    required_resources: list = []  # noqa: RUF012
    STATE = ("u", "v")

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()


@implements(proc=ResetLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyResetLIFModelBitAcc(_SampleReset, PyLifModelBitAcc):
    """Lava's ``PyLifModelBitAcc`` with the sample reset."""

    implements_process = None
    tags: list = []  # noqa: RUF012
    required_resources: list = []  # noqa: RUF012
    STATE = ("u", "v")

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()


@implements(proc=ResetSparse, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyResetSparseModelFloat(_SampleReset, AbstractPySparseModelFloat):
    """Lava's float ``Sparse`` with the sample reset."""

    STATE = ("a_buff",)

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()


@implements(proc=ResetSparse, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyResetSparseModelBitAcc(_SampleReset, AbstractPySparseModelBitAcc):
    """Lava's bit-accurate ``Sparse`` with the sample reset."""

    STATE = ("a_buff",)

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()


# ---------------------------------------------------------------------------------------------
# LIF with per-neuron parameters
# ---------------------------------------------------------------------------------------------


@implements(proc=LIFPerNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLIFPerNeuronModelFloat(_SampleReset, AbstractPyLifModelFloat):
    """Lava's float LIF with per-neuron ``du``, ``dv``, ``vth`` and the reset rule."""

    STATE = ("u", "v", "s_prev")

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    s_prev: np.ndarray = LavaPyType(np.ndarray, float)
    du: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    vth: np.ndarray = LavaPyType(np.ndarray, float)

    def subthr_dynamics(self, activation_in: np.ndarray) -> None:
        super().subthr_dynamics(activation_in)
        if self.proc_params["reset"] == "subtract":  # v[t] -= theta * s[t-1] (thesis eq. 2.4)
            self.v[:] -= self.vth * self.s_prev

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()

    def spiking_activation(self) -> np.ndarray:
        return self.v > self.vth

    def reset_voltage(self, spike_vector: np.ndarray) -> None:
        if self.proc_params["reset"] == "zero":
            self.v[spike_vector] = 0
        self.s_prev[:] = spike_vector


@implements(proc=LIFPerNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyLIFPerNeuronModelBitAcc(_SampleReset, AbstractPyLifModelFixed):
    """Lava's bit-accurate LIF arithmetic with per-neuron parameters.

    ``subthr_dynamics`` is Lava's (decays with sign-magnitude rounding, 24-bit wrap of u, clip of
    v to +-(2^23 - 1)); the threshold is ``vth << 6`` as in ``PyLifModelBitAcc``. Reset
    ``subtract`` enters Lava's sum as part of the bias of the step, before the clip::

        v[t] = clip(decay(v[t-1]) + u[t] + (bias_mant << bias_exp) - (vth << 6) * s[t-1])
    """

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    s_prev: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    du: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)

    STATE = ("u", "v", "s_prev")

    def __init__(self, proc_params: dict) -> None:
        super().__init__(proc_params)
        self.effective_vth = 0

    def run_spk(self) -> None:
        self.sample_reset()
        super().run_spk()

    def scale_threshold(self) -> None:
        self.effective_vth = np.left_shift(self.vth.astype(np.int32), self.vth_shift)
        self.isthrscaled = True

    def scale_bias(self) -> None:
        super().scale_bias()  # Lava's: effective_bias = bias_mant << bias_exp
        if self.proc_params["reset"] == "subtract" and self.isthrscaled:
            self.effective_bias = self.effective_bias - self.effective_vth * self.s_prev

    def spiking_activation(self) -> np.ndarray:
        return self.v > self.effective_vth

    def reset_voltage(self, spike_vector: np.ndarray) -> None:
        if self.proc_params["reset"] == "zero":
            self.v[spike_vector] = 0
        self.s_prev[:] = spike_vector


# ---------------------------------------------------------------------------------------------
# Leaky integrator (readout)
# ---------------------------------------------------------------------------------------------


@implements(proc=LeakyIntegrator, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLeakyIntegratorModelFloat(_SampleReset, AbstractPyLifModelFloat):
    """Lava's float LIF sub-threshold dynamics, without threshold or reset."""

    du: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    STATE = ("u", "v")

    def run_spk(self) -> None:
        self.sample_reset()
        self.subthr_dynamics(activation_in=self.a_in.recv())


@implements(proc=LeakyIntegrator, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyLeakyIntegratorModelBitAcc(_SampleReset, AbstractPyLifModelFixed):
    """Lava's bit-accurate LIF sub-threshold dynamics, without threshold or reset.

    A Lava ``LIF`` with the largest 17-bit threshold would not do: ``(2^17 - 1) << 6`` is
    below the voltage clip ``2^23 - 1``, so a saturated readout would spike and reset.
    """

    du: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    STATE = ("u", "v")

    def run_spk(self) -> None:
        self.sample_reset()
        a_in = self.a_in.recv()
        self.scale_bias()
        self.subthr_dynamics(activation_in=a_in)


# ---------------------------------------------------------------------------------------------
# ALIF
# ---------------------------------------------------------------------------------------------


@implements(proc=ALIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyALIFModelFloat(_SampleReset, PyLoihiProcessModel):
    """Thesis eq. 2.4-2.7 in floating point (decays as fractions, as Lava's float LIF)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    eta: np.ndarray = LavaPyType(np.ndarray, float)
    s_prev: np.ndarray = LavaPyType(np.ndarray, float)
    du: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    drho: np.ndarray = LavaPyType(np.ndarray, float)
    b0: np.ndarray = LavaPyType(np.ndarray, float)
    beta: np.ndarray = LavaPyType(np.ndarray, float)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, float)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, float)
    STATE = ("u", "v", "eta", "s_prev")

    def run_spk(self) -> None:
        self.sample_reset()
        a_in = self.a_in.recv()
        self.u[:] = self.u * (1 - self.du) + a_in
        self.eta[:] = self.eta * (1 - self.drho) + self.drho * self.s_prev
        theta = self.b0 + self.beta * self.eta
        self.v[:] = self.v * (1 - self.dv) + self.u + self.bias_mant
        if self.proc_params["reset"] == "subtract":
            self.v[:] -= theta * self.s_prev
        s = self.v > theta
        if self.proc_params["reset"] == "zero":
            self.v[s] = 0
        self.s_prev[:] = s
        self.s_out.send(s)


@implements(proc=ALIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyALIFModelBitAcc(_SampleReset, PyLoihiProcessModel):
    """Fixed-point ALIF: one call of ``neurocompile.compiler.fixed.alif_step`` per step."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    u: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    eta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    s_prev: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    du: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    drho: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=12)
    b0: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)
    beta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=13)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=3)
    STATE = ("u", "v", "eta", "s_prev")

    def run_spk(self) -> None:
        self.sample_reset()
        a_in = self.a_in.recv()
        p = fixed.ALIFParams(
            du=self.du,
            dv=self.dv,
            bias=fixed.effective_bias(self.bias_mant, self.bias_exp),
            drho=self.drho,
            b0=self.b0,
            beta=self.beta,
            subtract=self.proc_params["reset"] == "subtract",
        )
        state = fixed.ALIFState(self.u, self.v, self.eta.astype(np.int64), self.s_prev != 0)
        s, new, _ = fixed.alif_step(a_in, state, p)
        self.u[:], self.v[:], self.eta[:], self.s_prev[:] = new.u, new.v, new.eta, s
        self.s_out.send(s)


# ---------------------------------------------------------------------------------------------
# LTC
# ---------------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@implements(proc=LTC, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLTCModelFloat(_SampleReset, PyLoihiProcessModel):
    """Thesis eq. 4.8a-f in floating point (the equations of ``process.LTC``)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    gate_m: np.ndarray = LavaPyType(np.ndarray, float)
    gate_adp: np.ndarray = LavaPyType(np.ndarray, float)
    lut: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    eta: np.ndarray = LavaPyType(np.ndarray, float)
    s_prev: np.ndarray = LavaPyType(np.ndarray, float)
    gate_m_bias: np.ndarray = LavaPyType(np.ndarray, float)
    gate_adp_bias: np.ndarray = LavaPyType(np.ndarray, float)
    b0: np.ndarray = LavaPyType(np.ndarray, float)
    beta: np.ndarray = LavaPyType(np.ndarray, float)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    ibias: np.ndarray = LavaPyType(np.ndarray, float)

    STATE = ("v", "eta", "s_prev")

    def run_spk(self) -> None:
        self.sample_reset()
        lanes = int(self.proc_params.get("lanes", 1))
        i = (self.a_in.recv() + self.ibias).reshape(lanes, -1)  # [lanes, n]
        eta, v = self.eta.reshape(lanes, -1), self.v.reshape(lanes, -1)
        zb_a, zb_m = self.gate_adp_bias.reshape(lanes, -1), self.gate_m_bias.reshape(lanes, -1)
        rho = _sigmoid(np.concatenate([i, eta], axis=1) @ self.gate_adp.T + zb_a).ravel()
        alpha = _sigmoid(np.concatenate([i, v], axis=1) @ self.gate_m.T + zb_m).ravel()
        i = i.ravel()
        self.eta[:] = rho * self.eta + (1 - rho) * self.s_prev
        theta = self.b0 + self.beta * self.eta
        self.v[:] = alpha * self.v + (1 - alpha) * (i - self.v) + self.bias
        s = self.v > theta
        self.v[s] = 0
        self.s_prev[:] = s
        self.s_out.send(s)


@implements(proc=LTC, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyLTCModelBitAcc(_SampleReset, PyLoihiProcessModel):
    """Fixed-point LTC: one call of ``neurocompile.compiler.fixed.ltc_step`` per step."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    gate_m: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=16)
    gate_adp: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=16)
    lut: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fixed.RET_BITS + 1)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    eta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    s_prev: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    gate_m_bias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    gate_adp_bias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    b0: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)
    beta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    ibias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)

    STATE = ("v", "eta", "s_prev")

    def run_spk(self) -> None:
        """``ltc_step`` on ``[lanes, n]`` arrays: one row per copy of the network."""
        self.sample_reset()
        a_in = self.a_in.recv()
        lanes = int(self.proc_params.get("lanes", 1))
        n = self.gate_m.shape[0]

        def rows(a: np.ndarray) -> np.ndarray:
            return np.asarray(a, np.int64).reshape(lanes, n)

        gm, ga = self.gate_m.astype(np.int64), self.gate_adp.astype(np.int64)
        p = fixed.LTCParams(
            gm_x=gm[:, :n],
            gm_v=gm[:, n:],
            zb_m=rows(self.gate_m_bias),
            ga_x=ga[:, :n],
            ga_e=ga[:, n:],
            zb_a=rows(self.gate_adp_bias),
            gate_exp=int(self.proc_params["gate_exp"]),
            lut=self.lut.astype(np.int64),
            bias=rows(self.bias),
            b0=rows(self.b0),
            beta=rows(self.beta),
            ibias=rows(self.ibias),
        )
        state = fixed.LTCState(rows(self.v), rows(self.eta), rows(self.s_prev) != 0)
        s, new, _ = fixed.ltc_step(rows(a_in), state, p)
        s = s.ravel()
        self.v[:], self.eta[:], self.s_prev[:] = new.v.ravel(), new.eta.ravel(), s
        self.s_out.send(s)


# ---------------------------------------------------------------------------------------------
# I/O through memory-mapped .npy files
# ---------------------------------------------------------------------------------------------


class _MappedFile:
    """Opens the process's ``.npy`` file (``proc_params["path"]``) on first use, in the worker."""

    proc_params: dict
    _buf: np.ndarray | None = None

    def buffer(self) -> np.ndarray:
        if self._buf is None:
            self._buf = np.load(self.proc_params["path"], mmap_mode="r+")
        return self._buf


class _AbstractStreamSource(_MappedFile, PyLoihiProcessModel):
    s_out: PyOutPort

    def run_spk(self) -> None:
        self.s_out.send(np.asarray(self.buffer()[self.time_step - 1]))


@implements(proc=StreamSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyStreamSourceModelFloat(_AbstractStreamSource):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)


@implements(proc=StreamSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyStreamSourceModelFixed(_AbstractStreamSource):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)


class _AbstractSpikeRecorder(_MappedFile, PyLoihiProcessModel):
    a_in: PyInPort

    def run_spk(self) -> None:
        self.buffer()[self.time_step - 1] = self.a_in.recv()


@implements(proc=SpikeRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySpikeRecorderModelFloat(_AbstractSpikeRecorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)


@implements(proc=SpikeRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySpikeRecorderModelFixed(_AbstractSpikeRecorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)


class _AbstractVarRecorder(_MappedFile, PyLoihiProcessModel):
    state: PyRefPort

    def post_guard(self) -> bool:
        return True

    def run_post_mgmt(self) -> None:
        self.buffer()[self.time_step - 1] = self.state.read()


@implements(proc=VarRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyVarRecorderModelFloat(_AbstractVarRecorder):
    state: PyRefPort = LavaPyType(PyRefPort.VEC_DENSE, float)


@implements(proc=VarRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyVarRecorderModelFixed(_AbstractVarRecorder):
    state: PyRefPort = LavaPyType(PyRefPort.VEC_DENSE, np.int32, precision=24)
