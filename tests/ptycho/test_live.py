"""Frames arriving during a run (live data): the reconstruction starts at min_frames_for_recon and
takes new frames between iterations."""
import numpy as np

from beamkit.ptycho import Ptycho, utils as u
from beamkit.ptycho.data import MoonFlowerScan


def _trickle(self, frames, start):
    """MoonFlower frames that become available 10 at a time: after each batch the next check() finds
    nothing new yet (WAIT), as a detector still writing would."""
    self._calls = getattr(self, "_calls", 0) + 1
    avail = min(10 * ((self._calls + 1) // 2), self.num_frames) - start
    return max(avail, 0), start + max(avail, 0) >= self.num_frames


def test_live_frames_join_a_running_reconstruction(tmp_path, monkeypatch):
    monkeypatch.setattr(MoonFlowerScan, "check", _trickle)
    p = u.Param(verbose_level="warning", min_frames_for_recon=10, frames_per_block=10)
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=40, shape=32)))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=30))
    P = Ptycho(p, level=2)
    assert P.blocks[0].n == 10                       # started with what was there
    P.run()
    P.finalize()
    blk = P.blocks[0]
    nf = P.scans["MF"].num_frames
    assert nf > 30 and blk.n == nf and sorted(blk.indices.tolist()) == list(range(nf))
    assert P.obj.S["SMFG00"].data.shape[-2:] == blk.obj.shape[-2:]
    errs = P.result.errors
    assert errs.shape == (30, 3) and np.all(np.isfinite(errs)) and errs[-1, 0] < errs[0, 0]


def test_all_available_frames_are_loaded_whatever_frames_per_block(tmp_path):
    """frames_per_block only sizes the blocks: a finished scan is loaded whole before iterating."""
    p = u.Param(verbose_level="warning", frames_per_block=7)
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=50, shape=32)))
    P = Ptycho(p, level=2)
    assert P.blocks[0].n == P.scans["MF"].num_frames and sorted(P.blocks[0].indices.tolist()) == list(range(P.blocks[0].n))


def test_live_frames_keep_the_padding_position_refinement_needs(tmp_path):
    p = u.Param(verbose_level="warning", frames_per_block=5)
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=40, shape=32,
                                                          block_wait_count=1)))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=6, position_refinement=u.Param(start=0)))
    P = Ptycho(p, level=2)
    pad = P.blocks[0].obj.padding
    assert pad > 0
    P.run()
    blk = P.blocks[0]
    assert blk.n > 5 and blk.obj.shape[-2] >= int(np.ptp(blk.views.corners[:, 0])) + 32 + 2 * pad - 1
