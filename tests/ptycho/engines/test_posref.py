import numpy as np
import pytest

from beamkit.ptycho.engines import DM
from beamkit.ptycho.models import make_model

LAM = 1.2398419843320026e-9 / 7.2


def _setup(sim):
    N = sim["data"].shape[-1]
    opsize = LAM * 7.19 / (N * 172e-6)
    pos = sim["positions"]
    bad = pos + np.random.default_rng(3).integers(-2, 3, pos.shape) * opsize
    blk = make_model("Full", {"illumination": {"model": sim["probe"]}}).build(sim["data"], bad, sim["meta"], pad_px=4)
    c_true = np.round(blk.obj.pixel_of(pos)).astype(int) - N // 2
    off = c_true[0] - sim["corners"][0]
    T = np.ones(blk.obj.shape[-2:], np.complex64)
    L = sim["object"].shape[0]
    T[off[0]:off[0] + L, off[1]:off[1] + L] = sim["object"][:T.shape[0] - off[0], :T.shape[1] - off[1]]
    blk.obj.data[0] = T
    return blk, c_true, opsize


@pytest.mark.parametrize("method,expect", [("GridSearch", 3), ("Annealing", 45)])
def test_position_refinement_moves_views_towards_truth(sim, method, expect):
    blk, c_true, ps = _setup(sim)
    e = DM([blk], dict(numiter=1, position_refinement=dict(start=0, stop=1, amplitude=3 * ps, max_shift=4 * ps,
                                                          method=method, nshifts=16, amplitude_decay=False, seed=0)))
    e.initialize()
    e.prepare()
    before = np.abs(blk.views.corners - c_true).sum()
    e.posref.update(e, e.states[0], 0)
    after = np.abs(blk.views.corners - c_true).sum()
    assert before > 60
    assert after <= expect


def test_position_refinement_off_unless_given_and_amplitude_check(sim):
    blk, _, ps = _setup(sim)
    assert DM([blk], dict(numiter=1)).run() and True
    e = DM([blk], dict(numiter=1, position_refinement=dict(amplitude=0.1 * ps)))
    e.initialize()
    assert e.posref is None                       # amplitude below one pixel: switched off (logged)
    e = DM([blk], dict(numiter=1, position_refinement=True))
    e.initialize()
    assert e.posref is not None and e.posref.start == 0 and e.posref.stop == 1
