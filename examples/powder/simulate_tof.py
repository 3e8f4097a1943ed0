"""Pattern simulation (TOF neutrons, bank 2 of a POWGEN instrument file), the documentation example.

The instrument file of the documentation is not in ../shared; its bank-2 values (notes §13.3)
are written to POWGEN_1066.instprm here first.  Reads PbSO4-Wyckoff.cif from the GSAS-II
tutorial data; exits 0 with a message when that is absent.
"""
import os
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
cifdir = shared / "gsas2-data" / "PythonScript" / "data"
if not (cifdir / "PbSO4-Wyckoff.cif").exists():
    print(f"skipping: tutorial data not found in {cifdir}")
    sys.exit(0)
datadir = "."
Path(datadir, "POWGEN_1066.instprm").write_text("""#GSAS-II instrument parameter file; do not add/delete items!
#Bank 1: placeholder
Type:PNT
Bank:1.0
fltPath:60.0
2-theta:150.0
difC:10000.0
#Bank 2: POWGEN 1066, bank 2
Type:PNT;Bank:2.0;fltPath:63.183;2-theta:90.0
difC:22600.2479192;difA:-0.900917699636;difB:2.62346571719;Zero:-8.51764244829
alpha:0.132504624416;beta-0:0.111601941165;beta-1:0.00272732086125;beta-q:0.0
sig-0:56.0319014702;sig-1:-167.421847539;sig-2:281.385521422;sig-q:-3.72970085651
X:0.0;Y:0.0;Z:0.0;Azimuth:0.0
""")

# --- the documentation's script, import line changed ---
gpx = G2sc.G2Project(newgpx='PbSO4simT.gpx')  # create a project
phase0 = gpx.add_phase(os.path.join(cifdir, "PbSO4-Wyckoff.cif"),
                       phasename="PbSO4", fmthint='CIF')  # add a phase to the project
hist1 = gpx.add_simulated_powder_histogram("PbSO4 simulation",
                                           os.path.join(datadir, "POWGEN_1066.instprm"), 14., 35.,
                                           phases=gpx.phases(), ibank=2)
gpx.do_refinements([{}])
gpx.save()

x, yc = hist1.getdata('x'), hist1.getdata('ycalc')
print(f"{x.size} points {x[0]:.3f}-{x[-1]:.3f} µs, y_calc max {yc.max():.2f} at {x[yc.argmax()]:.2f} µs "
      f"(GSAS-II: 2858.14 at 27585.65)")
