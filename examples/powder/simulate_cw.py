"""Pattern simulation (CW neutrons), the GSASIIscriptable documentation example with only the import changed.

Reads PbSO4-Wyckoff.cif and inst_d1a.prm from the GSAS-II tutorial data in
../shared/gsas2-data (or $BEAMKIT_SHARED); exits 0 with a message when absent.
"""
import os
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
datadir = shared / "gsas2-data" / "PythonScript" / "data"
if not (datadir / "PbSO4-Wyckoff.cif").exists():
    print(f"skipping: tutorial data not found in {datadir}")
    sys.exit(0)

PathWrap = lambda fil: os.path.join(datadir, fil)  # noqa: E731 - as in the documentation
gpx = G2sc.G2Project(newgpx='PbSO4sim.gpx')  # create a project
phase0 = gpx.add_phase(PathWrap("PbSO4-Wyckoff.cif"),
                       phasename="PbSO4", fmthint='CIF')  # add a phase to the project
# add a simulated histogram and link it to the previous phase(s)
hist1 = gpx.add_simulated_powder_histogram("PbSO4 simulation",
                                           PathWrap("inst_d1a.prm"), 5., 120., Npoints=1000,
                                           phases=gpx.phases(), scale=500000.)
gpx.do_refinements()   # calculate pattern
gpx.save()
# save results
gpx.histogram(0).Export('PbSO4data', '.csv', 'hist')  # data
gpx.histogram(0).Export('PbSO4refl', '.csv', 'refl')  # reflections

# beyond the documentation: a plot and a few numbers
gpx.histogram(0).plot('PbSO4sim.png')
x, yc = gpx.histogram(0).getdata('x'), gpx.histogram(0).getdata('ycalc')
print(f"{x.size} points, y_calc max {yc.max():.2f} at 2theta {x[yc.argmax()]:.3f} "
      f"(GSAS-II: 28389.92 at 54.960)")
