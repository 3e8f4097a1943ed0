"""GSAS-II's "Image Processing" example with beamkit: read a MAR2300 image, load controls, integrate.

The documentation's TIFF is not public, so the 2DStrain MAR2300 image and
GSAS-II's recalibrated controls from ../shared are used.  Only the import line
differs from the GSAS-II script.  Exits 0 with a message when ../shared is absent.
"""
import os
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
datadir = shared / "gsas2-data"
if not (datadir / "2DStrain").is_dir():
    print(f"skipped: {datadir} is absent")
    sys.exit(0)
PathWrap = lambda fil: os.path.join(datadir, fil)  # noqa: E731

gpx = G2sc.G2Project(newgpx="inttest.gpx")
imlst = gpx.add_image(PathWrap("2DStrain/data/nx09_strain_001.mar2300"), fmthint="MAR")
imlst[0].loadControls(PathWrap("reference/img/nx09_strain_001_recal.imctrl"))
pwdrList = imlst[0].Integrate()
gpx.save()

y = pwdrList[0].getdata("yobs")
x = pwdrList[0].getdata("x")
print(pwdrList[0].name, len(x), "points,", f"max {y.max():.1f} at 2θ = {x[y.argmax()]:.3f}°")
print("GSAS-II: 2500 points, max 10204.1 at 2θ = 3.489°")
