"""Offline analysis of a real Imspector .msr file, as in Abberior's SpecPy data-analysis example.

Reads ../shared/specpy-data/imspectordocs/data_analysis_example.msr (or $BEAMKIT_SHARED/...),
prints mean and standard deviation of every stack, then of the values >= 410.
Only the import line differs from a SpecPy script.
"""
import os
import sys
from pathlib import Path

import numpy as np

from beamkit.microscope import File

shared = Path(os.environ.get("BEAMKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
path = shared / "specpy-data" / "imspectordocs" / "data_analysis_example.msr"
if not path.exists():
    print(f"{path} not found; this example needs the shared reference folder. Skipping.")
    sys.exit(0)

f = File(str(path), File.Read)
for i in range(f.number_of_stacks()):
    stack = f.read(i)
    data = stack.data()
    print(f"{stack.name()!r}: shape {stack.shape()} mean {data.mean():.4f} std {data.std():.4f}")
    masked = np.ma.masked_less(data, 410)
    print(f"    values >= 410: mean {masked.mean():.4f} std {masked.std():.4f}")
del f
