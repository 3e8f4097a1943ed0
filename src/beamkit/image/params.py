"""Settings of the image face on the parameter tree: batch integration and folder watching.

``beamkit image integrate --config batch.yaml`` reads them (validated: every bad
entry is listed at once); command-line options override the file.  The image
geometry itself stays in GSAS-II's Image Controls (``.imctrl``), as GSAS-II keeps it.
"""
from __future__ import annotations

from ..core.params import DescriptorTree, Param

__all__ = ["TREE", "batch_settings"]

TREE = DescriptorTree("image")
TREE.declare("integrate", help="Integration of many images with one calibration")
TREE.declare("integrate.processes", type=["int", "None"], default=None, lowlim=1,
             help="Local worker processes (None: all cores; 1: serial in this process)")
TREE.declare("integrate.scheduler", type=["str", "None"], default=None,
             help="Dask scheduler address (tcp://host:8786) to run on a cluster instead")
TREE.declare("integrate.pixel_mask", type=["float", "None"], default=None, lowlim=0.0,
             help="Mask ring outliers beyond this many median absolute deviations first (GSAS-II esdMul)")
TREE.declare("integrate.engine", type="str", default="auto", choices=["auto", "pyfai", "numpy"],
             help="Integration engine: pyFAI, the exact numpy engine, or auto",
             doc="auto uses pyFAI unless the controls need what only the numpy engine models "
                 "(penetration depth DetDepth != 0).")
TREE.declare("integrate.fmthint", type=["str", "None"], default=None,
             help="Image format hint such as MAR or TIF (None: from the file)")
TREE.declare("watch", help="Integrating files as they appear in a folder")
TREE.declare("watch.poll", type="float", default=0.5, lowlim=0.01, help="Seconds between folder scans")
TREE.declare("watch.stable", type="float", default=1.0, lowlim=0.0,
             help="Seconds a file's size must hold still before it is read (without a .metadata file)")
TREE.declare("watch.max_files", type=["int", "None"], default=None, lowlim=1,
             help="Stop after this many files (None: no limit)")
TREE.declare("watch.timeout", type=["float", "None"], default=None, lowlim=0.0,
             help="Stop after this many seconds (None: run until interrupted)")


def batch_settings(config=None, **overrides) -> Param:
    """Resolved settings from an optional YAML/JSON file plus overrides given as ``section__key=value``."""
    p = Param.load(config) if config else Param()
    for key, value in overrides.items():
        if value is None:
            continue
        section, name = key.split("__", 1)
        p.setdefault(section, Param())[name] = value
    return TREE.resolve(p)
