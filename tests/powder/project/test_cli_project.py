"""The project subcommands (create, add, dump, export, simulate)."""
from __future__ import annotations

import pytest

import beamkit.powder as G2sc
from beamkit.errors import ParameterError
from beamkit.powder.cli_project import main
from shared_data import shared_file

GD = ("gsas2-data", "PythonScript", "data")


def test_create_add_dump_export(tmp_path, capsys):
    gpx = str(tmp_path / "c.gpx")
    cif = str(shared_file(*GD, "PbSO4-Wyckoff.cif"))
    assert main(["create", gpx, "-p", cif, "-d", str(shared_file(*GD, "PBSO4.XRA")),
                 "-i", str(shared_file(*GD, "INST_XRY.PRM"))]) == 0
    assert main(["add", gpx, "-d", str(shared_file(*GD, "PBSO4.CWN")), "-i", str(shared_file(*GD, "inst_d1a.prm")),
                 "-hf", "GSAS powder"]) == 0
    g = G2sc.G2Project(gpx)
    assert len(g.histograms()) == 2 and g.phase(0).histograms() == [h.name for h in g.histograms()]
    capsys.readouterr()
    assert main(["dump", gpx]) == 0
    out = capsys.readouterr().out
    assert "PBSO4.XRA Bank 1" in out and "6000 points" in out and "P n m a" in out
    assert main(["dump", "-r", gpx]) == 0
    assert '"Controls"' in capsys.readouterr().out
    assert main(["export", gpx, "0", str(tmp_path / "out.cif")]) == 0
    assert "_cell_length_a" in (tmp_path / "out.cif").read_text()
    assert main(["export", gpx, str(tmp_path / "h"), "--histogram", "1", "--format", "xye"]) == 0
    assert (tmp_path / "h.xye").exists()
    with pytest.raises(ParameterError):
        main(["create", str(tmp_path / "x.gpx"), "-d", "a", "b", "-i", "p", "q", "r"])


def test_simulate(tmp_path):
    from beamkit.powder.demo import DATA
    fn = str(tmp_path / "s.gpx")
    assert main(["simulate", fn, str(DATA / "NaCl.cif"), str(DATA / "lab_CuKa.instprm"), "--tmin", "20",
                 "--tmax", "80", "--npoints", "600", "--plot"]) == 0
    assert (tmp_path / "s.png").exists() and (tmp_path / "s_refl.csv").exists()
    assert G2sc.G2Project(fn).histogram(0).getdata("ycalc").max() > 0


def test_beamkit_powder_entry(tmp_path, capsys):
    from beamkit.cli import main as beamkit_main
    from beamkit.powder.demo import DATA
    fn = str(tmp_path / "e.gpx")
    assert beamkit_main(["powder", "simulate", fn, str(DATA / "NaCl.cif"), str(DATA / "lab_CuKa.instprm"),
                         "--tmin", "20", "--tmax", "60", "--npoints", "300"]) == 0
    capsys.readouterr()
    assert beamkit_main(["pwdr", "dump", fn]) == 0
    assert "NaCl" in capsys.readouterr().out
    assert beamkit_main(["powder", "dump", str(tmp_path / "missing.gpx")]) == 2
