"""ePIE with position refinement, then load the saved reconstruction back with Ptycho.load_run."""
import numpy as np

from beamkit.ptycho import Ptycho
from beamkit.ptycho import utils as u

p = u.Param()
p.verbose_level = "warning"
p.io = u.Param(home="./ptycho-out/", autosave=u.Param(active=False), autoplot=u.Param(active=False),
               interaction=u.Param(active=False))
p.scans = u.Param(MF=u.Param(name="GradFull", data=u.Param(name="MoonFlowerScan", shape=64, num_frames=50)))
p.engines = u.Param(engine00=u.Param(name="EPIE", numiter=30, alpha=1.0, beta=1.0, probe_update_start=2,
                                     object_norm_is_global=True,
                                     position_refinement=u.Param(start=10, stop=25, amplitude=2e-7,
                                                                 max_shift=3e-7, record=True)))
P = Ptycho(p, level=5)
P.finalize()
f = P.paths.recon_file(P.runtime)
Q = Ptycho.load_run(f, load_data=False)
same = np.array_equal(Q.obj.S["SMFG00"].data, P.obj.S["SMFG00"].data)
print("reloaded", f, "object identical:", same, "refined positions:", Q.runtime["positions"]["SMFG00"].shape)
assert same
