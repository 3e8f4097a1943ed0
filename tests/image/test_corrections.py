"""Corrections and masks in integration: dark images, rings/arcs/thresholds, DetDepth, sectors."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.image import integrate as I, masks as mk, simulate as S
from beamkit.image.g2image import G2Image, _IMAGE_CACHE, new_image_entry
from beamkit.image.io_images import Frame


@pytest.fixture(scope="module")
def sim():
    c = S.demo_controls(size=[160, 160], pixelSize=[400.0, 400.0], center=[31.0, 33.0], IOtth=[2.0, 14.0],
                        outChannels=300)
    return c, S.simulate_calibrant(c, noise=False)


def test_engines_agree_and_sectors(sim):
    c, data = sim
    maps = I.IntegrationMaps(c, data.shape)
    hp, _, x, _ = I.integrate(data, c, maps=maps, engine="pyfai")
    hn, _, x2, _ = I.integrate(data, c, maps=maps, engine="numpy")
    strong = hn[0] > 0.05 * hn[0].max()
    np.testing.assert_allclose(hp[0][strong], hn[0][strong], rtol=0.01)
    for lr, off in (([0.0, 360.0], 0.0), ([-45.0, 135.0], 0.0), ([10.0, 190.0], 30.0), ([90.0, 330.0], 0.0)):
        c4 = dict(c, outAzimuths=4, LRazimuth=lr, azmthOff=off)
        m4 = I.IntegrationMaps(c4, data.shape)
        h4n, az, _, _ = I.integrate(data, c4, maps=m4, engine="numpy")
        h4p, az2, _, _ = I.integrate(data, c4, maps=m4, engine="pyfai")
        assert h4n.shape == (4, 300) and np.allclose(az, np.linspace(lr[0], lr[1], 5)) and np.allclose(az, az2)
        strong = h4n > 0.05 * h4n.max()
        rel = np.abs(h4p[strong] / h4n[strong] - 1)     # pixels on sector edges may fall either way
        assert np.median(rel) < 2e-3 and rel.max() < 0.05, lr
    cl = dict(c, binType="log(q)")
    with pytest.raises(ParameterError, match="engine"):
        I.integrate(data, cl, maps=I.IntegrationMaps(cl, data.shape), engine="pyfai")


def test_detdepth_uses_exact_engine(sim):
    c, data = sim
    cd = dict(c, DetDepth=0.02)
    maps = I.IntegrationMaps(cd, data.shape)
    assert maps.ai is None
    h, _, _, _ = I.integrate(data, cd, maps=maps)
    h0, _, _, _ = I.integrate(data, c, maps=I.IntegrationMaps(c, data.shape), engine="numpy")
    assert np.argmax(h[0]) != np.argmax(h0[0]) or not np.allclose(h, h0)


def test_masks_and_thresholds(sim):
    c, data = sim
    m = mk.default_masks()
    m["Rings"] = [[5.0, 0.4]]
    m["Arcs"] = [[8.0, [0.0, 180.0], 0.5]]
    maps = I.IntegrationMaps(c, data.shape, m)
    assert maps.static[(np.abs(maps.tth - 5.0) < 0.19)].all()
    arc = (np.abs(maps.tth - 8.0) < 0.2)
    assert maps.static[arc & (maps.azm > 5) & (maps.azm < 175)].all()
    assert not maps.static[arc & (maps.azm > 185) & (maps.azm < 355)].any()
    m["Thresholds"] = [(0, 5000), [0, 100]]
    h, _, x, n = I.integrate(data, c, m, maps=maps, engine="numpy")
    h_all, _, _, _ = I.integrate(data, c, maps=I.IntegrationMaps(c, data.shape), engine="numpy")
    assert h[0].max() < h_all[0].max()          # bright ring pixels thresholded away
    assert np.all(np.isfinite(h))


def test_dark_image_and_flat_background(sim, tmp_path):
    import fabio.edfimage
    c, data = sim
    dark = np.full(data.shape, 7.0, "f4")
    p = tmp_path / "dark.edf"
    fabio.edfimage.EdfImage(data=dark).write(str(p))
    img = G2Image(new_image_entry(Frame(data, {"pixelSize": c["pixelSize"]}, "x", 0, 1)), "IMG x")
    _IMAGE_CACHE[img.data["ranId"]] = data
    img.setControlFile("dark", str(p))
    np.testing.assert_allclose(img.image, data - 7.0)
    img.setControls({"Flat Bkg": 3.0})
    np.testing.assert_allclose(img.image, data - 10.0)
    img.setControlFile("dark", "nothing-here.edf")
    with pytest.raises(ParameterError, match="dark image"):
        img.image
    with pytest.raises(ParameterError, match="typ"):
        img.setControlFile("flat", str(p))
    img.clearImageCache()


def test_oblique_and_absorption_factors():
    assert np.allclose(I.oblique(0.0, [10.0, 20.0]), 1.0)
    o = I.oblique(0.5, np.array([1e-3, 30.0]))
    assert o[0] == pytest.approx(1.0, rel=1e-3) and o[1] < 1.0
    c = {"SampleAbs": [0.5, True], "SampleShape": "Fixed flat plate"}
    a = I.sample_absorption(c, np.array([1e-4, 30.0]))
    assert a[0] == pytest.approx(np.exp(-1.0), rel=1e-3) and a[1] < a[0]
    with pytest.raises(ParameterError, match="SampleShape"):
        I.sample_absorption({"SampleAbs": [0.5, True], "SampleShape": "Cylinder"}, np.array([1.0]))
