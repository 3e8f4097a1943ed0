"""GSAS-II's PythonScript tutorial (PbSO4 X-ray + neutron joint Rietveld refinement), import line changed only.

Reads the tutorial data from ../shared/gsas2-data/PythonScript/data (or $BEAMKIT_SHARED);
exits 0 with a message when absent.  The Rwp of each step is printed (GSAS-II, notes §13.2:
40.88/18.57, 36.72/20.61, 30.72/14.98, 21.53/14.97, 11.16/6.83, 10.57/4.53).
"""
import os
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
datadir = str(shared / "gsas2-data" / "PythonScript" / "data")
if not os.path.exists(os.path.join(datadir, "PBSO4.XRA")):
    print(f"skipping: tutorial data not found in {datadir}")
    sys.exit(0)
workdir = "."


def HistStats(gpx):
    '''prints profile rfactors for all histograms'''
    print(u"*** profile Rwp, " + os.path.split(gpx.filename)[1])
    for hist in gpx.histograms():
        print("\t{:20s}: {:.2f}".format(hist.name, hist.get_wR()))
    print("")
    gpx.save()


# create a project with a default project name
gpx = G2sc.G2Project(newgpx=os.path.join(workdir, 'PbSO4.gpx'))

# setup step 1: add two histograms to the project
hist1 = gpx.add_powder_histogram(os.path.join(datadir, "PBSO4.XRA"),
                                 os.path.join(datadir, "INST_XRY.PRM"), fmthint='GSAS powder')
hist2 = gpx.add_powder_histogram(os.path.join(datadir, "PBSO4.CWN"),
                                 os.path.join(datadir, "inst_d1a.prm"), fmthint='GSAS powder')
# setup step 2: add a phase and link it to the previous histograms
phase0 = gpx.add_phase(os.path.join(datadir, "PbSO4-Wyckoff.cif"),
                       phasename="PbSO4", histograms=[hist1, hist2])

# not in tutorial: increase # of cycles to improve convergence
gpx.data['Controls']['data']['max cyc'] = 8  # not in API
hist2.data['Sample Parameters']['Gonio. radius'] = 650.  # not in API

# tutorial step 4: turn on background refinement (Hist)
refdict0 = {"set": {"Background": {"no. coeffs": 3, "refine": True}}}
gpx.save(os.path.join(workdir, 'step4.gpx'))
gpx.do_refinements([refdict0])
HistStats(gpx)

# tutorial step 5: add unit cell refinement (Phase)
gpx.save(os.path.join(workdir, 'step5.gpx'))
refdict1 = {"set": {"Cell": True}}  # set the cell flag (for all phases)
gpx.set_refinement(refdict1)
gpx.do_refinements([{}])
HistStats(gpx)

# tutorial step 6: add Dij terms (HAP) for phase 1 only, X-ray histogram
gpx.save(os.path.join(workdir, 'step6.gpx'))
refdict2 = {"set": {"HStrain": True}}  # set HAP parameters
gpx.set_refinement(refdict2, phase=phase0, histogram=[hist1])
gpx.refine()  # or gpx.do_refinements([{}])
HistStats(gpx)

# tutorial step 7: add size & strain (HAP) for histogram 1 only
gpx.save(os.path.join(workdir, 'step7.gpx'))
refdict3 = {"set": {"Mustrain": {"type": "isotropic", "refine": True},
                    "Size": {"type": "isotropic", "refine": True},
                    }}
gpx.set_refinement(refdict3, histogram=[hist1])
gpx.do_refinements([{}])  # or gpx.refine()
HistStats(gpx)

# tutorial step 8: add sample parameters & set radius (Hist); refine atom parameters (phase)
gpx.save(os.path.join(workdir, 'step8.gpx'))
hist1.set_refinements({'Sample Parameters': ['Shift']})
hist2.set_refinements({'Sample Parameters': ['DisplaceX', 'DisplaceY']})
phase0.set_refinements({"Atoms": {"all": "XU"}})
gpx.do_refinements([{}])
HistStats(gpx)

# tutorial step 9: change data limits & inst. parm refinements (Hist)
gpx.save(os.path.join(workdir, 'step9.gpx'))
hist1.set_refinements({'Limits': [16., 158.4]})
hist2.set_refinements({'Limits': [19., 153.]})
gpx.do_refinements([{"set": {'Instrument Parameters': ['U', 'V', 'W']}}])
HistStats(gpx)
