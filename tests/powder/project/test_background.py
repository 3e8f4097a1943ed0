"""GSAS-II background functions in the calculation (notes §6), Debye terms, peaks, fixed histogram."""
from __future__ import annotations

import numpy as np
import pytest

import beamkit.powder as G2sc
from beamkit.errors import ParameterError
from beamkit.powder.calc import background_from_dict
from beamkit.powder.calc_terms import background_function, q_of_x
from beamkit.powder.model import default_background, make_inst_dict

INST = make_inst_dict({"Type": "PXC", "Lam": 1.5})
X = np.linspace(10.0, 110.0, 201)
XN = -1 + 2 * (X - 10) / 100


def test_empirical_types():
    c = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(background_function("chebyschev-1", c, X), 1 + 2 * XN + 3 * (2 * XN ** 2 - 1))
    np.testing.assert_allclose(background_function("chebyschev", c, X), 1 + 2 * XN + 3 * XN ** 2)
    np.testing.assert_allclose(background_function("cosine", c, X),
                               1 + 2 * np.cos(np.radians(180 * X / 110)) + 3 * np.cos(np.radians(360 * X / 110)))


def test_q_series_and_interpolation():
    q = 4 * np.pi * np.sin(np.radians(X / 2)) / 1.5
    np.testing.assert_allclose(q_of_x(X, INST), q)
    c = [5.0, 2.0, 0.5]
    np.testing.assert_allclose(background_function("Q^2 power series", c, X, INST), 5 + 2 * q ** 2 + 0.5 * q ** 4 / 2)
    np.testing.assert_allclose(background_function("Q^-2 power series", c, X, INST),
                               5 + 2 * q ** -2 + 0.5 * 2 * q ** -4)
    y = background_function("lin interpolate", [1.0, 3.0, 2.0], X)
    assert y[0] == 1.0 and y[100] == pytest.approx(3.0) and y[-1] == 2.0
    assert background_function("lin interpolate", [4.0], X).tolist() == [4.0] * X.size
    # the middle knot sits at the geometric / harmonic mean of the range
    yl = background_function("log interpolate", [1.0, 3.0, 2.0], np.array([10.0, np.sqrt(10 * 110), 110.0]))
    yi = background_function("inv interpolate", [1.0, 3.0, 2.0], np.array([10.0, 2 / (1 / 10 + 1 / 110), 110.0]))
    np.testing.assert_allclose([yl[1], yi[1]], [3.0, 3.0], rtol=1e-12)
    with pytest.raises(ParameterError):
        background_function("spline", c, X)


def test_debye_terms_and_peaks():
    bkg = default_background("chebyschev-1", 1)
    bkg[0][3] = 0.0
    bkg[1]["nDebye"] = 1
    bkg[1]["debyeTerms"] = [[100.0, False, 2.5, False, 0.01, False]]
    y = background_from_dict(bkg, X, INST)
    q = q_of_x(X, INST)
    from beamkit.powder.scattering import xray_form_factors
    ff = xray_form_factors(["Si"], 2 * np.pi / q)[:, 0] ** 2
    np.testing.assert_allclose(y, ff * 100 * np.sin(2.5 * q) * np.exp(-0.01 * q * q) / (2.5 * q))
    bkg[1]["nDebye"] = 0
    bkg[1]["nPeaks"] = 1
    bkg[1]["peaksList"] = [[50.0, False, 1000.0, False, 400.0, False, 5.0, False]]
    yp = background_from_dict(bkg, np.linspace(10, 110, 20001), INST)
    assert np.sum(yp) * (100 / 20000) * 100 == pytest.approx(1000.0, rel=2e-3)   # area: int (profile per centideg)


def test_fixed_background_histogram():
    g = G2sc.G2Project(newgpx=None)
    x = np.linspace(10, 60, 51)
    h0 = g._add_pwdr_arrays("empty can", x, np.full(51, 7.0), inst={"Type": "PXC", "Lam": 1.5})
    h1 = g._add_pwdr_arrays("sample", x, np.full(51, 20.0), inst={"Type": "PXC", "Lam": 1.5})
    h1.data["Background"][1]["background PWDR"] = [h0.name, 2.0, False]
    g.compute()
    np.testing.assert_allclose(h1.getdata("background"), 1.0 + 14.0)
    h1.data["Background"][1]["background PWDR"] = ["nope", 2.0, False]
    with pytest.raises(ParameterError):
        g.compute()
