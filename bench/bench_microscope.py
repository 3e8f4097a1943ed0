"""Benchmark: OBF write/read throughput (raw and zlib) and remote calls per second.

Peers measured in the same run when installed: the official ``specpy`` File
(write and read of the same stack) and the ``specpy`` client against the same
server.  Prints MB/s per case and the ratio beamkit / peer.
Run: .venv/bin/python bench/bench_microscope.py [--mb 1024] [--calls 2000]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from beamkit.microscope import File, Imspector, Stack
from beamkit.microscope.server import serve_in_subprocess
from _timing import best as _best


def files(mb: int, repeat: int) -> None:
    n = mb * (1 << 20) // 2
    side = 2048
    planes = max(1, n // (side * side))
    rng = np.random.default_rng(0)
    # photon-count-like data: compressible but not trivially so
    a = rng.poisson(3.0, size=(planes, side, side)).astype(np.uint16)
    nbytes = a.nbytes
    try:
        import specpy as sp
    except ImportError:
        sp = None
    with tempfile.TemporaryDirectory() as d:
        for comp in (False, True):
            p = os.path.join(d, "bk.obf")
            s = Stack(a)

            def bk_write():
                with File(p, File.Write) as f:
                    f.write(s, comp)

            def bk_read():
                File(p).read(0).data()
            tw = _best(bk_write, repeat)
            tr = _best(bk_read, repeat)
            size = os.path.getsize(p)
            line = (f"{'zlib' if comp else 'raw '} {nbytes / 2**20:7.0f} MiB -> {size / 2**20:7.1f} MiB  "
                    f"beamkit write {nbytes / tw / 1e6:7.0f} MB/s  read {nbytes / tr / 1e6:7.0f} MB/s")
            if sp is not None:
                q = os.path.join(d, "sp.obf")
                ss = sp.Stack(a)

                def sp_write():
                    f = sp.File(q, sp.File.Write)
                    f.write(ss, comp)
                    del f

                def sp_read():
                    f = sp.File(q, sp.File.Read)
                    np.asarray(f.read(0).data()).sum(dtype=np.uint64)
                    del f
                sw, sr = _best(sp_write, repeat), _best(sp_read, repeat)
                line += (f" | specpy write {nbytes / sw / 1e6:7.0f} MB/s read {nbytes / sr / 1e6:7.0f} MB/s"
                         f" | time ratio beamkit/specpy write {tw / sw:.2f} read {tr / sr:.2f}")
            print(line, flush=True)


def remote(calls: int) -> None:
    with serve_in_subprocess() as port:
        im = Imspector("127.0.0.1", port)
        m = im.create_measurement()
        t0 = time.perf_counter()
        for _ in range(calls):
            m.parameters("ExpControl/scan/range/x/psz")
        ours = calls / (time.perf_counter() - t0)
        line = f"remote: beamkit client {ours:8.0f} calls/s (Measurement.parameters over loopback)"
        try:
            import specpy as sp
            app = sp.get_application("127.0.0.1", port)
            sm = app.measurement(m.name())
            t0 = time.perf_counter()
            for _ in range(calls):
                sm.parameters("ExpControl/scan/range/x/psz")
            theirs = calls / (time.perf_counter() - t0)
            line += f" | specpy client {theirs:8.0f} calls/s | ratio {ours / theirs:.2f}"
        except ImportError:
            pass
        print(line, flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1024, help="stack size in MiB (default 1024)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--calls", type=int, default=2000)
    a = ap.parse_args(argv)
    files(a.mb, a.repeat)
    remote(a.calls)


if __name__ == "__main__":
    main()
