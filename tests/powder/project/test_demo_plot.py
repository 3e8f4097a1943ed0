"""Demo, plot, GenerateReflections, ShowVersions and SetPrintLevel."""
from __future__ import annotations

import numpy as np
import pytest

import beamkit.powder as G2sc
from beamkit.errors import ParameterError


def test_demo_runs_and_writes_png(tmp_path):
    from beamkit.powder import demo
    res = demo.run(tmp_path)
    png = tmp_path / "NaCl_sim.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ref = res["refinement"]                     # the refinement demo runs too, with a plot of the fit
    assert (tmp_path / "NaCl_refined.png").read_bytes()[:4] == b"\x89PNG"
    assert ref["Rwp_final"] < 0.1 * ref["Rwp_start"] and abs(ref["cell_a"] - 5.6402) < 1e-3
    assert res["n_reflections"] > 10 and abs(res["strongest_2theta"] - 31.7) < 0.1   # NaCl 200 with Cu Kα1
    g = G2sc.G2Project(res["project"])
    h = g.histogram(0)
    assert h.getdata("x").size == 5501 and h.getdata("ycalc").max() > 1000
    rl = h.reflections()["NaCl"]["RefList"]
    # 200 reflection position from Bragg's law with λ1 = 1.5405 Å, a = 5.6402 Å
    i200 = np.flatnonzero((rl[:, 0] == 2) & (rl[:, 1] == 0) & (rl[:, 2] == 0))[0]
    assert rl[i200, 5] == pytest.approx(2 * np.degrees(np.arcsin(1.5405 / (2 * 5.6402 / 2))), abs=1e-9)
    # Kα2 doubles the peak: the fcc all-odd/all-even rule leaves 100 absent
    assert not np.any((rl[:, 0] == 1) & (rl[:, 1] == 0) & (rl[:, 2] == 0))


def test_plot_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    g = G2sc.G2Project(newgpx=str(tmp_path / "p.gpx"))
    from beamkit.powder.demo import DATA
    g.add_phase(str(DATA / "NaCl.cif"))
    h = g.add_simulated_powder_histogram("n", str(DATA / "lab_CuKa.instprm"), 20, 60, Npoints=500, phases="all")
    g.compute()
    fn = h.plot()
    assert fn == "PWDR_n.png" and (tmp_path / fn).stat().st_size > 1000


def test_generate_reflections():
    refs = G2sc.GenerateReflections("P 1", (5., 6., 7., 90, 90, 90), TTmax=20, wave=1)
    assert refs[0] == [0, 0, 1, 7.0] and refs[1] == [0, 1, 0, 6.0] and refs[2] == [1, 0, 0, 5.0]
    dmin = 1 / (2 * np.sin(np.radians(10)))
    assert all(r[3] >= dmin for r in refs) and len(refs) == 17
    si = G2sc.GenerateReflections("F d -3 m", (5.431,) * 3 + (90,) * 3, dmin=1.0)
    # 200 is a d-glide extinction; 222 is allowed by Fd-3m (zero only for atoms at 8a)
    assert [r[:3] for r in si[:5]] == [[1, 1, 1], [2, 2, 0], [3, 1, 1], [2, 2, 2], [4, 0, 0]]
    q = G2sc.GenerateReflections("F d -3 m", (5.431,) * 3 + (90,) * 3, Qmax=2 * np.pi)
    assert q == si
    with pytest.raises(ParameterError):
        G2sc.GenerateReflections("P 1", (5., 6., 7., 90, 90, 90), TTmax=20)
    with pytest.raises(ParameterError):
        G2sc.GenerateReflections("P 1", (5., -6., 7., 90, 90, 90), dmin=1)


def test_versions_and_print_level():
    txt = G2sc.ShowVersions()
    assert "numpy" in txt and "gemmi" in txt
    from beamkit.core.log import get_print_level
    G2sc.SetPrintLevel("none")
    assert get_print_level() == "none"
    G2sc.SetPrintLevel("all")
    assert get_print_level() == "info"


def test_public_names():
    for name in ("G2Project", "G2PwdrData", "G2Phase", "G2AtomRecord", "G2Image", "G2SeqRefRes",
                 "GenerateReflections", "SetPrintLevel", "ShowVersions", "LoadDictFromProjFile"):
        assert getattr(G2sc, name) is not None
    with pytest.raises(AttributeError):
        G2sc.NoSuchName  # noqa: B018


def test_load_dict_from_proj_file(tmp_path):
    from shared_data import shared_file
    data, names = G2sc.LoadDictFromProjFile(str(shared_file("gsas2-data", "reference", "gpx", "PbSO4sim.gpx")))
    assert names[0] == ["Notebook"] and any(n[0] == "PWDR PbSO4 simulation" and "Limits" in n for n in names)
    G2sc.SaveDictToProjFile(data, names, str(tmp_path / "c.gpx"))
    assert G2sc.G2Project(str(tmp_path / "c.gpx")).phase(0).name == "PbSO4"


def test_clone_and_edit_simulated():
    from beamkit.powder.demo import DATA
    g = G2sc.G2Project(newgpx=None)
    g.add_phase(str(DATA / "NaCl.cif"))
    h = g.add_simulated_powder_histogram("n", str(DATA / "lab_CuKa.instprm"), 20, 60, Npoints=401, phases="all",
                                         noise_seed=False)
    g.compute()
    c = g.clone_powder_histogram(h, "copy", 2 * h.getdata("ycalc"), Yerr=np.ones(401))
    assert c.name == "PWDR copy" and np.all(c.getdata("yweight") == 1.0)
    assert c.name in g.phase(0).data["Histograms"]
    g.compute()
    assert c.get_wR() == pytest.approx(100 * np.sqrt(np.sum((c.getdata("yobs") / 2) ** 2) /
                                                     np.sum(c.getdata("yobs") ** 2)), rel=1e-9)
    with pytest.raises(ParameterError):
        g.clone_powder_histogram(h, "bad", np.ones(5))
    h.EditSimulated(30, 50, Npoints=201)
    g.compute()
    assert h.getdata("x").size == 201 and h.getdata("x")[0] == 30
    with pytest.raises(ParameterError):
        c.EditSimulated(30, 50)


def test_add_atom_to_empty_phase():
    g = G2sc.G2Project(newgpx=None)
    p = g.add_phase(phasename="Si", spacegroup="F d -3 m", cell=[5.4309] * 3 + [90] * 3)
    a = p.add_atom(0.125, 0.125, 0.125, "Si", "Si1", uiso=0.005)
    assert (a.label, a.type, a.mult, a.uiso) == ("Si1", "Si", 8, 0.005)   # 8a of origin choice 2
    assert p.composition == {"Si": 8.0} and p.data["General"]["AtomTypes"] == ["Si"]
    with pytest.raises(ParameterError):
        p.add_atom(0, 0, 0, "Qq", "X1")
    with pytest.raises(ParameterError):
        p.add_atom(0, 0, 0, "Si", "Si1")
    h = g.add_simulated_powder_histogram("si", str(__import__("beamkit.powder.demo", fromlist=["DATA"]).DATA /
                                                  "lab_CuKa.instprm"), 20, 80, Npoints=601, phases=[p])
    g.compute()
    rl = h.reflections()["Si"]["RefList"]
    hkl = [tuple(int(v) for v in r[:3]) for r in rl]
    i111, i222 = hkl.index((1, 1, 1)), hkl.index((2, 2, 2))
    assert rl[i222, 9] < 1e-6 * rl[i111, 9]            # 222 forbidden by the 8a positions
    assert g.pdfs() == []
