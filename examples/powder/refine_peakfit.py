"""GSAS-II's peak-fitting documentation example on FAP.XRA, import line changed only.

Reads LabData/data from ../shared/gsas2-data (or $BEAMKIT_SHARED); exits 0 with a message
when absent.  GSAS-II's final positions are 16.8141, 18.8649, 21.8303, 22.8845 (notes §13.4).
"""
from __future__ import division, print_function

import os
import sys
from pathlib import Path

import beamkit.powder as G2sc

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
datadir = str(shared / "gsas2-data" / "LabData" / "data")
if not os.path.exists(os.path.join(datadir, "FAP.XRA")):
    print(f"skipping: tutorial data not found in {datadir}")
    sys.exit(0)
PathWrap = lambda fil: os.path.join(datadir, fil)  # noqa: E731 - as in the documentation
gpx = G2sc.G2Project(newgpx='pkfit.gpx')
hist = gpx.add_powder_histogram(PathWrap('FAP.XRA'), PathWrap('INST_XRY.PRM'),
                                fmthint='GSAS powder')
hist.set_refinements({'Limits': [16., 24.],
                      'Background': {"no. coeffs": 2, 'type': 'chebyschev-1', 'refine': True}
                      })
peak1 = hist.add_peak(1, ttheta=16.8)
peak2 = hist.add_peak(1, ttheta=18.9)
peak3 = hist.add_peak(1, ttheta=21.8)
peak4 = hist.add_peak(1, ttheta=22.9)
hist.set_peakFlags(area=True)
hist.refine_peaks()
hist.set_peakFlags(area=True, pos=True)
hist.refine_peaks()
hist.set_peakFlags(area=True, pos=True, sig=True, gam=True)
res = hist.refine_peaks()
print('peak positions: ', [i[0] for i in hist.PeakList])
for i in range(len(hist.Peaks['peaks'])):
    print('peak', i, 'pos=', hist.Peaks['peaks'][i][0], 'sig=', hist.Peaks['sigDict']['pos' + str(i)])
hist.Export_peaks('pkfit.txt')
# gpx.save()  # gpx file is not written without this
print('Rwp = {:.4f} %'.format(res['Rwp']))
