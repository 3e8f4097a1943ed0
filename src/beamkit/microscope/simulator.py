"""The simulated sample and optics: fluorescent beads and filaments imaged through a Gaussian PSF.

All positions in metres, times in seconds, rates in photons per second.
The expected image is a sum of separable Gaussians, computed as one matrix
product per plane (``G_y @ diag(w) @ G_x^T``); counts are Poisson.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Sample", "make_sample", "psf_sigmas", "expected_plane", "ScanPlan", "plan_scan"]

FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass
class Sample:
    """Point emitters: positions (m), brightness (relative) and a dye index per emitter.

    Dye 0 = beads (red, excited at 640 nm), dye 1 = filaments (orange, 561 nm).
    """

    xyz: np.ndarray     # (n, 3) float64, metres
    weight: np.ndarray  # (n,) float64
    dye: np.ndarray     # (n,) int8


#: relative excitation of each dye by the lasers Exc_485, Exc_561, Exc_640 (STED_775 excites nothing)
EXCITATION = np.array([[0.02, 0.15, 1.0, 0.0],    # red dye
                       [0.30, 1.0, 0.05, 0.0]])   # orange dye
#: emission of each dye into detector window k (rows: dye; columns: detector centre wavelength bins)
DYE_PEAK = np.array([6.7e-07, 5.9e-07])
DYE_WIDTH = 3.0e-08


def make_sample(seed: int = 7, n_beads: int = 400, n_filaments: int = 40, field: float = 4e-5,
                depth: float = 2e-6) -> Sample:
    """Beads (uniform in a ``field``² × ``depth`` box centred on 0) and smooth filaments (20 nm steps)."""
    rng = np.random.default_rng(seed)
    beads = np.column_stack([rng.uniform(-field / 2, field / 2, (n_beads, 2)),
                             rng.normal(0.0, depth / 6, n_beads)])
    bead_w = rng.lognormal(0.0, 0.25, n_beads)
    pts = []
    step = 2e-8
    n_steps = int(field / step)
    for _ in range(n_filaments):
        start = rng.uniform(-field / 2, field / 2, 2)
        angle = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.01, n_steps))
        xy = start + np.cumsum(step * np.column_stack([np.cos(angle), np.sin(angle)]), axis=0)
        z = rng.normal(0, depth / 10) + np.cumsum(rng.normal(0, step * 0.02, n_steps))
        pts.append(np.column_stack([xy, z]))
    fil = np.concatenate(pts) if pts else np.zeros((0, 3))
    xyz = np.concatenate([beads, fil])
    weight = np.concatenate([bead_w, np.full(len(fil), 0.05)])
    dye = np.concatenate([np.zeros(n_beads, np.int8), np.ones(len(fil), np.int8)])
    return Sample(xyz, weight, dye)


def psf_sigmas(wavelength: float, na: float, sted_power: float = 0.0, saturation: float = 2.0) -> tuple:
    """Lateral and axial Gaussian sigma (m): confocal FWHM 0.51 λ/NA, STED narrows laterally by √(1+P/Psat)."""
    lateral = 0.51 * wavelength / na / FWHM
    axial = 1.4 * wavelength / na ** 2 / FWHM
    return lateral / np.sqrt(1.0 + max(sted_power, 0.0) / saturation), axial


def _gauss(pix: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """(len(pix), len(centres)) Gaussian weights, normalised to integrate to 1 over the pixel grid."""
    d = (pix[:, None] - centres[None, :]) / sigma
    return np.exp(-0.5 * d * d)


def expected_plane(sample: Sample, x: np.ndarray, y: np.ndarray, z: float, sig_xy: float, sig_z: float,
                   dye_gain: np.ndarray) -> np.ndarray:
    """Expected relative signal on the grid ``y`` × ``x`` (pixel centres, m) at focus ``z`` (m).

    ``dye_gain[d]`` scales every emitter of dye d (excitation × detection).
    Emitters more than 5 sigma outside the field are skipped.
    """
    xyz = sample.xyz
    m = 5 * sig_xy
    keep = ((xyz[:, 0] > x.min() - m) & (xyz[:, 0] < x.max() + m) & (xyz[:, 1] > y.min() - m)
            & (xyz[:, 1] < y.max() + m) & (np.abs(xyz[:, 2] - z) < 5 * sig_z))
    keep &= dye_gain[sample.dye] > 0
    if not keep.any():
        return np.zeros((len(y), len(x)))
    p = xyz[keep]
    w = sample.weight[keep] * dye_gain[sample.dye[keep]] * np.exp(-0.5 * ((p[:, 2] - z) / sig_z) ** 2)
    gy = _gauss(y, p[:, 1], sig_xy) * w[None, :]
    gx = _gauss(x, p[:, 0], sig_xy)
    return gy @ gx.T


@dataclass
class ScanPlan:
    """What one run of a configuration scans: pixel centres per axis (m / s), frame axis, dwell (s)."""

    x: np.ndarray
    y: np.ndarray
    frames: np.ndarray     # z positions (m) or time points (s)
    frame_axis: str        # 'z', 't' or ''
    dwell: float           # per pixel, including line accumulation (s)
    res: list              # OBF order [x, y, z, t]
    lengths: list
    offsets: list
    labels: list


def _centres(ax: dict, n: int) -> np.ndarray:
    """Imspector convention: the offset is the field centre; pixel k at off + (k - (n-1)/2) * psz."""
    return ax["off"] + ax.get("g_off", 0.0) + (np.arange(n) - (n - 1) / 2.0) * ax["psz"]


def plan_scan(params: dict, axes: list) -> ScanPlan:
    """Geometry of a scan from a configuration's parameter dict and its decoded scan-mode axes."""
    rng = params["ExpControl"]["scan"]["range"]
    dwell = float(params["ExpControl"]["scan"]["dwelltime"]) * max(1, int(rng.get("line_accu", 1)))
    res = {"x": 1, "y": 1, "z": 1, "t": 1}
    for a in axes:
        res[a] = max(1, int(rng[a]["res"]))
    x = _centres(rng["x"], res["x"]) if "x" in axes else np.array([rng["x"]["off"]])
    y = _centres(rng["y"], res["y"]) if "y" in axes else np.array([rng["y"]["off"]])
    frame_axis = "z" if "z" in axes else ("t" if "t" in axes else "")
    if frame_axis == "z":
        frames = _centres(rng["z"], res["z"])
    elif frame_axis == "t":
        frames = np.arange(res["t"]) * rng["t"]["psz"]
    else:
        frames = np.array([rng["z"]["off"]])
    lengths = [rng[a]["len"] if a in axes else 1.0 for a in ("x", "y", "z", "t")]
    offsets = [rng[a]["off"] if a in axes else 0.0 for a in ("x", "y", "z", "t")]
    names = {"x": "ExpControl X", "y": "ExpControl Y", "z": "ExpControl Z", "t": "Time"}
    labels = [names[a] if a in axes else "None" for a in ("x", "y", "z", "t")]
    return ScanPlan(x, y, frames, frame_axis, dwell, [res["x"], res["y"], res["z"], res["t"]],
                    lengths, offsets, labels)
