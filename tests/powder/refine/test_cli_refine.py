"""``beamkit powder refine``: JSON recipes, the --allow-code opt-in."""
import json

import pytest

from beamkit.powder.cli import main
from tests.conftest import shared_file


def test_cli_refine_recipe_and_code_opt_in(tmp_path, monkeypatch, capsys):
    d = shared_file("gsas2-data", "PythonScript", "data")
    monkeypatch.chdir(tmp_path)
    gpx = tmp_path / "cwn.gpx"
    assert main(["create", str(gpx), "-d", str(d / "PBSO4.CWN"), "-i", str(d / "inst_d1a.prm"),
                 "-p", str(d / "PbSO4-Wyckoff.cif")]) == 0
    marker = tmp_path / "code_ran.txt"
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({
        "refinements": [{"set": {"Background": {"no. coeffs": 3, "refine": True}}, "call": "Hook"}],
        "code": ["def Hook(p): pass", f"open({str(marker)!r}, 'w').write('ran')"]}))
    assert main(["refine", str(gpx), str(recipe), "--cycles", "2"]) == 0
    out = capsys.readouterr()
    assert not marker.exists()                       # code refused without the flag
    assert "wR" in out.out
    assert main(["refine", str(gpx), str(recipe), "--allow-code", "--cycles", "1",
                 "--output", str(tmp_path / "out.gpx")]) == 0
    assert marker.read_text() == "ran" and (tmp_path / "out.gpx").exists()
    import beamkit.powder as G2sc
    p = G2sc.G2Project(str(tmp_path / "out.gpx"))
    assert p.get_VaryList() == [":0:Scale", ":0:Back;0", ":0:Back;1", ":0:Back;2"]
    assert p.histogram(0).get_wR() < 30


def test_cli_refine_bad_recipe(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    gpx = tmp_path / "x.gpx"
    import beamkit.powder as G2sc
    G2sc.G2Project(newgpx=str(gpx)).save()
    assert main(["refine", str(gpx), str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err
    bad.write_text(json.dumps({"refinements": [{"sett": {}}]}))
    assert main(["refine", str(gpx), str(bad)]) == 2
    assert "did you mean 'set'" in capsys.readouterr().err
