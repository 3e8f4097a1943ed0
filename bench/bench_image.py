"""Benchmark: batch integration of 2300² MAR images with cached maps, against a bare pyFAI loop.

Both loops read each file with fabio and integrate it to 2500 2θ channels with
pyFAI's CSR engine on one process; beamkit adds GSAS-II's corrections (its own
flat-field array), threshold masking and the .xye writer.  A third loop runs
GSAS-II's "Optimized Image Integration" recipe (pixel mask + Integrate) through
G2Image.  GSAS-II needs about 2 s per image for Integrate alone (notes §13.7).
Uses ../shared/gsas2-data/2DStrain when present, else simulated 2048² images.
Run: .venv/bin/python bench/bench_image.py [--n 12]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from beamkit.image import G2Image, batch, controls as C, geometry, io_images as io, simulate as S

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEAMKIT_SHARED", ROOT.parent / "shared"))


def inputs(n, tmp):
    d = SHARED / "gsas2-data"
    mars = sorted((d / "2DStrain" / "data").glob("*.mar2300"))
    ctrl = d / "reference" / "img" / "nx09_strain_001_recal.imctrl"
    if mars and ctrl.exists():
        return [str(mars[i % len(mars)]) for i in range(n)], str(ctrl), "MAR2300 2300x2300 (shared)"
    import fabio.tifimage
    c = S.demo_controls(size=[2048, 2048], pixelSize=[100.0, 100.0], center=[102.4, 102.4], distance=500.0)
    data = S.simulate_calibrant(c, noise=False).astype(np.float32)
    files = []
    for i in range(n):
        p = Path(tmp) / f"sim_{i:03d}.tif"
        fabio.tifimage.TifImage(data=data).write(str(p))
        files.append(str(p))
    cp = Path(tmp) / "sim.imctrl"
    C.write_imctrl(cp, c)
    return files, str(cp), "simulated 2048x2048 TIFF"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=12)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        files, ctrl_path, what = inputs(a.n, tmp)
        c = C.apply_controls(C.default_controls(), C.read_imctrl(ctrl_path))
        first = io.read_images(files[0])[0]
        c["pixelSize"] = first.meta.get("pixelSize", c["pixelSize"])
        c["size"] = [first.data.shape[1], first.data.shape[0]]
        nch = int(c["outChannels"])
        lo, hi = c["IOtth"]

        # bare pyFAI: read, integrate1d (CSR, polarization, solid angle), keep the result
        ai = geometry.make_integrator(c, first.data.shape)
        ai.integrate1d(first.data, nch, unit="2th_deg", radial_range=(lo, hi), method=("no", "csr", "cython"),
                       polarization_factor=2 * c["PolaVal"][0] - 1)
        t0 = time.perf_counter()
        for f in files:
            img = io.read_images(f)[0].data
            ai.integrate1d(img, nch, unit="2th_deg", radial_range=(lo, hi), method=("no", "csr", "cython"),
                           polarization_factor=2 * c["PolaVal"][0] - 1)
        t_pyfai = (time.perf_counter() - t0) / len(files)

        # beamkit batch path, one process, maps cached after the first file
        out = Path(tmp) / "xye"
        batch.integrate_files(files[:1], c, outdir=out, processes=1, show_progress=False)
        t0 = time.perf_counter()
        recs = batch.integrate_files(files, c, outdir=out, processes=1, show_progress=False)
        t_batch = (time.perf_counter() - t0) / len(files)
        assert not any(r["error"] for r in recs)

        # all cores
        ncpu = os.cpu_count() or 1
        t0 = time.perf_counter()
        batch.integrate_files(files, c, outdir=out, processes=ncpu, show_progress=False)
        t_pool = (time.perf_counter() - t0) / len(files)

        # GSAS-II's optimized recipe through G2Image (pixel mask + Integrate), cached maps
        cache, t_g2 = {}, []
        for f in files[: max(3, a.n // 3)]:
            t0 = time.perf_counter()
            img = G2Image.from_file(f)
            if not cache:
                img.loadControls(ctrl_path)
                cache = {"c": img.getControls(), "m": img.getMasks(), "mm": img.IntMaskMap(),
                         "ta": img.IntThetaAzMap(), "fm": img.MaskFrameMask(), "tt": img.MaskThetaMap()}
                t0 = time.perf_counter()
            else:
                img.setControls(cache["c"])
                img.setMasks(cache["m"], True)
            img.GeneratePixelMask(esdMul=3, ThetaMap=cache["tt"], FrameMask=cache["fm"])
            img.Integrate(MaskMap=cache["mm"], ThetaAzimMap=cache["ta"])
            img.clearImageCache()
            t_g2.append(time.perf_counter() - t0)
        t_g2 = float(np.mean(t_g2[1:]))

    print(f"images: {len(files)} x {what}, {nch} channels, {ncpu} CPUs")
    print(f"bare pyFAI loop (read + integrate1d csr):      {t_pyfai:.3f} s/image  {1 / t_pyfai:6.2f} img/s")
    print(f"beamkit batch, 1 process (read+GSAS-II corr+xye): {t_batch:.3f} s/image  {1 / t_batch:6.2f} img/s")
    print(f"beamkit batch, {ncpu} processes:                  {t_pool:.3f} s/image  {1 / t_pool:6.2f} img/s")
    print(f"G2Image optimized loop (pixel mask + Integrate): {t_g2:.3f} s/image  (GSAS-II: ~2 s Integrate alone)")
    print(f"ratio beamkit batch / bare pyFAI (1 process): {t_batch / t_pyfai:.2f}x time")


if __name__ == "__main__":
    main()
