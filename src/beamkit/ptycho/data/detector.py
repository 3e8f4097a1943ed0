"""Detector response of simulated scans, with ptypy 0.9's model and presets
(``ptypy.simulations.detector``: ``Detector.filter``, ``TEMPLATES``, ``conv``).

Model of :func:`detector_filter`, per pixel, intensities I in photons:

1. scintillator (``sci_psf`` not None): I <- sci_qe * conv(Poisson(I), sci_psf);
2. ``psf`` not None: I <- conv(I, psf);
3. well counts e = Poisson(qe * I) + |N(0, 1)| * shot_noise (``shot_noise``: read-out rms in counts);
4. e clipped at ``full_well`` (those pixels are *overexposed*), digital units DU = floor(e / adu);
5. ``on_limit == 'clip'``: DU clipped to the maximum of ``dtype``;
6. pixels outside the detector area (module gaps, beyond its edge) are 0 and, with the
   overexposed ones, False in the returned mask.

Random numbers come from numpy's global generator (``np.random.seed`` reproduces runs), as ptypy.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage
from ..utils_array import expect2, gf_2d

__all__ = ["DEFAULT", "TEMPLATES", "detector_settings", "conv", "module_mask", "frame_mask", "detector_filter"]

log = logging.getLogger(__name__)

#: generic detector (ptypy's ``DEFAULT``); shape/gaps/center in px, full_well in counts
DEFAULT = dict(sci_psf=None, sci_qe=1, psf=None, qe=1.0, shot_noise=0, adu=1, full_well=2 ** 16 - 1,
               shape=2048, gaps=0, modules=(1, 1), center=1024, dtype=np.uint16, on_limit="clip", psize=10e-6)

_PILATUS = dict(shape=(197, 486), full_well=2 ** 20, shot_noise=0, adu=1, center=None, psize=172e-6,
                dtype=np.uint32, gaps=(17, 7), modules=(5, 2))

#: ptypy's presets: each updates :data:`DEFAULT`
TEMPLATES = {
    "GenericCCD16bit": {},
    "GenericCCD32bit": dict(full_well=2 ** 32 - 1, dtype=np.uint32),
    "FLI_PL1001": dict(shape=1024, full_well=500000, shot_noise=9, adu=10, center=512, psize=24e-6),
    "FRELON_TAPER": dict(shape=2048, full_well=550000, shot_noise=15, adu=9, center=1024, psize=51e-6, qe=0.60,
                         sci_qe=10, sci_psf=1.2),
    "PILATUS_1M": dict(_PILATUS),
    "PILATUS_2M": dict(_PILATUS, modules=(8, 3)),
    "PILATUS_6M": dict(_PILATUS, modules=(12, 5)),
    "PILATUS_300K": dict(_PILATUS, modules=(3, 1)),
}


def _two(v, cast=int) -> np.ndarray:
    """ptypy's expect2 (a scalar repeated, else the first two entries) as ``cast``."""
    return expect2(v).astype(cast)


def detector_settings(detector=None) -> dict:
    """The full settings of a detector: ``detector`` a preset name of :data:`TEMPLATES`, a dict
    (keys of :data:`DEFAULT` updating it; {} is the generic 16-bit CCD) or None (generic).

    An unknown preset name gives the generic detector, as in ptypy (a warning names it)."""
    d = dict(DEFAULT)
    if isinstance(detector, str):
        if detector not in TEMPLATES:
            log.warning("unknown detector preset %r: using the generic detector (GenericCCD16bit), as ptypy; "
                        "presets: %s", detector, ", ".join(TEMPLATES))
        d.update(TEMPLATES.get(detector, {}))
    elif detector is not None:
        d.update(dict(detector))
    d["dtype"] = np.dtype(d["dtype"])
    return d


def conv(a: np.ndarray, psf) -> np.ndarray:
    """ptypy's ``conv`` on the last two axes of ``a`` (2-d or a stack): ``psf`` None -> ``a``; a
    scalar or a pair -> Gaussian filter of that sigma (px, (rows, cols)); a 2-d array -> plain
    ``ndimage.convolve`` with that kernel (not normalised; its sum scales the total)."""
    if psf is None:
        return a
    if np.size(psf) <= 2:
        return gf_2d(a, _two(psf, float))
    k = np.asarray(psf)
    if k.ndim != 2:
        from ...errors import ParameterError
        raise ParameterError("psf", "a sigma (px), a pair of sigmas or a 2-d kernel", k.shape)
    return ndimage.convolve(a, k.reshape((1,) * (a.ndim - 2) + k.shape))


def module_mask(shape, gaps=0, modules=(1, 1)) -> np.ndarray:
    """Sensitive area of a detector of ``modules`` (rows, cols) modules of ``shape`` px separated by
    ``gaps`` px (rows, cols): a bool array of modules*shape + (modules-1)*gaps px, False in the gaps."""
    sh, g, m = _two(shape), _two(gaps), _two(modules)
    axes = [(np.arange(m[i] * sh[i] + (m[i] - 1) * g[i]) % (sh[i] + g[i])) < sh[i] for i in (0, 1)]
    return axes[0][:, None] & axes[1][None, :]


def frame_mask(frame_shape, det: dict) -> np.ndarray:
    """The detector area seen by a frame of ``frame_shape`` (rows, cols) px: the frame centre
    (frame_shape//2) sits on detector pixel ``center`` (None: the middle of the module array);
    frame pixels beyond the detector are False."""
    mod = module_mask(det["shape"], det["gaps"], det["modules"])
    c = np.asarray(mod.shape) // 2 if det.get("center") is None else _two(det["center"])
    fs = _two(frame_shape)
    iy = np.arange(fs[0]) + c[0] - fs[0] // 2
    ix = np.arange(fs[1]) + c[1] - fs[1] // 2
    vy = (iy >= 0) & (iy < mod.shape[0])
    vx = (ix >= 0) & (ix < mod.shape[1])
    out = np.zeros(tuple(fs), bool)
    out[np.ix_(vy, vx)] = mod[np.ix_(iy[vy], ix[vx])]
    return out


def detector_filter(intensity: np.ndarray, detector=None):
    """(digital units, mask) of intensities ``intensity`` (photons per pixel; (..., rows, cols))
    through the detector ``detector`` (a name, a dict or a settings dict of
    :func:`detector_settings`), with the model of the module doc.

    Returns DU as float64 holding whole numbers (cast with the detector's ``dtype`` to store) and
    a bool mask of the same shape (False: outside the detector or overexposed)."""
    d = detector if isinstance(detector, dict) and set(DEFAULT) <= set(detector) else detector_settings(detector)
    I = np.abs(np.asarray(intensity, float))
    mask = np.broadcast_to(frame_mask(I.shape[-2:], d), I.shape).copy()
    if d["sci_psf"] is not None:
        I = float(d["sci_qe"]) * conv(np.random.poisson(I).astype(float), d["sci_psf"])
    if d["psf"] is not None:
        I = conv(I, d["psf"])
    e = np.random.poisson(I * float(d["qe"])).astype(float)
    e += np.abs(np.random.standard_normal(I.shape) * float(d["shot_noise"]))
    over = e >= d["full_well"]
    e[over] = d["full_well"]
    e[e < 0] = 0.0
    du = e // d["adu"]
    if d["on_limit"] == "clip" and np.issubdtype(d["dtype"], np.integer):
        du = np.minimum(du, float(np.iinfo(d["dtype"]).max))
    du[~mask] = 0.0
    return du, mask & ~over
