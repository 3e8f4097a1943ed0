"""Shoeboxes as one pixel stream: float32 data, uint8 mask, float32 background plus offsets.

Row i owns pixels ``offsets[i]:offsets[i+1]`` of the stream, in C order
[z][y][x] over its ``bbox`` = (x0, x1, y0, y1, z0, z1) (half-open, pixels /
frames).  ``allocated[i]`` is False for DIALS' empty records (no pixel data).
Column-level methods compute every row in one vectorised pass
(segment reductions, no Python loop over rows).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..core.table import _as_index, register_column_kind
from ..errors import ParameterError
from . import flex_arrays as flex
from .flags import MaskCode

__all__ = ["ShoeboxColumn", "Shoebox", "segment_sum"]


def segment_sum(values: np.ndarray, offsets: np.ndarray, dtype=None) -> np.ndarray:
    """Per-segment sums of ``values`` over ``offsets`` (n+1); empty segments give 0."""
    n = offsets.size - 1
    dtype = dtype or values.dtype
    if values.size == 0 or n == 0:
        return np.zeros(n, dtype)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    res = np.add.reduceat(values, np.minimum(starts, values.size - 1), dtype=dtype)
    return np.where(nonempty, res, 0).astype(dtype, copy=False)


def _segment_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ranges ``starts[i] + arange(counts[i])`` (vectorised)."""
    counts = counts.astype(np.int64, copy=False)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    off = np.zeros(counts.size, np.int64)
    np.cumsum(counts[:-1], out=off[1:])
    return np.repeat(starts.astype(np.int64) - off, counts) + np.arange(total, dtype=np.int64)


class Shoebox:
    """A light view of one row: ``data``, ``mask``, ``background`` (flex grids z, y, x), ``bbox``, ``panel``."""

    __slots__ = ("_col", "_i")

    def __init__(self, col: "ShoeboxColumn", i: int):
        self._col, self._i = col, i

    def _arr(self, stream):
        c, i = self._col, self._i
        x0, x1, y0, y1, z0, z1 = c.bbox[i]
        if not c.allocated[i]:
            return stream[0:0]
        return stream[c.offsets[i]:c.offsets[i + 1]].reshape(z1 - z0, y1 - y0, x1 - x0)

    @property
    def data(self):
        return flex.wrap(self._arr(self._col.data), flex.float)

    @property
    def mask(self):
        return flex.wrap(self._arr(self._col.mask), flex.uint8)

    @property
    def background(self):
        return flex.wrap(self._arr(self._col.background), flex.float)

    @property
    def bbox(self) -> tuple:
        return tuple(int(v) for v in self._col.bbox[self._i])

    @property
    def panel(self) -> int:
        return int(self._col.panel[self._i])

    def xsize(self):
        b = self._col.bbox[self._i]
        return int(b[1] - b[0])

    def ysize(self):
        b = self._col.bbox[self._i]
        return int(b[3] - b[2])

    def zsize(self):
        b = self._col.bbox[self._i]
        return int(b[5] - b[4])

    def size(self):
        return (self.zsize(), self.ysize(), self.xsize())

    def offset(self):
        b = self._col.bbox[self._i]
        return (int(b[4]), int(b[2]), int(b[0]))

    def is_allocated(self) -> bool:
        return bool(self._col.allocated[self._i])

    def _one(self):
        return self._col.select(np.array([self._i]))

    def count_mask_values(self, code) -> int:
        """Pixels with ``(mask & code) == code``."""
        code = int(code)
        c, i = self._col, self._i
        m = c.mask[c.offsets[i]:c.offsets[i + 1]]
        return int(np.count_nonzero((m & code) == code)) if code < 256 else 0

    def centroid_valid(self):
        v, var = self._one().centroid_valid()
        return tuple(v[0]), tuple(var[0])

    def centroid_all(self):
        v, var = self._one().centroid_masked(0)
        return tuple(v[0]), tuple(var[0])

    def summed_intensity(self):
        v, var, ok = self._one().summed_intensity()
        return float(v[0]), float(var[0]), bool(ok[0])

    def __repr__(self):
        return f"Shoebox(panel={self.panel}, bbox={self.bbox})"


class ShoeboxColumn:
    """The ``shoebox`` column (see module docstring); a core.table column object."""

    def __init__(self, panel, bbox, allocated, offsets, data, mask, background):
        self.panel = np.ascontiguousarray(panel, np.uint32)
        self.bbox = np.ascontiguousarray(bbox, np.int32).reshape(-1, 6)
        self.allocated = np.ascontiguousarray(allocated, np.bool_)
        self.offsets = np.ascontiguousarray(offsets, np.int64)
        self.data = np.ascontiguousarray(data, np.float32)
        self.mask = np.ascontiguousarray(mask, np.uint8)
        self.background = np.ascontiguousarray(background, np.float32)
        n = self.panel.shape[0]
        if not (self.bbox.shape[0] == self.allocated.shape[0] == n and self.offsets.shape[0] == n + 1):
            raise ParameterError("shoebox", f"panel, bbox, allocated of {n} rows and {n + 1} offsets",
                                 (self.bbox.shape, self.allocated.shape, self.offsets.shape))
        npix = self.offsets[-1]
        if not (self.data.size == self.mask.size == self.background.size == npix):
            raise ParameterError("shoebox", f"{npix} pixels in data, mask and background",
                                 (self.data.size, self.mask.size, self.background.size))
        if not self.is_consistent():
            raise ParameterError("shoebox", "pixel counts equal to bbox volumes and x1>=x0, y1>=y0, z1>=z0",
                                 "inconsistent rows")

    # --- construction -------------------------------------------------------------
    @classmethod
    def from_bboxes(cls, bbox, panel=None, allocate=True) -> "ShoeboxColumn":
        """Zero-filled shoeboxes for the given bboxes (allocated unless ``allocate`` is False)."""
        bbox = np.asarray(bbox, np.int32).reshape(-1, 6)
        n = bbox.shape[0]
        alloc = np.full(n, bool(allocate))
        vol = cls._volume(bbox) * alloc
        off = np.zeros(n + 1, np.int64)
        np.cumsum(vol, out=off[1:])
        m = int(off[-1])
        return cls(np.zeros(n, np.uint32) if panel is None else panel, bbox, alloc, off,
                   np.zeros(m, np.float32), np.zeros(m, np.uint8), np.zeros(m, np.float32))

    @staticmethod
    def _volume(bbox):
        d = bbox[:, 1::2].astype(np.int64) - bbox[:, 0::2]
        return np.where((d >= 0).all(axis=1), d.prod(axis=1), -1)

    @classmethod
    def blank(cls, like, n: int) -> "ShoeboxColumn":
        return cls.from_bboxes(np.zeros((n, 6), np.int32), allocate=False)

    # --- table protocol ---------------------------------------------------------------
    def __len__(self):
        return self.panel.shape[0]

    @property
    def lengths(self):
        return np.diff(self.offsets)

    def __getitem__(self, i):
        if isinstance(i, numbers.Integral):
            n = len(self)
            if not -n <= i < n:
                raise IndexError(f"shoebox {i} out of range for {n} rows")
            return Shoebox(self, int(i) % n)
        return self.select(i)

    def __iter__(self):
        for i in range(len(self)):
            yield Shoebox(self, i)

    def size(self):
        return len(self)

    def __repr__(self):
        return f"ShoeboxColumn({len(self)} rows, {self.data.size} pixels)"

    def select(self, sel) -> "ShoeboxColumn":
        """Rows by mask, indices or slice (the pixel stream is gathered)."""
        idx = _as_index(sel, len(self))
        if idx.size and np.all(np.diff(idx) == 1):  # contiguous: slice views
            a, b = int(idx[0]), int(idx[-1]) + 1
            o = self.offsets[a:b + 1]
            p0, p1 = o[0], o[-1]
            return ShoeboxColumn(self.panel[a:b], self.bbox[a:b], self.allocated[a:b], o - p0,
                                 self.data[p0:p1], self.mask[p0:p1], self.background[p0:p1])
        lens = self.offsets[idx + 1] - self.offsets[idx]
        g = _segment_index(self.offsets[idx], lens)
        off = np.zeros(idx.size + 1, np.int64)
        np.cumsum(lens, out=off[1:])
        return ShoeboxColumn(self.panel[idx], self.bbox[idx], self.allocated[idx], off,
                             self.data[g], self.mask[g], self.background[g])

    @classmethod
    def concat(cls, cols) -> "ShoeboxColumn":
        cols = list(cols)
        lens = np.concatenate([c.lengths for c in cols])
        off = np.zeros(lens.size + 1, np.int64)
        np.cumsum(lens, out=off[1:])
        cat = lambda name: np.concatenate([getattr(c, name) for c in cols])  # noqa: E731
        return cls(cat("panel"), cat("bbox"), cat("allocated"), off, cat("data"), cat("mask"), cat("background"))

    def copy(self) -> "ShoeboxColumn":
        return ShoeboxColumn(self.panel.copy(), self.bbox.copy(), self.allocated.copy(), self.offsets.copy(),
                             self.data.copy(), self.mask.copy(), self.background.copy())

    def to_hdf5(self, group) -> None:
        for k in ("panel", "bbox", "allocated", "offsets", "data", "mask", "background"):
            group.create_dataset(k, data=getattr(self, k))

    @classmethod
    def from_hdf5(cls, group) -> "ShoeboxColumn":
        return cls(*(group[k][()] for k in ("panel", "bbox", "allocated", "offsets", "data", "mask", "background")))

    # --- checks and per-pixel geometry -----------------------------------------------
    def is_consistent(self) -> bool:
        """Every allocated row holds exactly its bbox volume; no negative extents."""
        vol = self._volume(self.bbox)
        return bool(np.all(vol >= 0) and np.array_equal(np.where(self.allocated, vol, 0), self.lengths))

    def bounding_boxes(self):
        return flex.int6(self.bbox)

    def panels(self):
        return flex.size_t(self.panel.astype(np.uint64))

    def row_ids(self) -> np.ndarray:
        """Row of every stream pixel."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def pixel_coordinates(self):
        """(x, y, z) centre coordinates of every stream pixel (pixels / frames, float64)."""
        lens = self.lengths
        local = np.arange(self.data.size, dtype=np.int64) - np.repeat(self.offsets[:-1], lens)
        nx = np.repeat((self.bbox[:, 1] - self.bbox[:, 0]).astype(np.int64), lens)
        ny = np.repeat((self.bbox[:, 3] - self.bbox[:, 2]).astype(np.int64), lens)
        x = np.repeat(self.bbox[:, 0], lens) + local % nx + 0.5
        rest = local // nx
        y = np.repeat(self.bbox[:, 2], lens) + rest % ny + 0.5
        z = np.repeat(self.bbox[:, 4], lens) + rest // ny + 0.5
        return x, y, z

    # --- column-level operations (one call for every row) ------------------------------
    def count_mask_values(self, code):
        """flex.int: per row, pixels with ``(mask & code) == code``."""
        code = int(code)
        if code < 256:
            hit = (self.mask & np.uint8(code)) == code
        else:
            hit = np.zeros(self.mask.shape, bool)
        return flex.int(segment_sum(hit.view(np.uint8), self.offsets, np.int32))

    def centroid_masked(self, code: int, exclude: int = int(MaskCode.Overlapped)):
        """Data-weighted centroids over pixels with mask & code == code and no ``exclude`` bit.

        Returns (value (n,3), variance (n,3)) as DIALS' centroid: the variance
        is the mean squared error ``unbiased_var/Σw + 1/12``; a one-frame bbox
        forces z to z0 + 0.5; Σw <= 0 gives the bbox mid-point and 0 variance.
        """
        sel = ((self.mask & np.uint8(code)) == code) & ((self.mask & np.uint8(exclude)) == 0)
        w = np.where(sel, self.data.astype(np.float64), 0.0)
        sw = segment_sum(w, self.offsets, np.float64)
        sw2 = segment_sum(w * w, self.offsets, np.float64)
        coords = self.pixel_coordinates()
        lens = self.lengths
        ok = sw > 0
        safe = np.where(ok, sw, 1.0)
        mid = 0.5 * (self.bbox[:, 0::2] + self.bbox[:, 1::2]).astype(np.float64)
        value = np.empty((len(self), 3))
        var = np.zeros((len(self), 3))
        denom = sw * sw - sw2
        good_var = ok & (denom > 0)
        for k, c in enumerate(coords):  # three axes
            m = segment_sum(w * c, self.offsets, np.float64) / safe
            d = c - np.repeat(m, lens)
            s = segment_sum(w * d * d, self.offsets, np.float64)
            uv = np.where(good_var, s * sw / np.where(good_var, denom, 1.0), 0.0)
            value[:, k] = np.where(ok, m, mid[:, k])
            var[:, k] = np.where(ok, uv / safe + 1.0 / 12.0, 0.0)
        one = (self.bbox[:, 5] == self.bbox[:, 4] + 1) & ok
        value[one, 2] = self.bbox[one, 4] + 0.5
        return value, var

    def centroid_valid(self):
        """Spot-finder centroid: (xyzobs.px.value, xyzobs.px.variance) as flex.vec3_double."""
        v, var = self.centroid_masked(int(MaskCode.Valid))
        return flex.vec3_double(v), flex.vec3_double(var)

    def summed_intensity(self):
        """(value, variance, success) of DIALS' summation for every row.

        Signal: Foreground|Valid without Overlapped; background pixels:
        Valid|Background|BackgroundUsed; var = |I| + |Σb|(1 + n_s/n_b).
        Sums are taken in float64 and rounded to float32, as DIALS stores them.
        """
        m = self.mask
        valid_fg = ((m & 5) == 5) & ((m & 32) == 0)
        bad_fg = ((m & 4) == 4) & ~valid_fg
        bg = (m & 19) == 19
        sp = segment_sum(np.where(valid_fg, self.data, 0).astype(np.float64), self.offsets, np.float64)
        sb = segment_sum(np.where(valid_fg, self.background, 0).astype(np.float64), self.offsets, np.float64)
        n_s = segment_sum(valid_fg.view(np.uint8), self.offsets, np.int64)
        n_b = segment_sum(bg.view(np.uint8), self.offsets, np.int64)
        sp, sb = sp.astype(np.float32).astype(np.float64), sb.astype(np.float32).astype(np.float64)
        value = sp - sb
        ratio = np.where(n_b > 0, n_s / np.maximum(n_b, 1), 0.0)
        var = np.abs(value) + np.abs(sb) * (1.0 + ratio)
        ok = segment_sum(bad_fg.view(np.uint8), self.offsets, np.int64) == 0
        return flex.double(value), flex.double(var), flex.bool(ok)

    def peak_coordinates(self):
        """flex.vec3_double: centre (x, y, z) of each row's maximum data pixel."""
        out = np.zeros((len(self), 3))
        lens = self.lengths
        has = lens > 0
        if self.data.size:
            rid = self.row_ids()
            order = np.lexsort((-self.data, rid))  # per row, max first (ties: first pixel)
            first = self.offsets[:-1][has]
            pk = order[first]
            x, y, z = self.pixel_coordinates()
            out[has] = np.stack([x[pk], y[pk], z[pk]], axis=1)
        return flex.vec3_double(out)

    def get_shoebox_data_arrays(self):
        """(data, mask, background) pixel streams (views over every row, in row order)."""
        return self.data, self.mask, self.background


register_column_kind("shoebox", ShoeboxColumn)
