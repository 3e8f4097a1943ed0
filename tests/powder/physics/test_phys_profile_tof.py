"""TOF profile: GSAS-II's EPSVOIGT definition checked by direct quadrature, unit area, derivatives."""
import numpy as np
import pytest
from scipy import integrate, special

from beamkit.powder import profile_tof as ptf
from beamkit.powder.profile_cw import tch_fwhm_eta

ALP, BET, SIG, GAM = 0.09, 0.05, 300.0, 40.0          # 1/µs, 1/µs, µs², µs


def _quadrature(dx):
    """(1−η)·[B2B ⊗ Gauss] + η·2N∫₀^∞(e^{−αs}+e^{−βs})L(Δ−s)ds by scipy.quad (the definition)."""
    F, eta = tch_fwhm_eta(SIG, GAM)
    s2 = F * F / (8 * np.log(2))
    N = ALP * BET / (2 * (ALP + BET))
    g = lambda t: np.exp(-t * t / (2 * s2)) / np.sqrt(2 * np.pi * s2)
    lor = lambda t: (F / (2 * np.pi)) / (t * t + F * F / 4)
    out = []
    for d in dx:
        gs = (integrate.quad(lambda t: np.exp(ALP * t) * g(d - t), -np.inf, 0)[0]
              + sum(integrate.quad(lambda t: np.exp(-BET * t) * g(d - t), a, b)[0]
                    for a, b in ((0, max(d, 0.0)), (max(d, 0.0), np.inf))))
        f = lambda s: (np.exp(-ALP * s) + np.exp(-BET * s)) * lor(d - s)
        ls = integrate.quad(f, 0, max(d, 0.0), limit=200)[0] + integrate.quad(f, max(d, 0.0), np.inf, limit=200)[0]
        out.append((1 - eta) * 2 * N * gs + eta * 2 * N * ls)
    return np.array(out)


def test_profile_is_gsas_epsvoigt_definition():
    dx = np.array([-300.0, -80.0, -20.0, 0.0, 15.0, 60.0, 250.0])
    np.testing.assert_allclose(ptf.tof_profile(dx, ALP, BET, SIG, GAM), _quadrature(dx), rtol=2e-6, atol=1e-10)


def test_profile_unit_area_and_late_lorentzian():
    dx = np.linspace(-20000, 20000, 400001)
    P = ptf.tof_profile(dx, ALP, BET, SIG, GAM)
    area = P.sum() * (dx[1] - dx[0])
    assert area == pytest.approx(1.0, abs=2e-3)          # Lorentz tails beyond ±20 ms hold ~1e-3
    # the pure Lorentzian part (γ only) has its mean shifted by ~ +1/α·β/(α+β)+1/β·α/(α+β) > 0
    L = ptf.tof_profile(dx, ALP, BET, 1e-8, GAM)
    assert dx[np.argmax(L)] > 0


def test_profile_derivatives_match_finite_differences():
    dx = np.linspace(-400, 600, 201)
    P, dpos, da, db, ds, dg = ptf.tof_profile(dx, ALP, BET, SIG, GAM, derivs=True)
    fd = lambda **k: ptf.tof_profile(dx, **{**dict(alp=ALP, bet=BET, sig=SIG, gam=GAM), **k})
    checks = [(dpos, (ptf.tof_profile(dx - 1e-4, ALP, BET, SIG, GAM) - ptf.tof_profile(dx + 1e-4, ALP, BET, SIG, GAM)) / 2e-4),
              (da, (fd(alp=ALP + 1e-7) - fd(alp=ALP - 1e-7)) / 2e-7),
              (db, (fd(bet=BET + 1e-7) - fd(bet=BET - 1e-7)) / 2e-7),
              (ds, (fd(sig=SIG + 1e-4) - fd(sig=SIG - 1e-4)) / 2e-4),
              (dg, (fd(gam=GAM + 1e-5) - fd(gam=GAM - 1e-5)) / 2e-5)]
    for got, num in checks:
        assert np.max(np.abs(got - num)) <= 1e-5 * np.max(np.abs(num))
