"""``SimScan``: a far- or near-field scan simulated from illumination, sample and scan pattern.

Pipeline: positions from ``xy`` (None: a round pattern from spacing/extent), object pixel
lam*distance/(shape*psize) (far field) or psize (near field), probe from ``illumination``
(aperture, focusing, propagation, photons; extra incoherent modes when
``illumination.diversity.power`` is a list, one entry per extra mode), object from
``sample`` (model, fill, process with formula/density/thickness through ``periodictable``),
frames = sum over modes |propagate(P * O_view)|**2 at whole-pixel positions, detector psf
(FWHM px, a pair, or a kernel array), detector (shot noise, full well, from a name such as
'PILATUS_300K' or a dict), ``frame_size`` crop.  The positions handed out carry uniform
noise of half-width pos_noise*(1 + pos_scale) (m) and a drift of pos_drift (m per frame).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from ...errors import ParameterError
from ..params import defaults
from . import xy as xymod
from .illumination import farfield_intensity, farfield_phase, nearfield
from .ptyscan import PtyScan, _pair, register, wavelength, with_defaults_doc
from .resources import moon_pr
from .sample import make_object

__all__ = ["SimScan", "DETECTORS", "detector_response"]

# name -> (full well in counts, shot noise); gaps are not modelled
DETECTORS = {
    "PILATUS_300K": (2 ** 20, True), "PILATUS_1M": (2 ** 20, True), "PILATUS_2M": (2 ** 20, True),
    "PILATUS_6M": (2 ** 20, True), "FRELON_TAPER": (2 ** 16 - 1, True), "FLI_PL1001": (2 ** 16 - 1, True),
    "GenericCCD16bit": (2 ** 16 - 1, True), "GenericCCD32bit": (2 ** 32 - 1, True),
}


def detector_response(I: np.ndarray, detector=None, poisson: bool = False) -> np.ndarray:
    """Counts from intensities: quantum efficiency ``qe``, shot noise, saturation at ``full_well``.

    detector: None (ideal), a name of :data:`DETECTORS`, or a dict(qe, full_well, shot_noise).
    """
    qe, well, shot = 1.0, None, bool(poisson)
    if isinstance(detector, str):
        if detector not in DETECTORS:
            raise ParameterError("detector", "None or one of " + ", ".join(DETECTORS), detector)
        well, shot = DETECTORS[detector]
    elif isinstance(detector, dict) and detector:
        qe = float(detector.get("qe", 1.0))
        well = detector.get("full_well")
        shot = bool(detector.get("shot_noise", True))
    I = np.clip(I * qe, 0, None)
    if shot:
        I = np.random.poisson(I).astype(np.float64)
    if well is not None:
        I = np.minimum(I, float(well))
    return I


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
        # the positions reported to the reconstruction
        k = np.arange(len(pos))[:, None]
        a = float(p.get("pos_noise") or 0.0) * (1.0 + np.asarray(p.get("pos_scale") or 0.0, float))
        drift = np.broadcast_to(np.asarray(p.get("pos_drift") or 0.0, float), (2,))
        self.reported_positions = pos + rng.uniform(-1, 1, pos.shape) * a + k * drift
        fs = p.get("frame_size")
        self._frame_size = None if fs is None else _pair(fs, "frame_size", int)
        if self._frame_size is not None and np.any(self._frame_size > shape):
            raise ParameterError("frame_size", f"at most the frame shape {tuple(shape)}", fs)
        self.info["num_frames"] = len(pos)
        if self._frame_size is not None:
            self.info["shape"] = tuple(int(s) for s in self._frame_size)

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
        ex = self.exit_waves(indices)
        if self.prop == "farfield":
            phase = farfield_phase(ex.shape[-2:], self.resolution, self.lam, float(self.info["distance"]))
            I = farfield_intensity(ex, phase).sum(axis=1)
        else:
            w = nearfield(ex, float(self.info["distance"]), self.lam, self.resolution)
            I = (w.real ** 2 + w.imag ** 2).sum(axis=1)
        psf = self.info.get("psf")
        if psf is not None and not (np.isscalar(psf) and float(psf) == 0):
            a = np.asarray(psf, float)
            if a.ndim == 2:
                I = signal.fftconvolve(I, (a / a.sum())[None], mode="same", axes=(1, 2))
            else:
                s = np.broadcast_to(a, (2,)) / 2.3548
                I = ndimage.gaussian_filter(I, (0, s[0], s[1]))
        det = self.info.get("detector")
        I = detector_response(I, det if det else None, poisson=bool(self.info.get("add_poisson_noise")))
        if self._frame_size is not None:
            fy, fx = self._frame_size
            y0, x0 = (self._shape - self._frame_size) // 2
            I = I[:, y0:y0 + fy, x0:x0 + fx]
        return I, self.reported_positions[np.asarray(indices)], None


with_defaults_doc(SimScan, "scandata.SimScan")
