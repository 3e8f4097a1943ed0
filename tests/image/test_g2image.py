"""G2Image: GSAS-II's scripting methods, standalone and with a stand-in project."""
import numpy as np
import pytest

from beamkit.errors import FormatError, ParameterError
from beamkit.image import G2Image
from beamkit.image.project import add_image, image_multi_dist_calib
from shared_data import shared_file

G2 = ("gsas2-data",)


class StandInProject:
    """The two hooks the powder project provides, recorded."""

    def __init__(self):
        self.data, self.hists = {}, []

    def _store_image(self, name, controls, masks, image_path):
        key = name if name.startswith("IMG ") else "IMG " + name
        self.data[key] = {"data": [0, image_path], "Image Controls": controls, "Masks": masks, "ranId": 7}
        return self.data[key]

    def _add_pwdr_arrays(self, name, x, y, w=None, inst=None, sample=None, **kw):
        self.hists.append((name, x, y, w, inst))
        self.sample = sample
        return name

    def images(self):
        return [G2Image(v, k, self) for k, v in self.data.items() if k.startswith("IMG ")]

    def image(self, ref):
        return next((i for i in self.images() if i.name in (ref, "IMG " + str(ref))), None)


@pytest.fixture(scope="module")
def mar011():
    return shared_file(*G2, "2DStrain", "data", "nx09_strain_011.mar2300")


@pytest.fixture(scope="module")
def imctrl011():
    return shared_file(*G2, "GSAS-II", "tests", "testinp", "nx09_strain_011.imctrl")


def test_controls_api(mar011, imctrl011, tmp_path):
    img = G2Image.from_file(mar011, "MAR")
    assert img.getControl("pixelSize") == [150.0, 150.0]
    img.loadControls(imctrl011)
    assert img.getControl("distance") == pytest.approx(1118.8555366950047)
    assert "distance" in img.findControl("dist")
    img.setVary("*", False)
    img.setVary(["dist", "tilt"], True)
    assert img.getVary("dist", "tilt", "phi", "sag") == [True, True, False, False]
    with pytest.raises(ParameterError, match="varyList.dst"):
        img.setVary("dst")
    with pytest.raises(ParameterError, match="distance"):
        img.getControl("distanse")
    with pytest.raises(ParameterError, match="outChannels"):
        img.setControls({"outChannels": "many"})
    img.setControls({"outChannels": 1000, "IOtth": [2.0, 8.0]})
    assert img.setCalibrant("Si SRM640c") == "Si    SRM640c"
    assert "CeO2  SRM674b" in img.setCalibrant()
    img.setControlFile("dark", "some dark", 0.5)
    assert img.getControl("dark image") == ["some dark", 0.5]
    img.setControlFile("dark", "", -1)
    out = tmp_path / "x.imctrl"
    img.saveControls(out)
    back = G2Image.from_file(mar011, "MAR")
    back.loadControls(out)
    for k in ("distance", "center", "tilt", "rotation", "IOtth", "varyList", "calibrant", "PolaVal"):
        assert back.getControl(k) == img.getControl(k)
    bad = tmp_path / "bad.imctrl"
    bad.write_text("distance:1000\ncenter:[1, \n")
    with pytest.raises(FormatError, match="line 2"):
        back.loadControls(bad)


def test_masks_roundtrip(mar011, tmp_path):
    img = G2Image.from_file(mar011, "MAR")
    m = img.getMasks()
    m["Polygons"] = [[[10.0, 10.0], [20.0, 10.0], [20.0, 20.0]]]
    m["Points"] = [[100.0, 100.0, 3.0]]
    m["Frames"] = [[1.0, 1.0], [340.0, 1.0], [340.0, 340.0], [1.0, 340.0]]
    img.setMasks(m)
    from beamkit.image.masks import read_immask, write_immask
    write_immask(tmp_path / "m.immask", img.getMasks())
    img2 = G2Image.from_file(mar011, "MAR")
    img2.loadMasks(tmp_path / "m.immask")
    mm = img2.IntMaskMap()
    # frame keeps 2260² px, triangle of 50 mm² = 2222 px, spot of radius 1.5 mm = 314 px
    assert mm.sum() == pytest.approx(2300 ** 2 - 2260 ** 2 + 2222 + 314, rel=0.002)
    assert mm[int(15 / 0.15), int(17 / 0.15)] and not mm[int(15 / 0.15), int(12 / 0.15)]
    assert mm[0, 0] and mm[-1, -1] and not mm[1150, 1150]
    assert mm[int(100 / 0.15), int(100 / 0.15)]
    with pytest.raises(ParameterError, match="Points"):
        img2.setMasks({"Points": [[1, 2]]})


def test_project_flow_and_seed_loop(mar011, imctrl011, tmp_path):
    proj = StandInProject()
    imgs = add_image(proj, mar011, fmthint="MAR", cacheImage=True)
    assert len(imgs) == 1 and imgs[0].name == "IMG nx09_strain_011.mar2300"
    cache = {}
    for img in proj.images() * 2:                 # the "Optimized Image Integration" loop
        if not cache:
            img.loadControls(imctrl011)
            cache["Image Controls"] = img.getControls()
            cache["Masks"] = img.getMasks()
            cache["intMaskMap"] = img.IntMaskMap()
            cache["intTAmap"] = img.IntThetaAzMap()
            cache["FrameMask"] = img.MaskFrameMask()
            cache["maskTmap"] = img.MaskThetaMap()
        else:
            img.setControls(cache["Image Controls"])
            img.setMasks(cache["Masks"], True)
        img.GeneratePixelMask(esdMul=3, ThetaMap=cache["maskTmap"], FrameMask=cache["FrameMask"])
        assert img.TestFastPixelMask()
        out = img.Integrate(MaskMap=cache["intMaskMap"], ThetaAzimMap=cache["intTAmap"])
        img.clearImageCache()
        img.clearPixelMask()
        assert img.getMasks()["SpotMask"]["spotMask"] is None
    name, x, y, w, inst = proj.hists[-1]
    assert out == [name] and name == "PWDR nx09_strain_011.mar2300 Azm= 0.00"
    assert y[233:281].sum() == pytest.approx(4666.40, rel=0.01)
    assert inst["Lam"] == pytest.approx(0.12398) and inst["Polariz."] == 0.99
    assert len(proj.hists) == 2
    assert proj.sample["Gonio. radius"] == pytest.approx(1118.8555366950047)


def test_bad_image_file(tmp_path):
    bad = tmp_path / "junk.tif"
    bad.write_bytes(b"II*\x00garbage")
    with pytest.raises(FormatError, match="junk.tif"):
        G2Image.from_file(bad)
    with pytest.raises(FormatError, match="not found"):
        G2Image.from_file(tmp_path / "missing.mar2300")
