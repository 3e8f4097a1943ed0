"""Benchmark: the CW pattern simulation of the GSASIIscriptable documentation (PbSO4, D1A, 5–120°, 1000 points).

Times one calculation of y_calc + reflection list (what ``do_refinements()`` does for a
simulated histogram), and the whole script (project, CIF, instrument file, calculation).
GSAS-II's figure (notes §1): about 1 s per simulation on a 2-core machine.
Needs ../shared/gsas2-data (or $BEAMKIT_SHARED); prints a message and exits 0 when absent.
Run: .venv/bin/python bench/bench_powder_sim.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from _timing import best

GSAS2_SECONDS = 1.0   # notes §1: "each simulation ≈ 1 s"


def main() -> int:
    shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    data = shared / "gsas2-data" / "PythonScript" / "data"
    if not (data / "PbSO4-Wyckoff.cif").exists():
        print(f"bench_powder_sim: skipped, {data} not found")
        return 0
    import beamkit.powder as G2sc
    from beamkit.powder.calc import compute_histogram

    def build():
        g = G2sc.G2Project(newgpx=None)
        g.add_phase(str(data / "PbSO4-Wyckoff.cif"), phasename="PbSO4", fmthint="CIF")
        h = g.add_simulated_powder_histogram("PbSO4 simulation", str(data / "inst_d1a.prm"), 5., 120.,
                                             Npoints=1000, phases=g.phases(), scale=500000.)
        return g, h

    def whole():
        g, _ = build()
        g.do_refinements([{}])

    g, h = build()
    compute_histogram(g, h)
    t_calc = best(lambda: compute_histogram(g, h))
    t_all = best(whole, repeat=3)
    print(f"CW simulation, PbSO4 1000 points: calculation {1e3 * t_calc:.1f} ms, whole script "
          f"{1e3 * t_all:.1f} ms; GSAS-II ≈ {GSAS2_SECONDS:.1f} s per simulation "
          f"-> ratio {t_calc / GSAS2_SECONDS:.3f} (calculation), {t_all / GSAS2_SECONDS:.3f} (script)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
