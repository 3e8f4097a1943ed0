"""Scan models: turn frames + positions into storages, views and pods in batched form.

``Vanilla``, ``Full``, ``OPRModel``, ``GradFull`` and the ``Block*`` variants share one
batched layout (frames × modes × Ny × Nx); they differ in defaults (modes, probe per
position, exit buffer). Positions are (n, 2) in m, (row, column) order.
"""
from __future__ import annotations

import numpy as np

from ...errors import ParameterError
from ..core.storage import PodTable, Storage, Views
from .illumination import _get, _is_param, probe_modes, string_shortcut
from .initial import object_modes
from .propagation import get_backend, make_propagator

__all__ = ["ScanBlock", "ScanModel", "Vanilla", "Full", "OPRModel", "GradFull", "BlockVanilla", "BlockFull",
           "BlockOPRModel", "BlockGradFull", "MODELS", "make_model", "wavelength_from_energy",
           "object_geometry", "forced_resolution", "spectral_propagator"]


def wavelength_from_energy(energy_kev: float) -> float:
    """Wavelength (m) of photons of ``energy_kev`` keV."""
    return 1.2398419843320026e-9 / float(energy_kev)


def object_geometry(positions, psize, shape, pad_px: int = 0):
    """``(center (px, 2), shape (Ny, Nx))`` of the object storage holding every view, as ptypy sizes it.

    ptypy starts the storage with its origin at the physical zero of the positions (m), places
    each view at ``d = round(pos / psize + 1e-5)`` and then grows the buffer to the tight box
    ``[min(d) - shape//2, max(d) + (shape + 1)//2)`` plus ``pad_px`` on every side. Rounding in
    that frame (not relative to the scan's minimum) decides the size: 492 px, not 493, on the
    161-frame MoonFlower benchmark. ``psize`` object pixel (m), ``shape`` view shape (px).
    """
    sh = np.broadcast_to(np.asarray(shape, int), (2,))
    if len(positions) == 0:
        return sh // 2 + pad_px, tuple(int(v) for v in sh + 2 * pad_px)
    d = np.round(np.asarray(positions, float) / np.asarray(psize, float) + 1e-5).astype(np.int64)
    lo = d.min(axis=0) - sh // 2
    hi = d.max(axis=0) + (sh + 1) // 2
    return (-lo + pad_px).astype(float), tuple(int(v) for v in hi - lo + 2 * pad_px)


def forced_resolution(resolution, opsize, fshape, resample, kind, key):
    """``(object pixel (2,) m, far-field crop_pad (2,) px, λz scale)`` for ptypy's ``scan.resolution``.

    None keeps the geometry's pixel ``opsize``. Far field: as ptypy's ``Geo``/propagator, the
    misfit λz/(resolution·detector pixel) − N is rounded to an even ``crop_pad`` of the FFT
    frame and λz is rescaled by M/(M + misfit − crop_pad) (M = N + crop_pad) for the phase
    factor. Near field: the object pixel is ``resolution`` (the kernel uses it).
    """
    if resolution is None:
        return opsize, (0, 0), 1.0
    try:
        res = np.broadcast_to(np.asarray(resolution, float), (2,)).copy()
    except (TypeError, ValueError):
        raise ParameterError(key, "an object pixel size in m (float or 2 floats)", resolution) from None
    if not np.all(np.isfinite(res)) or np.any(res <= 0):
        raise ParameterError(key, "an object pixel size > 0 m", resolution)
    if kind != "farfield":
        return res, (0, 0), 1.0
    if resample != 1:
        raise ParameterError(key, "None when scans.*.resample > 1", resolution)
    mis = np.asarray(opsize, float) * np.asarray(fshape, float) / res - np.asarray(fshape, float)
    crop_pad = (np.round(mis / 2.0).astype(int) * 2)
    m = fshape[0] + crop_pad[0]
    return res, tuple(int(c) for c in crop_pad), float(m / (m + mis[0] - crop_pad[0]))


def spectral_propagator(kind, fshape, opsize, dpsize, dist, lam, energies, pods_per_energy, backend, key):
    """ptypy's multispectral model: one geometry per relative energy (wavelength λ/f), all on the
    object pixel ``opsize`` (the far-field frame is padded or cropped to fit, see
    :func:`forced_resolution`), sharing probe and object; the pods of a view are energy-major."""
    from ..data.illumination import farfield_phase
    from .propagation import FarFieldPropagator, NearFieldPropagator, PolychromaticPropagator
    props, phases = [], []
    for f in energies:
        lam_e = lam / f
        if kind == "farfield":
            natural = lam_e * dist / (np.asarray(fshape, float) * np.asarray(dpsize, float))
            _, cp, lzs = forced_resolution(opsize, natural, fshape, 1, kind, key)
            props.append(FarFieldPropagator(fshape, backend, cp, key))
            phases.append(farfield_phase(fshape, opsize, lam_e, dist * lzs))
        else:
            props.append(NearFieldPropagator(fshape, opsize, dist, lam_e, backend))
            phases.append(None)
    return PolychromaticPropagator(props, pods_per_energy, phases)


class ScanBlock:
    """Everything an engine needs for one scan, as arrays.

    ``diff``/``mask`` (n, Ny·r, Nx·r... ) float32 in propagator order; ``probe`` (P·Mp, Ny, Nx) and
    ``obj`` (Mo, Ly, Lx) Storages; ``views`` (Views into obj); ``pods`` (PodTable);
    ``exit`` (n, K, Ny, Nx) complex or None; ``prop`` the propagator; ``resample`` int.
    """

    def __init__(self, label, diff, mask, probe: Storage, obj: Storage, views: Views, pods: PodTable,
                 prop, resample=1, indices=None, meta=None, opr=False, nprobe_modes=1, exit_buffer=True):
        self.label = label
        self.diff = diff
        self.mask = mask
        self.probe = probe
        self.obj = obj
        self.views = views
        self.pods = pods
        self.prop = prop
        self.resample = int(resample)
        self.indices = np.arange(len(diff)) if indices is None else np.asarray(indices)
        self.meta = dict(meta or {})
        self.opr = opr
        self.nprobe_modes = nprobe_modes
        self.exit_buffer = exit_buffer
        self.exit = None

    @property
    def n(self) -> int:
        return len(self.diff)

    @property
    def shape(self):
        return self.probe.shape[-2:]

    def probe_array(self):
        """Probe as (P, Mp, Ny, Nx); P = 1 (shared) or n (OPR)."""
        d = self.probe.data
        return d.reshape(-1, self.nprobe_modes, *d.shape[-2:])

    def max_power(self) -> float:
        """Largest Σ I over frames (photons)."""
        return float((self.diff * self.mask).sum(axis=(-2, -1)).max()) if self.n else 0.0

    def mean_power(self) -> float:
        return float((self.diff * self.mask).sum(axis=(-2, -1)).mean()) if self.n else 0.0


class ScanModel:
    """Base scan model; subclasses set the mode/probe layout. ``pars``: a scan parameter tree."""

    name = "ScanModel"
    probe_per_view = False
    exit_buffer = True
    single_mode = False

    def __init__(self, pars=None, label: str = "MF", backend="numpy", dtype=np.complex64):
        self.p = pars if pars is not None else {}
        self.label = label
        self.be = get_backend(backend)
        self.dtype = np.dtype(dtype)
        self.block = None

    # helpers ---------------------------------------------------------------
    def _coherence(self):
        coh = _get(self.p, "coherence", {})
        npm = int(_get(coh, "num_probe_modes", 1))
        nom = int(_get(coh, "num_object_modes", 1))
        if self.single_mode:
            npm = nom = 1
        if npm < 1 or nom < 1:
            raise ParameterError("scan.coherence", "at least one probe and one object mode", (npm, nom))
        return npm, nom

    def _energies(self, resample):
        """Relative energies of ``coherence.energies`` (None for the single base energy)."""
        coh = _get(self.p, "coherence", {}) or {}
        key = f"scans.{self.label}.coherence"
        en = _get(coh, "energies", [1.0])
        try:
            en = [float(v) for v in np.atleast_1d(en if en is not None else [1.0])]
        except (TypeError, ValueError):
            raise ParameterError(f"{key}.energies", "a list of relative energies > 0", en) from None
        if not en or min(en) <= 0:
            raise ParameterError(f"{key}.energies", "a list of relative energies > 0", en)
        if en == [1.0]:
            return None
        for d in ("probe_dispersion", "object_dispersion"):
            v = _get(coh, d)
            if v not in (None, "achromatic"):
                raise ParameterError(f"{key}.{d}", "None or 'achromatic' (ptypy does not implement the others)", v)
        if resample != 1:
            raise ParameterError(f"{key}.energies", "[1.0] when scans.*.resample > 1", en)
        return en

    def build(self, diff, positions, meta, mask=None, indices=None, pad_px: int = 0) -> ScanBlock:
        """Build storages and views from frames (n, Ny, Nx) (centred detector frames) and positions (n, 2) m.

        ``meta``: dict with ``psize`` (detector pixel, m), ``distance`` (m), ``energy`` (keV),
        optional ``shape``. ``pad_px`` extra object pixels on each side (position refinement).
        """
        diff = np.asarray(diff, np.float32)
        if diff.ndim != 3:
            raise ParameterError(f"scans.{self.label}.data", "frames of shape (n, Ny, Nx)", diff.shape)
        positions = np.asarray(positions, float).reshape(-1, 2)
        if len(positions) != len(diff):
            raise ParameterError(f"scans.{self.label}.data", f"{len(diff)} positions", len(positions))
        n, ny, nx = diff.shape
        r = int(_get(self.p, "resample", 1))
        if r < 1:
            raise ParameterError(f"scans.{self.label}.resample", "integer >= 1", r)
        kind = _get(self.p, "propagation", "farfield")
        energy = float(meta.get("energy", 7.2))
        lam = wavelength_from_energy(energy)
        dpsize = np.broadcast_to(np.asarray(meta.get("psize", 172e-6), float), (2,))
        dist = float(meta.get("distance", 7.19))
        fshape = (ny * r, nx * r)
        if kind == "farfield":
            opsize = lam * dist / (np.asarray(fshape) * dpsize / r)
        else:
            opsize = dpsize / r
        opsize, crop_pad, lz_scale = forced_resolution(_get(self.p, "resolution"), opsize, fshape, r, kind,
                                                       f"scans.{self.label}.resolution")
        center, oshape = object_geometry(positions, opsize, fshape, pad_px)
        npm, nom = self._coherence()
        P = n if self.probe_per_view else 1
        mask = np.ones_like(diff) if mask is None else np.asarray(mask, np.float32)
        dmean = (diff * mask).mean(axis=0) if n else None
        maxp = float((diff * mask).sum(axis=(-2, -1)).max()) if n else 1.0
        ill = self.p.get("illumination", {}) if hasattr(self.p, "get") else {}
        ill = {} if ill is None else ill
        if self.single_mode:
            # ptypy's Vanilla: a plain circular aperture of illumination.size, not rescaled
            ill, maxp = {"aperture": {"form": "circ", "size": _get(ill, "size")}}, None
        elif self.probe_per_view and _is_param(ill):
            ill = dict(ill, diversity=None)          # ptypy's OPRModel: the modes start identical
        modes = probe_modes(ill, fshape, opsize, lam, npm, photons=maxp,
                            diff_mean=None if dmean is None or r > 1 else dmean, label=self.label)
        pdata = np.broadcast_to(modes[None], (P,) + modes.shape).reshape(P * npm, *fshape).astype(self.dtype)
        probe = Storage(f"S{self.label}G00", pdata, psize=opsize, center=np.asarray(fshape) // 2, energy=energy, fill_value=0.0)
        smp = self.p.get("sample", {}) if hasattr(self.p, "get") else {}
        smp = {} if smp is None else string_shortcut(smp, "diversity")
        stxm = None
        if _is_param(smp) and isinstance(_get(smp, "model"), str) and _get(smp, "model") == "stxm" and n:
            if r > 1:
                raise ParameterError(f"scans.{self.label}.sample.model", "'stxm' only with resample 1", "stxm")
            tmp = Storage("tmp", np.zeros((1, 1, 1), np.complex64), psize=opsize, center=center)
            stxm = dict(diff=diff * mask, corners=Views(tmp, positions, fshape).corners, probe=np.abs(modes[0]),
                        opsize=opsize, dpsize=dpsize, lz=lam * dist)
        fill = complex(_get(smp, "fill", 1.0)) if _is_param(smp) else 1.0
        obj = Storage(f"S{self.label}G00", object_modes(smp, oshape, nom, self.label, stxm).astype(self.dtype),
                      psize=opsize, center=center, energy=energy, fill_value=fill)
        obj.padding = int(pad_px)              # ptypy's Storage.padding (kept when frames arrive)
        views = Views(obj, positions, fshape)
        pods = PodTable(npm, nom, n, self.probe_per_view)
        energies = self._energies(r)
        if energies is None:
            prop = make_propagator(kind, fshape, opsize, dist if kind == "nearfield" else None, lam, self.be, crop_pad,
                                   f"scans.{self.label}.resolution")
        else:                                   # ptypy's multispectral geometries, achromatic probe and object
            prop = spectral_propagator(kind, fshape, opsize, dpsize, dist, lam, energies, pods.K, self.be,
                                       f"scans.{self.label}.coherence.energies")
            pods.probe_modes = np.tile(pods.probe_modes, len(energies))
            pods.object_modes = np.tile(pods.object_modes, len(energies))
        ddata = prop.from_detector(diff)
        dmask = prop.from_detector(mask)
        blk = ScanBlock(self.label, np.ascontiguousarray(ddata), np.ascontiguousarray(dmask), probe, obj, views, pods,
                        prop, r, indices, dict(meta, wavelength=lam, lz_scale=lz_scale), self.probe_per_view, npm,
                        self.exit_buffer)
        blk.model_name = self.name               # engines check it against their SUPPORTED_MODELS
        self.block = blk
        return blk

    def build_from_chunks(self, chunks, pad_px: int = 0) -> ScanBlock:
        """Build from PtyScan chunk dicts (``common`` meta + ``iterable`` of frames)."""
        meta, data, mask, pos, idx = {}, [], [], [], []
        for ch in chunks:
            meta.update({k: v for k, v in dict(ch.get("common", {}) or {}).items() if v is not None})
            if ch.get("data") is not None and ch.get("positions") is not None:   # stacked arrays (no copies)
                d = np.asarray(ch["data"], np.float32)
                data.extend(d)
                m = ch.get("mask")
                mask.extend(np.broadcast_to(np.ones(d.shape[-2:], np.float32) if m is None else np.asarray(m, np.float32), d.shape))
                pos.extend(np.asarray(ch["positions"], float))
                idx.extend(int(i) for i in ch.get("indices", range(len(idx), len(idx) + len(d))))
                continue
            for it in ch.get("iterable", []):
                if it.get("data") is None:
                    continue
                data.append(np.asarray(it["data"], np.float32))
                m = it.get("mask")
                mk = np.ones_like(data[-1]) if m is None else np.asarray(m, np.float32)
                mask.append(np.broadcast_to(mk, data[-1].shape))
                pos.append(np.asarray(it["position"], float))
                idx.append(int(it.get("index", len(idx))))
        if not data:
            raise ParameterError(f"scans.{self.label}.data", "at least one frame", 0)
        order = np.argsort(idx, kind="stable")
        return self.build(np.stack(data)[order], np.stack(pos)[order], meta, np.stack(mask)[order],
                          np.asarray(idx)[order], pad_px)


class Vanilla(ScanModel):
    """One probe mode and one object mode."""
    name = "Vanilla"
    single_mode = True


class Full(ScanModel):
    """Probe and object modes (``coherence.num_probe_modes``, ``num_object_modes``)."""
    name = "Full"


class GradFull(Full):
    """Full, without per-pod exit-wave buffers (gradient and stochastic engines)."""
    name = "GradFull"
    exit_buffer = False


class OPRModel(Full):
    """Full with one probe per position (orthogonal probe relaxation)."""
    name = "OPRModel"
    probe_per_view = True


class BlockVanilla(Vanilla):
    name = "BlockVanilla"


class BlockFull(Full):
    name = "BlockFull"


class BlockGradFull(GradFull):
    name = "BlockGradFull"


class BlockOPRModel(OPRModel):
    name = "BlockOPRModel"


MODELS = {c.name: c for c in (ScanModel, Vanilla, Full, GradFull, OPRModel, BlockVanilla, BlockFull,
                               BlockGradFull, BlockOPRModel)}


def make_model(name: str, pars=None, label="MF", backend="numpy", dtype=np.complex64) -> ScanModel:
    """Scan model by ptypy name; an unknown name lists the known ones."""
    if name not in MODELS:
        raise ParameterError(f"scans.{label}.name", "one of " + ", ".join(MODELS), name)
    return MODELS[name](pars, label, backend, dtype)
