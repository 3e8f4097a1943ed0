"""Levenberg-Marquardt engine on synthetic problems."""
import numpy as np
import pytest

from beamkit.errors import ParameterError, RefinementError
from beamkit.powder.lsq import hessian_lsq, pinv_svd


def _gauss_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(-5, 5, 400)
    true = np.array([100.0, 0.3, 0.8, 5.0])

    def model(p):
        return p[0] * np.exp(-0.5 * ((x - p[1]) / p[2]) ** 2) + p[3]

    def dmodel(p):
        g = np.exp(-0.5 * ((x - p[1]) / p[2]) ** 2)
        return np.stack([g, p[0] * g * (x - p[1]) / p[2] ** 2,
                         p[0] * g * (x - p[1]) ** 2 / p[2] ** 3, np.ones_like(x)], axis=1)

    sigma = 2.0
    y = model(true) + rng.normal(0, sigma, x.size)
    w = np.full(x.size, 1 / sigma ** 2)
    sw = np.sqrt(w)
    return x, y, sw, true, model, dmodel


def test_linear_problem_matches_lstsq_and_covariance():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(200, 3))
    y = A @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 200)
    res = hessian_lsq(lambda p: y - A @ p, np.zeros(3), jac=lambda p: A, maxcyc=5)
    ref, *_ = np.linalg.lstsq(A, y, rcond=None)
    assert np.allclose(res.x, ref, atol=1e-10)
    chi2 = np.sum((y - A @ ref) ** 2)
    assert res.chisq == pytest.approx(chi2, rel=1e-10)
    gof2 = chi2 / (200 - 3)
    assert np.allclose(res.cov, np.linalg.inv(A.T @ A) * gof2, rtol=1e-8)
    assert res.gof == pytest.approx(np.sqrt(gof2))
    assert res.converged


def test_nonlinear_gaussian_fit_agrees_with_scipy():
    from scipy.optimize import curve_fit
    x, y, sw, true, model, dmodel = _gauss_problem()
    p0 = np.array([80.0, 0.0, 1.0, 0.0])
    res = hessian_lsq(lambda p: sw * (y - model(p)), p0, jac=lambda p: sw[:, None] * dmodel(p),
                      maxcyc=50, ftol=1e-10)
    popt, pcov = curve_fit(lambda xx, a, b, c, d: model(np.array([a, b, c, d])), x, y, p0=p0,
                           sigma=1 / sw, absolute_sigma=False)
    assert np.allclose(res.x, popt, rtol=1e-6)
    assert np.allclose(res.sig, np.sqrt(np.diag(pcov)), rtol=1e-4)
    assert np.all(np.abs(res.x - true) < 4 * res.sig)


def test_maxcyc_zero_only_computes_and_hess_interface():
    x, y, sw, true, model, dmodel = _gauss_problem()
    p0 = true * 1.05
    res = hessian_lsq(lambda p: sw * (y - model(p)), p0, jac=lambda p: sw[:, None] * dmodel(p), maxcyc=0)
    assert res.ncyc == 0 and np.array_equal(res.x, p0)

    def hess(p):
        J = sw[:, None] * dmodel(p)
        r = sw * (y - model(p))
        return J.T @ r, J.T @ J
    r2 = hessian_lsq(lambda p: sw * (y - model(p)), p0, hess=hess, maxcyc=20, ftol=1e-9)
    r1 = hessian_lsq(lambda p: sw * (y - model(p)), p0, jac=lambda p: sw[:, None] * dmodel(p),
                     maxcyc=20, ftol=1e-9)
    assert np.allclose(r1.x, r2.x) and np.allclose(r1.cov, r2.cov)


def test_singular_direction_is_handled_by_svd():
    # two perfectly correlated parameters: p0 + p1 is determined, p0 - p1 is not
    A = np.ones((50, 2))
    A[:, 1] = 1.0
    y = np.full(50, 3.0)
    res = hessian_lsq(lambda p: y - A @ p, np.zeros(2), jac=lambda p: A, maxcyc=3)
    assert res.x.sum() == pytest.approx(3.0)
    assert res.svd0 == 1
    assert np.all(np.isfinite(res.x))


def test_zero_derivative_variable_reported():
    A = np.zeros((30, 2))
    A[:, 0] = 1.0
    y = np.full(30, 2.0)
    res = hessian_lsq(lambda p: y - A @ p, np.zeros(2), jac=lambda p: A, maxcyc=3, names=["a", "b"])
    assert res.psing == ["b"] and res.x[0] == pytest.approx(2.0)


def test_divergence_restores_last_good_and_names_runaway():
    x = np.linspace(0, 1, 100)
    y = 2.0 * x + 1.0

    def func(p):
        r = y - (p[0] * x + p[1])
        if abs(p[1]) > 1e-9:       # any move of the offset blows the model up
            return np.full_like(r, np.nan)
        return r

    jac = lambda p: np.stack([x, np.ones_like(x)], axis=1)
    res = hessian_lsq(func, np.array([2.0, 0.0]), jac=jac, maxcyc=5, names=["slope", "offset"])
    assert res.diverged and res.runaway == "offset"
    assert "offset" in res.message
    assert np.array_equal(res.x, [2.0, 0.0])      # last good parameters kept
    with pytest.raises(RefinementError, match="offset"):
        hessian_lsq(func, np.array([2.0, 0.0]), jac=jac, maxcyc=5, names=["slope", "offset"],
                    raise_on_divergence=True)


def test_nan_start_and_bad_controls_raise():
    with pytest.raises(RefinementError):
        hessian_lsq(lambda p: np.array([np.nan, 1.0]), np.zeros(1), jac=lambda p: np.ones((2, 1)))
    with pytest.raises(ParameterError):
        hessian_lsq(lambda p: np.ones(2), np.zeros(1), jac=lambda p: np.ones((2, 1)), ftol=-1)
    with pytest.raises(ParameterError):
        hessian_lsq(lambda p: np.ones(2), np.zeros(1))


def test_marquardt_lambda_rises_when_step_overshoots():
    # strongly non-linear: exp model started far away, forcing rejected steps
    x = np.linspace(0, 4, 60)
    y = 5 * np.exp(-1.3 * x)
    f = lambda p: y - p[0] * np.exp(-p[1] * x)
    j = lambda p: np.stack([np.exp(-p[1] * x), -p[0] * x * np.exp(-p[1] * x)], axis=1)
    res = hessian_lsq(f, np.array([1.0, 5.0]), jac=j, maxcyc=200, ftol=1e-12)
    assert res.lam_max > 0
    assert np.allclose(res.x, [5, 1.3], rtol=1e-5)


def test_pinv_svd_drops_small_singular_values():
    a = np.diag([1.0, 1e-9])
    inv, nz = pinv_svd(a, 1e-6)
    assert nz == 1 and inv[0, 0] == pytest.approx(1.0) and inv[1, 1] == 0.0


def test_rise_tolerance_doubles_after_each_rejected_trial():
    """GSAS-II's HessianLSQ: after a rejected trial the allowed χ² rise doubles (ftol, 2·ftol, …).

    χ² is 1 at x = 0 and 1.0015 anywhere else; the Gauss-Newton step (x = 1) is refused at
    ftol = 1e-3, the next trial (λ = 1e-3) is accepted at 2e-3, and the negative χ² change
    ends the refinement as converged.
    """
    def func(x):
        return np.array([1.0 if x[0] == 0.0 else np.sqrt(1.0015)])

    def hess(x):
        return np.array([1.0]), np.array([[1.0]])

    res = hessian_lsq(func, [0.0], hess=hess, ftol=1e-3, maxcyc=5)
    assert res.ncyc == 1 and res.converged
    assert res.lam_max == pytest.approx(1e-3)
    assert res.x[0] == pytest.approx(1.0 / 1.001)
    assert res.delchi2 == pytest.approx(-0.0015)
    # GSAS-II's 'Max shft/sig' is the total shift over its esd (GOF² = χ² here: one obs, one var)
    assert res.max_shift_sig == pytest.approx(res.x[0] / np.sqrt(1.0015), rel=1e-9)


def test_stuck_refinement_keeps_start_and_reports_largest_lambda_used():
    """Every trial raises chi² by 50 %, which the rise tolerance (0.1 %, doubled after each refused
    trial) never accepts: lambda runs 0, 1e-3 … 10, and at 100 GSAS-II stops without solving
    ('ouch #4'), so lamMax is 10 and the parameters stay at the start."""
    def func(x):
        return np.array([1.0 if x[0] == 0.0 else np.sqrt(1.5)])

    res = hessian_lsq(func, [0.0], hess=lambda x: (np.array([1.0]), np.array([[1.0]])), ftol=1e-3, maxcyc=5)
    assert res.ncyc == 0 and not res.converged and res.x[0] == 0.0
    assert res.lam_max == pytest.approx(10.0) and "stuck" in res.message
