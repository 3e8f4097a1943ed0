"""Stochastic engines ePIE and SDR: views updated one after another in a new random order.

Each view update depends on the previous one, so these engines visit views sequentially
(vectorised over modes and pixels). Per view, with ψ_old = P·O and ψ after the Fourier step::

    O += (a_o + b_o)·P*·(ψ − ψ_old) / [(1 − a_o)·max Σ|P|² + a_o·Σ|P|²]
    P += (a_p + b_p)·O*·(ψ − ψ_old) / [(1 − a_p)·max Σ|O|² + a_p·Σ|O|²]   (from probe_update_start)

ePIE: a=0, b=1, c=1, a_o=a_p=0, b_o=``alpha`` (object step), b_p=``beta`` (probe step) as
the parameter docs state (ptypy's code swaps the two; identical for alpha = beta).
SDR: a=1−τ(1+σ), b=τ, c=1+σ, a_o=``beta_object``, a_p=``beta_probe``, b_o=b_p=0.

As in ptypy 0.9: the object is updated first and the probe step uses the updated object with the
same ψ − ψ_old; ``object_norm_is_global`` (with a_p = 0) takes max Σ|O|² over the whole object
storage as it is after that view's object update (:class:`ObjectPowerMax`); ``probe_support`` is
not applied (ptypy's stochastic engines never call the support constraint); the Exit error is the
change against the stored exit wave (ePIE on GradFull: one buffer shared by all views).

Position refinement (as ptypy's ``position_update_local``): at a refinement iteration each view
is refined just before its own update, in the shuffled order, with the object and probe as they
are then; the view's update uses its (possibly moved) corner (engines/posref.py).

View order: a new permutation per iteration from ``numpy.random.default_rng(seed)``. ``seed``
(an engine parameter beyond ptypy's tree) defaults to 0, so runs are reproducible; ``seed=None``
draws fresh entropy as ptypy does. On ptypy's MoonFlower data (views at ptypy's corners, ptypy's
far-field phase, package doc) the order alone moves ePIE's final NRMSE between about 0.19 and
0.22 (seeds 0-7: 0.1979, 0.1937, 0.2174, 0.1938, 0.1953, 0.1966, 0.1944, 0.1960; ptypy: 0.189,
0.185, 0.187 in three runs) and SDR's between 0.2869 and 0.2899 (seeds 0-4; ptypy 0.2876-0.289).
Both engines equal a per-view loop transcribed from ptypy 0.9
(tests/ptycho/engines/test_ptypy_transcription.py), on that data too. A second, independent
transcription of ptypy's EPIE (propagator with its phase factors, GradFull's shared exit
buffer, scipy FFT) gives the same first-iteration errors to every printed digit, 0.1983 with
seed 0's order and 0.200, 0.197, 0.212 with three fresh orders: ptypy's published 0.185-0.189
is not reached by its own algorithm on this file either.

What sets ePIE's result there: with ``object_norm_is_global`` the probe step is β / max|O|² over
the storage, and a few weakly lit pixels at the scan's edge reach |O|² of 4-10 within two
iterations, so the probe moves 5-10x more slowly than with |O|² near 1. With the norm taken over
the view instead, seeds 0-4 give 0.186, 0.181, 0.203, 0.186, 0.187, which is ptypy's range, but
lower final Fourier errors (3.0-3.9) than ptypy's 4.54/4.56, which the global norm's (3.6-5.7)
bracket. Clipping |O| to 1 gives 0.188.
"""
from __future__ import annotations

import numpy as np

from .base import BaseEngine
from .kernels import fourier_projection

__all__ = ["EPIE", "SDR", "StochasticEngine"]

STOCH_DEFAULTS = dict(probe_center_tol=None, compute_log_likelihood=True, probe_update_start=0, clip_object=None,
                      fourier_power_bound=None, fourier_relax_factor=None, position_refinement=False, seed=0)


class ObjectPowerMax:
    """Exact max of Σ_modes |O|² over a whole object storage (modes, Ly, Lx), kept up to date per view.

    ptypy's ``object_norm_is_global`` re-reads this maximum from the whole storage after every
    object update. Maxima are kept per ``tile``² tile, so refreshing after a view update touches
    only the tiles under that view (cost of the order of the view, not of the object).
    """

    def __init__(self, O, tile=16):
        self.O, self.t = O, int(tile)
        ly, lx = O.shape[-2:]
        self.rows, self.cols = np.arange(0, ly, self.t), np.arange(0, lx, self.t)
        self.tiles = self._reduce(O, self.rows, self.cols)

    @staticmethod
    def _reduce(Osub, rows, cols):
        p = (Osub.real ** 2 + Osub.imag ** 2).sum(axis=0)
        return np.maximum.reduceat(np.maximum.reduceat(p, rows, axis=0), cols, axis=1)

    def refresh(self, y, x, ny, nx):
        """Recompute the tiles overlapping rows y..y+ny and columns x..x+nx (pixels)."""
        t = self.t
        ty0, tx0 = y // t, x // t
        ty1, tx1 = -(-(y + ny) // t), -(-(x + nx) // t)
        sub = self.O[:, ty0 * t:ty1 * t, tx0 * t:tx1 * t]
        self.tiles[ty0:ty1, tx0:tx1] = self._reduce(sub, np.arange(0, sub.shape[-2], t), np.arange(0, sub.shape[-1], t))

    @property
    def value(self) -> float:
        return float(self.tiles.max())


class StochasticEngine(BaseEngine):
    SUPPORTED_MODELS = ("Full", "Vanilla", "BlockFull", "BlockVanilla", "GradFull", "BlockGradFull")
    DEFAULTS = STOCH_DEFAULTS
    keep_exit = False
    posref_per_view = True       # refined view by view inside engine_iterate, not after it

    def coefficients(self):  # (a, b, c, a_o, b_o, a_p, b_p)
        raise NotImplementedError  # pragma: no cover

    def engine_prepare(self):
        xp = self.xp
        seed = self.p.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            from ...errors import ParameterError
            raise ParameterError(f"engine.{self.p['name']}.seed", "an integer >= 0 or None", seed)
        self.rng = np.random.default_rng(seed)
        for st in self.states:
            st.pbound = self.pbound(st)
            if self.keep_exit and (st.ex is None or st.ex.shape[0] != st.n):
                from .kernels import exit_waves
                st.ex = exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om).astype(self.cdt)
            if not self.keep_exit:
                # Exit error as ptypy reports it: the change against the stored exit wave, which for
                # GradFull models is one buffer shared by all views (the previous view's wave).
                from .kernels import exit_waves
                n_buf = st.n if st.blk.exit_buffer else 1
                buf = getattr(st, "exbuf", None)
                if buf is None or buf.shape[0] != n_buf:
                    st.exbuf = exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om)[-n_buf:].astype(self.cdt)
            st.corners = np.asarray(st.blk.views.corners)
            st.full_mask = bool((st.mask == 1).all())
            st.wphot = 1.0 / (st.diff + 1)
        del xp

    def engine_iterate(self, num=1):
        xp = self.xp
        a, b, c, a_o, b_o, a_p, b_p = self.coefficients()
        do_probe = self.curiter >= int(self.p["probe_update_start"])
        glob = bool(self.p.get("object_norm_is_global", False)) and a_p == 0
        want_ll = bool(self.p["compute_log_likelihood"])
        pr = self.posref         # position refinement: per view, just before its update (as ptypy)
        rad = pr.radius(self.curiter) if pr is not None and pr.due(self.curiter) else None
        errs = []
        for st in self.states:
            if self._simple(st):
                err = self._iterate_simple(st, (a, b, c, a_o, b_o, a_p, b_p), do_probe, glob, want_ll, rad)
                st.O = self.clip_object(st.O)
                self.center_probe(st)
                st.err = err
                errs.append(err)
                continue
            ny, nx = st.P.shape[-2:]
            pm, om = st.pm, st.om
            err = np.zeros((st.n, 3))
            r = st.blk.resample
            gmax = ObjectPowerMax(st.O) if glob and xp is np else None
            moved = False
            for v in self.rng.permutation(st.n):     # sequential by construction
                if rad is not None:
                    moved |= pr.update_view(self, st, v, rad)
                y, x = st.corners[v]
                Ov = st.O[:, y:y + ny, x:x + nx]
                Pv = st.P[int(st.blk.pods.probe_index[v])]
                Pk, Ok = Pv[pm], Ov[om]
                po = Pk * Ok
                psi_old = st.ex[v] if self.keep_exit else po
                F_po = st.blk.prop.fw(po[None], 1)
                F_psi = st.blk.prop.fw(psi_old[None], 1) if self.keep_exit else F_po
                dF, ef, ep, ee = fourier_projection(F_po, F_psi, st.fmag[v:v + 1], st.mask[v:v + 1], a, b, c,
                                                    st.pbound, r, st.diff[v:v + 1], want_ll)
                psi = psi_old + st.blk.prop.bw(dF, 1)[0]
                if self.keep_exit:
                    st.ex[v] = psi
                else:
                    buf = st.exbuf[v if st.exbuf.shape[0] > 1 else 0]
                    dpsi = (psi - buf).ravel()
                    ee = [float(xp.vdot(dpsi, dpsi).real) / (ny * nx)]
                    buf[...] = psi
                err[v] = (float(ef[0]), float(ep[0]), float(ee[0]))
                d = psi - po
                # object step
                pp = (Pk.real ** 2 + Pk.imag ** 2)
                Ppow = xp.zeros((st.O.shape[0], ny, nx), pp.dtype)
                for k, m in enumerate(om):
                    Ppow[m] += pp[k]
                dO = xp.zeros_like(Ov)
                for k, m in enumerate(om):
                    dO[m] += Pk[k].conj() * d[k]
                den_o = (1 - a_o) * float(Ppow.sum(axis=0).max()) + a_o * Ppow
                Ov = Ov + (a_o + b_o) * dO / xp.maximum(den_o, 1e-30)
                st.O[:, y:y + ny, x:x + nx] = Ov
                if gmax is not None:
                    gmax.refresh(y, x, ny, nx)
                if do_probe:  # with the updated object, as ptypy does
                    Ok = Ov[om]
                    oo = (Ok.real ** 2 + Ok.imag ** 2)
                    dP = xp.zeros_like(Pv)
                    Opow = xp.zeros((Pv.shape[0], ny, nx), oo.dtype)
                    for k, m in enumerate(pm):
                        dP[m] += Ok[k].conj() * d[k]
                        Opow[m] += oo[k]
                    if glob:   # the whole storage after this object update, as ptypy
                        mx = gmax.value if gmax is not None else float((xp.abs(st.O) ** 2).sum(axis=0).max())
                    else:
                        mx = float(Opow.sum(axis=0).max())
                    den_p = (1 - a_p) * mx + a_p * Opow
                    st.P[int(st.blk.pods.probe_index[v])] = Pv + (a_p + b_p) * dP / xp.maximum(den_p, 1e-30)
            if moved:
                st.refresh_views(self.be)
            st.O = self.clip_object(st.O)
            self.center_probe(st)
            st.err = err
            errs.append(err)
        return np.concatenate(errs).mean(axis=0) if errs else np.zeros(3)

    def _simple(self, st):
        """One probe mode, one object mode, shared probe, no mask, no resampling, numpy backend."""
        return (self.be.name == "numpy" and st.K == 1 and st.P.shape[0] == 1 and st.blk.resample == 1
                and st.full_mask and not self.p.get("general_loop", False))

    def _iterate_simple(self, st, coef, do_probe, glob, want_ll, rad=None):
        """The per-view loop of the general case, written out for the single-mode case.

        ``rad``: position-refinement radius (m) at this iteration, None when not refining."""
        a, b, c, a_o, b_o, a_p, b_p = coef
        fw, bw = st.blk.prop.fw, st.blk.prop.bw
        ny, nx = st.P.shape[-2:]
        npix = ny * nx
        P = st.P[0, 0]
        O = st.O[0]
        pb = st.pbound
        err = np.zeros((st.n, 3))
        gmax = ObjectPowerMax(st.O) if glob else None
        shared_buf = None if self.keep_exit else st.exbuf.shape[0] == 1
        tmp = np.empty_like(P)
        pr, moved = self.posref, False
        for v in self.rng.permutation(st.n):          # sequential by construction
            if rad is not None:
                moved |= pr.update_view(self, st, v, rad)
            y, x = st.corners[v]
            Ov = O[y:y + ny, x:x + nx]
            po = P * Ov
            F = fw(po, 1)
            psi_old = st.ex[v, 0] if self.keep_exit else po
            Fpsi = fw(psi_old, 1) if self.keep_exit else F
            f = F if c == 1 else c * F + (1 - c) * Fpsi
            af = np.abs(f)
            fmag = st.fmag[v]
            fdev = af - fmag
            ef = float(np.dot(fdev.ravel(), fdev.ravel())) / npix
            if want_ll:
                d2 = af * af if c == 1 else np.abs(F) ** 2        # |F|² (f is F when c == 1)
                d2 -= st.diff[v]
                ep = float(np.dot((d2 * d2).ravel(), st.wphot[v].ravel())) / npix
            else:
                ep = 0.0
            if pb is None or ef > pb:
                num = fmag if pb is None else fmag + fdev * np.float32(np.sqrt(pb / max(ef, 1e-30)))
                dF = f * (num / (af + 1e-10))
                if b != 1:
                    dF *= b
                if a != 0:
                    dF += a * F
                if a + b != 0:
                    dF -= (a + b) * Fpsi
            else:
                dF = (a + b * c) * (F - Fpsi)
            psi = psi_old + bw(dF, 1)
            if self.keep_exit:
                st.ex[v, 0] = psi
                ee = float(np.vdot(dF, dF).real) / npix
            else:
                buf = st.exbuf[v if shared_buf is False else 0, 0]
                dpsi = (psi - buf).ravel()
                ee = float(np.vdot(dpsi, dpsi).real) / npix
                buf[...] = psi
            err[v] = (ef, ep, ee)
            d = psi - po
            if a_o:
                pp = P.real ** 2 + P.imag ** 2
                step_o = (a_o + b_o) / np.maximum((1 - a_o) * float(pp.max()) + a_o * pp, 1e-30)
            else:
                step_o = np.float32((a_o + b_o) / max(float(np.abs(P).max()) ** 2, 1e-30))
            np.conjugate(P, out=tmp)
            tmp *= d
            tmp *= step_o
            Ov += tmp
            if gmax is not None:
                gmax.refresh(y, x, ny, nx)
            if do_probe:
                if glob:                                          # glob implies a_p == 0
                    mx = gmax.value
                elif a_p:
                    oo = Ov.real ** 2 + Ov.imag ** 2
                    mx = float(oo.max())
                else:
                    mx = float(np.abs(Ov).max()) ** 2
                step_p = (a_p + b_p) / np.maximum((1 - a_p) * mx + a_p * oo, 1e-30) if a_p else \
                    np.float32((a_p + b_p) / max(mx, 1e-30))
                np.conjugate(Ov, out=tmp)
                tmp *= d
                tmp *= step_p
                P += tmp
        if moved:
            st.refresh_views(self.be)
        return err


class EPIE(StochasticEngine):
    """ePIE: object step ``alpha``, probe step ``beta`` (see module doc)."""

    DEFAULTS = dict(STOCH_DEFAULTS, alpha=1.0, beta=1.0, object_norm_is_global=False)

    def coefficients(self):
        return 0.0, 1.0, 1.0, 0.0, float(self.p["alpha"]), 0.0, float(self.p["beta"])


class SDR(StochasticEngine):
    """Semi-implicit relaxed Douglas–Rachford (``sigma``, ``tau``, ``beta_object``, ``beta_probe``)."""

    DEFAULTS = dict(STOCH_DEFAULTS, sigma=1.0, tau=1.0, beta_probe=0.1, beta_object=0.9)
    keep_exit = True
    SUPPORTED_MODELS = ("Full", "Vanilla", "BlockFull", "BlockVanilla")

    def coefficients(self):
        s, t = float(self.p["sigma"]), float(self.p["tau"])
        return 1 - t * (1 + s), t, 1 + s, float(self.p["beta_object"]), 0.0, float(self.p["beta_probe"]), 0.0
