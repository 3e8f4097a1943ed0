"""GSAS-II's "Optimized Image Integration" example with beamkit (only the import line changed).

The three 2DStrain MAR2300 images from ../shared are copied into ./incoming with
a .metadata companion each, as a beamline would write them; the loop then
integrates them with cached maps and pixel masks, exports .xye files and moves
each processed image away.  Unlike the original it stops when ./incoming is empty.
Exits 0 with a message when ../shared is absent.
"""
import glob
import os
import shutil
import sys
import time
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
src = shared / "gsas2-data"
if not (src / "2DStrain").is_dir():
    print(f"skipped: {src} is absent")
    sys.exit(0)
dataLoc = os.path.abspath("incoming")
os.makedirs(dataLoc, exist_ok=True)
for f in sorted((src / "2DStrain/data").glob("*.mar2300")):
    shutil.copy(f, dataLoc)
    Path(dataLoc, f.name + ".metadata").write_text("[metadata]\n")

G2sc.blkSize = 2**8  # computer-dependent tuning parameter (accepted, unused)
G2sc.SetPrintLevel("warn")  # reduces output

cache = {}  # place to save intermediate computations
PathWrap = lambda fil: os.path.join(dataLoc, fil)  # noqa: E731
imgctrl = str(src / "reference/img/nx09_strain_001_recal.imctrl")
globPattern = PathWrap("nx09_strain_*.mar2300")


def wait_for_metadata(tifname):
    """Wait for the metadata file that says the image is complete."""
    while not os.path.exists(tifname + ".metadata"):
        time.sleep(0.05)


pathImg = os.path.join(dataLoc, "img")
if not os.path.exists(pathImg):
    os.mkdir(pathImg)
pathxye = os.path.join(dataLoc, "xye")
if not os.path.exists(pathxye):
    os.mkdir(pathxye)

while True:
    tiflist = sorted(glob.glob(globPattern), key=lambda x: os.path.getctime(x))
    if not tiflist:
        break  # the original waits for new files forever
    gpx = G2sc.G2Project(newgpx=PathWrap("integration.gpx"))  # temporary use
    for tifname in tiflist:
        starttime = time.time()
        wait_for_metadata(tifname)
        for img in gpx.add_image(tifname, fmthint="MAR", cacheImage=True):
            if not cache:  # load & compute controls & 2theta values once
                img.loadControls(imgctrl)
                cache["Image Controls"] = img.getControls()
                cache["Masks"] = img.getMasks()
                cache["intMaskMap"] = img.IntMaskMap()
                cache["intTAmap"] = img.IntThetaAzMap()
                cache["FrameMask"] = img.MaskFrameMask()
                cache["maskTmap"] = img.MaskThetaMap()
            else:
                img.setControls(cache["Image Controls"])
                img.setMasks(cache["Masks"], True)
            img.GeneratePixelMask(esdMul=3, ThetaMap=cache["maskTmap"], FrameMask=cache["FrameMask"])
            for pwdr in img.Integrate(MaskMap=cache["intMaskMap"], ThetaAzimMap=cache["intTAmap"]):
                pwdr.Export(os.path.join(pathxye, os.path.split(tifname)[1]), ".xye")
            img.clearImageCache()
            img.clearPixelMask()
        shutil.move(tifname, pathImg)
        shutil.move(tifname + ".metadata", pathImg)
        print("*=== processing complete, time=", round(time.time() - starttime, 3), "sec")
    del gpx
print("xye files:", sorted(os.listdir(pathxye)))
