"""Object quality on ptypy's own MoonFlower data (../shared/ptypy-data), 200 iterations each.

ptypy's NRMSE values are the README's; ours must be at least as good. DM and ML run by
default (about 35 s together); RAAR, ePIE and SDR with BEAMKIT_PTYCHO_ALL=1 (bench/bench_ptycho.py
runs all five and prints them).
"""
import os

import numpy as np
import pytest

from beamkit.ptycho import benchdata, engines

from shared_data import shared_file

ALL = os.environ.get("BEAMKIT_PTYCHO_ALL") == "1"
# Allowed excess over ptypy's NRMSE: none for DM/RAAR/SDR/ML (ours: 0.150, 0.163, 0.285, 0.1791 against
# 0.176, 0.210, 0.288, 0.1797; ML's value moved within 0.1786-0.1795 under changes of float32 rounding
# while it was tuned; it is the same for 1-16 threads; SDR without a probe support, as ptypy, gives
# 0.2849, 0.2866, 0.2845 for seeds 0-2). ePIE keeps 1 %: with ptypy's update rules (no probe support,
# global object norm re-read after each view) its final object still depends on the random view
# order: seeds 0-7 give 0.1898, 0.1938, 0.1998, 0.1809, 0.1891, 0.1953, 0.1874, 0.1946 (mean 0.191)
# against ptypy's 0.189 (README) and 0.185/0.187 in ptypy's own repeat runs; seed 0 (the default) is used.
TOLERANCE = {"DM": 1.0, "RAAR": 1.0, "SDR": 1.0, "ML": 1.0, "EPIE": 1.01}
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
    if name == "EPIE":        # ptypy: first Fourier 1.07e3; Exit against GradFull's shared buffer 1.04e3 -> 1487/1631
        np.testing.assert_allclose(first[0], 1.07e3, rtol=0.01)
        assert 0.5 * 1487 < last[2] < 2 * 1631, last
    if name == "SDR":         # ptypy: first Fourier 564 and Exit 227 (the Photons error depends on the order)
        np.testing.assert_allclose(first[[0, 2]], [564, 227], rtol=0.02)
    nr, shift = benchdata.score(blk, truth)
    assert nr <= benchdata.PTYPY[name][1] * TOLERANCE[name], (nr, shift, last)
    assert np.all(np.isfinite(last))
