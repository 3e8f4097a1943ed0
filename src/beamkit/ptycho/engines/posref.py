"""Position refinement (ptypy's Annealing and GridSearch), batched over all views.

Each trial shift is evaluated for every view at once (one batched FFT per trial); a view
moves when its metric improves. Views sit on whole pixels, as in ptypy (notes §5.9).
Parameters (m): amplitude, max_shift; start/stop/interval in iterations.
"""
from __future__ import annotations

import numpy as np

from ...core.log import get_logger
from ...errors import ParameterError
from .kernels import bin_frames, exit_waves

__all__ = ["PositionRefinement"]

log = get_logger("ptycho.posref")


class PositionRefinement:
    def __init__(self, conf: dict, numiter: int):
        self.method = str(conf.get("method") or "Annealing")
        if self.method not in ("Annealing", "GridSearch"):
            raise ParameterError("position_refinement.method", "'Annealing' or 'GridSearch'", self.method)
        self.metric = str(conf.get("metric") or "fourier")
        if self.metric not in ("fourier", "photon"):
            raise ParameterError("position_refinement.metric", "'fourier' or 'photon'", self.metric)
        def get(key, default):            # None means the default; 0 is a value
            v = conf.get(key)
            return default if v is None else v
        self.start = int(get("start", 0))
        self.stop = int(get("stop", numiter))
        self.interval = int(get("interval", 1))
        self.nshifts = int(get("nshifts", 4))
        self.amplitude = float(get("amplitude", 1e-6))
        self.decay = bool(get("amplitude_decay", True))
        self.max_shift = float(get("max_shift", 2e-6))
        for key, val, lo in (("interval", self.interval, 1), ("nshifts", self.nshifts, 0),
                             ("amplitude", self.amplitude, 0.0), ("max_shift", self.max_shift, 0.0)):
            if val < lo:
                raise ParameterError(f"position_refinement.{key}", f">= {lo}", val)
        self.record = bool(conf.get("record", False))
        self.rng = np.random.default_rng(conf.get("seed"))
        self.moved = 0
        self.origin: dict = {}                 # block label -> corners before any refinement

    def active(self, states) -> bool:
        if not states:
            return False
        ps = float(min(np.min(st.blk.obj.psize) for st in states))
        if self.amplitude < ps:
            log.warning("position refinement off: amplitude %.3g m is below the object pixel %.3g m", self.amplitude, ps)
            return False
        return True

    def maybe_update(self, eng, it: int):
        if self.start <= it < self.stop and (it - self.start) % self.interval == 0:
            for st in eng.states:
                self.update(eng, st, it)

    def _metric(self, eng, st, corners):
        """Metric per view for views at ``corners`` (n, 2); inf where a view leaves the storage."""
        xp = eng.xp
        ny, nx = st.P.shape[-2:]
        Ly, Lx = st.O.shape[-2:]
        ok = (corners[:, 0] >= 0) & (corners[:, 1] >= 0) & (corners[:, 0] + ny <= Ly) & (corners[:, 1] + nx <= Lx)
        c = np.where(ok[:, None], corners, 0)
        ry = c[:, 0, None] + np.arange(ny)
        rx = c[:, 1, None] + np.arange(nx)
        flat = xp.asarray(ry[:, :, None] * Lx + rx[:, None, :])
        Ov = st.O.reshape(st.O.shape[0], -1)[:, flat].transpose(1, 0, 2, 3)
        F = st.blk.prop.fw(exit_waves(st.P, Ov, st.pidx, st.pm, st.om))
        I = bin_frames((F.real ** 2 + F.imag ** 2).sum(axis=1), st.blk.resample)
        m = st.mask
        if self.metric == "fourier":
            val = (m * (xp.sqrt(I) - st.fmag) ** 2).sum(axis=(-2, -1)) / xp.maximum(m.sum(axis=(-2, -1)), 1)
        else:
            val = (m * (I - st.diff) ** 2 / (st.diff + 1)).sum(axis=(-2, -1)) / float(np.prod(I.shape[-2:]))
        val = eng.be.to_numpy(val).astype(float)
        val[~ok] = np.inf
        return val

    def update(self, eng, st, it: int):
        ps = np.asarray(st.blk.obj.psize, float)
        rad = self.amplitude * ((self.stop - it) / max(self.stop - self.start, 1) if self.decay else 1.0)
        if float(ps.min()) >= rad:
            return
        views = st.blk.views
        c0 = views.corners.copy()
        orig = self.origin.setdefault(st.blk.label, c0.copy())   # max_shift counts from here, as ptypy
        if orig.shape != c0.shape:                                # frames arrived: restart the reference
            orig = self.origin[st.blk.label] = c0.copy()
        best = self._metric(eng, st, c0)
        cur = c0.copy()
        n = len(c0)
        if self.method == "Annealing":
            trials = []
            for i in range(self.nshifts):
                a = self.rng.uniform(ps[0], rad, n)
                b = self.rng.uniform(ps[1], rad, n)
                sh = np.stack([(-1) ** i * a, (-1) ** (i // 2) * b], 1)
                trials.append(np.round(sh / ps).astype(int))
        else:
            r = int(np.ceil(rad / ps.min()))
            trials = [np.tile([dy, dx], (n, 1)) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dy or dx]
        for shift in trials:
            cand = c0 + shift
            d = (cand - orig) * ps
            okm = np.hypot(d[:, 0], d[:, 1]) <= self.max_shift
            val = self._metric(eng, st, cand)
            better = okm & (val < best)
            best = np.where(better, val, best)
            cur[better] = cand[better]
        moved = int((cur != c0).any(axis=1).sum())
        if moved:
            views.set_corners(cur)
            st.refresh_views(eng.be)
            self.moved += moved
            log.info("position refinement at iteration %d moved %d views", it, moved)
