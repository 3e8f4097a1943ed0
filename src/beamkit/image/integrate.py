"""Azimuthal integration with GSAS-II's corrections, on pyFAI (or an exact numpy binning).

GSAS-II's recipe for a PWDR image: each pixel's counts are multiplied by the
geometric factor G (distance² over obliquity, m²) and divided by the per-pixel
polarization; pixels are binned by centre into ``outChannels`` bins over
``IOtth`` (and ``outAzimuths`` sectors over ``LRazimuth``) and averaged; empty
bins are filled by linear interpolation; finally each bin is multiplied by the
polarization at its lower 2θ edge (azimuth 0) and divided by the oblique-incidence
factor when that is switched on.  The reported x is the lower bin edge.

:class:`IntegrationMaps` caches everything that depends only on geometry and
masks (2θ, azimuth, the correction array, the static mask and the pyFAI
integrator with its sparse matrix) so a series of images costs one sparse
matrix-vector product each.
"""
from __future__ import annotations

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError
from . import geometry, masks as mk

__all__ = ["IntegrationMaps", "integrate", "oblique", "sample_absorption", "prepare_image"]

log = get_logger("image.integrate")
_DUMMY = -1.0e30


def oblique(coeff: float, tth):
    """GSAS-II's oblique-incidence (detector absorption) factor; 1 when ``coeff`` is 0."""
    tth = np.asarray(tth, dtype=float)
    if not coeff:
        return np.ones_like(tth)
    return (1.0 - coeff) / (1.0 - np.exp(np.log(coeff) / np.cos(np.radians(tth))))


def sample_absorption(controls: dict, tth):
    """Per-pixel sample-absorption multiplier (flat plate normal to the beam); 1 when off."""
    mut, on = controls.get("SampleAbs", [0.0, False])
    tth = np.asarray(tth, dtype=float)
    if not on or not mut:
        return np.ones_like(tth)
    shape = controls.get("SampleShape", "Cylinder")
    if "Fixed" not in shape:
        raise ParameterError("SampleShape", "'Fixed flat plate' when SampleAbs is switched on "
                             "(the cylinder correction is not implemented)", shape)
    mu = 2.0 * float(mut)
    sec = 1.0 / np.cos(np.radians(tth))
    return (np.exp(-mu * sec) - np.exp(-mu)) / (mu - mu * sec)


def prepare_image(raw, controls: dict, dark=None, background=None, gain=None) -> np.ndarray:
    """Counts after GSAS-II's dark/background images (times their multipliers), flat background and gain."""
    img = np.asarray(raw, dtype=np.float64)
    if dark is not None:
        img = img + float(controls.get("dark image", ["", -1.0])[1]) * dark
    if background is not None:
        img = img + float(controls.get("background image", ["", -1.0])[1]) * background
    flat = float(controls.get("Flat Bkg", 0.0) or 0.0)
    if flat:
        img = img - flat
    if gain is not None:
        img = img * (np.asarray(gain, dtype=np.float64) / 1000.0)
    return img


def _axis_values(controls: dict, tth):
    """Binning coordinate (2θ deg, Q 1/Å or log Q) for 2θ values and its IOtth limits."""
    bt = str(controls.get("binType", "2-theta"))
    lo, hi = (float(v) for v in controls["IOtth"])
    wave = float(controls["wavelength"])
    if "2-theta" in bt:
        return tth, (lo, hi), "2th_deg"
    q = lambda t: 4.0 * np.pi * np.sin(np.radians(t) / 2.0) / wave  # noqa: E731
    if "log" in bt.lower():
        return np.log(q(tth)), (np.log(q(lo)), np.log(q(hi))), None
    return q(tth), (q(lo), q(hi)), "q_A^-1"


def _axis_to_tth(controls: dict, x):
    bt = str(controls.get("binType", "2-theta"))
    if "2-theta" in bt:
        return x
    wave = float(controls["wavelength"])
    q = np.exp(x) if "log" in bt.lower() else x
    return 2.0 * np.degrees(np.arcsin(q * wave / (4.0 * np.pi)))


class IntegrationMaps:
    """Geometry- and mask-dependent arrays for one image shape, reused across images.

    ``tth``/``azm`` (deg), ``corr`` = pol / (G·absorption) per pixel, ``static``
    (position + ring/arc mask), ``ai`` the pyFAI integrator (None if not exact).
    """

    def __init__(self, controls: dict, shape, masks: dict | None = None, position_mask=None):
        self.shape = tuple(int(s) for s in shape)
        self.controls = {k: controls[k] for k in controls if k not in ("rings", "ellipses", "ring")}
        c = self.controls
        x, y = geometry.pixel_xy_mm(self.shape, c["pixelSize"])
        tth, azm, g = geometry.tth_azm_g(x, y, c)
        self.tth, self.azm = tth, azm
        pol = geometry.polarization(float(c["PolaVal"][0]), tth, azm - 90.0)
        self.corr = pol / (g * sample_absorption(c, tth))
        masks = masks or mk.default_masks()
        if position_mask is None:
            position_mask = mk.position_mask(masks, self.shape, c["pixelSize"])
        self.position = np.asarray(position_mask, dtype=bool)
        self.static = self.position | mk.angular_mask(masks, tth, azm)
        self.ai = None
        self._idx = None
        self.uses = 0
        exact = float(c.get("DetDepth", 0.0) or 0.0) == 0.0 and not float(c.get("det2theta", 0.0) or 0.0)
        if exact:
            try:
                self.ai = geometry.make_integrator(c, self.shape)
            except ImportError:  # pragma: no cover - pyFAI is a dependency
                self.ai = None

    # -- exact numpy engine: cached flat bin index per pixel ---------------------------------------
    def bin_index(self, c: dict) -> np.ndarray:
        """Flat (sector, channel) bin of every pixel for the binning keys of ``c``; -1 = not binned."""
        key = (tuple(c["IOtth"]), int(c["outChannels"]), int(c["outAzimuths"]), tuple(c["LRazimuth"]),
               str(c.get("binType", "2-theta")), float(c["wavelength"]))
        if self._idx is None or self._idx[0] != key:
            xv, (lo, hi), _ = _axis_values(c, self.tth)
            nch = int(c["outChannels"])
            ir = np.floor((xv - lo) / ((hi - lo) / nch)).astype(np.int64)
            nazm = int(c["outAzimuths"])
            a0, a1 = (float(v) for v in c["LRazimuth"])
            az = np.where(self.azm > a1, self.azm - 360.0, self.azm)
            az = np.where(az < a0, az + 360.0, az)
            ia = np.floor((az - a0) / ((a1 - a0) / nazm)).astype(np.int64)
            ok = (ir >= 0) & (ir < nch) & (ia >= 0) & (ia < nazm) & ~self.static
            self._idx = (key, np.where(ok, ia * nch + ir, -1).ravel())
        return self._idx[1]


def _fill_empty(h, n):
    """Linear interpolation over empty bins (count 0); NaN outside becomes 0 (GSAS-II)."""
    out = np.array(h, dtype=np.float64)
    for row in range(out.shape[0]):          # one row per azimuth sector, a handful at most
        full = n[row] > 0
        if full.all():
            continue
        if full.sum() < 2:
            out[row] = 0.0
            continue
        xs = np.arange(out.shape[1])
        vals = np.interp(xs, xs[full], out[row, full], left=np.nan, right=np.nan)
        out[row] = np.nan_to_num(vals)
    return out


def _full_circle(c: dict) -> bool:
    a0, a1 = (float(v) for v in c["LRazimuth"])
    return int(c["outAzimuths"]) == 1 and abs((a1 - a0) - 360.0) < 1e-9


def _chi_range(c: dict):
    """pyFAI χ range (deg) and discontinuity ('pi' or 'zero') for the LRazimuth sectors, or None."""
    a0, a1 = (float(v) for v in c["LRazimuth"])
    lo, hi = a0 - float(c.get("azmthOff", 0.0)), a1 - float(c.get("azmthOff", 0.0))
    if not 0.0 < hi - lo <= 360.0:
        return None
    for disc, (cmin, cmax) in (("pi", (-180.0, 180.0)), ("zero", (0.0, 360.0))):
        shift = 360.0 * np.floor((lo - cmin) / 360.0)
        if cmin - 1e-9 <= lo - shift and hi - shift <= cmax + 1e-9:
            return (lo - shift, hi - shift), disc
    return None


def _pyfai_ok(c: dict, maps: IntegrationMaps) -> bool:
    if maps.ai is None or "log" in str(c.get("binType", "")).lower():
        return False
    return _full_circle(c) or _chi_range(c) is not None


def integrate(image, controls: dict, masks: dict | None = None, maps: IntegrationMaps | None = None,
              pixel_mask=None, engine: str = "auto", method=None):
    """Integrate one image as GSAS-II does.

    Returns ``(intensity[nazm, nchan], azimuth_edges[nazm+1], tth_lower_edges[nchan], counts)``.
    engine: 'pyfai' (full-circle 2θ/Q with DetDepth 0), 'numpy' (exact GSAS-II binning, any case)
    or 'auto' (pyFAI when it applies).  method: pyFAI's method; by default a
    histogram for the first image of a map set and the cached sparse matrix
    (CSR, built once) from the second image on.
    """
    c = controls
    img = np.asarray(image)
    masks = masks or mk.default_masks()
    if maps is None or maps.shape != img.shape:
        maps = IntegrationMaps(c, img.shape, masks)
    nch, nazm = int(c["outChannels"]), int(c["outAzimuths"])
    if nch < 1 or nazm < 1:
        raise ParameterError("outChannels", "an integer >= 1", nch)
    dyn = mk.threshold_mask(masks, img)
    if pixel_mask is not None:
        pm = np.asarray(pixel_mask, dtype=bool)
        if pm.shape != img.shape:
            raise ParameterError("pixel mask", f"an array of shape {img.shape}", pm.shape)
        dyn = dyn | pm
    _, (lo, hi), unit = _axis_values(c, np.array([float(c["IOtth"][0])]))
    edges = np.linspace(lo, hi, nch + 1)
    use_pyfai = engine == "pyfai" or (engine == "auto" and _pyfai_ok(c, maps))
    if use_pyfai and not _pyfai_ok(c, maps):
        raise ParameterError("engine", "'numpy' for this geometry (DetDepth, sectors or log(q))", engine)
    if use_pyfai:
        if method is None:
            method = ("no", "histogram", "cython") if maps.uses == 0 else ("no", "csr", "cython")
        maps.uses += 1
        data = np.array(img, dtype=np.float32)
        data[dyn] = _DUMMY
        common = dict(unit=unit, radial_range=(lo, hi), method=method, correctSolidAngle=False,
                      polarization_factor=None, flat=maps.corr, mask=maps.static, dummy=_DUMMY,
                      delta_dummy=1.0)
        if _full_circle(c):
            res = maps.ai.integrate1d(data, nch, **common)
            h = res.intensity[None, :].astype(np.float64)
            n = (np.asarray(res.sum_normalization) > 0)[None, :].astype(np.int64)
        else:
            (c0, c1), disc = _chi_range(c)
            a0, a1 = (float(v) for v in c["LRazimuth"])
            rel = (maps.azm - a0) % 360.0               # pyFAI's histograms keep out-of-range χ
            data[rel > (a1 - a0)] = _DUMMY
            if disc == "zero" and maps.ai.chiDiscAtPi:
                maps.ai.setChiDiscAtZero()
            elif disc == "pi" and not maps.ai.chiDiscAtPi:
                maps.ai.setChiDiscAtPi()
            res = maps.ai.integrate2d_ng(data, nch, nazm, azimuth_range=(c0, c1),
                                         **common)
            h = np.asarray(res.intensity, dtype=np.float64)
            n = (np.asarray(res.sum_normalization) > 0).astype(np.int64)
    elif engine in ("numpy", "auto", "pyfai"):
        idx = maps.bin_index(c)
        w = (img.astype(np.float64) / maps.corr).ravel()
        if dyn.any():
            idx = np.where(dyn.ravel(), -1, idx)
        keep = idx >= 0
        s = np.bincount(idx[keep], weights=w[keep], minlength=nazm * nch)
        n = np.bincount(idx[keep], minlength=nazm * nch)
        h = (s / np.maximum(n, 1)).reshape(nazm, nch)
        n = n.reshape(nazm, nch)
    else:
        raise ParameterError("engine", "'auto', 'pyfai' or 'numpy'", engine)
    h = _fill_empty(h, n)
    x = _axis_to_tth(c, edges)
    h *= geometry.polarization(float(c["PolaVal"][0]), x[:-1], 0.0)[None, :]
    if c.get("Oblique", [0.5, False])[1]:
        h /= oblique(float(c["Oblique"][0]), x[:-1])[None, :]
    a0, a1 = (float(v) for v in c["LRazimuth"])
    return h, np.linspace(a0, a1, nazm + 1), x[:-1], n
