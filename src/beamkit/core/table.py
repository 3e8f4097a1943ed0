"""A columnar table: the model of DIALS reflection tables.

Columns are numpy arrays whose first axis is the row (scalars ``(n,)``,
vectors ``(n, k)``, matrices ``(n, 3, 3)``, fixed-width strings ``<U``) or
ragged per-row arrays (:class:`RaggedColumn`: one flat buffer plus offsets).
Other column objects may take part if they follow the same small protocol as
:class:`RaggedColumn` (``__len__``, ``select``, ``concat``, ``copy``, ``blank``,
``to_hdf5``/``from_hdf5``) and register with :func:`register_column_kind`.

Reading a column gives the stored array itself (zero-copy); slicing rows gives
views; selection by mask or indices copies (a gather).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..errors import FormatError, ParameterError
from .files import atomic_path, open_hdf5_group

__all__ = ["Table", "RaggedColumn", "register_column_kind", "COLUMN_KINDS"]

_ALLOWED_KINDS = "biufcUSMm"

#: HDF5 kind name -> column class able to ``from_hdf5(group)``.
COLUMN_KINDS: dict[str, type] = {}


def register_column_kind(name: str, cls: type) -> type:
    """Register a non-ndarray column class for HDF5 loading under ``name``."""
    COLUMN_KINDS[name] = cls
    cls.hdf5_kind = name
    return cls


def _as_index(sel, n: int, what: str = "selection") -> np.ndarray:
    """Turn a boolean mask, index array or slice into an int64 index array (bounds-checked)."""
    if isinstance(sel, slice):
        return np.arange(n, dtype=np.int64)[sel]
    arr = np.asarray(sel)
    if arr.dtype == bool:
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ParameterError(what, f"a boolean mask of length {n}", f"shape {arr.shape}")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise ParameterError(what, "a 1-D boolean mask or integer index array",
                             f"dtype {arr.dtype}, shape {arr.shape}")
    idx = arr.astype(np.int64, copy=False)
    lo, hi = idx.min(), idx.max()
    if lo < -n or hi >= n:
        raise ParameterError(what, f"indices in [-{n}, {n})", f"range [{lo}, {hi}]")
    return np.where(idx < 0, idx + n, idx)


class RaggedColumn:
    """Per-row arrays stored as one flat buffer and ``offsets`` (length n+1, from 0).

    Row i is ``flat[offsets[i]:offsets[i+1]]`` (a view).  ``flat`` may have
    trailing dimensions, e.g. ``(m, 3)`` for a ragged list of vectors.
    """

    hdf5_kind = "ragged"

    def __init__(self, flat, offsets, name: str = "ragged column"):
        flat = np.asarray(flat)
        off = np.asarray(offsets)
        if flat.ndim == 0 or flat.dtype.kind not in _ALLOWED_KINDS:
            raise ParameterError(name, "a numeric or string array as flat buffer",
                                 f"dtype {flat.dtype}, ndim {flat.ndim}")
        if off.ndim != 1 or off.size < 1 or off.dtype.kind not in "iu":
            raise ParameterError(name, "1-D integer offsets of length nrows+1",
                                 f"dtype {off.dtype}, shape {off.shape}")
        off = off.astype(np.int64, copy=False)
        if off[0] != 0 or off[-1] != flat.shape[0] or (off.size > 1 and np.any(np.diff(off) < 0)):
            raise ParameterError(name, f"non-decreasing offsets from 0 to {flat.shape[0]}",
                                 f"offsets [{off[0]} ... {off[-1]}]")
        self.flat, self.offsets = flat, off

    # --- construction -------------------------------------------------------
    @classmethod
    def from_lengths(cls, flat, lengths) -> "RaggedColumn":
        """Build from a flat buffer and per-row lengths."""
        lengths = np.asarray(lengths, dtype=np.int64)
        off = np.zeros(lengths.size + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        return cls(flat, off)

    @classmethod
    def from_arrays(cls, arrays, dtype=None) -> "RaggedColumn":
        """Build from a sequence of arrays (one per row); convenience, not a hot path."""
        arrays = [np.asarray(a, dtype=dtype) for a in arrays]
        if not arrays:
            return cls(np.zeros(0, dtype or np.float64), np.zeros(1, np.int64))
        return cls.from_lengths(np.concatenate(arrays), [a.shape[0] for a in arrays])

    @classmethod
    def blank(cls, like: "RaggedColumn", n: int) -> "RaggedColumn":
        """n empty rows with the dtype of ``like``."""
        return cls(np.zeros((0,) + like.flat.shape[1:], like.flat.dtype), np.zeros(n + 1, np.int64))

    # --- access ---------------------------------------------------------------
    @property
    def lengths(self) -> np.ndarray:
        """Number of items per row (int64)."""
        return np.diff(self.offsets)

    @property
    def dtype(self):
        return self.flat.dtype

    def __len__(self) -> int:
        return self.offsets.size - 1

    def __getitem__(self, i):
        if isinstance(i, numbers.Integral):
            n = len(self)
            if not -n <= i < n:
                raise IndexError(f"row {i} out of range for {n} rows")
            i = int(i) % n
            return self.flat[self.offsets[i]:self.offsets[i + 1]]
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                stop = max(stop, start)
                o = self.offsets[start:stop + 1]
                return RaggedColumn(self.flat[o[0]:o[-1]], o - o[0])
        return self.select(i)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        return f"RaggedColumn({len(self)} rows, {self.flat.shape[0]} items, dtype {self.flat.dtype})"

    def gather_index(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(flat indices, new offsets) that gather rows ``idx`` (vectorised)."""
        lens = self.offsets[idx + 1] - self.offsets[idx]
        new_off = np.zeros(idx.size + 1, np.int64)
        np.cumsum(lens, out=new_off[1:])
        total = int(new_off[-1])
        shift = np.repeat(self.offsets[idx] - new_off[:-1], lens)
        return shift + np.arange(total, dtype=np.int64), new_off

    def select(self, sel) -> "RaggedColumn":
        """Rows by boolean mask, indices or slice; a new column (copied buffer)."""
        idx = _as_index(sel, len(self))
        gather, new_off = self.gather_index(idx)
        return RaggedColumn(self.flat[gather], new_off)

    @classmethod
    def concat(cls, cols) -> "RaggedColumn":
        """Rows of every column in order."""
        cols = list(cols)
        flat = np.concatenate([c.flat for c in cols])
        lens = np.concatenate([c.lengths for c in cols])
        return cls.from_lengths(flat, lens)

    def copy(self) -> "RaggedColumn":
        return RaggedColumn(self.flat.copy(), self.offsets.copy())

    def row_ids(self) -> np.ndarray:
        """Row index of every flat item (length ``flat.shape[0]``)."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def row_sum(self, values=None) -> np.ndarray:
        """Per-row sum of ``values`` (default: the flat buffer), empty rows give 0."""
        v = self.flat if values is None else np.asarray(values)
        out_shape = (len(self),) + v.shape[1:]
        if v.shape[0] == 0:
            return np.zeros(out_shape, np.result_type(v.dtype, np.int64) if v.dtype.kind in "bu" else v.dtype)
        cs = np.zeros((v.shape[0] + 1,) + v.shape[1:], np.result_type(v.dtype, np.int64)
                      if v.dtype.kind in "biu" else np.float64)
        np.cumsum(v, axis=0, out=cs[1:])
        return cs[self.offsets[1:]] - cs[self.offsets[:-1]]

    def to_list(self) -> list:
        """One view per row (for conversion to pandas; not for hot paths)."""
        return np.split(self.flat, self.offsets[1:-1])

    def to_hdf5(self, group) -> None:
        group.create_dataset("flat", data=_h5_encode(self.flat))
        group.create_dataset("offsets", data=self.offsets)
        group.attrs["flat_dtype"] = self.flat.dtype.str

    @classmethod
    def from_hdf5(cls, group) -> "RaggedColumn":
        flat = _h5_decode(group["flat"][()], group.attrs.get("flat_dtype", ""))
        return cls(flat, group["offsets"][()], name=group.name)


register_column_kind("ragged", RaggedColumn)


def _h5_encode(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "U":
        return np.char.encode(arr, "utf-8")
    return arr


def _h5_decode(arr: np.ndarray, dtype_str) -> np.ndarray:
    if isinstance(dtype_str, bytes):
        dtype_str = dtype_str.decode()
    if str(dtype_str).lstrip("<>|=").startswith("U"):
        return np.char.decode(np.asarray(arr, dtype="S"), "utf-8")
    return arr


def _is_column_object(v) -> bool:
    return (not isinstance(v, np.ndarray) and hasattr(v, "select") and hasattr(v, "__len__")
            and hasattr(type(v), "concat"))


class Table:
    """Named columns of equal length (see module docstring)."""

    def __init__(self, columns=None, nrows: int | None = None):
        self._cols: dict = {}
        self._nrows = None if nrows is None else int(nrows)
        if nrows is not None and self._nrows < 0:
            raise ParameterError("nrows", "a non-negative row count", nrows)
        for k, v in (columns or {}).items():
            self[k] = v

    # --- size ---------------------------------------------------------------
    @property
    def nrows(self) -> int:
        return self._nrows or 0

    @property
    def ncols(self) -> int:
        return len(self._cols)

    def __len__(self) -> int:
        return self.nrows

    def keys(self):
        return list(self._cols)

    def items(self):
        return list(self._cols.items())

    def __contains__(self, name) -> bool:
        return name in self._cols

    def __iter__(self):
        return iter(list(self._cols))

    def __repr__(self):
        cols = ", ".join(f"{k}:{_describe(v)}" for k, v in self._cols.items())
        return f"Table({self.nrows} rows; {cols})"

    # --- columns ------------------------------------------------------------
    def _check(self, name, value):
        """Validate and normalise a column value for ``name``."""
        if not isinstance(name, str) or not name:
            raise ParameterError("column name", "a non-empty str", name)
        if _is_column_object(value):
            n = len(value)
        else:
            if np.isscalar(value) and not isinstance(value, (str, bytes)) and self._nrows is not None:
                value = np.full(self._nrows, value)
            arr = np.asarray(value)
            if arr.dtype == object:
                try:
                    arr = arr.astype(str) if all(isinstance(x, str) for x in arr.ravel()) else arr
                except TypeError:
                    pass
            if arr.ndim == 0:
                raise ParameterError(name, "an array with one entry per row", f"scalar {value!r}")
            if arr.dtype.kind not in _ALLOWED_KINDS:
                raise ParameterError(name, "a numeric, bool or string array", f"dtype {arr.dtype}")
            old = self._cols.get(name)
            if isinstance(old, np.ndarray):
                if old.shape[1:] != arr.shape[1:]:
                    raise ParameterError(name, f"rows of shape {old.shape[1:]}", f"rows of shape {arr.shape[1:]}")
                if arr.dtype != old.dtype:
                    if old.dtype.kind in "US" and arr.dtype.kind in "US":
                        pass  # strings may change width
                    elif not np.can_cast(arr.dtype, old.dtype, "same_kind") or \
                            (old.dtype.kind in "iu" and arr.dtype.kind not in "biu"):
                        raise ParameterError(name, f"values castable to {old.dtype} (delete the column to change its type)",
                                             f"dtype {arr.dtype}")
                    else:
                        arr = arr.astype(old.dtype)
            value, n = arr, arr.shape[0]
        if self._nrows is not None and n != self._nrows:
            raise ParameterError(name, f"{self._nrows} rows", f"{n} rows")
        return value, n

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._cols[key]
            except KeyError:
                raise ParameterError(key, f"one of the columns {sorted(self._cols)}", "no such column") from None
        if isinstance(key, numbers.Integral):
            n = self.nrows
            if not -n <= key < n:
                raise IndexError(f"row {key} out of range for {n} rows")
            return {k: v[int(key)] for k, v in self._cols.items()}
        if isinstance(key, slice):
            start, stop, step = key.indices(self.nrows)
            if step == 1:
                out = Table(nrows=max(stop - start, 0))
                for k, v in self._cols.items():
                    out._cols[k] = v[start:max(stop, start)]
                return out
            return self.select(np.arange(start, stop, step))
        return self.select(key)

    def __setitem__(self, key, value):
        if isinstance(key, numbers.Integral):
            if not isinstance(value, dict):
                raise ParameterError(f"row {key}", "a dict of column values", type(value).__name__)
            for k, v in value.items():
                col = self[k]
                col[int(key)] = v
            return
        value, n = self._check(key, value)
        self._cols[key] = value
        self._nrows = n

    def __delitem__(self, name):
        if name not in self._cols:
            raise ParameterError(name, "an existing column", "no such column")
        del self._cols[name]

    def get(self, name, default=None):
        return self._cols.get(name, default)

    # --- rows ---------------------------------------------------------------
    def select(self, sel) -> "Table":
        """Rows by boolean mask / index array, or columns by a list/tuple of names."""
        if isinstance(sel, (list, tuple)) and sel and all(isinstance(s, str) for s in sel):
            out = Table(nrows=self.nrows)
            for s in sel:
                out._cols[s] = self[s]
            return out
        idx = _as_index(sel, self.nrows)
        out = Table(nrows=idx.size)
        for k, v in self._cols.items():
            out._cols[k] = v.select(idx) if _is_column_object(v) else v[idx]
        return out

    def argsort(self, name, reverse: bool = False) -> np.ndarray:
        """Stable permutation sorting rows by column ``name`` (vectors lexicographically)."""
        col = self[name]
        if _is_column_object(col):
            raise ParameterError(name, "a fixed-width column to sort by", type(col).__name__)
        n = self.nrows
        key = col[::-1] if reverse else col

        def order(k):
            if k.ndim == 1:
                return np.argsort(k, kind="stable")
            flat = k.reshape(n, -1)
            return np.lexsort(flat.T[::-1])
        if not reverse:
            return order(key)
        return (n - 1 - order(key))[::-1]

    def sort(self, name, reverse: bool = False) -> "Table":
        """Sort rows in place by ``name``; returns self."""
        perm = self.argsort(name, reverse)
        self.reorder(perm)
        return self

    def reorder(self, perm) -> None:
        """Permute rows in place."""
        t = self.select(perm)
        if t.nrows != self.nrows:
            raise ParameterError("reorder", f"a permutation of {self.nrows} rows", f"{t.nrows} indices")
        self._cols = t._cols

    @classmethod
    def concat(cls, tables) -> "Table":
        """Rows of every table in order; all must have the same columns."""
        tables = list(tables)
        if not tables:
            return cls()
        keys = tables[0].keys()
        for j, t in enumerate(tables[1:], 1):
            if set(t.keys()) != set(keys):
                diff = sorted(set(keys) ^ set(t.keys()))
                raise ParameterError(f"table {j}", f"the same columns as table 0", f"differs in {diff}")
        out = cls(nrows=sum(t.nrows for t in tables))
        for k in keys:
            parts = [t._cols[k] for t in tables]
            out._cols[k] = _concat_column(k, parts)
        return out

    def extend(self, other: "Table", fill_missing: bool = True) -> "Table":
        """Append the rows of ``other`` in place; columns missing on one side get blank values."""
        a, b = self, other
        if fill_missing:
            a_cols, b_cols = dict(a._cols), dict(b._cols)
            for k, v in b._cols.items():
                if k not in a_cols:
                    a_cols[k] = _blank(v, a.nrows)
            for k, v in a._cols.items():
                if k not in b_cols:
                    b_cols[k] = _blank(v, b.nrows)
        else:
            if set(a.keys()) != set(b.keys()):
                raise ParameterError("extend", "tables with the same columns",
                                     sorted(set(a.keys()) ^ set(b.keys())))
            a_cols, b_cols = a._cols, b._cols
        self._cols = {k: _concat_column(k, [a_cols[k], b_cols[k]]) for k in a_cols}
        self._nrows = a.nrows + b.nrows
        return self

    def copy(self) -> "Table":
        """Deep copy."""
        out = Table(nrows=self.nrows)
        out._cols = {k: v.copy() for k, v in self._cols.items()}
        return out

    # --- conversions ----------------------------------------------------------
    def to_pandas(self, ragged: str = "object"):
        """A pandas DataFrame; vector/matrix columns unpacked as ``name_0``, ``name_1``, ...

        ``ragged='object'`` gives ragged columns as one array per cell,
        ``'skip'`` leaves them (and other column objects) out.
        """
        import pandas as pd
        data = {}
        for k, v in self._cols.items():
            if isinstance(v, np.ndarray):
                if v.ndim == 1:
                    data[k] = v
                else:
                    flat = v.reshape(v.shape[0], -1)
                    for j in range(flat.shape[1]):
                        data[f"{k}_{j}"] = flat[:, j]
            elif ragged == "object" and hasattr(v, "to_list"):
                cell = np.empty(len(v), dtype=object)
                cell[:] = v.to_list()
                data[k] = cell
        return pd.DataFrame(data, copy=False)

    def save_hdf5(self, path, group: str = "/") -> None:
        """Write the table into ``group`` of a new HDF5 file ``path`` (atomic; replaces the file)."""
        import h5py
        with atomic_path(path, suffix=".h5") as tmp:
            with h5py.File(tmp, "w") as fh:
                g = fh.require_group(group)
                g.attrs["beamkit_table"] = 1
                g.attrs["nrows"] = self.nrows
                g.attrs["columns"] = np.array([k.encode("utf-8") for k in self._cols], dtype="S")
                cols = g.create_group("columns")
                for j, (k, v) in enumerate(self._cols.items()):
                    name = f"c{j:04d}"
                    if isinstance(v, np.ndarray):
                        ds = cols.create_dataset(name, data=_h5_encode(v))
                        ds.attrs["dtype"] = v.dtype.str
                    else:
                        kind = getattr(v, "hdf5_kind", None)
                        if kind not in COLUMN_KINDS:
                            raise ParameterError(k, "a column kind registered for HDF5", type(v).__name__)
                        sub = cols.create_group(name)
                        sub.attrs["kind"] = kind
                        v.to_hdf5(sub)
                    cols[name].attrs["name"] = k

    @classmethod
    def load_hdf5(cls, path, group: str = "/") -> "Table":
        """Read a table written by :meth:`save_hdf5`."""
        import h5py
        with open_hdf5_group(path, group, "beamkit_table", "beamkit table") as g:
            try:
                nrows = int(g.attrs["nrows"])
                names = [n.decode("utf-8") for n in g.attrs["columns"]]
                cols = g["columns"]
                out = cls(nrows=nrows)
                for j, k in enumerate(names):
                    obj = cols[f"c{j:04d}"]
                    if isinstance(obj, h5py.Dataset):
                        val = _h5_decode(obj[()], obj.attrs.get("dtype", ""))
                    else:
                        kind = obj.attrs.get("kind")
                        kind = kind.decode() if isinstance(kind, bytes) else kind
                        if kind not in COLUMN_KINDS:
                            raise FormatError(f"column {k!r} has unknown kind", path=path,
                                              expected=f"one of {sorted(COLUMN_KINDS)}", got=kind)
                        val = COLUMN_KINDS[kind].from_hdf5(obj)
                    out[k] = val
            except KeyError as exc:
                raise FormatError(f"incomplete table in group {group!r}: {exc}", path=path) from None
            except ParameterError as exc:
                raise FormatError(f"inconsistent table in group {group!r}: {exc}", path=path) from None
        return out


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        return f"{v.dtype}{list(v.shape[1:]) if v.ndim > 1 else ''}"
    return type(v).__name__


def _blank(v, n: int):
    """n rows of default values shaped like column ``v``."""
    if isinstance(v, np.ndarray):
        return np.zeros((n,) + v.shape[1:], v.dtype)
    return type(v).blank(v, n)


def _concat_column(name, parts):
    kinds = {type(p) for p in parts}
    if len(kinds) != 1:
        raise ParameterError(name, "columns of one kind in every table", sorted(k.__name__ for k in kinds))
    first = parts[0]
    if isinstance(first, np.ndarray):
        shapes = {p.shape[1:] for p in parts}
        if len(shapes) != 1:
            raise ParameterError(name, "rows of one shape in every table", sorted(shapes))
        return np.concatenate(parts)
    return type(first).concat(parts)
