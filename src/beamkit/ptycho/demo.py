"""``beamkit demo`` part: a small MoonFlower simulation reconstructed with DM then ML.

Writes ``moonflower.png`` (object, probe, error curves), the final ``.ptyr`` and returns a
summary with the object NRMSE against the simulated truth (metric of :mod:`.metrics`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import metrics
from .plot import plot_ptycho
from .utils import Param

__all__ = ["run"]


def _truth_nrmse(P):
    """NRMSE of the reconstruction against MoonFlowerScan's own simulated object."""
    scan = P.scans["MF"]
    blk = P.blocks[0]
    N = blk.shape[-1]
    T, _ = metrics.paint_truth(scan.obj, scan.pixel[blk.indices], blk.views.corners, (N, N), blk.obj.shape[-2:])
    w = metrics.fluence(blk.probe.data, blk.views.corners, blk.obj.shape[-2:])
    return metrics.nrmse(blk.obj.data[0], T, w, max_shift=8)


def run(outdir) -> dict:
    from .ptycho import Ptycho
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(0)
    p = Param()
    p.verbose_level = "warning"
    p.run = "moonflower"
    p.io = Param(home=str(out), autosave=Param(active=False), autoplot=Param(active=False),
                 interaction=Param(active=False), benchmark="all",
                 rfile="%(run)s_%(engine)s_%(iterations)04d.ptyr")
    p.scans = Param(MF=Param(name="BlockFull", data=Param(name="MoonFlowerScan", num_frames=100, shape=64,
                                                          density=0.2, photons=1e8)))
    p.engines = Param(DM=Param(name="DM", numiter=60), ML=Param(name="ML", numiter=20, reg_del2=True,
                                                               scale_precond=True))
    P = Ptycho(p, level=5)
    P.finalize()
    png = plot_ptycho(P, str(out / "moonflower.png"))
    nr, shift = _truth_nrmse(P)
    err = P.result.errors
    return dict(png=png, ptyr=P.paths.recon_file(P.runtime), frames=int(P.blocks[0].n),
                object_shape=list(P.obj.S["SMFG00"].shape), nrmse=round(float(nr), 4), best_shift=list(shift),
                first_errors=err[0].tolist(), last_errors=err[-1].tolist(),
                seconds_per_iteration=round(P.benchmark["engine_iterate"] / len(err), 4))
