"""Sequential refinement from GSAS-II's 7Konly.gpx (notes §13.6).

Reference: ``reference/SeqRefine/seq_results.txt`` (GSAS-II, documentation example, seqCopy on).
Issue 4 asks for every histogram's CuCr2O4 a, b, c within 1e-4 relative and wR within 2 %.

GSAS-II's ``G2PwdrData.clear_refinements`` returns as soon as it has handled a boolean
'Background' entry, so the documentation's
``clear_refinements({'Background': False, 'Sample Parameters': ['DisplaceX']})`` leaves
DisplaceX refined on OH_00, and SeqRefine copies OH_00's refined ``:0:DisplaceX`` into OH_04,
where it is not refined and so goes no further (GSAS-II's OH_04: wR 15.21 % between neighbours
at 13.5 %, its cell below OH_00's).  beamkit reproduces that rule by default
(``recipes.BACKGROUND_BOOL_ENDS_CALL``, with a warning naming the skipped keys) and then every
histogram agrees with GSAS-II; with the rule off, OH_04 fits like its neighbours.
"""
import ast
import shutil

import numpy as np
import pytest

from shared_data import shared_file

H00, H04, H09, H41 = ("PWDR OH_%s.fxye Bank 1" % n for n in ("00", "04", "09", "41"))


def _ref_table():
    """{histogram: (Rwp %, CuCr2O4 [a, b, c], CuO [a, b, c, beta], (D11, esd))} from GSAS-II."""
    rows = {}
    for line in shared_file("gsas2-data", "reference", "SeqRefine", "seq_results.txt").read_text().splitlines():
        name = line.split(" Rwp ")[0][4:]
        rwp = float(line.split(" Rwp ")[1].split()[0])
        cell = ast.literal_eval(line.split("CuCr2O4 a,b,c ")[1].split(" CuO")[0])
        cuo = ast.literal_eval(line.split("CuO a,b,c,beta ")[1].split(" D11")[0])
        d11 = tuple(float(v.split(")")[0]) for v in line.split("np.float64(")[1:3])
        rows[name] = (rwp, cell, cuo, d11)
    return rows


def _doc_files():
    """The documentation's histograms after OH_00: every OH_*.fxye, sorted."""
    d = shared_file("gsas2-data", "SeqRefine", "data")
    return sorted(p.name for p in d.glob("OH_*.fxye") if p.name != "OH_00.fxye")


def _setup(tmp_path, files, seqcopy=True):
    """The documentation's sequential example on a copy of 7Konly.gpx, with ``files`` after OH_00."""
    import beamkit.powder as G2sc
    gpxfile = shared_file("gsas2-data", "reference", "gpx", "7Konly.gpx")
    d = shared_file("gsas2-data", "SeqRefine", "data")
    shutil.copy(gpxfile, tmp_path)
    gpx = G2sc.G2Project(str(tmp_path / "7Konly.gpx"))
    gpx.save(str(tmp_path / "SeqRef.gpx"))
    for p in gpx.phases():
        p.set_refinements({"Cell": False})
    gpx.phase(0).set_HAP_refinements({"Scale": False, "Size": {"type": "isotropic", "refine": False},
                                      "Mustrain": {"type": "uniaxial", "refine": False}, "HStrain": True})
    gpx.phase(1).set_HAP_refinements({"Scale": False})
    gpx.histogram(0).clear_refinements({"Background": False, "Sample Parameters": ["DisplaceX"]})
    gpx.histogram(0).ref_back_peak(0, [])
    gpx.phase(1).set_HAP_refinements({"HStrain": (1, 1, 1, 0)})
    for f in files:
        gpx.add_powder_histogram(str(d / f), str(d / "OH_00.prm"), fmthint="GSAS powder", phases="all")
    gpx.copyHistParms(0, "all", ["b", "i", "l"])
    for p in gpx.phases():
        p.copyHAPvalues(0, "all")
    gpx.set_Controls("sequential", gpx.histograms())
    gpx.set_Controls("cycles", 10)
    gpx.set_Controls("seqCopy", seqcopy)
    return gpx


@pytest.fixture(scope="module")
def seq17(tmp_path_factory):
    """The documentation's run over all 17 histograms (~12 s)."""
    gpx = _setup(tmp_path_factory.mktemp("seq17"), _doc_files())
    gpx.refine()
    return gpx, gpx.seqref()


def test_sequential_17_histograms_match_gsas2(seq17):
    gpx, seq = seq17
    ref = _ref_table()
    names = seq.histograms()
    assert len(names) == 17 and names == list(ref)          # GSAS-II's order
    varied = [":%d:Scale", "0:%d:D11", "0:%d:D22", "0:%d:D33", "1:%d:Mustrain;i", "1:%d:D11", "1:%d:D22", "1:%d:D33"]
    for i, h in enumerate(names):
        r = seq.RefData(h)
        # OH_00 keeps DisplaceX refined (GSAS-II's clear_refinements, module docstring)
        assert sorted(r["varyList"]) == sorted([v % i for v in varied] + ([":0:DisplaceX"] if h == H00 else []))
        cell, esd, _ = seq.get_cell_and_esd(0, h)
        rwp = r["Rvals"]["Rwp"]
        rrwp, rcell = ref[h][:2]
        assert all(e > 0 for e in esd[:3])
        # measured: cells within 3.9e-5 (OH_41's flat b - c valley; the others 3.3e-6), wR within 0.44 %
        assert np.allclose(cell[:3], rcell, rtol=1e-4, atol=0), (h, cell[:3], rcell)   # issue: 1e-4
        assert rwp == pytest.approx(rrwp, rel=0.02), h                                  # issue: 2 %
    # OH_04 starts with, and keeps, OH_00's refined DisplaceX (10.94(74) µm; 7Konly's 10.80)
    dx = seq.get_Variable(H00, ":0:DisplaceX")
    assert dx[0] == pytest.approx(10.80, abs=2 * dx[1])
    assert gpx.histogram(H04).data["Sample Parameters"]["DisplaceX"] == [pytest.approx(dx[0], rel=1e-12), False]
    # GSAS-II's OH_00 D11 esd (1.409e-7) comes with DisplaceX refined
    assert seq.get_Variable(H00, "0:*:D11")[1] == pytest.approx(ref[H00][3][1], rel=0.05)
    v, e = seq.get_Variable(2, "0:*:D11")
    assert e is not None and e > 0 and v == pytest.approx(ref[H09][3][0], abs=2e-7)
    vals, cov = seq.get_Covariance(2, ["0:*:D11", "0:*:D22"])
    assert cov.shape == (2, 2) and cov[0, 0] == pytest.approx(e ** 2)


def test_sequential_with_every_clear_applied(tmp_path, monkeypatch):
    """With GSAS-II's early stop off, DisplaceX is cleared too and OH_04 fits like its neighbours."""
    from beamkit.powder import recipes
    monkeypatch.setattr(recipes, "BACKGROUND_BOOL_ENDS_CALL", False)
    ref = _ref_table()
    gpx = _setup(tmp_path, ["OH_04.fxye", "OH_09.fxye"])
    gpx.refine()
    seq = gpx.seqref()
    assert ":0:DisplaceX" not in seq.RefData(H00)["varyList"]
    a = [seq.get_cell_and_esd(0, h)[0][0] for h in (H00, H04, H09)]
    assert a[0] < a[1] < a[2]                        # the cell grows with temperature
    assert seq.RefData(H04)["Rvals"]["Rwp"] < 0.95 * ref[H04][0]      # 13.6 % against 15.21 %
    assert seq.RefData(H09)["Rvals"]["Rwp"] == pytest.approx(ref[H09][0], rel=0.02)


def test_sequential_independent_fits_run_in_parallel(tmp_path):
    gpx = _setup(tmp_path, ["OH_09.fxye"], seqcopy=False)
    gpx.refine()
    seq = gpx.seqref()
    ref = _ref_table()
    assert seq.RefData(H00)["Rvals"]["Rwp"] == pytest.approx(ref[H00][0], rel=0.02)
    cell, _, _ = seq.get_cell_and_esd("CuCr2O4", H09)
    assert np.allclose(cell[:3], ref[H09][1], rtol=2e-4)
    # the refined values came back from the worker processes into the project
    assert gpx.histogram(1).data["Sample Parameters"]["Scale"][0] != 1.0


def test_sequential_refuses_cell_refinement(tmp_path):
    from beamkit.errors import ParameterError
    gpx = _setup(tmp_path, [])
    gpx.phase(1).set_refinements({"Cell": True})
    with pytest.raises(ParameterError, match="CuO/General/Cell"):
        gpx.refine()


def test_build_7konly_from_seqrefine_data(tmp_path):
    """notes §13.6 step A: steps I, II.2, II.4 reach Rwp 17.18, 15.21, 13.51 (issue: 13.5 ± 0.3)."""
    import beamkit.powder as G2sc
    d = shared_file("gsas2-data", "SeqRefine", "data")
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "7K.gpx"))
    h = gpx.add_powder_histogram(str(d / "OH_00.fxye"), str(d / "OH_00.prm"), fmthint="GSAS powder")
    p0 = gpx.add_phase(str(d / "CuCr2O4.cif"), phasename="CuCr2O4", histograms=[h])
    p1 = gpx.add_phase(str(d / "CuO.cif"), phasename="CuO", histograms=[h])
    # the CIF's Uiso 0, 0, -0.004 are kept as given, as GSAS-II does
    assert [a[10] for a in p0.data["Atoms"]] == [0.0, 0.0, -0.004]
    gpx.add_EqnConstr(1.0, ["0:0:Scale", "1:0:Scale"])
    gpx.set_Controls("cycles", 10)
    gpx.do_refinements([{"set": {"Limits": {"low": 4.5}, "Cell": True, "Scale": True,
                                 "Background": {"type": "chebyschev-1", "no. coeffs": 6, "refine": True}}}])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    assert rv["Nobs"] == 10799 and rv["Nvars"] == 15
    assert rv["Rwp"] == pytest.approx(17.1817, abs=0.02)   # 17.184 here
    h.data["Sample Parameters"]["Gonio. radius"] = 1000.0
    h.add_back_peak(5.25, 5, 2000, 0, [False, True, True, False])
    p0.set_HAP_refinements({"Size": {"type": "isotropic", "refine": True},
                            "Mustrain": {"type": "isotropic", "refine": True}})
    p1.set_HAP_refinements({"Mustrain": {"type": "isotropic", "refine": True}})
    gpx.do_refinements([{"set": {"Sample Parameters": ["DisplaceX"]}}])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    assert rv["Nvars"] == 21 and rv["Rwp"] == pytest.approx(15.2145, abs=0.02)   # 15.216
    h.ref_back_peak(0, [True, True, True, False])
    p0.set_HAP_refinements({"Mustrain": {"type": "uniaxial", "direction": [0, 1, 0], "refine": True}})
    gpx.do_refinements([{}])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    assert rv["Nvars"] == 23 and rv["Rwp"] == pytest.approx(13.5101, abs=0.02)   # 13.510; issue: 0.3
    assert p0.data["Histograms"][h.name]["Mustrain"][1][:2] == pytest.approx([1823, 979], rel=0.02)
    assert h.data["Background"][1]["peaksList"][0][0] == pytest.approx(3.93, abs=0.3)   # a broad, wandering peak
