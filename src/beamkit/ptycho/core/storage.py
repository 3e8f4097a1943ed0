"""Storages (n-d arrays on a physical grid), containers of storages, and views as index arrays.

A :class:`Storage` holds ``data`` of shape (layers, Ny, Nx) with a pixel size ``psize`` (m)
and ``center`` (the pixel position of the physical origin), as ptypy's storages do; ``origin``
(m) is derived (``origin = -center * psize``), so setting one of the three keeps the others
consistent as in ptypy (psize keeps the centre, origin moves it).
A :class:`Container` is ptypy's container of storages (``S``/``storages``) with its facade views
(``V``/``views``, see :mod:`.pods`), copies, in-place arithmetic and reports.
A :class:`Views` table keeps all view corners of one storage as one integer array, so that
gathering all views is one fancy-index operation and scattering is one ``bincount`` (the
engines' layout; ptypy's per-view objects are the facade :class:`.pods.View`).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ...errors import ParameterError

__all__ = ["Storage", "Container", "Views", "View", "PodTable", "vec2"]


def vec2(v, dtype=float) -> np.ndarray:
    """ptypy's ``u.expect2``: a scalar -> (v, v); a sequence -> its last two entries (new array)."""
    a = np.atleast_1d(np.asarray(v, dtype))
    if a.size == 1:
        return np.array([a.ravel()[0]] * 2, dtype)
    return a.ravel()[-2:].copy()


def _is_view(v) -> bool:
    """True for a ptypy-style facade view (:class:`.pods.View`)."""
    return getattr(v, "_ptypy_view", False)


def _new_id(pool, prefix: str, ID=None) -> str:
    """ptypy's ID rule: None -> prefix + first free 4-digit number; int -> prefix + '%04d';
    a str starting with ``prefix`` is kept, another str gets the prefix."""
    if ID is None:
        i = len(pool)
        while f"{prefix}{i:04d}" in pool:
            i += 1
        return f"{prefix}{i:04d}"
    if isinstance(ID, (int, np.integer)):
        return f"{prefix}{int(ID):04d}"
    ID = str(ID)
    return ID if ID.startswith(prefix) else prefix + ID


class Storage:
    """A (layers, Ny, Nx) array with geometry: ``psize`` (m, 2), ``center`` (px, 2), ``origin`` (m, 2).

    ``data`` may be given, or ``shape`` (int -> (1, n, n); tuple) filled with ``fill_value``.
    ``layermap``: the layer labels of the buffer's first axis (default 0..layers-1; ``S[label]``
    is that layer). ``owner``: the :class:`Container` (set when the storage is put in one).
    ``padding`` (px) and ``padonly`` steer :meth:`reformat` as in ptypy.
    """

    def __init__(self, ID: str, data=None, psize=1.0, center=None, energy=None, fill_value=0.0, *, owner=None,
                 shape=None, origin=None, layermap=None, padonly=False, padding=0, dtype=None):
        if data is None:
            sh = (1, 1, 1) if shape is None else ((1, int(shape), int(shape)) if np.isscalar(shape) else tuple(shape))
            data = np.full(sh, fill_value if fill_value is not None else 0.0,
                           dtype if dtype is not None else (complex if np.iscomplexobj(fill_value) else float))
        data = np.asarray(data)
        if dtype is not None:
            data = data.astype(dtype, copy=False)
        if data.ndim == 2:
            data = data[None]
        if data.ndim != 3:
            raise ParameterError(f"storage {ID}", "array of shape (layers, Ny, Nx)", data.shape)
        self.ID = str(ID)
        self.numID = None
        self.owner = owner
        self.data = data
        self._psize = vec2(1.0 if psize is None else psize)
        self._center = (np.asarray(data.shape[-2:], float) // 2 if center is None else vec2(center))
        if origin is not None:
            self.origin = origin
        self.energy = energy
        self.fill_value = 0.0 if fill_value is None else fill_value
        self.model_initialized = True
        self.padding = int(padding)
        self.padonly = bool(padonly)
        self.distributed = False
        self.DataTooSmall = False
        self._layermap = None if layermap is None else [int(x) for x in layermap]

    # geometry -------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        """Dimensions a view accesses (2: the frame), as ptypy's."""
        return self.data.ndim - 1

    @property
    def nlayers(self) -> int:
        return int(self.data.shape[0])

    @property
    def layermap(self) -> list:
        """Layer labels of the buffer's first axis (ptypy's layermap); default 0..layers-1."""
        if self._layermap is None or len(self._layermap) != self.nlayers:
            return list(range(self.nlayers))
        return list(self._layermap)

    @layermap.setter
    def layermap(self, v):
        self._layermap = None if v is None else [int(x) for x in v]

    @property
    def psize(self) -> np.ndarray:
        """Pixel size (m, 2); setting it (scalar or pair) keeps ``center``, moves ``origin``."""
        return self._psize

    @psize.setter
    def psize(self, v):
        self._psize = vec2(v)

    @property
    def center(self) -> np.ndarray:
        """Pixel position (px, 2) of the physical origin; setting it moves ``origin``."""
        return self._center

    @center.setter
    def center(self, v):
        self._center = vec2(v)

    @property
    def origin(self) -> np.ndarray:
        """Physical coordinate (m, 2) of pixel (0, 0); setting it moves ``center``."""
        return -self._center * self._psize

    @origin.setter
    def origin(self, value):
        self._center = -vec2(value) / self._psize

    @property
    def dtype(self):
        return self.data.dtype

    def _to_pix(self, coord) -> np.ndarray:
        """Physical coordinates (m) -> fractional pixel coordinates."""
        return (np.asarray(coord, float) - self.origin) / self.psize

    def _to_phys(self, pix) -> np.ndarray:
        """Pixel coordinates -> physical coordinates (m)."""
        return np.asarray(pix, float) * self.psize + self.origin

    def grids(self) -> tuple[np.ndarray, np.ndarray]:
        """Physical coordinates (m) of every pixel: (y, x), each (layers, Ny, Nx)."""
        ny, nx = self.data.shape[-2:]
        y = (np.arange(ny) - self.center[0]) * self.psize[0]
        x = (np.arange(nx) - self.center[1]) * self.psize[1]
        Y, X = np.meshgrid(y, x, indexing="ij")
        return (np.broadcast_to(Y, self.data.shape).copy(), np.broadcast_to(X, self.data.shape).copy())

    def pixel_of(self, coord) -> np.ndarray:
        """Fractional pixel positions (n, 2) of physical coordinates (n, 2) in m."""
        return (np.asarray(coord, float) - self.origin) / self.psize

    # content ----------------------------------------------------------------
    def fill(self, value=None) -> None:
        """ptypy's fill: None -> ``fill_value``; a scalar -> every pixel, and it becomes ``fill_value``;
        an array replaces the buffer (cast to the storage's dtype; a 2-d frame is repeated over the
        layers), so the storage takes its shape."""
        if value is None:
            self.data[...] = self.fill_value
        elif np.isscalar(value) or (isinstance(value, np.ndarray) and value.ndim == 0):
            self.data[...] = value
            self.fill_value = value
        else:
            a = np.asarray(value)
            if a.ndim not in (2, 3):
                raise ValueError(f"storage {self.ID}: a fill array must be 2-d or 3-d, not {a.ndim}-d")
            if a.ndim == 2:
                a = np.broadcast_to(a, (self.nlayers,) + a.shape)
            self.data = np.array(a, dtype=self.data.dtype)

    def copy(self, owner=None, ID=None, fill=None) -> "Storage":
        """A copy (same geometry, layermap, padding); ``fill`` None copies the content, a scalar fills.

        ``owner``: a Container to register the copy in (``copy('ID')`` is also accepted)."""
        if isinstance(owner, str):
            owner, ID = None, owner
        s = Storage(ID or self.ID, self.data.copy() if fill is None else np.empty_like(self.data), self.psize,
                    self.center, self.energy, self.fill_value, layermap=self._layermap, padonly=self.padonly,
                    padding=self.padding)
        s.model_initialized = self.model_initialized
        if fill is not None:
            s.fill(fill)
        if owner is not None:
            owner.storages[s.ID] = s
            s.owner = owner
        return s

    def allreduce(self, op=None) -> None:
        """MPI sum over processes: a no-op (beamkit runs one process per reconstruction)."""
        return None

    # views --------------------------------------------------------------------
    @property
    def views(self) -> list:
        """The active facade views (:class:`.pods.View`) on this storage ([] without a container)."""
        if self.owner is None or not hasattr(self.owner, "views_in_storage"):
            return []
        return self.owner.views_in_storage(self)

    def update(self) -> None:
        """ptypy refreshes its views' cached slices here; beamkit's views compute them on access."""
        return None

    def update_views(self, v=None) -> None:
        """No-op: a facade view derives dlow/dhigh/sp from its coord and this storage on access."""
        return None

    def _layer_index(self, layer) -> int:
        lm = self.layermap
        if layer in lm:
            return lm.index(layer)
        raise ValueError(f"View or layer {layer!r} is not present in storage {self.ID}")

    def __getitem__(self, v):
        """``S[view]``: the view's 2-d slice of layer ``view.dlayer`` (a numpy view, writes go through);
        ``S[label]``: the layer with that layermap label."""
        if _is_view(v):
            lo, hi = v.dlow, v.dhigh
            return self.data[v.dlayer, lo[0]:hi[0], lo[1]:hi[1]]
        return self.data[self._layer_index(v)]

    def __setitem__(self, v, newdata):
        """``S[view] = frame`` writes the view's slice; ``S[label] = frame`` a whole layer."""
        if _is_view(v):
            lo, hi = v.dlow, v.dhigh
            self.data[v.dlayer, lo[0]:hi[0], lo[1]:hi[1]] = newdata
        else:
            self.data[self._layer_index(v)] = newdata

    def get_view_coverage(self) -> np.ndarray:
        """How many active views cover each pixel (array like ``data``)."""
        cov = np.zeros_like(self.data)
        for v in self.views:
            cov[v.slice] += 1
        return cov

    def reformat(self, newID=None, update=True) -> "Storage":
        """Crop or pad the buffer to the active views plus ``padding`` px (pad only with ``padonly``),
        filling new pixels with ``fill_value``; layers follow the views' layers. ``newID``: act on
        a copy. Engines that work on this storage keep their corners consistent (batched views
        re-placed); a running engine's device copy is not changed. Returns the storage."""
        if newID is not None:
            s = self.copy(self.owner, newID)
            return s.reformat()
        views = [v for v in self.views if v.active]
        if not views:
            return self
        lo = np.min([v.dlow for v in views], axis=0)
        hi = np.max([v.dhigh for v in views], axis=0)
        sh = np.asarray(self.data.shape[1:])
        misfit = self.padding + np.stack([-lo, hi - sh], axis=1)          # (2 axes, low/high side)
        if self.padonly:
            misfit = np.maximum(misfit, 0)
        data = self.data
        if misfit.any():
            new_sh = sh + misfit.sum(axis=1)
            new = np.full((data.shape[0],) + tuple(int(x) for x in new_sh), self.fill_value, data.dtype)
            src = tuple(slice(max(-m0, 0), n - max(-m1, 0)) for (m0, m1), n in zip(misfit, sh))
            dst = tuple(slice(max(m0, 0), max(m0, 0) + (s.stop - s.start)) for (m0, _), s in zip(misfit, src))
            new[(slice(None),) + dst] = data[(slice(None),) + src]
            data = new
            self._center = self._center + misfit[:, 0]
        layers = sorted({int(v.layer) for v in views})
        lm = self.layermap
        if layers != lm and len(set(layers)) == len(layers):
            relaid = np.full((len(layers),) + data.shape[1:], self.fill_value, data.dtype)
            for j, lab in enumerate(layers):
                if lab in lm:
                    relaid[j] = data[lm.index(lab)]
            data = relaid
            self._layermap = layers
            for v in views:
                if getattr(v, "_dlayer", None) is not None:
                    v._dlayer = layers.index(int(v.layer))
        self.data = data
        for src in {id(v._src): v._src for v in views if getattr(v, "_src", None) is not None}.values():
            src.set_coords(src.coords)          # the engines' corners follow the new centre
        return self

    def zoom_to_psize(self, new_psize, **kwargs) -> None:
        """Resample the frames to a pixel of about ``new_psize`` (m; rounded so that the buffer's
        extent stays, as ptypy), keeping ``origin``; linear interpolation (``order`` in kwargs)."""
        from scipy.ndimage import zoom
        new_psize = vec2(new_psize)
        sh = np.asarray(self.data.shape[1:], float)
        new_sh = np.round(self.psize / new_psize * sh)
        origin = self.origin.copy()
        if (new_sh != sh).any():
            z = [1.0] + list(new_sh / sh)
            order = kwargs.get("order", 1)
            d = self.data
            out = zoom(d.real, z, order=order) + (1j * zoom(d.imag, z, order=order) if np.iscomplexobj(d) else 0)
            self.data = np.asarray(out, d.dtype)
        self._psize = self.psize / new_sh * sh
        self.origin = origin
        self.reformat()

    # reports ----------------------------------------------------------------
    def report(self) -> str:
        """Shape, pixel size (m), extent (m) and number of views, one per line."""
        return (f"Shape: {self.data.shape}\n"
                f"Pixel size (meters): {self.psize[0]:g} x {self.psize[1]:g}\n"
                f"Dimensions (meters): {self.psize[0] * self.data.shape[-2]:g} x "
                f"{self.psize[1] * self.data.shape[-1]:g}\n"
                f"Number of views: {len(self.views)}\n")

    def formatted_report(self, table_format=None, offset=8, align="right", separator=" : ",
                         include_header=True):
        """``(line, dict)``: ptypy's table row (memory MB, shape, psize m, dimension m, views)."""
        table = table_format or _TABLE
        info = {}
        cells = [str(self.ID).ljust(offset)]
        for key, width in table:
            if key == "memory":
                info[key] = self.data.nbytes / 1e6
                txt = "%.1f" % info[key]
            elif key == "shape":
                info[key] = tuple(self.data.shape)
                txt = " * ".join("%d" % x for x in info[key])
            elif key in ("psize", "dimension"):
                r = self.psize if key == "psize" else self.psize * np.asarray(self.data.shape[1:])
                info[key] = tuple(r)
                dec = int(np.floor(np.log10(np.min(np.abs(r))))) if np.all(r != 0) else 0
                txt = "*".join("%.1f" % x for x in r * 10.0 ** (-dec)) + "e%d" % dec
            elif key == "views":
                info[key] = len(self.views)
                txt = str(info[key])
            elif key == "dtype":
                info[key] = self.data.dtype
                txt = self.data.dtype.str
            else:
                info[key], txt = None, ""
            cells.append(separator + (txt.rjust(width)[-width:] if align == "right" else txt.ljust(width)[:width]))
        line = "".join(cells)
        if include_header:
            line = _header(table, offset, separator) + line
        return line, info

    def _to_dict(self) -> dict:
        """The storage's state as a dict (ptypy's record names)."""
        return OrderedDict(ID=self.ID, numID=self.numID, owner=self.owner, data=self.data, shape=self.shape,
                           fill_value=self.fill_value, padding=self.padding, padonly=self.padonly,
                           layermap=self.layermap, nlayers=self.nlayers, _psize=self.psize.copy(),
                           _center=self.center.copy(), _origin=self.origin.copy(), energy=self.energy,
                           model_initialized=self.model_initialized, distributed=self.distributed,
                           DataTooSmall=self.DataTooSmall)

    def __str__(self):
        return (f"{self.ID:>15} : {self.data.nbytes / 1e6:7.2f} MB :: data={self.data.shape} @{self.data.dtype} "
                f"psize={self.psize} center={self.center}")

    def __repr__(self):
        return f"Storage({self.ID!r}, shape={self.shape}, dtype={self.dtype}, psize={self.psize.tolist()})"


#: ptypy's report columns (key, width)
_TABLE = [("memory", 6), ("shape", 16), ("psize", 15), ("dimension", 15), ("views", 5)]
_DESC = dict(memory=("Memory", "(MB)"), shape=("Shape", "(Pixel)"), psize=("Pixel size", "(meters)"),
             dimension=("Dimensions", "(meters)"), views=("Views", "act."), dtype=("Type", ""))


def _header(table, offset=8, separator=" : ") -> str:
    """ptypy's two-line report header with a rule below."""
    h1, h2 = "(C)ontnr".ljust(offset), "(S)torgs".ljust(offset)
    for key, width in table:
        d, unit = _DESC.get(key, (key, ""))
        h1 += separator + d.ljust(width)
        h2 += separator + unit.ljust(width)
    return "\n".join([h1, h2, "-" * len(h2)]) + "\n"


_DATA_TYPES = ("complex", "real", "bool", "float32", "float64", "complex64", "complex128")


class _Storages(OrderedDict):
    """The container's storage dict: a storage put in without an owner takes the container as owner."""

    def __init__(self, container, *a, **kw):
        self._container = container
        super().__init__(*a, **kw)

    def __setitem__(self, key, s):
        if getattr(s, "owner", 1) is None:
            s.owner = self._container
        super().__setitem__(key, s)

    def __reduce__(self):          # pickles/deep-copies as a plain ordered dict
        return (OrderedDict, (list(self.items()),))


class Container:
    """ptypy's Container: a dict of storages (``S``/``storages``) of one kind, e.g. all probes.

    ``Container(ID, data_type)`` (beamkit's order) or ptypy's ``Container(owner, ID, data_type)``.
    ``V``/``views``: the facade views on its storages (the Ptycho's pods' views once
    :func:`.pods.attach` has set ``owner``; views made with ``View(C, ...)``); ``C[view]`` is that
    view's 2-d data. In-place ``+= -= *= /=`` take a scalar, an array that broadcasts, or a container
    of the same layout (storages matched by ID); ``C << x`` fills. ``copy()`` makes ptypy's copies
    (``'Cobj_copy0'``, listed in ``copies``, dropped by ``delete_copy``); copies hold no views but
    accept the original's.
    """

    def __init__(self, ID=None, data_type="complex", owner=None, data_dims=2):
        if ID is not None and not isinstance(ID, str):          # ptypy's order: (owner, ID, data_type)
            if isinstance(data_type, str) and data_type not in _DATA_TYPES:
                ID, data_type, owner = data_type, owner if isinstance(owner, str) else "complex", ID
            else:
                ID, owner = None, ID
        self.ID = "Cnone" if ID is None else str(ID)
        self.data_type = data_type
        self.owner = owner
        self.ndim = int(data_dims)
        self.original = self
        self._copies: list = []
        self._views: dict = OrderedDict()
        self._storages = _Storages(self)

    # storages -----------------------------------------------------------------
    @property
    def storages(self) -> dict:
        return self._storages

    @storages.setter
    def storages(self, d):
        self._storages = _Storages(self)
        for k, s in dict(d).items():
            self._storages[k] = s

    S = storages

    @property
    def Sp(self):
        from ..utils import Param
        return Param(self.storages)

    def new_storage(self, ID=None, data=None, **kw) -> Storage:
        """Create and register a storage; ``ID`` None -> 'S0000', 'S0001', ... (ptypy's).

        Keywords: ``shape`` (int or tuple; buffer filled with ``fill``), ``fill``, ``psize`` (m),
        ``center`` (px) or ``origin`` (m), ``layermap``, ``padonly``, ``padding``, ``energy``,
        ``fill_value``."""
        ID = _new_id(self.storages, "S", ID)
        if ID in self.storages:
            raise RuntimeError(f"Storage ID {ID} already exists.")
        fill = kw.pop("fill", None)
        if fill is not None:
            kw.setdefault("fill_value", fill)
        if data is None:
            kw.setdefault("dtype", self.dtype)
        s = Storage(ID, data, owner=self, **kw)
        self.storages[ID] = s
        return s

    def __getitem__(self, key):
        """``C[view]``: the view's 2-d data in this container's storage of the same ID;
        ``C['S...']``: a storage."""
        if _is_view(key):
            return self.storages[key.storageID][key]
        return self.storages[key]

    def __setitem__(self, key, value):
        if _is_view(key):
            self.storages[key.storageID][key] = value
        else:
            self.storages[key] = value

    def __iter__(self):
        return iter(self.storages.values())

    def __len__(self):
        return len(self.storages)

    # type and size --------------------------------------------------------------
    @property
    def dtype(self):
        """numpy dtype of the buffers: 'complex'/'real' follow the owner's precision (ptypy's
        CType/FType), else the first storage's, else double precision."""
        kind = self.data_type
        if kind in ("complex", "real"):
            t = getattr(self.owner, "CType" if kind == "complex" else "FType", None)
            if t is not None:
                return np.dtype(t)
            for s in self.storages.values():
                return s.data.dtype
            return np.dtype(np.complex128 if kind == "complex" else np.float64)
        return np.dtype(bool if kind == "bool" else kind)

    @property
    def size(self) -> int:
        """Total number of pixels in all storages."""
        return int(sum(s.data.size for s in self.storages.values()))

    @property
    def nbytes(self) -> int:
        """Total bytes of the storages' buffers."""
        return int(sum(s.data.nbytes for s in self.storages.values()))

    # views ------------------------------------------------------------------------
    @property
    def V(self) -> dict:
        """ID -> facade view on this container (ptypy's ``V``); copies hold none."""
        if self.original is not self:
            return OrderedDict()
        if self.owner is not None and hasattr(self.owner, "blocks"):
            from .pods import pods_of
            pods_of(self.owner)                  # builds (or refreshes) the pods' views
        return self._views

    views = V

    @property
    def Vp(self):
        from ..utils import Param
        return Param(self.V)

    def views_in_storage(self, s, active_only=True) -> list:
        """The views (of the original container) on storage ``s`` (only active ones by default)."""
        return [v for v in self.original.V.values() if v.storageID == s.ID and (v.active or not active_only)]

    # copies -------------------------------------------------------------------------
    @property
    def copies(self) -> list:
        return list(self._copies)

    def copy(self, ID=None, fill=None, dtype=None) -> "Container":
        """A container like this one (same storage IDs and geometry), registered in ``copies``.

        ``ID`` default ``<ID>_copy<k>``; ``fill`` None copies the content, a scalar fills; ``dtype``
        gives empty (zero-filled unless ``fill``) buffers of that type."""
        ID = f"{self.ID}_copy{len(self._copies)}" if ID is None else ID
        c = Container(ID, self.data_type if dtype is None else dtype, owner=self.owner, data_dims=self.ndim)
        c.original = self
        if dtype is not None and fill is None:
            fill = 0
        for sid, s in self.storages.items():
            if dtype is None:
                s.copy(c, sid, fill)
            else:
                n = Storage(sid, np.zeros(s.data.shape, np.dtype(bool if dtype == "bool" else dtype)), s.psize,
                            s.center, s.energy, fill, layermap=s._layermap, padonly=s.padonly, padding=s.padding)
                n.fill(fill)
                c.storages[sid] = n
        self._copies.append(c)
        return c

    def delete_copy(self, copy_IDs=None) -> None:
        """Forget the copy ``copy_IDs`` (an ID or list of IDs), or all copies."""
        if self.original is not self:
            raise RuntimeError("Container copy is not allowed to delete anything.")
        if copy_IDs is None:
            self._copies = []
            return
        ids = {copy_IDs} if isinstance(copy_IDs, str) else set(copy_IDs)
        self._copies = [c for c in self._copies if c.ID not in ids]

    # content --------------------------------------------------------------------------
    def fill(self, fill=0.0) -> None:
        """Fill every storage with a scalar (or, given a container, copy its content)."""
        if isinstance(fill, Container):
            self.fill(0.0)
            self += fill
            return
        for s in self.storages.values():
            s.fill(fill)

    def allreduce(self, op=None) -> None:
        """MPI sum over processes of every storage: a no-op in beamkit (one process)."""
        for s in self.storages.values():
            s.allreduce(op)

    def clear(self) -> None:
        """Drop the buffers' contents (each storage keeps its layers, frames of 1 × 1 px)."""
        for s in self.storages.values():
            s.data = np.empty((s.data.shape[0], 1, 1), s.data.dtype)

    def reformat(self, also_in_copies=False) -> None:
        """Reformat every storage to its views (see :meth:`Storage.reformat`)."""
        for sid, s in list(self.storages.items()):
            s.reformat()
            if also_in_copies:
                for c in self._copies:
                    if sid in c.storages:
                        c.storages[sid].reformat()

    def norm2(self) -> float:
        return float(sum(np.vdot(s.data, s.data).real for s in self))

    def _apply(self, other, op):
        for sid, s in self.storages.items():
            if isinstance(other, Container):
                o = other.storages.get(sid)
                if o is not None:
                    op(s, o.data)
            else:
                op(s, other)
        return self

    def __iadd__(self, other):
        return self._apply(other, lambda s, o: s.data.__iadd__(o))

    def __isub__(self, other):
        return self._apply(other, lambda s, o: s.data.__isub__(o))

    def __imul__(self, other):
        return self._apply(other, lambda s, o: s.data.__imul__(o))

    def __itruediv__(self, other):
        return self._apply(other, lambda s, o: s.data.__itruediv__(o))

    __idiv__ = __itruediv__

    def __lshift__(self, other):
        """``C << x``: fill with a scalar, or copy the content of a container of the same layout."""
        if isinstance(other, Container):
            return self._apply(other, lambda s, o: s.data.__setitem__(Ellipsis, o))
        self.fill(other)
        return self

    # reports ------------------------------------------------------------------------------
    def info(self):
        """``(bytes, text)``: the buffers' total size and one line per storage."""
        self.space = self.nbytes
        return self.space, "".join(str(s) + "\n" for s in self.storages.values())

    def report(self) -> str:
        return f"Containers ID: {self.ID}\n" + "".join(f"Storage {k}\n" + s.report() for k, s in self.storages.items())

    def formatted_report(self, table_format=None, offset=8, align="right", separator=" : ", include_header=True):
        """ptypy's table: the container line (memory MB, dtype) and one line per storage."""
        table = table_format or _TABLE
        rows, mem = [], 0.0
        for s in self.storages.values():
            line, d = s.formatted_report(table, offset, align, separator, False)
            rows.append(line + "\n")
            mem += d.get("memory", 0) or 0
        w = table[0][1]
        out = str(self.ID).ljust(offset) + separator + ("%.1f" % mem).rjust(w) + separator + \
            np.dtype(self.dtype).name.rjust(w) + "\n" + "".join(rows)
        return (_header(table, offset, separator) + out) if include_header else out

    def __repr__(self):
        return f"Container({self.ID!r}, storages={list(self.storages)})"


class View:
    """One view of a batched :class:`Views` table, for inspection (not used in the engines' hot paths;
    ptypy's per-view object is :class:`.pods.View`)."""

    def __init__(self, views: "Views", i: int):
        self._v, self.index = views, int(i)

    @property
    def corner(self):
        return self._v.corners[self.index]

    @property
    def coord(self):
        return self._v.coords[self.index]

    @property
    def data(self):
        (y, x), (ny, nx) = self.corner, self._v.shape
        return self._v.storage.data[:, y:y + ny, x:x + nx]

    def __repr__(self):
        return f"View({self.index}, corner={self.corner.tolist()})"


class Views:
    """All views of shape ``shape`` into one storage, as arrays.

    ``coords`` (n, 2) m, continuous, as set; ``corners`` (n, 2) int px (top-left, the rounded
    position as ptypy's ``Storage.update_views``: round(p + 1e-5) - shape//2); ``subpix`` the
    sub-pixel remainders p - round(p + 1e-5) that the corners discard.
    """

    def __init__(self, storage: Storage, coords, shape):
        self.storage = storage
        self.shape = tuple(int(s) for s in np.broadcast_to(np.asarray(shape), (2,)))
        self.set_coords(coords)

    def _rounded(self, coords):
        p = self.storage.pixel_of(coords)
        r = np.round(p + 1e-5)
        return r.astype(np.int64) - np.asarray(self.shape) // 2, p - r

    def corner_of(self, coords) -> np.ndarray:
        """Corners (n, 2) that views at physical ``coords`` (n, 2) m would have."""
        return self._rounded(np.asarray(coords, float).reshape(-1, 2))[0]

    def set_coords(self, coords) -> None:
        self.coords = np.asarray(coords, float).reshape(-1, 2).copy()
        self.corners, self.subpix = self._rounded(self.coords)
        self._flat = None
        self._mat = None

    def move(self, idx, coords) -> None:
        """Set the coordinates (m) of views ``idx`` (the others keep theirs); their corners follow."""
        idx = np.asarray(idx, np.int64).reshape(-1)
        c = np.asarray(coords, float).reshape(-1, 2)
        k, sp = self._rounded(c)
        self.coords[idx] = c
        self.subpix[idx] = sp
        changed = idx[(self.corners[idx] != k).any(axis=1)]
        self.corners[idx] = k
        if len(changed):
            if self._flat is not None:        # refresh the cached rows of the views that moved
                nx = self.storage.shape[-1]
                kc = self.corners[changed]
                ry = kc[:, 0, None] + np.arange(self.shape[0])
                rx = kc[:, 1, None] + np.arange(self.shape[1])
                self._flat[changed] = ry[:, :, None] * nx + rx[:, None, :]
            self._mat = None

    def __len__(self):
        return len(self.corners)

    def __getitem__(self, i) -> View:
        return View(self, i)

    def check_inside(self) -> bool:
        ny, nx = self.storage.shape[-2:]
        c = self.corners
        return bool((c >= 0).all() and (c[:, 0] + self.shape[0] <= ny).all() and (c[:, 1] + self.shape[1] <= nx).all())

    @property
    def flat(self) -> np.ndarray:
        """Flat pixel indices (n, Ny, Nx) into one layer of the storage (cached)."""
        if self._flat is None:
            nx = self.storage.shape[-1]
            ry = self.corners[:, 0, None] + np.arange(self.shape[0])
            rx = self.corners[:, 1, None] + np.arange(self.shape[1])
            dt = np.int32 if self.storage.data[0].size < 2**31 else np.int64
            self._flat = (ry[:, :, None] * nx + rx[:, None, :]).astype(dt)
        return self._flat

    def scatter_matrix(self):
        """Sparse (Ly·Lx, n·Ny·Nx) CSR matrix summing view pixels into the storage (cached)."""
        if self._mat is None:
            import scipy.sparse as sp
            f = self.flat.ravel()
            size = int(self.storage.shape[-2] * self.storage.shape[-1])
            self._mat = sp.csr_matrix((np.ones(f.size, np.float32), (f, np.arange(f.size))), shape=(size, f.size))
        return self._mat


class PodTable:
    """Pods as arrays: for each view i and mode k, which probe mode and object mode combine.

    ``probe_modes`` (K,), ``object_modes`` (K,) index the storages' first axes; the exit
    wave of view i, pod k is ``probe[probe_index[i], probe_modes[k]] * object[object_modes[k]][view i]``.
    """

    def __init__(self, n_probe_modes: int, n_object_modes: int, nviews: int, probe_per_view: bool = False):
        pm, om = np.meshgrid(np.arange(n_probe_modes), np.arange(n_object_modes), indexing="ij")
        self.probe_modes = pm.ravel()
        self.object_modes = om.ravel()
        self.nviews = int(nviews)
        self.probe_index = np.arange(nviews) if probe_per_view else np.zeros(nviews, int)

    @property
    def K(self) -> int:
        return len(self.probe_modes)
