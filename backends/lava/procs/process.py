"""Lava processes that Lava does not ship: their ports and variables only.

The behaviour lives in ``models.py`` (Lava's split between ``process.py`` and ``models.py``);
every process has a ``floating_pt`` and a ``fixed_pt`` model, selected by
``Loihi2SimCfg(select_tag=...)``.

* :class:`LIFPerNeuron`: Lava's LIF with one ``du``, ``dv``, ``vth`` per neuron (Lava's ``LIF``
  has one per process; trained layers have per-neuron time constants), and the reset rule.
* :class:`LeakyIntegrator`: a non-spiking LIF whose voltage is the readout (IR ``LI``).
* :class:`ALIF`, :class:`LTC`: adaptive-threshold and liquid-time-constant spiking neurons
  (thesis eq. 2.4-2.7 and 4.8a-f; fixed point in ``neurocompile.compiler.fixed``).
* :class:`StreamSource`, :class:`SpikeRecorder`, :class:`VarRecorder`: input and probes that
  read and write ``.npy`` files mapped in memory, so a run of any length costs no Lava messages
  for I/O (``Var.get`` moves an array element by element: 0.95 s for 50x1000 values here).
* :class:`ResetLIF`, :class:`ResetSparse`: Lava's ``LIF`` and ``Sparse`` (their process models
  inherit Lava's, arithmetic unchanged) with the sample reset below.

Sample reset. Every process with state takes ``reset_period`` (steps per sample; 0: never): at
the first step of every sample (Lava steps ``1 + k * reset_period``) its state variables go
back to the values they had before step 1, so one Lava run of ``samples * reset_period`` steps
runs the samples one after the other, each on a fresh network. This happens inside the
process models (as Lava's own ``LIFReset`` does) because ``Var.set`` from the host also sends
one message per element, which for a batched network costs more than the steps themselves.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort, RefPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.proc.lif.process import LIF
from lava.proc.sparse.process import Sparse

Array = np.ndarray | float | int


def _per_neuron(value: Array, n: int) -> np.ndarray:
    a = np.asarray(value)
    return np.full(n, a) if a.ndim == 0 else a.reshape(n)


class LIFPerNeuron(AbstractProcess):
    """Leaky integrate-and-fire neurons with per-neuron decays and thresholds.

    Same dynamics as Lava's ``LIF`` (``lava/proc/lif/process.py``)::

        u[t] = u[t-1] * (1 - du) + a_in
        v[t] = v[t-1] * (1 - dv) + u[t] + bias - reset_term
        s_out = v[t] > vth

    with ``reset="zero"``: ``v = 0`` where a spike was emitted (Lava); ``reset="subtract"``:
    ``reset_term = vth * s[t-1]`` (thesis eq. 2.4; the previous spikes are the state ``s_prev``).
    ``du``, ``dv`` are 12-bit integers and ``vth`` a 17-bit mantissa in the fixed-point model,
    decay fractions and a voltage in the floating-point model.
    """

    def __init__(
        self,
        *,
        shape: tuple[int],
        du: Array,
        dv: Array,
        vth: Array,
        bias_mant: Array = 0,
        bias_exp: Array = 0,
        u: Array = 0,
        v: Array = 0,
        reset: str = "zero",
        reset_period: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(shape=shape, reset=reset, reset_period=reset_period, name=name)
        n = int(np.prod(shape))
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.u = Var(shape=shape, init=_per_neuron(u, n))
        self.v = Var(shape=shape, init=_per_neuron(v, n))
        self.s_prev = Var(shape=shape, init=np.zeros(n))
        self.du = Var(shape=shape, init=_per_neuron(du, n))
        self.dv = Var(shape=shape, init=_per_neuron(dv, n))
        self.vth = Var(shape=shape, init=_per_neuron(vth, n))
        self.bias_mant = Var(shape=shape, init=_per_neuron(bias_mant, n))
        self.bias_exp = Var(shape=shape, init=_per_neuron(bias_exp, n))


class LeakyIntegrator(AbstractProcess):
    """Non-spiking leaky integrator: the readout, whose voltage ``v`` is read every step.

    ``u[t] = u[t-1] * (1 - du) + a_in``, ``v[t] = v[t-1] * (1 - dv) + u[t] + bias``; no
    threshold and no reset (IR ``LI``, thesis 2.2 "non-spiking LIF").
    """

    def __init__(
        self,
        *,
        shape: tuple[int],
        du: Array,
        dv: Array,
        bias_mant: Array = 0,
        bias_exp: Array = 0,
        u: Array = 0,
        v: Array = 0,
        reset_period: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(shape=shape, reset_period=reset_period, name=name)
        n = int(np.prod(shape))
        self.a_in = InPort(shape=shape)
        self.u = Var(shape=shape, init=_per_neuron(u, n))
        self.v = Var(shape=shape, init=_per_neuron(v, n))
        self.du = Var(shape=shape, init=_per_neuron(du, n))
        self.dv = Var(shape=shape, init=_per_neuron(dv, n))
        self.bias_mant = Var(shape=shape, init=_per_neuron(bias_mant, n))
        self.bias_exp = Var(shape=shape, init=_per_neuron(bias_exp, n))


class StreamSource(AbstractProcess):
    """Sends row ``t`` of a ``[steps, n]`` ``.npy`` file at step ``t`` (0-based: Lava step t+1).

    The file is mapped in memory by the model, so inputs of any length cost no Lava messages.
    Values are spikes (0/1) or graded payloads (integers in the fixed-point model).
    """

    def __init__(self, *, shape: tuple[int], path: str, name: str | None = None) -> None:
        super().__init__(shape=shape, path=str(path), name=name)
        self.s_out = OutPort(shape=shape)


class SpikeRecorder(AbstractProcess):
    """Writes what arrives at ``a_in`` at step t into row t of a ``[steps, n]`` ``.npy`` file."""

    def __init__(self, *, shape: tuple[int], path: str, name: str | None = None) -> None:
        super().__init__(shape=shape, path=str(path), name=name)
        self.a_in = InPort(shape=shape)


class VarRecorder(AbstractProcess):
    """Reads a variable after every step (management phase) into a ``[steps, n]`` ``.npy`` file.

    Call :meth:`connect_var` with the variable to record (as Lava's ``sink.Read``).
    """

    def __init__(self, *, shape: tuple[int], path: str, name: str | None = None) -> None:
        super().__init__(shape=shape, path=str(path), name=name)
        self.state = RefPort(shape=shape)

    def connect_var(self, var: Var) -> None:
        self.state.connect_var(var)


class ALIF(AbstractProcess):
    """Adaptive-threshold LIF neurons (thesis eq. 2.4-2.7)::

        u[t]     = u[t-1] * (1 - du) + a_in
        eta[t]   = eta[t-1] * (1 - drho) + drho * s[t-1]
        theta[t] = b0 + beta * eta[t]
        v[t]     = v[t-1] * (1 - dv) + u[t] + bias  [- theta[t] * s[t-1]  if reset == "subtract"]
        s[t]     = v[t] > theta[t];  v[t] = 0 where s[t]  (reset == "zero")

    Fixed point (``neurocompile.compiler.fixed.alif_step``): ``du``, ``dv``, ``drho`` are 12-bit
    decays, ``b0`` a 17-bit threshold mantissa, ``beta`` mantissa units per 1.0 of trace,
    ``eta`` has ``2**20`` units per 1.0, the bias is ``bias_mant << bias_exp``. Floating point:
    decay fractions and voltages, ``bias_mant`` is the bias.
    """

    def __init__(
        self,
        *,
        shape: tuple[int],
        du: Array,
        dv: Array,
        drho: Array,
        b0: Array,
        beta: Array,
        bias_mant: Array = 0,
        bias_exp: Array = 0,
        u: Array = 0,
        v: Array = 0,
        eta: Array = 0,
        reset: str = "subtract",
        reset_period: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(shape=shape, reset=reset, reset_period=reset_period, name=name)
        n = int(np.prod(shape))
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        for var, value in (
            ("u", u),
            ("v", v),
            ("eta", eta),
            ("s_prev", 0),
            ("du", du),
            ("dv", dv),
            ("drho", drho),
            ("b0", b0),
            ("beta", beta),
            ("bias_mant", bias_mant),
            ("bias_exp", bias_exp),
        ):
            setattr(self, var, Var(shape=shape, init=_per_neuron(value, n)))


class LTC(AbstractProcess):
    """Liquid-time-constant spiking neurons (thesis eq. 4.8a-f, ``neurocompile.ir.LTC``)::

        i[t]     = a_in[t] + ibias
        rho[t]   = sigmoid(A [i[t], eta[t-1]] + a);   alpha[t] = sigmoid(M [i[t], v[t-1]] + m)
        eta[t]   = rho eta[t-1] + (1 - rho) s[t-1];   theta[t] = b0 + beta eta[t]
        v[t]     = alpha v[t-1] + (1 - alpha) (i[t] - v[t-1]) + bias
        s[t]     = v[t] > theta[t];   v[t] = 0 where s[t]

    ``gate_m = [M_x | M_v]`` and ``gate_adp = [A_x | A_eta]`` are ``[n, 2n]``. With ``lanes``
    > 1 the process holds ``lanes`` independent copies side by side (``shape = lanes * n``,
    per-neuron values tiled) that share the gates: gates couple the neurons of one copy only,
    so they stay ``[n, 2n]`` instead of a block-diagonal ``[lanes n, 2 lanes n]``. Fixed point
    (``neurocompile.compiler.fixed.ltc_step``): integer gate mantissas with the shift
    ``gate_exp`` (a process parameter), gate biases in ``2**-8`` units, the sigmoid as the
    ``fixed.RET_BITS``-bit lookup table ``lut``, ``b0`` / ``beta`` threshold mantissas,
    ``bias`` / ``ibias`` in voltage units (``i = (a_in << 6) + ibias``).
    """

    def __init__(
        self,
        *,
        shape: tuple[int],
        gate_m: np.ndarray,
        gate_m_bias: Array,
        gate_adp: np.ndarray,
        gate_adp_bias: Array,
        b0: Array,
        beta: Array,
        bias: Array = 0,
        ibias: Array = 0,
        lut: np.ndarray | None = None,
        gate_exp: int = 0,
        v: Array = 0,
        lanes: int = 1,
        reset_period: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(
            shape=shape,
            gate_exp=int(gate_exp),
            lanes=int(lanes),
            reset_period=reset_period,
            name=name,
        )
        n = int(np.prod(shape))
        k = n // int(lanes)  # neurons per lane; the gates are one lane's
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.gate_m = Var(shape=(k, 2 * k), init=np.asarray(gate_m))
        self.gate_adp = Var(shape=(k, 2 * k), init=np.asarray(gate_adp))
        lut = np.zeros(1) if lut is None else np.asarray(lut)
        self.lut = Var(shape=lut.shape, init=lut)
        for var, value in (
            ("v", v),
            ("eta", 0),
            ("s_prev", 0),
            ("gate_m_bias", gate_m_bias),
            ("gate_adp_bias", gate_adp_bias),
            ("b0", b0),
            ("beta", beta),
            ("bias", bias),
            ("ibias", ibias),
        ):
            setattr(self, var, Var(shape=shape, init=_per_neuron(value, n)))


class ResetLIF(LIF):
    """Lava's ``LIF`` with ``reset_period`` (module docstring): ``u``, ``v`` restart per sample."""


class ResetSparse(Sparse):
    """Lava's ``Sparse`` with ``reset_period``: ``a_buff`` (what it sends next) restarts at 0."""
