"""Project subcommands of ``beamkit powder`` (GSAS-II's command-line mode): create, add, dump, export, simulate.

:func:`register` adds them to an argparse sub-parser collection (the powder
CLI's ``main`` calls it); each handler takes the parsed arguments and returns
an exit code.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ..errors import ParameterError

__all__ = ["register", "cmd_create", "cmd_add", "cmd_dump", "cmd_export", "cmd_simulate", "main"]


def _pair_iparams(datafiles, iparams):
    if not datafiles:
        return []
    iparams = list(iparams or [])
    if len(iparams) == 1:
        iparams = iparams * len(datafiles)
    if len(iparams) != len(datafiles):
        raise ParameterError("--iparams", "one instrument file, or one per data file",
                             f"{len(iparams)} for {len(datafiles)} data files")
    return list(zip(datafiles, iparams))


def _add_to(gpx, args):
    for ph in args.phases or []:
        gpx.add_phase(ph, fmthint=getattr(args, "phaseformat", None) or None)
    for data, ip in _pair_iparams(args.histograms, args.iparams):
        gpx.add_powder_histogram(data, ip, fmthint=getattr(args, "histogramformat", None) or None, phases="all")
    for h in gpx.histograms():
        for p in gpx.phases():
            gpx.link_histogram_phase(h, p)


def cmd_create(args) -> int:
    """Create a new project file from phases and histograms."""
    from . import G2Project
    gpx = G2Project(newgpx=args.filename)
    _add_to(gpx, args)
    gpx.save()
    print(f"created {gpx.filename}: {len(gpx.phases())} phase(s), {len(gpx.histograms())} histogram(s)")
    return 0


def cmd_add(args) -> int:
    """Add phases and histograms to an existing project."""
    from . import G2Project
    gpx = G2Project(args.filename)
    _add_to(gpx, args)
    gpx.save()
    print(f"updated {gpx.filename}: {len(gpx.phases())} phase(s), {len(gpx.histograms())} histogram(s)")
    return 0


def _summ(v, depth=0):
    if isinstance(v, np.ndarray):
        return f"<array {v.dtype} {v.shape}>"
    if isinstance(v, dict):
        return {str(k): _summ(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_summ(x, depth + 1) for x in v]
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return v.item()
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return repr(v)


def cmd_dump(args) -> int:
    """Print a summary (or, with --raw, the whole tree as JSON) of project files."""
    from . import G2Project
    for fn in args.files:
        gpx = G2Project(fn)
        print(f"== {fn}")
        if args.raw:
            print(json.dumps(_summ(gpx.data), indent=1, default=str))
            continue
        show_h = args.histograms or not (args.histograms or args.phases)
        show_p = args.phases or not (args.histograms or args.phases)
        if show_h:
            for h in gpx.histograms():
                x = h.getdata("x")
                wr = h.get_wR()
                print(f"  histogram {h.id}: {h.name}  type {h.histType}  {x.size} points "
                      f"{x.min():.4g}–{x.max():.4g}" + (f"  wR {wr:.3f} %" if wr is not None else ""))
        if show_p:
            for p in gpx.phases():
                c = p.get_cell()
                print(f"  phase {p.id}: {p.name}  {p.data['General']['SGData'].get('SpGrp', '')}  a b c = "
                      f"{c['length_a']:.5f} {c['length_b']:.5f} {c['length_c']:.5f}  "
                      f"angles {c['angle_alpha']:.3f} {c['angle_beta']:.3f} {c['angle_gamma']:.3f}  "
                      f"{len(p.atoms())} atoms")
    return 0


def cmd_export(args) -> int:
    """Export a phase as CIF, or a histogram as csv/refl/xye/fxye."""
    from . import G2Project
    gpx = G2Project(args.gpxfile)
    if args.histogram is not None:
        h = gpx.histogram(int(args.histogram) if str(args.histogram).isdigit() else args.histogram)
        if h is None:
            raise ParameterError("--histogram", "a histogram name or index", args.histogram)
        ext = {"hist": ".csv", "refl": ".csv", "xye": ".xye", "fxye": ".fxye"}[args.format]
        print(h.Export(args.exportfile, ext, args.format))
        return 0
    p = gpx.phase(int(args.phase) if str(args.phase).isdigit() else args.phase)
    if p is None:
        raise ParameterError("phase", "a phase name or index", args.phase)
    print(p.export_CIF(args.exportfile))
    return 0


def cmd_simulate(args) -> int:
    """Create a project with a simulated pattern of a CIF and write its data, reflections and plot."""
    from . import G2Project
    gpx = G2Project(newgpx=args.filename)
    ph = gpx.add_phase(args.cif, fmthint="CIF")
    h = gpx.add_simulated_powder_histogram("simulation", args.iparams, args.tmin, args.tmax,
                                           Npoints=args.npoints, phases=[ph], scale=args.scale,
                                           ibank=args.bank)
    gpx.compute()
    gpx.save()
    root = args.filename.rsplit(".", 1)[0]
    print(h.Export(root + "_data", ".csv", "hist"))
    print(h.Export(root + "_refl", ".csv", "refl"))
    if args.plot:
        print(h.plot(root + ".png"))
    return 0


def register(sub) -> None:
    """Add create/add/dump/export/simulate to an argparse ``add_subparsers()`` object."""
    c = sub.add_parser("create", help="create a project from phases and histograms")
    c.add_argument("filename")
    c.add_argument("-d", "--histograms", nargs="+", help="powder data files")
    c.add_argument("-i", "--iparams", nargs="+", help="instrument parameter files (one, or one per data file)")
    c.add_argument("-p", "--phases", nargs="+", help="phase CIF files")
    c.set_defaults(func=cmd_create)
    a = sub.add_parser("add", help="add phases and histograms to a project")
    a.add_argument("filename")
    a.add_argument("-d", "--histograms", nargs="+")
    a.add_argument("-i", "--iparams", nargs="+")
    a.add_argument("-hf", "--histogramformat", default=None, help="format hint, e.g. 'GSAS powder'")
    a.add_argument("-p", "--phases", nargs="+")
    a.add_argument("-pf", "--phaseformat", default=None)
    a.set_defaults(func=cmd_add)
    d = sub.add_parser("dump", help="summarise project files")
    d.add_argument("files", nargs="+")
    d.add_argument("-d", "--histograms", action="store_true")
    d.add_argument("-p", "--phases", action="store_true")
    d.add_argument("-r", "--raw", action="store_true", help="the whole tree as JSON (arrays summarised)")
    d.set_defaults(func=cmd_dump)
    e = sub.add_parser("export", help="export a phase (CIF) or, with --histogram, a histogram")
    e.add_argument("gpxfile")
    e.add_argument("phase", nargs="?", default="0")
    e.add_argument("exportfile")
    e.add_argument("--histogram", default=None)
    e.add_argument("--format", default="hist", choices=["hist", "refl", "xye", "fxye"])
    e.set_defaults(func=cmd_export)
    s = sub.add_parser("simulate", help="simulate a pattern of a CIF with an instrument file")
    s.add_argument("filename")
    s.add_argument("cif")
    s.add_argument("iparams")
    s.add_argument("--tmin", type=float, default=5.0, help="2θ (°) or TOF (ms)")
    s.add_argument("--tmax", type=float, default=120.0)
    s.add_argument("--npoints", type=int, default=2500)
    s.add_argument("--scale", type=float, default=None)
    s.add_argument("--bank", type=int, default=None)
    s.add_argument("--plot", action="store_true")
    s.set_defaults(func=cmd_simulate)


def main(argv=None) -> int:
    """Standalone entry for the project subcommands (``python -m beamkit.powder.cli_project``)."""
    parser = argparse.ArgumentParser(prog="beamkit powder", description="GSAS-II-style powder projects")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
