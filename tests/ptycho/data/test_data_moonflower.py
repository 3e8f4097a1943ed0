"""MoonFlowerScan / QuickScan / PtyScan chunking against ptypy's rules and the shared dataset."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.data import EOS, WAIT, MoonFlowerScan, QuickScan, make_scan
from beamkit.ptycho.data.xy import moonflower_positions
from beamkit.ptycho.utils import Param
from tests.conftest import shared_file  # noqa: F401  (helper)


@pytest.mark.parametrize("model,n,expected", [("round", 50, 50), ("round", 100, 92), ("round", 200, 161),
                                              ("round", 400, 310), ("raster", 100, 121), ("raster", 200, 225),
                                              ("spiral", 100, 96), ("spiral", 200, 177)])
def test_frame_counts_as_ptypy(model, n, expected):
    # ptypy 0.9's counts (notes §6.2)
    assert moonflower_positions(n, 1.44e-6, model)[1] == expected


def test_first_frames_match_shared_dataset():
    h5py = pytest.importorskip("h5py")
    path = shared_file("ptypy-data", "moonflower161.ptyd")
    with h5py.File(path, "r") as f:
        pos = f["chunks/0/positions"][()]
        idx = f["chunks/0/indices"][()]
        ref = f["chunks/0/data"][:20]
        meta = {k: f["meta"][k][()] for k in ("shape", "psize", "distance", "energy", "center", "num_frames")}
    np.random.seed(0)
    s = MoonFlowerScan(Param(num_frames=200, shape=128, density=0.2, photons=1e8, psf=0.0))
    s.initialize()
    c = s.auto(20)
    m = c["common"]
    assert m["num_frames"] == meta["num_frames"] == 161
    np.testing.assert_array_equal(m["shape"], meta["shape"])
    np.testing.assert_allclose(m["psize"], meta["psize"], rtol=1e-12)
    np.testing.assert_allclose(m["center"], meta["center"])
    assert m["distance"] == pytest.approx(meta["distance"]) and m["energy"] == pytest.approx(meta["energy"])
    # positions: same generator, same wavelength constant -> equal to rounding
    np.testing.assert_allclose(c["positions"], pos[np.argsort(idx)][:20], rtol=0, atol=1e-15)
    assert s.obj.shape == (513, 513)           # ptypy's simulated object size for this scan
    truth = np.load(shared_file("ptypy-data", "moonflower161_truth.npz"))
    np.testing.assert_array_equal(s.pixel, truth["corner_px"])          # whole-pixel simulation corners
    np.testing.assert_allclose(s.resolution, truth["pixel_size_m"], rtol=1e-9)
    np.testing.assert_allclose(c["positions"] / s.resolution, truth["position_px"][:20], atol=1e-6)
    # scale: same photon budget; the object differs, so totals agree only roughly (own picture)
    ratio = c["data"].sum() / ref.sum()
    assert 0.5 < ratio < 2.0, ratio
    assert c["data"].dtype == np.float32 and c["data"].shape == (20, 128, 128)


def test_chunks_iterable_and_eos():
    s = make_scan(Param(name="MoonFlowerScan", num_frames=10, shape=32, photons=1e6))
    s.initialize()
    chunks = s.auto_all(4)
    assert [len(c["iterable"]) for c in chunks] == [4, 4, 2]
    assert s.auto(4) == EOS
    it = chunks[1]["iterable"][0]
    assert it["index"] == 4 and it["data"].shape == (32, 32) and it["mask"].dtype == bool
    assert np.shares_memory(it["data"], chunks[1]["data"])
    assert np.isfinite(chunks[0]["data"]).all() and chunks[0]["data"].sum() > 0
    # Poisson data are integers; the centre of mass sits near the frame centre (N/2)
    d = chunks[0]["data"]
    assert np.all(d == np.round(d))


def test_block_wait_count_and_min_frames():
    s = MoonFlowerScan(Param(num_frames=10, shape=32, block_wait_count=1, photons=1e6))
    s.initialize()
    seq = []
    for _ in range(12):
        r = s.auto(3)
        seq.append(r if isinstance(r, str) else len(r["iterable"]))
        if r == EOS:
            break
    assert seq[:4] == [3, WAIT, 3, WAIT] and seq[-1] == EOS
    assert sum(x for x in seq if isinstance(x, int)) == 10


def test_quickscan():
    s = QuickScan(Param(num_frames=100))
    s.initialize()
    c = s.auto(200)
    assert c["common"]["num_frames"] == 92
    d = c["data"]
    assert d.shape == (92, 64, 64) and d[:, 32, 32].min() == 1e7 and d.sum() == 92 * 1e7


def test_unknown_scan_name_lists_known():
    with pytest.raises(ParameterError) as e:
        make_scan(Param(name="MoonFlowrScan"))
    assert "MoonFlowrScan" in str(e.value) and "MoonFlowerScan" in str(e.value)


def test_bad_parameters():
    with pytest.raises(ParameterError, match="rebin"):
        MoonFlowerScan(Param(rebin=64))
    with pytest.raises(ParameterError, match="distance"):
        MoonFlowerScan(Param(distance=-1.0))
    with pytest.raises(ParameterError, match="num_frames"):
        MoonFlowerScan(Param(num_frames=-5))
