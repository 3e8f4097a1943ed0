"""Maximum-likelihood engine (conjugate gradient with polynomial line search), batched.

Likelihoods (``ML_type``): Gaussian (w = R·m/(1/R + I) on I_model − I, the data as measured),
Poisson, Euclid (amplitudes); R (``intensity_renormalization``) enters only the Gaussian weights
and the total power of the del² prior, and ``floating_intensities`` scales the model and the line
search but not the gradient, both as ptypy 0.9. Options: floating_intensities, intensity_renormalization (R), reg_del2
(smoothness prior on the object), smooth_gradient (Gaussian filter of the object
gradient, σ decaying each iteration), scale_precond (probe/object step balance),
wavefield_precond, poly_line_coeffs ('quadratic' or 'all'; 'all' applies to the Gaussian model,
as ptypy's poly_line_all_coeffs: Poisson and Euclid take the quadratic step). The error triple is
(0, LL_view/Npix, 0) as ptypy reports it.

As ptypy 0.9's ML: the del² prior uses differences without wrap-around (zero at the storage
edges); the step is −B1/(2·B2) with 'quadratic' (no safeguard, no restart) and, with 'all',
the best real stationary point of the full degree-8 polynomial; the preconditioners act on
the gradient and again when the new direction is formed.

On ptypy's MoonFlower data (README settings) the log-likelihood equals an independent
transcription of ptypy's ML/GaussianModel to 1e-7 for the first 25 iterations; from there the
unguarded line search (LL jumps such as 393 → 7e4 at one step) turns float32 rounding into
different trajectories: final NRMSE 0.1799 here, 0.1790 for the transcription, 0.1797/0.180 for
ptypy's own runs, 0.184 for its ML_serial, and 0.1809 here in double precision.
"""
from __future__ import annotations

import functools

import numpy as np

from ...errors import ParameterError
from .base import BaseEngine
from .chunks import ChunkRunner
from .kernels import bin_frames, gather, pods_object, pods_probe, reduce_modes, scatter_add, unbin_frames

__all__ = ["ML"]

ML_DEFAULTS = dict(ML_type="gaussian", floating_intensities=False, intensity_renormalization=1.0, reg_del2=False,
                   reg_del2_amplitude=0.01, smooth_gradient=0.0, smooth_gradient_decay=0.0, scale_precond=False,
                   scale_probe_object=1.0, poly_line_coeffs="quadratic", wavefield_precond=False,
                   wavefield_delta_object=0.1, wavefield_delta_probe=0.1, probe_update_start=2, position_refinement=False)


@functools.lru_cache(maxsize=8)
def _gauss_kernel_ft(sigma, my, mx, radius):
    """2-D filter in Fourier space (my × mx, float32); cached, as σ repeats within an iteration."""
    return (_gauss_ft(sigma, my, radius)[:, None] * _gauss_ft(sigma, mx, radius)[None, :]).astype(np.float32)


def _gauss_ft(sigma, n, radius):
    """DFT (length n) of scipy's sampled, truncated and normalised 1-D Gaussian kernel."""
    k = np.arange(1, radius + 1)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    norm = 1.0 + 2.0 * w.sum()
    q = np.fft.fftfreq(n)[:, None]
    return (1.0 + 2.0 * (w * np.cos(2 * np.pi * q * k)).sum(axis=1)) / norm


def _smooth(a, sigma, xp):
    """Gaussian filter (σ px) of the last two axes, equal to ptypy's
    ``scipy.ndimage.gaussian_filter(mode='reflect', truncate=4)`` on real and imaginary parts:
    the array is mirrored by the kernel radius on each side and filtered by FFT (a periodic
    filter would mix opposite edges of the object gradient)."""
    if not sigma or sigma <= 0:
        return a
    from scipy import fft as sfft
    ny, nx = a.shape[-2:]
    r = int(4.0 * sigma + 0.5)
    if r == 0:
        return a
    pad = [(0, 0)] * (a.ndim - 2) + [(r, r), (r, r)]
    b = xp.pad(a, pad, mode="symmetric")
    my, mx = sfft.next_fast_len(ny + 2 * r), sfft.next_fast_len(nx + 2 * r)
    g = xp.asarray(_gauss_kernel_ft(float(sigma), my, mx, r))
    if xp is np:
        B = sfft.fft2(b, s=(my, mx), workers=-1)
        B *= g
        out = sfft.ifft2(B, workers=-1, overwrite_x=True)
    else:
        out = xp.fft.ifft2(xp.fft.fft2(b, s=(my, mx)) * g)
    return out[..., r:r + ny, r:r + nx].astype(a.dtype)


def _square_poly(As, w, total, n):
    """Coefficients (first ``n``, long double) of Σ w·(Σ_k A_k·t^k)² in t."""
    out = np.zeros(9, np.longdouble)
    for i in range(len(As)):
        wAi = w * As[i]
        for j in range(i, len(As)):
            if i + j < n:
                out[i + j] += (1 if i == j else 2) * total(wAi * As[j])
    return out


def _cnorm2(a, xp):
    return float((a.real.astype(np.float64) ** 2).sum() + (a.imag.astype(np.float64) ** 2).sum())


def _cdot(a, b, xp):
    return float(xp.vdot(a.ravel(), b.ravel()).real)


class ML(BaseEngine):
    """Maximum likelihood reconstruction (Thibault & Guizar-Sicairos 2012)."""

    DEFAULTS = ML_DEFAULTS
    SUPPORTED_MODELS = ("Full", "Vanilla", "BlockFull", "BlockVanilla", "GradFull", "BlockGradFull")  # ptypy's

    def engine_prepare(self):
        xp = self.xp
        t = str(self.p["ML_type"]).lower()
        if t not in ("gaussian", "poisson", "euclid"):
            raise ParameterError("engine.ML.ML_type", "'gaussian', 'poisson' or 'euclid'", self.p["ML_type"])
        self.ml_type = t
        if str(self.p["poly_line_coeffs"]) not in ("quadratic", "all"):
            raise ParameterError("engine.ML.poly_line_coeffs", "'quadratic' or 'all'", self.p["poly_line_coeffs"])
        R = float(self.p["intensity_renormalization"])
        if not R > 0:
            raise ParameterError("engine.ML.intensity_renormalization", "a number > 0", self.p["intensity_renormalization"])
        self.tot_measpts = sum(float(np.prod(st.diff.shape)) for st in self.states)   # ptypy: all data points
        self.tpower = sum(float((st.diff * st.mask).sum()) for st in self.states) * R
        gpu = self.be.name != "numpy"
        for st in self.states:
            K, (ny, nx) = st.K, st.P.shape[-2:]
            st.runner = ChunkRunner(st.n, K * ny * nx * 8 * 8, gpu)
            st.I = st.diff                    # R enters the Gaussian weights and tot_power only (ptypy)
            if t == "gaussian":
                st.w = (R * st.mask / (1.0 / R + st.I)).astype(self.rdt)
            else:
                st.w = st.mask
            if t == "poisson":     # ptypy's constant Σ lnΓ(I+1) per frame, so the LL reads as ptypy's
                from scipy.special import gammaln
                st.llbase = xp.asarray(gammaln(self.be.to_numpy(st.I).astype(np.float64) + 1).sum(axis=(-2, -1)))
            st.F = None
            st.fi = xp.ones(st.n, self.rdt)
        self.reg_amp = 0.0
        if self.p["reg_del2"]:
            npix = sum(float(np.prod(st.O.shape)) for st in self.states)
            expected_var = npix / max(self.tpower, 1e-30)
            self.reg_amp = float(self.p["reg_del2_amplitude"]) * self.tot_measpts / (8.0 * npix * expected_var)
        self.sigma = float(self.p["smooth_gradient"] or 0.0)
        self.scale_p_o = None
        self.tmin = 1.0
        self.gO = self.gP = self.hO = self.hP = None

    # likelihood and gradient ----------------------------------------------------
    def _residual(self, st, F, s, e):
        """Per-chunk: (factor multiplying f for ξ (n,1..), LL per view)."""
        xp = self.xp
        r = st.blk.resample
        I, w = st.I[s:e], st.w[s:e]
        fl = bool(self.p["floating_intensities"])
        if self.ml_type == "euclid":
            A = bin_frames(xp.abs(F).sum(axis=1), r) + 1e-6          # sum of mode amplitudes
            sI = xp.sqrt(xp.abs(I))                  # ptypy: sqrt(|I|)
            if fl:
                c = (sI.sum(axis=(-2, -1)) / A.sum(axis=(-2, -1)))[:, None, None]
                st.fi[s:e] = c[:, 0, 0]
                A = A * c
            DA = 1 - sI / A
            LL = (w * (A - sI) ** 2).sum(axis=(-2, -1))
            return unbin_frames(w * DA, r)[:, None], LL
        Im = bin_frames((F.real ** 2 + F.imag ** 2).sum(axis=1), r)
        if self.ml_type == "poisson":
            if fl:     # as ptypy's PoissonModel: c from the bare model, the 1e-6 added after scaling
                c = (I.sum(axis=(-2, -1)) / Im.sum(axis=(-2, -1)))[:, None, None]
                st.fi[s:e] = c[:, 0, 0]
                Im = Im * c
            Im = Im + 1e-6
            DI = w * (1 - I / Im)
            LL = (w * (Im - I * xp.log(Im))).sum(axis=(-2, -1)) + st.llbase[s:e]
            return unbin_frames(DI, r)[:, None], LL
        if fl:
            c = ((w * Im * I).sum(axis=(-2, -1)) / xp.maximum((w * Im ** 2).sum(axis=(-2, -1)), 1e-30))[:, None, None]
            st.fi[s:e] = c[:, 0, 0]
        else:
            c = 1.0
        DI = c * Im - I
        LL = (w * DI ** 2).sum(axis=(-2, -1))
        return unbin_frames(w * DI, r)[:, None], LL       # as ptypy: ξ = BW[w·DI·f], no factor c

    def _gradients(self):
        xp = self.xp
        gO, gP, LLs, errs = [], [], 0.0, []
        for st in self.states:
            Mo, (Pn, Mp) = st.O.shape[0], st.P.shape[:2]
            st.F = xp.empty((st.n, st.K) + st.P.shape[-2:], self.cdt)
            gOv = xp.empty((st.n, Mo) + st.P.shape[-2:], self.cdt)

            def part(s, e, st=st, gOv=gOv, Mo=Mo, Pn=Pn, Mp=Mp):
                Ov = gather(st.O, st.flat[s:e], st.corners[s:e])
                Pp = pods_probe(st.P, st.pidx[s:e], st.pm)
                Ok = pods_object(Ov, st.om)
                F = st.blk.prop.fw(Pp * Ok, 1)
                st.F[s:e] = F
                fac, LL = self._residual(st, F, s, e)
                xi = st.blk.prop.bw(fac * F, 1)
                gOv[s:e] = reduce_modes(2 * xi * Pp.conj(), st.om, Mo)
                gp = 2 * xi * Ok.conj()
                gp = reduce_modes(gp.sum(axis=0, keepdims=True), st.pm, Mp)[0] if Pn == 1 else reduce_modes(gp, st.pm, Mp)
                return gp, LL
            parts = st.runner.map(part)
            gO.append(scatter_add(gOv, st.flat, st.O.shape, st.A).astype(self.cdt))
            if Pn == 1:
                gP.append(sum(p[0] for p in parts)[None].astype(self.cdt))
            else:
                gP.append(xp.concatenate([p[0] for p in parts]).astype(self.cdt))
            LL = xp.concatenate([p[1] for p in parts])
            LLs += float(LL.sum())
            npix = float(np.prod(st.diff.shape[-2:]))
            e = np.zeros((st.n, 3))
            e[:, 1] = self.be.to_numpy(LL) / npix
            errs.append(e)
        return gO, gP, LLs, errs

    @staticmethod
    def _diffs(O):
        """Forward differences along x and y without wrap-around (ptypy's delxf/delxb)."""
        return O[..., :, 1:] - O[..., :, :-1], O[..., 1:, :] - O[..., :-1, :]

    def _reg_grad(self, O):
        """Gradient of the del² prior, 2A·(∂⁻ − ∂⁺)O in both axes, zero-flux edges as in ptypy."""
        dx, dy = self._diffs(O)
        g = self.xp.zeros_like(O)
        g[..., :, 1:] += dx
        g[..., :, :-1] -= dx
        g[..., 1:, :] += dy
        g[..., :-1, :] -= dy
        return (2 * self.reg_amp * g).astype(O.dtype)

    def _reg_ll(self, O):
        dx, dy = self._diffs(O)
        return 2 * self.reg_amp * (_cnorm2(dx, self.xp) + _cnorm2(dy, self.xp))

    # iteration --------------------------------------------------------------------
    def engine_iterate(self, num=1):
        xp = self.xp
        gO, gP, LL, errs = self._gradients()
        do_probe = self.curiter >= int(self.p["probe_update_start"])
        wf = []          # wavefield preconditioners 1/sqrt(fluence + delta) per state (object, probe)
        for i, st in enumerate(self.states):
            if self.reg_amp:
                gO[i] = gO[i] + self._reg_grad(st.O)
            if not do_probe:
                gP[i] = xp.zeros_like(gP[i])
            else:
                gP[i] = self.apply_probe_support(i, gP[i])
            if self.p["wavefield_precond"]:
                fo = scatter_add(xp.broadcast_to(reduce_modes((xp.abs(pods_probe(st.P, st.pidx, st.pm)) ** 2), st.om, st.O.shape[0]),
                                                 (st.n, st.O.shape[0]) + st.P.shape[-2:]), st.flat, st.O.shape, st.A)
                fp = (xp.abs(gather(st.O, st.flat, st.corners)) ** 2).sum(axis=(0, 1))
                wf.append((1 / xp.sqrt(fo + float(self.p["wavefield_delta_object"])),
                           1 / xp.sqrt(fp + float(self.p["wavefield_delta_probe"]))))
                gO[i] = (gO[i] * wf[i][0]).astype(self.cdt)
                gP[i] = (gP[i] * wf[i][1]).astype(self.cdt)
        if self.sigma:
            self.sigma *= (1.0 - float(self.p["smooth_gradient_decay"]))
            gO = [_smooth(g, self.sigma, xp) for g in gO]
        nO = sum(_cnorm2(g, xp) for g in gO)
        nP = sum(_cnorm2(g, xp) for g in gP)
        spo = float(self.p["scale_probe_object"])
        if self.p["scale_precond"]:
            s_new = spo * nO / nP if nP > 1e-5 else spo
            self.scale_p_o = s_new if self.scale_p_o is None else self.scale_p_o ** 0.9 * s_new ** 0.1
        else:
            self.scale_p_o = spo
        s = self.scale_p_o
        if self.gO is None or self.curiter == 0:
            bt = 0.0
        else:
            num = s * (nP - sum(_cdot(a, b, xp) for a, b in zip(self.gP, gP))) + \
                (nO - sum(_cdot(a, b, xp) for a, b in zip(self.gO, gO)))
            den = s * sum(_cnorm2(g, xp) for g in self.gP) + sum(_cnorm2(g, xp) for g in self.gO)
            bt = max(0.0, num / den) if den > 0 else 0.0
        # the stored probe gradient is the scaled one, as in ptypy (the next Polak-Ribière
        # coefficient then weighs the probe by s³; this damps the conjugation)
        self.gO, self.gP = gO, [s * g for g in gP]
        if self.hO is None:
            self.hO = [xp.zeros_like(g) for g in gO]
            self.hP = [xp.zeros_like(g) for g in gP]
        # as ptypy, the direction takes the preconditioned gradient through the preconditioners
        # once more: smoothing (and the wavefield factor) act twice on the object, the wavefield on the probe
        dirO = [g * wf[i][0] if wf else g for i, g in enumerate(gO)]
        dirO = [(_smooth(g, self.sigma, xp) if self.sigma else g) for g in dirO]
        dirP = [s * g * wf[i][1] if wf else s * g for i, g in enumerate(gP)]
        for i in range(len(self.states)):
            self.hO[i] = (self.hO[i] * (bt / self.tmin) - dirO[i]).astype(self.cdt)
            self.hP[i] = (self.hP[i] * (bt / self.tmin) - dirP[i]).astype(self.cdt)
        B = self._line_coeffs()
        tmin = self._step(B)
        if not np.isfinite(tmin):
            tmin = 0.0
        self.tmin = tmin if tmin != 0 else 1e-30
        for i, st in enumerate(self.states):
            self.hO[i] = (self.hO[i] * tmin).astype(self.cdt)
            self.hP[i] = (self.hP[i] * tmin).astype(self.cdt)
            st.O = self.clip_object((st.O + self.hO[i]).astype(self.cdt)) if self.p.get("clip_object") else (st.O + self.hO[i]).astype(self.cdt)
            st.P = (st.P + self.hP[i]).astype(self.cdt)
            st.err = errs[i]
        self.LL = (LL + (self._reg_ll(self.states[0].O) if self.reg_amp else 0.0)) / max(self.tot_measpts, 1)
        return np.concatenate(errs).mean(axis=0) if errs else np.zeros(3)

    def _step(self, B):
        """Step length as ptypy: −B1/(2·B2) ('quadratic'); with 'all' the real root of the polynomial's
        derivative where the polynomial is lowest."""
        quad = -0.5 * B[1] / B[2] if B[2] != 0 else 0.0
        if len(B) < 5:
            return quad
        poly = np.polynomial.Polynomial(B)
        roots = poly.deriv().roots()
        roots = roots[np.abs(roots.imag) <= 1e-6 * np.maximum(np.abs(roots), 1e-300)].real
        if not len(roots):
            return quad
        return float(roots[int(np.argmin(poly(roots)))])

    def _line_coeffs(self):
        """Polynomial coefficients B[k] of the cost along t·(h_O, h_P): k = 0..2, or with 'all' (Gaussian)
        the full degree-8 polynomial Σ w·(A0 + A1·t + … + A4·t⁴)², as ptypy's poly_line_all_coeffs."""
        xp = self.xp
        full = self.ml_type == "gaussian" and self.p["poly_line_coeffs"] == "all"
        B = np.zeros(9 if full else 3, np.longdouble)
        fast = self.ml_type == "gaussian" and self.xp is np
        for i, st in enumerate(self.states):
            hO, hP = self.hO[i], self.hP[i]
            r = st.blk.resample

            def part(s, e, st=st, hO=hO, hP=hP):
                Ov = pods_object(gather(st.O, st.flat[s:e], st.corners[s:e]), st.om)
                hOv = pods_object(gather(hO, st.flat[s:e], st.corners[s:e]), st.om)
                Pp = pods_probe(st.P, st.pidx[s:e], st.pm)
                hPp = pods_probe(hP, st.pidx[s:e], st.pm)
                f = st.F[s:e]
                a = st.blk.prop.fw(Pp * hOv + hPp * Ov, 1)
                b = st.blk.prop.fw(hPp * hOv, 1)
                I, w = st.I[s:e], st.w[s:e]
                c = st.fi[s:e][:, None, None] if self.p["floating_intensities"] else 1.0
                if fast:
                    return self._gauss_coeffs(f[:, 0], a[:, 0], b[:, 0], I, w, c, full)
                out = np.zeros(9, np.longdouble)
                if self.ml_type == "euclid":
                    af = xp.maximum(xp.abs(f), 1e-30)
                    ra = (f.conj() * a).real
                    A = bin_frames(af.sum(axis=1), r) + 1e-6
                    A1 = bin_frames((ra / af).sum(axis=1), r)
                    A2 = bin_frames((((f.conj() * b).real + 0.5 * (a.real ** 2 + a.imag ** 2) - 0.5 * ra ** 2 / af ** 2) / af).sum(axis=1), r)
                    A0 = c * A - xp.sqrt(xp.abs(I))
                    A1, A2 = c * A1, c * A2
                else:
                    A0 = c * bin_frames((f.real ** 2 + f.imag ** 2).sum(axis=1), r)
                    A1 = c * bin_frames(2 * (f * a.conj()).real.sum(axis=1), r)
                    A2 = c * bin_frames((2 * (f * b.conj()).real + a.real ** 2 + a.imag ** 2).sum(axis=1), r)
                    if full:
                        A3 = c * bin_frames(2 * (a * b.conj()).real.sum(axis=1), r)
                        A4 = c * bin_frames((b.real ** 2 + b.imag ** 2).sum(axis=1), r)
                f64 = lambda v: v.astype(np.float64) if hasattr(v, "astype") else v  # noqa: E731
                A0, A1, A2 = f64(A0), f64(A1), f64(A2)
                I, w = f64(I), f64(w)
                if full and self.ml_type == "gaussian":
                    A3, A4 = f64(A3), f64(A4)
                if self.ml_type == "poisson":
                    Im = A0 + 1e-6
                    fp = w * (1 - I / Im)
                    fpp = w * I / Im ** 2
                    out[0] = float((w * (Im - I * xp.log(Im))).sum())
                    out[1] = float((fp * A1).sum())
                    out[2] = float((fp * A2 + 0.5 * fpp * A1 ** 2).sum())
                    return out
                if self.ml_type == "gaussian":
                    A0 = A0 - I
                As = [A0, A1, A2] + ([A3, A4] if full and self.ml_type == "gaussian" else [])
                return _square_poly(As, w, lambda x: float(x.sum()), 3 if len(As) == 3 else 9)
            fast = fast and st.K == 1 and r == 1
            for o in st.runner.map(part):
                B[:len(B)] += o[:len(B)]
            if self.reg_amp:
                dxO, dyO = self._diffs(st.O)
                dxh, dyh = self._diffs(hO)
                B[0] += 2 * self.reg_amp * (_cnorm2(dxO, xp) + _cnorm2(dyO, xp))
                B[1] += 2 * self.reg_amp * 2 * (_cdot(dxO, dxh, xp) + _cdot(dyO, dyh, xp))
                B[2] += 2 * self.reg_amp * (_cnorm2(dxh, xp) + _cnorm2(dyh, xp))
        return [float(b) for b in B]

    @staticmethod
    def _gauss_coeffs(f, a, b, I, w, c, quartic=True):
        """Coefficients of Σ w·(c·|f + t·a + t²·b|² − I)² in t (degree 2, or all 9 with ``quartic``) for
        one pod per view and no binning: the A terms in single precision, products and sums in float64."""
        def S(x):
            return float(np.add.reduce(x, axis=None, dtype=np.float64))
        fr, fi, ar, ai, br, bi = f.real, f.imag, a.real, a.imag, b.real, b.imag
        A0 = fr * fr
        A0 += fi * fi
        A0 *= c
        A0 -= I
        A1 = fr * ar
        A1 += fi * ai
        A1 *= 2 * c
        A2 = fr * br
        A2 += fi * bi
        A2 *= 2
        A2 += ar * ar
        A2 += ai * ai
        A2 *= c
        As = [A0, A1, A2]
        if quartic:
            A3 = ar * br
            A3 += ai * bi
            A3 *= 2 * c
            A4 = br * br
            A4 += bi * bi
            A4 *= c
            As += [A3, A4]
        # float64 from here: the products of three terms overflow single precision early on
        return _square_poly([x.astype(np.float64) for x in As], w.astype(np.float64), S, 9 if quartic else 3)

    def engine_finalize(self):
        if self.p["floating_intensities"] and self.ptycho is not None:
            self.ptycho.runtime["float_intens"] = {st.blk.label: self.be.to_numpy(st.fi) for st in self.states}
        for st in self.states:
            st.F = None
