"""Le Bail extraction on PBSO4.XRA (notes §13.5) and on a synthetic pattern."""
import numpy as np
import pytest

from tests.conftest import shared_file


def test_lebail_pbso4_xra(tmp_path):
    import beamkit.powder as G2sc
    d = shared_file("gsas2-data", "PythonScript", "data")
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "lebail.gpx"))
    hx = gpx.add_powder_histogram(str(d / "PBSO4.XRA"), str(d / "INST_XRY.PRM"), fmthint="GSAS powder")
    ph = gpx.add_phase(str(d / "PbSO4-Wyckoff.cif"), phasename="PbSO4", histograms=[hx])
    hx.data["Background"][0][1] = False
    ctrl = gpx.data["Controls"]["data"]
    # no preparatory 0-cycle calculation is needed (GSAS-II quirk 3 fixed): Le Bail starts directly
    ctrl["max cyc"] = 8
    # GSAS-II (notes §13.5) after each step of the recipe: 72.209, 44.370, 12.4315
    rwp = []
    for step in ({"set": {"Limits": [16.0, 158.4], "LeBail": True,
                          "Background": {"no. coeffs": 6, "refine": True}}},
                 {"set": {"Cell": True}},
                 {"set": {"Instrument Parameters": ["U", "V", "W"], "Sample Parameters": ["Shift"]}}):
        gpx.do_refinements([step])
        rwp.append(gpx.data["Covariance"]["data"]["Rvals"]["Rwp"])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    assert rv["Nobs"] == 5697 and rv["Nvars"] == 14
    assert hx.get_wR() == pytest.approx(rv["Rwp"], rel=1e-6)   # the stored reflection list is used
    # Intensities are re-partitioned once per cycle after the derivatives (GSAS-II's HessRefine
    # then GetFobsSq), counting only points with a positive obs/calc ratio, and keeping the phase
    # total while the scale refines.  GSAS-II stalls in steps 1-2 (its 72.21 is one partition at
    # the starting parameters); we must do at least as well there, and reach the 12.5.
    assert rwp[0] <= 72.209 and rwp[1] <= 44.370 and rwp[0] > rwp[1] > rwp[2]     # ours 38.71, 27.28
    assert rwp[2] <= 12.5                                                           # ours 12.3575
    assert rwp[2] == pytest.approx(12.4315, rel=0.01)
    assert rv["GOF"] == pytest.approx(2.558, rel=0.01)                              # ours 2.543
    # Neither program has converged after the recipe's 8 cycles (GSAS-II: converged false); the
    # cell still moves along its correlation with Shift, so it is compared to 1e-3 Å (~10 GSAS-II
    # esd; ours 8.48114, 5.39886, 6.96039 Å)
    cell = ph.get_cell()
    assert cell["length_a"] == pytest.approx(8.480501, abs=1e-3)
    assert cell["length_b"] == pytest.approx(5.398222, abs=1e-3)
    assert cell["length_c"] == pytest.approx(6.959744, abs=1e-3)
    refl = np.asarray(hx.data["Reflection Lists"]["PbSO4"]["RefList"])
    assert len(refl) > 300 and np.all(refl[:, 9] >= 0)


class _Calc:
    """Minimal stand-in for derivatives._HistCalc: two separated Gaussian peaks on a flat background."""

    def __init__(self, scale_refined, ratio=(2.0, 0.5)):
        x = np.arange(10.0, 30.0, 0.02)
        pos = np.array([15.0, 25.0])
        icorr = np.array([3.0, 5.0])
        fc2 = np.array([100.0, 100.0])
        rows, pts, P = [], [], []
        for k, p in enumerate(pos):
            sel = np.flatnonzero(np.abs(x - p) < 1.0)
            rows.append(np.full(sel.size, k))
            pts.append(sel)
            P.append(np.exp(-0.5 * ((x[sel] - p) / 0.1) ** 2) / (0.1 * np.sqrt(2 * np.pi)))
        rows, pts, P = np.concatenate(rows), np.concatenate(pts), np.concatenate(P)
        self.ybkg = np.full(x.size, 10.0)
        self.yc = self.ybkg + np.bincount(pts, icorr[rows] * fc2[rows] * P, minlength=x.size)
        truth = fc2 * np.asarray(ratio)
        self.yo = self.ybkg + np.bincount(pts, icorr[rows] * truth[rows] * P, minlength=x.size)
        self.yo[pts[rows == 0][:3]] = 0.0          # yo below the background: ignored, not negative
        cols = {"h": np.array([1, 2]), "k": np.zeros(2), "l": np.zeros(2), "mult": np.ones(2),
                "d": np.array([5.0, 3.0]), "pos": pos, "sig": np.ones(2), "gam": np.ones(2),
                "Fc2": fc2, "Icorr": icorr}
        self.parts = {"ph": (cols, icorr * fc2, [(rows, pts, P, 1.0, None)])}
        self.hd = {"Instrument Parameters": [{"Type": ["PXC", "PXC", 0]}, {}],
                   "Sample Parameters": {"Scale": [1.0, scale_refined]}}
        self.truth, self.icorr = truth, icorr

    def _haps(self):
        yield 0, "ph", {}, {"LeBail": True, "Scale": [1.0, False]}


@pytest.mark.parametrize("scale_refined", [False, True])
def test_partition_synthetic(scale_refined):
    from beamkit.powder import lebail
    c = _Calc(scale_refined)
    assert lebail.extract(c)
    new = c.hd["Reflection Lists"]["ph"]["RefList"][:, 9]
    # separated peaks: one partition gives the observed ratio (the zeroed points only trim a tail)
    assert new[0] / new[1] == pytest.approx(c.truth[0] / c.truth[1], rel=1e-3)
    if scale_refined:       # the refined scale carries the level: total Σ Icorr·I kept
        assert np.sum(c.icorr * new) == pytest.approx(np.sum(c.icorr * 100.0), rel=1e-12)
    else:                   # no refined scale: the absolute intensities are extracted
        np.testing.assert_allclose(new, c.truth, rtol=2e-3)
