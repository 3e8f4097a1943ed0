"""A small SimScan (32² frames, a 1.2 µm circular probe of 1e6 photons) for the simulation tests."""
import numpy as np

from beamkit.ptycho.data import make_scan
from beamkit.ptycho.utils import Param


def small_simscan(seed, xy, **kw):
    """(scan, its first chunk) after ``np.random.seed(seed)``; ``xy`` the position pattern, ``kw``
    further SimScan settings (nested dicts merge)."""
    p = Param(name="SimScan", shape=32)
    p.xy = Param(xy)
    p.illumination = Param(photons=1e6, aperture=Param(form="circ", size=1.2e-6))
    p.update(kw, in_place_depth=9)
    np.random.seed(seed)
    s = make_scan(p)
    s.initialize()
    return s, s.auto(1000)
