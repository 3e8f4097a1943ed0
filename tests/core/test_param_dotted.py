"""Param dotted keys, as ptypy's ``u.Param``: set/get/contains through sub-trees."""
from __future__ import annotations

import pytest

from beamkit.core.params import DescriptorTree, Param
from beamkit.errors import ParameterError


def test_dotted_set_creates_nested_entries():
    p = Param()
    p["scans.MF.data.name"] = "MoonFlowerScan"
    assert isinstance(p.scans, Param) and isinstance(p.scans.MF.data, Param)
    assert p.scans.MF.data.name == "MoonFlowerScan"
    assert dict.keys(p) == {"scans"}
    p["scans.MF.data.shape"] = 128            # into the existing sub-tree
    assert p.scans.MF.data == {"name": "MoonFlowerScan", "shape": 128}
    p["scans.MF.illumination"] = {"aperture": {"size": 1e-6}}
    assert isinstance(p.scans.MF.illumination.aperture, Param)


def test_dotted_get_and_contains():
    p = Param({"scans": {"MF": {"data": {"name": "MoonFlowerScan"}}}, "x": 1})
    assert p["scans.MF.data.name"] == "MoonFlowerScan"
    assert p["scans.MF"] is p.scans.MF
    assert "scans.MF" in p and "scans.MF.data.name" in p and "x" in p
    assert "scans.XX" not in p and "x.y" not in p and "nope.y" not in p
    with pytest.raises(KeyError):
        p["scans.XX"]
    with pytest.raises(KeyError):
        p["x.y"]                               # x is not a sub-tree
    assert 3 not in p and (1, 2) not in p      # non-string keys stay plain
    assert p.setdefault("scans.MF.data.name", "other") == "MoonFlowerScan"
    assert p.setdefault("engines.engine00.name", "DM") == "DM" and p.engines.engine00.name == "DM"


def test_dotted_set_refuses_through_a_value_or_empty_parts():
    p = Param(x=1)
    with pytest.raises(ParameterError, match="x"):
        p["x.y"] = 2
    assert p == {"x": 1}
    with pytest.raises(ParameterError):
        p["a..b"] = 1
    with pytest.raises(ParameterError):
        p[".a"] = 1


def test_tree_resolve_with_dotted_user_keys():
    tree = DescriptorTree("demo")
    tree.declare("engine.DM.numiter", type="int", default=123, lowlim=0, help="iterations")
    tree.declare("engine.DM.alpha", type="float", default=1.0, help="alpha")
    user = Param()
    user["engine.DM.numiter"] = 5
    out = tree.resolve(user)
    assert out.engine.DM.numiter == 5 and out.engine.DM.alpha == 1.0
    assert "engine.DM.alpha" in out and out["engine.DM.alpha"] == 1.0
    assert user == {"engine": {"DM": {"numiter": 5}}}       # input unchanged


def test_building_or_updating_keeps_dotted_keys_as_given():
    """Only an explicit p['a.b'] = v splits: file names and labels with dots survive Param(...) and update."""
    p = Param({"data": {"file.h5": 1}, "s.01": 2})
    assert dict.__contains__(p["data"], "file.h5") and dict.__contains__(p, "s.01")
    p.update({"run.2": 3})
    assert dict.__contains__(p, "run.2") and "run" not in p
