"""Integration of the real MAR2300 image against GSAS-II's own output (notes §13.7)."""
import numpy as np
import pytest

from beamkit.image import controls as C, integrate as I, io_images as io
from shared_data import shared_file

G2 = ("gsas2-data",)


@pytest.fixture(scope="module")
def mar001():
    path = shared_file(*G2, "2DStrain", "data", "nx09_strain_001.mar2300")
    return io.read_images(path, "MAR")[0]


@pytest.fixture(scope="module")
def recal_controls(mar001):
    c = C.apply_controls(C.default_controls(),
                         C.read_imctrl(shared_file(*G2, "reference", "img", "nx09_strain_001_recal.imctrl")))
    c.update(pixelSize=mar001.meta["pixelSize"], size=mar001.meta["size"])
    return c


@pytest.fixture(scope="module")
def maps(recal_controls, mar001):
    return I.IntegrationMaps(recal_controls, mar001.data.shape)


@pytest.fixture(scope="module")
def reference():
    return np.loadtxt(shared_file(*G2, "reference", "img", "nx09_strain_001_integrated.xye"),
                      comments=["/*", "#", "*/"])


def test_image_read(mar001):
    assert mar001.data.shape == (2300, 2300)
    assert mar001.meta["pixelSize"] == [150.0, 150.0]


@pytest.mark.parametrize("engine", ["pyfai", "numpy"])
def test_matches_gsas2(engine, mar001, recal_controls, maps, reference):
    h, az, x, n = I.integrate(mar001.data, recal_controls, maps=maps, engine=engine)
    y = h[0]
    # the same 2θ grid (lower bin edges, 2500 points over 1.5-8.997)
    np.testing.assert_allclose(x, reference[:, 0], atol=1e-9)
    strong = reference[:, 1] > 0.01 * reference[:, 1].max()
    rel = np.abs(y[strong] / reference[strong, 1] - 1)
    assert rel.max() < 0.01, rel.max()
    # peak positions: the maximum, and centroids of the main peaks, within 0.002°
    assert abs(x[np.argmax(y)] - reference[np.argmax(reference[:, 1]), 0]) < 0.002
    assert y.max() == pytest.approx(10204.1, rel=0.01)
    from scipy.signal import find_peaks
    pk, _ = find_peaks(reference[:, 1], prominence=0.05 * reference[:, 1].max())
    assert len(pk) >= 5
    for p in pk:
        sl = slice(p - 4, p + 5)
        cy = np.sum(x[sl] * y[sl]) / np.sum(y[sl])
        cr = np.sum(x[sl] * reference[sl, 1]) / np.sum(reference[sl, 1])
        assert abs(cy - cr) < 0.002
