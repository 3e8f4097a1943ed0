"""TOF peak fitting: Jacobian, synthetic recovery, GSAS-II's simulated PbSO4 TOF pattern, API."""
import csv

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.powder import peaks as PK
from beamkit.powder.calc_terms import tof_d_from_pos
from beamkit.powder.peaks_tof import TOFPeakModel, _inst_widths
from shared_data import shared_file

# POWGEN bank 2 (notes §13.3, shipped as beamkit/powder/data/POWGEN_1066.instprm); X, Y give the
# Lorentzian of 1 µm size and 1000 µstrain (1e-3·difC·d + 1e-4·difC·d²), as in that simulation
_V = {"difC": 22600.2479192, "difA": -0.900917699636, "difB": 2.62346571719, "Zero": -8.51764244829,
      "alpha": 0.132504624416, "beta-0": 0.111601941165, "beta-1": 0.00272732086125, "beta-q": 0.0,
      "sig-0": 56.0319014702, "sig-1": -167.421847539, "sig-2": 281.385521422, "sig-q": -3.72970085651,
      "X": 22.6002479192, "Y": 2.26002479192, "Z": 0.0}


def _inst():
    inst = {k: [v, v, False] for k, v in _V.items()}
    inst["Type"] = ["PNT", "PNT", 0]
    return inst


def _model(inst, peaks, bkpeaks=(), x=None, mode="useIP"):
    x = np.arange(30000.0, 31500.0, 2.0) if x is None else x
    bk = [["chebyschev-1", True, 2, 5.0, 1.0], {"peaksList": [list(r) for r in bkpeaks]}]
    return TOFPeakModel(x, np.zeros_like(x), np.ones_like(x), inst, bk, peaks, mode)


def test_tof_jacobian_matches_finite_differences():
    inst = _inst()
    for k in ("alpha", "beta-0", "beta-1", "sig-0", "sig-1", "X", "Y"):
        inst[k][2] = True
    inst["alpha"][1] = 0.3                   # above GSAS-II's floor α ≥ 0.1 (derivative 0 below it)
    own = [30500.0, True, 5.0e4, True, 0.2, True, 0.12, True, 1200.0, True, 40.0, True]
    ip = [31000.0, False, 3.0e4, True, 0.0, False, 0.0, False, 0.0, False, 0.0, False]     # widths from inst
    m = _model(inst, [own, ip], bkpeaks=[[30200.0, True, 2.0e4, True, 900.0, True, 30.0, True]])
    pv = np.array([m.p0[m.index[n]] for n in m.vary])
    assert {"alp0", "bet0", "sig0", "gam0", "alpha", "X"} <= set(m.vary) and "pos1" not in m.vary
    Ja = m.evaluate(m.full(pv), jac=True)[1]
    Jn = PK.numeric_jacobian(m, pv, rel=1e-6)
    err = np.max(np.abs(Ja - Jn), axis=0) / np.max(np.abs(Jn), axis=0)
    assert np.all(err < 1e-5), dict(zip(m.vary, err))           # measured ≤ 5e-6


def test_tof_widths_follow_the_instrument_and_gsas2_floors():
    inst = _inst()
    m = _model(inst, [[25000.0, False, 1.0, True, 0, False, 0, False, 0, False, 0, False]])
    d = (25000.0 - _V["Zero"]) / _V["difC"]               # GSAS-II's d for the widths
    assert m.peak_value(m.p0, 25000.0, 0, "alp") == pytest.approx(_V["alpha"] / d)
    assert m.peak_value(m.p0, 30500.0, 0, "alp") == 0.1    # alpha/d < 0.1 there: GSAS-II's floor
    assert m.peak_value(m.p0, 25000.0, 0, "sig") == pytest.approx(
        _V["sig-0"] + _V["sig-1"] * d ** 2 + _V["sig-2"] * d ** 4 + _V["sig-q"] * d)
    m2 = _model(inst, [[30500.0, False, 1.0, True, 0.01, True, 1e-6, True, 900.0, True, -3.0, True]], mode="hold")
    assert [m2.peak_value(m2.p0, 30500.0, 0, k) for k in ("alp", "bet", "gam")] == [0.1, 1e-4, 1e-3]


def test_tof_synthetic_fit_recovers_parameters():
    inst = _inst()
    truth = [[30400.0, True, 6.0e4, True, 0.0, False, 0.0, False, 0.0, False, 0.0, False],
             [30900.0, True, 2.5e4, True, 0.0, False, 0.0, False, 0.0, False, 0.0, False]]
    m = _model(inst, truth)
    y = m.evaluate(m.p0)
    start = [[30403.0, True, 5.0e4, True, 0, False, 0, False, 0, False, 0, False],
             [30898.0, True, 3.0e4, True, 0, False, 0, False, 0, False, 0, False]]
    hist = {"data": [{}, [m.x, y, np.ones_like(y), 0 * y, 0 * y, 0 * y], "h"],
            "Limits": [(m.x[0], m.x[-1]), [m.x[0], m.x[-1]]], "Instrument Parameters": [inst, {}],
            "Background": [["chebyschev-1", True, 2, 0.0, 0.0], {}], "Peak List": {"peaks": start, "sigDict": {}}}
    res = PK.do_peak_fit(hist, {"min dM/M": 1e-10})
    pk = hist["Peak List"]["peaks"]
    assert [p[0] for p in pk] == pytest.approx([30400.0, 30900.0], abs=1e-4)
    assert [p[2] for p in pk] == pytest.approx([6.0e4, 2.5e4], rel=1e-6)
    assert hist["Background"][0][3:5] == pytest.approx([5.0, 1.0], abs=1e-5)
    assert res["Rwp"] < 1e-5 and len(pk[0]) == 12


def _gsas2_tof_sim():
    rows = list(csv.reader(open(shared_file("gsas2-data", "reference", "sim", "PbSO4TOFdata.csv"))))
    data = np.array([[float(v) for v in r] for r in rows if len(r) == 6 and r[0] != "x"])
    refl = np.array([[float(v) for v in r[:12]] for r in csv.reader(open(shared_file(
        "gsas2-data", "reference", "sim", "PbSO4TOFrefl.csv"))) if len(r) >= 12 and r[0] != "h"])
    # the CSV abscissa sits half a (logarithmic) step below GSAS-II's x (notes §13.3)
    x = data[:, 0] * np.exp((np.log(35.0) - np.log(14.0)) / 5000.0)
    return x, data[:, 3], refl


def test_tof_peak_fit_on_gsas2_simulated_pattern():
    """GSAS-II's own y_calc of the PbSO4 TOF simulation (notes §13.3): with every reflection of
    26.0-29.0 ms as a peak at its exact widths, the fit leaves 0.14 % and finds GSAS-II's positions.
    (Above 29.95 ms alpha/d falls below 0.1, where GSAS-II's peak fitter floors α while its
    Rietveld calculation does not, so the profiles differ there.)"""
    x, y, refl = _gsas2_tof_sim()
    inst = _inst()
    lo, hi = 26000.0, 29000.0
    sel = refl[(refl[:, 4] > lo - 300) & (refl[:, 4] < hi + 300)]
    hist = {"data": [{}, [x, y, np.ones_like(y), 0 * y, 0 * y, 0 * y], "h"], "Limits": [(x[0], x[-1]), [lo, hi]],
            "Instrument Parameters": [inst, {}], "Background": [["chebyschev-1", True, 1, 1.0], {}],
            "Peak List": {"peaks": [], "sigDict": {}}}
    for r in sel:
        PK.add_peak(hist, 1.0, dspace=r[3])
    pk = hist["Peak List"]["peaks"]
    # add_peak: TOF from d (5-decimal d in the CSV), widths from the instrument at pos/difC
    assert [p[0] for p in pk] == pytest.approx(sel[:, 4], abs=0.12)
    assert [p[8] for p in pk] == pytest.approx(sel[:, 9], abs=1.5) and [p[1:12:2] for p in pk][0] == \
        [False, True, False, False, False, False]
    for p, r in zip(pk, sel):           # GSAS-II's exact values: the true d, the CSV's σ² and γ
        a, b, _, _ = _inst_widths(lambda k: inst[k][1], float(tof_d_from_pos(r[4], inst)))
        p[0], p[4], p[6], p[8], p[10] = r[4], float(a), float(b), r[9], r[10]
    res = PK.do_peak_fit(hist, {"min dM/M": 1e-4}, mode="hold")
    assert res["Rwp"] < 0.2, res["Rwp"]                      # measured 0.138 %
    inner = [i for i in np.argsort([-p[2] for p in pk]) if lo + 150 < sel[i, 4] < hi - 150][:6]
    PK.set_peak_flags(hist, inner, pos=True)
    res = PK.do_peak_fit(hist, {"min dM/M": 1e-4}, mode="hold")
    assert res["Rwp"] < 0.2                                   # measured 0.136 %
    for i in inner:                                           # measured |Δ| ≤ 0.077 µs (3e-6 relative)
        assert pk[i][0] == pytest.approx(sel[i, 4], abs=0.1), (i, pk[i][0], sel[i, 4])
        assert 0 < res["sigDict"][f"pos{i}"] < 0.5


def test_tof_add_peak_flags_export_and_errors(tmp_path):
    import beamkit.powder as G2sc
    from pathlib import Path
    pdata = Path(G2sc.__file__).parent / "data"
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "nacl.gpx"))
    gpx.add_phase(str(pdata / "NaCl.cif"), phasename="NaCl")
    h = gpx.add_simulated_powder_histogram("NaCl TOF", str(pdata / "POWGEN_1066.instprm"), 20., 30.,
                                           phases=gpx.phases(), ibank=2)
    gpx.compute()
    h.data["data"][1][1][:] = h.getdata("ycalc") + 1.0        # noise-free "observed" pattern
    h.data["data"][1][2][:] = 1.0
    h.set_refinements({"Limits": [22000.0, 29000.0], "Background": {"no. coeffs": 1, "refine": True}})
    refl = h.reflections()["NaCl"]["RefList"]
    d_in = sorted({round(r[4], 6) for r in refl if 22300 < r[5] < 28700})    # 511 and 333 coincide
    for dsp in d_in:
        h.add_peak(1.0, dspace=dsp)
    with pytest.raises(ParameterError):
        h.add_peak(1.0, ttheta=30.0)
    h.set_peakFlags(peaklist=[0], alp=True)
    assert h.Peaks["peaks"][0][5] is True and h.Peaks["peaks"][1][5] is False
    h.set_peakFlags(peaklist=[0], alp=False)
    # the simulation's Lorentzian (1 µm, 1000 µstrain) is not in the instrument (X = Y = 0): refine γ, σ²
    h.refine_peaks()                                          # stage 1: areas (flag on from add_peak)
    h.set_peakFlags(area=True, pos=True, gam=True, sig=True)
    res = h.refine_peaks()
    assert res["Rwp"] < 0.5                                  # measured 0.21 %
    ref = {round(r[4], 6): (r[5], r[6], r[7]) for r in refl}
    for p, dsp in zip(h.Peaks["peaks"], d_in):                # measured |Δpos| ≤ 0.05 µs
        assert p[0] == pytest.approx(ref[dsp][0], abs=0.1)
        assert p[10] == pytest.approx(ref[dsp][2], rel=0.03)  # γ (µs)
    out = h.Export_peaks(str(tmp_path / "pk.txt"))
    lines = open(out).read().splitlines()
    assert lines[1].split() == ["#", "pos", "dsp", "esd", "int", "alp", "bet", "sig", "gam", "FWHM"]
    first = [float(v) for v in lines[2].split()]
    assert len(lines) == 2 + len(d_in) and first[1] == pytest.approx(d_in[0], abs=1e-4)
    assert first[0] == pytest.approx(h.Peaks["peaks"][0][0], abs=0.01)
    # esd(d) = esd(pos)/(dTOF/dd): ~1e-6 Å for these fits (5 decimals print 0)
    assert 0 < h.Peaks["sigDict"]["pos0"] < 0.1 and 0 <= first[2] < 1e-4
    bad = {"Instrument Parameters": [_inst(), {}], "Peak List": {"peaks": [[30000.0, True, 1.0, True]]}}
    with pytest.raises(ParameterError):
        _model(_inst(), bad["Peak List"]["peaks"])
