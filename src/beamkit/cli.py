"""The ``beamkit`` command: ``beamkit demo`` and one subcommand per face.

Each face may provide ``beamkit.<face>.cli`` with ``main(argv) -> int``;
``beamkit <face> ARGS...`` hands ARGS to it.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import FACES, __version__
from .errors import BeamkitError

# short names users of the original programs type: ``beamkit refl show strong.refl``
ALIASES = {"refl": "reflections", "img": "image", "pwdr": "powder", "specpy": "microscope"}


def _face_main(face: str, argv: list[str]) -> int:
    try:
        mod = importlib.import_module(f"beamkit.{face}.cli")
    except ModuleNotFoundError as exc:
        if exc.name != f"beamkit.{face}.cli":
            raise
        doc = (importlib.import_module(f"beamkit.{face}").__doc__ or "").strip()
        print(f"beamkit {face}: no command-line tools yet.\n\n{doc}")
        return 0
    return int(mod.main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="beamkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"beamkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser("demo", help="run the end-to-end demo; writes results and plots")
    d.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    d.add_argument("--only", nargs="*", default=None, help="run only these parts (core and face names)")
    dc = sub.add_parser("docs", help="write the generated parameter reference (rst and md)")
    dc.add_argument("--out", default="docs/reference")
    for face in FACES:
        aliases = [a for a, f in ALIASES.items() if f == face]
        sub.add_parser(face, aliases=aliases, help=f"{face} tools (beamkit {face} --help)", add_help=False)

    if argv and ALIASES.get(argv[0], argv[0]) in FACES:
        face = ALIASES.get(argv[0], argv[0])
        try:
            return _face_main(face, argv[1:])
        except BeamkitError as exc:
            print(f"beamkit {face}: error: {exc}", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run_demo
            run_demo(args.out, only=args.only)
            return 0
        if args.command == "docs":
            from .demo import write_docs
            write_docs(args.out)
            return 0
    except BeamkitError as exc:
        print(f"beamkit: error: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
