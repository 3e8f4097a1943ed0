"""``beamkit powder ...``: GSAS-II's command-line mode.

    beamkit powder create|add|dump|export|simulate ...   (see :mod:`beamkit.powder.cli_project`)
    beamkit powder refine PROJECT [RECIPE.json] [--allow-code] [--output NEW]

``refine`` runs the ``refinements`` list of a JSON recipe (the keys of
``do_refinements``; ``call`` names a function) on a saved project.  A recipe's
``code`` lines are Python and run only with ``--allow-code``; without it they are
skipped with a warning, as are the calls to functions they would have defined.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import BeamkitError
from . import cli_project

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The ``beamkit powder`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="beamkit powder",
                                     description="GSAS-II-style powder projects from the command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_project.register(sub)
    r = sub.add_parser("refine", help="run a JSON refinement recipe on a project")
    r.add_argument("gpxfile")
    r.add_argument("recipe", nargs="?", default=None, help="JSON file with a 'refinements' list")
    r.add_argument("--allow-code", action="store_true",
                   help="run the recipe's 'code' lines (Python: only for recipes you trust)")
    r.add_argument("--output", default=None, help="save the refined project under this name")
    r.add_argument("--cycles", type=int, default=None, help="override 'max cyc'")
    r.set_defaults(func=cmd_refine)
    return parser


def _load_recipe(path):
    import json
    from pathlib import Path
    from ..errors import FormatError, ParameterError
    text = Path(path).read_text()
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError("not valid JSON", path=path, line=exc.lineno, expected="a JSON object",
                          got=exc.msg) from None
    if isinstance(rec, list):
        rec = {"refinements": rec}
    if not isinstance(rec, dict) or not isinstance(rec.get("refinements", []), list):
        raise ParameterError("refinements", "a list of refinement steps", type(rec).__name__)
    return rec


def cmd_refine(args) -> int:
    """Load the project, run the recipe (or one refinement), save."""
    from ..core.log import get_logger
    from . import G2Project
    from .recipes import check_step
    log = get_logger("beamkit.powder")
    proj = G2Project(args.gpxfile)
    if args.output:
        proj.filename = str(args.output)
    rec = _load_recipe(args.recipe) if args.recipe else {"refinements": [{}]}
    steps = rec.get("refinements", [{}])
    for i, st in enumerate(steps):
        check_step(st, i)
    ns = {}
    code = rec.get("code")
    if code:
        if args.allow_code:
            import os
            ns.update({"proj": proj, "os": os, "__builtins__": __builtins__})
            exec("\n".join(code) if isinstance(code, list) else str(code), ns)  # noqa: S102 - opt-in
        else:
            log.warning("the recipe's 'code' was not run (pass --allow-code to run it)")
    if args.cycles is not None:
        proj.set_Controls("cycles", args.cycles)
    clean = []
    for st in steps:
        st = dict(st)
        c = st.get("call")
        if isinstance(c, str):
            if c in ns and callable(ns[c]):
                st["call"] = ns[c]
            elif not callable(getattr(proj, c, None)):
                log.warning("call %r skipped: not defined (its code did not run)", c)
                st.pop("call")
                st.pop("callargs", None)
        clean.append(st)
    proj.do_refinements(clean)
    rv = proj.data["Covariance"]["data"].get("Rvals", {})
    for h in proj.histograms():
        print(f"{h.name}: wR {h.get_wR():.3f}")
    if rv:
        print(f"Rwp {rv.get('Rwp', float('nan')):.4f}  GOF {rv.get('GOF', float('nan')):.4f}  "
              f"Nobs {rv.get('Nobs')}  Nvars {rv.get('Nvars')}")
    proj.save()
    return 0


def main(argv=None) -> int:
    """Run one subcommand; returns the exit code (2 on a beamkit error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except BeamkitError as exc:
        print(f"beamkit powder: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
