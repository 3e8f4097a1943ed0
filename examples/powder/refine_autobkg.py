"""GSAS-II's auto-background documentation example (AutoBkg data), import line changed only.

Reads the five test_RampDown-*.xye files and testData.instprm from ../shared/gsas2-data
(or $BEAMKIT_SHARED); exits 0 with a message when absent.  The fits of the broad background
peaks take about 45 s per file at present, so by default only calc_autobkg runs for every
file; set BEAMKIT_EXAMPLE_FULL=1 for the whole recipe (GSAS-II's results: notes §13.8).
"""
import glob
import os
import shutil
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
src = shared / "gsas2-data" / "AutoBkg" / "data"
if not (src / "testData.instprm").exists():
    print(f"skipping: AutoBkg data not found in {src}")
    sys.exit(0)
full = os.environ.get("BEAMKIT_EXAMPLE_FULL") == "1"
workdir = os.path.abspath("autobkg_data")
os.makedirs(workdir, exist_ok=True)
for f in list(src.glob("test_RampDown-*.xye")) + [src / "testData.instprm"]:
    shutil.copy(f, workdir)

PathWrap = lambda fil: os.path.join(workdir, fil)  # noqa: E731 - as in the documentation
gpx = G2sc.G2Project(newgpx=PathWrap('autobkg.gpx'))
for i in sorted(glob.glob(PathWrap('test_RampDown-*.xye'))):
    hist = gpx.add_powder_histogram(i, PathWrap('testData.instprm'))
for hist in gpx.histograms('PWDR'):
    hist.calc_autobkg(logLam=3.5)
    print(hist.name, 'fixed points:', len(hist.data['Background'][1]['FixedPoints']))
    if not full:
        continue
    hist.set_refinements({"Background": {"no. coeffs": 3, "refine": True}})
    for pk in [2.4, 3.1, 4.75]:
        hist.add_back_peak(pk, 1000, 1000, 0, [False, True, False, False])
    hist.fit_fixed_points()
    for i in [0, 1, 2]:
        hist.ref_back_peak(i, [False, True, True, False])
    hist.fit_fixed_points()
    hist.ref_back_peak(2, [True, True, True, False])
    hist.fit_fixed_points()
    hist.set_refinements({"Background": {"no. coeffs": 6, "refine": True}})
    hist.fit_fixed_points()
    print('  chebyschev:', [round(c, 3) for c in hist.data['Background'][0][3:]])
    gpx.save()
gpx.save()
