"""pattern.py: peak windows, summation, derivative matrices; the GSAS-II CW simulation reproduced."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.powder import broadening as br
from beamkit.powder import corrections as co
from beamkit.powder import crystal as cr
from beamkit.powder import pattern as pt
from beamkit.powder import profile_cw as pc
from beamkit.powder import scattering as sc
from beamkit.powder import structure_factor as sf
from shared_data import shared_file


def _rows(path, ncol):
    out = []
    for line in open(path):
        parts = line.strip().split(",")
        if len(parts) == ncol:
            try:
                out.append([float(p) for p in parts])
            except ValueError:
                pass
    return np.array(out)


def test_window_pairs_match_python_loop():
    x = np.linspace(0, 10, 101)
    pos = np.array([-5.0, 1.0, 5.05, 9.9, 20.0])
    lo = np.array([1.0, 0.5, 2.0, 0.3, 1.0])
    hi = np.array([1.0, 0.25, 0.1, 3.0, 1.0])
    ipt, ipk = pt.window_pairs(x, pos, lo, hi)
    ref_pt, ref_pk = [], []
    for k in range(len(pos)):                       # reference: GSAS-II's per-peak slices
        i0, i1 = np.searchsorted(x, pos[k] - lo[k]), np.searchsorted(x, pos[k] + hi[k])
        ref_pt += list(range(i0, i1))
        ref_pk += [k] * (i1 - i0)
    np.testing.assert_array_equal(ipt, ref_pt)
    np.testing.assert_array_equal(ipk, ref_pk)


def test_cw_simulation_matches_gsas(shared):
    """notes §13.3: PbSO4-Wyckoff.cif + inst_d1a.prm values, 5–120°, 1000 points, scale 500000."""
    cif = shared_file("gsas2-data", "PythonScript", "data", "PbSO4-Wyckoff.cif")
    dat = _rows(shared_file("gsas2-data", "reference", "sim", "PbSO4data.csv"), 6)
    refl = _rows(shared_file("gsas2-data", "reference", "sim", "PbSO4refl.csv"), 14)
    lam, zero, U, V, W = 1.909, -0.001, 354.031, -760.404, 651.592      # inst_d1a.prm as GSAS-II reads it
    p = cr.read_cif(cif)
    r = cr.generate_reflections(p.A, p.spacegroup, lam / (2 * np.sin(np.radians(60.0))))
    f, fp, fpp = sc.scattering_factors(p.types, r["d"], "neutron")
    Fc2 = sf.structure_factors(r["hkl"], p.A, p.spacegroup, p.xyz, p.occ, p.mult, p.uiso, f)["Fc2"]
    pos = co.cw_position(r["d"], lam, zero)
    t = np.tan(np.radians(pos / 2))
    Ks, Km = br.cw_factors(pos, lam)
    ssig, sgam = br.sample_sig_gam(r["hkl"], p.A, Ks, Km, {"i": 1.0}, {"i": 1000.0})
    sig = np.maximum(U * t * t + V * t + W, 0.001) + ssig
    gam = np.maximum(sgam, 0.001)
    inten = 500000.0 * r["mult"] * Fc2 / p.volume * co.lorentz_cw(pos)    # neutrons: no polarization
    x = np.linspace(5.0, 120.0, 1000)
    np.testing.assert_allclose(x, dat[:, 0], atol=6e-4)                   # CSV rounding
    y = pt.cw_pattern(x, pos, sig, gam, inten, shl=0.002) + 1.0          # chebyschev-1 [1, 0, 0]
    ref = dat[:, 3]
    assert np.max(np.abs(y - ref)) <= 1e-3 * ref.max()
    assert y.max() == pytest.approx(28389.92, rel=1e-3) and x[np.argmax(y)] == pytest.approx(54.960, abs=1e-3)
    assert y.sum() == pytest.approx(1925449.55, rel=1e-3)
    # reflection list: 2θ (1e-4°), σ and γ in degrees, FWHM (1e-3 relative); CSV has 5 decimals
    np.testing.assert_array_equal(r["hkl"], refl[:, :3].astype(int))
    np.testing.assert_allclose(pos, refl[:, 4], atol=1e-4)
    np.testing.assert_allclose(np.sqrt(sig) / 100, refl[:, 9], atol=6e-6)
    np.testing.assert_allclose(gam / 100, refl[:, 10], atol=6e-6)
    np.testing.assert_allclose(pc.fwhm_cw(sig, gam), refl[:, 11], rtol=1e-3)


def _toy(n=7):
    rng = np.random.default_rng(3)
    pos = np.sort(rng.uniform(12, 60, n))
    return pos, rng.uniform(3, 20, n), rng.uniform(1, 6, n), rng.uniform(100, 1000, n)


@pytest.mark.parametrize("ka2", [None, (1.5405, 1.5443, 0.5)])
def test_cw_derivative_matrices(ka2):
    x = np.linspace(10, 62, 2000)
    pos, sig, gam, I = _toy()
    shl = 0.03
    y, D = pt.cw_pattern(x, pos, sig, gam, I, shl, ka2=ka2, derivs=True)
    np.testing.assert_allclose(y, pt.cw_pattern(x, pos, sig, gam, I, shl, ka2=ka2))
    np.testing.assert_allclose(D.dI @ I, y, rtol=1e-12)
    k = 3
    for name, arr, e in [("dpos", pos, 1e-6), ("dsig", sig, 1e-5), ("dgam", gam, 1e-5)]:
        hi, lo = arr.copy(), arr.copy()
        hi[k] += e
        lo[k] -= e
        args_hi = dict(pos=pos, sig=sig, gam=gam)
        args_lo = dict(pos=pos, sig=sig, gam=gam)
        args_hi[name[1:]] = hi
        args_lo[name[1:]] = lo
        num = (pt.cw_pattern(x, intensity=I, shl=shl, ka2=ka2, **args_hi)
               - pt.cw_pattern(x, intensity=I, shl=shl, ka2=ka2, **args_lo)) / (2 * e)
        got = getattr(D, name)[:, k].toarray().ravel()
        # windows move with pos: compare where both windows agree (interior points)
        assert np.max(np.abs(got - num)) <= 2e-5 * np.max(np.abs(num)), name
    num = (pt.cw_pattern(x, pos, sig, gam, I, shl + 1e-7, ka2=ka2)
           - pt.cw_pattern(x, pos, sig, gam, I, shl - 1e-7, ka2=ka2)) / 2e-7
    assert np.max(np.abs(D.dshl - num)) <= 1e-3 * np.max(np.abs(num))
    chained = D.chain(dpos=np.ones_like(pos))         # a common zero shift
    num = (pt.cw_pattern(x, pos + 1e-6, sig, gam, I, shl, ka2=ka2)
           - pt.cw_pattern(x, pos - 1e-6, sig, gam, I, shl, ka2=ka2)) / 2e-6
    if ka2 is None:
        assert np.max(np.abs(chained - num)) <= 2e-5 * np.max(np.abs(num))
    else:
        np.testing.assert_allclose(D.dratio, (pt.cw_pattern(x, pos, sig, gam, I, shl, ka2=(1.5405, 1.5443, 0.6))
                                              - y) / 0.1, rtol=1e-10, atol=1e-9)


def test_tof_pattern_and_derivatives():
    x = np.linspace(10000, 14000, 3000)
    rng = np.random.default_rng(5)
    pos = np.sort(rng.uniform(10500, 13500, 6))
    alp, bet = rng.uniform(0.1, 0.3, 6), rng.uniform(0.03, 0.1, 6)
    sig, gam, I = rng.uniform(50, 200, 6), rng.uniform(1, 20, 6), rng.uniform(1e3, 1e4, 6)
    y, D = pt.tof_pattern(x, pos, alp, bet, sig, gam, I, derivs=True)
    # area: a unit-area profile sums to I / step
    step = x[1] - x[0]
    assert y.sum() * step == pytest.approx(I.sum(), rel=0.02)
    k = 2
    for name, arr in [("dalp", alp), ("dbet", bet), ("dsig", sig), ("dgam", gam)]:
        e = 1e-6 * arr[k]
        a_hi = dict(pos=pos, alp=alp, bet=bet, sig=sig, gam=gam)
        a_lo = dict(a_hi)
        h, l_ = arr.copy(), arr.copy()
        h[k] += e
        l_[k] -= e
        a_hi[name[1:]] = h
        a_lo[name[1:]] = l_
        num = (pt.tof_pattern(x, intensity=I, **a_hi) - pt.tof_pattern(x, intensity=I, **a_lo)) / (2 * e)
        got = getattr(D, name)[:, k].toarray().ravel()
        assert np.max(np.abs(got - num)) <= 1e-4 * np.max(np.abs(num)), name


def test_bad_input():
    with pytest.raises(ParameterError):
        pt.cw_pattern(np.array([3.0, 2.0, 1.0]), [2.0], [1.0], [1.0], [1.0])
    with pytest.raises(ParameterError):
        pt.cw_pattern(np.linspace(1, 2, 5), [1.5, 1.6], [1.0], [1.0, 2.0, 3.0], [1.0])
    with pytest.raises(ParameterError):
        pt.tof_pattern(np.linspace(1, 2, 5), [np.nan], [1.0], [1.0], [1.0], [1.0], [1.0])


def test_tof_simulation_against_gsas(shared):
    """notes §13.3 TOF: POWGEN bank-2 values, 14–35 ms (2500 log-spaced edges, 2499 bin centres)."""
    from beamkit.powder import profile_tof as ptf
    cif = shared_file("gsas2-data", "PythonScript", "data", "PbSO4-Wyckoff.cif")
    dat = _rows(shared_file("gsas2-data", "reference", "sim", "PbSO4TOFdata.csv"), 6)
    refl = _rows(shared_file("gsas2-data", "reference", "sim", "PbSO4TOFrefl.csv"), 14)
    difC, difA, difB, zero = 22600.2479192, -0.900917699636, 2.62346571719, -8.51764244829
    edges = 14000.0 * np.exp(np.arange(2500) * np.log(2.5) / 2500)
    x = edges[:-1] + np.diff(edges) / 2
    assert x[0] == pytest.approx(14002.566084276375, abs=1e-6) and x[-1] == pytest.approx(34980.763770459365, abs=1e-6)
    p = cr.read_cif(cif)
    r = cr.generate_reflections(p.A, p.spacegroup, 0.6)
    pos = co.tof_position(r["d"], difC, difA, difB, zero)
    keep = (pos >= x[0]) & (pos <= x[-1])                  # reflections inside the data range
    hkl, d, mult, pos = r["hkl"][keep], r["d"][keep], r["mult"][keep], pos[keep]
    assert len(d) == len(refl) == 710
    order = {tuple(h): i for i, h in enumerate(hkl)}
    idx = np.array([order[tuple(h)] for h in refl[:, :3].astype(int)])
    f, fp, fpp = sc.scattering_factors(p.types, d, "neutron")
    Fc2 = sf.structure_factors(hkl, p.A, p.spacegroup, p.xyz, p.occ, p.mult, p.uiso, f)["Fc2"]
    alp, bet = ptf.tof_alpha_beta(d, 0.132504624416, 0.111601941165, 0.00272732086125, 0.0)
    sig, gam = ptf.tof_sig_gam(d, 56.0319014702, -167.421847539, 281.385521422, -3.72970085651)
    Ks, Km = br.tof_factors(d, difC)
    ssig, sgam = br.sample_sig_gam(hkl, p.A, Ks, Km, {"i": 1.0}, {"i": 1000.0})
    sig, gam = sig + ssig, gam + sgam
    np.testing.assert_allclose(d[idx], refl[:, 3], atol=6e-6)
    np.testing.assert_allclose(pos[idx], refl[:, 4], atol=6e-4)
    np.testing.assert_allclose(sig[idx], refl[:, 9], atol=6e-4)          # σ² in µs²
    np.testing.assert_allclose(gam[idx], refl[:, 10], atol=6e-4)
    np.testing.assert_allclose(ptf.fwhm_tof_gsas_export(sig, gam)[idx], refl[:, 11], rtol=1e-6, atol=6e-4)
    np.testing.assert_allclose(Fc2[idx], refl[:, 6], rtol=1e-3, atol=6e-4)
    inten = 100000.0 * mult * Fc2 / p.volume * co.lorentz_tof(d, 90.0)
    y = pt.tof_pattern(x, pos, alp, bet, sig, gam, inten) + 1.0
    ref = dat[:, 3]
    # point by point (measured 7.7e-5 of the maximum; GSAS-II computes in single precision)
    assert np.abs(y - ref).max() <= 1e-3 * ref.max()
    assert y.sum() == pytest.approx(597088.84, rel=5e-4)
    assert np.argmax(y) == np.argmax(ref) and y.max() == pytest.approx(2858.14, rel=3e-3)


def test_exp_e1_matches_scipy_and_stays_finite():
    from scipy import special
    from beamkit.powder.profile_tof import exp_e1
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform(-500, 500, 3000) + 1j * rng.uniform(0.01, 30, 3000),
                        rng.uniform(-60, 60, 3000) + 1j * rng.uniform(0.001, 30, 3000)])
    ref = np.exp(z) * special.exp1(z)
    assert np.max(np.abs(exp_e1(z) - ref) / np.abs(ref)) < 5e-7
    far = exp_e1(np.array([5000.0 + 3j, -5000.0 + 3j]))     # where e^z or E1 alone overflow
    assert np.all(np.isfinite(far)) and np.allclose(far, 1 / np.array([5000.0 + 3j, -5000.0 + 3j]), rtol=1e-3)
