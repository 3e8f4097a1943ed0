"""Read GSAS-II .gpx projects through a restricted unpickler.

A .gpx is a series of protocol-1 pickles, one per tree item.  Only the globals in
:data:`ALLOWED` may appear: numpy's array reconstruction (``ndarray`` and ``MaskedArray``
only, no other subclass), numpy scalars and dtypes, ``_codecs.encode`` for latin-1/utf-8
text, ``copyreg._reconstructor`` for ``G2VarObj`` only, and GSAS-II's ``G2VarObj``
(mapped to the inert :class:`G2VarObj` here).  Lists, dicts, tuples, strings and numbers
need no global.  Any other global (``os.system``, ``builtins.eval``, ``collections.*`` …)
raises a FormatError naming it and the record's byte offset; the check happens in
``find_class``, before anything in the record can be called, so nothing is executed.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from ..errors import FormatError

__all__ = ["read_gpx", "G2VarObj", "ALLOWED"]


class G2VarObj:
    """Stand-in for GSAS-II's variable-name object found in constraints (keeps its state)."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"state": state})

    def __eq__(self, other):
        return isinstance(other, G2VarObj) and self.__dict__ == other.__dict__

    __hash__ = None

    def __repr__(self):
        d = self.__dict__
        return "G2VarObj({})".format(":".join(str(d.get(k, "")) for k in ("phase", "histogram", "name"))
                                     if d else "")


def _np_reconstruct(subtype, shape, dtype):
    if subtype not in (np.ndarray, np.ma.MaskedArray):
        raise pickle.UnpicklingError(f"array subtype {subtype!r} not allowed")
    return np.ndarray.__new__(subtype, shape, dtype)


def _safe_reconstructor(cls, base, state):
    if cls is not G2VarObj or base is not object:
        raise pickle.UnpicklingError(f"reconstruction of {cls!r} not allowed")
    return object.__new__(cls)


def _codecs_encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8"):
        raise pickle.UnpicklingError("unexpected bytes encoding in project file")
    return text.encode(encoding)


ALLOWED = {
    ("_codecs", "encode"): _codecs_encode,
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy.core.multiarray", "scalar"): None,
    ("numpy._core.multiarray", "scalar"): None,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.ma.core", "MaskedArray"): np.ma.MaskedArray,
    ("numpy.ma", "MaskedArray"): np.ma.MaskedArray,
    ("numpy.ma.core", "_mareconstruct"): None,
    ("GSASIIobj", "G2VarObj"): G2VarObj,
    ("GSASII.GSASIIobj", "G2VarObj"): G2VarObj,
    ("copy_reg", "_reconstructor"): _safe_reconstructor,
    ("copyreg", "_reconstructor"): _safe_reconstructor,
    ("__builtin__", "object"): object,
    ("builtins", "object"): object,
}


def _scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # pragma: no cover - numpy < 2
        from numpy.core.multiarray import scalar
    return scalar


def _mareconstruct(subtype, baseclass, baseshape, basetype):
    if subtype is not np.ma.MaskedArray or baseclass is not np.ndarray:
        raise pickle.UnpicklingError("masked-array subtype not allowed")
    data = np.ndarray.__new__(baseclass, baseshape, basetype)
    mask = np.ndarray.__new__(np.ndarray, baseshape, np.dtype(bool))
    return subtype.__new__(subtype, data, mask=mask, dtype=basetype)


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        key = (module, name)
        if key not in ALLOWED:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a project file")
        obj = ALLOWED[key]
        if name == "scalar":
            return _scalar()
        if name == "_mareconstruct":
            return _mareconstruct
        return obj


def _plain(obj):
    """Masked arrays -> plain arrays (data); everything else unchanged, recursively in containers."""
    if isinstance(obj, np.ma.MaskedArray):
        return np.asarray(obj.data)
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def read_gpx(path) -> dict:
    """Read a GSAS-II .gpx -> project dict {treeName: {'data': …, subName: …}}."""
    p = Path(path)
    raw = p.read_bytes()
    fh = io.BytesIO(raw)
    out = {}
    while fh.tell() < len(raw):
        pos = fh.tell()
        try:
            rec = _Restricted(fh, encoding="latin-1").load()
        except pickle.UnpicklingError as e:
            raise FormatError(f"refused: {e}", path=p, offset=pos,
                              expected="numpy arrays, plain containers and GSAS-II G2VarObj only") from None
        except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
            raise FormatError(f"damaged project record ({type(e).__name__}: {e})", path=p, offset=pos,
                              expected="a GSAS-II pickle record") from None
        if not isinstance(rec, list) or not rec or not isinstance(rec[0], list) or len(rec[0]) != 2:
            raise FormatError("unexpected record layout", path=p, offset=pos,
                              expected="[[treeName, data], [subName, subData], …]")
        name = rec[0][0]
        item = {"data": _plain(rec[0][1])}
        for sub in rec[1:]:
            item[sub[0]] = _plain(sub[1])
        out[name] = item
    for h in out:
        if h.startswith("PWDR "):
            inst = out[h].get("Instrument Parameters")
            if isinstance(inst, list) and inst and isinstance(inst[0], dict):
                inst[0].setdefault("Azimuth", [0.0, 0.0, False])  # quirk 8d
    return out

