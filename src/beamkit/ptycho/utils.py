"""ptypy-style utilities (``from beamkit.ptycho import utils as u``).

``u.Param`` is :class:`beamkit.core.params.Param`; ``u.verbose`` sets the print level.
Array helpers work on the last two axes of stacks unless stated; lengths in pixels
unless stated; energies in keV, wavelengths in m.
"""
from __future__ import annotations

import os

import numpy as np

from ..core.params import Param, param_from_json, param_from_yaml
from ..errors import FormatError, ParameterError
from . import utils_verbose as verbose
from .utils_array import (c_gf, c_zoom, complex_overload, crop_pad, crop_pad_axis, crop_pad_symmetric_2d,
                          delxb, delxc, delxf, expect2, expect3, gf, gf_2d, grids, mass_center, mirror, pad_lr,
                          rebin, rebin_2d, shift_zoom, switch_orientation, zoom)
from . import utils_parallel as parallel
from .utils_image import (PtyAxis, complex2hsv, complex2rgb, franzmap, hsv2complex, hsv2rgb, imload, imsave, pause,
                          rgb2complex, rgb2hsv, rmphaseramp)
from .utils_math import (diversify, electron_wavelength, ellipsis, gauss_fwhm, gaussian, gaussian2D, hdr_image,
                         phase_from_dpc, radial_distribution, rectangle, remove_hot_pixels, rl_deconvolution,
                         smooth_step, stxm_analysis, stxm_init, xradia_star)
from .utils_misc import (Bibliography, JournalArticle, Table, all_subclasses, expectN, isstr, length_units,
                         pretty_length, str2index, str2int, str2range, unique_path)
from .utils_verbose import log, report, set_level

__all__ = ["Param", "asParam", "param_from_json", "param_from_yaml", "verbose", "abs2", "cabs2", "norm2", "norm",
           "ntrue", "gf", "c_gf", "gf_2d", "delxf", "delxb", "delxc", "ortho", "rebin", "rebin_2d",
           "switch_orientation", "crop_pad", "crop_pad_axis", "crop_pad_symmetric_2d", "pad_lr", "shift_zoom",
           "zoom", "c_zoom", "complex_overload", "ellipse", "grids", "expect2", "expect3", "keV2m", "keV2nm",
           "nm2keV", "m2keV", "mass_center", "complex2hsv", "hsv2rgb", "complex2rgb", "rgb2hsv", "hsv2complex",
           "rgb2complex", "imsave", "imload", "plot_storage", "clean_path", "rmphaseramp", "mirror", "pause", "load_from_ptyr",
           "parallel", "logger", "set_level", "log", "report",
           # ptypy's math_utils / array_utils masks / scripts
           "smooth_step", "gaussian", "gauss_fwhm", "gaussian2D", "rl_deconvolution", "rectangle", "ellipsis",
           "electron_wavelength", "radial_distribution", "remove_hot_pixels", "hdr_image", "xradia_star",
           "phase_from_dpc", "stxm_analysis", "stxm_init", "diversify",
           # ptypy's misc / citations / plot_utils
           "str2int", "str2range", "str2index", "unique_path", "Table", "all_subclasses", "expectN", "isstr",
           "JournalArticle", "Bibliography", "length_units", "pretty_length", "franzmap", "PtyAxis"]

logger = verbose.logger

# ``parallel``: ptypy's MPI helpers (utils_parallel); beamkit runs one process and parallelises inside it


def asParam(obj) -> Param:
    """``obj`` as a :class:`Param` (no copy when it already is one), as ptypy."""
    return obj if isinstance(obj, Param) else Param(obj)


# ---------------------------------------------------------------------------- norms
def abs2(a):
    """|a|**2 elementwise (real result)."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return a.real ** 2 + a.imag ** 2
    return a * a


def cabs2(a):
    """|a|**2 elementwise, kept in a's dtype (complex stays complex, for in-place arithmetic)."""
    a = np.asarray(a)
    return (a * np.conj(a)).astype(a.dtype, copy=False)


def norm2(a) -> float:
    """Squared 2-norm sum |a|**2."""
    return float(abs2(a).sum())


def norm(a) -> float:
    """2-norm sqrt(sum |a|**2)."""
    return float(np.sqrt(norm2(a)))


def ntrue(a, axis=None):
    """Number of true (non-zero) elements (along ``axis``)."""
    return np.count_nonzero(a, axis=axis)


# ---------------------------------------------------------------------------- modes
def ortho(modes):
    """Orthogonalise modes (list or array with modes along axis 0).

    Returns (amp, modes): relative powers (sum 1, decreasing) and the orthogonal modes with
    the same total power, from the eigen-decomposition of the overlap matrix.
    """
    m = np.asarray(modes)
    n = m.shape[0]
    flat = m.reshape(n, -1)
    S = flat.conj() @ flat.T                       # S[i, j] = <m_i | m_j>
    w, v = np.linalg.eigh(S)
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    new = (v.T @ flat).reshape(m.shape)
    pw = abs2(new).reshape(n, -1).sum(1)
    amp = pw / max(pw.sum(), 1e-300)
    return amp, (list(new) if isinstance(modes, list) else new)


def ellipse(grids, dims=None, ew=2):
    """Smooth ellipse mask on ``grids`` (as from :func:`grids`) with semi-axes ``dims`` and an
    edge of width ``ew`` (grid units); 1 inside, 0 outside."""
    g = np.asarray(grids, float)
    nd = g.shape[0]
    dims = np.broadcast_to(np.asarray(dims if dims is not None else np.abs(g).reshape(nd, -1).max(1) / 2, float),
                           (nd,))
    r = np.sqrt(sum((g[i] / dims[i]) ** 2 for i in range(nd)))
    d = (r - 1.0) * dims.min()
    return 0.5 * (1.0 - np.tanh(d / max(float(ew), 1e-9) * 2.0))


#: ptypy's utils constant h·c = 4.1356e-7 × 2.9998 / 1000 = 1.2405776e-9 m·keV (rounded h and c).
#: ptypy's geometry (``Geo``) uses 1.23984193e-9 instead, and so do beamkit's models; only these
#: four user functions follow ptypy's utils, 0.06 % apart.
_UTILS_KEV_M = 4.1356e-7 * 2.9998 / 1000


def keV2m(keV):
    """Wavelength (m) of photons of ``keV``, as ptypy's ``u.keV2m`` (its constant, see above)."""
    return _UTILS_KEV_M / np.asarray(keV, float)


def m2keV(m):
    """Photon energy (keV) of wavelength ``m``, as ptypy's ``u.m2keV``."""
    return _UTILS_KEV_M / np.asarray(m, float)


def keV2nm(keV):
    """Wavelength (nm) of photons of ``keV``, as ptypy's ``u.keV2nm``."""
    return keV2m(keV) * 1e9


def nm2keV(nm):
    """Photon energy (keV) of wavelength ``nm``, as ptypy's ``u.nm2keV``."""
    return _UTILS_KEV_M * 1e9 / np.asarray(nm, float)


def plot_storage(S, fignum=100, modulus="linear", slices=(slice(1), slice(None), slice(None)), si_axes="x",
                 mask=None, **kwargs):
    """ptypy's ``u.plot_storage``: the layers of a storage in a matplotlib figure (returned); see
    :func:`beamkit.ptycho.plot.plot_storage`."""
    from .plot import plot_storage as _plot_storage
    return _plot_storage(S, fignum, modulus, slices, si_axes, mask, **kwargs)


def clean_path(path: str) -> str:
    """``path`` with ``~`` and environment variables expanded, made absolute; its folder is
    created when missing (as ptypy's ``clean_path``)."""
    path = os.path.abspath(os.path.expandvars(os.path.expanduser(str(path))))
    base = os.path.dirname(path)
    if base and not os.path.isdir(base):
        try:
            os.makedirs(base, exist_ok=True)
        except OSError as exc:
            raise ParameterError("path", "a path whose folder can be created", path, str(exc)) from None
    return path


def load_from_ptyr(filename, what="probe", ID=None, layer=None) -> np.ndarray:
    """``content/<what>/<ID>/data`` of a ``.ptyr`` file (ID None: the first storage), sliced
    with ``layer`` on its first axis when given (ptypy's ``u.load_from_ptyr``)."""
    from .io_ptyr import h5read, ptyr_storages
    try:
        header = h5read(filename, "header")
    except KeyError:
        raise FormatError(path=str(filename), expected="a .ptyr file with a 'header' group", got="none") from None
    if str(header.get("kind") if isinstance(header, dict) else "") == "fullflat":
        raise NotImplementedError("Loading specific data from flattened dump not yet supported.")
    cont = ptyr_storages(filename, what)
    if ID is None:
        rec = next(iter(cont.values()))
    elif str(ID) in cont:
        rec = cont[str(ID)]
    else:
        raise ParameterError("ID", "one of " + ", ".join(sorted(cont)), ID)
    if not isinstance(rec, dict) or "data" not in rec:
        raise FormatError(path=str(filename), expected=f"content/{what}/<ID>/data", got="no data")
    data = np.asarray(rec["data"])
    if layer is None:
        return data
    try:
        return data[int(layer)]
    except (IndexError, ValueError, TypeError):
        raise ParameterError("layer", f"a layer index below {data.shape[0]}", layer) from None
