"""Projection engines DM (alpha) and RAAR (beta), batched over all views.

Exit waves are kept in detector space (Ψ = FW(ψ)), so one iteration costs one forward
FFT of P·O and one inverse FFT of the updated Ψ for all views, and the Photons error
comes for free. Overlap update: object then probe, up to ``overlap_max_iterations`` times.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .base import BaseEngine
from .kernels import exit_waves, fourier_projection, gather, pods_object, pods_probe, reduce_modes, scatter_add

__all__ = ["DM", "RAAR", "ProjectionEngine"]

PROJ_DEFAULTS = dict(probe_update_start=2, subpix_start=0, subpix="linear", update_object_first=True,
                     overlap_converge_factor=0.05, overlap_max_iterations=10, probe_inertia=1e-9,
                     object_inertia=1e-4, fourier_power_bound=None, fourier_relax_factor=0.05,
                     obj_smooth_std=None, clip_object=None, probe_center_tol=None,
                     compute_log_likelihood=True, position_refinement=False)


class ProjectionEngine(BaseEngine):
    """Generalised projection (a, b, c) with the overlap-constraint update."""

    DEFAULTS = PROJ_DEFAULTS

    def coefficients(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def engine_prepare(self):
        xp = self.xp
        self._mean_power = float(np.mean([float(st.diff.mean()) for st in self.states])) if self.states else 1.0
        for st in self.states:
            if st.ex is None or st.ex.shape[0] != st.n:
                po = exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om)
                st.ex = st.blk.prop.fw(po).astype(self.cdt)     # Ψ in detector space
            st.psi = None
            st.pbound = self.pbound(st)
            st.Pprev = st.P.copy()
        del xp

    def engine_iterate(self, num=1):
        a, b, c = self.coefficients()
        errs = []
        for i, st in enumerate(self.states):
            po = exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om)
            F_po = st.blk.prop.fw(po)
            dF, ef, ep, ee = fourier_projection(F_po, st.ex, st.fmag, st.mask, a, b, c, st.pbound,
                                                st.blk.resample, st.diff, bool(self.p["compute_log_likelihood"]))
            st.ex += dF
            st.psi = st.blk.prop.bw(st.ex)                    # real-space exit waves for the overlap update
            st.err = np.stack([self.be.to_numpy(ef), self.be.to_numpy(ep), self.be.to_numpy(ee)], 1)
            self.overlap_update(i, st)
            self.center_probe(st)
            errs.append(st.err)
        return np.concatenate(errs).mean(axis=0) if errs else np.zeros(3)

    # overlap constraint --------------------------------------------------------
    def overlap_update(self, i, st):
        do_probe = self.curiter >= int(self.p["probe_update_start"])
        for inner in range(int(self.p["overlap_max_iterations"])):
            if self.p["update_object_first"] or inner > 0 or not do_probe:
                self.object_update(st)
            if not do_probe:
                break
            change = self.probe_update(i, st)
            if change < float(self.p["overlap_converge_factor"]):
                break

    def object_update(self, st):
        xp = self.xp
        Pp = pods_probe(st.P, st.pidx, st.pm)
        num = reduce_modes(Pp.conj() * st.psi, st.om, st.O.shape[0])
        den = reduce_modes(xp.broadcast_to((Pp.real ** 2 + Pp.imag ** 2), st.psi.shape), st.om, st.O.shape[0])
        N = scatter_add(num, st.flat, st.O.shape)
        D = scatter_add(den, st.flat, st.O.shape)
        cfact = float(self.p["object_inertia"]) * self._mean_power
        O = st.O
        std = self.p.get("obj_smooth_std")
        if std:
            Onp = self.be.to_numpy(O)
            sm = np.stack([ndimage.gaussian_filter(m.real, std) + 1j * ndimage.gaussian_filter(m.imag, std) for m in Onp])
            O = xp.asarray(sm)
        newO = (cfact * O + N) / (cfact + D)
        st.O = self.clip_object(newO.astype(self.cdt))

    def probe_update(self, i, st):
        xp = self.xp
        Ov = pods_object(st.obj_views(), st.om)             # (n, K, Ny, Nx)
        num = Ov.conj() * st.psi
        den = xp.broadcast_to(Ov.real ** 2 + Ov.imag ** 2, st.psi.shape)
        P = st.P
        Pn, Mp = P.shape[0], P.shape[1]
        if Pn == 1:
            numr = reduce_modes(num.sum(axis=0, keepdims=True), st.pm, Mp)[0]
            denr = reduce_modes(den.sum(axis=0, keepdims=True), st.pm, Mp)[0]
            nviews = st.n
        else:  # one probe per view (OPR)
            numr = reduce_modes(num, st.pm, Mp)
            denr = reduce_modes(den, st.pm, Mp)
            nviews = 1
        cfact = float(self.p["probe_inertia"]) * nviews / Mp
        newP = ((cfact * P[0] + numr) / (cfact + denr)) if Pn == 1 else (cfact * P + numr) / (cfact + denr)
        newP = self.apply_probe_support(i, newP.astype(self.cdt))
        newP = newP[None] if Pn == 1 else newP
        if Pn > 1:
            newP = self.opr_constraint(newP)
        d = newP - st.Pprev
        change = float(xp.sqrt((xp.abs(d) ** 2).sum() / max(float((xp.abs(newP) ** 2).sum()), 1e-30)))
        st.P = newP.astype(self.cdt)
        st.Pprev = st.P.copy()
        return change

    def opr_constraint(self, P):
        """Orthogonal probe relaxation: keep the ``opr_subspace`` leading SVD components of the probe set."""
        k = int(self.p.get("opr_subspace", 3) or 0)
        if k <= 0:
            return P
        xp = self.xp
        n, Mp = P.shape[:2]
        out = P.copy()
        for m in range(Mp):
            A = P[:, m].reshape(n, -1)
            U, s, Vh = xp.linalg.svd(A, full_matrices=False)
            out[:, m] = ((U[:, :k] * s[:k]) @ Vh[:k]).reshape(P.shape[0], *P.shape[2:])
        return out

    def engine_finalize(self):
        for st in self.states:
            st.psi = None


class DM(ProjectionEngine):
    """Difference map: a = −α, b = 1, c = 1 + α (``alpha``, default 1)."""

    DEFAULTS = dict(PROJ_DEFAULTS, alpha=1.0)

    def coefficients(self):
        al = float(self.p["alpha"])
        return -al, 1.0, 1.0 + al


class RAAR(ProjectionEngine):
    """Relaxed averaged alternating reflections: a = 1 − 2β, b = β, c = 2 (``beta``, default 0.75)."""

    DEFAULTS = dict(PROJ_DEFAULTS, beta=0.75)

    def coefficients(self):
        be = float(self.p["beta"])
        return 1.0 - 2.0 * be, be, 2.0
