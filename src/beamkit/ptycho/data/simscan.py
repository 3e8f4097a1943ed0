"""``SimScan``: a far- or near-field scan simulated from illumination, sample and scan pattern,
with ptypy 0.9's rules (``ptypy.simulations.simscan``).

Pipeline: positions from ``xy`` (:func:`.xy.from_pars`; None: a round pattern from the xy
settings), object pixel lam*distance/(shape*psize) (far field) or psize (near field), probe from
``illumination`` (aperture, focusing, propagation, photons; extra incoherent modes when
``illumination.diversity.power`` is a list, one entry per extra mode), object from ``sample``
(model, fill, process: :func:`.sample.make_object`), frames = sum over modes
|propagate(P * O_view)|**2 at whole-pixel positions, then ``psf`` (ptypy's ``conv``: a Gaussian
*sigma* in px, a (rows, cols) pair of sigmas, or a 2-d kernel applied with ``ndimage.convolve``,
not normalised), then the detector (:mod:`.detector`: ``detector`` a preset name such as
'PILATUS_300K', a dict of detector settings, {} = the generic 16-bit CCD with Poisson noise and
65535 saturation (the default), or None = ideal).  Frames are stored in the detector's dtype and
each frame's detector mask (module gaps, pixels off the detector, overexposed pixels) is handed
out as its weight.

As in ptypy 0.9, these parameters are accepted and have no effect: ``add_poisson_noise`` (the
detector model decides the noise), ``pos_noise``, ``pos_scale``, ``pos_drift`` (the positions
handed out are the xy positions unchanged) and ``frame_size`` (frames keep ``shape``);
``xy.jitter`` has no effect either.
"""
from __future__ import annotations

import numpy as np

from ...errors import ParameterError
from ..params import defaults
from . import xy as xymod
from .detector import TEMPLATES as DETECTORS, conv, detector_filter, detector_settings
from .illumination import farfield_intensity, farfield_phase, nearfield
from .ptyscan import PtyScan, _pair, register, wavelength, with_defaults_doc
from .resources import moon_pr
from .sample import make_object

__all__ = ["SimScan", "DETECTORS", "detector_response"]


def detector_response(I: np.ndarray, detector=None) -> np.ndarray:
    """Counts of intensities ``I`` (photons/px) through ``detector`` (None: ideal, ``I`` unchanged;
    a preset name or a dict: :func:`.detector.detector_filter`, returned in the detector's dtype)."""
    if detector is None:
        return np.asarray(I)
    d = detector_settings(detector)
    return detector_filter(I, d)[0].astype(d["dtype"])


@register
class SimScan(PtyScan):
    """Simulated scan from illumination, sample and scan-pattern settings (module doc)."""

    DEFAULT = defaults("scandata.SimScan")

    def __init__(self, pars=None, **kwargs):
        super().__init__(pars, **kwargs)
        p = self.info
        shape = _pair(p.get("shape"), "shape", int)
        psize = _pair(p.get("psize"), "psize")
        lam = wavelength(p["energy"])
        self.lam = lam
        prop = p.get("propagation") or "farfield"
        if prop not in ("farfield", "nearfield"):
            raise ParameterError("propagation", "'farfield' or 'nearfield'", prop)
        self.prop = prop
        res = lam * p["distance"] / (shape * psize) if prop == "farfield" else psize.copy()
        self.resolution = res
        xyp = dict(p.get("xy") or {})
        if xyp.get("model") is None and xyp.get("override") is None:
            xyp["model"] = "round"
        pos = xymod.from_pars(xyp)
        if p.get("num_frames"):
            pos = pos[: int(p["num_frames"])]
        if len(pos) == 0:
            raise ParameterError("xy", "settings that give at least one position", xyp)
        self.true_positions = pos
        self._shape = shape
        rng = np.random.default_rng(np.random.randint(2 ** 31))
        ill = p.get("illumination") or {}
        if isinstance(ill, str):
            ill = {"model": ill}
        photons = ill.get("photons")
        model = ill.get("model")
        if isinstance(model, str):
            if model != "moon":
                raise ParameterError("illumination.model", "None, 'moon' or a 2-d complex array", model)
            model = moon_pr(shape)
        div = ill.get("diversity")
        pw = None if not div else div.get("power")
        nmodes = len(pw) + 1 if isinstance(pw, (list, tuple)) and len(pw) else 1
        # the probe as ptypy's illumination.init_storage makes it (the scan model's initial probe)
        from ..models.illumination import probe_modes     # (models import data: not at module level)
        self.probe = probe_modes(dict(ill, model=model), shape, res, lam, nmodes,
                                 photons=1e8 if photons is None else photons, rng=rng).astype(complex)
        pix = np.round((pos - pos.min(axis=0)) / res).astype(int) + 8
        self.pixel = pix
        sam = p.get("sample") or {}
        if isinstance(sam, str):
            sam = {"model": sam}
        oshape = pix.max(axis=0) + 8 + shape
        self.obj = make_object(oshape, sam.get("model"), sam.get("fill", 1.0), sam.get("process"), lam=lam,
                               energy_kev=p["energy"])
        # ptypy hands out the xy positions unchanged: pos_noise, pos_scale, pos_drift and
        # frame_size are declared but never read there (accepted here, without effect)
        self.reported_positions = pos
        det = p.get("detector")
        self._detector = None if det is None else detector_settings(det)
        self.info["num_frames"] = len(pos)

    def load_positions(self):
        return self.reported_positions

    def load_common(self):
        return dict(positions_scan=self.reported_positions, positions_true=self.true_positions)

    def exit_waves(self, indices) -> np.ndarray:
        """P_m * O at the integer corners: complex (n, modes, Ny, Nx)."""
        ny, nx = self._shape
        c = self.pixel[np.asarray(indices)]
        rows = c[:, 0, None] + np.arange(ny)
        cols = c[:, 1, None] + np.arange(nx)
        views = self.obj[rows[:, :, None], cols[:, None, :]]
        return self.probe[None] * views[:, None]

    def load_batch(self, indices):
        """Frames, positions and weights of ``indices``. As ptypy's SimScan, all frames are simulated
        together once (detector noise drawn from numpy's global generator in frame order), so the
        data do not depend on how they are split into chunks and repeat after ``np.random.seed``."""
        if getattr(self, "_frames", None) is None:
            self._frames = self._simulate(np.arange(len(self.reported_positions)))
        I, mask = self._frames
        idx = np.asarray(indices)
        return I[idx], self.reported_positions[idx], None if mask is None else mask[idx]

    def _simulate(self, indices):
        ex = self.exit_waves(indices)
        if self.prop == "farfield":
            phase = farfield_phase(ex.shape[-2:], self.resolution, self.lam, float(self.info["distance"]))
            I = farfield_intensity(ex, phase).sum(axis=1)
        else:
            w = nearfield(ex, float(self.info["distance"]), self.lam, self.resolution)
            I = (w.real ** 2 + w.imag ** 2).sum(axis=1)
        I = conv(I, self.info.get("psf"))
        if self._detector is None:
            return I, None
        du, mask = detector_filter(I, self._detector)
        return du.astype(self._detector["dtype"]), mask.astype(float)


with_defaults_doc(SimScan, "scandata.SimScan")
