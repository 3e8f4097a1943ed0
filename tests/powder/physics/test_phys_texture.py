"""Spherical-harmonic preferred orientation (GSAS-II's definitions, notes §13.1)."""
import numpy as np
import pytest
from scipy import special

from beamkit.errors import ParameterError
from beamkit.powder import crystal as cr
from beamkit.powder import texture as tx


def _p2(x):
    return 0.5 * (3 * x * x - 1)


@pytest.mark.parametrize("l", [0, 2, 4, 6, 10, 12])
def test_plm_is_normalised_legendre(l):
    psi = np.linspace(0, 180, 37)
    x = np.cos(np.radians(psi))
    for m in range(0, l + 1):
        norm = np.sqrt((2 * l + 1) / 2 * np.exp(special.gammaln(l - m + 1) - special.gammaln(l + m + 1)))
        ref = norm * special.lpmv(m, l, x)
        got = tx.plm_psi(l, m, psi)
        np.testing.assert_allclose(np.abs(got), np.abs(ref), atol=2e-6)    # GSAS-II drops |A'| < 1e-6
    np.testing.assert_allclose(tx.plm_psi(l, 0, psi), np.sqrt((2 * l + 1) / 2) * special.eval_legendre(l, x),
                               atol=2e-6)
    P, dP = tx.plm_psi(l, min(l, 2), psi, derivs=True)
    num = (tx.plm_psi(l, min(l, 2), psi + 1e-4) - tx.plm_psi(l, min(l, 2), psi - 1e-4)) / np.radians(2e-4)
    np.testing.assert_allclose(dP, num, atol=1e-6)


def test_wigner_q_rows_are_unit_vectors():
    for l in (2, 5, 8, 12):
        for m in range(-l, l + 1):
            q = np.array([tx.wigner_q(l, m, n) for n in range(-l, l + 1)])
            assert np.sum(q * q) == pytest.approx(1.0, abs=1e-12)


def test_coefficient_names_per_laue_class():
    assert tx.sh_coeff_names("mmm", 2) == ["C(2,0)", "C(2,2)"]
    assert tx.sh_coeff_names("mmm", 4) == ["C(2,0)", "C(2,2)", "C(4,0)", "C(4,2)", "C(4,4)"]
    assert tx.sh_coeff_names("-1", 2) == ["C(2,-2)", "C(2,-1)", "C(2,0)", "C(2,1)", "C(2,2)"]
    assert tx.sh_coeff_names("6/mmm", 6) == ["C(2,0)", "C(4,0)", "C(6,0)", "C(6,6)"]
    assert tx.sh_coeff_names("m3m", 12) == ["C(4,1)", "C(6,1)", "C(8,1)", "C(10,1)", "C(12,1)", "C(12,2)"]
    assert [tx.laue_class(cr.space_group(s))[0] for s in
            ("P n m a", "P 21/c", "P 4/m m m", "R -3 m", "P -3 1 m", "P 63/m m c", "F m -3 m", "P a -3")] == \
        ["mmm", "2/m", "4/mmm", "3m1", "31m", "6/mmm", "m3m", "m3"]
    assert tx.laue_class(cr.space_group("P 21/c"))[1] == "b"


def test_mmm_terms_in_closed_form():
    """For mmm, Debye–Scherrer (ψ = θ): C(2,0)·P₂(cos φ)P₂(cos ψ) and C(2,2)·(√3/2)·sin²φ·cos2β·P₂(cos ψ)."""
    cell = (8.48, 5.40, 6.96, 90, 90, 90)
    rng = np.random.default_rng(1)
    hkl = rng.integers(-6, 7, (200, 3))
    hkl = hkl[np.abs(hkl).sum(1) > 0]
    theta = rng.uniform(5, 60, len(hkl))
    G = np.linalg.inv(cr.cell_metric(cell))
    cstar = G @ [0, 0, 1.0]
    cos_phi = (hkl @ G @ [0, 0, 1.0]) / np.sqrt(np.einsum("ni,ij,nj->n", hkl, G, hkl) * cstar[2])
    A, D = tx.sh_po_correction(hkl, cell, "mmm", theta, {"C(2,0)": 0.3, "C(2,2)": -0.2}, derivs=True)
    np.testing.assert_allclose(D["C(2,0)"], _p2(cos_phi) * _p2(np.cos(np.radians(theta))), atol=1e-6)
    beta = np.arctan2(hkl[:, 1] * cell[0], hkl[:, 0] * cell[1])
    np.testing.assert_allclose(np.abs(D["C(2,2)"]), np.abs(np.sqrt(3) / 2 * (1 - cos_phi ** 2) * np.cos(2 * beta)
                                                           * _p2(np.cos(np.radians(theta)))), atol=1e-6)
    np.testing.assert_allclose(A, 1 + 0.3 * D["C(2,0)"] - 0.2 * D["C(2,2)"], rtol=1e-12)


def test_sample_angles_of_the_two_geometries():
    th = np.array([10.0, 30.0, 45.0])
    np.testing.assert_allclose(tx.sh_po_angles(th, "Debye-Scherrer"), th, atol=1e-9)      # ψ = θ
    np.testing.assert_allclose(tx.sh_po_angles(th, "Bragg-Brentano"), 90.0, atol=1e-9)    # ψ = 90°


@pytest.mark.parametrize("sym,cell,order", [
    ("P n m a", (8.48, 5.40, 6.96, 90, 90, 90), 6),
    ("P 4/m m m", (4.0, 4.0, 7.0, 90, 90, 90), 8),
    ("I 41/a", (5.2, 5.2, 11.3, 90, 90, 90), 6),
    ("P 63/m m c", (3.2, 3.2, 5.2, 90, 90, 120), 6),
    ("P -3", (5.0, 5.0, 6.0, 90, 90, 120), 4),
    ("F m -3 m", (5.43, 5.43, 5.43, 90, 90, 90), 12),
    ("P a -3", (5.4, 5.4, 5.4, 90, 90, 90), 10),
])
def test_correction_is_invariant_over_laue_equivalents(sym, cell, order):
    sg = cr.space_group(sym)
    laue, _ = tx.laue_class(sg)
    rng = np.random.default_rng(3)
    names = tx.sh_coeff_names(laue, order)
    coef = dict(zip(names, rng.uniform(-0.3, 0.3, len(names))))
    hkl = rng.integers(-5, 6, (40, 3))
    hkl = hkl[np.abs(hkl).sum(1) > 0]
    theta = rng.uniform(5, 60, len(hkl))
    A0 = tx.sh_po_correction(hkl, cell, sg, theta, coef, "Bragg-Brentano")
    assert np.ptp(A0) > 1e-3
    for R in cr.laue_operators(sg):
        A = tx.sh_po_correction(hkl @ R, cell, sg, theta, coef, "Debye-Scherrer") - 1
        B = tx.sh_po_correction(hkl, cell, sg, theta, coef, "Debye-Scherrer") - 1
        np.testing.assert_allclose(A, B, atol=5e-6)


def test_bad_coefficients():
    with pytest.raises(ParameterError):
        tx.plm_psi(3, 1, 10.0)
    with pytest.raises(ParameterError):
        tx.sh_po_correction([[1, 0, 0]], (5, 6, 7, 90, 90, 90), "mmm", 20.0, {"C(2,1)": 0.1})
    with pytest.raises(ParameterError):
        tx.sh_po_correction([[1, 0, 0]], (5, 6, 7, 90, 90, 90), "mmm", 20.0, {"X": 0.1})
    with pytest.raises(ParameterError):
        tx.sh_po_correction([[1, 0, 0]], (5, 5, 5, 90, 90, 90), "m3m", 20.0, {"C(14,1)": 0.1})
