"""profile_cw.py and structure_factor.py: normalisation, TCH widths, analytic derivatives, Fc² vs GSAS-II."""
import numpy as np
import pytest

from beamkit.powder import crystal as cr
from beamkit.powder import profile_cw as pc
from beamkit.powder import scattering as sc
from beamkit.powder import structure_factor as sf
from shared_data import PBSO4_CIF as CIF, gsas2_refl_csv as _refl_csv, shared_file


def test_tch_fwhm_matches_gsas_row_101():
    # notes §4.2: sig 526.0 centideg², gam 2.1444 centideg -> FWHM 0.55156°
    assert pc.fwhm_cw(526.0, 2.1444) == pytest.approx(0.55156, abs=2e-5)
    F, eta = pc.tch_fwhm_eta(100.0, 0.0)
    assert F == pytest.approx(23.5482) and eta == 0.0
    F, eta = pc.tch_fwhm_eta(1e-12, 5.0)
    assert F == pytest.approx(5.0, rel=1e-4) and eta == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("tth,shl", [(20.44, 0.002), (10.0, 0.05), (150.0, 0.05), (40.0, 0.0)])
def test_profile_unit_area_in_centidegrees(tth, shl):
    x = np.linspace(-8, 8, 32001)                  # 5e-4° steps, σ ≈ 0.045°
    P = pc.fcj_voigt(x, tth, 20.0, 3.0, shl)
    # Lorentzian tails beyond ±8° hold about 2/π·(F/2)/800 of the area
    assert np.trapezoid(P, 100 * x) == pytest.approx(1.0, abs=2e-3)


def test_fcj_asymmetry_direction():
    x = np.linspace(-1, 1, 20001)
    low = pc.fcj_voigt(x, 10.0, 5.0, 1.0, 0.05)
    high = pc.fcj_voigt(x, 170.0, 5.0, 1.0, 0.05)
    mean_low = np.sum(x * low) / np.sum(low)
    mean_high = np.sum(x * high) / np.sum(high)
    assert mean_low < -0.01 and mean_high > 0.01          # tails toward 90°
    assert pc.fcj_phimin(10.0, 0.05) < 10.0 < 170.0 < pc.fcj_phimin(170.0, 0.05)


def test_profile_derivatives_match_finite_differences():
    rng = np.random.default_rng(1)
    n = 60
    a = dict(dx=rng.uniform(-0.5, 0.5, n), tth=rng.uniform(5, 170, n), sig=rng.uniform(5, 50, n),
             gam=rng.uniform(0.5, 10, n), shl=rng.uniform(0.005, 0.05, n))
    P, dpos, dsig, dgam, dshl = pc.fcj_voigt(**a, derivs=True)
    np.testing.assert_allclose(P, pc.fcj_voigt(**a))

    def num(key, e):
        lo, hi = dict(a), dict(a)
        lo[key] = a[key] - e
        hi[key] = a[key] + e
        return (pc.fcj_voigt(**hi) - pc.fcj_voigt(**lo)) / (2 * e)

    # the position moves both the offset (dx = x − pos) and the FCJ weights (tth = pos)
    e = 1e-6
    pos_hi = dict(a, dx=a["dx"] - e, tth=a["tth"] + e)
    pos_lo = dict(a, dx=a["dx"] + e, tth=a["tth"] - e)
    ref = (pc.fcj_voigt(**pos_hi) - pc.fcj_voigt(**pos_lo)) / (2 * e)
    assert np.max(np.abs(dpos - ref)) <= 1e-5 * np.max(np.abs(ref))
    for got, key, e, tol in [(dsig, "sig", 1e-5, 1e-6), (dgam, "gam", 1e-5, 1e-6), (dshl, "shl", 1e-7, 1e-4)]:
        ref = num(key, e)
        assert np.max(np.abs(got - ref)) <= tol * np.max(np.abs(ref)), key


def test_peak_window_gsas_rule():
    lo, hi = pc.cw_peak_window(np.array([20.0, 120.0]), 100.0, 2.0, 0.002)
    fw = 2.355 * 0.1 + 0.02
    np.testing.assert_allclose(lo, [50 * (fw + 0.002 * np.cos(np.radians(20))), 75 * fw])
    np.testing.assert_allclose(hi, [75 * fw, 50 * (fw + 0.002 * abs(np.cos(np.radians(120))))])


def test_fc2_matches_gsas_neutron_simulation():
    p = cr.read_cif(shared_file(*CIF))
    ref = _refl_csv(shared_file("gsas2-data", "reference", "sim", "PbSO4refl.csv"))
    r = cr.generate_reflections(p.A, p.spacegroup, 1.909 / (2 * np.sin(np.radians(60.0))))
    f, fp, fpp = sc.scattering_factors(p.types, r["d"], "neutron")
    out = sf.structure_factors(r["hkl"], p.A, p.spacegroup, p.xyz, p.occ, p.mult, p.uiso, f, fp, fpp)
    # the CSV prints Fc² with 3 decimals: GSAS-II's lengths (Pb 0.94024, O 0.58037) reproduce it
    np.testing.assert_allclose(out["Fc2"], ref[:, 6], rtol=0, atol=6e-4)
    np.testing.assert_allclose(np.abs(out["phase"]), ref[:, 7], atol=1e-6)


def test_structure_factor_derivatives():
    sg = cr.space_group("P 1 21/c 1")
    A = cr.cell_to_A([5.1, 6.3, 7.2, 90, 101, 90])
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 1, (3, 3))
    frac, mult, uiso = np.array([1, .8, .5]), np.array([4, 4, 4.]), np.array([.01, .02, .015])
    uan = np.array([[0] * 6, [.01, .02, .03, .001, .002, -.003], [0] * 6])
    aniso = np.array([False, True, False])
    r = cr.generate_reflections(A, sg, 1.5)
    f, fp, fpp = sc.scattering_factors(["Fe", "O", "Na"], r["d"], "xray", 1.5405)
    base = dict(xyz=xyz, frac=frac, uiso=uiso, uaniso=uan)

    def F(**k):
        a = dict(base, **k)
        return sf.structure_factors(r["hkl"], A, sg, a["xyz"], a["frac"], mult, a["uiso"], f, fp, fpp,
                                    a["uaniso"], aniso)["Fc2"]

    d = sf.structure_factors(r["hkl"], A, sg, xyz, frac, mult, uiso, f, fp, fpp, uan, aniso,
                             derivs=True)["derivs"]
    e = 1e-6

    def check(key, arr, idx, got):
        lo, hi = arr.copy(), arr.copy()
        lo[idx] -= e
        hi[idx] += e
        ref = (F(**{key: hi}) - F(**{key: lo})) / (2 * e)
        assert np.max(np.abs(got - ref)) <= 1e-6 * max(np.max(np.abs(ref)), 1e-9)

    for j in range(3):
        for k in range(3):
            check("xyz", xyz, (j, k), d["x"][:, j, k])
        check("frac", frac, j, d["frac"][:, j])
        check("uiso", uiso, j, d["Uiso"][:, j])
    for k in range(6):
        check("uaniso", uan, (1, k), d["Uij"][:, 1, k])
    assert np.all(d["Uiso"][:, 1] == 0)


def test_centric_fc2_is_friedel_average_with_anomalous():
    sg = cr.space_group("P 1")
    A = cr.cell_to_A([5, 5, 5, 90, 90, 90])
    H = np.array([[1, 0, 0], [-1, 0, 0], [1, 2, 3], [-1, -2, -3]])
    xyz = np.array([[0.1, 0.2, 0.3], [0.6, 0.1, 0.9]])
    f, fp, fpp = sc.scattering_factors(["Fe", "O"], cr.d_spacing(H, A), "xray", 1.74)
    out = sf.structure_factors(H, A, sg, xyz, [1, 1], [1, 1], [0.01, 0.01], f, fp, fpp)
    np.testing.assert_allclose(out["Fc2"][0], out["Fc2"][1])
    np.testing.assert_allclose(out["Fc2"][2], out["Fc2"][3])


def test_structure_factor_blocks_equal_whole(monkeypatch):
    sg = cr.space_group("F d -3 m :2")
    A = cr.cell_to_A([5.43] * 3 + [90] * 3)
    r = cr.generate_reflections(A, sg, 0.5)
    f, fp, fpp = sc.scattering_factors(["Si"], r["d"], "xray", 0.7)
    args = (r["hkl"], A, sg, [[0.125, 0.125, 0.125]], [1.0], [8], [0.005], f, fp, fpp)
    whole = sf.structure_factors(*args, derivs=True)
    monkeypatch.setattr(sf, "_BLOCK_ELEMENTS", 192 * 7)           # 7 reflections per block
    blocks = sf.structure_factors(*args, derivs=True)
    np.testing.assert_allclose(blocks["Fc2"], whole["Fc2"], rtol=1e-12)
    np.testing.assert_allclose(blocks["derivs"]["x"], whole["derivs"]["x"], rtol=1e-12, atol=1e-9)
    # diamond structure: 222 absent at the 8a site, 111 strong; F(111)² = (4√2·f)² with T
    hk = {tuple(h): i for i, h in enumerate(r["hkl"])}
    assert whole["Fc2"][hk[(2, 2, 2)]] < 1e-20
    i = hk[(1, 1, 1)]
    T = np.exp(-8 * np.pi ** 2 * 0.005 * 0.25 / r["d"][i] ** 2)
    np.testing.assert_allclose(whole["Fc2"][i], 32 * ((f[i, 0] + fp[0]) ** 2 + fpp[0] ** 2) * T ** 2, rtol=1e-10)


def test_chunked_pairs_equal_single_block(monkeypatch):
    rng = np.random.default_rng(4)
    m = 300
    pos, sig, gam = np.sort(rng.uniform(8, 150, m)), rng.uniform(3, 30, m), rng.uniform(1, 8, m)
    x = np.linspace(5, 155, 3000)
    lo, hi = pc.cw_peak_window(pos, sig, gam, 0.01)
    from beamkit.powder.pattern import window_pairs
    ipt, ipk = window_pairs(x, pos, lo, hi)
    dx = x[ipt] - pos[ipk]
    a = pc.fcj_voigt_peaks(dx, ipk, pos, sig, gam, 0.01, derivs=True)
    b = pc.fcj_voigt_peaks(dx, ipk, pos, sig, gam, 0.01)
    monkeypatch.setattr(pc, "_CHUNK", 10 ** 9)
    a1 = pc.fcj_voigt_peaks(dx, ipk, pos, sig, gam, 0.01, derivs=True)
    b1 = pc.fcj_voigt_peaks(dx, ipk, pos, sig, gam, 0.01)
    assert ipt.size > 3 * 16384
    for u, v in zip(a, a1):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_allclose(b, b1, rtol=1e-14)
    np.testing.assert_allclose(b, a[0], rtol=1e-12, atol=1e-300)
    # the per-pair API gives the same values
    np.testing.assert_allclose(pc.fcj_voigt(dx, pos[ipk], sig[ipk], gam[ipk], 0.01), b, rtol=1e-12)


def test_fprime_gsas_correction_matches_gsas2_listing():
    """f′/f″ at Cu Kα1 (1.5405 Å) as GSAS-II lists them for PbSO4 (reference/PythonScript/step9.lst).

    'gsas' (default) replaces gemmi's Kissel-Pratt term by Cromer-Liberman's energy term, as GSAS-II's
    FPcalc does; 'kissel-pratt' keeps gemmi's value.  Listing values are rounded to 3 decimals.
    """
    fp, fpp = sc.anomalous(["Pb", "S", "O-2"], 1.5405)
    assert fp == pytest.approx([-4.078, 0.333, 0.049], abs=6e-4)
    assert fpp == pytest.approx([8.501, 0.557, 0.032], abs=6e-4)
    fp_kp, fpp_kp = sc.anomalous(["Pb", "S", "O"], 1.5405, correction="kissel-pratt")
    assert fp_kp[0] == pytest.approx(-3.948, abs=6e-4)
    assert fp[0] - fp_kp[0] == pytest.approx(0.986 - 1.116, abs=1e-9)    # minus kpcor-relcor, minus ElEterm
    assert np.array_equal(fpp, fpp_kp)
    f0, fp_sf, _ = sc.scattering_factors(["Pb"], [2.0], "xray", 1.5405, fprime="kissel-pratt")
    assert fp_sf[0] == fp_kp[0] and sc.scattering_factors(["Pb"], [2.0], "xray", 1.5405)[1][0] == fp[0]
    # hydrogen has no anomalous terms in either; unknown correction names raise
    assert sc.anomalous(["H"], 1.5405)[0][0] == 0.0
    from beamkit.errors import ParameterError
    with pytest.raises(ParameterError):
        sc.anomalous(["Pb"], 1.5405, correction="henke")


@pytest.mark.parametrize("tth,shl,sig,gam", [(20.0, 0.002, 5.0, 2.0), (10.0, 0.02, 5.0, 2.0), (150.0, 0.05, 30.0, 8.0)])
def test_fcj_quadrature_is_gsas2s_psvfcjo(tth, shl, sig, gam):
    """The FCJ convolution as GSAS-II's PSVFCJO computes it (an independent transcription of its
    rule): n = the smallest tabulated size ≥ int(300·|2θ − 2φmin|/γ) (2θ in degrees, γ in
    centidegrees); the positive half of the n-point Gauss-Legendre rule on [−1, 1] placed at
    2φ = 2φmin + (2θ − 2φmin)·x; weights w·(S/L+H/L)·F − 1)/cos 2φ with F = |cos 2θ|/√(cos²2φ − cos²2θ)."""
    sizes = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
             140, 160, 180, 200, 220, 240, 260, 280, 300, 400]
    c2t = np.cos(np.radians(tth))
    emin = np.degrees(np.arccos(np.sqrt(1 + shl ** 2) * c2t))
    k = int(300.0 * abs(tth - emin) / gam)
    n = next((s for s in sizes if s >= k), 400)
    t, w = np.polynomial.legendre.leggauss(n)
    t, w = t[t > 0], w[t > 0]
    delta = emin + (tth - emin) * t
    cd = np.cos(np.radians(delta))
    F = abs(c2t) / np.sqrt(np.maximum(cd ** 2 - c2t ** 2, 1e-300))
    G = w * (shl * F - 1.0) / cd
    dx = np.linspace(-1.0, 0.6, 161)
    Fw, eta = pc.tch_fwhm_eta(sig, gam)
    pv = pc.pseudo_voigt(100.0 * (tth + dx[:, None] - delta[None, :]), Fw, eta)
    want = (pv * G).sum(axis=1) / G.sum()
    got = pc.fcj_voigt(dx, tth, sig, gam, shl)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9 * want.max())
