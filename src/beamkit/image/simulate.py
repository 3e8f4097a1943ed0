"""Simulated calibrant images: pyFAI's calibrant rings drawn at a GSAS-II geometry."""
from __future__ import annotations

import numpy as np

from . import calibrants as cal, controls as C, geometry

__all__ = ["simulate_calibrant", "demo_controls"]


def demo_controls(**over) -> dict:
    """A small detector (512², 200 µm pixels) at 250 mm with a tilt: the demo's true geometry."""
    c = C.default_controls()
    c.update({"wavelength": 0.2, "distance": 250.0, "setdist": 250.0, "center": [49.3, 52.1], "tilt": 2.5,
              "rotation": 35.0, "pixelSize": [200.0, 200.0], "size": [512, 512], "calibrant": "LaB6  SRM660c",
              "calibdmin": 1.0, "IOtth": [2.0, 15.0], "outChannels": 1000, "pixLimit": 2, "cutoff": 3.0,
              "PolaVal": [0.99, False]})
    c.update(over)
    return C.apply_controls(c, {})


def simulate_calibrant(controls: dict, shape=None, peak: float = 2000.0, background: float = 20.0,
                       width: float = 3e-6, noise: bool = True, seed: int = 0) -> np.ndarray:
    """Counts of a calibrant image at ``controls``' geometry (pyFAI's fake_calibration_image).

    width: pyFAI's Caglioti W (rad²); background and Poisson noise are added (seeded).
    """
    from pyFAI.calibrant import get_calibrant

    shape = tuple(shape or (controls["size"][1], controls["size"][0]))
    name = cal.resolve(controls["calibrant"])
    pyfai_name = cal.CALIBRANTS[name][0]
    if pyfai_name is None:
        raise ValueError(f"no pyFAI calibrant for {name!r}")
    calibrant = get_calibrant(pyfai_name)
    calibrant.wavelength = float(controls["wavelength"]) * 1e-10
    ai = geometry.make_integrator(controls, shape)
    try:
        from pyFAI.crystallography.resolution import Caglioti
        img = calibrant.fake_calibration_image(ai, shape=shape, Imax=peak, Imin=0.0,
                                               resolution=Caglioti(0.0, 0.0, width))
    except ImportError:  # older pyFAI
        img = calibrant.fake_calibration_image(ai, shape=shape, Imax=peak, Imin=0.0, W=width)
    img = np.asarray(img, dtype=np.float64) + background
    if noise:
        img = np.random.default_rng(seed).poisson(img).astype(np.float64)
    return img
