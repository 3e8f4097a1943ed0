"""Storages (n-d complex arrays on a physical grid), containers of storages, and views as index arrays.

A :class:`Storage` holds ``data`` of shape (layers, Ny, Nx) with a pixel size ``psize`` (m)
and ``center`` (the pixel position of the physical origin), as ptypy's storages do.
A :class:`Views` table keeps all view corners of one storage as one integer array, so that
gathering all views is one fancy-index operation and scattering is one ``bincount``.
"""
from __future__ import annotations

import numpy as np

from ...errors import ParameterError

__all__ = ["Storage", "Container", "Views", "View", "PodTable"]


class Storage:
    """A (layers, Ny, Nx) array with geometry: ``psize`` (m, 2), ``center`` (px, 2), ``origin`` (m, 2)."""

    def __init__(self, ID: str, data, psize=1.0, center=None, energy=None, fill_value=0.0):
        data = np.asarray(data)
        if data.ndim == 2:
            data = data[None]
        if data.ndim != 3:
            raise ParameterError(f"storage {ID}", "array of shape (layers, Ny, Nx)", data.shape)
        self.ID = str(ID)
        self.data = data
        self.psize = np.broadcast_to(np.asarray(psize, float), (2,)).copy()
        self.center = (np.asarray(data.shape[-2:], float) // 2 if center is None
                       else np.broadcast_to(np.asarray(center, float), (2,)).copy())
        self.energy = energy
        self.fill_value = fill_value
        self.model_initialized = True
        self.padding = 0

    # geometry -------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def nlayers(self) -> int:
        return int(self.data.shape[0])

    @property
    def layermap(self) -> list:
        return list(range(self.nlayers))

    @property
    def origin(self) -> np.ndarray:
        """Physical coordinate (m) of pixel (0, 0)."""
        return -self.center * self.psize

    @origin.setter
    def origin(self, value):
        self.center = -np.asarray(value, float) / self.psize

    @property
    def dtype(self):
        return self.data.dtype

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

    def fill(self, value=None) -> None:
        self.data[...] = self.fill_value if value is None else value

    def copy(self, ID: str | None = None) -> "Storage":
        s = Storage(ID or self.ID, self.data.copy(), self.psize, self.center, self.energy, self.fill_value)
        s.padding = self.padding
        return s

    def __repr__(self):
        return f"Storage({self.ID!r}, shape={self.shape}, dtype={self.dtype}, psize={self.psize.tolist()})"


class Container:
    """A dict of storages (``.S`` / ``.storages``) of one kind, e.g. all probes."""

    def __init__(self, ID: str = "Cnone", data_type: str = "complex"):
        self.ID = ID
        self.data_type = data_type
        self.storages: dict[str, Storage] = {}

    @property
    def S(self) -> dict:
        return self.storages

    def new_storage(self, ID: str, data, **kw) -> Storage:
        s = Storage(ID, data, **kw)
        self.storages[ID] = s
        return s

    def __getitem__(self, key) -> Storage:
        return self.storages[key]

    def __iter__(self):
        return iter(self.storages.values())

    def __len__(self):
        return len(self.storages)

    def copy(self, ID=None) -> "Container":
        c = Container(ID or self.ID + "_copy", self.data_type)
        c.storages = {k: s.copy() for k, s in self.storages.items()}
        return c

    def fill(self, value=0.0):
        for s in self:
            s.fill(value)

    def norm2(self) -> float:
        return float(sum(np.vdot(s.data, s.data).real for s in self))

    def __repr__(self):
        return f"Container({self.ID!r}, storages={list(self.storages)})"


class View:
    """One view, for inspection (not used in the engines' hot paths)."""

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

    def set_corners(self, corners) -> None:
        """Move views to integer corners (n, 2). A view whose corner changes is shifted by that many
        pixels (its sub-pixel remainder is kept); the others keep their coordinates exactly."""
        corners = np.asarray(corners, np.int64).reshape(-1, 2)
        if corners.shape != self.corners.shape:
            raise ParameterError("Views.set_corners", f"corners of shape {self.corners.shape}", corners.shape)
        idx = np.flatnonzero((corners != self.corners).any(axis=1))
        if len(idx):
            self.move(idx, self.coords[idx] + (corners[idx] - self.corners[idx]) * self.storage.psize)

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
