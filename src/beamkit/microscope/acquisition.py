"""The scan engine: runs one configuration in a background thread, line by line.

Each line takes ``dwell × res_x`` seconds (times the simulator's
``time_scale``); pause and stop take effect between lines.  Counts are
Poisson samples of the expected image (background + sample through the PSF).
"""
from __future__ import annotations

import threading
import time

import numpy as np

from .ptree import LASERS, decode_scan_mode
from .simulator import DYE_PEAK, DYE_WIDTH, EXCITATION, expected_plane, plan_scan, psf_sigmas

__all__ = ["Future", "Acquisition", "Signal"]


class Signal:
    """MeasurementSignal values."""

    beg_step, upd_step, end_step = 0, 1, 2
    beg_measurement, upd_measurement, end_measurement = 11, 12, 13
    end_sequence, beg_sequence = 14, 15


class Future:
    """Result of ``Imspector.start``: ``get()`` blocks until the measurement ends
    (0 = Success, 1 = Cancelled); ``wait_for(ms)`` returns 1 when ready else 0."""

    Status_Timeout, Status_Ready = 0, 1

    def __init__(self):
        self._ev = threading.Event()
        self._value = None
        self._error = None

    def _set(self, value=None, error=None):
        self._value, self._error = value, error
        self._ev.set()

    def get(self):
        self._ev.wait()
        if self._error is not None:
            raise RuntimeError(self._error)
        return self._value

    def wait_for(self, ms) -> int:
        return Future.Status_Ready if self._ev.wait(max(0.0, float(ms)) / 1000.0) else Future.Status_Timeout

    def ready(self) -> bool:
        return self._ev.is_set()


def _detection(channel: dict) -> np.ndarray:
    """Fraction of each dye's emission inside the channel's spectral window (Gaussian emission)."""
    from math import erf, sqrt
    lo = channel["detsel"]["spectral_range"]["min"]
    hi = channel["detsel"]["spectral_range"]["max"]
    cdf = lambda x, mu: 0.5 * (1 + erf((x - mu) / (DYE_WIDTH * sqrt(2))))  # noqa: E731
    return np.array([cdf(hi, mu) - cdf(lo, mu) for mu in DYE_PEAK])


class Acquisition:
    """One run of a measurement's active configuration (owned by the Imspector object)."""

    def __init__(self, imspector, measurement, sample):
        self.im = imspector
        self.measurement = measurement
        self.config = measurement.active_configuration()
        self.sample = sample
        self.future = Future()
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._resume = threading.Event()
        self.position = (0, 0)      # (frame, line) where the next line starts
        self.state = "idle"
        self._thread = None
        self._setup()

    # --- set-up ---------------------------------------------------------------
    def _setup(self):
        p = self.config.parameters("")
        hw = self.im._hardware.tree()
        axes = decode_scan_mode(p["ExpControl"]["scan"]["range"]["mode"])
        self.plan = plan = plan_scan(p, axes)
        self.z0 = float(p["ExpControl"]["scan"]["range"]["z"]["off"])
        lasers = p["ExpControl"]["measurement"]["lasers"]
        power = np.array([float(la["power"]["calibrated"]) for la in lasers]) / 100.0
        enabled = np.array([bool(hw[name]["enabled"]) for name, _ in LASERS])
        sim = hw["Simulator"]
        self.rate = float(sim["brightness"])
        self.background = float(sim["background"])
        self.time_scale = float(sim["time_scale"])
        na = float(hw["ExpControl"]["objective"]["na"])
        channels = p["ExpControl"]["measurement"]["channels"]
        self.gains, self.sigmas = [], []
        sted = float(power[3] * enabled[3]) if len(power) > 3 else 0.0
        for ch in channels:
            on = np.zeros(len(LASERS), bool)
            on[[i for i in ch["lasers"] if 0 <= i < len(LASERS)]] = True
            exc = EXCITATION @ (power * enabled * on)
            self.gains.append(exc * _detection(ch))
            wl = max([LASERS[i][1] for i in ch["lasers"] if 0 <= i < 3] or [6.4e-07])
            use_sted = sted if 3 in ch["lasers"] else 0.0
            self.sigmas.append(psf_sigmas(wl, na, use_sted * 100.0, float(sim["sted_saturation"])))
        nt, nz = plan.res[3], plan.res[2]
        self.n_frames = nt * nz
        # one uint16 stack per channel, numpy shape (t, z, y, x); reused when the geometry fits
        self.stacks = []
        for k, ch in enumerate(channels):
            name = f"ExpControl {ch.get('name', f'Ch{k + 1}')} {{{self.config.id()}}}"
            existing = [s for s in self.config._stacks if s.name() == name]
            if existing and existing[0].shape() == plan.res and existing[0].data().dtype == np.uint16:
                s = existing[0]
                s.data()[...] = 0
            else:
                from .stack import Stack
                s = Stack(np.uint16, plan.res)
                if existing:
                    self.config._stacks.remove(existing[0])
                self.config._add_stack(s, name)
            s.set_labels(plan.labels)
            s.set_lengths(plan.lengths)
            s.set_offsets(plan.offsets)
            self.stacks.append(s)
        self.rng = np.random.default_rng(int(sim["seed"]) + 1000 * self.config.id() + self.im._run_counter)

    # --- thread -------------------------------------------------------------------
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self):
        self._pause.clear()
        self._thread = threading.Thread(target=self._run, name="beamkit-imspector-scan", daemon=True)
        self.state = "running"
        self._thread.start()

    def pause(self):
        self._pause.set()

    def stop(self):
        self._stop.set()
        self._pause.clear()

    def _run(self):
        im, plan = self.im, self.plan
        first = self.position == (0, 0)
        try:
            if first:
                im._emit(Signal.beg_sequence, self.measurement)
                im._emit(Signal.beg_measurement, self.measurement)
            im._set_state(running=True, paused=False)
            ny, nz = len(plan.y), plan.res[2]
            line_time = plan.dwell * len(plan.x) * self.time_scale
            f0, l0 = self.position
            for f in range(f0, self.n_frames):
                t, z = divmod(f, nz)
                focus = plan.frames[z] if plan.frame_axis == "z" else self.z0
                expected = [self.background * plan.dwell + self.rate * plan.dwell *
                            expected_plane(self.sample, plan.x, plan.y, focus, sx, sz, g)
                            for (sx, sz), g in zip(self.sigmas, self.gains)]
                if l0 == 0:
                    im._emit(Signal.beg_step, self.measurement)
                for line in range(l0, ny):
                    if self._stop.is_set() or self._pause.is_set():
                        self.position = (f, line)
                        raise _Interrupted()
                    for s, e in zip(self.stacks, expected):
                        counts = self.rng.poisson(e[line])
                        s.data()[t, z, line, :] = np.minimum(counts, 65535)
                    im._set_state(progress=(f * ny + line + 1) / (self.n_frames * ny))
                    if line_time > 0:
                        time.sleep(line_time)
                l0 = 0
                im._emit(Signal.end_step, self.measurement)
            self.position = (self.n_frames, 0)
            self.state = "finished"
            im._finish(self, 0)
        except _Interrupted:
            if self._stop.is_set():
                self.state = "stopped"
                im._finish(self, 1)
            else:
                self.state = "paused"
                im._set_state(running=False, paused=True)
        except Exception as exc:  # noqa: BLE001 - reported through the Future
            self.state = "failed"
            im._finish(self, None, error=f"{type(exc).__name__}: {exc}")


class _Interrupted(Exception):
    pass
