"""GSAS-II's reflection set (GSASIIstrIO.GetHistogramPhaseData), fixed for a whole refinement.

When a refinement starts GSAS-II lists, per phase and CW histogram, the reflections of the phase's
cell (without the histogram's Dij) with d ≥ λ/(2 sin(hi/2)) and lo < 2·asin(λ/2d) + Zero < hi, and
keeps that list while the cell, Dij or displacements move the peaks.  In the PbSO4 tutorial this
decides whether an X-ray reflection near 160° takes part (notes §13.2 'Nref': 384 → 383 at step 7).
"""
from pathlib import Path

import numpy as np

import beamkit.powder as G2sc
from beamkit.powder import calc as C
from beamkit.powder.crystal import cell_to_A, generate_reflections, space_group
from beamkit.powder.derivatives import ProjectObjective

PDATA = Path(G2sc.__file__).parent / "data"


def _project(lo, hi):
    g = G2sc.G2Project(newgpx=None)
    g.add_phase(str(PDATA / "NaCl.cif"), phasename="NaCl")
    h = g.add_simulated_powder_histogram("sim", str(PDATA / "lab_CuKa.instprm"), 20., 120., Npoints=1000,
                                         phases="all", noise_seed=False)
    h.set_refinements({"Limits": [lo, hi]})
    return g, h


def test_set_rule_uses_cell_without_dij_and_both_limits():
    g, h = _project(33.0, 75.0)
    ph = g.phases()[0].data
    inst = h.data["Instrument Parameters"][0]
    s = C.gsas_reflection_set(ph, inst, h.data["Limits"][1])
    A = cell_to_A(ph["General"]["Cell"][1:7])
    r = generate_reflections(A, space_group("F m -3 m"), 0.5)
    pos = 2 * np.degrees(np.arcsin(np.minimum(1.5405 / (2 * r["d"]), 1.0)))
    want = r["hkl"][(pos > 33.0) & (pos < 75.0)]
    np.testing.assert_array_equal(s["hkl"], want)          # (200) at 31.7° out, (331) at 73.1° in
    assert [tuple(int(v) for v in x) for x in s["hkl"]] == [(2, 2, 0), (3, 1, 1), (2, 2, 2), (4, 0, 0), (3, 3, 1)]
    hap = next(iter(ph["Histograms"].values()))
    hap["HStrain"][0][0] = 0.01                              # Dij moves the peaks but not the set
    s2 = C.gsas_reflection_set(ph, inst, h.data["Limits"][1])
    np.testing.assert_array_equal(s2["hkl"], s["hkl"])
    cols, _ = C._phase_reflections(ph, hap, inst, h.data["Sample Parameters"], "PXC", 33.0, 75.0, None,
                                   h.data["Limits"][1])
    np.testing.assert_array_equal(np.stack([cols["h"], cols["k"], cols["l"]], 1), s["hkl"])


def test_refinement_keeps_its_starting_set():
    g, h = _project(20.0, 74.0)           # (400) at 66.2°, (331) at 73.1°
    obj = ProjectObjective(g)
    obj.residual(obj.values())
    ph = g.phases()[0].data
    c = obj.calcs[0]
    start = c.reflections(c.x)["NaCl"]
    ph["General"]["Cell"][1:4] = [5.55, 5.55, 5.55]      # smaller cell: (331) moves to 74.4°
    now = c.reflections(c.x)["NaCl"]
    np.testing.assert_array_equal(now["h"], start["h"])
    assert now["pos"][-1] > 74.0
    fresh = C.gsas_reflection_set(ph, h.data["Instrument Parameters"][0], h.data["Limits"][1])
    assert len(fresh["hkl"]) == len(start["h"]) - 1      # a new refinement would drop it
