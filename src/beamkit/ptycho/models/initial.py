"""Initial object estimates and ``.ptyr`` loading (ptypy 0.9's ``sample`` init, ``stxm_analysis``,
``phase_from_dpc`` and ``load_from_ptyr``)."""
from __future__ import annotations

import glob
import os

import numpy as np

from ...errors import ParameterError
from .illumination import _get, _has, _is_param, diversify, string_shortcut

__all__ = ["load_recon", "crop_pad", "object_modes", "stxm_analysis", "phase_from_dpc"]


def _resolve_rfile(rfile, key):
    """The file ``rfile`` names; a glob pattern picks the newest match."""
    if not rfile:
        raise ParameterError(key, "path of a .ptyr file", rfile)
    rfile = str(rfile).replace("\\*", "*")
    if any(c in rfile for c in "*?["):
        hits = [p for p in glob.glob(rfile) if os.path.isfile(p)]
        if not hits:
            raise ParameterError(key, f"an existing .ptyr file (no file matches {rfile!r})", rfile)
        return max(hits, key=os.path.getmtime)
    if not os.path.isfile(rfile):
        raise ParameterError(key, "an existing .ptyr file", rfile)
    return rfile


def load_recon(rfile, what="probe", rlabel=None, own_label="MF", layer=None, key=None) -> np.ndarray:
    """``content/<what>/<ID>/data`` of a ``.ptyr`` file (ptypy's ``load_from_ptyr``).

    The storage is ``S<rlabel>G00`` if present, else the own scan's ``S<own_label>G00``, else
    the first one; ``layer`` (int) slices the first axis. ``key`` names the parameter in errors.
    """
    from ..io_ptyr import ptyr_storages
    from ..utils import load_from_ptyr
    key = key or f"scans.{own_label}.{'illumination' if what == 'probe' else 'sample'}.recon.rfile"
    path = _resolve_rfile(rfile, key)
    cont = ptyr_storages(path, what)
    ids = ([f"S{rlabel}G00"] if rlabel is not None else []) + [f"S{own_label}G00"]
    sid = next((i for i in ids if i in cont), next(iter(cont)))
    try:
        return load_from_ptyr(path, what, sid, layer)
    except ParameterError as exc:
        raise ParameterError(key.replace("rfile", exc.path), exc.expected, exc.got) from None


def crop_pad(arr, shape, fill=1.0) -> np.ndarray:
    """``arr`` (..., a, b) cropped or padded with ``fill`` to (..., *shape) about its centre
    (ptypy's ``u.crop_pad``: the low end takes the odd plane)."""
    from ..utils_array import crop_pad as _crop_pad
    arr = np.asarray(arr).astype(np.result_type(np.asarray(arr).dtype, np.complex64))
    return _crop_pad(arr, [int(n) - int(m) for n, m in zip(shape, arr.shape[-2:])], fillpar=fill)


def phase_from_dpc(dpc_row, dpc_col) -> np.ndarray:
    """ptypy's Fourier integration of two differential-phase maps (last two axes)."""
    py, px = -np.asarray(dpc_row), -np.asarray(dpc_col)
    sh = np.asarray(px.shape)
    fac = np.ones_like(sh)
    fac[-2:] = 2
    f = np.zeros(sh * fac, dtype=complex)
    c = px + 1j * py
    a, b = sh[-2], sh[-1]
    f[..., :a, :b] = c
    f[..., :a, b:] = c[..., :, ::-1]
    f[..., a:, :b] = c[..., ::-1, :]
    f[..., a:, b:] = c[..., ::-1, ::-1]
    # fft-ordered grids in [-pi, pi): ptypy's grids(shape, psize=pi/shape, center='fft')
    qx = np.fft.ifftshift(np.arange(f.shape[-2]) - f.shape[-2] // 2) * (np.pi / f.shape[-2])
    qy = np.fft.ifftshift(np.arange(f.shape[-1]) - f.shape[-1] // 2) * (np.pi / f.shape[-1])
    qc = qx[:, None] + 1j * qy[None, :]
    qc[0, 0] = 1.0
    inv = 1.0 / qc
    inv[0, 0] = 0.0
    nf = np.fft.ifft2(np.fft.fft2(f) * inv)
    return np.real(nf[..., :a, :b])


def stxm_analysis(diff, corners, probe, obj_shape, opsize, dpsize, lz):
    """ptypy's ``stxm_analysis`` on one object layer: (trans, dpc_row, dpc_col) of ``obj_shape``.

    ``diff`` (n, Ny, Nx) centred frames, ``corners`` (n, 2) view corners (px), ``probe``
    (Ny, Nx) weight (ptypy: |P| of the initial probe), ``opsize``/``dpsize`` object/detector
    pixel (m), ``lz`` = wavelength * distance (m²)."""
    diff = np.asarray(diff, float)
    pr = np.asarray(probe, float)
    ny, nx = pr.shape
    trans = np.zeros(obj_shape)
    drow = np.zeros(obj_shape)
    dcol = np.zeros(obj_shape)
    nrm = np.zeros(obj_shape) + 1e-10
    opsize = np.broadcast_to(np.asarray(opsize, float), (2,))
    dpsize = np.broadcast_to(np.asarray(dpsize, float), (2,))
    iy, ix = np.arange(diff.shape[-2]), np.arange(diff.shape[-1])
    cen = np.asarray(diff.shape[-2:]) // 2
    t2 = 0.0
    for d, (r0, c0) in zip(diff, np.asarray(corners, int)):
        t = float(d.sum())
        t2 = max(t2, t)
        if t > 0:
            m = np.array([(d.sum(1) * iy).sum() / t, (d.sum(0) * ix).sum() / t])
        else:
            m = cen.astype(float)
        q = (m - cen) * dpsize
        ss = (slice(r0, r0 + ny), slice(c0, c0 + nx))
        drow[ss] += q[0] * opsize[0] * pr * 2 * np.pi / lz
        dcol[ss] += q[1] * opsize[1] * pr * 2 * np.pi / lz
        trans[ss] += np.sqrt(t) * pr
        nrm[ss] += pr
    drow /= nrm
    dcol /= nrm
    trans /= nrm * np.sqrt(t2) if t2 > 0 else nrm
    return trans, drow, dcol


def object_modes(pars, shape, nmodes=1, label="MF", stxm=None, rng=None) -> np.ndarray:
    """Initial object (nmodes, Ly, Lx) complex64 from a scan's ``sample`` entry, as ptypy 0.9.

    ``model`` None: ``fill`` (default 1); an ndarray (2-D or (modes, a, b)): cropped or
    padded centrally to the storage (``fill`` outside); 'recon': ``content/obj/<ID>/data`` of
    ``recon.rfile`` (ID ``S<label>G00`` or the first), cropped/padded the same way; 'stxm':
    ``trans * exp(-1j*phase_from_dpc(dpc_row, dpc_col))`` of :func:`stxm_analysis` (``stxm``:
    dict of its arguments but ``obj_shape``). The model is repeated to ``nmodes`` and
    ``diversity`` (power 0.1, noise None by default; None: none) is applied to modes 1...
    A bare ndarray ``sample`` is used as is (cropped/padded, no diversity). ptypy's
    ``sample.process`` (simulating an object from a thickness map) is not applied.
    """
    key = f"scans.{label}.sample"
    pars = string_shortcut(pars, "diversity")
    if not _is_param(pars):
        arr = np.asarray(pars)
        if arr.ndim not in (2, 3):
            raise ParameterError(key, "a Param or a 2-D/3-D array", arr.shape)
        return np.resize(crop_pad(arr, shape, 1.0), (nmodes,) + tuple(shape)).astype(np.complex64)
    model = _get(pars, "model")
    fill = complex(_get(pars, "fill", 1.0))
    if model is None:
        arr = np.full(tuple(shape), fill, np.complex64)
    elif isinstance(model, str):
        if model == "recon":
            rec = _get(pars, "recon", {})
            arr = crop_pad(load_recon(_get(rec, "rfile", "*.ptyr"), "obj", _get(rec, "label"), label,
                                      _get(rec, "layer"), f"{key}.recon.rfile"), shape, fill)
        elif model == "stxm":
            if stxm is None:
                raise ParameterError(f"{key}.model", "diffraction data for 'stxm'", model)
            trans, drow, dcol = stxm_analysis(obj_shape=tuple(shape), **stxm)
            arr = trans * np.exp(-1j * phase_from_dpc(drow, dcol))
        else:
            raise ParameterError(f"{key}.model", "None, 'recon', 'stxm' or an array", model)
    else:
        arr = np.asarray(model)
        if arr.ndim not in (2, 3):
            raise ParameterError(f"{key}.model", "a 2-D or (modes, rows, cols) array", arr.shape)
        arr = crop_pad(arr, shape, fill)
    st = np.resize(np.asarray(arr, np.complex64), (nmodes,) + tuple(shape))
    div = pars.get("diversity", {}) if _has(pars, "diversity") else {}
    if div is not None and nmodes > 1:
        st = diversify(st, div.get("noise"), _get(div, "power", 0.1), rng if rng is not None else np.random.default_rng(2))
    return st.astype(np.complex64)
