"""Position refinement as ptypy 0.9's ``PositionCorrectionEngine`` (Annealing and GridSearch).

Schedule: refinement runs at iterations ``it`` with start <= it < stop and it % interval == 0
(``interval`` counts from iteration 0, not from ``start``). The search radius is ``amplitude``,
times (stop − it)/(stop − start) with ``amplitude_decay``; nothing moves while the largest object
pixel is >= that radius. Projection engines refine all views after the iteration (batched here:
views are independent, as the object does not change during refinement); the stochastic engines
refine each view just before its own update, with the object and probe as they are then
(:meth:`PositionRefinement.update_view`).

Each step starts from the view's current coordinate c0 (m) and keeps the best trial:

* Annealing: trial i draws a, b uniformly in [max pixel, radius] and tries
  c0 + ((−1)^i·a, (−1)^(i//2)·b); a trial with |delta| > ``max_shift`` is skipped.
* GridSearch: the integer shifts (dy, dx) in ±ceil(radius / min pixel), row by row, with
  dy² + dx² < ceil(max_shift / min pixel)² (strict), each times the smallest pixel size.

A trial is kept when its metric is strictly below the best so far (earlier trials win ties) and
skipped when the view would leave the storage. ``max_shift`` bounds one step, not the total drift:
over several steps a view may move further, as in ptypy. Coordinates stay continuous (a moved view
gets c0 + delta, an unmoved one keeps its coordinate exactly); the view's corner is the rounded
position, round(pixel + 1e-5) − shape//2, as ptypy's ``Storage.update_views``.

Deliberate difference: in ptypy's Full model with several modes, each mode has its own object
view and ptypy moves only the first pod's (the other modes stay where they were); beamkit moves
all modes of a view together. The metric here uses each pod's own object mode (ptypy's evaluates
every pod on the first pod's object view).
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
        seed = conf.get("seed")
        self.rng = np.random.default_rng(None if seed is None else [int(seed), 1])   # not the view-order stream
        self.moved = 0

    def active(self, states) -> bool:
        if not states:
            return False
        ps = float(min(np.min(st.blk.obj.psize) for st in states))
        if self.amplitude < ps:
            log.warning("position refinement off: amplitude %.3g m is below the object pixel %.3g m", self.amplitude, ps)
            return False
        return True

    # schedule ---------------------------------------------------------------
    def due(self, it: int) -> bool:
        """ptypy's test: stop > it >= start and it % interval == 0."""
        return self.stop > it >= self.start and it % self.interval == 0

    def radius(self, it: int) -> float:
        """Search radius (m) at iteration ``it`` (ptypy's ``update_constraints``)."""
        if not self.decay:
            return self.amplitude
        return self.amplitude * (self.stop - it) / max(self.stop - self.start, 1)

    def maybe_update(self, eng, it: int):
        """All views of every block (projection engines), if ``it`` is a refinement iteration."""
        if self.due(it):
            for st in eng.states:
                self.update(eng, st, it)

    # metric -----------------------------------------------------------------
    def _metric(self, eng, st, corners, idx=None):
        """Metric of views ``idx`` (all if None) placed at ``corners`` (m, 2); inf where a view leaves the storage."""
        xp = eng.xp
        ny, nx = st.P.shape[-2:]
        Ly, Lx = st.O.shape[-2:]
        corners = np.asarray(corners)
        ok = (corners[:, 0] >= 0) & (corners[:, 1] >= 0) & (corners[:, 0] + ny <= Ly) & (corners[:, 1] + nx <= Lx)
        c = np.where(ok[:, None], corners, 0)
        ry = c[:, 0, None] + np.arange(ny)
        rx = c[:, 1, None] + np.arange(nx)
        flat = xp.asarray(ry[:, :, None] * Lx + rx[:, None, :])
        Ov = st.O.reshape(st.O.shape[0], -1)[:, flat].transpose(1, 0, 2, 3)
        if idx is None:
            pidx, fmag, diff, m = st.pidx, st.fmag, st.diff, st.mask
        else:
            ii = xp.asarray(idx)
            pidx, fmag, diff, m = st.pidx[ii], st.fmag[ii], st.diff[ii], st.mask[ii]
        F = st.blk.prop.fw(exit_waves(st.P, Ov, pidx, st.pm, st.om))
        I = bin_frames((F.real ** 2 + F.imag ** 2).sum(axis=1), st.blk.resample)
        if self.metric == "fourier":
            val = (m * (xp.sqrt(I) - fmag) ** 2).sum(axis=(-2, -1)) / xp.maximum(m.sum(axis=(-2, -1)), 1)
        else:
            val = (m * (I - diff) ** 2 / (diff + 1)).sum(axis=(-2, -1)) / float(np.prod(I.shape[-2:]))
        val = eng.be.to_numpy(val).astype(float)
        val[~ok] = np.inf
        return val

    # trials -----------------------------------------------------------------
    def _trials(self, n: int, rad: float, ps):
        """Trial shifts (n, T, 2) in m and which are allowed (n, T), in ptypy's order."""
        if self.method == "Annealing":
            ab = self.rng.uniform(float(np.max(ps)), rad, (n, self.nshifts, 2))   # view by view, a then b
            i = np.arange(self.nshifts)
            sign = np.stack([(-1.0) ** i, (-1.0) ** (i // 2)], 1)
            delta = ab * sign
            return delta, np.hypot(delta[..., 0], delta[..., 1]) <= self.max_shift
        pmin = float(np.min(ps))
        r = int(np.ceil(rad / pmin))
        bound = np.ceil(self.max_shift / pmin)
        d = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)
             if dy * dy + dx * dx < bound * bound and (dy or dx)]     # (0, 0) can never win
        delta = np.broadcast_to(np.asarray(d, float).reshape(1, -1, 2) * pmin, (n, len(d), 2))
        return delta, np.ones(delta.shape[:2], bool)

    def _search(self, eng, st, idx, rad):
        """Best coordinates (m, 2) for views ``idx`` (None: all) and which of them moved."""
        views = st.blk.views
        c0 = views.coords if idx is None else views.coords[idx]
        k0 = views.corners if idx is None else views.corners[idx]
        n = len(c0)
        delta, allowed = self._trials(n, rad, np.asarray(st.blk.obj.psize, float))
        T = delta.shape[1]
        best = self._metric(eng, st, k0, idx)
        cur_c, cur_k = c0.copy(), k0.copy()
        if n == 1:          # one view: all its allowed trials in one batch
            keep = np.flatnonzero(allowed[0])
            groups = [keep] if len(keep) else []
        else:
            groups = [[t] for t in range(T) if allowed[:, t].any()]
        for g in groups:
            cand_c = c0[:, None, :] + delta[:, g]                      # (n, len(g), 2)
            cand_k = views.corner_of(cand_c.reshape(-1, 2)).reshape(n, len(g), 2)
            vals = self._metric(eng, st, cand_k.reshape(-1, 2),
                                None if (idx is None and len(g) == 1) else np.repeat(np.arange(n) if idx is None else idx, len(g)))
            vals = vals.reshape(n, len(g))
            for j, t in enumerate(g):       # in trial order: strictly better than the best so far
                val, kk = vals[:, j], cand_k[:, j]
                # the same corner as the current best gives the same metric: never kept (as ptypy)
                better = allowed[:, t] & (val < best) & (kk != cur_k).any(axis=1)
                best = np.where(better, val, best)
                cur_c[better] = cand_c[better, j]
                cur_k[better] = kk[better]
        return cur_c, (cur_k != k0).any(axis=1) | (cur_c != c0).any(axis=1)

    # updates ----------------------------------------------------------------
    def update(self, eng, st, it: int):
        """Refine all views of one block at iteration ``it``."""
        rad = self.radius(it)
        if float(np.max(st.blk.obj.psize)) >= rad:     # ptypy: cannot move far, do nothing
            return
        cur, moved = self._search(eng, st, None, rad)
        nm = int(moved.sum())
        if nm:
            idx = np.flatnonzero(moved)
            st.blk.views.move(idx, cur[idx])
            st.refresh_views(eng.be)
            self.moved += nm
            log.info("position refinement at iteration %d moved %d views", it, nm)

    def update_view(self, eng, st, v: int, rad: float) -> bool:
        """Refine view ``v`` alone with the current object and probe (stochastic engines).

        Updates ``st.corners[v]``; the caller refreshes the block's view tables once it is done
        (``st.refresh_views``). Returns whether the view's corner changed.
        """
        if float(np.max(st.blk.obj.psize)) >= rad:
            return False
        views = st.blk.views
        cur, moved = self._search(eng, st, np.array([v]), rad)
        if not moved[0]:
            return False
        k_old = views.corners[v].copy()
        views.move([v], cur)
        st.corners[v] = views.corners[v]
        self.moved += 1
        return bool((views.corners[v] != k_old).any())
