"""Detector geometry: GSAS-II's (distance, center, tilt, rotation, DetDepth) and pyFAI's PONI.

GSAS-II describes a flat detector by the beam centre on the detector
(``center``, mm, measured from the image corner along columns = x and rows = y),
the sample-to-detector distance measured along the detector normal
(``distance``, mm), a tilt (deg) about an in-plane axis that is itself turned by
``rotation`` (deg) about the beam, and an empirical penetration coefficient
``DetDepth``.  A pixel (x, y) in mm goes to the laboratory by

    lab = M @ (x - cx, y - cy, 0) + (0, 0, distance / cos(tilt)),
    M = Rz(rotation) @ Rx(tilt) @ Rz(rotation).T

and 2θ is the angle between ``lab`` and the beam (z).  pyFAI writes the same
rigid transform as ``R(rot1, rot2, rot3) @ (d1 - poni1, d2 - poni2, L)`` with d1
along rows and d2 along columns (metres), so the conversion is exact when
DetDepth is 0 (pyFAI has no equivalent of GSAS-II's penetration term).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = [
    "rot_x", "rot_z", "detector_matrix", "penetration", "pixel_xy_mm", "tth_azm_g",
    "gsas_to_poni", "poni_to_gsas", "polarization", "make_integrator",
]

_SWAP = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def rot_x(angle_deg: float) -> np.ndarray:
    """Right-handed rotation about x by ``angle_deg`` degrees."""
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_z(angle_deg: float) -> np.ndarray:
    """Right-handed rotation about z (the beam) by ``angle_deg`` degrees."""
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def detector_matrix(tilt: float, rotation: float) -> np.ndarray:
    """Detector-to-lab rotation: tilt (deg) about an axis turned by ``rotation`` (deg) about z."""
    rz = rot_z(rotation)
    return rz @ rot_x(tilt) @ rz.T


def penetration(angle_deg, depth: float, dist: float):
    """GSAS-II's empirical penetration shift (mm) along z for ray/normal angle ``angle_deg``."""
    return depth * (1.0 - np.cos(np.radians(angle_deg))) ** 2 * dist ** 2 / 1000.0


def pixel_xy_mm(shape, pixel_size_um) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (x along columns, y along rows) in mm, each of ``shape``."""
    ny, nx = int(shape[0]), int(shape[1])
    px, py = float(pixel_size_um[0]) / 1000.0, float(pixel_size_um[1]) / 1000.0
    x = (np.arange(nx) + 0.5) * px
    y = (np.arange(ny) + 0.5) * py
    return np.broadcast_to(x[None, :], (ny, nx)), np.broadcast_to(y[:, None], (ny, nx))


def _lab(x, y, c: dict):
    """Laboratory vectors (mm) of detector points (x, y) in mm, penetration included."""
    cx, cy = c["center"]
    tilt, dist = float(c["tilt"]), float(c["distance"])
    m = detector_matrix(tilt, float(c["rotation"]))
    dx = np.asarray(x, dtype=np.float64) - cx
    dy = np.asarray(y, dtype=np.float64) - cy
    lx = m[0, 0] * dx + m[0, 1] * dy
    ly = m[1, 0] * dx + m[1, 1] * dy
    lz = m[2, 0] * dx + m[2, 1] * dy + dist / np.cos(np.radians(tilt))
    normal = m[:, 2]
    r = np.sqrt(lx * lx + ly * ly + lz * lz)
    cos_n = (lx * normal[0] + ly * normal[1] + lz * normal[2]) / r   # ray vs detector normal
    dep = float(c.get("DetDepth", 0.0) or 0.0)
    if dep:
        lz = lz + penetration(np.degrees(np.arccos(np.clip(cos_n, -1, 1))), dep, dist)
    return lx, ly, lz, cos_n


def tth_azm_g(x, y, c: dict):
    """2θ (deg), azimuth (deg, 0-360, with ``azmthOff``) and GSAS-II's geometric factor G (m²).

    G = |lab|² / cos(ray, normal) × 1e-6: the per-pixel multiplier GSAS-II uses to
    undo the solid angle (distance² and obliquity).
    """
    lx, ly, lz, cos_n = _lab(x, y, c)
    rho = np.hypot(lx, ly)
    tth = np.degrees(np.arctan2(rho, lz))
    azm = (np.degrees(np.arctan2(ly, lx)) + float(c.get("azmthOff", 0.0)) + 720.0) % 360.0
    g = (lx * lx + ly * ly + lz * lz) / cos_n * 1e-6
    return tth, azm, g


def polarization(pola: float, tth, azm=0.0):
    """GSAS-II's polarization factor for coefficient ``pola`` (0.5 unpolarized), 2θ and azimuth in deg."""
    c2 = np.cos(np.radians(azm)) ** 2
    s2 = 1.0 - c2
    ct = np.cos(np.radians(tth)) ** 2
    return ((1.0 - pola) * c2 + pola * s2) * ct + (1.0 - pola) * s2 + pola * c2


def gsas_to_poni(c: dict) -> dict:
    """pyFAI geometry (SI units, radians) equal to GSAS-II controls ``c`` (DetDepth must be 0).

    Returns dist, poni1, poni2 (m), rot1, rot2, rot3 (rad), wavelength (m), pixel1, pixel2 (m).
    """
    if float(c.get("DetDepth", 0.0) or 0.0) != 0.0:
        raise ParameterError("DetDepth", "0 for an exact pyFAI geometry", c.get("DetDepth"))
    tilt = float(c["tilt"])
    r = _SWAP @ detector_matrix(tilt, float(c["rotation"])) @ _SWAP
    big_d = float(c["distance"]) / np.cos(np.radians(tilt))
    cx, cy = (float(v) for v in c["center"])
    rot2 = np.arcsin(np.clip(r[2, 0], -1.0, 1.0))
    rot1 = np.arctan2(-r[2, 1], r[2, 2])
    rot3 = np.arctan2(r[1, 0], r[0, 0])
    px, py = (float(v) for v in c.get("pixelSize", (100.0, 100.0)))
    return {
        "dist": big_d * r[2, 2] / 1000.0,
        "poni1": (cy - big_d * r[2, 0]) / 1000.0,
        "poni2": (cx - big_d * r[2, 1]) / 1000.0,
        "rot1": float(rot1), "rot2": float(rot2), "rot3": float(rot3),
        "wavelength": float(c["wavelength"]) * 1e-10,
        "pixel1": py * 1e-6, "pixel2": px * 1e-6,
    }


def _pyfai_matrix(rot1, rot2, rot3):
    c1, s1 = np.cos(rot1), np.sin(rot1)
    c2, s2 = np.cos(rot2), np.sin(rot2)
    c3, s3 = np.cos(rot3), np.sin(rot3)
    r1 = np.array([[1.0, 0.0, 0.0], [0.0, c1, s1], [0.0, -s1, c1]])
    r2 = np.array([[c2, 0.0, -s2], [0.0, 1.0, 0.0], [s2, 0.0, c2]])
    r3 = np.array([[c3, -s3, 0.0], [s3, c3, 0.0], [0.0, 0.0, 1.0]])
    return r3 @ r2 @ r1


def poni_to_gsas(dist, poni1, poni2, rot1, rot2, rot3, wavelength=None, atol=1e-9) -> dict:
    """GSAS-II controls (distance, center, tilt, rotation [, wavelength]) equal to a pyFAI PONI.

    Raises ParameterError when the PONI has an in-plane twist GSAS-II cannot express.
    """
    r = _pyfai_matrix(rot1, rot2, rot3)
    m = _SWAP @ r @ _SWAP
    tilt = float(np.degrees(np.arccos(np.clip(m[2, 2], -1.0, 1.0))))
    # third column of M is Rz(rot) @ (0, -sin t, cos t): (sin t sin rot, -sin t cos rot, cos t)
    rotation = float(np.degrees(np.arctan2(m[0, 2], -m[1, 2]))) % 360.0 if tilt > 1e-12 else 0.0
    if not np.allclose(detector_matrix(tilt, rotation), m, atol=atol):
        raise ParameterError("rot3", "a PONI whose in-plane rotation matches a GSAS-II tilt/rotation",
                             (rot1, rot2, rot3))
    big_d = dist * 1000.0 / m[2, 2]
    out = {
        "distance": float(dist * 1000.0),
        "center": [float(poni2 * 1000.0 + big_d * r[2, 1]), float(poni1 * 1000.0 + big_d * r[2, 0])],
        "tilt": tilt, "rotation": rotation, "DetDepth": 0.0,
    }
    if wavelength is not None:
        out["wavelength"] = float(wavelength) * 1e10
    return out


def make_integrator(c: dict, shape):
    """A pyFAI AzimuthalIntegrator for controls ``c`` and an image of ``shape`` (rows, cols)."""
    from pyFAI.detectors import Detector
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    p = gsas_to_poni(c)
    det = Detector(pixel1=p["pixel1"], pixel2=p["pixel2"], max_shape=tuple(int(s) for s in shape))
    return AzimuthalIntegrator(dist=p["dist"], poni1=p["poni1"], poni2=p["poni2"], rot1=p["rot1"],
                               rot2=p["rot2"], rot3=p["rot3"], wavelength=p["wavelength"], detector=det)
