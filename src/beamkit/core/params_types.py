"""Type names, value checks, limits and choices of the parameter tree.

A declaration names its accepted types as strings (``"int"``,
``"float, None"``, ``"@engine.*"``).  This module turns those names into
checks.  Rules (one each, documented in :mod:`beamkit.core.params`):

* ``int``: any ``numbers.Integral`` (numpy integers too) except ``bool``;
* ``float``: any real number (ints and numpy floats too) except ``bool``;
* ``complex``: any number except ``bool``;
* ``tuple`` and ``list`` accept either; ``array`` accepts an ndarray, list or tuple;
* ``Param``/``dict`` accept any mapping; ``file`` accepts a str or ``os.PathLike``;
* ``None`` accepts ``None``.
"""
from __future__ import annotations

import difflib
import numbers
import os
from collections.abc import Mapping

import numpy as np

__all__ = ["TYPE_NAMES", "normalize_types", "type_ok", "describe_types", "check_limits",
           "check_choices", "suggest"]


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_float(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_complex(v):
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))


def _is_seq(v):
    return isinstance(v, (tuple, list))


def _is_array(v):
    return isinstance(v, (np.ndarray, tuple, list))


# canonical name -> predicate
_CHECKS = {
    "int": _is_int,
    "float": _is_float,
    "complex": _is_complex,
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, (bool, np.bool_)),
    "tuple": _is_seq,
    "list": _is_seq,
    "array": _is_array,
    "Param": lambda v: isinstance(v, Mapping),
    "None": lambda v: v is None,
    "file": lambda v: isinstance(v, (str, os.PathLike)),
}

# accepted spellings -> canonical name
_ALIASES = {
    "int": "int", "integer": "int", "float": "float", "real": "float", "complex": "complex",
    "str": "str", "string": "str", "bool": "bool", "boolean": "bool",
    "tuple": "tuple", "list": "list", "array": "array", "ndarray": "array",
    "Param": "Param", "param": "Param", "dict": "Param", "None": "None", "NoneType": "None",
    "none": "None", "file": "file", "path": "file",
}
_PYTYPES = {int: "int", float: "float", complex: "complex", str: "str", bool: "bool",
            tuple: "tuple", list: "list", dict: "Param", np.ndarray: "array", type(None): "None"}

TYPE_NAMES = tuple(_CHECKS)


def normalize_types(spec, where: str = "") -> list:
    """Canonical list of type names from ``"int, None"``, a list of names or Python types.

    Links (``"@path"``) are kept as they are.  An unknown name raises ParameterError.
    """
    from ..errors import ParameterError

    if spec is None:
        return []
    if isinstance(spec, str):
        items = [s.strip() for s in spec.split(",") if s.strip()]
    elif isinstance(spec, type) or spec is None:
        items = [spec]
    else:
        items = list(spec)
    out = []
    for it in items:
        if isinstance(it, type):
            name = _PYTYPES.get(it)
            if name is None and issubclass(it, Mapping):
                name = "Param"
        elif isinstance(it, str) and it.startswith("@"):
            name = it
        else:
            name = _ALIASES.get(it) if isinstance(it, str) else None
        if name is None:
            raise ParameterError(f"{where}.type" if where else "type",
                                 "type names from " + ", ".join(TYPE_NAMES) + " or @link", it,
                                 "unknown type name in declaration")
        if name not in out:
            out.append(name)
    return out


def type_ok(value, types) -> bool:
    """True when ``value`` is accepted by one of the canonical ``types`` (links excluded)."""
    for t in types:
        chk = _CHECKS.get(t)
        if chk is not None and chk(value):
            return True
    return False


def describe_types(types) -> str:
    """Human text for a list of type names: 'int', 'float or None'."""
    names = [t for t in types]
    if not names:
        return "any value"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _numeric(value):
    """Numeric ndarray view of a number or sequence of numbers, else None."""
    if isinstance(value, (bool, np.bool_, str)):
        return None
    if isinstance(value, numbers.Real):
        return np.asarray(value, dtype=float)
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        if arr.dtype.kind in "iuf":
            return arr
    return None


def check_limits(value, lowlim, uplim):
    """None when ``value`` (number or sequence, element-wise) lies in [lowlim, uplim], else a text."""
    if lowlim is None and uplim is None:
        return None
    arr = _numeric(value)
    if arr is None or arr.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        if lowlim is not None and not bool(np.all(arr >= lowlim)):
            return "below the lower limit"
        if uplim is not None and not bool(np.all(arr <= uplim)):
            return "above the upper limit"
    return None


def describe_limits(lowlim, uplim) -> str:
    """'>= 0', '<= 5' or 'in [1, 32]' (limits are inclusive)."""
    if lowlim is not None and uplim is not None:
        return f"in [{lowlim}, {uplim}]"
    if lowlim is not None:
        return f">= {lowlim}"
    if uplim is not None:
        return f"<= {uplim}"
    return ""


def _eq(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    try:
        r = a == b
        return bool(np.all(r)) if isinstance(r, np.ndarray) else bool(r)
    except (ValueError, TypeError):
        return False


def _in(value, choices) -> bool:
    vb = isinstance(value, (bool, np.bool_))
    return any(_eq(value, c) and vb == isinstance(c, (bool, np.bool_)) for c in choices)


def check_choices(value, choices):
    """None when ``value`` is one of ``choices`` (a sequence value: each element), else the bad value."""
    if not choices:
        return None
    if _in(value, choices):
        return None
    if isinstance(value, (list, tuple)) and not any(isinstance(c, (list, tuple)) for c in choices):
        bad = [v for v in value if not _in(v, choices)]
        return None if not bad else bad[0]
    return value


def suggest(word, candidates, n: int = 1) -> list:
    """Close matches of ``word`` among ``candidates`` (difflib), case-insensitive fallback."""
    if not isinstance(word, str):
        return []
    cands = [c for c in candidates if isinstance(c, str)]
    hits = difflib.get_close_matches(word, cands, n=n, cutoff=0.6)
    if not hits:
        low = {c.lower(): c for c in cands}
        hits = [low[h] for h in difflib.get_close_matches(word.lower(), list(low), n=n, cutoff=0.6)]
    return hits
