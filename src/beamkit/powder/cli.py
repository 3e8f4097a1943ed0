"""``beamkit powder ...``: GSAS-II's command-line mode.

Created by the project part (P2) with the project subcommands of
:mod:`beamkit.powder.cli_project`; the refinement part (P3) owns this file and
adds ``refine`` (a JSON recipe file) next to them.
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
    return parser


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
