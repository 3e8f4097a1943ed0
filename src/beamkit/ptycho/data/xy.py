"""Scan patterns (pure functions) with ptypy 0.9's names and rules (``ptypy.core.xy``).

Positions are (N, 2) float arrays in the unit of the inputs (m).  As in ptypy, the pattern
generators return column 0 / column 1 in their own order (see each function), and
:func:`from_pars` applies offset, extent filter and count.
"""
from __future__ import annotations

import numpy as np

from ...errors import ParameterError
from ..utils_array import expect2

__all__ = ["round_scan", "raster_scan", "spiral_scan", "square_filter", "moonflower_positions",
           "from_pars", "complete", "DEFAULT"]

#: ptypy's ``xy`` defaults (used for keys missing from the settings handed to :func:`from_pars`)
DEFAULT = dict(override=None, model=None, extent=15e-6, spacing=1.5e-6, steps=10, offset=0.0, jitter=None,
               count=None)


def _two(v, cast=float) -> np.ndarray:
    """ptypy's expect2 (a scalar repeated, else the first two entries) as ``cast``."""
    return expect2(v).astype(cast)


def round_scan(dr: float = 1.5e-6, nr: int = 5, nth: int = 5, bullseye: bool = True) -> np.ndarray:
    """ptypy's round scan: the origin (if ``bullseye``), then shells ir = 1..nr+1 of ``nth*ir``
    points at radius ir*dr (m), point j of a shell at angle 2*pi*j/(nth*ir), as (r sin, r cos).

    Note ``nr + 1`` shells are made (ptypy's convention)."""
    shells = np.arange(1, int(nr) + 2)
    counts = int(nth) * shells
    ir = np.repeat(shells, counts)
    j = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)   # index within the shell
    th = j * (2 * np.pi / (int(nth) * ir))
    r = ir * float(dr)
    pts = np.stack([r * np.sin(th), r * np.cos(th)], axis=1).reshape(-1, 2)
    return np.concatenate([np.zeros((1, 2)), pts]) if bullseye else pts


def raster_scan(dy: float = 1.5e-6, dx: float = 1.5e-6, ny: int = 10, nx: int = 10) -> np.ndarray:
    """ptypy's raster scan (ang = 0): point k = (dx * (k // ny), dy * (k % ny)), k < nx*ny (m).

    As in ptypy, column 0 carries the ``dx`` steps and runs slow, column 1 the ``dy`` steps and
    runs fast; the grid starts at (0, 0) and is not centred."""
    k = np.arange(int(nx) * int(ny))
    return np.stack([float(dx) * (k // int(ny)), float(dy) * (k % int(ny))], axis=1).astype(float)


def spiral_scan(dr: float = 1.5e-6, r: float = 7.5e-6, maxpts: int | None = None) -> np.ndarray:
    """ptypy's spiral: theta_k = sqrt(4 pi) sqrt(k), radius_k = dr * theta_k / (2 pi) (m), points
    (radius sin theta, radius cos theta) for k = 0, 1, ... while radius_k <= ``r`` (at most ``maxpts``,
    default 100000).  Consecutive turns are dr apart."""
    maxpts = 100000 if maxpts is None else int(maxpts)
    # radius_k <= r  <=>  k <= pi (r/dr)**2; a margin of 2, then the exact test on the same formula
    kmax = min(maxpts, int(np.floor(np.pi * (float(r) / float(dr)) ** 2)) + 2) if dr else maxpts
    th = np.sqrt(4 * np.pi) * np.sqrt(np.arange(max(kmax, 0)))
    rr = float(dr) / (2 * np.pi) * th
    over = np.nonzero(rr > float(r))[0]
    n = over[0] if len(over) else len(rr)                 # ptypy stops at the first point beyond r
    return np.stack([rr[:n] * np.sin(th[:n]), rr[:n] * np.cos(th[:n])], axis=1).reshape(-1, 2)


def square_filter(pos: np.ndarray, half_width) -> np.ndarray:
    """Keep positions with -half_width <= y, x <= half_width (inclusive, per axis), order kept."""
    pos = np.asarray(pos, float).reshape(-1, 2)
    hw = _two(half_width)
    return pos[((pos >= -hw) & (pos <= hw)).all(axis=1)]


def complete(extent, steps, spacing):
    """ptypy's ``_complete``: (extent, steps, spacing) as length-2 arrays, the missing one of the
    three derived (extent = steps*spacing; steps = int(extent/spacing); spacing = extent/steps)."""
    if sum(v is None for v in (extent, steps, spacing)) >= 2:
        raise ParameterError("xy", "at most one of extent, steps, spacing None", (extent, steps, spacing))
    if steps is None:
        e, s = _two(extent), _two(spacing)
        return e, (e / s).astype(int), s
    if spacing is None:
        e, n = _two(extent), _two(steps)
        return e, n, e / n
    n, s = _two(steps), _two(spacing)
    return n * s, n, s


def moonflower_positions(num_frames: int, step, model: str = "round"):
    """Positions of ptypy's MoonFlowerScan/QuickScan (m) and the frame count actually produced.

    ``step`` (m, scalar or (y, x)) is resolution*shape*density.  raster: ptypy's
    ``raster_scan(step_y, step_x, s, s)`` with s = round(sqrt(n)) + 1 (s**2 points, no filter);
    round/spiral: :func:`from_pars` with steps = round(sqrt(n) + 1), extent = steps*step and
    count = n.
    """
    n = int(num_frames)
    if n < 1:
        raise ParameterError("num_frames", ">= 1", n)
    st = _two(step)
    if model == "raster":
        steps = int(round(np.sqrt(n))) + 1
        pos = raster_scan(st[0], st[1], steps, steps)
        return pos, len(pos)
    if model not in ("round", "spiral"):
        raise ParameterError("model", "'round', 'raster' or 'spiral'", model)
    steps = int(np.round(np.sqrt(n) + 1))
    pos = from_pars(dict(model=model, spacing=st, steps=steps, extent=steps * st, count=n))
    return pos, len(pos)


def from_pars(xy) -> np.ndarray | None:
    """Positions (m) from an ``xy`` sub-tree as ptypy's ``xy.from_pars``.

    Keys missing from ``xy`` take ptypy's defaults (:data:`DEFAULT`: extent 15e-6 m, spacing
    1.5e-6 m, steps 10).  override -> returned as is; model None -> None; model an (N, 2)
    array, 'round' (``round_scan(spacing, steps//2)``: steps//2 + 1 shells, whatever the extent),
    'spiral' (``spiral_scan(spacing, extent/2)`` with extent = steps*spacing) or 'raster'
    (``raster_scan(spacing_y, spacing_x, steps_y, steps_x)``, starting at 0).  Then ``offset`` (m)
    is added, the positions outside the rectangle |y|, |x| <= extent/2 are dropped (no filter
    when ``extent`` is None) and the first ``count`` are kept (count None or <= 0: all).
    ``jitter`` is accepted and has no effect, as in ptypy 0.9 (its code reads ``pos = pos``).
    """
    if xy is None:
        return None
    if isinstance(xy, (list, np.ndarray)):
        return np.asarray(xy, float)
    if not hasattr(xy, "get"):
        raise ParameterError("xy", "a dict/Param, an (N, 2) array or None", type(xy).__name__)
    p = dict(DEFAULT)
    p.update({k: xy.get(k) for k in DEFAULT if k in xy})
    if p["override"] is not None:
        return np.asarray(p["override"], float)
    model = p["model"]
    if model is None:
        return None
    if not isinstance(model, str):
        pos = np.asarray(model, float)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ParameterError("xy.model", "'round', 'raster', 'spiral' or an (N, 2) array", pos.shape)
    elif model in ("round", "spiral", "raster"):
        e, n, s = complete(p["extent"], p["steps"], p["spacing"])
        if model == "round":
            pos = round_scan(s[0], int(n[0]) // 2)
        elif model == "spiral":
            pos = spiral_scan(s[0], e[0] / 2)
        else:
            pos = raster_scan(s[0], s[1], int(n[0]), int(n[1]))
    else:
        raise ParameterError("xy.model", "None, 'round', 'raster', 'spiral' or an (N, 2) array", model)
    if p["offset"] is not None:
        pos = pos + _two(p["offset"])
    if p["extent"] is not None:
        pos = square_filter(pos, _two(p["extent"]) / 2)
    count = p["count"]
    if count is not None and count > 0:
        pos = pos[:int(count)]
    return pos
