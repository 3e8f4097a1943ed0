"""ptypy's ``h5write``/``h5append``/``h5read``/``h5info`` on beamkit's typed-HDF5 code (:mod:`..io_ptyr`).

Files are ptypy's layout (each node has a ``type`` attribute: dict, param, list, tuple, array,
arraylist, arraytuple, string, scalar, None), so files written here open in ptypy and back.
Differences: ``pickle`` nodes are never read or written (``h5options['UNSUPPORTED']`` may be
'fail' (default) or 'ignore', not 'pickle'); unsupported values raise ParameterError;
slices in names (``'a[2:4]'``) are parsed, not ``eval``-ed; ``h5write`` writes atomically.
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping

import h5py
import numpy as np

from ...errors import FormatError, ParameterError
from ..io_ptyr import _read as _read_node, _write as _write_node, h5write as _h5write_atomic, members
from .edfIO import file_list

__all__ = ["h5write", "h5append", "h5read", "h5info", "h5options"]

h5options = dict(H5RW_VERSION="0.1", H5PY_VERSION=h5py.version.version, UNSUPPORTED="fail",
                 SLASH_ESCAPE="_SLASH_")


def _tree(args, kwargs) -> dict:
    if len(args) > 1:
        raise ParameterError("args", "at most one dict of variables", len(args))
    d = dict(args[0]) if args else {}
    d.update(kwargs)
    return d


def _supported(v) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.names is None and v.dtype != object
    return (v is None or isinstance(v, (str, bytes, bool, np.generic, Mapping, list, tuple))
            or np.isscalar(v) or hasattr(v, "__array__"))


def _check(v, name, seen):
    """Refuse what the writer cannot store (as ptypy's UNSUPPORTED='fail') and circular references."""
    mode = h5options.get("UNSUPPORTED", "fail")
    if mode not in ("fail", "ignore"):
        raise ParameterError("h5options['UNSUPPORTED']", "'fail' or 'ignore' (beamkit never pickles)", mode)
    if isinstance(v, (Mapping, list, tuple)):
        if id(v) in seen:
            raise ParameterError(name, "a tree without circular references", "a circular reference")
        seen.add(id(v))
        if isinstance(v, Mapping):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise ParameterError(name, "a dict with str keys", repr(k))
                _check(x, f"{name}.{k}", seen)
        else:
            for i, x in enumerate(v):
                _check(x, f"{name}[{i}]", seen)
        seen.discard(id(v))
    elif not _supported(v) and mode == "fail":
        raise ParameterError(name, "scalars, arrays, str, None, lists, tuples or dicts", type(v).__name__)


def _prepare(filename, args, kwargs):
    filename = os.path.abspath(os.path.expanduser(str(filename)))
    d = _tree(args, kwargs)
    seen: set = set()
    for k, v in d.items():
        if not isinstance(k, str):
            raise ParameterError("variable names", "str", repr(k))
        _check(v, k, seen)
    os.makedirs(os.path.dirname(filename) or ".", exist_ok=True)
    return filename, d


def h5write(filename, *args, **kwargs) -> None:
    """``h5write(filename, {'a': ...}, b=...)``: write the variables (keywords win), replacing the file."""
    filename, d = _prepare(filename, args, kwargs)
    _h5write_atomic(filename, d)


def h5append(filename, *args, **kwargs) -> None:
    """As :func:`h5write`, but add to an existing file (variables of the same name are replaced)."""
    filename, d = _prepare(filename, args, kwargs)
    with h5py.File(filename, "a") as f:
        now = time.asctime()
        f.attrs["h5rw_version"] = h5options["H5RW_VERSION"]
        if "ctime" not in f.attrs:
            f.attrs["ctime"] = now
        f.attrs["mtime"] = now
        for k, v in d.items():
            key = k.replace("/", h5options["SLASH_ESCAPE"])
            if key in f:
                del f[key]
            _write_node(f, k, v)


def named_slices(keys, slice=None):
    """(name, index or None) of each requested variable: ``'a.b[2:4]'`` -> ('a.b', slice(2, 4));
    ``slice`` applies to the last name (ptypy's h5read/jread)."""
    for i, k in enumerate(keys):
        if not isinstance(k, str):
            raise ParameterError("variable names", "str", repr(k))
        sl = None
        if i == len(keys) - 1 and slice is not None:
            sl = slice
        elif "[" in k:
            k, rest = k.split("[", 1)
            sl = _index(rest.split("]", 1)[0])
        yield k, sl


def _index(text: str):
    """'2:4' / '1, ::2' / '-1' / '...' -> an index, without eval."""
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            if part == "...":
                out.append(Ellipsis)
            elif ":" in part:
                bits = part.split(":")
                if len(bits) > 3:
                    raise ValueError(part)
                out.append(slice(*(int(b) if b.strip() else None for b in bits)))
            else:
                out.append(int(part))
        except ValueError:
            raise ParameterError("slice", "integers, start:stop:step or ...", text) from None
    return out[0] if len(out) == 1 else tuple(out)


def _type(node):
    t = node.attrs.get("type")
    return t.decode() if isinstance(t, bytes) else t


def _name(key, node):
    esc = node.attrs.get("escaped")
    return key.replace(h5options["SLASH_ESCAPE"], "/") if esc in ("1", b"1") else key


def _load(node, depth, sl, path, seen=frozenset()):
    t = _type(node)
    if isinstance(node, h5py.Group):
        below = set(seen) | {node.id}
        kids = sorted(members(node, path, set(seen)), key=lambda kv: kv[0]) if depth > 0 else []
        if t in ("list", "tuple"):
            items = [_load(sub, depth - 1, None, path, below) for _, sub in kids]
            val = tuple(items) if t == "tuple" else items
            return val if sl is None else val[sl]
        if sl is not None:
            raise ParameterError("slice", "a list, tuple, array or string variable", f"a {t or 'dict'} group")
        d = {_name(k, sub): _load(sub, depth - 1, None, path, below) for k, sub in kids}
        if t == "param":
            from ..utils import Param
            return Param(d)
        return d
    if sl is not None and t in (None, "array"):
        return node[sl]                       # only the slice is read from disk
    if t == "unicode":
        v = node[()]
        val = v.decode("utf-8") if isinstance(v, bytes) else str(v)
    else:
        val = _read_node(node, path)
    return val if sl is None else val[sl]


def h5read(filename, *args, doglob=None, depth=None, slice=None, **kwargs):
    """Read variables of a file written by :func:`h5write` into a dict.

    ``h5read(f)`` reads everything; ``h5read(f, 'a', 'b.c', 'd[2:4]')`` (or a list of names) reads
    those (group access with dots, slices in brackets; the key is the last name part);
    ``slice=`` applies to the last name; ``depth`` limits nested groups; a file name with
    wildcards (or ``doglob=True``, or a list of names) returns a list of dicts, one per file.
    """
    if kwargs:
        raise ParameterError("h5read keywords", "doglob, depth, slice", sorted(kwargs))
    depth = 99 if depth is None else depth + 1
    names, several = file_list(filename, doglob)
    if several:
        return [h5read(f, *args, doglob=False, depth=depth - 1, slice=slice) for f in names]
    filename = os.path.abspath(os.path.expanduser(names[0]))
    keys = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not keys and slice is not None:
        raise ParameterError("slice", "a variable name to slice", None)
    out = {}
    try:
        f = h5py.File(filename, "r")
    except OSError as exc:
        raise FormatError(path=str(filename), expected="an HDF5 file", got=str(exc)) from None
    with f:
        if not keys:
            for k, sub in members(f, filename):
                out[_name(k, sub)] = _load(sub, depth, None, filename)
            return out
        for k, sl in named_slices(keys, slice):
            parts = k.split(".")
            node = f
            for p in parts:
                p = p.replace("/", h5options["SLASH_ESCAPE"])
                if p not in node or not isinstance(node.get(p, getlink=True), h5py.HardLink):
                    raise FormatError(path=str(filename), key=k, expected="a variable of the file", got="no such node")
                node = node[p]
            out[parts[-1]] = _load(node, depth, sl, filename)
    return out


def _short(a, kind):
    flat = np.asarray(a).ravel()
    if flat.size < 5:
        return f"{kind} = {flat.tolist() if kind == 'list' else tuple(flat.tolist())}"
    try:
        head = ", ".join(f"{float(x):f}" for x in flat[:4])
    except (TypeError, ValueError):
        return f"{kind} = ({flat.size} x {a.dtype} objects)"
    return f"{kind} = [{head},  ...]" if kind == "list" else f"{kind} = ({head},  ...)"


def _info_lines(node, name, indent, depth, lines):
    pad = " " * indent
    t = _type(node)
    if isinstance(node, h5py.Group):
        if t in ("list", "tuple"):
            lines.append(f"{pad} * {name} [{t} {len(node)}]:" if t == "list" else f"{pad} * {name} [tuple]:")
            if depth > 0:
                for k, sub in sorted(members(node, node.file.filename), key=lambda kv: kv[0]):
                    _info_lines(sub, "", indent + 4, depth - 1, lines)
            return
        lines.append(f"{pad} * {name} [{'Param' if t == 'param' else 'dict'} {len(node)}]:")
        if depth > 0:
            for k, sub in members(node, node.file.filename):
                _info_lines(sub, _name(k, sub), indent + 4, depth - 1, lines)
        return
    if t in (None, "array"):
        if node.ndim == 1 and node.shape[0] < 5 or node.ndim == 0:
            desc = f"array = {np.asarray(node[()]).ravel()}"
        else:
            desc = "x".join(str(n) for n in node.shape) + f" {node.dtype} array"
    elif t in ("arraylist", "arraytuple"):
        desc = _short(node[()], "list" if t == "arraylist" else "tuple")
    elif t == "scalar":
        desc = f"scalar = {node[()]}"
    elif t in ("string", "unicode"):
        v = node[()]
        s = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        desc = f'{t} = "{s[:40] + "..." if len(s) > 40 else s}"'
    elif t == "None":
        desc = "None"
    elif t == "pickle":
        desc = "pickled object"
    else:
        desc = "unknown"
    lines.append(f"{pad} * {name} [{desc}]")


def h5info(filename, path="", output=None, depth=8):
    """Print the tree of an HDF5 file (from group ``path``); returns the text when ``output`` is not None."""
    depth = 8 if depth is None else depth
    filename = os.path.abspath(os.path.expanduser(str(filename)))
    try:
        f = h5py.File(filename, "r")
    except OSError as exc:
        raise FormatError(path=filename, expected="an HDF5 file", got=str(exc)) from None
    lines: list = []
    with f:
        ctime = f.attrs.get("ctime")
        if ctime is not None:
            print("File created : " + (ctime.decode() if isinstance(ctime, bytes) else str(ctime)))
        group = f[path] if path.strip("/") else f
        for k in group.keys():
            _info_lines(group[k], _name(k, group[k]), 0, depth, lines)
    text = "".join(line + "\n" for line in lines)
    print(text)
    if output is not None:
        return text
