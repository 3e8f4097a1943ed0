"""background.py: GSAS-II background functions, Debye terms, background peaks, derivatives."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.powder import background as bg

INST_CW = {"Type": ["PXC", "PXC", False], "Lam": [1.5405, 1.5405, False], "SH/L": [0.002, 0.002, False]}
INST_TOF = {"Type": "PNT", "difC": 22600.0}


def test_polynomial_types():
    x = np.linspace(10, 110, 201)
    xn = -1 + 2 * (x - 10) / 100
    c = [3.0, -1.0, 0.5, 0.2]
    y, _ = bg.background("chebyschev-1", c, x)
    np.testing.assert_allclose(y, 3 - xn + 0.5 * (2 * xn ** 2 - 1) + 0.2 * (4 * xn ** 3 - 3 * xn))
    y, _ = bg.background("chebyschev", c, x)
    np.testing.assert_allclose(y, 3 - xn + 0.5 * xn ** 2 + 0.2 * xn ** 3)
    y, _ = bg.background("cosine", c[:2], x)
    np.testing.assert_allclose(y, 3 - np.cos(np.radians(180 * x / 110)))
    # default GSAS-II background [1, 0, 0]: a constant 1
    np.testing.assert_allclose(bg.background("chebyschev-1", [1.0, 0, 0], x)[0], 1.0)


def test_q_power_series_and_interpolation():
    x = np.linspace(10, 110, 101)
    q = 4 * np.pi * np.sin(np.radians(x / 2)) / 1.5405
    y, _ = bg.background("Q^2 power series", [2.0, 0.1, 0.01], x, inst=INST_CW)
    np.testing.assert_allclose(y, 2 + 0.1 * q ** 2 + 0.01 * q ** 4)
    y, _ = bg.background("Q^-2 power series", [2.0, 0.1], x, inst=INST_CW)
    np.testing.assert_allclose(y, 2 + 0.1 / q ** 2)
    y, _ = bg.background("lin interpolate", [1.0, 3.0, 2.0], x)
    assert y[0] == 1.0 and y[50] == pytest.approx(3.0) and y[-1] == 2.0
    for kind in ("inv interpolate", "log interpolate"):
        y, _ = bg.background(kind, [5.0, 5.0, 5.0, 5.0], x)
        np.testing.assert_allclose(y, 5.0)
        y, d = bg.background(kind, [1.0, 2.0, 4.0], x, derivs=True)
        np.testing.assert_allclose(d["Back"].sum(axis=1), 1.0)
        assert y[0] == 1.0 and y[-1] == 4.0 and np.all(np.diff(y) >= 0)
    tq = bg.q_of_x(np.array([20000.0]), INST_TOF)
    assert tq[0] == pytest.approx(2 * np.pi * 22600 / 20000)


def test_debye_and_peaks_derivatives():
    x = np.linspace(5, 60, 1101)
    extra = {"nDebye": 1, "debyeTerms": [[100.0, True, 2.3, True, 0.01, True]],
             "nPeaks": 2, "peaksList": [[20.0, True, 500.0, True, 40.0, True, 10.0, True],
                                        [35.0, True, 300.0, True, 100.0, True, 5.0, True]]}
    y, d = bg.background("chebyschev-1", [10.0, 1.0], x, extra, INST_CW, derivs=True)
    assert d["Back"].shape == (x.size, 2) and d["Debye"].shape == (x.size, 1, 3) and d["BkPk"].shape == (x.size, 2, 4)

    def total(deb, pks):
        ex = dict(extra, debyeTerms=[deb], peaksList=pks)
        return bg.background("chebyschev-1", [10.0, 1.0], x, ex, INST_CW)[0]

    deb = list(extra["debyeTerms"][0])
    for j, col in enumerate((0, 2, 4)):
        e = 1e-6 * max(1.0, abs(deb[col]))
        hi, lo = list(deb), list(deb)
        hi[col] += e
        lo[col] -= e
        num = (total(hi, extra["peaksList"]) - total(lo, extra["peaksList"])) / (2 * e)
        np.testing.assert_allclose(d["Debye"][:, 0, j], num, rtol=1e-5, atol=1e-9 * np.abs(num).max())
    for j, col in enumerate((0, 2, 4, 6)):
        pks = [list(r) for r in extra["peaksList"]]
        e = 1e-6 * max(1.0, abs(pks[0][col]))
        hi = [list(r) for r in pks]
        lo = [list(r) for r in pks]
        hi[0][col] += e
        lo[0][col] -= e
        num = (total(deb, hi) - total(deb, lo)) / (2 * e)
        tol = 1e-5
        assert np.max(np.abs(d["BkPk"][:, 0, j] - num)) <= tol * np.abs(num).max(), col
    # a neutron histogram has no form factor in the Debye term
    yn = bg.debye_terms(x, [[1.0, 2.0, 0.0]], {"Type": "PNC", "Lam": 1.5405})
    q = 4 * np.pi * np.sin(np.radians(x / 2)) / 1.5405
    np.testing.assert_allclose(yn, np.sin(2 * q) / (2 * q))


def test_tof_background_peak_area():
    x = np.linspace(10000, 30000, 20001)
    y = bg.background_peaks(x, [[20000.0, 1000.0, 400.0, 5.0]], INST_TOF)
    assert np.trapezoid(y, x) == pytest.approx(1000.0, rel=2e-2)


def test_bad_background():
    x = np.linspace(1, 2, 5)
    with pytest.raises(ParameterError):
        bg.background("spline", [1.0], x)
    with pytest.raises(ParameterError):
        bg.background("chebyschev", [np.nan], x)
    with pytest.raises(ParameterError):
        bg.background("Q^2 power series", [1.0, 1.0], x, inst={"Type": "PXC"})
