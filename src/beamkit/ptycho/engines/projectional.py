"""Projection engines DM (alpha) and RAAR (beta), batched over all views.

Exit waves are kept in detector space (Ψ = FW(ψ)), so one iteration costs one forward
FFT of P·O and one inverse FFT of the updated Ψ for all views, and the Photons error
comes for free. Overlap update: object then probe, up to ``overlap_max_iterations`` times.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .base import BaseEngine
from .chunks import ChunkRunner
from .kernels import CornerSum, exit_waves, fourier_projection, gather, pods_object, pods_probe, reduce_modes, scatter_add

__all__ = ["DM", "RAAR", "ProjectionEngine"]

PROJ_DEFAULTS = dict(probe_update_start=2, subpix_start=0, subpix="linear", update_object_first=True,
                     overlap_converge_factor=0.05, overlap_max_iterations=10, probe_inertia=1e-9,
                     object_inertia=1e-4, fourier_power_bound=None, fourier_relax_factor=0.05,
                     obj_smooth_std=None, clip_object=None, probe_center_tol=None,
                     compute_log_likelihood=True, position_refinement=False)


class ProjectionEngine(BaseEngine):
    """Generalised projection (a, b, c) with the overlap-constraint update."""

    DEFAULTS = PROJ_DEFAULTS
    SUPPORTED_MODELS = ("Full", "Vanilla", "BlockFull", "BlockVanilla")   # ptypy's; OPR: DMOPR
    exits_in_detector_space = True      # st.ex holds Ψ = FW(ψ)

    def coefficients(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def engine_prepare(self):
        # object inertia × the mean frame power (Σ I per frame); ptypy uses the mean power per
        # detector pixel, N² times smaller (engines package doc: a deliberate difference)
        self._mean_power = float(np.mean([float(st.diff.sum(axis=(-2, -1)).mean()) for st in self.states])) if self.states else 1.0
        gpu = self.be.name != "numpy"
        for st in self.states:
            K, (ny, nx) = st.K, st.P.shape[-2:]
            st.runner = ChunkRunner(st.n, K * ny * nx * np.dtype(self.cdt).itemsize * 4, gpu)
            st.big_runner = ChunkRunner(st.n, 1, gpu, max_chunks=st.runner.threads)
            if st.ex is None or st.ex.shape[0] != st.n:
                st.ex = self.xp.empty((st.n, K, ny, nx), self.cdt)

                def init(s, e, st=st):
                    po = exit_waves(st.P, gather(st.O, st.flat[s:e], st.corners[s:e]), st.pidx[s:e], st.pm, st.om)
                    st.ex[s:e] = st.blk.prop.fw(po, 1)      # Ψ in detector space
                st.runner.map(init)
            st.psi = self.xp.empty_like(st.ex)
            st.full_mask = bool((st.mask == 1).all())
            st.wphot = st.mask / (st.diff + 1)
            st.pbound = self.pbound(st)
            if getattr(st, "Pprev", None) is None:   # ptypy's pr_buf starts at 0: the first probe
                st.Pprev = self.xp.zeros_like(st.P)   # update reports change 1 (a second overlap pass)

    def engine_iterate(self, num=1):
        a, b, c = self.coefficients()
        want_ll = bool(self.p["compute_log_likelihood"])
        errs = []
        for i, st in enumerate(self.states):
            def fourier(s, e, st=st):
                po = exit_waves(st.P, gather(st.O, st.flat[s:e], st.corners[s:e]), st.pidx[s:e], st.pm, st.om)
                F_po = st.blk.prop.fw(po, 1)
                ex = st.ex[s:e]
                dF, ef, ep, ee = fourier_projection(F_po, ex, st.fmag[s:e], st.mask[s:e], a, b, c, st.pbound,
                                                    st.blk.resample, st.diff[s:e], want_ll, st.full_mask,
                                                    st.wphot[s:e])
                ex += dF
                st.psi[s:e] = st.blk.prop.bw(ex, 1)           # real-space exit waves for the overlap update
                if fuse:                                       # the first object update's numerator, while in cache
                    self.xp.multiply(Pc, st.psi[s:e], out=st.numbuf[s:e])
                return self.xp.stack([ef, ep, ee], 1)
            fuse = st.A is not None and st.P.shape[0] == 1 and st.K == st.O.shape[0]
            if fuse:
                Pc = pods_probe(st.P, st.pidx, st.pm).conj()
                if getattr(st, "numbuf", None) is None:
                    st.numbuf = self.xp.empty((st.n, st.O.shape[0]) + st.psi.shape[2:], self.cdt)
            st.num_ready = fuse
            st.err = np.concatenate([self.be.to_numpy(r) for r in st.runner.map(fourier)])
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
        Mo = st.O.shape[0]
        Pp = pods_probe(st.P, st.pidx, st.pm)
        if st.A is not None and Pp.shape[0] == 1:
            Pc = Pp.conj()
            num = st.numbuf if getattr(st, "numbuf", None) is not None else xp.empty((st.n, Mo) + st.psi.shape[2:], self.cdt)
            st.numbuf = num

            def part(s, e):
                if st.K == Mo:
                    xp.multiply(Pc, st.psi[s:e], out=num[s:e])
                else:
                    num[s:e] = reduce_modes(Pc * st.psi[s:e], st.om, Mo)
            if not getattr(st, "num_ready", False):       # else filled by the Fourier pass with this probe
                st.runner.map(part)
            st.num_ready = False
            N = scatter_add(num, st.flat, st.O.shape, st.A)
            p2 = reduce_modes(Pp.real ** 2 + Pp.imag ** 2, st.om, Mo)
            if getattr(st, "csum", None) is None:
                st.csum = CornerSum(st.corners, st.P.shape[-2:], st.O.shape)
            D = st.csum(p2[0])                       # Σ_views |P|² by FFT convolution
        else:
            psi = st.psi
            num = reduce_modes(Pp.conj() * psi, st.om, Mo)
            den = reduce_modes(xp.broadcast_to(Pp.real ** 2 + Pp.imag ** 2, psi.shape), st.om, Mo)
            N = scatter_add(num, st.flat, st.O.shape, st.A)
            D = scatter_add(den, st.flat, st.O.shape, st.A)
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
        st.num_ready = False          # a numerator from the Fourier pass used the old probe
        P = st.P
        Mp = P.shape[1]

        def part(s, e):
            Ov = pods_object(gather(st.O, st.flat[s:e], st.corners[s:e]), st.om)             # (n, K, Ny, Nx)
            psi = st.psi[s:e]
            num = Ov.conj() * psi
            den = xp.broadcast_to(Ov.real ** 2 + Ov.imag ** 2, psi.shape)
            return (reduce_modes(num.sum(axis=0, keepdims=True), st.pm, Mp)[0],
                    reduce_modes(den.sum(axis=0, keepdims=True), st.pm, Mp)[0])
        parts = st.runner.map(part)
        numr = sum(p[0] for p in parts)
        denr = sum(p[1] for p in parts)
        cfact = float(self.p["probe_inertia"]) * st.n * st.O.shape[0]    # ptypy: probe views / probe layers
        newP = ((cfact * P[0] + numr) / (cfact + denr))
        return self.accept_probe(st, self.apply_probe_support(i, newP.astype(self.cdt))[None])

    def accept_probe(self, st, newP):
        """Store ``newP`` as the probe; return ptypy's change √(‖P − P_prev‖² / ‖P‖²)."""
        xp = self.xp
        d = newP - st.Pprev
        change = float(xp.sqrt((xp.abs(d) ** 2).sum() / max(float((xp.abs(newP) ** 2).sum()), 1e-30)))
        st.P = newP.astype(self.cdt)
        st.Pprev = st.P.copy()
        return change

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
