"""``beamkit demo``: run every part's demo and write results into one folder.

Each part provides ``beamkit.<part>.demo.run(outdir) -> dict`` (a summary of
what it wrote).  The core's demo is :mod:`beamkit.core.demo`.
"""
from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

from . import FACES
from .core.files import atomic_write
from .core.log import get_logger

log = get_logger("demo")
PARTS = ("core",) + FACES


def run_demo(out="demo-out", only=None) -> dict:
    """Run the demos of the core and each face into ``out``; returns the summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for part in PARTS:
        if only and part not in only:
            continue
        try:
            mod = importlib.import_module(f"beamkit.{part}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"beamkit.{part}.demo":
                continue
            raise
        t0 = time.perf_counter()
        sub = out / part
        sub.mkdir(exist_ok=True)
        print(f"[beamkit demo] {part} ...", flush=True)
        res = mod.run(sub) or {}
        res["seconds"] = round(time.perf_counter() - t0, 3)
        summary[part] = res
        print(f"[beamkit demo] {part}: done in {res['seconds']} s -> {sub}", flush=True)
    with atomic_write(out / "summary.json", "w") as fh:
        json.dump(summary, fh, indent=2, default=str)
    print(f"[beamkit demo] summary written to {out / 'summary.json'}")
    return summary


def write_docs(out="docs/reference") -> list:
    """Write the generated parameter reference of every part that declares parameters."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for part in PARTS:
        try:
            mod = importlib.import_module(f"beamkit.{part}.params")
        except ModuleNotFoundError:
            continue
        tree = getattr(mod, "TREE", None)
        if tree is None:
            continue
        for ext, fn in (("rst", tree.to_rst), ("md", tree.to_markdown)):
            p = out / f"{part}-parameters.{ext}"
            with atomic_write(p, "w") as fh:
                fh.write(fn())
            written.append(str(p))
    return written
