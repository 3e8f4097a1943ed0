"""ptypy's ``jwrite``/``jread``: variables in a JSON file, numpy arrays base64-encoded.

Layout (as ptypy's ``json_rw``): one JSON object whose keys are the variables, plus a reserved
``__meta__`` entry ``{"json_rw_version": 0.1, "ctime": ...}``; an array is stored as
``{"__ndarray__": <base64 of its bytes, C order>, "dtype": str(dtype), "shape": [...]}``.

Differences from ptypy 0.9: the base64 text is written as a JSON string (ptypy's encoder hands
``bytes`` to :mod:`json`, which fails under Python 3), so arrays really round-trip; numpy
scalars are written as plain numbers; tuples come back as lists (JSON has no tuples); values
JSON cannot hold raise :class:`~beamkit.errors.ParameterError` naming the variable; the file is
written atomically; bad files raise :class:`~beamkit.errors.FormatError`; slices in names
(``'a[2:4]'``) are parsed, never ``eval``-ed; the creation time is logged, not printed.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Mapping

import numpy as np

from ...core.files import atomic_write
from ...core.log import get_logger
from ...errors import FormatError, ParameterError
from .edfIO import file_list
from .h5rw import named_slices

__all__ = ["jwrite", "jread"]

VERSION = 0.1
log = get_logger("ptycho.io")


def _encode(v, name):
    """A JSON-ready copy of ``v``; arrays become ``__ndarray__`` dicts; ``name`` is for errors."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (np.bool_, np.integer, np.floating)):
        return v.item()
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise ParameterError(name, "a dict with str keys", repr(k))
            if k == "__ndarray__":
                raise ParameterError(f"{name}.{k}", "a key other than '__ndarray__' (reserved for arrays)", k)
            out[k] = _encode(x, f"{name}.{k}")
        return out
    if isinstance(v, (list, tuple)):
        return [_encode(x, f"{name}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, np.generic) or hasattr(v, "__array_interface__"):
        a = np.ascontiguousarray(np.asarray(v))
        if a.dtype.hasobject or a.dtype.names is not None or a.dtype.kind in "OVMm":
            raise ParameterError(name, "an array of numbers, bools or fixed-width strings", str(a.dtype))
        return {"__ndarray__": base64.b64encode(a.tobytes()).decode("ascii"),
                "dtype": a.dtype.str, "shape": list(a.shape)}
    raise ParameterError(name, "None, bool, numbers, str, arrays, lists, tuples or dicts", type(v).__name__)


def jwrite(filename, *args, **kwargs) -> None:
    """``jwrite(filename, {'a': ...}, b=...)``: write the variables to a JSON file (keywords win).

    Parent folders are made; the file is replaced atomically. ``__meta__`` is reserved.
    """
    if len(args) > 1:
        raise ParameterError("jwrite arguments", "a file name, at most one dict, then keywords", len(args))
    if args and not isinstance(args[0], Mapping):
        raise ParameterError("jwrite variables", "a dict", type(args[0]).__name__)
    filename = os.path.abspath(os.path.expanduser(os.fspath(filename)))
    d = dict(args[0]) if args else {}
    d.update(kwargs)
    if "__meta__" in d:
        raise ParameterError("__meta__", "another variable name (reserved for jwrite's meta data)", "__meta__")
    tree = _encode(d, "variables")
    tree["__meta__"] = {"json_rw_version": VERSION, "ctime": time.asctime()}
    with atomic_write(filename, "w") as fh:
        json.dump(tree, fh)


def _decode_hook(filename):
    def hook(dct):
        if "__ndarray__" not in dct:
            return dct
        try:
            raw = base64.b64decode(dct["__ndarray__"], validate=True)
            dtype = np.dtype(dct["dtype"])
            if dtype.hasobject:
                raise TypeError("object dtype")
            shape = tuple(int(n) for n in dct["shape"])
            return np.frombuffer(raw, dtype).reshape(shape).copy()
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise FormatError(path=filename, expected="an array as {__ndarray__: base64, dtype, shape}",
                              got=f"{type(exc).__name__}: {exc}") from None
    return hook


def _load(filename) -> dict:
    try:
        with open(filename, "r", encoding="utf-8") as fh:
            content = json.load(fh, object_hook=_decode_hook(filename))
    except FileNotFoundError:
        raise FormatError(path=filename, expected="an existing JSON file", got="no such file") from None
    except json.JSONDecodeError as exc:
        raise FormatError(exc.msg, path=filename, line=exc.lineno, expected="a JSON file (jwrite)") from None
    except UnicodeDecodeError as exc:
        raise FormatError(path=filename, offset=exc.start, expected="a UTF-8 JSON file (jwrite)",
                          got="binary data") from None
    if not isinstance(content, dict):
        raise FormatError(path=filename, expected="a JSON object of variables (jwrite)", got=type(content).__name__)
    meta = content.pop("__meta__", {})
    if not isinstance(meta, dict) or meta.get("json_rw_version") is None:
        log.warning("%s does not seem to follow the json_rw format (no __meta__.json_rw_version)", filename)
    elif meta.get("ctime") is not None:
        log.info("File created : %s", meta["ctime"])
    return content


def _select(content, key, sl, filename):
    parts = key.split(".")
    node = content
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            raise FormatError(path=filename, key=key, expected="a variable of the file", got="no such variable")
        node = node[p]
    if sl is not None:
        try:
            node = node[sl]
        except (TypeError, IndexError) as exc:
            raise ParameterError(f"slice of {key}", "an index that fits the variable", str(exc)) from None
    return parts[-1], node


def jread(filename, *args, doglob=None, slice=None, **kwargs):
    """Read variables of a file written by :func:`jwrite` into a dict.

    ``jread(f)`` reads everything; ``jread(f, 'a', 'b.c', 'd[2:4]')`` (or a list of names)
    only those (group access with dots, slices in brackets; the key is the last name part);
    ``slice=`` applies to the last name. A name with wildcards (or ``doglob=True``, or a
    list of file names) returns a list of dicts, one per file.
    """
    if kwargs:
        raise ParameterError("jread keywords", "doglob, slice", sorted(kwargs))
    names, several = file_list(filename, doglob)
    if several:
        return [jread(f, *args, doglob=False, slice=slice) for f in names]
    filename = os.path.abspath(os.path.expanduser(names[0]))
    keys = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not keys and slice is not None:
        raise ParameterError("slice", "a variable name to slice", None)
    content = _load(filename)
    if not keys:
        return content
    out = {}
    for k, sl in named_slices(keys, slice):
        name, val = _select(content, k, sl, filename)
        out[name] = val
    return out
