"""Settings of the reflections face on the parameter tree (DIALS phil-style names).

``TREE.resolve(p)`` gives the spot-finding settings with defaults filled;
:func:`find_spots_kwargs` turns them into keyword arguments of
:func:`beamkit.reflections.spotfinder.find_spots`.
"""
from __future__ import annotations

from ..core.params import DescriptorTree, Param
from ..errors import ParameterError

__all__ = ["TREE", "find_spots_kwargs"]

TREE = DescriptorTree("reflections")
_D = "spotfinder.threshold.dispersion."
TREE.declare("spotfinder", help="Spot finding on raw images")
TREE.declare("spotfinder.threshold", help="Which pixels count as strong")
TREE.declare("spotfinder.threshold.algorithm", type="str", default="dispersion_extended",
             choices=["dispersion", "dispersion_extended"], help="Threshold algorithm",
             doc="'dispersion' tests each pixel against the local mean and variance; 'dispersion_extended' "
                 "adds a second pass that grows spots into their faint edges.")
TREE.declare("spotfinder.threshold.dispersion", help="Parameters of the dispersion thresholds")
TREE.declare(_D + "gain", type="float", default=1.0, lowlim=1e-6,
             help="Detector gain (ADU per photon)", doc="Counts are divided by the gain before the statistics.")
TREE.declare(_D + "kernel_size", type="tuple, list", default=(3, 3), lowlim=0,
             help="Half-sizes (slow, fast) of the local window, pixels",
             doc="Two integers; (3, 3) is a 7 x 7 pixel window.")
TREE.declare(_D + "sigma_background", type="float", default=6.0, lowlim=0.0,
             help="Dispersion cut-off for background pixels, in standard deviations")
TREE.declare(_D + "sigma_strong", type="float", default=3.0, lowlim=0.0,
             help="Cut-off above the local mean for strong pixels, in standard deviations")
TREE.declare(_D + "min_local", type="int", default=2, help="Minimum valid pixels in the local window",
             doc="0 or less: the full window must be valid.")
TREE.declare(_D + "global_threshold", type="float", default=0.0, lowlim=0.0,
             help="Pixels at or below this value (counts) are never strong")
TREE.declare("spotfinder.filter", help="Filters applied to the found spots")
TREE.declare("spotfinder.filter.min_spot_size", type="int, None", default=None, lowlim=1,
             help="Smallest spot kept, pixels", doc="None: 3 for pixel-array detectors, 6 otherwise.")
TREE.declare("spotfinder.filter.max_spot_size", type="int", default=1000, lowlim=1,
             help="Largest spot kept, pixels")
TREE.declare("spotfinder.filter.max_separation", type="float", default=2.0, lowlim=0.0,
             help="Largest distance between peak and centroid, pixels")
TREE.declare("spotfinder.mp", help="Parallel processing")
TREE.declare("spotfinder.mp.nproc", type="int", default=1, lowlim=1, help="Number of processes")

# find_spots keyword <- dotted path under spotfinder
_KWARGS = {
    "algorithm": "threshold.algorithm", "gain": "threshold.dispersion.gain",
    "kernel_size": "threshold.dispersion.kernel_size",
    "sigma_background": "threshold.dispersion.sigma_background",
    "sigma_strong": "threshold.dispersion.sigma_strong", "min_local": "threshold.dispersion.min_local",
    "global_threshold": "threshold.dispersion.global_threshold", "min_spot_size": "filter.min_spot_size",
    "max_spot_size": "filter.max_spot_size", "max_separation": "filter.max_separation",
    "nproc": "mp.nproc",
}


def find_spots_kwargs(p=None) -> dict:
    """Keyword arguments of ``find_spots`` from a (partial) reflections parameter tree."""
    r = TREE.resolve(Param() if p is None else p)
    out = {}
    for kw, path in _KWARGS.items():
        v = r.spotfinder
        for part in path.split("."):
            v = v[part]
        out[kw] = v
    ks = out["kernel_size"]
    if len(ks) != 2 or not all(isinstance(k, int) or hasattr(k, "__index__") for k in ks):
        raise ParameterError("spotfinder.threshold.dispersion.kernel_size", "two integers", ks)
    out["kernel_size"] = tuple(int(k) for k in ks)
    return out
