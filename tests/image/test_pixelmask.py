"""GSAS-II's own image test (notes §13.1): pixel mask + integration of nx09_strain_011."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.image import controls as C, integrate as I, io_images as io, pixelmask as P
from shared_data import shared_file

G2 = ("gsas2-data",)


def test_ring_median_mad_matches_numpy():
    rng = np.random.default_rng(1)
    b = rng.integers(0, 7, 500)
    v = rng.integers(0, 50, 500)
    med, mad, cnt = P.ring_median_mad(b, v, 8)
    for k in range(7):
        x = np.sort(v[b == k])
        assert med[k] == x[(len(x) - 1) // 2]
        d = np.sort(np.abs(x - med[k]))
        assert mad[k] == pytest.approx(1.4826 * d[(len(d) - 1) // 2])
    assert cnt[7] == 0 and np.isnan(med[7])


def test_bad_arguments():
    c = {"IOtth": [1, 2], "outChannels": 10}
    with pytest.raises(ParameterError, match="ThetaMap"):
        P.auto_pixel_mask(np.zeros((4, 4)), np.zeros((3, 3)), c)
    with pytest.raises(ParameterError, match="esdMul"):
        P.auto_pixel_mask(np.zeros((4, 4)), np.zeros((4, 4)), c, esd_mul=0)


def test_gsas2_image_test():
    img = io.read_images(shared_file(*G2, "2DStrain", "data", "nx09_strain_011.mar2300"), "MAR")[0]
    c = C.apply_controls(C.default_controls(),
                         C.read_imctrl(shared_file(*G2, "GSAS-II", "tests", "testinp", "nx09_strain_011.imctrl")))
    c.update(pixelSize=img.meta["pixelSize"], size=img.meta["size"])
    maps = I.IntegrationMaps(c, img.data.shape)
    m = P.auto_pixel_mask(img.data, maps.tth, c, 3.0)
    assert m.mean() == pytest.approx(0.023726, rel=0.05)
    assert m.mean() == pytest.approx(0.023731379962192815, rel=1e-3)   # GSAS-II's actual value
    for engine in ("pyfai", "numpy"):
        h, _, x, _ = I.integrate(img.data, c, maps=maps, pixel_mask=m, engine=engine)
        y = h[0]
        assert y[233:281].sum() == pytest.approx(4666.40, rel=0.01)
        assert (x[233] + x[280]) / 2 == pytest.approx(2.2695, abs=2e-4)
        assert y[780:851].sum() == pytest.approx(26518.62, rel=0.01)
        assert (x[780] + x[850]) / 2 == pytest.approx(3.9450, abs=2e-4)
