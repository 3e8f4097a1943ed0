"""Small helpers of ``u`` (ptypy's ``utils.misc``, ``utils.citations`` and the length-unit
helpers of ``utils.plot_utils``).

Part of :mod:`beamkit.ptycho.utils`; import them from there.
"""
from __future__ import annotations

import os
import re
from collections import namedtuple

import numpy as np

from ..errors import ParameterError
from .utils_array import expect2, expect3

__all__ = ["str2int", "str2range", "str2index", "unique_path", "Table", "all_subclasses", "expectN", "isstr",
           "JournalArticle", "Bibliography", "length_units", "pretty_length"]


def isstr(s) -> bool:
    """True for a ``str``."""
    return isinstance(s, str)


def expectN(a, N):
    """:func:`expect2` for ``N`` 2, :func:`expect3` for ``N`` 3."""
    if N == 2:
        return expect2(a)
    if N == 3:
        return expect3(a)
    raise ValueError("N must be 2 or 3")


def all_subclasses(cls, names=False) -> list:
    """All subclasses of ``cls`` (depth first: direct ones, then theirs); class names if ``names``."""
    subs = []
    for c in cls.__subclasses__():
        subs.append(c)
    for c in cls.__subclasses__():
        subs.extend(all_subclasses(c))
    return [c.__name__ for c in subs] if names else subs


def unique_path(filename) -> str:
    """``filename`` with ``~`` expanded, made absolute (no folder is created)."""
    return os.path.abspath(os.path.expanduser(filename))


# ---------------------------------------------------------------------------- strings
def str2int(A):
    """Byte strings <-> uint8 character codes, as ptypy.

    A bytes array (dtype ``S<n>``) of shape ``sh`` gives uint8 of shape ``sh + (n,)``
    (zero-padded); an integer array gives bytes of shape ``A.shape[:-1]`` (trailing zeros dropped).
    Unicode text is encoded as ASCII first."""
    A = np.asarray(A)
    if A.dtype.kind == "U":
        A = np.char.encode(A, "ascii")
    if A.dtype.kind == "S":
        n = max(A.dtype.itemsize, 1)
        return np.ascontiguousarray(A.astype(f"S{n}")).view(np.uint8).reshape(A.shape + (n,))
    if A.dtype.kind in "ui":
        if A.ndim == 0:
            raise ParameterError("A", "an array of character codes (at least 1-D)", A.shape)
        n = max(A.shape[-1], 1)
        codes = np.ascontiguousarray(A.astype(np.uint8).reshape(-1, A.shape[-1]))
        return codes.view(f"S{n}").reshape(A.shape[:-1])
    raise TypeError("Data type `%s` not understood for string - ascii conversion" % A.dtype.str)


def str2range(s) -> list:
    """Indices of the slice text ``s``: '1:4:2' -> [1, 3]; '3' -> [3]; '2:5' -> [2, 3, 4]."""
    parts = str(s).split(":")
    try:
        v = [int(p) for p in parts]
    except ValueError:
        raise ParameterError("s", "'start[:stop[:step]]' of integers", s) from None
    if len(v) == 1:
        return [v[0]]
    if len(v) > 3:
        raise ParameterError("s", "'start[:stop[:step]]' of integers", s)
    return list(range(*v))


_INDEX_ITEM = re.compile(r"^\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?(?::\s*(-?\d+)?\s*)?$")


def str2index(s) -> tuple:
    """The numpy index expression written in ``s`` (as ``np.index_exp[s]``), without ``eval``:
    comma-separated integers, slices 'a:b:c' (parts optional), '...', 'None'/'np.newaxis'."""
    out = []
    for item in str(s).split(","):
        t = item.strip()
        if t == "...":
            out.append(Ellipsis)
            continue
        if t in ("None", "np.newaxis", "newaxis"):
            out.append(None)
            continue
        m = _INDEX_ITEM.match(t)
        if not t or m is None:
            raise ParameterError("s", "a numpy index expression of integers, slices, '...' or None", s)
        if ":" not in t:
            out.append(int(m.group(1)))
        else:
            parts = [p.strip() for p in t.split(":")]
            out.append(slice(*[int(p) if p else None for p in parts]))
    return tuple(out)


# ---------------------------------------------------------------------------- table
class Table:
    """ptypy's record table: a numpy structured array whose fields (columns) and default record
    come from the dict given; records are returned as namedtuples.

    >>> t = Table({'x': 0.0, 'n': 0}); t.new_table(3); t.select_match('n', 0)  # -> [0, 1, 2]
    """

    def __init__(self, dct, name="pods"):
        self._table_name = name
        self._from_dict(dict(dct))
        self._table = None

    def _from_dict(self, dct, suffix="_record"):
        self._record_factory = namedtuple(self._table_name + suffix, list(dct.keys()))
        self._record_default = self._record_factory(*dct.values())
        self._record_dtype = [np.array(v).dtype for v in dct.values()]

    def new_table(self, records=0):
        """A fresh table of ``records`` default records."""
        dtype = list(zip(self._record_default._fields, self._record_dtype))
        self._table = np.array([tuple(self._record_default)] * int(records), dtype)

    def new_fields(self, **kwargs):
        """Add fields with default values ``kwargs`` (existing records get them)."""
        records = self.pull_records()
        new = self._record_default._asdict()
        new.update(kwargs)
        self._from_dict(new)
        self.new_table()
        extra = tuple(kwargs.values())
        self.add_records([tuple(r) + extra for r in records])

    def pull_records(self, record_ids=None) -> list:
        """Records (namedtuples), all or those of ``record_ids``."""
        rows = self._table if record_ids is None else self._table[record_ids]
        return [self._record_factory(*r) for r in np.atleast_1d(rows)]

    def add_records(self, records) -> list:
        """Append ``records`` (tuples); returns their ids."""
        start = len(self._table)
        self._table = np.concatenate([self._table, np.array([tuple(r) for r in records], self._table.dtype)])
        return list(range(start, len(self._table)))

    def insert_records(self, records, record_ids):
        """Overwrite the records at ``record_ids``."""
        self._table[record_ids] = np.array([tuple(r) for r in records], self._table.dtype)

    def select_func(self, func, fields=None):
        """Ids of records for which ``func(record_id, *values of fields)`` is true (``fields``
        None: ``func(record_id)``)."""
        ids = range(len(self._table))
        if fields is None:
            return np.array([n for n in ids if func(n)], dtype=int)
        cols = [self._table[f] for f in fields]
        return np.array([n for n in ids if func(n, *(c[n] for c in cols))], dtype=int)

    def select_range(self, field, low, high):
        """Ids of records with ``low <= field <= high``."""
        t = self._table[field]
        return np.flatnonzero((t >= low) & (t <= high))

    def select_match(self, field, match):
        """Ids of records whose ``field`` equals ``match``."""
        return np.flatnonzero(self._table[field] == match)

    def modify_add(self, record_ids, **kwargs):
        """Append copies of the records at ``record_ids`` with fields replaced by ``kwargs``."""
        self.add_records([r._replace(**kwargs) for r in self.pull_records(record_ids)])


# ---------------------------------------------------------------------------- citations
class JournalArticle:
    """A journal reference; ``str()`` gives 'author, "title" journal volume (year) page, doi: x.'"""

    def __init__(self, title, author, journal, volume, year, page=None, doi=None):
        self.title, self.author, self.journal = title, author, journal
        self.volume, self.year, self.page, self.doi = volume, year, page, doi

    def __str__(self):
        out = f'{self.author}, "{self.title}" {self.journal} {self.volume} ({self.year})'
        if self.page is not None:
            out += f" {self.page}"
        return out + (f", doi: {self.doi}." if self.doi is not None else ".")


class Bibliography:
    """References to cite, each with a comment; one entry per comment (ptypy's ``P.citations``:
    ``entries`` are dicts with 'comment' and 'citation', ``str()`` the report)."""

    def __init__(self):
        self.entries = []

    def add_article(self, comment, *args, **kwargs):
        """Add a :class:`JournalArticle` (its arguments) under ``comment`` unless present."""
        if any(e["comment"] == comment for e in self.entries):
            return None
        self.entries.append({"comment": comment, "citation": JournalArticle(*args, **kwargs)})

    def __len__(self):
        return len(self.entries)

    def __str__(self):
        return "\n".join(f"{e['comment']}:\n    {e['citation']}" for e in self.entries)


# ---------------------------------------------------------------------------- lengths
def length_units(number):
    """(unit, mag, number*mag): a unit among nm, um, mm, m, km for a length ``number`` (m),
    from its decade: < 1e-6 nm, < 1e-3 um, < 1 mm, < 1e3 m, else km."""
    a = np.floor(np.log10(np.abs(number)))
    for lim, unit, mag in ((-6.0, "nm", 1e9), (-3.0, "um", 1e6), (0.0, "mm", 1e3), (3.0, "m", 1.0)):
        if a < lim:
            return unit, mag, number * mag
    return "km", 1e-3, number * 1e-3


def pretty_length(num, digits=3) -> str:
    """``num`` as text of about ``digits`` significant characters (integer part kept whole)."""
    s = f"{num:.{int(digits)}f}"
    head = s.split(".")[0]
    return head if len(head) >= digits else s[:digits + 1]
