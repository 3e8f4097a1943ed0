"""Pixel → mm → reciprocal-space mapping of reflection centroids, and d-spacings.

Loops run over experiments and panels only (vectorised over reflections).
Units: x, y in px or mm; z in frames or radians; s1 and rlp in Å⁻¹; d in Å.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .models import rotation_matrix

__all__ = ["d_spacings", "centroid_px_to_mm", "map_to_reciprocal_space"]


def _groups(ids, experiments):
    ids = np.asarray(ids)
    for j, e in enumerate(experiments):
        sel = np.flatnonzero(ids == j)
        if sel.size:
            yield j, e, sel


def d_spacings(hkl, ids, experiments) -> np.ndarray:
    """d = 1/|A·h| (Å) per row; rows without a crystal (id -1) or with h = 0 give 0."""
    hkl = np.asarray(hkl, np.float64)
    d = np.zeros(hkl.shape[0])
    for _, e, sel in _groups(ids, experiments):
        if e.crystal is None:
            raise ParameterError("experiment.crystal", "a crystal to compute d", None)
        r = np.linalg.norm(hkl[sel] @ e.crystal.get_A().T, axis=1)
        d[sel] = np.where(r > 0, 1.0 / np.where(r > 0, r, 1), 0.0)
    return d


def centroid_px_to_mm(t, experiments):
    """(xyzobs.mm.value, xyzobs.mm.variance) from the px centroids (simple px→mm, no parallax)."""
    v = np.asarray(t["xyzobs.px.value"], np.float64)
    var = np.asarray(t["xyzobs.px.variance"], np.float64)
    panel = np.asarray(t["panel"]) if "panel" in t else np.zeros(v.shape[0], int)
    out, outv = np.zeros_like(v), np.zeros_like(var)
    for _, e, sel in _groups(t["id"], experiments):
        for p in np.unique(panel[sel]):
            s = sel[panel[sel] == p]
            px = np.asarray(e.detector[int(p)].get_pixel_size())
            out[s, :2] = v[s, :2] * px
            outv[s, :2] = var[s, :2] * px ** 2
        if e.scan is not None and e.scan.get_oscillation()[1] != 0:
            width = np.deg2rad(e.scan.get_oscillation()[1])
            out[sel, 2] = e.scan.get_angle_from_array_index(v[sel, 2], deg=False)
            outv[sel, 2] = var[sel, 2] * width ** 2
    return out, outv


def map_to_reciprocal_space(t, experiments):
    """(s1, rlp): diffracted-beam vectors (|s1| = 1/λ) and reciprocal-lattice points in the crystal frame.

    rlp = F⁻¹ · R(−φ) · S⁻¹ · (s1 − s0) for a rotation experiment, s1 − s0 for stills.
    """
    mm = np.asarray(t["xyzobs.mm.value"], np.float64)
    panel = np.asarray(t["panel"]) if "panel" in t else np.zeros(mm.shape[0], int)
    s1 = np.zeros_like(mm)
    rlp = np.zeros_like(mm)
    for _, e, sel in _groups(t["id"], experiments):
        s0 = e.beam.get_s0()
        wl = e.beam.get_wavelength()
        for p in np.unique(panel[sel]):
            s = sel[panel[sel] == p]
            lab = e.detector[int(p)].get_lab_coord(mm[s, :2])
            s1[s] = lab / np.linalg.norm(lab, axis=1, keepdims=True) / wl
        q = s1[sel] - s0
        g = e.goniometer
        if g is not None and e.scan is not None:
            R = rotation_matrix(g.get_rotation_axis(), -mm[sel, 2])  # (n, 3, 3)
            q = q @ np.linalg.inv(g.get_setting_rotation()).T
            q = np.einsum("nij,nj->ni", R, q)
            q = q @ np.linalg.inv(g.get_fixed_rotation()).T
        rlp[sel] = q
    return s1, rlp
