"""Difference map on a simulated MoonFlower scan, written like a ptypy script.

Only the import lines differ from ptypy (``from ptypy.core import Ptycho`` ->
``from beamkit.ptycho import Ptycho``). Results go to ./ptycho-out/.
"""
from beamkit.ptycho import Ptycho
from beamkit.ptycho import utils as u

p = u.Param()
p.verbose_level = "info"
p.io = u.Param()
p.io.home = "./ptycho-out/"
p.io.autosave = u.Param(active=False)
p.io.autoplot = u.Param(active=False)
p.io.interaction = u.Param(active=False)

p.scans = u.Param()
p.scans.MF = u.Param()
p.scans.MF.name = "BlockFull"
p.scans.MF.data = u.Param()
p.scans.MF.data.name = "MoonFlowerScan"
p.scans.MF.data.shape = 64
p.scans.MF.data.num_frames = 100
p.scans.MF.data.save = None

p.engines = u.Param()
p.engines.engine00 = u.Param()
p.engines.engine00.name = "DM"
p.engines.engine00.numiter = 60
p.engines.engine00.numiter_contiguous = 5

P = Ptycho(p, level=5)
P.finalize()
obj = P.obj.S["SMFG00"].data
print("object", obj.shape, "errors of the last iteration:", P.runtime["iter_info"][-1]["error"])
print("written:", P.paths.recon_file(P.runtime))
