"""GSAS-II image masks: ``.immask`` files and their conversion to boolean pixel masks.

A Masks dict holds ``Points`` ([x, y, diameter] mm), ``Rings`` ([2θ, thickness] deg),
``Arcs`` ([2θ, [azm0, azm1], thickness]), ``Polygons`` (lists of [x, y] mm),
``Frames`` (one polygon; everything outside it is masked), ``Thresholds``
([[min, max], [lo, hi]] counts), ``Xlines``/``Ylines`` (pixel rows/columns) and
``SpotMask`` ({'esdMul', 'spotMask'}).  True in a boolean mask means "masked".
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..errors import FormatError, ParameterError
from .controls import read_key_value_file

__all__ = ["default_masks", "read_immask", "write_immask", "position_mask", "frame_mask",
           "angular_mask", "threshold_mask", "check_masks"]

MASK_KEYS = ("Points", "Rings", "Arcs", "Polygons", "Frames", "Thresholds", "Xlines", "Ylines", "SpotMask")


def default_masks(image=None) -> dict:
    """An empty Masks dict; thresholds span the image's range when ``image`` is given."""
    lo, hi = (0, 0) if image is None else (int(np.min(image)), int(np.max(image)))
    return {"Points": [], "Rings": [], "Arcs": [], "Polygons": [], "Frames": [],
            "Thresholds": [(lo, hi), [lo, hi]], "Xlines": [], "Ylines": [],
            "SpotMask": {"esdMul": 3.0, "spotMask": None}}


def check_masks(masks: dict, where="Masks") -> dict:
    """Validate the shapes of a Masks dict; raises ParameterError naming the bad entry."""
    issues = []
    for key in masks:
        if key not in MASK_KEYS:
            issues.append(ParameterError(f"{where}.{key}", f"one of {MASK_KEYS}", key).issues[0])
    def bad(path, exp, got):
        issues.append(ParameterError(path, exp, got).issues[0])
    for i, p in enumerate(masks.get("Points", []) or []):
        if len(p) != 3:
            bad(f"{where}.Points[{i}]", "[x, y, diameter] in mm", p)
    for i, r in enumerate(masks.get("Rings", []) or []):
        if len(r) != 2:
            bad(f"{where}.Rings[{i}]", "[2theta, thickness] in deg", r)
    for i, a in enumerate(masks.get("Arcs", []) or []):
        if len(a) != 3 or len(a[1]) != 2:
            bad(f"{where}.Arcs[{i}]", "[2theta, [azm0, azm1], thickness]", a)
    for i, poly in enumerate(masks.get("Polygons", []) or []):
        if len(poly) < 3 or any(len(v) != 2 for v in poly):
            bad(f"{where}.Polygons[{i}]", "a list of >= 3 [x, y] points in mm", poly)
    fr = masks.get("Frames", []) or []
    if fr and (len(fr) < 3 or any(len(v) != 2 for v in fr)):
        bad(f"{where}.Frames", "a list of >= 3 [x, y] points in mm", fr)
    th = masks.get("Thresholds")
    if th is not None and (len(th) != 2 or len(th[1]) != 2):
        bad(f"{where}.Thresholds", "[[min, max], [lo, hi]]", th)
    if issues:
        raise ParameterError(issues)
    return masks


def read_immask(path) -> dict:
    """Read an ``.immask`` file into a Masks dict (missing keys get empty defaults)."""
    p = Path(path)
    vals = read_key_value_file(p, "mask")
    out = default_masks()
    for k, v in vals.items():
        if k not in MASK_KEYS:
            raise FormatError(f"unknown mask key {k!r}", path=p, expected=f"one of {MASK_KEYS}", got=k)
        out[k] = v
    try:
        check_masks(out, where=p.name)
    except ParameterError as exc:
        raise FormatError(str(exc), path=p, expected="GSAS-II mask entries") from None
    return out


def write_immask(path, masks: dict) -> None:
    """Write a Masks dict as an ``.immask`` file (atomic)."""
    lines = []
    for key in MASK_KEYS:
        if key in masks:
            val = copy.deepcopy(masks[key])
            if key == "SpotMask" and isinstance(val, dict):
                val = {"esdMul": val.get("esdMul", 3.0), "spotMask": None}
            lines.append(f"{key}:{val!r}")
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _centres(shape, pixel_size_um):
    ny, nx = shape
    px, py = pixel_size_um[0] / 1000.0, pixel_size_um[1] / 1000.0
    return (np.arange(nx) + 0.5) * px, (np.arange(ny) + 0.5) * py


def _poly_inside(poly, shape, pixel_size_um) -> np.ndarray:
    """Pixels whose centres lie inside polygon ``poly`` ([x, y] mm); bounding box first."""
    from matplotlib.path import Path as MPath

    xs, ys = _centres(shape, pixel_size_um)
    v = np.asarray(poly, dtype=float)
    out = np.zeros(shape, dtype=bool)
    jx = np.nonzero((xs >= v[:, 0].min()) & (xs <= v[:, 0].max()))[0]
    iy = np.nonzero((ys >= v[:, 1].min()) & (ys <= v[:, 1].max()))[0]
    if not len(jx) or not len(iy):
        return out
    gx, gy = np.meshgrid(xs[jx], ys[iy])
    inside = MPath(v).contains_points(np.column_stack([gx.ravel(), gy.ravel()]))
    out[iy[0]:iy[-1] + 1, jx[0]:jx[-1] + 1] = inside.reshape(gx.shape)
    return out


def frame_mask(masks: dict, shape, pixel_size_um) -> np.ndarray:
    """Pixels outside the Frame polygon (all False when there is no frame)."""
    fr = masks.get("Frames") or []
    if not fr:
        return np.zeros(shape, dtype=bool)
    return ~_poly_inside(fr, shape, pixel_size_um)


def position_mask(masks: dict, shape, pixel_size_um) -> np.ndarray:
    """Mask from the geometry-free entries: Frames, Polygons, Points, Xlines, Ylines."""
    m = frame_mask(masks, shape, pixel_size_um)
    for poly in masks.get("Polygons") or []:
        m |= _poly_inside(poly, shape, pixel_size_um)
    pts = np.asarray(masks.get("Points") or [], dtype=float).reshape(-1, 3)
    if len(pts):
        xs, ys = _centres(shape, pixel_size_um)
        px = pixel_size_um[0] / 1000.0
        for x0, y0, diam in pts:        # a handful of spots; each touches a small box only
            r = diam / 2.0
            j0, j1 = max(int((x0 - r) / px) - 1, 0), min(int((x0 + r) / px) + 2, shape[1])
            i0, i1 = max(int((y0 - r) / (pixel_size_um[1] / 1000.0)) - 1, 0), \
                min(int((y0 + r) / (pixel_size_um[1] / 1000.0)) + 2, shape[0])
            if j0 < j1 and i0 < i1:
                m[i0:i1, j0:j1] |= ((xs[None, j0:j1] - x0) ** 2 + (ys[i0:i1, None] - y0) ** 2) <= r * r
    for row in masks.get("Xlines") or []:
        if 0 <= int(row) < shape[0]:
            m[int(row), :] = True
    for col in masks.get("Ylines") or []:
        if 0 <= int(col) < shape[1]:
            m[:, int(col)] = True
    return m


def angular_mask(masks: dict, tth: np.ndarray, azm: np.ndarray) -> np.ndarray:
    """Mask from Rings and Arcs given per-pixel 2θ and azimuth (deg)."""
    m = np.zeros(tth.shape, dtype=bool)
    for t, thick in masks.get("Rings") or []:
        m |= (tth > max(0.01, t - thick / 2.0)) & (tth < t + thick / 2.0)
    for t, (a0, a1), thick in masks.get("Arcs") or []:
        m |= (tth > max(0.01, t - thick / 2.0)) & (tth < t + thick / 2.0) & (azm > a0) & (azm < a1)
    return m


def threshold_mask(masks: dict, image: np.ndarray) -> np.ndarray:
    """Pixels outside the Thresholds [lo, hi] window (none when the window is empty)."""
    th = masks.get("Thresholds")
    if not th:
        return np.zeros(image.shape, dtype=bool)
    lo, hi = th[1]
    if hi <= lo:
        return np.zeros(image.shape, dtype=bool)
    return (image < lo) | (image > hi)
