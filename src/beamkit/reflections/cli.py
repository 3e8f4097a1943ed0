"""``beamkit reflections`` commands: show, find-spots, histogram.

    beamkit reflections show FILE.refl|FILE.expt
    beamkit reflections find-spots IMAGE [IMAGE ...] --out strong.refl [--plot spots.png]
    beamkit reflections histogram FILE.refl [--column foreground|NAME] [--flags indexed] [--slots 10] [--png out.png]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .flags import SINGLE_FLAGS, Flags, MaskCode

__all__ = ["main"]


def _show_refl(path) -> None:
    from .reflection_table import ReflectionTable
    t = ReflectionTable.from_file(path)
    print(f"{path}: {t.size()} rows, {t.ncols()} columns")
    for name, tname in zip(t.keys(), t.types()):
        col = t.table[name]
        extra = ""
        if name == "shoebox":
            extra = f"  ({int(col.allocated.sum())} with data, {col.data.size} pixels)"
        elif isinstance(col, np.ndarray) and col.size and col.dtype.kind in "iuf":
            extra = f"  min {col.min():.6g} max {col.max():.6g}"
        print(f"  {name:<32s} {tname:<24s}{extra}")
    if "flags" in t:
        f = t.numpy("flags")
        print("flags:")
        for fl in SINGLE_FLAGS:
            n = int(np.count_nonzero(f & np.uint64(fl.value)))
            if n:
                print(f"  {fl.name:<36s} {n}")
    ids = t.experiment_identifiers()
    print(f"experiments: {len(ids)}")
    for k, v in sorted(ids.items()):
        print(f"  {k}: {v}")


def _show_expt(path) -> None:
    from .io_expt import read_expt
    el = read_expt(path)
    print(f"{path}: {len(el)} experiments")
    for j, e in enumerate(el):
        print(f"  [{j}] {e.identifier}")
        if e.beam is not None and "wavelength" in e.beam.d:
            print(f"      beam: wavelength {e.beam.get_wavelength():.5f} Å")
        if e.detector is not None:
            p = e.detector[0]
            print(f"      detector: {len(e.detector)} panel(s), {p.get_image_size()} px of {p.get_pixel_size()} mm")
        if e.scan is not None:
            print(f"      scan: images {e.scan.get_image_range()}, oscillation {e.scan.get_oscillation()} deg")
        if e.crystal is not None:
            cell = ", ".join(f"{v:.3f}" for v in e.crystal.get_unit_cell())
            print(f"      crystal: cell ({cell}), Hall {e.crystal.get_space_group_hall_symbol()!r}")


def _find_spots(args) -> None:
    from .spotfinder import find_spots, read_image, trusted_max_from_header
    images, hi = [], args.trusted_max
    for p in args.images:
        img, hdr = read_image(p)
        images.append(img)
        if hi is None:
            hi = trusted_max_from_header(hdr)
    t = find_spots(images, algorithm=args.algorithm, trusted_range=(args.trusted_min, hi), nproc=args.nproc,
                   min_spot_size=args.min_spot_size, max_spot_size=args.max_spot_size)
    t.as_file(args.out)
    print(f"{t.size()} strong spots written to {args.out}")
    if args.plot:
        from .plots import plot_spots
        plot_spots(images[0], t.numpy("xyzobs.px.value")[t.numpy("bbox")[:, 4] == 0], args.plot,
                   title=f"{Path(args.images[0]).name}: {t.size()} spots")
        print(f"plot written to {args.plot}")


def _histogram(args) -> None:
    from .flex_arrays import histogram
    from .reflection_table import ReflectionTable
    t = ReflectionTable.from_file(args.file)
    if args.flags:
        value = 0
        for name in args.flags.split(","):
            value |= int(Flags[name.strip()])
        t = t.select(t.get_flags(value))
    if args.column == "foreground":
        vals = t["shoebox"].count_mask_values(MaskCode.Foreground).as_numpy_array()
    else:
        vals = t.numpy(args.column)
        if vals.ndim != 1:
            vals = vals.reshape(vals.shape[0], -1)[:, args.component]
    h = histogram(vals.astype(float), n_slots=args.slots)
    print(f"{args.column} over {vals.size} rows")
    for c, n in zip(h.slot_centers(), h.slots()):
        print(f"{c:12.4f} {n}")
    if args.png:
        from .plots import plot_histogram
        plot_histogram(vals, args.png, bins=args.slots, xlabel=args.column, title=Path(args.file).name)
        print(f"plot written to {args.png}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="beamkit reflections", description="DIALS reflection tables and spot finding")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show", help="columns, types, flags summary and experiments of a .refl or .expt")
    s.add_argument("file")
    f = sub.add_parser("find-spots", help="find strong spots on images (CBF, .bz2 ...)")
    f.add_argument("images", nargs="+")
    f.add_argument("--out", default="strong.refl")
    f.add_argument("--algorithm", default="dispersion_extended", choices=["dispersion", "dispersion_extended"])
    f.add_argument("--trusted-min", type=float, default=0.0)
    f.add_argument("--trusted-max", type=float, default=None)
    f.add_argument("--min-spot-size", type=int, default=None)
    f.add_argument("--max-spot-size", type=int, default=1000)
    f.add_argument("--nproc", type=int, default=1)
    f.add_argument("--plot", default=None, help="PNG of the first image with its spots")
    h = sub.add_parser("histogram", help="histogram of a column (or foreground pixels per shoebox)")
    h.add_argument("file")
    h.add_argument("--column", default="foreground")
    h.add_argument("--component", type=int, default=0)
    h.add_argument("--flags", default=None, help="comma-separated flag names rows must have, e.g. indexed")
    h.add_argument("--slots", type=int, default=10)
    h.add_argument("--png", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "show":
        (_show_expt if str(args.file).endswith(".expt") else _show_refl)(args.file)
    elif args.cmd == "find-spots":
        _find_spots(args)
    else:
        _histogram(args)
    return 0
