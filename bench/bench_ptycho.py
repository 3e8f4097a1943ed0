"""Ptychography engines on ptypy's shared MoonFlower data (161 frames of 128²).

For DM, RAAR, ePIE, SDR and ML: seconds per iteration, final errors and object NRMSE, printed
beside ptypy 0.9.0's numbers from ptypy-data/README.md (measured on a 2-core machine of the
kind the project is developed on). ptypy itself is not on PyPI and pty-chi needs torch
(about 6 GB), so the peer measured *in this run* is a plain-numpy DM written the way ptypy's
numpy engine works (a Python loop over views for the Fourier and overlap updates); its ratio
is printed too.

    python bench/bench_ptycho.py [--iterations 200] [--engines DM ML] [--shared ../shared] [--backend cupy]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from beamkit.ptycho.models.propagation import get_backend


def reference_dm(blk, iterations=3):
    """ptypy-like DM: per-view loops (numpy FFT per view); returns seconds per iteration."""
    diff = np.fft.fftshift(blk.diff, axes=(-2, -1))          # centred frames as ptypy keeps them
    fmag = np.sqrt(diff)
    P = blk.probe.data[0].copy()
    O = np.ones(blk.obj.shape[-2:], np.complex64)
    N = P.shape[-1]
    c = blk.views.corners
    ex = np.array([P * O[y:y + N, x:x + N] for y, x in c])
    pbound = 0.25 * 0.05 ** 2 * float(diff.sum(axis=(1, 2)).max()) / N ** 2
    t0, c0 = time.perf_counter(), time.process_time()
    for it in range(iterations):
        for i, (y, x) in enumerate(c):                           # Fourier update per view
            po = P * O[y:y + N, x:x + N]
            f = np.fft.fftshift(np.fft.fft2(2 * po - ex[i], norm="ortho"))
            af = np.abs(f)
            fdev = af - fmag[i]
            err = np.mean(fdev ** 2)
            if err > pbound:
                fm = (fmag[i] + fdev * np.sqrt(pbound / err)) / (af + 1e-10)
                ex[i] += np.fft.ifft2(np.fft.ifftshift(fm * f), norm="ortho") - po
            else:
                ex[i] += 0
        for inner in range(2):                                   # overlap update per view
            num = np.zeros_like(O)
            den = np.zeros(O.shape, np.float32)
            for i, (y, x) in enumerate(c):
                num[y:y + N, x:x + N] += P.conj() * ex[i]
                den[y:y + N, x:x + N] += np.abs(P) ** 2
            O = (num + 1e-4 * O) / (den + 1e-4)
            if it >= 2:
                pn = np.zeros_like(P)
                pd = np.zeros(P.shape, np.float32)
                for i, (y, x) in enumerate(c):
                    ov = O[y:y + N, x:x + N]
                    pn += ov.conj() * ex[i]
                    pd += np.abs(ov) ** 2
                P = pn / (pd + 1e-9)
    return (time.perf_counter() - t0) / iterations, (time.process_time() - c0) / iterations


def main(argv=None):
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--engines", nargs="*", default=["DM", "RAAR", "EPIE", "SDR", "ML"])
    ap.add_argument("--shared", default=os.environ.get("BEAMKIT_SHARED", str(root.parent / "shared")))
    ap.add_argument("--backend", choices=["numpy", "cupy"], default="numpy",
                    help="array backend of the engines (cupy: the GPU, with beamkit[gpu])")
    args = ap.parse_args(argv)
    folder = Path(args.shared) / "ptypy-data"
    if not (folder / "moonflower161.ptyd").exists():
        print(f"bench_ptycho: {folder} not found (set BEAMKIT_SHARED); skipping")
        return 0
    from beamkit.ptycho import benchdata, engines

    print(f"bench_ptycho: ptypy MoonFlower 161 x 128², {args.iterations} iterations, single precision, "
          f"{os.cpu_count()} CPU cores, backend {args.backend}, FFT {get_backend(args.backend).fft_library}, load average {os.getloadavg()[0]:.1f}")
    blk, _ = benchdata.load_block(folder, "BlockFull")
    ref, ref_cpu = reference_dm(blk)
    print(f"in-run peer: plain-numpy per-view DM (ptypy-style loops): {ref:.3f} s/it wall, {ref_cpu:.3f} s/it CPU")
    head = (f"{'engine':6s} {'model':10s} {'s/it':>7s} {'median':>7s} {'ptypy':>7s} {'speed-up':>8s} {'CPU s/it':>8s} {'NRMSE':>7s} "
            f"{'ptypy':>7s}  final errors")
    print(head)
    print("-" * len(head))
    rows = []
    for name in args.engines:
        model, pars = benchdata.SETTINGS[name]
        blk, truth = benchdata.load_block(folder, model, backend=args.backend)
        e = engines.ENGINES[name]([blk], dict(numiter=args.iterations, seed=0, **pars), backend=args.backend)
        c0 = time.process_time()
        e.run()
        cpu = (time.process_time() - c0) / args.iterations
        spi = float(np.mean([i["duration"] for i in e.iter_info]))
        med = float(np.median([i["duration"] for i in e.iter_info]))
        nr, shift = benchdata.score(blk, truth)
        p_spi, p_nr = benchdata.PTYPY[name]
        err = ", ".join(f"{x:.4g}" for x in e.iter_info[-1]["error"])
        print(f"{name:6s} {model:10s} {spi:7.3f} {med:7.3f} {p_spi:7.3f} {p_spi / spi:7.1f}x {cpu:8.3f} {nr:7.4f} {p_nr:7.4f}  "
              f"({err}) shift {shift}", flush=True)
        rows.append((name, spi, nr))
        if name == "DM":
            print(f"{'':6s} {'':10s} DM vs the in-run per-view peer: {ref / spi:.1f}x (wall), {ref_cpu / cpu:.1f}x (CPU time)")
    print(f"s/it is the mean of the engine's per-iteration timer (ptypy's README uses the same); median beside it; "
          f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
