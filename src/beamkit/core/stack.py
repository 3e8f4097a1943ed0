"""Labelled n-d data: a numpy array with a label, length, offset and unit per axis.

The model under SpecPy stacks, ptycho storages and detector images.  Axis
order follows the numpy array (C order, axis 0 slowest); a face that shows
another order (SpecPy lists x first) converts at its own boundary.

Per axis: ``label`` (str), ``length`` (physical extent of the whole axis, in
``unit``), ``offset`` (physical position of the axis start, in ``unit``) and
``unit`` (str, e.g. ``'m'``, ``'s'``, ``''`` for none).  Pixel size is
``length / size``.
"""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import FormatError, ParameterError
from .files import atomic_path, open_hdf5_group

__all__ = ["Axis", "Stack"]


@dataclass
class Axis:
    """One axis: label, physical length (unit), physical offset (unit), unit."""

    label: str = ""
    length: float = 1.0
    offset: float = 0.0
    unit: str = ""


def _as_list(value, n: int, key: str, kind, default):
    """Validate a per-axis list: None -> n defaults, else a sequence of n items of ``kind``."""
    if value is None:
        return [default(i) if callable(default) else default for i in range(n)]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ParameterError(key, f"a sequence of {n} {kind.__name__} values", value)
    value = list(value)
    if len(value) != n:
        raise ParameterError(key, f"{n} entries (one per axis)", value,
                             f"wrong number of entries ({len(value)})")
    out = []
    for i, v in enumerate(value):
        if kind is str:
            if not isinstance(v, str):
                raise ParameterError(f"{key}[{i}]", "str", v)
            out.append(v)
        else:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise ParameterError(f"{key}[{i}]", "a real number", v)
            v = float(v)
            if not np.isfinite(v):
                raise ParameterError(f"{key}[{i}]", "a finite number", v)
            out.append(v)
    return out


class Stack:
    """An n-d numpy array with per-axis label, length, offset and unit, a name,
    a description and a JSON-able metadata dict.

    ``lengths`` default to the axis sizes (pixel size 1), ``offsets`` to 0,
    labels and units to ''.
    """

    def __init__(self, data, labels=None, lengths=None, offsets=None, units=None,
                 name: str = "", description: str = "", meta=None):
        if isinstance(data, Stack):
            data = data.data
        try:
            arr = np.asarray(data)
        except Exception as exc:  # noqa: BLE001 - anything numpy refuses
            raise ParameterError("data", "an array-like", type(data).__name__, str(exc)) from None
        if arr.dtype == object:
            raise ParameterError("data", "a numeric array (not dtype=object)", arr.dtype)
        if arr.ndim == 0:
            raise ParameterError("data", "an array with at least one dimension", arr.shape)
        n = arr.ndim
        self._data = arr
        self._axes = []
        labels = _as_list(labels, n, "labels", str, "")
        lengths = _as_list(lengths, n, "lengths", float, lambda i: float(arr.shape[i]))
        offsets = _as_list(offsets, n, "offsets", float, 0.0)
        units = _as_list(units, n, "units", str, "")
        self._axes = [Axis(a, b, c, d) for a, b, c, d in zip(labels, lengths, offsets, units)]
        if not isinstance(name, str):
            raise ParameterError("name", "str", name)
        if not isinstance(description, str):
            raise ParameterError("description", "str", description)
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise ParameterError("meta", "a dict", meta)
        self.name = name
        self.description = description
        self.meta = dict(meta)

    # --- array side -------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The numpy array (no copy)."""
        return self._data

    @data.setter
    def data(self, value) -> None:
        arr = np.asarray(value)
        if arr.shape != self._data.shape:
            raise ParameterError("data", f"an array of shape {self._data.shape}", arr.shape)
        self._data = arr

    @property
    def axes(self) -> list:
        """List of :class:`Axis`, one per numpy axis (C order)."""
        return self._axes

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def labels(self) -> list:
        return [a.label for a in self._axes]

    @property
    def lengths(self) -> list:
        return [a.length for a in self._axes]

    @property
    def offsets(self) -> list:
        return [a.offset for a in self._axes]

    @property
    def units(self) -> list:
        return [a.unit for a in self._axes]

    def pixel_sizes(self) -> list:
        """Physical pixel size per axis, ``length / size`` (unit of the axis)."""
        return [a.length / s if s else 0.0 for a, s in zip(self._axes, self.shape)]

    def coords(self, axis: int) -> np.ndarray:
        """Pixel-centre positions along ``axis``: ``offset + (k + 0.5) * length / size`` (unit)."""
        if not isinstance(axis, numbers.Integral) or not -self.ndim <= axis < self.ndim:
            raise ParameterError("axis", f"an integer in [-{self.ndim}, {self.ndim})", axis)
        a, n = self._axes[axis], self.shape[axis]
        return a.offset + (np.arange(n) + 0.5) * (a.length / n if n else 0.0)

    def copy(self) -> "Stack":
        return Stack(self._data.copy(), self.labels, self.lengths, self.offsets, self.units,
                     self.name, self.description, json.loads(json.dumps(self.meta)))

    def __repr__(self):
        ax = ", ".join(f"{a.label or '?'}:{s}" for a, s in zip(self._axes, self.shape))
        return f"Stack({self.name!r}, [{ax}], {self._data.dtype})"

    # --- HDF5 -------------------------------------------------------------
    def save_hdf5(self, path, group: str = "/") -> None:
        """Write the stack into ``group`` of a new HDF5 file ``path`` (atomic; replaces the file)."""
        import h5py
        try:
            meta = json.dumps(self.meta)
        except (TypeError, ValueError) as exc:
            raise ParameterError("meta", "JSON-serialisable values", None, str(exc)) from None
        with atomic_path(path, suffix=".h5") as tmp:
            with h5py.File(tmp, "w") as fh:
                g = fh.require_group(group)
                g.attrs["beamkit_stack"] = 1
                g.create_dataset("data", data=self._data)
                g.attrs["name"] = self.name
                g.attrs["description"] = self.description
                g.attrs["meta"] = meta
                g.attrs["labels"] = json.dumps(self.labels)
                g.attrs["units"] = json.dumps(self.units)
                g.attrs["lengths"] = np.asarray(self.lengths, dtype="f8")
                g.attrs["offsets"] = np.asarray(self.offsets, dtype="f8")

    @classmethod
    def load_hdf5(cls, path, group: str = "/") -> "Stack":
        """Read a stack written by :meth:`save_hdf5`."""
        with open_hdf5_group(path, group, "beamkit_stack", "beamkit stack") as g:
            try:
                data = g["data"][()]
                a = g.attrs
                return cls(data, labels=json.loads(a["labels"]), lengths=list(a["lengths"]),
                           offsets=list(a["offsets"]), units=json.loads(a["units"]),
                           name=str(a["name"]), description=str(a["description"]),
                           meta=json.loads(a["meta"]))
            except (KeyError, ValueError, TypeError) as exc:
                raise FormatError(f"incomplete stack in group {group!r}: {exc}", path=path) from None

    # --- xarray -----------------------------------------------------------
    def to_xarray(self):
        """An ``xarray.DataArray`` with pixel-centre coordinates per axis (needs xarray)."""
        try:
            import xarray as xr
        except ImportError as exc:  # pragma: no cover - xarray is optional
            raise ImportError("to_xarray() needs the 'xarray' package") from exc
        dims, seen = [], set()
        for i, a in enumerate(self._axes):
            d = a.label or f"dim_{i}"
            if d in seen:
                d = f"{d}_{i}"
            seen.add(d)
            dims.append(d)
        coords = {}
        for i, d in enumerate(dims):
            coords[d] = xr.Variable(d, self.coords(i), attrs={"units": self._axes[i].unit})
        attrs = {"name": self.name, "description": self.description}
        attrs.update({k: v for k, v in self.meta.items() if k not in attrs})
        return xr.DataArray(self._data, dims=dims, coords=coords, name=self.name or None, attrs=attrs)
