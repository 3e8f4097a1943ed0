"""crystal.py and scattering.py: CIF phases, symmetry, metric, reflections, scattering factors."""
import numpy as np
import pytest

from beamkit.errors import FormatError, ParameterError
from beamkit.powder import crystal as cr
from beamkit.powder import scattering as sc
from shared_data import PBSO4_CIF as CIF, gsas2_refl_csv as _refl_csv, shared_file


def test_read_pbso4_cif():
    p = cr.read_cif(shared_file(*CIF))
    assert p.name == "PbSO4"
    assert p.spacegroup.number == 62 and p.spacegroup.centric
    assert p.labels == ["Pb", "S", "O1", "O2", "O3"]
    np.testing.assert_array_equal(p.mult, [4, 4, 4, 4, 8])
    np.testing.assert_allclose(p.volume, 318.503, atol=1e-3)
    np.testing.assert_allclose(p.uiso, 0.01)


def test_reflections_match_gsas_cw_simulation():
    p = cr.read_cif(shared_file(*CIF))
    ref = _refl_csv(shared_file("gsas2-data", "reference", "sim", "PbSO4refl.csv"))
    lam = 1.909
    dmin = lam / (2 * np.sin(np.radians(60.0)))          # 2θ max = 120°
    r = cr.generate_reflections(p.A, p.spacegroup, dmin)
    assert len(r["d"]) == len(ref) == 139
    np.testing.assert_array_equal(r["hkl"], ref[:, :3].astype(int))
    np.testing.assert_allclose(r["d"], ref[:, 3], atol=6e-6)
    np.testing.assert_array_equal(r["mult"], ref[:, 8].astype(int))


def test_A_cell_round_trip_and_metric():
    cell = [5.1, 6.2, 7.3, 81.0, 97.0, 103.0]
    A = cr.cell_to_A(cell)
    np.testing.assert_allclose(cr.A_to_cell(A), cell, rtol=1e-12)
    G = cr.cell_metric(cell)
    H = np.array([[1, 2, 3], [-1, 0, 2]])
    rd = np.einsum("ni,ij,nj->n", H, np.linalg.inv(G), H)
    np.testing.assert_allclose(cr.rdsq(H, A), rd, rtol=1e-12)
    np.testing.assert_allclose(cr.cell_volume(cell), np.sqrt(np.linalg.det(G)))
    # orthorhombic A has exact zeros
    assert np.all(cr.cell_to_A([8.48, 5.398, 6.958, 90, 90, 90])[3:] == 0)


def test_space_group_multiplicities():
    sg = cr.space_group("F d -3 m :2")
    assert sg.n_ops == 192 and len(sg.cen) == 4
    np.testing.assert_array_equal(cr.site_multiplicity([[0.125, 0.125, 0.125], [0, 0, 0], [0.1, 0.2, 0.3]], sg),
                                  [8, 16, 192])
    np.testing.assert_array_equal(cr.hkl_multiplicity([[1, 1, 1], [2, 2, 0], [1, 2, 3], [4, 0, 0]], sg),
                                  [8, 12, 48, 6])
    assert cr.space_group(227).number == 227
    assert cr.space_group("Pnma").number == 62
    r = cr.generate_reflections(cr.cell_to_A([10.0] * 3 + [90] * 3), sg, 2.0)
    # F-centring and d-glide extinctions: 200 (0kl: k+l=4n) and 110 absent; 111, 220, 311 present
    got = {tuple(h) for h in r["hkl"]}
    assert (1, 1, 1) in got and (2, 2, 0) in got and (3, 1, 1) in got
    assert (2, 0, 0) not in got and (4, 0, 0) in got and (1, 1, 0) not in got


def test_hexagonal_multiplicity_and_dij():
    sg = cr.space_group("P 63/m m c")
    np.testing.assert_array_equal(cr.hkl_multiplicity([[1, 0, 0], [0, 0, 2], [1, 0, 1], [1, 1, 0], [2, 1, 1]], sg),
                                  [6, 2, 12, 6, 24])
    assert cr.hstrain_terms(sg) == ("D11", "D33")
    np.testing.assert_allclose(cr.dij_to_dA(sg, [1e-4, 2e-4]), [1e-4, 1e-4, 2e-4, 1e-4, 0, 0])
    assert cr.hstrain_terms("P n m a") == ("D11", "D22", "D33")


def test_uij_constraints_special_position():
    sg = cr.space_group("P n m a")
    P = cr.uij_constraints([[0.1, 0.25, 0.3]], sg)[0]   # mirror y=1/4: U12 = U23 = 0
    u = P @ np.array([0.01, 0.02, 0.03, 0.004, 0.005, 0.006])
    np.testing.assert_allclose(u, [0.01, 0.02, 0.03, 0, 0.005, 0], atol=1e-15)


def test_bad_inputs():
    with pytest.raises(ParameterError):
        cr.space_group("Q 9 9")
    with pytest.raises(ParameterError):
        cr.cell_to_A([1, 2, -3, 90, 90, 90])
    with pytest.raises(ParameterError):
        cr.generate_reflections(cr.cell_to_A([5, 5, 5, 90, 90, 90]), "P m -3 m", 0.0)
    with pytest.raises(FormatError):
        cr.read_cif("/nonexistent/x.cif")


def test_bad_cif(tmp_path):
    f = tmp_path / "bad.cif"
    f.write_text("data_x\n_cell_length_a 5\n_cell_length_b 5\nloop_\n_atom_site_label\n 'unterminated\n")
    with pytest.raises(FormatError) as e:
        cr.read_cif(f)
    assert "bad.cif" in str(e.value)
    g = tmp_path / "noatoms.cif"
    g.write_text("data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n"
                 "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                 "_symmetry_space_group_name_H-M 'P m -3 m'\n")
    with pytest.raises(FormatError, match="no atoms"):
        cr.read_cif(g)


def test_xray_form_factors_match_gsas_coefficients():
    a, b, c = sc.xray_coefficients(["Pb"])
    np.testing.assert_allclose(a[0], [31.06170, 13.06370, 18.44200, 5.96960])
    np.testing.assert_allclose(b[0], [0.69020, 2.35760, 8.61800, 47.25790])
    np.testing.assert_allclose(c[0], 13.41180)
    f = sc.xray_form_factors(["Pb", "O"], [1e6, 1.0])
    np.testing.assert_allclose(f[0], [82.0, 8.0], atol=0.1)     # forward scattering ≈ Z
    assert np.all(f[1] < f[0])


def test_ionic_form_factors():
    assert [sc.ion_charge(t) for t in ("Cu+2", "O-2", "O2-", "Na+", "Pb", "O1")] == [2, -2, -2, 1, 0, 0]
    f0 = sc.xray_form_factors(["Cu+2", "O-2", "Cu", "O"], [1e6])[0]
    np.testing.assert_allclose(f0, [27.0, 10.0, 29.0, 8.0], atol=0.1)    # f(0) = Z − charge
    n = sc.neutron_lengths(["Cu+2", "Cu"])
    assert n[0] == n[1]


def test_anomalous_and_neutron():
    fp, fpp = sc.anomalous(["Pb", "O"], 1.5405)
    assert -5.0 < fp[0] < -3.0 and 7.5 < fpp[0] < 9.5          # Pb at Cu Kα1
    assert abs(fp[1]) < 0.1 and 0 < fpp[1] < 0.1
    np.testing.assert_allclose(sc.neutron_lengths(["Pb", "S", "O", "H", "D"], table="sears"),
                               [0.9405, 0.2847, 0.5803, -0.3739, 0.6671])
    np.testing.assert_allclose(sc.neutron_lengths(["Pb+2", "S", "O-2", "H", "D", "Cu"]),   # GSAS-II atmdata
                               [0.94024, 0.2847, 0.58037, -0.37395, 0.6681, 0.7718])
    f, p, pp = sc.scattering_factors(["Pb", "O"], [2.0, 1.0], "neutron")
    assert f.shape == (2, 2) and np.all(p == 0)
    with pytest.raises(ParameterError):
        sc.element_symbol("??")
    with pytest.raises(ParameterError):
        sc.anomalous(["Pb"], -1.0)


@pytest.mark.parametrize("sg,xyz,mult,sym", [
    ("P n m a", [[0.188, 0.25, 0.167], [0.085, 0.026, 0.806]], [4, 8], ["m", "1"]),
    ("F d -3 m :2", [[0.125] * 3, [0, 0, 0], [0.3] * 3], [8, 16, 32], ["-43m", "-3m", "3m"]),
    ("P 63/m m c", [[0, 0, 0], [1 / 3, 2 / 3, 0.25], [1 / 3, 2 / 3, 0.1]], [2, 2, 4], ["-3m", "-6m2", "3m"]),
    ("F m -3 m", [[0, 0, 0], [0.25] * 3, [0.2, 0, 0]], [4, 8, 24], ["m-3m", "-43m", "4mm"]),
    ("P 4/m m m", [[0, 0, 0.2], [0.2, 0.2, 0]], [2, 4], ["4mm", "mm2"]),
])
def test_site_symmetry_symbols(sg, xyz, mult, sym):
    m, s = cr.site_symmetry(xyz, sg)
    np.testing.assert_array_equal(m, mult)
    assert s == sym


def test_reflections_match_gsas_7konly_lists(tmp_path):
    """hkl choice, multiplicity and d of GSAS-II's stored lists for Fddd (CuCr2O4) and C2/c (CuO)."""
    import shutil
    io_gpx = pytest.importorskip("beamkit.powder.io_gpx")
    src = shared_file("gsas2-data", "reference", "gpx", "7Konly.gpx")
    gpx = tmp_path / "7Konly.gpx"
    shutil.copy(src, gpx)                      # read a private copy; ../shared stays untouched
    d = io_gpx.read_gpx(str(gpx))
    hist = next(v for k, v in d.items() if k.startswith("PWDR"))
    for ph, cif in (("CuCr2O4", "CuCr2O4.cif"), ("CuO", "CuO.cif")):
        R = np.asarray(hist["Reflection Lists"][ph]["RefList"], dtype=float)
        p = cr.read_cif(shared_file("gsas2-data", "SeqRefine", "data", cif))
        cell = d["Phases"][ph]["General"]["Cell"][1:7]
        r = cr.generate_reflections(cr.cell_to_A(cell), p.spacegroup, R[:, 4].min() * (1 - 1e-9),
                                    R[:, 4].max() * (1 + 1e-9))
        ours = {tuple(h): i for i, h in enumerate(r["hkl"])}
        theirs = [tuple(int(v) for v in row[:3]) for row in R]
        assert len(ours) == len(theirs) and set(ours) == set(theirs), ph
        idx = np.array([ours[t] for t in theirs])
        np.testing.assert_array_equal(r["mult"][idx], R[:, 3].astype(int))
        np.testing.assert_allclose(r["d"][idx], R[:, 4], rtol=1e-12)
