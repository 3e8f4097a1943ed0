"""ptypy's typed HDF5 encoding of Python trees (the layer under ``.ptyd`` and ``.ptyr``).

Every node carries an attribute ``type`` that says how to rebuild it: ``dict``, ``param``,
``string`` (variable-length UTF-8), ``array`` (gzip), ``arraylist``, ``list`` (members
``00000``...), ``arraytuple``/``tuple``, ``scalar`` (0-d, no compression), ``None``
(``zeros(1)`` float64).  Keys with ``/`` are stored as ``_SLASH_`` with ``escaped='1'``.
``pickle`` and ``record_array`` nodes are never unpickled: the reader raises FormatError.
"""
from __future__ import annotations

import time
from collections.abc import Mapping

import h5py
import numpy as np

from ...errors import FormatError
from ..utils import Param

__all__ = ["write_tree", "write_node", "read_node", "read_tree", "stamp"]

_STR = h5py.string_dtype("utf-8")


def stamp(f: h5py.File, created: bool = True) -> None:
    """File attributes ptypy writes: h5rw_version, ctime, mtime."""
    now = time.asctime()
    f.attrs["h5rw_version"] = "0.1"
    if created or "ctime" not in f.attrs:
        f.attrs["ctime"] = now
    f.attrs["mtime"] = now


def _key(k):
    k = str(k)
    return (k.replace("/", "_SLASH_"), True) if "/" in k else (k, False)


def write_node(group: h5py.Group, name, value, compress: bool = True):
    """Write ``value`` as ``group[name]`` with its ``type`` attribute; unsupported values raise."""
    key, escaped = _key(name)
    if key in group:
        del group[key]
    gz = dict(compression="gzip") if compress else {}
    if isinstance(value, Mapping):
        g = group.create_group(key)
        g.attrs["type"] = "param" if isinstance(value, Param) else "dict"
        for k, v in value.items():
            write_node(g, k, v, compress)
        obj = g
    elif isinstance(value, str):
        obj = group.create_dataset(key, data=value, dtype=_STR)
        obj.attrs["type"] = "string"
    elif value is None:
        obj = group.create_dataset(key, data=np.zeros(1))
        obj.attrs["type"] = "None"
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            raise TypeError(f"{name}: arrays of dtype {value.dtype} are not supported")
        obj = group.create_dataset(key, data=value, **(gz if value.ndim else {}))
        obj.attrs["type"] = "array"
    elif isinstance(value, (list, tuple)):
        arr = None
        if value and len({type(v) for v in value}) == 1 and not isinstance(value[0], (str, bytes, Mapping)):
            try:
                arr = np.asarray(value)
                if arr.dtype.kind in "OUSV":
                    arr = None
            except (ValueError, TypeError):
                arr = None
        if arr is not None:
            obj = group.create_dataset(key, data=arr, **gz)
            obj.attrs["type"] = "arraytuple" if isinstance(value, tuple) else "arraylist"
        else:
            g = group.create_group(key)
            g.attrs["type"] = "tuple" if isinstance(value, tuple) else "list"
            for i, v in enumerate(value):
                write_node(g, "%05d" % i, v, compress)
            obj = g
    elif np.isscalar(value) or isinstance(value, np.generic):
        obj = group.create_dataset(key, data=value)
        obj.attrs["type"] = "scalar"
    else:
        raise TypeError(f"{name}: values of type {type(value).__name__} are not supported")
    if escaped:
        obj.attrs["escaped"] = "1"
    return obj


def write_tree(group: h5py.Group, tree: Mapping, compress: bool = True) -> None:
    """Write every item of ``tree`` into ``group``."""
    for k, v in tree.items():
        write_node(group, k, v, compress)


def _attr(obj, name):
    v = obj.attrs.get(name)
    return v.decode() if isinstance(v, bytes) else v


def read_node(obj, path=None):
    """Rebuild the Python value of a node written by :func:`write_node` (or by ptypy)."""
    t = _attr(obj, "type")
    where = path or getattr(obj.file, "filename", None)
    if t in ("pickle", "record_array"):
        raise FormatError(f"{obj.name}: '{t}' nodes hold pickles and are not read", path=where,
                          expected="a typed node other than pickle", got=t)
    if isinstance(obj, h5py.Group):
        if t in ("list", "tuple"):
            items = [read_node(obj[k], path) for k in sorted(obj.keys())]
            return tuple(items) if t == "tuple" else items
        out = Param() if t == "param" else {}
        for k in obj.keys():
            child = obj.get(k, getlink=True)
            if isinstance(child, h5py.ExternalLink):
                try:
                    node = obj[k]
                except (KeyError, OSError) as e:
                    raise FormatError(f"{obj.name}/{k}: external link to {child.filename} is broken ({e})",
                                      path=where, expected="a readable linked file", got=child.filename) from None
            else:
                node = obj[k]
            name = k.replace("_SLASH_", "/") if _attr(node, "escaped") == "1" else k
            out[name] = read_node(node, path)
        return out
    if t == "None":
        return None
    if t == "string":
        v = obj[()]
        return v.decode("utf-8") if isinstance(v, bytes) else str(v)
    if t == "scalar":
        v = obj[()]
        return v.item() if hasattr(v, "item") else v
    if t == "arraylist":
        return list(obj[()])
    if t == "arraytuple":
        return tuple(obj[()].tolist())
    v = obj[()]
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v


def read_tree(path, group: str = "/"):
    """Read a whole file (or one group) written in this encoding."""
    try:
        with h5py.File(path, "r") as f:
            return read_node(f[group], str(path))
    except OSError as e:
        raise FormatError(f"cannot read HDF5 file: {e}", path=str(path), expected="an HDF5 file") from None
