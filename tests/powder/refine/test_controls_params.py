"""GSAS-II's Controls declared on the core parameter tree; set_Controls validates through it."""
from __future__ import annotations

import pytest

import beamkit.powder as G2sc
from beamkit.errors import ParameterError
from beamkit.powder import model
from beamkit.powder.params import TREE


def test_tree_declarations_match_gsas2_defaults():
    assert TREE.check_declarations() == []
    ctl = model.new_controls()
    for key in ("max cyc", "min dM/M", "shift factor", "SVDtol", "deriv type", "F**2", "Copy2Next",
                "newLeBail", "Author"):
        assert TREE["Controls." + key].default == ctl[key], key
    TREE.validate({"Controls": {k: v for k, v in ctl.items() if k in TREE["Controls"].children}})


def test_set_and_get_controls(tmp_path):
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "c.gpx"))
    c = gpx.data["Controls"]["data"]
    gpx.set_Controls("cycles", 8)
    gpx.set_Controls("min dM/M", 1e-4)
    gpx.set_Controls("shift factor", 0.5)
    gpx.set_Controls("SVDtol", 1e-7)
    gpx.set_Controls("deriv type", "analytic Jacobian")
    gpx.set_Controls("Marquardt", -4)
    assert gpx.get_Controls("Marquardt") == -4
    gpx.set_Controls("seqCopy", True)
    assert (c["max cyc"], c["min dM/M"], c["shift factor"], c["SVDtol"], c["Copy2Next"]) == \
        (8, 1e-4, 0.5, 1e-7, True)
    assert gpx.get_Controls("cycles") == 8 and gpx.get_Controls("max cyc") == 8
    assert gpx.get_Controls("deriv type") == "analytic Jacobian" and gpx.get_Controls("seqCopy") is True
    gpx.set_Controls("parmMin", 0.0, "0::AUiso:0")
    assert gpx.get_Controls("parmMin", "0::AUiso:0") == 0.0


@pytest.mark.parametrize("control,value,words", [
    ("cycles", -1, ["max cyc", "[0, 10000]"]),
    ("max cyc", 2.5, ["max cyc", "int"]),
    ("min dM/M", 5.0, ["min dM/M", "[1e-09, 1.0]"]),
    ("shift factor", 0.0, ["shift factor", "[1e-05, 100.0]"]),
    ("SVDtol", 1.0, ["SVDtol", "0.01"]),
    ("deriv type", "fast", ["deriv type", "analytic Hessian"]),
    ("Marquardt", 2, ["Marquardt", "-3"]),
    ("seqCopy", "yes", ["Copy2Next", "bool"]),
    ("cycle", 3, ["control", "cycles"]),              # did-you-mean
])
def test_bad_controls_name_the_control_and_range(tmp_path, control, value, words):
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "c.gpx"))
    before = dict(gpx.data["Controls"]["data"])
    with pytest.raises(ParameterError) as e:
        gpx.set_Controls(control, value)
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    assert {k: v for k, v in gpx.data["Controls"]["data"].items()} == before   # nothing changed
