"""Recalibrate on the real MAR2300 image (notes §13.7) and calibrant d-spacings."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.image import calibrants as cal, calibrate as K, controls as C, io_images as io
from shared_data import shared_file

G2 = ("gsas2-data",)


def test_calibrant_names_and_d():
    names = cal.calibrant_names()
    assert "Si    SRM640c" in names and "CeO2  SRM674b" in names and "Ag behenate" in names
    # pyFAI's CeO2 list equals the F-centred cubic lattice of SRM 674b down to 1.09 Å
    np.testing.assert_allclose(cal.d_spacings("CeO2  SRM674b", 1.09),
                               cal.lattice_d_spacings("cF", 5.411651, None, 1.09), rtol=1e-6)
    si = cal.d_spacings("Si SRM640c", 1.0)          # whitespace-insensitive name
    assert si[0] == pytest.approx(5.4311946 / np.sqrt(3), rel=1e-6)
    assert not np.any(np.isclose(si, 5.4311946 / np.sqrt(12)))   # (222) forbidden in diamond
    with pytest.raises(ParameterError, match="calibrant"):
        cal.d_spacings("CeO3 SRM674b", 1.0)


def test_conic_radius_matches_exact_geometry():
    c = {"center": [100.0, 110.0], "distance": 500.0, "tilt": 3.0, "rotation": 40.0, "DetDepth": 0.0}
    azm = np.linspace(0, 350, 36)
    r = K.conic_radius(12.0, azm, 500.0, 3.0, 40.0)
    x = 100.0 + r * np.cos(np.radians(azm))
    y = 110.0 + r * np.sin(np.radians(azm))
    from beamkit.image.geometry import tth_azm_g
    tth, _, _ = tth_azm_g(x, y, c)
    np.testing.assert_allclose(tth, 12.0, atol=1e-9)


def test_recalibrate_reproduces_gsas2():
    img = io.read_images(shared_file(*G2, "2DStrain", "data", "nx09_strain_001.mar2300"), "MAR")[0]
    c = C.apply_controls(C.default_controls(),
                         C.read_imctrl(shared_file(*G2, "GSAS-II", "tests", "testinp", "nx09_strain_011.imctrl")))
    assert c["sag"] == 0.0 and c["varyList"]["sag"] is False      # quirk 2 fixed on load
    c.update(pixelSize=img.meta["pixelSize"], size=img.meta["size"], pixLimit=5)
    for k in c["varyList"]:
        c["varyList"][k] = k in ("dist", "det-X", "det-Y", "tilt", "phi")
    r1 = K.recalibrate(img.data, c)
    assert r1["npts"] == pytest.approx(3836, abs=40)
    assert r1["chisq"] == pytest.approx(9.18, rel=0.03)
    r2 = K.recalibrate(img.data, c)
    assert r2["npts"] == pytest.approx(3811, abs=40)
    assert r2["chisq"] == pytest.approx(9.09, rel=0.03)
    px = 0.15
    assert abs(c["distance"] - 1118.926873995703) < 0.1
    assert abs(c["center"][0] - 168.60076515739857) < 0.1 * px
    assert abs(c["center"][1] - 173.47361464302284) < 0.1 * px
    assert abs(c["tilt"] - 1.205931926210251) < 0.05
    assert r2["esds"]["dist"] == pytest.approx(0.033, abs=0.002)


def test_cli_calibrate(tmp_path, capsys):
    from beamkit.image.cli import main
    mar = shared_file(*G2, "2DStrain", "data", "nx09_strain_001.mar2300")
    ctrl = shared_file(*G2, "GSAS-II", "tests", "testinp", "nx09_strain_011.imctrl")
    out = tmp_path / "recal.imctrl"
    rc = main(["calibrate", str(mar), "--controls", str(ctrl), "--vary", "dist,det-X,det-Y,tilt,phi",
               "--pixlimit", "5", "--out", str(out), "--fmthint", "MAR"])
    assert rc == 0 and "3811 points" in capsys.readouterr().out
    c = C.read_imctrl(out)
    assert c["distance"] == pytest.approx(1118.926873995703, abs=0.01)
    assert c["varyList"]["sag"] is False and c["pixLimit"] == 5


def test_calibrant_aliases():
    assert cal.resolve("silver behenate") == "Ag behenate"
    d = cal.d_spacings("Ag behenate", 5.0)
    assert d[0] == pytest.approx(58.38, rel=1e-6) and len(d) == 11
    assert cal.d_spacings("LaB6  SRM660a skip 1", 1.0)[0] == pytest.approx(4.1569162 / np.sqrt(2), rel=1e-6)
