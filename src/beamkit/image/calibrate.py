"""Calibration from calibrant rings: ring-point search and least-squares fit of the detector.

The rings of a calibrant are conics on a tilted flat detector.  For a 2θ cone,
distance D along the normal and tilt β, the conic is an ellipse with semi-axes
R1 (major) and R0 (minor) whose centre sits a distance z from the beam centre
along the major axis, which points at azimuth ``rotation - 90``.  (The formulas
follow from Dandelin's spheres, as in GSAS-II.)

Ring points are found as GSAS-II does: walk the predicted ellipse in 1 mm
steps, take the brightest pixel of a 2·pixLimit box at each step, and keep it
when it is ``cutoff`` times brighter than the dimmest pixel of a box twice as
big.  The fit minimises 25·(r_obs − r_calc), the radial miss in mm measured
from the beam centre, over the flagged parameters (dist, det-X, det-Y, tilt,
phi, dep, wave, sag) with scipy's Levenberg–Marquardt.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import leastsq

from ..core.log import get_logger
from ..errors import ParameterError, RefinementError
from . import calibrants as cal, geometry

__all__ = ["conic", "conic_radius", "ring_points", "find_rings", "fit_detector", "recalibrate",
           "multi_distance_fit", "PARAM_NAMES"]

log = get_logger("image.calibrate")
PARAM_NAMES = ("dist", "det-X", "det-Y", "tilt", "phi", "dep", "wave", "sag")


def _conic_terms(tth, tilt, d):
    """Focus offsets and vertex distances of the 2θ cone cut by the tilted plane (mm)."""
    s = np.sin(np.radians(tth))
    cb, tb = np.cos(np.radians(tilt)), np.tan(np.radians(tilt))
    tm = np.tan(np.radians((tth - tilt) / 2.0))
    tp = np.tan(np.radians((tth + tilt) / 2.0))
    f_p = d * tb * s / (cb + s)
    f_m = d * tb * s / (cb - s)
    v_p = d * (tb + (1 + tm) / (1 - tm)) * s / (cb + s)
    v_m = d * (tb + (1 - tp) / (1 + tp)) * s / (cb - s)
    return f_p, f_m, v_p, v_m


def conic(tth, dist, tilt, rotation, center, depth=0.0):
    """Ellipse of the 2θ ring: (centre [x, y] mm, rotation deg, [minor, major, 2θ]) or None (hyperbola)."""
    d = dist + geometry.penetration(tth, depth, dist)
    f_p, f_m, v_p, v_m = _conic_terms(tth, tilt, d)
    if v_p + v_m <= 0.0:
        return None
    major = (v_p + v_m) / 2.0
    minor = np.sqrt((v_p + v_m) ** 2 - (f_p + f_m) ** 2) / 2.0
    z = (f_p - f_m) / 2.0
    phi = np.radians(rotation)
    cent = [center[0] + z * np.sin(phi), center[1] - z * np.cos(phi)]
    return cent, rotation, [minor, major, tth]


def conic_radius(tth, azm, dist, tilt, rotation, depth_shift=0.0):
    """Distance (mm) from the beam centre to the 2θ ring along azimuth ``azm`` (deg, detector frame)."""
    d = dist + depth_shift
    f_p, f_m, v_p, v_m = _conic_terms(tth, tilt, d)
    a = (v_p + v_m) / 2.0                          # major semi-axis
    b2 = a * a - ((f_p + f_m) / 2.0) ** 2         # minor semi-axis squared
    z = (f_p - f_m) / 2.0                          # ellipse centre offset along the major axis
    delta = np.radians(azm - (rotation - 90.0))
    cd, sd = np.cos(delta), np.sin(delta)
    # (r cos δ - z)²/a² + (r sin δ)²/b² = 1, positive root
    qa = b2 * cd * cd + a * a * sd * sd
    disc = np.maximum(qa - z * z * sd * sd, 0.0)
    return (z * b2 * cd + a * np.sqrt(b2) * np.sqrt(disc)) / qa


def _circumference(minor, major):
    s, t = major + minor, major - minor
    h = (t / s) ** 2
    return np.pi * s * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))


def ring_points(image, ellipse, pix_limit: int, cutoff: float, pixel_size_um, dsp: float,
                valid=None) -> np.ndarray:
    """Peak points (x mm, y mm, d) along one predicted ellipse; empty when fewer than 10 are found."""
    cent, rot, (minor, major, _) = ellipse
    ny, nx = image.shape
    sx, sy = 1000.0 / pixel_size_um[0], 1000.0 / pixel_size_um[1]
    n = int(_circumference(minor, major))
    if n < 1:
        return np.zeros((0, 3))
    t = np.radians(360.0 * np.arange(n) / n - rot + 90.0)
    u, v = major * np.cos(t), minor * np.sin(t)
    cp, sp = np.cos(np.radians(rot - 90.0)), np.sin(np.radians(rot - 90.0))
    X = (cp * u - sp * v + cent[0]) * sx
    Y = (sp * u + cp * v + cent[1]) * sy
    inside = (X >= 0) & (X < nx) & (Y >= 0) & (Y < ny)
    xp, yp = X[inside].astype(np.int64), Y[inside].astype(np.int64)
    w = int(pix_limit)
    if w < 1:
        raise ParameterError("pixLimit", "an integer >= 1", pix_limit)
    w2 = 2 * w
    ok = (xp > w2) & (xp < nx - w2) & (yp > w2) & (yp < ny - w2)
    xp, yp = xp[ok], yp[ok]
    img = image if valid is None else np.where(valid, image, 0)
    ok = img[yp, xp] != 0
    xp, yp = xp[ok], yp[ok]
    if not len(xp):
        return np.zeros((0, 3))
    o1 = np.arange(-w, w)
    o2 = np.arange(-w2, w2)
    box = img[yp[:, None, None] + o1[None, :, None], xp[:, None, None] + o1[None, None, :]]
    flat = box.reshape(len(xp), -1)
    k = np.argmax(flat, axis=1)
    zmax = flat[np.arange(len(xp)), k].astype(np.float64)
    big = image if valid is None else np.where(valid, image, np.inf)
    zmin = big[yp[:, None, None] + o2[None, :, None], xp[:, None, None] + o2[None, None, :]]
    zmin = np.maximum(zmin.reshape(len(xp), -1).min(axis=1).astype(np.float64), 0.0001)
    xs = xp + k % w2 - w
    ys = yp + k // w2 - w
    keep = (zmax != 0) & (zmax / zmin > cutoff)
    pts = np.column_stack([(xs[keep] + 0.5) / sx, (ys[keep] + 0.5) / sy])
    if len(pts):
        _, first = np.unique(pts, axis=0, return_index=True)
        pts = pts[np.sort(first)]
    if len(pts) < 10:
        return np.zeros((0, 3))
    return np.column_stack([pts, np.full(len(pts), dsp)])


def find_rings(image, controls: dict, valid=None, cutoff=None, pix_limit=None):
    """Ring points for every calibrant line down to ``calibdmin``: (points[N, 3], ellipses, d list)."""
    c = controls
    if not c.get("calibrant"):
        raise ParameterError("calibrant", "a calibrant name (see setCalibrant())", c.get("calibrant"))
    ds = cal.d_spacings(c["calibrant"], float(c["calibdmin"]))
    ds = ds[int(c.get("calibskip", 0)):]
    wave = float(c["wavelength"])
    cut = float(c["cutoff"] if cutoff is None else cutoff)
    pl = int(c["pixLimit"] if pix_limit is None else pix_limit)
    rings, ellipses = [], []
    for d in ds:                                   # a few dozen calibrant lines at most
        if wave / (2.0 * d) >= 1.0:
            break
        tth = 2.0 * np.degrees(np.arcsin(wave / (2.0 * d)))
        el = conic(tth, float(c["distance"]), float(c["tilt"]), float(c["rotation"]), c["center"],
                   float(c.get("DetDepth", 0.0)))
        if el is None:
            continue
        pts = ring_points(image, el, pl, cut, c["pixelSize"], d, valid)
        if len(pts):
            rings.append(pts)
            ellipses.append(el)
    allp = np.concatenate(rings) if rings else np.zeros((0, 3))
    return allp, ellipses, ds


def _residual(values, names, fixed, pts, keys=None):
    p = dict(fixed)
    p.update(zip(names, values))
    x, y, dsp = pts.T
    if keys is None:
        cx, cy, dist = p["det-X"], p["det-Y"], p["dist"]
    else:
        cx = np.array([p[f"det-X{k}"] for k in keys])
        cy = np.array([p[f"det-Y{k}"] for k in keys])
        dist = np.array([p[f"dist{k}"] for k in keys])
    if p.get("sag", 0.0) and keys is None:
        dist = dist + np.sin(np.pi * x / p["xyLim"][0]) * p["sag"]
    arg = p["wave"] / (2.0 * dsp)
    if np.any(arg >= 1.0) or not np.all(np.isfinite(arg)):
        return np.full(len(x), 1e6)
    tth = 2.0 * np.degrees(np.arcsin(arg))
    shift = geometry.penetration(fixed["_normal_angle"], p["dep"], dist) if p.get("dep", 0.0) else 0.0
    azm = np.degrees(np.arctan2(y - cy, x - cx))
    r_obs = np.hypot(x - cx, y - cy)
    r_calc = conic_radius(tth, azm, dist, p["tilt"], p["phi"], shift)
    return (r_obs - r_calc) * 25.0


def _normal_angle(pts, p, keys=None):
    """Angle (deg) between each point's ray and the detector normal, at the starting geometry."""
    if keys is None:
        c = {"center": [p["det-X"], p["det-Y"]], "distance": p["dist"], "tilt": p["tilt"], "rotation": p["phi"]}
        _, _, _, cos_n = geometry._lab(pts[:, 0], pts[:, 1], c)
        return np.degrees(np.arccos(np.clip(cos_n, -1, 1)))
    out = np.empty(len(pts))
    for k in set(keys):                          # one detector position each
        sel = np.asarray(keys) == k
        c = {"center": [p[f"det-X{k}"], p[f"det-Y{k}"]], "distance": p[f"dist{k}"], "tilt": p["tilt"],
             "rotation": p["phi"]}
        _, _, _, cos_n = geometry._lab(pts[sel, 0], pts[sel, 1], c)
        out[sel] = np.degrees(np.arccos(np.clip(cos_n, -1, 1)))
    return out


def fit_detector(pts, vary, parms: dict, keys=None):
    """Least-squares fit of the ``vary`` names of ``parms`` to ring points.

    Returns (chisq, values dict, esd dict, covariance) with chisq = Σres²/(N − nvar).
    """
    vary = list(vary)
    if len(pts) <= len(vary):
        raise RefinementError(f"{len(pts)} ring points are too few to fit {len(vary)} parameters")
    fixed = dict(parms)
    fixed["_normal_angle"] = _normal_angle(pts, parms, keys)
    p0 = np.array([parms[n] for n in vary], dtype=float)
    if not vary:
        res = _residual(p0, vary, fixed, pts, keys)
        return float(np.sum(res ** 2) / len(pts)), {}, {}, np.zeros((0, 0))
    sol, cov, info, msg, ier = leastsq(_residual, p0, args=(vary, fixed, pts, keys), full_output=True,
                                       ftol=1e-8)
    chisq = float(np.sum(info["fvec"] ** 2) / (len(pts) - len(vary)))
    if cov is None:
        cov = np.full((len(vary), len(vary)), np.nan)
    sig = np.sqrt(np.abs(chisq * np.diag(cov)))
    return chisq, dict(zip(vary, sol.tolist())), dict(zip(vary, sig.tolist())), cov


def _parms(c: dict) -> dict:
    size = c.get("size") or [0, 0]
    return {"dist": float(c["distance"]), "det-X": float(c["center"][0]), "det-Y": float(c["center"][1]),
            "tilt": float(c["tilt"]), "phi": float(c["rotation"]), "wave": float(c["wavelength"]),
            "dep": float(c.get("DetDepth", 0.0)), "sag": float(c.get("sag", 0.0)),
            "xyLim": [max(size[0], 1) * c["pixelSize"][0] / 1000.0, max(size[1], 1) * c["pixelSize"][1] / 1000.0]}


def recalibrate(image, controls: dict, valid=None) -> dict:
    """Find ring points at the current geometry and refit the flagged controls, in place.

    Returns {'chisq', 'npts', 'values', 'esds', 'covariance', 'varyList'}; the
    controls get the new distance, center, tilt, rotation (mod 360), wavelength,
    DetDepth, sag, chisq, and the ring points/ellipses for plotting.
    """
    c = controls
    pts, ellipses, _ = find_rings(image, c, valid)
    if not len(pts):
        raise RefinementError("no calibrant ring points found; lower 'cutoff' or check the geometry")
    vary = [n for n in PARAM_NAMES if c["varyList"].get(n)]
    parms = _parms(c)
    chisq, vals, esds, cov = fit_detector(pts, vary, parms)
    parms.update(vals)
    c["wavelength"] = parms["wave"]
    c["distance"] = parms["dist"]
    c["center"] = [parms["det-X"], parms["det-Y"]]
    c["rotation"] = float(np.mod(parms["phi"], 360.0))
    c["tilt"] = parms["tilt"]
    c["DetDepth"] = parms["dep"]
    c["sag"] = parms["sag"]
    c["chisq"] = chisq
    c["rings"] = pts
    c["ellipses"] = ellipses
    log.info("recalibrate: reduced chi**2 %.3g on %d points; %s", chisq, len(pts),
             ", ".join(f"{k}={v:.4f}({esds[k]:.3f})" for k, v in vals.items()))
    return {"chisq": chisq, "npts": int(len(pts)), "values": vals, "esds": esds, "covariance": cov,
            "varyList": vary}


def multi_distance_fit(images_controls, valids=None):
    """Fit images taken at several distances with shared wavelength, tilt, rotation and depth.

    ``images_controls``: list of (image, controls).  Per image k the parameters
    ``det-X{k}``, ``det-Y{k}``, ``dist{k}`` are varied when flagged in that
    image's varyList; ``wave``, ``tilt``, ``phi``, ``dep`` are shared and varied
    when flagged in any image.  Controls are updated in place.
    Returns (result parameter dict, covData dict with varyList, variables, sig,
    covMatrix, obs, chisq).
    """
    if not images_controls:
        raise ParameterError("images", "at least one image", 0)
    allpts, keys = [], []
    c0 = images_controls[0][1]
    parms = {"wave": float(c0["wavelength"]), "tilt": float(c0["tilt"]), "phi": float(c0["rotation"]),
             "dep": float(c0.get("DetDepth", 0.0)), "sag": 0.0}
    vary_shared = []
    vary_each = []
    for k, (img, c) in enumerate(images_controls):
        valid = None if valids is None else valids[k]
        pts, _, _ = find_rings(img, c, valid)
        allpts.append(pts)
        keys += [k] * len(pts)
        parms.update({f"det-X{k}": float(c["center"][0]), f"det-Y{k}": float(c["center"][1]),
                      f"dist{k}": float(c["distance"])})
        vl = c["varyList"]
        for name, short in (("det-X", "det-X"), ("det-Y", "det-Y"), ("dist", "dist")):
            if vl.get(short):
                vary_each.append(f"{name}{k}")
        for name in ("wave", "tilt", "phi", "dep"):
            if vl.get(name) and name not in vary_shared:
                vary_shared.append(name)
    pts = np.concatenate(allpts) if allpts else np.zeros((0, 3))
    if not len(pts):
        raise RefinementError("no calibrant ring points found on any image")
    vary = vary_shared + vary_each
    chisq, vals, esds, cov = fit_detector(pts, vary, parms, keys)
    parms.update(vals)
    for k, (_, c) in enumerate(images_controls):
        c["wavelength"] = parms["wave"]
        c["tilt"] = parms["tilt"]
        c["rotation"] = float(np.mod(parms["phi"], 360.0))
        c["DetDepth"] = parms["dep"]
        c["center"] = [parms[f"det-X{k}"], parms[f"det-Y{k}"]]
        c["distance"] = parms[f"dist{k}"]
    result = {k: v for k, v in parms.items() if k != "sag"}
    cov_data = {"title": "Multi-distance image calibration", "varyList": vary,
                "variables": [vals[v] for v in vary], "sig": [esds[v] for v in vary],
                "covMatrix": cov, "obs": int(len(pts)), "chisq": chisq}
    return result, cov_data
