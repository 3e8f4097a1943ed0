"""Levenberg-Marquardt least squares on the normal equations (GSAS-II's HessianLSQ).

The model is described by two callables of the parameter vector ``x``:

* ``func(x) -> r``: weighted residuals ``r = sqrt(w)·(yobs − ycalc)`` (plus any
  restraint rows), shape (N,);
* ``jac(x) -> J``: ``J = d(sqrt(w)·ycalc)/dx`` (= −dr/dx), shape (N, n); or,
  instead, ``hess(x) -> (Yvec, Amat)`` with ``Yvec = Jᵀr`` and ``Amat = JᵀJ``.

Each cycle solves ``(A·(1 + λ·I)) Δ = Y`` in the diagonally normalised space with an
SVD pseudo-inverse (singular values below ``xtol`` of the largest are dropped),
accepts the step when χ² does not rise by more than a relative tolerance that starts
at ``ftol`` and doubles after every rejected trial of the cycle, and otherwise raises
λ ×10 (starting at 10**lamda) until λ > 10; λ/10 carries to the next cycle.  The cycle
ends converged when its relative χ² drop is < ``ftol`` (GSAS-II's ``min dM/M``; a drop
that is negative, i.e. an accepted rise, counts too).  All of this is how GSAS-II's
HessianLSQ behaves, so refinements stop where GSAS-II's stop.  The covariance is
``(JᵀJ)⁻¹·GOF²`` with ``GOF = sqrt(χ² / (Nobs − Nvars))``; ``max_shift_sig`` is GSAS-II's
'Max shft/sig', the largest signed total shift of the refinement over its esd.

A step that makes χ² NaN/inf counts as a rise; a refinement that cannot take any
finite step stops, keeps the last good parameters and names the variable with the
largest normalised shift (``runaway``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError, RefinementError

__all__ = ["LSQResult", "hessian_lsq", "pinv_svd", "normal_equations"]

log = get_logger("beamkit.powder.lsq")


def blas_single_thread():
    """Context limiting BLAS to one thread (threadpoolctl), or doing nothing without it.

    The normal matrices here are small (≲100 × 20 000): on a busy 2-core machine a threaded
    BLAS spent more time synchronising than computing (PbSO4 tutorial 15-16 s against 9 s).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                          # optional dependency
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def pinv_svd(a: np.ndarray, rcond: float = 1e-6) -> tuple[np.ndarray, int]:
    """Moore-Penrose inverse of a symmetric matrix by SVD; returns (inverse, number of dropped singular values)."""
    u, s, vt = np.linalg.svd(a)
    if s.size == 0:
        return np.zeros_like(a), 0
    keep = s > rcond * s[0]
    sinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    return (vt.T * sinv) @ u.T, int(np.count_nonzero(~keep))


def normal_equations(jac_rows: np.ndarray, resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Yvec, Amat) = (Jᵀr, JᵀJ) from J of shape (N, n) and r of shape (N,)."""
    Jt = np.ascontiguousarray(np.asarray(jac_rows, float).T)
    return Jt @ resid, Jt @ Jt.T


@dataclass
class LSQResult:
    """Outcome of :func:`hessian_lsq` (values in the caller's units)."""

    x: np.ndarray
    inv_normal: np.ndarray          # (JᵀJ)⁻¹ (unscaled), n×n; zero rows/cols for singular variables
    chisq: float
    chisq0: float
    nobs: int
    nvars: int
    ncyc: int
    nfev: int
    lam_max: float
    svd0: int
    converged: bool
    delchi2: float
    fvec: np.ndarray
    psing: list = field(default_factory=list)
    diverged: bool = False
    runaway: str | None = None
    message: str = ""
    max_shift_sig: float = 0.0
    last_shift: np.ndarray | None = None
    time_s: float = 0.0

    @property
    def gof(self) -> float:
        """sqrt(χ²/(Nobs − Nvars)) (GSAS-II's GOF)."""
        dof = max(self.nobs - self.nvars, 1)
        return float(np.sqrt(self.chisq / dof))

    @property
    def cov(self) -> np.ndarray:
        """Covariance (JᵀJ)⁻¹·GOF²."""
        return self.inv_normal * self.gof ** 2

    @property
    def sig(self) -> np.ndarray:
        """Esds sqrt(diag(cov))."""
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))


def _name(names, i):
    return names[i] if names is not None and i < len(names) else f"x[{i}]"


def hessian_lsq(func, x0, jac=None, hess=None, *, ftol: float = 1e-3, xtol: float = 1e-6,
                maxcyc: int = 3, lamda: float = -3, shift_factor: float = 1.0,
                names=None, callback=None, nobs: int | None = None,
                raise_on_divergence: bool = False) -> LSQResult:
    """Levenberg-Marquardt refinement of ``x0`` (see the module docstring).

    ftol: relative χ² change for convergence (min dM/M); xtol: SVD cut-off;
    maxcyc: maximum cycles (0 = compute only); lamda: log10 of the first non-zero λ;
    shift_factor: multiplies each accepted shift (1 = GSAS-II);
    names: variable names for messages; callback(cycle, x, chisq, lam) after each cycle;
    nobs: number of observations for the GOF (default len(r)).
    """
    if jac is None and hess is None:
        raise ParameterError("jac/hess", "a Jacobian or a Hessian callable", None)
    if not np.isfinite(ftol) or ftol <= 0:
        raise ParameterError("min dM/M", "a positive number", ftol)
    if maxcyc < 0:
        raise ParameterError("max cyc", "an integer >= 0", maxcyc)
    if not (np.isfinite(shift_factor) and shift_factor > 0):
        raise ParameterError("shift factor", "a positive number", shift_factor)
    t0 = time.perf_counter()
    x = np.array(x0, dtype=float, ndmin=1).copy()
    x_start = x.copy()
    n = x.size

    def _hess(xv, r):
        if hess is not None:
            Y, A = hess(xv)
            return np.asarray(Y, float).copy(), np.asarray(A, float).copy()
        J = np.asarray(jac(xv), float)
        if J.shape != (r.size, n):
            if J.shape == (n, r.size):
                J = J.T
            else:
                raise RefinementError(f"Jacobian has shape {J.shape}, expected {(r.size, n)}")
        Jt = np.ascontiguousarray(J.T)      # (n, N): much faster products than J.T @ J
        return Jt @ r, Jt @ Jt.T

    r = np.asarray(func(x), float)
    nfev = 1
    nob = int(nobs if nobs is not None else r.size)
    chisq0 = float(np.sum(r * r))
    if not np.isfinite(chisq0):
        bad = np.flatnonzero(~np.isfinite(r))
        raise RefinementError(f"the starting model gives non-finite residuals "
                              f"({bad.size} points, first at index {bad[0]})")
    chi_start = chisq0
    lam = 0.0
    lam_max = 0.0
    converged = False
    delchi2 = 0.0
    ncyc = 0
    nzeros = 0
    psing: list = []
    diverged, runaway, message = False, None, ""
    last_shift = np.zeros(n)
    if n == 0:
        maxcyc = 0
    while ncyc < maxcyc:
        Y, A = _hess(x, r)
        adiag = np.sqrt(np.abs(np.diag(A)))
        sing = np.flatnonzero(adiag < 1e-14)
        ivec = np.flatnonzero(adiag >= 1e-14)
        psing = [_name(names, i) for i in sing]
        if ivec.size == 0:
            message = "all variables have zero derivative"
            break
        Ad = adiag[ivec]
        Yn = Y[ivec] / Ad
        An = A[np.ix_(ivec, ivec)] / np.outer(Ad, Ad)
        stuck = False
        chitol = ftol                     # doubles after each rejected trial (GSAS-II)
        while True:
            Al = An * (1.0 + lam * np.eye(ivec.size))
            try:
                Ainv, nzeros = pinv_svd(Al, xtol)
            except np.linalg.LinAlgError:
                Ainv = None
            step = np.zeros(n)
            if Ainv is not None:
                step[ivec] = (Ainv @ Yn) / Ad * shift_factor
            xt = x + step
            chisq1 = np.inf
            if np.all(np.isfinite(xt)):
                try:
                    rt = np.asarray(func(xt), float)
                except (ValueError, ArithmeticError) as exc:   # e.g. a size driven below zero
                    log.debug("trial step rejected: %s", exc)
                    rt = None
                nfev += 1
                if rt is not None:
                    with np.errstate(over="ignore", invalid="ignore"):
                        chisq1 = float(np.sum(rt * rt))
            if not np.isfinite(chisq1) or chisq1 > chisq0 * (1.0 + chitol):
                lam = 10.0 ** lamda if lam == 0 else lam * 10.0
                if lam <= 10.0:               # GSAS-II's lamMax: the largest lambda actually solved with
                    lam_max = max(lam_max, lam)
                log.debug("cycle %d: chi2 %.6g -> %.6g, increasing Marquardt lambda to %.1e",
                          ncyc, chisq0, chisq1, lam)
                if lam > 10.0:
                    stuck = True
                    if not np.isfinite(chisq1):
                        diverged = True
                        sd = np.sqrt(np.maximum(np.diag(pinv_svd(An, xtol)[0]), 1e-300))
                        ratio = np.abs(step[ivec] * Ad) / sd
                        k = ivec[int(np.nanargmax(np.where(np.isfinite(ratio), ratio, np.inf)))]
                        runaway = _name(names, k)
                        message = (f"refinement diverged (chi² not finite); last good parameters "
                                   f"restored; runaway variable {runaway}")
                    else:
                        message = f"chi² stuck: {chisq1:.6g} > {chisq0:.6g} at lambda {lam:.0e}"
                    break
                chitol *= 2.0
            else:
                x = xt
                last_shift = step
                r = rt
                lam = lam / 10.0
                break
        if stuck:
            break
        ncyc += 1
        delchi2 = (chisq0 - chisq1) / chisq0 if chisq0 > 0 else 0.0
        chisq0 = chisq1
        if callback is not None:
            callback(ncyc, x, chisq0, lam)
        if delchi2 < ftol:
            converged = True
            break
    # covariance at the final point
    if n:
        Y, A = _hess(x, r)
        adiag = np.sqrt(np.abs(np.diag(A)))
        ivec = np.flatnonzero(adiag >= 1e-14)
        inv = np.zeros((n, n))
        if ivec.size:
            Ad = adiag[ivec]
            B, nz2 = pinv_svd(A[np.ix_(ivec, ivec)] / np.outer(Ad, Ad), xtol)
            inv[np.ix_(ivec, ivec)] = B / np.outer(Ad, Ad)
            nzeros = max(nzeros, nz2)
    else:
        inv = np.zeros((0, 0))
    res = LSQResult(x=x, inv_normal=inv, chisq=chisq0, chisq0=chi_start, nobs=nob, nvars=n,
                    ncyc=ncyc, nfev=nfev, lam_max=lam_max, svd0=nzeros, converged=converged,
                    delchi2=delchi2, fvec=r, psing=psing, diverged=diverged, runaway=runaway,
                    message=message, last_shift=last_shift,
                    time_s=time.perf_counter() - t0)
    # GSAS-II's 'Max shft/sig': the largest (signed) total shift of the refinement over its esd
    sig = res.sig
    with np.errstate(divide="ignore", invalid="ignore"):
        ss = (x - x_start) / np.where(sig > 0, sig, np.inf)
    res.max_shift_sig = float(np.max(ss)) if ss.size else 0.0
    if diverged:
        log.warning(message)
        if raise_on_divergence:
            raise RefinementError(message)
    return res
