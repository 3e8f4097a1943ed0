import numpy as np
import pytest

from beamkit.ptycho.engines import DM

from posref_setup import setup_block  # noqa: E402


def _setup(sim):
    return setup_block(sim, pad=4)


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
    e = DM([blk], dict(numiter=1, position_refinement=dict(start=0, amplitude=0.1 * ps)))
    e.initialize()
    assert e.posref is None                       # amplitude below one pixel: switched off (logged)
    e = DM([blk], dict(numiter=1, position_refinement=dict(amplitude=3 * ps)))
    e.initialize()
    assert e.posref is None                       # no start or stop: off, as in ptypy (logged)
    e = DM([blk], dict(numiter=1, position_refinement=True))
    e.initialize()
    assert e.posref is not None and e.posref.start == 0 and e.posref.stop == 1


@pytest.mark.parametrize("method,amp,ms", [("Annealing", 2.0, 2.5), ("GridSearch", 3.0, 1.5)])
def test_max_shift_bounds_one_step_not_the_drift_and_zero_means_zero(sim, method, amp, ms):
    # ptypy: max_shift bounds each trial shift from the view's coordinate at the start of the step
    # (GridSearch builds its grid around the current coordinate); over several steps a view may
    # drift further than max_shift
    blk, c_true, ps = _setup(sim)
    c0 = blk.views.corners.copy()
    e = DM([blk], dict(numiter=1, position_refinement=dict(start=0, amplitude=amp * ps, max_shift=ms * ps, method=method,
                                                          nshifts=8, amplitude_decay=False, seed=0)))
    e.initialize()
    e.prepare()
    for it in range(6):
        before = blk.views.coords.copy()
        e.posref.update(e, e.states[0], it)
        step = np.hypot(*(blk.views.coords - before).T)
        assert step.max() <= ms * ps * (1 + 1e-9)             # each step within max_shift
    d = np.hypot(*((blk.views.corners - c0) * ps).T)
    assert d.max() > ms * ps                                  # the drift is not bounded
    assert np.abs(blk.views.corners - c_true).sum() < np.abs(c0 - c_true).sum() / 2
    blk2, _, _ = _setup(sim)
    e2 = DM([blk2], dict(numiter=1, position_refinement=dict(start=0, amplitude=3 * ps, max_shift=0.0, method=method,
                                                            seed=0)))
    e2.initialize()
    e2.prepare()
    assert e2.posref.max_shift == 0.0
    c2 = blk2.views.corners.copy()
    e2.posref.update(e2, e2.states[0], 0)
    assert (blk2.views.corners == c2).all()


def test_the_object_is_padded_only_when_an_engine_refines_positions(tmp_path):
    from beamkit.ptycho import Ptycho, utils as u
    def pars(**pr):
        p = u.Param(verbose_level="warning")
        p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                       interaction=u.Param(active=False))
        p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=30, shape=32)))
        p.engines = u.Param(e0=u.Param(name="DM", numiter=1, **pr))
        return p
    plain = Ptycho(pars(), level=4).blocks[0].obj.shape[-2:]
    assert Ptycho(pars(position_refinement=False), level=4).blocks[0].obj.shape[-2:] == plain
    ps = Ptycho(pars(), level=2).blocks[0].obj.psize
    padded = Ptycho(pars(position_refinement=u.Param(start=0, max_shift=5 * float(np.min(ps)))),
                    level=4).blocks[0].obj.shape[-2:]
    # ptypy's rule: a sub-tree without start or stop leaves refinement off (and pads nothing)
    assert Ptycho(pars(position_refinement=u.Param(max_shift=5 * float(np.min(ps)))), level=4).blocks[0].obj.shape[-2:] == plain
    assert tuple(np.subtract(padded, plain)) == (10, 10)
    # ptypy: a search amplitude below the object pixel switches refinement off, and nothing is padded
    small = u.Param(start=0, max_shift=5 * float(np.min(ps)), amplitude=0.5 * float(np.min(ps)))
    assert Ptycho(pars(position_refinement=small), level=4).blocks[0].obj.shape[-2:] == plain
