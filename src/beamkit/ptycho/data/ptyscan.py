"""``PtyScan``: the base class of every data source (loaders and simulations).

Data contract (what the scan models and engines rely on)
--------------------------------------------------------
::

    scan = make_scan(pars_of_scans.<name>.data)   # a PtyScan chosen by data.name
    scan.initialize()                             # geometry, positions, frame count
    msg = scan.auto(n)                            # at most n frames
    if msg is WAIT:  ...                          # live data: nothing new yet, ask again later
    elif msg is EOS: ...                          # end of scan: no more frames ever
    else: chunk = msg

``WAIT`` and ``EOS`` are the strings ``'msgWAIT'`` and ``'msgEOS'`` (compare with ``==``).
A chunk is a dict:

* ``common``: the scan's meta data, the same dict for every chunk of a scan:
  ``shape`` (2,) int px (final frame shape), ``psize`` (2,) float m (detector pixel, after
  rebinning), ``distance`` m, ``energy`` keV, ``lam`` m (wavelength), ``center`` (2,) float px
  (optical axis in the final frame; N/2 for 'fftshift'), ``num_frames`` (expected total,
  None while unknown for live data), ``label``, ``version``, ``propagation``
  ('farfield'), ``resolution`` (2,) m (object pixel lam*distance/(shape*psize)),
  ``weight2d`` (final-shape float mask or None) and anything ``load_common`` returned;
* ``iterable``: a list with one dict per frame: ``index`` (int, global frame number),
  ``data`` (float32 (Ny, Nx), counts), ``mask`` (bool (Ny, Nx), True = valid pixel),
  ``position`` (float64 (2,) m; [row, column] = [vertical, horizontal]);
* the same frames as stacked arrays (no copies: the iterable's entries are views of them):
  ``indices`` (n,) int64, ``data`` (n, Ny, Nx) float32, ``mask`` (n, Ny, Nx) bool,
  ``positions`` (n, 2) float64 m.

Writing a loader
----------------
Subclass :class:`PtyScan`, optionally set ``DEFAULT`` and override any of:

* ``load_common() -> dict``: data shared by all frames (e.g. ``weight2d``, ``positions_scan``);
* ``load_positions() -> (N, 2) array`` in m, or None (any other shape is refused, never reshaped);
* ``load_weight() -> 2-d array`` (raw frame shape; 0 = invalid pixel), or None; a mask of
  another shape is cropped/padded around its own centre to the raw frame shape, with a
  warning (ptypy: "Mask does not have the same shape as data");
* ``load(indices) -> (raw, positions, weights)``: dicts index -> frame / (2,) position /
  2-d weight (empty dicts for "not given"), as in ptypy; or override ``load_batch(indices)``
  returning arrays ``(data (n, H, W), positions (n, 2) or None, weights (n, H, W) or None)``.
  Positions given here win over ``load_positions()`` (which then only fixes the frame count);
  ``positions_theory`` wins over both;
* ``check(frames, start) -> (frames_accessible, end_of_scan)`` for live data;
* ``correct(raw, weights, common) -> (raw, weights)`` on the stacked raw frames.

Defaults: a class-level ``DEFAULT`` and/or a ptypy-style ``Defaults:`` block in the class
docstring, on top of the parent's; each instance gets its own deep copy (nothing it is given
changes the class defaults or the caller's tree).

Processing order of raw frames: ``correct`` -> orientation -> centre (given, 'fftshift' or
``auto_center``; a given ``center`` is in raw-frame pixels, must lie inside the raw frame, and
moves with the orientation) -> crop/pad to ``shape`` around the centre -> rebin (sum over
``rebin`` x ``rebin`` blocks; a binned pixel is valid only when all its pixels are).
``shape`` is the region cropped from the raw frames; the final frames have
``shape // rebin`` pixels of ``psize * rebin``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...errors import ParameterError
from ...core.log import get_logger
from ..params import defaults, ini_block
from ..utils import Param, crop_pad_symmetric_2d, rebin_2d
from ..utils_array import orientation_flags, switch_orientation
from ..utils import mass_center as _mass_center

__all__ = ["PtyScan", "WAIT", "EOS", "make_scan", "register", "declare_scan", "SCANS", "wavelength", "with_defaults_doc",
           "orient", "rebin_frames", "crop_pad_frames", "mass_center"]

WAIT = "msgWAIT"
EOS = "msgEOS"

log = get_logger("beamkit.ptycho.data")

SCANS: dict = {}


def register(cls):
    """Class decorator: make ``cls`` available to :func:`make_scan` under its class name and
    declare it on the parameter tree as ``scandata.<name>`` (see :func:`declare_scan`), so that
    ``Ptycho`` accepts ``data.name = '<name>'``. Every subclass of PtyScan is also listed for
    ``make_scan`` on creation; ``Ptycho`` declares such a class when a scan names it."""
    SCANS[cls.__name__] = cls
    declare_scan(cls)
    return cls


def declare_scan(cls, tree=None):
    """Declare the loader ``cls`` under ``scandata.<cls name>`` of ``tree`` (default: the ptycho
    ``TREE``) unless it is declared already: the ``Defaults:`` blocks of its docstrings (PtyScan's
    first), ``name`` defaulting to the class name, and top-level keys of a class-level ``DEFAULT``
    that no block declares (type inferred from the value). A class-level ``DEFAULT`` is kept."""
    if tree is None:
        from ..params import TREE as tree
    path = "scandata." + cls.__name__
    node = tree.get(path)
    if node is not None and node.declared:
        return node
    own = cls.__dict__.get("DEFAULT")
    tree.parse_doc(path)(cls)
    tree.declare(path + ".name", type="str", default=cls.__name__)
    if own is not None:
        for k, v in own.items():
            if tree.get(f"{path}.{k}") is None:
                tree.declare(f"{path}.{k}", default=v)
        cls.DEFAULT = own
    else:
        cls.DEFAULT = tree[path].make_default(depth=99)
    return tree[path]


def with_defaults_doc(cls, path: str):
    """Append the ``Defaults:`` block of ``path`` to ``cls.__doc__`` (read by ``TREE.parse_doc``)."""
    cls.__doc__ = (cls.__doc__ or "").rstrip() + "\n\n" + ini_block(path) + "\n"
    return cls


def make_scan(pars=None, **kwargs):
    """A data source chosen by ``pars.name`` (default 'PtyScan'); unknown names list the known ones."""
    from . import moonflower, ptyd, simscan  # noqa: F401  (registration)
    pars = Param() if pars is None else pars
    name = (pars.get("name") if hasattr(pars, "get") else None) or kwargs.get("name") or "PtyScan"
    if name not in SCANS:
        raise ParameterError("data.name", "one of: " + ", ".join(sorted(SCANS)), name,
                             message=f"scan data source {name!r} is not registered; known: "
                             + ", ".join(sorted(SCANS)))
    return SCANS[name](pars, **kwargs)


def wavelength(energy_kev: float) -> float:
    """Wavelength (m) of photons of ``energy_kev`` keV with ptypy's geometry constant (``Geo``:
    1.23984193e-9 m·keV, not its utils' keV2m), so pixel sizes and positions agree with ptypy's."""
    return 1.23984193e-9 / float(energy_kev)


def _pair(v, what, cast=float):
    try:
        a = np.broadcast_to(np.asarray(v, dtype=float), (2,)).astype(cast)
    except (TypeError, ValueError):
        raise ParameterError(what, "a number or a pair of numbers", v) from None
    return a


def _tree_copy(d) -> Param:
    """A copy of the mapping ``d`` with every nested mapping copied too (leaves, arrays included,
    are shared): merging it into another tree never links the two."""
    return Param(d).copy(99)


def _positions(pos, who: str, n=None) -> np.ndarray:
    """``pos`` as a float (N, 2) array of [row, column] positions in m; anything else (e.g. (2, N),
    (N, 3) or a flat list) is refused with a ParameterError naming ``who`` (never reshaped)."""
    expected = "positions of shape (N, 2) in m ([row, column] = [vertical, horizontal] per frame)"
    if n is not None:
        expected = expected.replace("(N, 2)", f"(N, 2) with N = {n}")
    try:
        a = np.asarray(pos, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(who, expected, type(pos).__name__,
                             message=f"{who} gave positions that are not numbers; expected {expected}") from None
    if a.ndim != 2 or a.shape[1] != 2 or (n is not None and a.shape[0] != n):
        raise ParameterError(who, expected, a.shape,
                             message=f"{who} gave positions of shape {tuple(a.shape)}; expected {expected}")
    return a


def _orient_center(center, raw_shape, orientation) -> np.ndarray:
    """Where the raw-frame pixel ``center`` (row, col) lands after :func:`orient` (as ptypy moves
    the centre with the frames)."""
    return switch_orientation(np.broadcast_to(np.float32(0), tuple(raw_shape)), orientation,
                              np.asarray(center, float))[1].astype(float)


def _doc_defaults(cls):
    """Defaults declared by the ``Defaults:`` block of ``cls``'s own docstring (parsed on a private
    descriptor tree, so the global tree is left alone), or None when it has none."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None
    from ...core.params_ini import _defaults_block, parse_ini
    from ...core.params_tree import DescriptorTree
    block, first = _defaults_block(doc)
    if block is None:
        return None
    tree = DescriptorTree(cls.__name__)
    parse_ini(tree, "d", block, source=f"docstring of {cls.__module__}.{cls.__qualname__}", first_line=first)
    return tree["d"].make_default(depth=99)


def orient(frames: np.ndarray, orientation) -> np.ndarray:
    """Apply ptypy's orientation code to the last two axes: transpose, then flip rows, then columns."""
    return switch_orientation(frames, orientation)


def mass_center(frames: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Intensity centre of mass (row, col) in px of the sum of ``frames`` (masked pixels ignored)."""
    img = frames.sum(axis=0) if frames.ndim == 3 else frames
    if mask is not None:
        img = img * (mask.all(axis=0) if mask.ndim == 3 else mask)
    if not img.sum() > 0:
        return np.array(img.shape, float) / 2
    return _mass_center(img)


def crop_pad_frames(frames: np.ndarray, center, shape):
    """Window of ``shape`` (2,) around ``center`` (row, col) px of each frame, zero-padded.

    Returns (window stack, start corner (2,) int) with window[i, 0, 0] = frame[start].
    """
    center = np.asarray(center, float)
    out, newc = crop_pad_symmetric_2d(frames, shape, center)
    return out, np.round(center - newc).astype(int)


def rebin_frames(frames: np.ndarray, factor: int, how: str = "sum") -> np.ndarray:
    """Bin the last two axes by ``factor``: 'sum' (counts kept), 'mean' or 'all' (all pixels true)."""
    f = int(factor)
    if f <= 1:
        return frames
    m = rebin_2d(np.asarray(frames, float), f)
    if how == "sum":
        return m * (f * f)
    if how == "all":
        return m >= 1.0
    return m


@register
class PtyScan:
    """Base data source: geometry, positions, chunking and frame preparation (see module doc)."""

    DEFAULT = defaults("scandata.PtyScan")

    def __init_subclass__(cls, **kwargs):
        """List ``cls`` for :func:`make_scan`; a ``Defaults:`` block in its own docstring (ptypy
        style) is merged into ``cls.DEFAULT`` (on top of the parent's defaults, under a ``DEFAULT``
        set in the class body), so that the class works the same used directly as inside Ptycho."""
        super().__init_subclass__(**kwargs)
        SCANS[cls.__name__] = cls
        doc = _doc_defaults(cls)
        if doc is not None:
            own = cls.__dict__.get("DEFAULT")
            parent = next(k.__dict__["DEFAULT"] for k in cls.__mro__[1:] if "DEFAULT" in k.__dict__)
            base = _tree_copy(PtyScan.DEFAULT)
            base.update(_tree_copy(parent), in_place_depth=99)
            base.update(_tree_copy(doc), in_place_depth=99)
            if own is not None:
                base.update(_tree_copy(own), in_place_depth=99)
            cls.DEFAULT = base

    def __init__(self, pars=None, **kwargs):
        # every level is copied before merging: Param.update stores a nested Param it does not
        # merge by reference, so the class DEFAULT (or the user's tree) would otherwise be shared
        # with this instance and changed by its settings
        p = _tree_copy(PtyScan.DEFAULT)
        if type(self).DEFAULT is not PtyScan.DEFAULT:   # a subclass's own defaults override
            p.update(_tree_copy(type(self).DEFAULT), in_place_depth=99)
        if pars is not None:
            p.update(_tree_copy(pars if isinstance(pars, Mapping) else Param(pars)), in_place_depth=99)
        if kwargs:
            p.update(_tree_copy(kwargs), in_place_depth=99)
        p["name"] = type(self).__name__   # the class that actually runs (QuickScan's default says otherwise)
        self.info = p
        self.p = p
        self.common = None
        self.meta = None
        self.positions = None
        self.num_frames = None
        self.frames_loaded = 0
        self.chunks_sent = 0
        self.is_initialized = False
        self._positions_theory = False
        self._check_pars()

    # ---- parameters -------------------------------------------------------
    def _check_pars(self):
        p = self.info
        rebin = p.get("rebin")
        if rebin is not None and not (isinstance(rebin, (int, np.integer)) and 1 <= rebin <= 32):
            raise ParameterError("rebin", "None or an int from 1 to 32", rebin)
        orientation_flags(p.get("orientation"))
        for key in ("distance", "energy"):
            v = p.get(key)
            if v is None or not float(v) > 0:
                raise ParameterError(key, "a number > 0", v)
        if np.any(_pair(p.get("psize"), "psize") <= 0):
            raise ParameterError("psize", "> 0", p.get("psize"))
        if p.get("shape") is not None and np.any(_pair(p.get("shape"), "shape", int) < 1):
            raise ParameterError("shape", ">= 1", p.get("shape"))
        mf = p.get("min_frames")
        if mf is not None and int(mf) < 1:
            raise ParameterError("min_frames", ">= 1", mf)
        if p.get("num_frames") is not None and int(p["num_frames"]) < 1:
            raise ParameterError("num_frames", ">= 1 or None", p["num_frames"])
        if p.get("save") not in (None, "append", "link", "merge"):
            raise ParameterError("save", "None, 'append', 'link' or 'merge'", p.get("save"))

    # ---- user hooks ---------------------------------------------------------
    def load_common(self) -> dict:
        """Data shared by all frames (dict); override."""
        return {}

    def load_positions(self):
        """Scan positions (N, 2) in m, or None; override."""
        return None

    def load_weight(self):
        """Raw-frame weight/mask (2-d, 0 = invalid), or None; override."""
        return None

    def load(self, indices):
        """Raw frames of ``indices`` as (data, positions, weights) dicts keyed by index; override."""
        known = ", ".join(sorted(k for k in SCANS if k != "PtyScan"))
        raise ParameterError("data.name", f"a data source (known: {known})", type(self).__name__,
                             message=f"{type(self).__name__} has no frames of its own: choose a data source "
                             f"with data.name, or subclass PtyScan and implement load()")

    def check(self, frames=None, start=None):
        """(frames accessible from ``start``, end of scan reached?); override for live data."""
        start = self.frames_loaded if start is None else start
        if self.num_frames is None:
            raise ParameterError("num_frames", "a frame count, positions, or a check() override", None,
                                 message=f"{type(self).__name__}: the number of frames is unknown")
        avail = max(self.num_frames - start, 0)
        if frames is not None:
            avail = min(avail, frames)
        return avail, start + avail >= self.num_frames

    def correct(self, raw, weights, common):
        """Corrections of raw frames (dark, flat, ...) on stacked arrays; default: none."""
        return raw, weights

    def load_batch(self, indices):
        """(data (n, H, W), positions (n, 2) or None, weights (n, H, W) or None) of ``indices``."""
        raw, pos, w = self.load(indices)
        data = np.stack([np.asarray(raw[i]) for i in indices])
        pos = np.stack([np.asarray(pos[i], float) for i in indices]) if pos else None
        w = np.stack([np.asarray(w[i]) for i in indices]) if w else None
        return data, pos, w

    # ---- set-up -------------------------------------------------------------
    def initialize(self):
        """Load common data and positions; fix the frame count and the geometry."""
        p = self.info
        common = dict(self.load_common() or {})
        name = type(self).__name__
        pos, who = p.get("positions_theory"), "positions_theory"
        self._positions_theory = pos is not None        # ptypy: then the loader's positions are ignored
        if pos is None:
            pos, who = self.load_positions(), f"{name}.load_positions()"
        if pos is None:
            pos, who = common.get("positions_scan"), f"{name}.load_common()['positions_scan']"
        nf = p.get("num_frames")
        if pos is not None:
            pos = _positions(pos, who)
            if nf is not None and nf < len(pos):
                pos = pos[: int(nf)]
            elif nf is not None and nf > len(pos):
                log.info("%s: %d positions are fewer than num_frames=%d; using %d frames",
                         type(self).__name__, len(pos), nf, len(pos))
            nf = len(pos)
        self.positions = pos
        self.num_frames = None if nf is None else int(nf)
        w2d = self.load_weight()
        if w2d is None:
            w2d = common.get("weight2d")
        self.weight2d_raw = None if w2d is None or np.isscalar(w2d) else np.asarray(w2d, float)
        self.common = common
        self._geometry()
        self.is_initialized = True
        if p.get("save") in ("append", "link") and p.get("dfile"):
            from .ptyd import PtydWriter
            self._writer = PtydWriter(p["dfile"], self.meta, dict(self.info), mode=p["save"])
        else:
            self._writer = None
        return self

    def _geometry(self):
        p = self.info
        shape = p.get("shape")
        self._roi = None if shape is None else _pair(shape, "shape", int)
        self._rebin = int(p.get("rebin") or 1)
        psize = _pair(p.get("psize"), "psize")
        if orientation_flags(p.get("orientation"))[0]:
            psize = psize[::-1].copy()
        self._center_raw = None
        self.meta = dict(
            shape=None if self._roi is None else self._roi // self._rebin,
            psize=psize * self._rebin, distance=float(p["distance"]), energy=float(p["energy"]),
            lam=wavelength(p["energy"]), center=None, num_frames=self.num_frames,
            label=p.get("label"), version=p.get("version", 0.1), propagation="farfield",
            weight2d=None)
        for k, v in self.common.items():
            self.meta.setdefault(k, v)
        self._update_resolution()

    def _update_resolution(self):
        m = self.meta
        if m["shape"] is not None:
            m["resolution"] = m["lam"] * m["distance"] / (np.asarray(m["shape"]) * m["psize"])

    # ---- chunks -------------------------------------------------------------
    def auto(self, frames: int):
        """The next chunk of at most ``frames`` frames, or WAIT, or EOS (see module doc)."""
        if not self.is_initialized:
            self.initialize()
        frames = int(frames)
        if frames < 1:
            raise ParameterError("frames", ">= 1", frames)
        start = self.frames_loaded
        if self.num_frames is not None and start >= self.num_frames:
            self._finish()
            return EOS
        avail, eos = self.check(frames, start)
        avail = min(int(avail), frames)
        if avail <= 0:
            if eos:
                self._finish()
                return EOS
            return WAIT
        remaining = None if self.num_frames is None else self.num_frames - start
        need = int(self.info.get("min_frames") or 1)
        if remaining is not None:
            need = min(need, remaining)
        if avail < need and not eos:
            return WAIT
        idx = np.arange(start, start + avail, dtype=np.int64)
        chunk = self._prepare(idx)
        self.frames_loaded += avail
        self.chunks_sent += 1
        if self._writer is not None:
            self._writer.append(chunk)
        return chunk

    def _finish(self):
        w = getattr(self, "_writer", None)
        if w is not None:
            w.close()
            self._writer = None

    def _prepare(self, idx):
        data, pos, w = self.load_batch(idx)
        data = np.asarray(data)
        if data.ndim == 2:
            data = data[None]
        if data.ndim != 3 or data.shape[0] != len(idx):
            raise ParameterError("load", f"{len(idx)} 2-d frames", getattr(data, "shape", None))
        name = type(self).__name__
        # positions: positions_theory, else those load() gives per frame (ptypy: load_positions
        # "has no effect" then), else load_positions() / positions_scan
        if pos is not None and not self._positions_theory:
            pos = _positions(pos, f"{name}.load() (one (2,) position per frame)", n=len(idx))
        elif self.positions is not None:
            pos = self.positions[idx]
        else:
            raise ParameterError("positions", "positions from load_positions(), load() or positions_theory",
                                 None, message=f"{name}: no positions for frames {idx[0]}..")
        if w is None:
            w = np.ones(data.shape[-2:]) if self.weight2d_raw is None else self.weight2d_raw
        w = self._fit_mask(np.asarray(w), data.shape[-2:])
        w = np.broadcast_to(w, data.shape)
        raw_shape = data.shape[-2:]
        data, w = self.correct(data, np.asarray(w), self.common)
        data = orient(np.asarray(data), self.info.get("orientation"))
        w = orient(np.asarray(w), self.info.get("orientation"))
        if self._center_raw is None:
            self._center_raw = self._find_center(data, w, raw_shape)
            roi = self._roi if self._roi is not None else np.array(data.shape[-2:])
            self._roi = roi
            self.meta["shape"] = roi // self._rebin
            self._update_resolution()
        roi = self._roi
        if np.any(roi % self._rebin):
            raise ParameterError("rebin", f"a factor dividing shape {tuple(roi)}", self._rebin)
        data, start = crop_pad_frames(data, self._center_raw, roi)
        w, _ = crop_pad_frames(np.asarray(w, float), self._center_raw, roi)
        if self.meta["center"] is None:
            self.meta["center"] = (np.asarray(self._center_raw, float) - start) / self._rebin
        data = rebin_frames(data.astype(np.float64), self._rebin, "sum").astype(np.float32)
        valid = rebin_frames(w > 0, self._rebin, "all")
        if self.meta["weight2d"] is None and self.weight2d_raw is not None:
            self.meta["weight2d"] = valid[0].astype(float)
        return self._package(idx, data, valid, pos)

    def _fit_mask(self, w, shape):
        """A weight/mask of another frame shape than the raw data, cropped/padded around its own
        centre to the frame shape (padding invalid), with a warning, as ptypy."""
        if tuple(w.shape[-2:]) == tuple(shape) or w.ndim < 2:
            return w
        if not getattr(self, "_mask_warned", False):
            self._mask_warned = True
            log.warning("%s: Mask does not have the same shape as data (mask %s, frames %s); cropping/"
                        "padding the mask around its centre to the frame shape", type(self).__name__,
                        tuple(w.shape[-2:]), tuple(shape))
        out, _ = crop_pad_symmetric_2d(w, shape, np.array(w.shape[-2:]) // 2)
        return out

    def _find_center(self, data, w, raw_shape=None):
        """The optical axis (row, col) in the oriented frames: the mass centre, the middle
        ('fftshift'), or the given ``center``, which is in raw-frame pixels and moves with the
        orientation (as ptypy); a given centre outside the raw frame is refused."""
        p = self.info
        c = p.get("center")
        ac = p.get("auto_center")
        H, W = data.shape[-2:]
        if ac or (ac is None and c is None):
            return mass_center(data.astype(float), w > 0)
        if c is None or (isinstance(c, str) and c == "fftshift"):
            return np.array([H // 2, W // 2], float)
        if isinstance(c, str):
            raise ParameterError("center", "'fftshift', None or (row, col) px", c)
        c = _pair(c, "center")
        raw_shape = tuple(int(n) for n in (data.shape[-2:] if raw_shape is None else raw_shape))
        if np.any(c < -0.5) or np.any(c > np.asarray(raw_shape) - 0.5):
            label = p.get("label")
            path = f"scans.{label}.data.center" if label else f"{type(self).__name__} data.center"
            raise ParameterError(path, f"a (row, col) px inside the raw frame of shape {raw_shape}",
                                 tuple(float(x) for x in c),
                                 message=f"{path} = {tuple(float(x) for x in c)} lies outside the raw frame "
                                 f"of shape {raw_shape} (rows 0..{raw_shape[0] - 1}, columns "
                                 f"0..{raw_shape[1] - 1}); the frames would be empty")
        return _orient_center(c, raw_shape, p.get("orientation"))

    def _package(self, idx, data, mask, pos):
        mask = np.ascontiguousarray(mask, dtype=bool)
        it = [dict(index=int(i), data=data[k], mask=mask[k], position=pos[k]) for k, i in enumerate(idx)]
        return dict(common=self.meta, iterable=it, indices=idx, data=data, mask=mask, positions=pos)

    # ---- convenience ----------------------------------------------------------
    def auto_all(self, frames_per_chunk: int = 100000):
        """Every remaining chunk (list) until EOS; raises if the source answers WAIT."""
        out = []
        while True:
            c = self.auto(frames_per_chunk)
            if c == EOS:
                return out
            if c == WAIT:
                raise ParameterError("min_frames", "a finite scan for auto_all()", "WAIT")
            out.append(c)


with_defaults_doc(PtyScan, "scandata.PtyScan")
