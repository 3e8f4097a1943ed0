"""Simulated calibrant: recalibration from a perturbed start, geometry conversions, demo."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.image import geometry as g, simulate as S
from beamkit.image.g2image import G2Image, _IMAGE_CACHE, new_image_entry
from beamkit.image.io_images import Frame


@pytest.fixture(scope="module")
def sim():
    true = S.demo_controls()
    return true, S.simulate_calibrant(true, seed=5)


def test_recalibrate_from_2mm_2px_off(sim):
    true, data = sim
    px = true["pixelSize"][0] / 1000.0
    img = G2Image(new_image_entry(Frame(data, {"pixelSize": true["pixelSize"]}, "sim", 0, 1)), "IMG sim")
    _IMAGE_CACHE[img.data["ranId"]] = data
    img.setControls({k: true[k] for k in ("wavelength", "calibrant", "calibdmin", "pixLimit", "cutoff",
                                           "IOtth", "outChannels")})
    img.setControls({"distance": true["distance"] + 2.0, "tilt": 1.5, "rotation": 20.0,
                     "center": [true["center"][0] - 2 * px, true["center"][1] + 2 * px]})
    img.setVary("*", False)
    img.setVary(["dist", "det-X", "det-Y", "tilt", "phi"], True)
    for _ in range(6):
        res = img.Recalibrate()
    c = img.controls
    assert abs(c["distance"] - true["distance"]) < 0.05
    assert np.all(np.abs(np.array(c["center"]) - true["center"]) / px < 0.05)
    assert abs(c["tilt"] - true["tilt"]) < 0.1
    assert res["chisq"] < 5
    img.clearImageCache()


def test_poni_roundtrip_and_pyfai_arrays():
    c = {"wavelength": 0.5, "distance": 321.0, "center": [60.5, 40.25], "tilt": 4.0, "rotation": 123.0,
         "DetDepth": 0.0, "azmthOff": 0.0, "pixelSize": [172.0, 150.0]}
    p = g.gsas_to_poni(c)
    back = g.poni_to_gsas(p["dist"], p["poni1"], p["poni2"], p["rot1"], p["rot2"], p["rot3"], p["wavelength"])
    for k in ("distance", "tilt", "rotation", "wavelength"):
        assert back[k] == pytest.approx(c[k], abs=1e-9)
    np.testing.assert_allclose(back["center"], c["center"], atol=1e-9)
    # and the other way round, from a PONI that has a GSAS-II form
    again = g.gsas_to_poni(dict(c, **back))
    for k in ("dist", "poni1", "poni2", "rot1", "rot2", "rot3"):
        assert again[k] == pytest.approx(p[k], abs=1e-12)
    with pytest.raises(ParameterError, match="rot3"):
        g.poni_to_gsas(0.3, 0.05, 0.05, 0.02, 0.01, 0.3)
    with pytest.raises(ParameterError, match="DetDepth"):
        g.gsas_to_poni(dict(c, DetDepth=0.01))
    shape = (40, 60)
    ai = g.make_integrator(c, shape)
    x, y = g.pixel_xy_mm(shape, c["pixelSize"])
    tth, azm, _ = g.tth_azm_g(x, y, c)
    np.testing.assert_allclose(np.degrees(ai.center_array(shape, unit="2th_rad")), tth, atol=1e-9)
    chi = np.degrees(ai.center_array(shape, unit="chi_rad")) % 360
    assert np.abs((chi - azm + 180) % 360 - 180).max() < 1e-3


def test_demo_runs(tmp_path):
    from beamkit.image import demo
    res = demo.run(tmp_path)
    assert abs(res["errors"]["distance_mm"]) < 0.05
    assert max(abs(v) for v in res["errors"]["center_px"]) < 0.05
    assert all((tmp_path / f).exists() for f in ("simulated_LaB6_rings.png", "simulated_LaB6_cake.png"))
