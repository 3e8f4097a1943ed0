"""Image demo: a simulated LaB6 image is recalibrated from a perturbed start, integrated and plotted."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import simulate as S
from .g2image import G2Image, _IMAGE_CACHE, new_image_entry
from .io_images import Frame
from .pattern import write_xye

__all__ = ["run"]


def run(outdir) -> dict:
    """Simulate, recalibrate (2 mm and 2 px off at the start), integrate; writes PNGs and an .xye."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    true = S.demo_controls()
    data = S.simulate_calibrant(true, seed=3)
    px = true["pixelSize"][0] / 1000.0
    entry = new_image_entry(Frame(data, {"pixelSize": true["pixelSize"]}, "simulated LaB6", 0, 1))
    img = G2Image(entry, "IMG simulated_LaB6")
    _IMAGE_CACHE[entry["ranId"]] = data
    start = dict(true, distance=true["distance"] + 2.0,
                 center=[true["center"][0] + 2 * px, true["center"][1] - 2 * px], tilt=1.5, rotation=20.0)
    img.setControls({k: start[k] for k in ("wavelength", "distance", "center", "tilt", "rotation", "calibrant",
                                           "calibdmin", "IOtth", "outChannels", "pixLimit", "cutoff")})
    img.setVary("*", False)
    img.setVary(["dist", "det-X", "det-Y", "tilt", "phi"], True)
    history = []
    for _ in range(6):
        res = img.Recalibrate()
        history.append((res["npts"], res["chisq"]))
    c = img.controls
    err = {"distance_mm": c["distance"] - true["distance"],
           "center_px": list((np.array(c["center"]) - true["center"]) / px),
           "tilt_deg": c["tilt"] - true["tilt"]}
    pats = img.Integrate()
    xye = write_xye(out / "simulated_LaB6.xye", pats[0].x, pats[0].y, "simulated LaB6")
    png = img.plot(out / "simulated_LaB6_rings.png")
    cake = img.plot(out / "simulated_LaB6_cake.png", what="cake", npt_rad=600, npt_azim=180)
    img.clearImageCache()
    return {"true": {k: true[k] for k in ("distance", "center", "tilt", "rotation")},
            "refined": {k: c[k] for k in ("distance", "center", "tilt", "rotation")},
            "errors": err, "ring_points_and_chisq": history, "files": [png, cake, xye],
            "seconds": round(time.perf_counter() - t0, 2)}
