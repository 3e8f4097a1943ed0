"""Several engines in one run (DM, then RAAR, then ML) with two probe modes, autosave and live plots.

The plots and autosaved .ptyr dumps land under ./ptycho-out/ (paths are joined properly,
so ``home`` works with or without a trailing slash).
"""
from beamkit.ptycho import Ptycho
from beamkit.ptycho import utils as u

p = u.Param()
p.verbose_level = "info"
p.io = u.Param(home="./ptycho-out", autosave=u.Param(active=True, interval=20),
               autoplot=u.Param(active=True, interval=20, dump=True), interaction=u.Param(active=False), benchmark="all")
p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", shape=64, num_frames=50)))
p.scans.MF.coherence = u.Param(num_probe_modes=2)
p.engines = u.Param()
p.engines.DM = u.Param(name="DM", numiter=40, alpha=1.0)
p.engines.RAAR = u.Param(name="RAAR", numiter=20, beta=0.9)
p.engines.ML = u.Param(name="ML", numiter=20, reg_del2=True)

P = Ptycho(p, level=5)
P.finalize()
print("probe modes:", P.probe.S["SMFG00"].data.shape, "benchmark:", P.benchmark)
print("autosaved:", len(P.autosave.files), "files; plots:", P.autoplot.files)
