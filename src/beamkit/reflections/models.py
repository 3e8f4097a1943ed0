"""Experiment models with dxtbx' names: Beam, Panel/Detector, Goniometer, Scan, Crystal, ImageSet, Experiment.

Each model keeps its JSON dict (so an .expt file is rewritten unchanged) and
offers the geometry as numpy: lengths in mm (detector) and Å (beam,
crystal), angles in degrees in the dict and radians where a method says so.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["Beam", "Panel", "Detector", "Goniometer", "Scan", "Crystal", "ImageSet", "Experiment",
           "ExperimentList", "rotation_matrix"]


def _vec(d, key, n=3, where="model"):
    try:
        v = np.asarray(d[key], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise ParameterError(f"{where}.{key}", f"{n} numbers", d.get(key) if isinstance(d, dict) else d) from None
    if v.shape != (n,):
        raise ParameterError(f"{where}.{key}", f"{n} numbers", d[key])
    return v


class _Model:
    kind = "model"

    def __init__(self, d: dict):
        if not isinstance(d, dict):
            raise ParameterError(self.kind, "a JSON object", type(d).__name__)
        self.d = d

    def to_dict(self) -> dict:
        return self.d

    def __repr__(self):
        return f"{type(self).__name__}({self.d!r:.120})"


class Beam(_Model):
    """Monochromatic beam: ``direction`` is sample → source; s0 = −direction/λ (Å⁻¹)."""

    kind = "beam"

    def get_wavelength(self) -> float:
        if "wavelength" not in self.d:
            raise ParameterError("beam.wavelength", "a monochromatic beam", self.d.get("__id__"))
        return float(self.d["wavelength"])

    def get_direction(self) -> np.ndarray:
        v = _vec(self.d, "direction", where="beam")
        return v / np.linalg.norm(v)

    def get_s0(self) -> np.ndarray:
        return -self.get_direction() / self.get_wavelength()


class Panel(_Model):
    """One detector panel: origin, fast and slow axes (lab frame, mm), pixel size (mm), image size (px)."""

    kind = "panel"

    def get_name(self):
        return self.d.get("name", "")

    def get_image_size(self):
        return tuple(int(v) for v in self.d["image_size"])

    def get_pixel_size(self):
        return tuple(float(v) for v in self.d["pixel_size"])

    def get_trusted_range(self):
        return tuple(float(v) for v in self.d["trusted_range"])

    def get_type(self):
        return self.d.get("type", "SENSOR_UNKNOWN")

    def get_d_matrix(self) -> np.ndarray:
        """Columns fast, slow, origin (mm)."""
        return np.column_stack([_vec(self.d, "fast_axis", where="panel"), _vec(self.d, "slow_axis", where="panel"),
                                _vec(self.d, "origin", where="panel")])

    def get_mask_rectangles(self):
        """Untrusted rectangles (x0, x1, y0, y1) in px."""
        return [tuple(int(v) for v in r) for r in self.d.get("mask", [])]

    def pixel_to_millimeter(self, xy_px) -> np.ndarray:
        """Simple px → mm strategy (no parallax correction); (n, 2) in, (n, 2) out."""
        return np.asarray(xy_px, dtype=np.float64) * np.asarray(self.get_pixel_size())

    def get_lab_coord(self, xy_mm) -> np.ndarray:
        """Lab-frame coordinates (mm) of panel points (n, 2) in mm."""
        xy = np.asarray(xy_mm, dtype=np.float64).reshape(-1, 2)
        D = self.get_d_matrix()
        return xy[:, :1] * D[:, 0] + xy[:, 1:2] * D[:, 1] + D[:, 2]


class Detector(_Model):
    """A list of panels (plus the JSON hierarchy)."""

    kind = "detector"

    def __init__(self, d: dict):
        super().__init__(d)
        self.panels = [Panel(p) for p in d.get("panels", [])]

    def __len__(self):
        return len(self.panels)

    def __getitem__(self, i) -> Panel:
        return self.panels[i]

    def __iter__(self):
        return iter(self.panels)


def rotation_matrix(axis, angle_rad) -> np.ndarray:
    """Right-handed rotation matrices about unit ``axis`` by ``angle_rad`` (scalar or (n,)) → (..., 3, 3)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    a = np.asarray(angle_rad, dtype=np.float64)[..., None, None]
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * (K @ K)


class Goniometer(_Model):
    """Single-axis goniometer: lab = S · R(φ) · F · crystal."""

    kind = "goniometer"

    def get_rotation_axis(self) -> np.ndarray:
        return _vec(self.d, "rotation_axis", where="goniometer")

    def get_fixed_rotation(self) -> np.ndarray:
        return np.asarray(self.d.get("fixed_rotation", np.eye(3).ravel()), np.float64).reshape(3, 3)

    def get_setting_rotation(self) -> np.ndarray:
        return np.asarray(self.d.get("setting_rotation", np.eye(3).ravel()), np.float64).reshape(3, 3)


class Scan(_Model):
    """Rotation scan: image_range (1-based, inclusive) and oscillation (start°, width°); both JSON shapes."""

    kind = "scan"

    def get_image_range(self):
        return tuple(int(v) for v in self.d["image_range"])

    def get_array_range(self):
        a, b = self.get_image_range()
        return (a - 1, b)

    def get_oscillation(self):
        """(start of the first image, width) in degrees."""
        if "oscillation" in self.d:
            o = self.d["oscillation"]
            return float(o[0]), float(o[1])
        props = self.d.get("properties", {})
        if "oscillation" in props:
            start = props["oscillation"]
            width = props.get("oscillation_width", [start[1] - start[0] if len(start) > 1 else 0.0])
            return float(start[0]), float(width[0])
        return 0.0, 0.0

    def get_num_images(self):
        a, b = self.get_image_range()
        return b - a + 1

    def get_angle_from_array_index(self, z, deg=True):
        """Rotation angle at array index ``z`` (frames; z=array_range[0] is the first image's start)."""
        start, width = self.get_oscillation()
        ang = start + (np.asarray(z, np.float64) - self.get_array_range()[0]) * width
        return ang if deg else np.deg2rad(ang)


class Crystal(_Model):
    """Crystal: real-space vectors a, b, c (Å) and the Hall symbol; A = inv([a; b; c]) (Å⁻¹)."""

    kind = "crystal"

    def get_real_space_vectors(self) -> np.ndarray:
        return np.array([_vec(self.d, k, where="crystal") for k in ("real_space_a", "real_space_b", "real_space_c")])

    def get_A(self) -> np.ndarray:
        return np.linalg.inv(self.get_real_space_vectors())

    def get_unit_cell(self):
        """(a, b, c, α, β, γ) in Å and degrees."""
        a, b, c = self.get_real_space_vectors()
        la, lb, lc = (float(np.linalg.norm(v)) for v in (a, b, c))

        def ang(u, v):
            return float(np.degrees(np.arccos(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v))))
        return (la, lb, lc, ang(b, c), ang(a, c), ang(a, b))

    def get_space_group_hall_symbol(self) -> str:
        return self.d.get("space_group_hall_symbol", "")


class ImageSet(_Model):
    """Image set: ImageSequence (template), ImageSet (images list), ImageGrid; paths relative to the .expt."""

    kind = "imageset"

    def __init__(self, d: dict, directory=None):
        super().__init__(d)
        self.directory = directory

    def get_template(self):
        return self.d.get("template")

    def paths(self, image_range=None):
        """Image file paths (resolved against the .expt folder)."""
        from pathlib import Path
        base = Path(self.directory or ".")
        if "images" in self.d:
            return [str(base / p) for p in self.d["images"]]
        t = self.d.get("template")
        if not t:
            return []
        nhash = t.count("#")
        first, last = image_range or (1, 1)
        head, tail = t.split("#" * nhash, 1) if nhash else (t, "")
        return [str(base / f"{head}{i:0{nhash}d}{tail}") for i in range(first, last + 1)]


class Experiment:
    """One experiment: references to shared models (None when absent, e.g. stills have no scan)."""

    def __init__(self, identifier="", beam=None, detector=None, goniometer=None, scan=None, crystal=None,
                 imageset=None, profile=None, scaling_model=None, extra=None):
        self.identifier, self.beam, self.detector, self.goniometer = identifier, beam, detector, goniometer
        self.scan, self.crystal, self.imageset = scan, crystal, imageset
        self.profile, self.scaling_model = profile, scaling_model
        self.extra = extra or {}

    def __repr__(self):
        parts = [k for k in ("beam", "detector", "goniometer", "scan", "crystal", "imageset") if getattr(self, k)]
        return f"Experiment({self.identifier!r}: {', '.join(parts)})"


class ExperimentList(list):
    """A list of :class:`Experiment`; models may be shared between experiments."""

    def identifiers(self):
        return [e.identifier for e in self]

    def as_file(self, path) -> None:
        """Write as .expt JSON (atomic)."""
        from .io_expt import write_expt
        write_expt(path, self)

    as_json = as_file

    def beams(self):
        return _unique(e.beam for e in self)

    def detectors(self):
        return _unique(e.detector for e in self)

    def crystals(self):
        return _unique(e.crystal for e in self)

    def scans(self):
        return _unique(e.scan for e in self)

    def goniometers(self):
        return _unique(e.goniometer for e in self)

    def imagesets(self):
        return _unique(e.imageset for e in self)


def _unique(models):
    seen, out = set(), []
    for m in models:
        if m is not None and id(m) not in seen:
            seen.add(id(m))
            out.append(m)
    return out
