"""``beamkit microscope`` commands: info, serve.

    beamkit microscope info FILE.obf|FILE.msr [--stats]
    beamkit microscope serve [--host 127.0.0.1] [--port N]   (default port: SPEC_SERVER_PORT or 12345)
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

__all__ = ["main"]


def _info(path, stats: bool) -> None:
    from .file import File
    f = File(path, File.Read)
    h = f.header()
    print(f"{path}: OBF file version {h.version}, {f.number_of_stacks()} stacks"
          + (f", description {len(f.description())} chars" if f.description() else ""))
    if h.tags:
        print(f"  file tags: {', '.join(sorted(h.tags))}")
    for i, rec in enumerate(f.records()):
        comp = f"zlib level {rec.compression_level}" if rec.compression_type else "uncompressed"
        print(f"[{i}] {rec.name!r}  {rec.dtype.name}  shape (x first) {rec.res}  v{rec.version}, {comp}")
        s = f.read(i) if stats else None
        for d in range(rec.rank):
            unit = s.units()[d] if s is not None else ""
            print(f"      axis {d}: {rec.labels[d]!r:<16s} length {rec.lengths[d]:.6g} offset {rec.offsets[d]:.6g}"
                  + (f" [{unit}]" if unit else ""))
        if rec.tags:
            print(f"      tags: {', '.join(sorted(rec.tags))}")
        if s is not None:
            d = s.data()
            if d.dtype.kind == "c":
                print(f"      sum {complex(d.sum()):.6g}")
            else:
                print(f"      sum {d.sum(dtype=np.float64):.6g}  mean {d.mean():.6g}  std {d.std():.6g}"
                      f"  min {d.min()}  max {d.max()}")
    f.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="beamkit microscope", description="OBF/MSR files and the simulated Imspector")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    i = sub.add_parser("info", help="list the stacks of an .obf/.msr file")
    i.add_argument("file")
    i.add_argument("--stats", action="store_true", help="also read the data and print statistics")
    s = sub.add_parser("serve", help="run a simulated Imspector server (SpecPy wire protocol)")
    from .params import TREE
    s.add_argument("--host", default=TREE["server.host"].default,
                   help="interface to bind (default: loopback only)")
    s.add_argument("--port", type=int, default=None, help="TCP port (default: SPEC_SERVER_PORT or 12345)")
    a = p.parse_args(argv)
    if a.cmd == "info":
        try:
            _info(a.file, a.stats)
        except RuntimeError as exc:  # SpecPy-style errors (missing file, ...)
            print(f"beamkit microscope: error: {exc}", file=sys.stderr)
            return 2
        return 0
    if a.cmd == "serve":
        from .server import serve
        serve(a.host, a.port)
        return 0
    p.print_help()
    return 0
