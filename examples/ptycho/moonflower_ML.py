"""Maximum likelihood (Gaussian noise model, smoothness prior) on a simulated MoonFlower scan.

As ptypy's ML template with smaller sizes; only the imports are beamkit's.
"""
from beamkit.ptycho import Ptycho
from beamkit.ptycho import utils as u

p = u.Param()
p.verbose_level = "info"
p.io = u.Param(home="./ptycho-out/", autosave=u.Param(active=False), autoplot=u.Param(active=False),
               interaction=u.Param(active=False))
p.scans = u.Param()
p.scans.MF = u.Param(name="BlockFull")
p.scans.MF.data = u.Param(name="MoonFlowerScan", shape=64, num_frames=100, save=None)

p.engines = u.Param()
p.engines.engine00 = u.Param(name="ML", numiter=60, ML_type="Gaussian", reg_del2=True, reg_del2_amplitude=1.0,
                             scale_precond=True, smooth_gradient=10.0, smooth_gradient_decay=0.05,
                             floating_intensities=False)

P = Ptycho(p, level=5)
P.finalize()
print("log-likelihood per pixel at the end:", P.runtime["iter_info"][-1]["error"][1])
