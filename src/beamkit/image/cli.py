"""``beamkit image ...``: integrate many image files, watch a folder, recalibrate from a start file."""
from __future__ import annotations

import argparse
import sys

from ..core.log import set_print_level

__all__ = ["main"]


def _integrate(args) -> int:
    from .batch import integrate_files, watch
    from .params import batch_settings
    st = batch_settings(args.config, integrate__processes=args.processes, integrate__scheduler=args.scheduler,
                        integrate__pixel_mask=args.pixel_mask, integrate__engine=args.engine,
                        integrate__fmthint=args.fmthint, watch__poll=args.poll, watch__stable=args.stable,
                        watch__max_files=args.max_files, watch__timeout=args.timeout)
    i, w = st.integrate, st.watch
    opts = dict(processes=i.processes, scheduler=i.scheduler, esd_mul=i.pixel_mask, engine=i.engine,
                fmthint=i.fmthint)
    if args.watch:
        recs = watch(args.watch, args.controls, args.masks, args.out, poll=w.poll, stable_s=w.stable,
                     max_files=w.max_files, timeout=w.timeout, **opts)
    else:
        if not args.files:
            print("beamkit image integrate: give FILES or --watch PATTERN", file=sys.stderr)
            return 2
        recs = integrate_files(args.files, args.controls, args.masks, args.out, **opts)
    bad = [r for r in recs if r["error"]]
    for r in recs:
        if r["error"]:
            print(f"FAILED {r['file']}: {r['error']}", file=sys.stderr)
    print(f"integrated {len(recs) - len(bad)} of {len(recs)} files into {args.out}")
    return 1 if bad else 0


def _calibrate(args) -> int:
    from .g2image import G2Image
    img = G2Image.from_file(args.file, args.fmthint)
    img.loadControls(args.controls)
    if args.vary:
        img.setVary("*", False)
        img.setVary(args.vary.split(","), True)
    if args.pixlimit:
        img.setControl("pixLimit", args.pixlimit)
    for _ in range(args.cycles):
        res = img.Recalibrate()
        print(f"reduced chi**2 {res['chisq']:.4g} on {res['npts']} points: "
              + ", ".join(f"{k}={v:.5f}({res['esds'][k]:.5f})" for k, v in res["values"].items()))
    if args.out:
        img.saveControls(args.out)
        print(f"controls written to {args.out}")
    return 0


def main(argv=None) -> int:
    """Entry point of ``beamkit image``; returns the exit status."""
    p = argparse.ArgumentParser(prog="beamkit image", description=__doc__)
    p.add_argument("--quiet", action="store_true", help="only errors")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    a = sub.add_parser("integrate", help="integrate image files to .xye patterns with one calibration")
    a.add_argument("files", nargs="*", help="image files (any format fabio reads)")
    a.add_argument("--controls", required=True, help="GSAS-II .imctrl calibration file")
    a.add_argument("--masks", default=None, help="GSAS-II .immask file")
    a.add_argument("--out", default=".", help="output folder for the .xye files")
    a.add_argument("--config", default=None, help="YAML/JSON batch settings (see beamkit docs: image-parameters)")
    a.add_argument("--processes", type=int, default=None, help="local worker processes (default: all cores)")
    a.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786) instead of local")
    a.add_argument("--pixel-mask", type=float, default=None, metavar="ESD",
                   help="mask ring outliers beyond ESD median absolute deviations first")
    a.add_argument("--engine", default=None, choices=("auto", "pyfai", "numpy"), help="default: auto")
    a.add_argument("--fmthint", default=None, help="format hint such as MAR or TIF")
    a.add_argument("--watch", default=None, metavar="PATTERN",
                   help="glob of files to integrate as they appear (complete when a .metadata file "
                        "exists or the size is stable)")
    a.add_argument("--poll", type=float, default=None, help="seconds between folder scans in --watch (0.5)")
    a.add_argument("--stable", type=float, default=None, help="seconds a size must hold still in --watch (1)")
    a.add_argument("--max-files", type=int, default=None, help="stop --watch after this many files")
    a.add_argument("--timeout", type=float, default=None, help="stop --watch after this many seconds")
    c = sub.add_parser("calibrate", help="recalibrate an image from a starting .imctrl")
    c.add_argument("file")
    c.add_argument("--controls", required=True)
    c.add_argument("--out", default=None, help="write the refined .imctrl here")
    c.add_argument("--vary", default=None, help="comma-separated: dist,det-X,det-Y,tilt,phi,dep,wave,sag")
    c.add_argument("--pixlimit", type=int, default=None)
    c.add_argument("--cycles", type=int, default=2)
    c.add_argument("--fmthint", default=None)
    args = p.parse_args(argv)
    if args.quiet:
        set_print_level("error")
    if args.cmd == "integrate":
        return _integrate(args)
    if args.cmd == "calibrate":
        return _calibrate(args)
    p.print_help()
    return 0
