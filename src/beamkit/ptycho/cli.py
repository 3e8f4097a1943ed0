"""``beamkit ptycho``: ``run PARAMS.yaml|json`` (a reconstruction with a progress bar) and ``plot FILE.ptyr``."""
from __future__ import annotations

import argparse
import os

from ..errors import ParameterError

__all__ = ["main"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="beamkit ptycho", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    r = sub.add_parser("run", help="reconstruct with a ptypy parameter tree (.yaml/.yml/.json)")
    r.add_argument("params")
    r.add_argument("--home", default=None, help="override io.home (output folder)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    pl = sub.add_parser("plot", help="write a figure of a .ptyr file (object, probe, errors)")
    pl.add_argument("ptyr")
    pl.add_argument("-o", "--out", default=None, help="image path, format from its extension (default: a PNG "
                                                      "next to the file)")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        from .ptycho import Ptycho
        from .utils import Param
        if not os.path.isfile(args.params):
            raise ParameterError("params", "an existing .yaml/.yml/.json file", args.params)
        p = Param.load(args.params)
        if "parameter_tree" in p:                  # a file written for ptypy's ptypy.run script
            if p.get("base_file") is not None:
                raise ParameterError("base_file", "None (continue a saved run with Ptycho.load_run in a script)",
                                     p.get("base_file"))
            p = Param(p["parameter_tree"] or {})
        if args.home:
            p.setdefault("io", Param())["home"] = args.home
        if not args.quiet:
            os.environ.setdefault("BEAMKIT_PROGRESS", "1")
        P = Ptycho(p, level=5)                      # level 5 runs and finalizes
        err = P.result.errors
        print(f"{P.runtime['run']}: {P.runtime['iterations']} iterations; last errors "
              f"(Fourier, Photons, Exit) = {', '.join(f'{x:.4g}' for x in (err[-1] if len(err) else []))}")
        print(f"result: {P.result_file}" if P.result_file else "result: no file written (io.rfile is None)")
        return 0
    if args.cmd == "plot":
        from .plot import plot_ptyr
        if not os.path.isfile(args.ptyr):
            raise ParameterError("ptyr", "an existing .ptyr file", args.ptyr)
        print(plot_ptyr(args.ptyr, args.out))
        return 0
    ap.print_help()
    return 0
