"""``MoonFlowerScan`` and ``QuickScan``: simulated test scans (ptypy's rules, beamkit's pictures).

MoonFlowerScan (ptypy's generation rules):

1. object pixel (resolution) = lam*distance/(shape*psize); step = resolution*shape*density;
2. positions from :func:`.xy.moonflower_positions` (round shells, raster or ptypy's spiral; the
   frame count actually produced is ``num_frames`` of the result);
3. frames are simulated at whole pixels ``pixel_k = round((pos_k - min pos)/resolution) + 10``
   in an object of ``max(pixel) + 10 + shape`` pixels, while the positions handed out stay
   unrounded (up to half a pixel apart, as in ptypy);
4. object: :func:`.resources.flower_obj`; probe: :func:`.resources.moon_pr` with
   sum |P|**2 = ``photons``;
5. I_k = |farfield(P * O_k * phase)|**2 with ptypy's far-field sample-plane phase
   (:func:`.illumination.farfield_phase`), Gaussian blur of *sigma* ``psf`` px (ptypy's
   ``u.gf(intensity, psf)`` when psf > 0), Poisson noise when
   ``add_poisson_noise`` (numpy's global generator, so ``np.random.seed`` reproduces runs).
"""
from __future__ import annotations

import numpy as np

from ..params import defaults
from .illumination import farfield_intensity, farfield_phase
from .ptyscan import PtyScan, register, with_defaults_doc, wavelength, _pair
from .resources import flower_obj, moon_pr
from .xy import moonflower_positions
from .detector import conv

__all__ = ["MoonFlowerScan", "QuickScan"]


@register
class MoonFlowerScan(PtyScan):
    """Simulated far-field scan of a flower-like object under a moon-like probe (module doc)."""

    DEFAULT = defaults("scandata.MoonFlowerScan")

    def __init__(self, pars=None, **kwargs):
        super().__init__(pars, **kwargs)
        p = self.info
        shape = _pair(p.get("shape"), "shape", int)
        psize = _pair(p.get("psize"), "psize")
        self.resolution = wavelength(p["energy"]) * p["distance"] / (shape * psize)
        step = self.resolution * shape * float(p.get("density") or 0.2)
        if np.any(step <= 0):
            from ...errors import ParameterError
            raise ParameterError("density", "> 0", p.get("density"))
        nreq = int(p.get("num_frames") or 100)
        pos, n = moonflower_positions(nreq, step, p.get("model") or "round")
        if n != nreq:
            self._frames_note = f"{n} frames from {nreq} requested"
        self.info["num_frames"] = n
        self._pos = pos
        pix = np.round((pos - pos.min(axis=0)) / self.resolution).astype(int) + 10
        self.pixel = pix
        frame = pix.max(axis=0) + 10 + shape
        self.obj = flower_obj(frame)
        self.pr = moon_pr(shape) * np.sqrt(float(p.get("photons") or 1e8))
        self._shape = shape
        self._phase = farfield_phase(shape, self.resolution, wavelength(p["energy"]), p["distance"])

    def load_positions(self):
        return self._pos

    def load_common(self):
        return dict(weight2d=np.ones(self._shape), positions_scan=self._pos)

    def check(self, frames=None, start=None):
        bwc = int(self.info.get("block_wait_count") or 0)
        if bwc and self.chunks_sent and self.chunks_sent % bwc == 0 and not getattr(self, "_waited", False):
            self._waited = True
            return 0, False
        self._waited = False
        return super().check(frames, start)

    def exit_waves(self, indices) -> np.ndarray:
        """P * O at the integer corners of ``indices``: complex (n, Ny, Nx)."""
        ny, nx = self._shape
        c = self.pixel[np.asarray(indices)]
        rows = c[:, 0, None] + np.arange(ny)
        cols = c[:, 1, None] + np.arange(nx)
        return self.pr * self.obj[rows[:, :, None], cols[:, None, :]]

    def load_batch(self, indices):
        I = farfield_intensity(self.exit_waves(indices), self._phase)
        psf = float(self.info.get("psf") or 0.0)
        if psf > 0:
            I = conv(I, psf)                                       # psf is a sigma (px), as ptypy
        if self.info.get("add_poisson_noise"):
            I = np.random.poisson(np.clip(I, 0, None)).astype(np.int32)
        else:
            I = I.astype(np.int32)
        return I, self._pos[np.asarray(indices)], None


@register
class QuickScan(PtyScan):
    """Frames that are zero except one 1e7 pixel at the centre, on MoonFlower's round pattern;
    for timing model creation (no object, no probe)."""

    DEFAULT = defaults("scandata.QuickScan")

    def __init__(self, pars=None, **kwargs):
        super().__init__(pars, **kwargs)
        p = self.info
        shape = _pair(p.get("shape"), "shape", int)
        psize = _pair(p.get("psize"), "psize")
        res = wavelength(p["energy"]) * p["distance"] / (shape * psize)
        step = float((res * shape * float(p.get("density") or 0.05))[0])
        pos, n = moonflower_positions(int(p.get("num_frames") or 100), step, "round")
        self.info["num_frames"] = n
        self._pos = pos
        self._shape = shape

    def load_positions(self):
        return self._pos

    def load_batch(self, indices):
        n = len(indices)
        d = np.zeros((n,) + tuple(self._shape), np.int32)
        d[:, self._shape[0] // 2, self._shape[1] // 2] = 10 ** 7
        return d, self._pos[np.asarray(indices)], None


with_defaults_doc(MoonFlowerScan, "scandata.MoonFlowerScan")
with_defaults_doc(QuickScan, "scandata.QuickScan")
