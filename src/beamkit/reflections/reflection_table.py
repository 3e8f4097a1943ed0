"""``flex.reflection_table`` with DIALS' names, on top of :class:`beamkit.core.table.Table`.

Columns come out as thin flex wrappers over the stored numpy arrays
(``as_numpy_array()`` is zero-copy); the shoebox column is a
:class:`ShoeboxColumn` (one pixel stream).  Identifiers map experiment ids
(the ``id`` column) to strings and are kept O(n_experiments) on select.
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..core.table import Table, _as_index
from ..errors import FormatError, ParameterError
from . import flex_arrays as flex
from . import io_refl
from .flags import Flags
from .shoebox import ShoeboxColumn

__all__ = ["ReflectionTable", "Row"]


def _unwrap(v):
    if isinstance(v, flex.FlexArray):
        return v.as_numpy_array()
    return v


class Row(Mapping):
    """One row as a read-only mapping (values converted on access: tuples for vectors, Shoebox views)."""

    __slots__ = ("_t", "_i")

    def __init__(self, t: Table, i: int):
        self._t, self._i = t, i

    def __getitem__(self, k):
        v = self._t[k][self._i]
        if isinstance(v, np.ndarray):
            return tuple(v.ravel().tolist())
        return v.item() if isinstance(v, np.generic) else v

    def __iter__(self):
        return iter(self._t.keys())

    def __len__(self):
        return self._t.ncols

    def __repr__(self):
        return repr(dict(self.items()))


def _blank_like(v, n):
    if isinstance(v, np.ndarray):
        return np.zeros((n,) + v.shape[1:], v.dtype)
    return type(v).blank(v, n)


def _sel(sel):
    return sel.as_numpy_array() if isinstance(sel, flex.FlexArray) else sel


class ReflectionTable:
    """DIALS reflection table (see module docstring). ``ReflectionTable(n)`` makes n empty rows."""

    flags = Flags

    def __init__(self, arg=None, shoeboxes=None):
        if isinstance(arg, Table):
            self._t = arg
        elif isinstance(arg, numbers.Integral):
            self._t = Table(nrows=int(arg))
        elif isinstance(arg, dict):
            self._t = Table({k: _unwrap(v) for k, v in arg.items()})
        elif arg is None:
            self._t = Table()
        else:
            raise ParameterError("reflection_table", "a row count, a dict of columns or nothing", type(arg).__name__)
        self._ids: dict = {}
        if shoeboxes is not None:
            self["shoebox"] = shoeboxes

    @classmethod
    def _wrap(cls, t: Table, ids: dict) -> "ReflectionTable":
        out = cls.__new__(cls)
        out._t, out._ids = t, ids
        return out

    # --- dict-like -------------------------------------------------------------
    def __getitem__(self, key):
        if isinstance(key, str):
            col = self._t[key]
            return col if isinstance(col, ShoeboxColumn) else flex.wrap(col)
        if isinstance(key, numbers.Integral):
            n = self.size()
            if not -n <= key < n:
                raise IndexError(f"row {key} out of range for {n} rows")
            return Row(self._t, int(key) % n)
        if isinstance(key, slice):
            return self._derive(self._t[key])
        return self.select(key)

    def __setitem__(self, key, value):
        self._t[key] = _unwrap(value)

    def __delitem__(self, key):
        del self._t[key]

    def __contains__(self, key):
        return key in self._t

    def __len__(self):
        return self._t.nrows

    def __iter__(self):  # iterates keys, like DIALS since PR #908
        return iter(self._t.keys())

    def __repr__(self):
        return f"<reflection_table: {self.size()} rows, {self.ncols()} columns>"

    def keys(self):
        return self._t.keys()

    def cols(self):
        return [(k, self[k]) for k in self.keys()]

    items = cols

    def rows(self):
        for i in range(self.size()):
            yield self[i]

    def types(self):
        return [io_refl.type_name_of(k, v) if not (isinstance(v, np.ndarray) and v.dtype.kind in "US")
                else "std::string" for k, v in self._t.items()]

    def get(self, key, default=None):
        return self[key] if key in self else default

    def nrows(self):
        return self._t.nrows

    size = nrows

    def ncols(self):
        return self._t.ncols

    def empty(self):
        return self.size() == 0

    def is_consistent(self):
        return all(len(v) == self.size() for _, v in self._t.items())

    def numpy(self, key) -> np.ndarray:
        """The stored numpy array of a fixed-width column (zero-copy)."""
        return self._t[key]

    def copy(self):
        return self._wrap(self._t.copy(), dict(self._ids))

    def clear(self):
        self._t = Table()
        self._ids = {}

    def update(self, other: "ReflectionTable"):
        """Add or replace columns from ``other`` (same number of rows)."""
        for k, v in other._t.items():
            self._t[k] = v
        self._ids.update(other._ids)

    # --- identifiers -----------------------------------------------------------------
    def experiment_identifiers(self) -> dict:
        """The live id -> identifier map (mutating it changes the table)."""
        return self._ids

    def _derive(self, t: Table) -> "ReflectionTable":
        """A new table on ``t`` keeping identifiers of the ids still present (none without ``id``)."""
        if "id" not in t:
            return self._wrap(t, {})
        present = set(np.unique(t["id"]).tolist()) if t.nrows else set()
        return self._wrap(t, {k: v for k, v in self._ids.items() if k in present})

    def clean_experiment_identifiers_map(self):
        if "id" in self:
            present = set(np.unique(self._t["id"]).tolist())
            for k in [k for k in self._ids if k not in present]:
                del self._ids[k]

    def split_by_experiment_id(self):
        """One table per distinct ``id`` (ascending), rows in their original order."""
        ids = self._t["id"]
        order = np.argsort(ids, kind="stable")
        uniq, starts = np.unique(ids[order], return_index=True)
        bounds = list(starts) + [ids.size]
        return [self._derive(self._t.select(order[bounds[j]:bounds[j + 1]])) for j in range(uniq.size)]

    def _ids_of(self, identifiers):
        inv = {v: k for k, v in self._ids.items()}
        missing = [s for s in identifiers if s not in inv]
        if missing:
            raise ParameterError("identifiers", f"identifiers of this table {sorted(inv)}", missing)
        return [inv[s] for s in identifiers]

    def select_on_experiment_identifiers(self, identifiers):
        ids = self._ids_of(list(identifiers))
        return self.select(np.isin(self._t["id"], ids))

    def remove_on_experiment_identifiers(self, identifiers):
        ids = self._ids_of(list(identifiers))
        out = self.select(~np.isin(self._t["id"], ids))
        for k in ids:
            out._ids.pop(k, None)
        return out

    def reset_ids(self):
        """Renumber ids 0..n-1 in order of the identifiers map (-1 stays -1)."""
        keys = sorted(self._ids)
        lut = {old: new for new, old in enumerate(keys)}
        ids = self._t["id"]
        new = ids.copy()
        for old, nw in lut.items():
            new[ids == old] = nw
        self._t["id"] = new
        self._ids = {lut[k]: self._ids[k] for k in keys}

    # --- selection ------------------------------------------------------------
    def select(self, sel):
        """Rows by flex.bool / mask / indices, or columns by a list/tuple of names."""
        sel = _sel(sel)
        if isinstance(sel, (list, tuple)) and sel and all(isinstance(s, str) for s in sel):
            return self._wrap(self._t.select(list(sel)), dict(self._ids))
        return self._derive(self._t.select(sel))

    def del_selected(self, sel):
        """Delete rows (mask or indices) or columns (names) in place."""
        sel = _sel(sel)
        if isinstance(sel, (list, tuple)) and sel and all(isinstance(s, str) for s in sel):
            for s in sel:
                del self[s]
            return
        keep = np.ones(self.size(), bool)
        keep[_as_index(sel, self.size())] = False
        self._t = self._t.select(keep)

    def set_selected(self, sel, other: "ReflectionTable"):
        """Overwrite the selected rows with the rows of ``other`` (in order)."""
        idx = _as_index(_sel(sel), self.size())
        if isinstance(other, ReflectionTable) and other.size() != idx.size:
            raise ParameterError("set_selected", f"a table of {idx.size} rows", other.size())
        src = other._t if isinstance(other, ReflectionTable) else Table(other)
        for k, v in src.items():
            if k not in self:
                raise ParameterError(k, "an existing column", "no such column in the target")
            col = self._t[k]
            if isinstance(col, ShoeboxColumn):
                keep = np.ones(self.size(), bool)
                keep[idx] = False
                perm = np.empty(self.size(), np.int64)
                merged = ShoeboxColumn.concat([col.select(keep), v])
                perm[np.flatnonzero(keep)] = np.arange(keep.sum())
                perm[idx] = keep.sum() + np.arange(idx.size)
                del self._t[k]
                self._t[k] = merged.select(perm)
            else:
                col[idx] = v

    def reorder(self, perm):
        self._t.reorder(_sel(perm))

    def resize(self, n):
        """Truncate to, or pad with blank rows up to, ``n`` rows."""
        n = int(n)
        if n <= self.size():
            self._t = self._t.select(np.arange(n))
        else:
            self._t.extend(Table({k: _blank_like(v, n - self.size()) for k, v in self._t.items()}))

    def append(self, row: dict):
        """Append one row given as a dict of column values (missing columns get blanks)."""
        self.insert(self.size(), row)

    def insert(self, i, row: dict):
        """Insert one row before index ``i``."""
        n = self.size()
        extra = ReflectionTable(1)
        for k, v in self._t.items():
            extra._t[k] = _blank_like(v, 1)
        for k, v in row.items():
            if k not in self:
                raise ParameterError(k, f"one of the columns {self.keys()}", "unknown column")
            col = extra._t[k]
            if isinstance(col, ShoeboxColumn):
                raise ParameterError(k, "a fixed-width column (insert shoeboxes with extend)", "shoebox")
            col[0] = v
        self.extend(extra)
        perm = np.concatenate([np.arange(i), [n], np.arange(i, n)]).astype(np.int64)
        self._t.reorder(perm)

    # --- sorting ------------------------------------------------------------
    def sort(self, name, reverse=False, order=None):
        """Stable sort in place by column ``name``; ``order`` picks vector components in priority order."""
        col = self._t[name]
        if order is not None:
            col = col.reshape(col.shape[0], -1)[:, list(order)]
        perm = self._argsort(col, reverse)
        self._t.reorder(perm)

    @staticmethod
    def _argsort(col, reverse):
        tmp = Table({"k": col})
        return tmp.argsort("k", reverse)

    def subsort(self, key0, key1, reverse=False):
        """Sort by ``key0`` then ``key1`` (stable)."""
        tmp = Table({"a": self._t[key0], "b": self._t[key1]})
        p1 = tmp.argsort("b", reverse)
        p = p1[self._argsort(self._t[key0][p1], reverse)]
        self._t.reorder(p)

    # --- combining --------------------------------------------------------------
    def extend(self, other: "ReflectionTable"):
        """Append rows in place; identifier maps are merged (a conflict raises)."""
        for k, v in other._ids.items():
            if k in self._ids and self._ids[k] != v:
                raise ParameterError("experiment identifiers", f"{k} -> {self._ids[k]!r}",
                                     f"{k} -> {v!r} (Experiment identifiers do not match)")
        self._t.extend(other._t)
        self._ids.update(other._ids)

    @classmethod
    def concat(cls, tables):
        """One table with the rows of every table (identifiers merged)."""
        tables = list(tables)
        out = cls()
        if tables:
            out = tables[0].copy()
            for t in tables[1:]:
                out.extend(t)
        return out

    # --- flags -------------------------------------------------------------------
    def get_flags(self, value, all=True):  # noqa: A002 (DIALS' name)
        """flex.bool: ``(flags & value) == value`` (all=True) or ``!= 0`` (all=False)."""
        f = self._t["flags"]
        v = np.uint64(int(value))
        return flex.bool(((f & v) == v) if all else ((f & v) != 0))

    def set_flags(self, sel, value):
        idx = _as_index(_sel(sel), self.size())
        if "flags" not in self:
            self._t["flags"] = np.zeros(self.size(), np.uint64)
        self._t["flags"][idx] |= np.uint64(int(value))

    def unset_flags(self, sel, value):
        idx = _as_index(_sel(sel), self.size())
        self._t["flags"][idx] &= ~np.uint64(int(value))

    # --- construction ---------------------------------------------------------------
    @classmethod
    def empty_standard(cls, nrows=0):
        """A table with DIALS' standard prediction/observation columns, zero-filled."""
        n = int(nrows)
        z = lambda *s, dt=np.float64: np.zeros((n,) + s, dt)  # noqa: E731
        cols = {
            "flags": z(dt=np.uint64), "id": z(dt=np.int32), "panel": z(dt=np.uint64),
            "miller_index": z(3, dt=np.int32), "entering": z(dt=bool), "s1": z(3),
            "xyzcal.mm": z(3), "xyzcal.px": z(3), "xyzobs.mm.value": z(3), "xyzobs.mm.variance": z(3),
            "xyzobs.px.value": z(3), "xyzobs.px.variance": z(3), "bbox": z(6, dt=np.int32),
            "intensity.sum.value": z(), "intensity.sum.variance": z(),
            "intensity.prf.value": z(), "intensity.prf.variance": z(),
            "background.mean": z(), "lp": z(), "qe": z(), "zeta": z(), "d": z(),
            "partiality": z(), "partial_id": z(dt=np.uint64),
        }
        return cls(Table(cols))

    @classmethod
    def from_observations_and_shoeboxes(cls, sb: ShoeboxColumn):
        """Spot-finder columns from shoeboxes: panel, bbox, xyzobs.px.*, intensity.sum.*, shoebox."""
        v, var = sb.centroid_valid()
        i, iv, _ = sb.summed_intensity()
        t = Table({"panel": sb.panel.astype(np.uint64), "bbox": sb.bbox.copy(),
                   "xyzobs.px.value": v.as_numpy_array(), "xyzobs.px.variance": var.as_numpy_array(),
                   "intensity.sum.value": i.as_numpy_array(), "intensity.sum.variance": iv.as_numpy_array(),
                   "shoebox": sb})
        return cls(t)

    # --- pandas ------------------------------------------------------------------------
    def as_pandas_dataframe(self, columns=None):
        """DataFrame with vector columns unpacked as name_0, name_1, ...; the shoebox omitted."""
        t = self._t if columns is None else self._t.select(list(columns))
        keep = [k for k, v in t.items() if isinstance(v, np.ndarray)]
        return t.select(keep).to_pandas() if keep else t.select([]).to_pandas()

    # --- files ---------------------------------------------------------------------
    @classmethod
    def from_file(cls, filename, columns=None):
        """Read msgpack (v1/v2, gzip) or HDF5 .refl; pickle files are refused."""
        cols, ids, nrows, _ = io_refl.read_refl(filename, columns=columns)
        try:
            t = Table(cols, nrows=nrows)
        except ParameterError as exc:
            raise FormatError(f"inconsistent columns: {exc}", path=filename) from None
        return cls._wrap(t, ids)

    from_msgpack_file = from_file
    from_hdf5 = from_file

    def as_file(self, filename, version=1):
        """Write msgpack .refl (version 1 by default; gzip if the name ends with .gz)."""
        io_refl.write_refl(filename, dict(self._t.items()), self._ids, self.size(), version=version)

    as_msgpack_file = as_file

    def as_hdf5(self, filename):
        io_refl.write_refl(filename, dict(self._t.items()), self._ids, self.size(), fmt="hdf5")

    def as_msgpack(self, version=1) -> bytes:
        return io_refl.pack_msgpack(dict(self._t.items()), self._ids, self.size(), version)

    @classmethod
    def from_msgpack(cls, raw: bytes):
        cols, ids, nrows, _ = io_refl.unpack_msgpack(bytes(raw))
        return cls._wrap(Table(cols, nrows=nrows), ids)

    @property
    def table(self) -> Table:
        """The underlying core table."""
        return self._t

    # --- geometry (needs an experiment list, see .expt) ------------------------------
    def compute_d(self, experiments):
        """Add ``d`` (Å) from ``miller_index`` and each experiment's crystal."""
        from .geometry import d_spacings
        self["d"] = d_spacings(self._t["miller_index"], self._t["id"], experiments)
        return self["d"]

    def centroid_px_to_mm(self, experiments):
        """Fill ``xyzobs.mm.value``/``variance`` (mm, mm, rad) from the px centroids."""
        from .geometry import centroid_px_to_mm
        v, var = centroid_px_to_mm(self._t, experiments)
        self["xyzobs.mm.value"], self["xyzobs.mm.variance"] = v, var

    def map_centroids_to_reciprocal_space(self, experiments):
        """Fill ``s1`` and ``rlp`` (Å⁻¹) from the mm centroids."""
        from .geometry import map_to_reciprocal_space
        s1, rlp = map_to_reciprocal_space(self._t, experiments)
        self["s1"], self["rlp"] = s1, rlp
