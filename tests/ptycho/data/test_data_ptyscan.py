"""PtyScan as a base class for users' loaders: hooks, geometry processing, live data."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.data import EOS, WAIT, PtyScan
from beamkit.ptycho.data.ptyscan import orient
from beamkit.ptycho.utils import Param

H, W = 40, 48


class MyLoader(PtyScan):
    """A raw 40x48 detector with a peak at (22, 30), a dead column and 10 positions."""

    def __init__(self, pars=None, **kw):
        super().__init__(pars, **kw)
        self.loaded = []

    def load_common(self):
        return dict(dark=np.full((H, W), 1.0))

    def load_positions(self):
        return np.stack([np.arange(10) * 1e-7, np.zeros(10)], 1)

    def load_weight(self):
        w = np.ones((H, W))
        w[:, 5] = 0
        return w

    def load(self, indices):
        self.loaded.append(list(indices))
        raw = {}
        for i in indices:
            f = np.full((H, W), 1.0)
            f[22, 30] = 100.0 + i
            raw[i] = f
        return raw, {}, {}

    def correct(self, raw, weights, common):
        return raw - common["dark"], weights


def test_user_loader_hooks_center_crop_rebin():
    s = MyLoader(Param(shape=16, center=(22, 30), rebin=2, psize=75e-6, distance=1.5, energy=9.0))
    s.initialize()
    c = s.auto(4)
    m = c["common"]
    assert c["data"].shape == (4, 8, 8) and m["shape"].tolist() == [8, 8]
    np.testing.assert_allclose(m["psize"], 150e-6)
    np.testing.assert_allclose(m["center"], [4, 4])              # the peak, in the binned frame
    assert c["data"][0].sum() == pytest.approx(99.0)            # dark removed, counts summed by rebinning
    assert c["data"][0][4, 4] == pytest.approx(99.0)
    assert s.loaded == [[0, 1, 2, 3]]
    np.testing.assert_allclose(c["positions"][:, 0], np.arange(4) * 1e-7)
    assert m["lam"] == pytest.approx(1.23984193e-9 / 9.0)


def test_auto_center_and_mask_from_weight():
    s = MyLoader(Param(shape=16, center=None, auto_center=None, psize=75e-6))
    s.initialize()
    c = s.auto(10)
    np.testing.assert_allclose(c["common"]["center"], [8, 8], atol=0.01)
    assert c["data"][0][8, 8] == pytest.approx(99.0)
    # the dead column 5 lies outside the 16-px window around column 30; with a wider window it shows
    s2 = MyLoader(Param(shape=(40, 48), center="fftshift", psize=75e-6))
    s2.initialize()
    c2 = s2.auto(2)
    assert not c2["mask"][:, :, 5].any() and c2["mask"][:, :, 6].all()
    assert c2["common"]["weight2d"][:, 5].sum() == 0


@pytest.mark.parametrize("code,flags", [(1, (False, False, True)), (2, (False, True, False)),
                                        (4, (True, False, False)), (7, (True, True, True))])
def test_orientation_codes(code, flags):
    a = np.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(orient(a, code), orient(a, flags))
    b = a
    if flags[0]:
        b = np.swapaxes(b, -1, -2)
    if flags[1]:
        b = b[..., ::-1, :]
    if flags[2]:
        b = b[..., ::-1]
    np.testing.assert_array_equal(orient(a, code), b)


def test_orientation_moves_the_peak():
    s = MyLoader(Param(shape=(48, 40), center="fftshift", orientation=4, psize=(75e-6, 50e-6)))
    s.initialize()
    c = s.auto(1)
    assert np.unravel_index(np.argmax(c["data"][0]), (48, 40)) == (30, 22)
    np.testing.assert_allclose(c["common"]["psize"], [50e-6, 75e-6])


class Live(PtyScan):
    """Frames arrive over time: ``arrived`` grows; the end is flagged by ``done``."""
    arrived = 0
    done = False

    def check(self, frames=None, start=None):
        return min(self.arrived - start, frames), self.done and start + frames >= self.arrived

    def load_batch(self, indices):
        n = len(indices)
        return np.ones((n, 8, 8)), np.zeros((n, 2)), None


def test_live_data_min_frames_wait_and_eos():
    s = Live(Param(shape=8, min_frames=3, num_frames=None))
    s.initialize()
    assert s.meta["num_frames"] is None
    assert s.auto(10) == WAIT
    s.arrived = 2
    assert s.auto(10) == WAIT                 # fewer than min_frames
    s.arrived = 5
    assert len(s.auto(10)["iterable"]) == 5
    s.arrived, s.done = 6, True
    assert len(s.auto(10)["iterable"]) == 1   # the last frames go out below min_frames at the end
    assert s.auto(10) == EOS


def test_positions_theory_and_num_frames_cut():
    pt = np.stack([np.arange(6.0), np.arange(6.0)], 1) * 1e-7
    s = MyLoader(Param(shape=8, positions_theory=pt, num_frames=4, psize=75e-6))
    s.initialize()
    c = s.auto(100)
    assert len(c["iterable"]) == 4 and np.allclose(c["positions"], pt[:4])


def test_errors():
    with pytest.raises(ParameterError, match="orientation"):
        PtyScan(Param(orientation=9))
    s = PtyScan(Param(shape=8))
    with pytest.raises(ParameterError, match="num_frames"):
        s.auto(1)

    class Bad(MyLoader):
        def load_batch(self, indices):
            return np.ones((len(indices) + 1, 8, 8)), None, None
    b = Bad(Param(shape=8, psize=75e-6))
    with pytest.raises(ParameterError, match="load"):
        b.auto(2)
    with pytest.raises(ParameterError, match="rebin"):
        MyLoader(Param(shape=9, rebin=2, psize=75e-6)).auto(1)


def test_user_loader_declared_with_parse_doc():
    from beamkit.ptycho import params
    from beamkit.ptycho.data import make_scan
    tree = params._build()          # a private copy of TREE, so the global tree stays as ptypy's

    @tree.parse_doc("scandata.StripeScan")
    class StripeScan(PtyScan):
        """Frames with one bright row.

        Defaults:

        [name]
        default = 'StripeScan'
        type = str
        help = this loader

        [row]
        default = 3
        type = int
        lowlim = 0
        help = the bright row (px)
        """

        def load_positions(self):
            return np.zeros((5, 2))

        def load(self, indices):
            f = np.zeros((8, 8))
            f[self.info.row] = 1
            return {i: f for i in indices}, {}, {}

    assert tree["scandata.StripeScan.psize"].default == 172e-6      # inherited PtyScan declarations
    assert StripeScan.DEFAULT.row == 3 and StripeScan.DEFAULT.shape == 256
    p = Param(scans=Param(s=Param(name="Full", data=Param(name="StripeScan", shape=8, row=5))))
    tree.validate(p, root="ptycho")
    with pytest.raises(ParameterError, match="row"):
        tree.validate(Param(scans=Param(s=Param(name="Full", data=Param(name="StripeScan", row=-1)))),
                      root="ptycho")
    s = make_scan(p.scans.s.data)
    s.initialize()
    c = s.auto(10)
    assert isinstance(s, StripeScan) and c["data"].shape == (5, 8, 8) and c["data"][0, 5].sum() == 8


def test_base_class_without_loader_and_shape_none():
    s = PtyScan(Param(positions_theory=np.zeros((2, 2))))
    with pytest.raises(ParameterError, match="MoonFlowerScan"):
        s.auto(2)
    s = MyLoader(Param(shape=None, psize=75e-6))
    s.initialize()
    c = s.auto(3)
    assert c["data"].shape == (3, H, W) and c["common"]["shape"].tolist() == [H, W]
    np.testing.assert_allclose(c["common"]["resolution"], c["common"]["lam"] * 7.19 / (np.array([H, W]) * 75e-6))
