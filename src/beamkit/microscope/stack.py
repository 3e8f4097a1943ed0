"""SpecPy's ``Stack`` on top of :class:`beamkit.core.stack.Stack`.

SpecPy lists axes x first (OBF order); numpy data are the C-order reverse,
``data()[t, z, y, x]``.  Axis ``d`` in SpecPy is numpy axis ``ndim-1-d``.
A new stack has labels '', lengths = sizes (pixel size 1) and offsets -0.5.
"""
from __future__ import annotations

import json
import numbers
import warnings

import numpy as np

from ..core.stack import Stack as CoreStack
from . import oprop
from .obf_format import numpy_to_dt, si_units_for_labels

__all__ = ["Stack", "unit_string"]

_BASE = ("m", "kg", "s", "A", "K", "mol", "cd", "rad", "sr")
_PREFIX = {1.0: "", 1e-3: "m", 1e-6: "u", 1e-9: "n", 1e-12: "p", 1e3: "k"}
MAX_RANK = 5


def unit_string(si) -> str:
    """Readable unit of an OBF SI record, e.g. ``um``, ``s``, ``m^2``, ``''`` (dimensionless)."""
    exps, scale = si
    parts = []
    for (num, den), base in zip(exps, _BASE):
        if num == 0 or den == 0:
            continue
        e = num / den
        parts.append(base if e == 1 else f"{base}^{e:g}")
    unit = "*".join(parts)
    if not unit:
        return "" if scale == 1.0 else f"{scale:g}"
    if len(parts) == 1 and "^" not in unit and scale in _PREFIX:
        return _PREFIX[scale] + unit
    return unit if scale == 1.0 else f"{scale:g}*{unit}"


def _check_axis(d, n):
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or not 0 <= d < n:
        raise RuntimeError("Invalid axis specified.")
    return int(d)


class Stack:
    """A SpecPy stack: ``Stack(array)`` (copies) or ``Stack(type, sizes)`` (sizes x first)."""

    def __init__(self, array_or_type, sizes=None):
        if sizes is None:
            a = np.asarray(array_or_type)
            numpy_to_dt(a.dtype)   # RuntimeError("Unsupported stack type.") for u8/i8/f2/bool/objects
            data = np.array(a, dtype=a.dtype.newbyteorder("<"), order="C", copy=True)
        else:
            dt = np.dtype(array_or_type)
            numpy_to_dt(dt)
            try:
                shape = tuple(int(s) for s in sizes)[::-1]
            except (TypeError, ValueError):
                raise RuntimeError("Stack sizes must be a list of integers.") from None
            if any(s < 0 for s in shape):
                raise RuntimeError("Stack sizes must not be negative.")
            data = np.zeros(shape, dtype=dt.newbyteorder("<"))
        numpy_to_dt(data.dtype)
        if not 1 <= data.ndim <= MAX_RANK:
            raise RuntimeError(f"Unsupported number of {data.ndim} dimensions")
        n = data.ndim
        self._core = CoreStack(data, lengths=[float(s) for s in data.shape], offsets=[-0.5] * n)
        self._si = None            # per-axis SI records (OBF order) when known from a file
        self._col_positions = {}   # OBF axis -> f64 array
        self._col_labels = {}      # OBF axis -> list of str
        self._tags = {}
        self._metadata = ""
        self._owner = None         # the Measurement that holds the stack, for unique names

    # --- construction helpers --------------------------------------------------
    @classmethod
    def from_core(cls, core: CoreStack) -> "Stack":
        """Wrap a core stack (numpy axis order) without copying its data."""
        s = cls.__new__(cls)
        s._core, s._si, s._col_positions, s._col_labels, s._tags = core, None, {}, {}, {}
        s._metadata, s._owner = "", None
        return s

    @property
    def core(self) -> CoreStack:
        """The underlying :class:`beamkit.core.stack.Stack` (numpy axis order)."""
        return self._core

    def _ax(self, d) -> int:
        return self._core.ndim - 1 - _check_axis(d, self._core.ndim)

    def _list(self, values, what):
        vals = list(values)
        if len(vals) != self._core.ndim:
            raise RuntimeError(f"Expected {self._core.ndim} {what}, got {len(vals)}.")
        return vals

    # --- identity --------------------------------------------------------------
    def name(self) -> str:
        return self._core.name

    def set_name(self, name: str) -> None:
        """Set the name; inside a measurement a taken name gets a ' [1]', ' [2]', ... suffix."""
        name = str(name)
        if self._owner is not None:
            taken = {s.name() for s in self._owner._all_stacks() if s is not self}
            base, k = name, 1
            while name in taken:
                name = f"{base} [{k}]"
                k += 1
        self._core.name = name

    def description(self) -> str:
        return self._core.description

    def set_description(self, text: str) -> None:
        self._core.description = str(text)

    def type(self):
        """The numpy scalar type of the elements (e.g. ``numpy.uint16``)."""
        return self._core.data.dtype.type

    def shape(self) -> list:
        """Sizes of all dimensions, x first."""
        return list(self._core.shape[::-1])

    def sizes(self) -> list:
        warnings.warn("Stack.sizes() is deprecated, use Stack.shape()", RuntimeWarning, stacklevel=2)
        return self.shape()

    def size(self, d) -> int:
        warnings.warn("Stack.size() is deprecated, use Stack.shape()", RuntimeWarning, stacklevel=2)
        return int(self._core.shape[self._ax(d)])

    def number_of_elements(self) -> int:
        return int(self._core.data.size)

    def number_of_dimensions(self) -> int:
        warnings.warn("Stack.number_of_dimensions() is deprecated, use len(Stack.shape())",
                      RuntimeWarning, stacklevel=2)
        return self._core.ndim

    # --- axes ------------------------------------------------------------------
    def label(self, d) -> str:
        return self._core.axes[self._ax(d)].label

    def set_label(self, d, text) -> None:
        self._core.axes[self._ax(d)].label = str(text)

    def labels(self) -> list:
        return self._core.labels[::-1]

    def set_labels(self, labels) -> None:
        for d, s in enumerate(self._list(labels, "labels")):
            self.set_label(d, s)

    def length(self, d) -> float:
        return self._core.axes[self._ax(d)].length

    def set_length(self, d, x) -> None:
        self._core.axes[self._ax(d)].length = float(x)

    def lengths(self) -> list:
        return self._core.lengths[::-1]

    def set_lengths(self, values) -> None:
        for d, x in enumerate(self._list(values, "lengths")):
            self.set_length(d, x)

    def offset(self, d) -> float:
        return self._core.axes[self._ax(d)].offset

    def set_offset(self, d, x) -> None:
        self._core.axes[self._ax(d)].offset = float(x)

    def offsets(self) -> list:
        return self._core.offsets[::-1]

    def set_offsets(self, values) -> None:
        for d, x in enumerate(self._list(values, "offsets")):
            self.set_offset(d, x)

    def si_dimensions(self) -> list:
        """SI record per axis (x first): stored ones, else inferred from the labels like SpecPy."""
        return list(self._si) if self._si is not None else si_units_for_labels(self.labels(), self.lengths())

    def _set_si(self, si) -> None:
        self._si = list(si)
        units = [unit_string(u) for u in self._si]
        for d, u in enumerate(units):
            self._core.axes[self._ax(d)].unit = u

    def units(self) -> list:
        """Unit string per axis, x first (e.g. 'um', 's', '')."""
        return [unit_string(u) for u in self.si_dimensions()]

    # --- columns ---------------------------------------------------------------
    def col_positions(self, d) -> list:
        """Pixel positions along axis d: stored ones, else SpecPy's centred rule ``off + (k-(n-1)/2)*len/n``."""
        d = _check_axis(d, self._core.ndim)
        if d in self._col_positions:
            return list(self._col_positions[d])
        n = self.shape()[d]
        return list(self.offset(d) + (np.arange(n) - (n - 1) / 2) * (self.length(d) / n if n else 0))

    def set_col_positions(self, d, values) -> None:
        d = _check_axis(d, self._core.ndim)
        v = np.asarray(values, dtype="f8").ravel()
        if v.size != self.shape()[d]:
            raise RuntimeError(f"Expected {self.shape()[d]} column positions, got {v.size}.")
        self._col_positions[d] = v

    def col_labels(self, d) -> list:
        d = _check_axis(d, self._core.ndim)
        return list(self._col_labels.get(d, []))

    def set_col_labels(self, d, values) -> None:
        d = _check_axis(d, self._core.ndim)
        v = [str(x) for x in values]
        if len(v) != self.shape()[d]:
            raise RuntimeError(f"Expected {self.shape()[d]} column labels, got {len(v)}.")
        self._col_labels[d] = v

    # --- tags and parameters ---------------------------------------------------
    def tag(self, key: str):
        """Tag value, JSON-decoded (the raw string if it is not JSON); RuntimeError if absent."""
        if key not in self._tags:
            raise RuntimeError(f"No tag '{key}'")
        v = self._tags[key]
        try:
            return json.loads(v)
        except ValueError:
            return v

    def set_tag(self, key: str, value) -> None:
        self._tags[str(key)] = value if isinstance(value, str) else json.dumps(value)

    def tags(self) -> dict:
        return dict(self._tags)

    def parameters(self, path: str = ""):
        """Value at ``path`` (e.g. ``doc/ExpControl/scan/range/x/psz``) of the ``imspector`` tag, or None."""
        tree = oprop.to_python(self._tags.get("imspector", ""))
        if tree is None:
            return None
        try:
            return oprop.get_path(tree, path)
        except KeyError:
            raise RuntimeError(f"No property '{path}'") from None

    def meta_data(self) -> dict:
        """Units (x first), pixel sizes (length / size, in those units) and the value unit."""
        return {"units": self.units(), "scales": [u[1] for u in self.si_dimensions()],
                "pixel_sizes": [ln / n if n else 0.0 for ln, n in zip(self.lengths(), self.shape())],
                "value_unit": "", "labels": self.labels(), "metadata": self._metadata}

    # --- data ------------------------------------------------------------------
    def data(self) -> np.ndarray:
        """The pixels as a numpy view, ``[..., y, x]``; writing into it changes the stack."""
        return self._core.data

    def set_data(self, array) -> None:
        """Copy ``array`` (same number of elements) into the stack."""
        a = np.asarray(array)
        if a.size != self._core.data.size:
            raise RuntimeError(f"Expected {self._core.data.size} elements, got {a.size}.")
        self._core.data[...] = a.reshape(self._core.shape)

    def __repr__(self):
        return f"<Stack {self.name()!r} {self.type().__name__} {self.shape()}>"

