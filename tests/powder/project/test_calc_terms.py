"""Small terms of the calculation glue: March-Dollase, TOF d from position, CW instrument widths, sums."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.powder.calc import residuals, sum_peaks
from beamkit.powder.calc_terms import cw_sig_gam, march_dollase, tof_d_from_pos
from beamkit.powder.crystal import cell_to_A, laue_operators, space_group


def test_march_dollase_limits():
    A = cell_to_A([8.48, 5.398, 6.958, 90, 90, 90])
    L = laue_operators(space_group("P n m a"))
    r = 1.2
    po = march_dollase([[0, 0, 1], [1, 0, 0], [0, 1, 0]], r, [0, 0, 1], L, A)
    # along the axis: (r²)^(-3/2) = r^-3; perpendicular: (1/r)^(-3/2) = r^1.5
    np.testing.assert_allclose(po, [r ** -3, r ** 1.5, r ** 1.5], rtol=1e-12)
    assert np.all(march_dollase([[1, 2, 3]], 1.0, [0, 0, 1], L, A) == 1.0)


def test_tof_d_inverse_and_cw_widths():
    inst = {"difC": [0, 22600.2479192, 0], "difA": [0, -0.900917699636, 0], "difB": [0, 2.62346571719, 0],
            "Zero": [0, -8.51764244829, 0]}
    d = np.array([0.5, 1.542247, 3.0])
    tof = 22600.2479192 * d - 0.900917699636 * d ** 2 + 2.62346571719 / d - 8.51764244829
    np.testing.assert_allclose(tof_d_from_pos(tof, inst), d, rtol=1e-12)
    assert tof_d_from_pos(34846.214, inst) == pytest.approx(1.542247, abs=1e-6)   # notes §5 check
    ins = {"U": 354.031, "V": -760.404, "W": 651.592, "X": 0.0, "Y": 0.0, "Z": 0.0}
    sig, gam = cw_sig_gam(20.44134 + 0.001, ins)        # notes §4.2: 101 reflection, before sample terms
    t = np.tan(np.radians(20.44234 / 2))
    assert sig == pytest.approx(354.031 * t * t - 760.404 * t + 651.592) and gam == 0.0


def test_sum_peaks_windows_and_residuals():
    x = np.linspace(0, 10, 101)
    pos = np.array([2.0, 5.0, 20.0])                      # the last is off the grid
    y, (pt, pk, v) = sum_peaks(x, pos, np.ones(3), np.ones(3), np.array([1.0, 2.0, 3.0]),
                               lambda dx, k: np.ones_like(dx))
    assert y[20] == 1.0 and y[50] == 2.0 and y[0] == 0.0 and 2 not in pk
    assert y.sum() == pytest.approx(20 * 1.0 + 20 * 2.0)  # [pos-1, pos+1) holds 20 points
    r = residuals([10, 20], [10, 10], [0, 0], [0.1, 0.05])
    assert r["wR"] == pytest.approx(100 * np.sqrt(0.05 * 100 / (0.1 * 100 + 0.05 * 400)))
    assert r["R"] == pytest.approx(100 * 10 / 30) and r["Nobs"] == 2
