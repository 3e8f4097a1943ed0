"""``beamkit demo`` for the powder face: a project from the shipped NaCl CIF, a simulated pattern, its plot,
then a refinement of a perturbed model back to that pattern (with a plot of the fit)."""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).with_name("data")


def run(outdir) -> dict:
    """Simulate a Cu Kα pattern of NaCl (10–120°), export and plot it, then refine (returns a summary)."""
    from . import G2Project
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    gpx = G2Project(newgpx=str(out / "NaCl_sim.gpx"))
    phase = gpx.add_phase(str(DATA / "NaCl.cif"), phasename="NaCl", fmthint="CIF")
    hist = gpx.add_simulated_powder_histogram("NaCl CuKa simulation", str(DATA / "lab_CuKa.instprm"),
                                              10.0, 120.0, Tstep=0.02, phases=[phase], scale=1000.0)
    hist.data["Background"][0][3:6] = [150.0, -60.0, 20.0]   # a visible chebyschev-1 background
    gpx.compute()
    gpx.save()
    csv = hist.Export(str(out / "NaCl_sim"), ".csv", "hist")
    refl = hist.Export(str(out / "NaCl_refl"), ".csv", "refl")
    png = hist.plot(str(out / "NaCl_sim.png"))
    rl = hist.reflections()["NaCl"]["RefList"]
    from .refine_api import run_refinement_demo
    refined = run_refinement_demo(out)
    return {"refinement": refined, "project": gpx.filename, "png": png, "csv": csv, "reflections_csv": refl,
            "n_points": int(hist.getdata("x").size), "n_reflections": int(len(rl)),
            "strongest_2theta": float(hist.getdata("x")[hist.getdata("ycalc").argmax()]),
            "cell_a": phase.get_cell()["length_a"]}
