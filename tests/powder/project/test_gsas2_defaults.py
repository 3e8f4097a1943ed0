"""GSAS-II behaviours of the project part: CIF Uiso kept, background not refined by default,
histograms('PWDR') filtering and the per-phase sumInt."""
from __future__ import annotations

import numpy as np
import pytest

import beamkit.powder as G2sc
from beamkit.powder import model
from beamkit.powder.readers.phase_cif import read_phase_cif
from shared_data import shared_file

GD = ("gsas2-data",)


def test_cif_uiso_zero_and_negative_kept():
    d = read_phase_cif(shared_file(*GD, "SeqRefine", "data", "CuCr2O4.cif"))
    assert [a[10] for a in d["Atoms"]] == [0.0, 0.0, -0.004]


def test_cif_without_uiso_gets_default(tmp_path):
    src = shared_file(*GD, "PythonScript", "data", "PbSO4-Wyckoff.cif").read_text()
    lines = [ln for ln in src.splitlines() if "_atom_site_U_iso_or_equiv" not in ln
             and "_atom_site_adp_type" not in ln]
    # drop the two matching columns ("Uiso 0.010") from the atom rows
    lines = [ln.replace(" Uiso 0.010 ", " ") for ln in lines]
    p = tmp_path / "nou.cif"
    p.write_text("\n".join(lines) + "\n")
    d = read_phase_cif(p)
    assert len(d["Atoms"]) == 5 and all(a[10] == 0.01 for a in d["Atoms"])


def test_default_background_not_refined():
    assert model.default_background()[0][1] is False


@pytest.fixture(scope="module")
def two_phase(tmp_path_factory):
    d = tmp_path_factory.mktemp("two")
    gpx = G2sc.G2Project(newgpx=str(d / "two.gpx"))
    sd = shared_file(*GD, "SeqRefine", "data")
    p0 = gpx.add_phase(str(sd / "CuCr2O4.cif"), phasename="CuCr2O4")
    p1 = gpx.add_phase(str(sd / "CuO.cif"), phasename="CuO")
    h = gpx.add_simulated_powder_histogram("sim", str(sd / "OH_00.prm"), 10., 60., Npoints=800,
                                           phases=[p0, p1], scale=1000.)
    gpx.compute()
    return gpx, h


def test_histograms_filter_by_tree_prefix(two_phase):
    gpx, h = two_phase
    assert [x.name for x in gpx.histograms("PWDR")] == [h.name]
    assert gpx.histograms("HKLF") == []
    assert len(gpx.histograms(h.histType)) == 1      # extension: instrument type
    assert h.data["Background"][0][1] is False


def test_sumint_per_phase(two_phase):
    gpx, h = two_phase
    info = h.data["data"][0]
    s0, s1 = info["0:0:sumInt"], info["1:0:sumInt"]
    net = float(np.sum(h.getdata("ycalc") - h.getdata("background")))
    assert s0 > 0 and s1 > 0 and s0 != pytest.approx(s1, rel=1e-3)
    assert s0 + s1 == pytest.approx(net, rel=1e-9)
