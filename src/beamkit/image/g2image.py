"""``G2Image``: one detector image with GSAS-II's scripting methods.

A G2Image wraps an image entry (a dict like GSAS-II's ``IMG`` tree item:
``data`` = [size, file], ``Image Controls``, ``Masks``, ``Comments``), the name
and, optionally, the project holding it.  Pixel arrays are not kept in the entry:
they are re-read from the file, or kept in a small cache when ``cacheImage``
is set (``clearImageCache`` drops it).  The pixel mask from
``GeneratePixelMask`` lives in ``Masks['SpotMask']['spotMask']`` as GSAS-II keeps it.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError
from . import calibrants as cal, calibrate as K, controls as C, integrate as I, io_images as io, \
    masks as mk, pixelmask as P
from .pattern import IntegratedPattern

__all__ = ["G2Image", "new_image_entry"]

log = get_logger("image.g2image")
_IMAGE_CACHE: dict = {}          # ranId -> image array (only with cacheImage=True)
_ran = np.random.default_rng()


def new_image_entry(frame: io.Frame, defaults: dict | None = None) -> dict:
    """An image entry dict for a frame, its controls seeded from the file's metadata."""
    c = C.default_controls()
    meta = {k: v for k, v in frame.meta.items() if k in ("pixelSize", "wavelength", "distance", "center", "size")}
    md = frame.meta.get("metadata", {})
    for key, dest in (("wavelength", "wavelength"), ("distance", "distance")):
        for k, v in md.items():
            if k.lower() == key:
                try:
                    meta[dest] = float(v)
                except ValueError:
                    pass
    px = [md.get(k) for k in ("detectorXPixelSize", "detectorYPixelSize")]
    if all(px):
        meta["pixelSize"] = [float(px[0]), float(px[1])]
    c.update(copy.deepcopy(meta))
    c["setdist"] = c["distance"]
    ny, nx = frame.data.shape
    c["size"] = [nx, ny]
    if "center" not in meta:
        c["center"] = [nx * c["pixelSize"][0] / 2000.0, ny * c["pixelSize"][1] / 2000.0]
    lo, hi = float(np.min(frame.data)), float(np.max(frame.data))
    c["range"] = [(lo, hi), [lo, hi]]
    if defaults:
        C.apply_controls(c, defaults)
    C.apply_controls(c, {})
    masks = mk.default_masks()
    masks["Thresholds"] = [(lo, hi), [lo, hi]]
    tag = frame.index if frame.nframes > 1 else None
    return {"data": [[nx, ny], frame.path if tag is None else (frame.path, tag)],
            "Image Controls": c, "Masks": masks, "Comments": [f"{k}={v}" for k, v in frame.meta.get(
                "header", {}).items()][:50], "Stress/Strain": {}, "ranId": int(_ran.integers(0, 2**31 - 1))}


class G2Image:
    """One image: controls, masks, calibration and integration (GSAS-II method names)."""

    def __init__(self, data: dict, name: str, proj=None):
        self.data = data
        self.name = name
        self.proj = proj

    def __repr__(self):
        return f"<G2Image {self.name!r}>"

    # --- construction without a project ---------------------------------------------------------
    @classmethod
    def from_file(cls, path, fmthint=None, index: int = 0, cacheImage: bool = True) -> "G2Image":
        """A standalone G2Image for image ``index`` of ``path`` (no project needed)."""
        fr = io.read_images(path, fmthint, index_list=[index])[0]
        entry = new_image_entry(fr)
        img = cls(entry, "IMG " + Path(path).name + (f" #{index:04d}" if fr.nframes > 1 else ""))
        if cacheImage:
            _IMAGE_CACHE[entry["ranId"]] = fr.data
        return img

    # --- the pixels -------------------------------------------------------------------------------
    @property
    def controls(self) -> dict:
        return self.data["Image Controls"]

    @property
    def image(self) -> np.ndarray:
        """The corrected image (dark, background, flat background, gain applied) as float64."""
        return I.prepare_image(self.raw_image, self.controls, *self._control_images())

    @property
    def raw_image(self) -> np.ndarray:
        key = self.data.get("ranId")
        if key in _IMAGE_CACHE:
            return _IMAGE_CACHE[key]
        src = self.data["data"][1]
        path, tag = (src if isinstance(src, (tuple, list)) else (src, None))
        fr = io.read_images(path, index_list=None if tag is None else [tag])[0]
        return fr.data

    def _control_images(self):
        out = []
        for key in ("dark image", "background image", "Gain map"):
            ref = self.controls.get(key)
            name = ref[0] if isinstance(ref, (list, tuple)) else ref
            if not name:
                out.append(None)
                continue
            other = self.proj.image(name) if self.proj is not None and hasattr(self.proj, "image") else None
            if other is not None:
                out.append(np.asarray(other.raw_image, dtype=np.float64))
            elif Path(str(name)).is_file():
                out.append(np.asarray(io.read_images(name)[0].data, dtype=np.float64))
            else:
                raise ParameterError(key, "an image in the project or an image file", name)
        return out

    def clearImageCache(self):
        """Forget a cached copy of the image (it is re-read from its file when needed)."""
        _IMAGE_CACHE.pop(self.data.get("ranId"), None)

    def cacheImage(self, array=None):
        """Keep the image (or ``array``) in memory for later calls."""
        _IMAGE_CACHE[self.data["ranId"]] = self.raw_image if array is None else np.asarray(array)

    # --- controls ---------------------------------------------------------------------------------
    def getControl(self, arg):
        """The value of one Image Controls key."""
        if arg not in self.controls:
            from difflib import get_close_matches
            near = get_close_matches(str(arg), list(self.controls), n=1)
            raise ParameterError(arg, "an Image Controls key" + (f" (did you mean {near[0]!r}?)" if near else ""),
                                 arg)
        return self.controls[arg]

    def setControl(self, arg, value):
        """Set one Image Controls key (checked)."""
        if arg not in self.controls and arg not in ("pixelSize", "size"):
            raise ParameterError(arg, "an Image Controls key", arg)
        C.apply_controls(self.controls, {arg: value})

    def getControls(self, clean: bool = False) -> dict:
        """A deep copy of the Image Controls (``clean``: calibration points and ranges removed)."""
        c = copy.deepcopy({k: v for k, v in self.controls.items()})
        if clean:
            for k in ("rings", "ellipses", "ring", "range", "size", "chisq"):
                c.pop(k, None)
        return c

    def setControls(self, controlsDict: dict):
        """Update Image Controls from a dict (checked; unknown keys raise ParameterError)."""
        bad = [k for k in controlsDict if k not in self.controls]
        if bad:
            raise ParameterError(bad[0], "an Image Controls key", bad[0])
        C.apply_controls(self.controls, controlsDict)

    def findControl(self, arg: str = "") -> list:
        """Image Controls keys containing ``arg`` (case-insensitive)."""
        return sorted(k for k in self.controls if arg.lower() in k.lower())

    def loadControls(self, filename, imgindex=None):
        """Read an ``.imctrl`` file into the controls (pixel size and image size are kept)."""
        vals = C.read_imctrl(filename)
        for k in ("size",):
            vals.pop(k, None)
        C.apply_controls(self.controls, vals)

    def loadControlsDict(self, controlsDict: dict):
        """Set controls from a dict as if read from a file."""
        C.apply_controls(self.controls, controlsDict)

    def saveControls(self, filename):
        """Write the controls as an ``.imctrl`` file."""
        C.write_imctrl(filename, self.controls)

    def setVary(self, arg, value: bool = True):
        """Set refinement flags: a name, a list of names or '*' (all of dist, det-X, ... sag)."""
        names = list(C.VARY_NAMES) if arg == "*" else ([arg] if isinstance(arg, str) else list(arg))
        bad = [n for n in names if n not in C.VARY_NAMES]
        if bad:
            raise ParameterError(f"varyList.{bad[0]}", f"one of {C.VARY_NAMES} or '*'", bad[0])
        for n in names:
            self.controls["varyList"][n] = bool(value)

    def getVary(self, *args) -> list:
        """Flags of the named parameters (all names when none given)."""
        names = args or C.VARY_NAMES
        bad = [n for n in names if n not in C.VARY_NAMES]
        if bad:
            raise ParameterError(f"varyList.{bad[0]}", f"one of {C.VARY_NAMES}", bad[0])
        return [self.controls["varyList"].get(n, False) for n in names]

    def setCalibrant(self, calib=None):
        """Set the calibrant by its GSAS-II name; with no argument, print and return the choices."""
        if calib is None:
            names = cal.calibrant_names()
            print("Calibrants:\n  " + "\n  ".join(repr(n) for n in names))
            return names
        key = cal.resolve(calib)
        self.controls["calibrant"] = key
        return key

    def setControlFile(self, typ: str, imageRef, mult=None):
        """Use another image (project image name or file) as 'dark', 'background' or 'gain' map."""
        key = C.CONTROL_FILE_KEYS.get(str(typ).lower())
        if key is None:
            raise ParameterError("typ", "'dark', 'background' or 'gain'", typ)
        name = getattr(imageRef, "name", imageRef)
        if key == "Gain map":
            self.controls[key] = name
        else:
            self.controls[key] = [name, -1.0 if mult is None else float(mult)]

    # --- masks --------------------------------------------------------------------------------------
    def loadMasks(self, filename, ignoreThreshold: bool = False):
        """Read an ``.immask`` file (thresholds kept from the image when ``ignoreThreshold``)."""
        m = mk.read_immask(filename)
        if ignoreThreshold:
            m["Thresholds"] = self.data["Masks"].get("Thresholds", m["Thresholds"])
        m["SpotMask"] = dict(m.get("SpotMask") or {}, spotMask=self.data["Masks"].get("SpotMask", {}).get("spotMask"))
        self.data["Masks"] = m

    def getMasks(self) -> dict:
        """A copy of the Masks dict without the pixel mask (which belongs to one image)."""
        m = {k: copy.deepcopy(v) for k, v in self.data["Masks"].items() if k != "SpotMask"}
        m["SpotMask"] = {"esdMul": self.data["Masks"].get("SpotMask", {}).get("esdMul", 3.0), "spotMask": None}
        return m

    def setMasks(self, maskDict: dict, resetThresholds: bool = False):
        """Replace the masks (keeping this image's pixel mask); ``resetThresholds`` uses its range."""
        m = mk.check_masks({k: copy.deepcopy(v) for k, v in maskDict.items()})
        old = self.data["Masks"]
        m["SpotMask"] = dict(m.get("SpotMask") or {"esdMul": 3.0},
                             spotMask=old.get("SpotMask", {}).get("spotMask"))
        if resetThresholds or "Thresholds" not in m:
            rng = self.controls.get("range") or old.get("Thresholds")
            m["Thresholds"] = [tuple(rng[0]), list(rng[0])] if rng else old.get("Thresholds")
        self.data["Masks"] = m

    def clearPixelMask(self):
        """Drop the pixel mask made by GeneratePixelMask."""
        self.data["Masks"].setdefault("SpotMask", {})["spotMask"] = None

    @staticmethod
    def TestFastPixelMask() -> bool:
        """Always True: the vectorised pixel mask needs no compiled module."""
        return P.fast_pixel_mask_available()

    # --- cached maps ----------------------------------------------------------------------------
    def _shape(self):
        nx, ny = self.controls["size"]
        if not nx or not ny:
            ny, nx = self.raw_image.shape
        return int(ny), int(nx)

    def IntThetaAzMap(self) -> I.IntegrationMaps:
        """2θ/azimuth/correction maps and the pyFAI integrator for the current controls (reusable)."""
        return I.IntegrationMaps(self.controls, self._shape(), self.data["Masks"],
                                 position_mask=self.IntMaskMap())

    def IntMaskMap(self) -> np.ndarray:
        """Mask from Frames, Polygons, Points and lines (True = masked), reusable across images."""
        return mk.position_mask(self.data["Masks"], self._shape(), self.controls["pixelSize"])

    def MaskThetaMap(self) -> np.ndarray:
        """Per-pixel 2θ (deg) used by GeneratePixelMask."""
        from .geometry import pixel_xy_mm, tth_azm_g
        x, y = pixel_xy_mm(self._shape(), self.controls["pixelSize"])
        return tth_azm_g(x, y, self.controls)[0]

    def MaskFrameMask(self) -> np.ndarray:
        """Pixels outside the Frame mask (True = outside), used by GeneratePixelMask."""
        return mk.frame_mask(self.data["Masks"], self._shape(), self.controls["pixelSize"])

    # --- processing -----------------------------------------------------------------------------
    def GeneratePixelMask(self, esdMul: float = 3.0, ttmin: float = 0.0, ttmax: float = 180.0,
                          FrameMask=None, ThetaMap=None, fastmode: bool = True, combineMasks: bool = False):
        """Mask pixels more than ``esdMul`` MADs from their ring median; stored in Masks['SpotMask']."""
        tth = self.MaskThetaMap() if ThetaMap is None else ThetaMap
        frame = self.MaskFrameMask() if FrameMask is None else FrameMask
        out = P.auto_pixel_mask(self.image, tth, self.controls, float(esdMul), frame, ttmin, ttmax)
        sm = self.data["Masks"].setdefault("SpotMask", {"esdMul": esdMul})
        sm["esdMul"] = float(esdMul)
        if combineMasks and sm.get("spotMask") is not None:
            out = out | np.asarray(sm["spotMask"], dtype=bool)
        sm["spotMask"] = out
        return out

    def Recalibrate(self):
        """Refit the flagged calibration controls to ring points found at the current geometry."""
        frame = self.MaskFrameMask()
        return K.recalibrate(self.image, self.controls, valid=None if not frame.any() else ~frame)

    def Integrate(self, name=None, MaskMap=None, ThetaAzimMap=None, engine: str = "auto"):
        """Integrate to powder patterns (one per azimuth sector).

        With a project the patterns become its histograms (G2PwdrData) and are
        returned; standalone, :class:`IntegratedPattern` objects are returned.
        ``MaskMap``/``ThetaAzimMap`` are the reusable results of IntMaskMap/IntThetaAzMap.
        """
        c = self.controls
        img = self.image
        maps = ThetaAzimMap
        if maps is None or not isinstance(maps, I.IntegrationMaps):
            pos = self.IntMaskMap() if MaskMap is None else MaskMap
            maps = I.IntegrationMaps(c, img.shape, self.data["Masks"], position_mask=pos)
        elif MaskMap is not None and MaskMap is not maps.position and not np.array_equal(MaskMap, maps.position):
            maps = I.IntegrationMaps(c, img.shape, self.data["Masks"], position_mask=MaskMap)
        pm = self.data["Masks"].get("SpotMask", {}).get("spotMask")
        h, azm_edges, x, n = I.integrate(img, c, self.data["Masks"], maps=maps, pixel_mask=pm, engine=engine)
        base = name or (self.name[4:] if self.name.startswith("IMG ") else self.name)
        full = int(c["outAzimuths"]) == 1 and abs(azm_edges[-1] - azm_edges[0] - 360.0) < 1e-9
        out = []
        for k in range(h.shape[0]):
            azm = 0.0 if full else 0.5 * (azm_edges[k] + azm_edges[k + 1])
            hname = f"{base} Azm= {azm:.2f}"
            y = h[k]
            w = np.where(y > 0, 1.0 / np.where(y > 0, y, 1.0), 0.0)
            inst = {"Type": "PXC", "Lam": float(c["wavelength"]), "Zero": 0.0,
                    "Polariz.": float(c["PolaVal"][0]), "Azimuth": float(azm),
                    "U": 1.0, "V": -1.0, "W": 0.3, "X": 0.0, "Y": 0.0, "Z": 0.0, "SH/L": 0.002}
            if self.proj is not None and hasattr(self.proj, "_add_pwdr_arrays"):
                sample = self._sample_parameters(azm)
                out.append(self.proj._add_pwdr_arrays("PWDR " + hname, x, y, w, inst=inst, sample=sample,
                                                      comments=[f"Image: {self.name}"]))
            else:
                out.append(IntegratedPattern("PWDR " + hname, x.copy(), y, w, inst))
        return out

    def _sample_parameters(self, azm: float):
        """Debye-Scherrer sample parameters with the detector distance as goniometer radius, or None."""
        try:
            from ..powder.model import default_sample_parameters
        except ImportError:  # pragma: no cover - the powder face is part of beamkit
            return None
        sample = default_sample_parameters("Debye-Scherrer")
        sample["Gonio. radius"] = float(self.controls["distance"])
        sample["Azimuth"] = float(azm)
        return sample

    def plot(self, filename=None, what: str = "image", **kw):
        """PNG of the image with rings and masks ('image') or of the 2θ-azimuth cake ('cake')."""
        from .plots import plot_cake, plot_image
        if what == "cake":
            return plot_cake(self, filename, **kw)
        return plot_image(self, filename, **kw)
