"""GSAS-II's "Multicore Image Integration" example with beamkit (only the import line changed).

Each worker of a multiprocessing pool fills its own cache on its first image.
Uses copies of the 2DStrain MAR2300 images from ../shared (in ./dataserv) and
2 worker processes by default (first argument: number of cores, 0 = no pool).
Exits 0 with a message when ../shared is absent.
"""
import glob
import os
import shutil
import sys
import time
from pathlib import Path

scriptstart = time.time()
nodes = int(sys.argv[1]) if len(sys.argv) >= 2 else 2
print("no multiprocessing" if nodes == 0 else f"multiprocessing with {nodes} cores")

import beamkit.powder as G2sc  # noqa: E402

G2sc.blkSize = 2**8

cache = {}
shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
src = shared / "gsas2-data"
dataLoc = os.path.abspath("dataserv")
globPattern = os.path.join(dataLoc, "*.mar2300")
imgctrl = str(src / "reference/img/nx09_strain_001_recal.imctrl")
pathImg = os.path.join(dataLoc, "img")
pathxye = os.path.join(dataLoc, "xye")


def integrate_tif(tifname):
    starttime = time.time()
    gpx = G2sc.G2Project(newgpx="integration.gpx")  # temporary use, not written
    for img in gpx.add_image(tifname, fmthint="MAR", cacheImage=True):
        img.setControl("pixelSize", [150, 150])
        if not cache:
            print("Initializing cache for", tifname)
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
    print(f"*=== image processed, time={time.time() - starttime:.3f} sec")
    del gpx


if __name__ == "__main__":
    if not (src / "2DStrain").is_dir():
        print(f"skipped: {src} is absent")
        sys.exit(0)
    os.makedirs(pathImg, exist_ok=True)
    os.makedirs(pathxye, exist_ok=True)
    for f in sorted((src / "2DStrain/data").glob("*.mar2300")):
        shutil.copy(f, dataLoc)
    if nodes > 0:
        import multiprocessing as mp
        mpPool = mp.Pool(nodes)
    tiflist = sorted(glob.glob(globPattern))
    if nodes == 0:
        for tifname in tiflist:
            integrate_tif(tifname)
    else:
        mpPool.map(integrate_tif, tiflist)
        mpPool.close()
        mpPool.join()
    for tifname in tiflist:
        shutil.move(tifname, pathImg)
    print("xye files:", sorted(os.listdir(pathxye)))
    print(f"total time {time.time() - scriptstart:.1f} s")
