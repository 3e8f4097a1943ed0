"""Benchmark: the six-step PbSO4 PythonScript tutorial (X-ray + neutron joint Rietveld refinement).

Runs the recipe of notes §13.2 (max cyc 8) through ``beamkit.powder`` and prints the wall time
of each step and of the whole refinement beside GSAS-II's measured 35–50 s (40.1 s typical, notes §1)
on the same data.  Also times the FAP.XRA peak fit (GSAS-II 2.4 s).
Measured on the shared 2-core box (2026-11-27, same run): 8.3 s before the refinement speed work,
5.0 s after (direct CSC chain-rule matrices, batched Jacobian products, memo of reflection lists and
structure factors); per-step wR unchanged to 1e-8 relative.
Needs ../shared/gsas2-data (or $BEAMKIT_SHARED).  Run: .venv/bin/python bench/bench_powder_refine.py
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEAMKIT_SHARED", ROOT.parent / "shared"))
GSAS2_TUTORIAL_S = 40.1
GSAS2_PEAKFIT_S = 2.4


def tutorial(tmp):
    import beamkit.powder as G2sc
    from beamkit.core.log import set_print_level
    set_print_level("warn")
    d = SHARED / "gsas2-data" / "PythonScript" / "data"
    recipe = json.loads((d / "example.json").read_text())["refinements"]
    t0 = time.perf_counter()
    gpx = G2sc.G2Project(newgpx=str(Path(tmp) / "PbSO4.gpx"))
    h1 = gpx.add_powder_histogram(str(d / "PBSO4.XRA"), str(d / "INST_XRY.PRM"), fmthint="GSAS powder")
    h2 = gpx.add_powder_histogram(str(d / "PBSO4.CWN"), str(d / "inst_d1a.prm"), fmthint="GSAS powder")
    gpx.add_phase(str(d / "PbSO4-Wyckoff.cif"), phasename="PbSO4", histograms=[h1, h2])
    gpx.data["Controls"]["data"]["max cyc"] = 8
    h2.data["Sample Parameters"]["Gonio. radius"] = 650.0
    steps = []
    for step in recipe:
        step = {k: v for k, v in step.items() if k not in ("call", "output")}
        if "skip" in step and "set" not in step:
            continue
        ts = time.perf_counter()
        gpx.do_refinements([step])
        if "skip" not in step:
            steps.append((time.perf_counter() - ts, h1.get_wR(), h2.get_wR(),
                          gpx.data["Covariance"]["data"]["Rvals"].get("ncyc")))
    return time.perf_counter() - t0, steps


def peakfit(tmp):
    import beamkit.powder as G2sc
    d = SHARED / "gsas2-data" / "LabData" / "data"
    t0 = time.perf_counter()
    gpx = G2sc.G2Project(newgpx=str(Path(tmp) / "pk.gpx"))
    h = gpx.add_powder_histogram(str(d / "FAP.XRA"), str(d / "INST_XRY.PRM"), fmthint="GSAS powder")
    h.set_refinements({"Limits": [16.0, 24.0], "Background": {"no. coeffs": 2, "refine": True}})
    for t in (16.8, 18.9, 21.8, 22.9):
        h.add_peak(1, ttheta=t)
    for flags in ({"area": True}, {"area": True, "pos": True},
                  {"area": True, "pos": True, "sig": True, "gam": True}):
        h.set_peakFlags(**flags)
        res = h.refine_peaks()
    return time.perf_counter() - t0, res["Rwp"]


def main():
    if not (SHARED / "gsas2-data" / "PythonScript" / "data" / "PBSO4.XRA").exists():
        print(f"skipping: {SHARED}/gsas2-data not found")
        return
    with tempfile.TemporaryDirectory() as tmp:
        total, steps = tutorial(tmp)
        for i, (t, a, b, n) in enumerate(steps, start=4):
            print(f"step {i}: {t:6.2f} s  wR {a:7.3f} / {b:6.3f}  cycles {n}")
        print(f"PbSO4 tutorial (6 steps): beamkit {total:.1f} s, GSAS-II {GSAS2_TUTORIAL_S:.1f} s "
              f"(ratio {total / GSAS2_TUTORIAL_S:.2f})")
        t, rwp = peakfit(tmp)
        print(f"FAP.XRA peak fit (3 stages): beamkit {t:.2f} s (Rwp {rwp:.4f}), GSAS-II {GSAS2_PEAKFIT_S:.1f} s "
              f"(ratio {t / GSAS2_PEAKFIT_S:.2f})")


if __name__ == "__main__":
    main()
