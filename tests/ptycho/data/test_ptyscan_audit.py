"""PtyScan audit: defaults not shared between instances, centre under orientation, positions from
load() first, checked positions and masks, centre inside the frame, docstring defaults in direct use."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from beamkit.errors import BeamkitError, ParameterError
from beamkit.ptycho import utils as u
from beamkit.ptycho.data import PtyScan, SimScan


# ---- 1. nested defaults are per instance ------------------------------------------------------------
def test_simscan_nested_user_setting_does_not_leak_into_class_default():
    before = SimScan.DEFAULT.illumination.photons
    SimScan(u.Param(shape=32, num_frames=4, illumination=u.Param(photons=1e10)))
    assert SimScan.DEFAULT.illumination.photons == before
    S = SimScan(u.Param(shape=32, num_frames=4, illumination=u.Param(photons=1e9)))
    S2 = SimScan(u.Param(shape=32, num_frames=4))
    assert S2.info.illumination.photons == before
    assert S.info.illumination is not S2.info.illumination


def test_simscan_second_instance_gets_default_photons():
    SimScan(u.Param(shape=32, num_frames=4, illumination=u.Param(photons=1e10)))
    S = SimScan(u.Param(shape=32, num_frames=4, add_poisson_noise=False))
    S.initialize()
    c = S.auto(4)
    per_frame = c["data"].sum(axis=(1, 2))
    assert per_frame.max() < 1e9            # 1e8 photons by default, not the other instance's 1e10


class RecipeScan(PtyScan):
    DEFAULT = u.Param(recipe=u.Param(scale=1.0))

    def load_positions(self):
        return np.zeros((3, 2))

    def load(self, indices):
        return {i: np.full((8, 8), self.info.recipe.scale) for i in indices}, {}, {}


def test_user_loader_nested_default_not_shared():
    user = u.Param(shape=8, recipe=u.Param(scale=5.0))
    a = RecipeScan(user)
    assert a.info.recipe.scale == 5.0
    assert RecipeScan.DEFAULT.recipe.scale == 1.0
    a.info.recipe.scale = 7.0                              # changing one instance changes nothing else
    assert user.recipe.scale == 5.0 and RecipeScan.DEFAULT.recipe.scale == 1.0
    b = RecipeScan(u.Param(shape=8))
    assert b.info.recipe.scale == 1.0
    b.initialize()
    assert b.auto(3)["data"][0, 0, 0] == 1.0


# ---- 2. a given centre moves with the orientation ---------------------------------------------------
class PeakScan(PtyScan):
    """Raw 64x80 frames with one peak at (20, 40)."""

    def load_positions(self):
        return np.zeros((2, 2))

    def load(self, indices):
        f = np.zeros((64, 80))
        f[20, 40] = 1.0
        return {i: f for i in indices}, {}, {}


@pytest.mark.parametrize("orientation", [0, 1, 2, 3, 4, 5, 6, 7, (True, False, True)])
def test_center_given_in_raw_pixels_follows_orientation(orientation):
    s = PeakScan(u.Param(shape=32, center=(20, 40), auto_center=False, orientation=orientation))
    s.initialize()
    c = s.auto(2)
    img = c["data"][0]
    assert img.sum() == 1.0
    assert tuple(np.argwhere(img == 1.0)[0]) == (16, 16)
    np.testing.assert_allclose(c["common"]["center"], [16, 16])


# ---- 3. positions from load() win over load_positions() ---------------------------------------------
class BothPositions(PtyScan):
    def load_positions(self):
        return np.zeros((4, 2))

    def load(self, indices):
        return ({i: np.ones((8, 8)) for i in indices},
                {i: np.array([i * 1e-6, -i * 1e-6]) for i in indices}, {})


def test_positions_from_load_win_over_load_positions():
    s = BothPositions(u.Param(shape=8))
    s.initialize()
    c = s.auto(4)
    np.testing.assert_allclose(c["positions"], [[i * 1e-6, -i * 1e-6] for i in range(4)])
    assert s.num_frames == 4                          # the frame count still comes from load_positions
    # positions_theory still overrides every position of the loader (ptypy's doc)
    t = BothPositions(u.Param(shape=8, positions_theory=np.full((4, 2), 3e-6)))
    np.testing.assert_allclose(t.auto(4)["positions"], 3e-6)


# ---- 4. positions of the wrong shape are refused ----------------------------------------------------
def _loader_with_positions(pos):
    class WrongPositions(PtyScan):
        def load_positions(self):
            return pos

        def load(self, indices):
            return {i: np.ones((8, 8)) for i in indices}, {}, {}
    return WrongPositions


@pytest.mark.parametrize("shape", [(2, 5), (5, 3), (10,)])
def test_load_positions_of_wrong_shape_raise(shape):
    s = _loader_with_positions(np.zeros(shape))(u.Param(shape=8))
    with pytest.raises(BeamkitError) as e:
        s.initialize()
    msg = str(e.value)
    assert "WrongPositions.load_positions" in msg and "(N, 2)" in msg and "m" in msg
    assert str(shape).replace(" ", "") in msg.replace(" ", "")


def test_positions_from_load_of_wrong_shape_raise():
    class ThreeD(PtyScan):
        def load_positions(self):
            return None

        def check(self, frames=None, start=None):
            return 2, True

        def load(self, indices):
            return {i: np.ones((8, 8)) for i in indices}, {i: np.zeros(3) for i in indices}, {}
    with pytest.raises(BeamkitError, match=r"ThreeD\.load.*\(2,\)"):
        ThreeD(u.Param(shape=8)).auto(2)


def test_positions_theory_of_wrong_shape_raise():
    with pytest.raises(ParameterError, match="positions_theory"):
        BothPositions(u.Param(shape=8, positions_theory=np.zeros((2, 4)))).initialize()


# ---- 5. a mask of another shape is cropped/padded around its centre ----------------------------------
def _masked_loader(mask):
    class MaskScan(PtyScan):
        def load_positions(self):
            return np.zeros((2, 2))

        def load_weight(self):
            return mask

        def load(self, indices):
            return {i: np.ones((16, 20)) for i in indices}, {}, {}
    return MaskScan


def test_mask_of_other_shape_is_cropped_around_its_centre(caplog):
    mask = np.ones((10, 30))
    mask[5, 15] = 0                          # the mask's centre pixel
    s = _masked_loader(mask)(u.Param(shape=(16, 20), center="fftshift"))
    s.initialize()
    with caplog.at_level(logging.WARNING, logger="beamkit.ptycho.data"):
        c = s.auto(2)
    assert any("Mask does not have the same shape as data" in r.getMessage() for r in caplog.records)
    m = c["mask"][0]
    assert m.shape == (16, 20)
    assert not m[8, 10]                      # centre on centre
    assert not m[:3].any() and not m[13:].any()          # padded rows: invalid
    assert m[3:13].sum() == 10 * 20 - 1                  # cropped columns of the mask kept


# ---- 6. a centre outside the raw frame is refused ----------------------------------------------------
@pytest.mark.parametrize("center", [(70, 10), (10, -3), (-1, 90)])
def test_center_outside_frame_raises(center):
    s = PeakScan(u.Param(shape=32, center=center, auto_center=False, label="S1"))
    with pytest.raises(ParameterError, match=r"scans\.S1\.data\.center.*") as e:
        s.auto(1)
    assert "(64, 80)" in str(e.value)
    s = PeakScan(u.Param(shape=32, center=center, auto_center=False))
    with pytest.raises(ParameterError, match=r"PeakScan.*center"):
        s.auto(1)


# ---- 7. docstring defaults of a user loader work without Ptycho -------------------------------------
class Third(SimScan):
    """A simulation with a detector gain.

    Defaults:

    [gain]
    default = 2.0
    type = float
    help = detector gain

    [extra.level]
    default = 3
    type = int
    help = a nested entry
    """

    def load(self, indices):
        raw, pos, w = super().load(indices)
        return {i: raw[i] * self.info.gain for i in raw}, pos, w


def test_docstring_defaults_in_direct_use():
    assert Third.DEFAULT.gain == 2.0 and Third.DEFAULT.extra.level == 3
    assert Third.DEFAULT.illumination.photons == SimScan.DEFAULT.illumination.photons   # inherited
    S = Third(u.Param(shape=32, num_frames=5))
    S.initialize()
    c = S.auto(5)
    assert c["data"].shape == (5, 32, 32) and S.info.gain == 2.0 and S.info.extra.level == 3
    S2 = Third(u.Param(shape=32, num_frames=5, gain=4.0))
    assert S2.info.gain == 4.0 and Third.DEFAULT.gain == 2.0


def test_docstring_defaults_with_own_default_and_plain_ptyscan():
    class Fourth(PtyScan):
        """Defaults:

        [level]
        default = 7.0
        type = float
        help = frame value
        """
        DEFAULT = u.Param(other=1)

        def load_positions(self):
            return np.zeros((2, 2))

        def load(self, indices):
            return {i: np.full((8, 8), self.info.level * self.info.other) for i in indices}, {}, {}
    s = Fourth(u.Param(shape=8))
    assert s.info.level == 7.0 and s.info.other == 1 and s.info.psize == PtyScan.DEFAULT.psize
    assert s.auto(2)["data"][0, 0, 0] == 7.0
