"""Thin numpy-backed stand-ins for cctbx ``flex`` arrays and ``flex.histogram``.

Each flex type wraps one ndarray (growable for ``append``/``extend``);
``as_numpy_array()`` returns that array without copying.  Arithmetic and
comparisons go through numpy and come back as the matching flex type.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from ..errors import ParameterError

__all__ = ["FlexArray", "int", "double", "float", "bool", "size_t", "uint8", "int6", "vec2_double",
           "vec3_double", "mat3_double", "miller_index", "std_string", "histogram", "grid", "wrap"]

_builtin_int, _builtin_float, _builtin_bool = int, float, bool


class grid:
    """``flex.grid(n0, n1, ...)``: the shape of an n-d flex array."""

    def __init__(self, *dims):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        self.dims = tuple(_builtin_int(d) for d in dims)

    def all(self):
        return self.dims


class FlexArray(NDArrayOperatorsMixin):
    """Base of the flex types: ``dtype`` and ``width`` (items per element) are class constants."""

    dtype = np.float64
    width: tuple = ()

    def __init__(self, data=None, value=None):
        if isinstance(data, grid):
            a = np.full(data.dims, 0 if value is None else value, dtype=self.dtype)
        elif data is None:
            a = np.zeros((0,) + self.width, self.dtype)
        elif isinstance(data, numbers.Integral) and not isinstance(data, _builtin_bool):
            a = np.full((_builtin_int(data),) + self.width, 0 if value is None else value, dtype=self.dtype)
        else:
            a = np.asarray(data.as_numpy_array() if isinstance(data, FlexArray) else data)
            if a.dtype != self.dtype:
                if a.size and not np.can_cast(a.dtype, self.dtype, "same_kind") and \
                        not (a.dtype.kind in "biu" and np.dtype(self.dtype).kind in "biuf"):
                    raise ParameterError(f"flex.{type(self).__name__}", f"values castable to {np.dtype(self.dtype)}",
                                         f"dtype {a.dtype}")
                a = a.astype(self.dtype)
            if self.width and a.size == 0:
                a = a.reshape((0,) + self.width)
            if self.width and a.shape[1:] != self.width:
                raise ParameterError(f"flex.{type(self).__name__}", f"elements of shape {self.width}",
                                     f"shape {a.shape}")
        self._buf = a
        self._n = a.shape[0] if a.ndim else 1

    # numpy interop -------------------------------------------------------------
    @property
    def _a(self) -> np.ndarray:
        return self._buf if self._n == self._buf.shape[0] else self._buf[:self._n]

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [x._a if isinstance(x, FlexArray) else x for x in inputs]
        out = getattr(ufunc, method)(*args, **kwargs)
        return wrap(out) if isinstance(out, np.ndarray) else out

    def as_numpy_array(self) -> np.ndarray:
        """The data as an ndarray (zero-copy view)."""
        return self._a

    # sequence protocol ------------------------------------------------------------
    def size(self) -> _builtin_int:
        return self._n

    def __len__(self):
        return self._n

    def all(self):
        """Grid dimensions (shape)."""
        return self._a.shape

    def __iter__(self):
        a = self._a
        if a.ndim == 1:
            return iter(a.tolist())
        return (tuple(r) for r in a.reshape(a.shape[0], -1).tolist())

    def __getitem__(self, i):
        a = self._a
        if isinstance(i, numbers.Integral):
            v = a[i]
            return tuple(v.ravel().tolist()) if isinstance(v, np.ndarray) and self.width else (
                v.item() if hasattr(v, "item") else v)
        if isinstance(i, FlexArray):
            i = i._a
        return wrap(a[i], type(self))

    def __setitem__(self, i, v):
        self._a[i] = np.asarray(v._a if isinstance(v, FlexArray) else v)

    def __repr__(self):
        return f"flex.{type(self).__name__}({self._a!r})"

    def append(self, v) -> None:
        """Append one element (amortised O(1))."""
        if self._n == self._buf.shape[0]:
            grown = np.zeros((max(8, 2 * self._n),) + self._buf.shape[1:], self._buf.dtype)
            grown[:self._n] = self._buf[:self._n]
            self._buf = grown
        self._buf[self._n] = v
        self._n += 1

    def extend(self, other) -> None:
        o = np.asarray(other._a if isinstance(other, FlexArray) else other, self.dtype)
        self._buf = np.concatenate([self._a, o.reshape((-1,) + self._buf.shape[1:])])
        self._n = self._buf.shape[0]

    def resize(self, n, value=0) -> None:
        a = self._a
        out = np.full((n,) + a.shape[1:], value, a.dtype)
        out[:min(n, a.shape[0])] = a[:n]
        self._buf, self._n = out, n

    def deep_copy(self):
        return type(self)(self._a.copy())

    copy = deep_copy

    def select(self, sel):
        """Elements by flex.bool mask or index array."""
        s = np.asarray(sel._a if isinstance(sel, FlexArray) else sel)
        if s.dtype == np.bool_ and s.shape[0] != self._n:
            raise ParameterError("select", f"a mask of length {self._n}", f"length {s.shape[0]}")
        return type(self)(self._a[s])

    def set_selected(self, sel, value):
        s = np.asarray(sel._a if isinstance(sel, FlexArray) else sel)
        self._a[s] = np.asarray(value._a if isinstance(value, FlexArray) else value)
        return self

    def count(self, value) -> _builtin_int:
        return _builtin_int(np.count_nonzero(self._a == value))

    def as_double(self):
        return double(self._a.astype(np.float64))

    def as_int(self):
        return int(self._a.astype(np.int32))

    def min(self):
        return self._a.min().item()

    def max(self):
        return self._a.max().item()

    def sum(self):
        return self._a.sum(axis=0).item() if self._a.ndim == 1 else tuple(self._a.sum(axis=0))

    def mean(self):
        return self._a.mean().item()

    def norms(self):
        return double(np.linalg.norm(self._a.reshape(self._n, -1), axis=1))

    def parts(self):
        """Component arrays of a vector/matrix flex array."""
        a = self._a.reshape(self._n, -1)
        return tuple(wrap(np.ascontiguousarray(a[:, j])) for j in range(a.shape[1]))

    def as_vec3_double(self):
        return vec3_double(self._a.astype(np.float64))

    def iselection(self):
        return size_t(np.flatnonzero(self._a).astype(np.uint64))

    def __eq__(self, other):  # elementwise, like flex
        return np.equal(self, other)

    def __ne__(self, other):
        return np.not_equal(self, other)

    __hash__ = None


def _mk(name, dt, width=()):
    return type(name, (FlexArray,), {"dtype": np.dtype(dt), "width": width, "__module__": __name__,
                                     "__doc__": f"flex.{name}: {np.dtype(dt)} elements of shape {width}."})


int = _mk("int", "i4")
double = _mk("double", "f8")
float = _mk("float", "f4")
bool = _mk("bool", "?")
size_t = _mk("size_t", "u8")
uint8 = _mk("uint8", "u1")
int6 = _mk("int6", "i4", (6,))
vec2_double = _mk("vec2_double", "f8", (2,))
vec3_double = _mk("vec3_double", "f8", (3,))
mat3_double = _mk("mat3_double", "f8", (3, 3))
miller_index = _mk("miller_index", "i4", (3,))
std_string = _mk("std_string", "U")
std_string.dtype = np.dtype(str)


_BY_DTYPE = [bool, int, size_t, double, float, uint8, int6, vec2_double, vec3_double, mat3_double, miller_index]


def wrap(a: np.ndarray, prefer=None) -> FlexArray:
    """Wrap an ndarray (no copy) in the flex type that matches its dtype and row shape."""
    if prefer is not None and a.dtype == prefer.dtype and (a.shape[1:] == prefer.width or not prefer.width):
        cls = prefer  # n-d grids (shoebox arrays) keep their shape
    else:
        k, tail = a.dtype, a.shape[1:]
        cls = next((c for c in _BY_DTYPE if c.dtype == k and c.width == tail), None)
        if cls is None:
            if k.kind == "U":
                cls = std_string
            elif k.kind in "iu":
                cls = int if k.kind == "i" and k.itemsize <= 4 else size_t
            else:
                cls = double
            if tail:  # n-d grids (shoebox arrays) keep their shape
                obj = cls.__new__(cls)
                obj._buf, obj._n = a, a.shape[0]
                return obj
    obj = cls.__new__(cls)
    obj._buf, obj._n = (a, a.shape[0]) if a.ndim else (a.reshape(1), 1)
    return obj


class histogram:
    """``flex.histogram(data, data_min=None, data_max=None, n_slots=1000)``: equal-width slots, last closed."""

    def __init__(self, data, data_min=None, data_max=None, n_slots=1000):
        x = np.asarray(data._a if isinstance(data, FlexArray) else data, np.float64)
        lo = x.min() if data_min is None else _builtin_float(data_min)
        hi = x.max() if data_max is None else _builtin_float(data_max)
        if n_slots < 1 or not hi >= lo:
            raise ParameterError("histogram", "n_slots >= 1 and data_max >= data_min", (n_slots, lo, hi))
        self._lo, self._hi, self._n = lo, hi, _builtin_int(n_slots)
        counts, self._edges = np.histogram(x, bins=self._n, range=(lo, hi if hi > lo else lo + 1))
        self._counts = counts.astype(np.uint64)
        self._out = _builtin_int(np.count_nonzero((x < lo) | (x > hi)))

    def slots(self):
        return size_t(self._counts)

    def slot_centers(self):
        return double(0.5 * (self._edges[:-1] + self._edges[1:]))

    def slot_width(self):
        return (self._hi - self._lo) / self._n

    def data_min(self):
        return self._lo

    def data_max(self):
        return self._hi

    def n_out_of_slot_range(self):
        return self._out
