"""OProp XML (Imspector's property trees in descriptions and the ``imspector`` tag) <-> Python.

Conversion as SpecPy does it: struct -> dict, cell -> list, char -> str,
numeric scalars -> int/float, numeric arrays -> (nested) lists, logical ->
bool, an empty cell -> None.  A tree that cannot be parsed gives None.
"""
from __future__ import annotations

import math
import numbers
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

__all__ = ["to_python", "from_python", "get_path"]

_INT = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"}
_FLOAT = {"double", "single"}


class _Unknown(Exception):
    pass


def _size(el):
    s = (el.get("size") or "1 1").split()
    try:
        return [int(x) for x in s]
    except ValueError:
        raise _Unknown(f"bad size {s}") from None


def _convert(el):
    typ = el.get("type", "struct")
    if el.get("isempty") == "1":
        return None if typ == "cell" else ("" if typ == "char" else ([] if typ != "struct" else {}))
    size = _size(el)
    count = math.prod(size)
    if typ == "struct":
        kids = list(el)
        if count > 1 and kids and all(k.get("idx") is not None for k in kids):
            # struct array: children grouped by idx (1-based)
            groups: dict = {}
            for k in kids:
                groups.setdefault(k.get("idx"), []).append(k)
            return [_convert_struct(g) for g in groups.values()]
        return _convert_struct(kids)
    if typ == "cell":
        items = [_convert(k) for k in el]
        if el.get("userbits") == "1":
            items = ["" if x is None else str(x) for x in items]
        return items
    text = (el.text or "").strip()
    if typ == "char":
        return el.text or ""
    if typ in _INT or typ in _FLOAT or typ == "logical":
        conv = int if typ in _INT else float
        vals = text.split()
        try:
            if typ == "logical":
                out = [bool(int(float(v))) for v in vals]
            else:
                out = [conv(float(v)) if conv is int else conv(v) for v in vals]
        except ValueError:
            raise _Unknown(f"bad {typ} value {text!r}") from None
        if count == 1 and len(size) >= 1 and len(out) == 1:
            return out[0]
        if len(size) == 2 and size[0] > 1 and size[1] > 1 and len(out) == count:
            r, c = size
            return [out[i * c:(i + 1) * c] for i in range(r)]
        return out
    raise _Unknown(f"unknown type {typ!r}")


def _convert_struct(kids):
    out = {}
    for k in kids:
        out[k.tag] = _convert(k)
    return out


def to_python(xml_text: str):
    """Convert an OProp XML document to Python; None if it is empty or not OProp."""
    if not xml_text or not xml_text.strip():
        return None
    try:
        root = ET.fromstring(xml_text)
        return _convert(root)
    except (ET.ParseError, _Unknown, ValueError, RecursionError):
        return None


def get_path(tree, path: str):
    """Walk ``a/b/c`` into nested dicts/lists; KeyError naming the missing part."""
    node = tree
    for part in [p for p in path.split("/") if p]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node


def _emit(name, value, idx=None, out=None):
    a = f' idx="{idx}"' if idx is not None else ""
    if value is None:
        out.append(f'<{name}{a} isempty="1" type="cell" size="0 0"/>')
    elif isinstance(value, bool):
        out.append(f'<{name}{a} type="logical" size="1 1">{int(value)}</{name}>')
    elif isinstance(value, numbers.Integral):
        out.append(f'<{name}{a} type="int32" size="1 1">{int(value)}</{name}>' if -2**31 <= value < 2**31
                   else f'<{name}{a} type="int64" size="1 1">{int(value)}</{name}>')
    elif isinstance(value, numbers.Real):
        out.append(f'<{name}{a} type="double" size="1 1">{float(value)!r}</{name}>')
    elif isinstance(value, str):
        out.append(f'<{name}{a} type="char" size="1 {len(value)}">{escape(value)}</{name}>')
    elif isinstance(value, dict):
        out.append(f'<{name}{a} type="struct" size="1 1">')
        for k, v in value.items():
            _emit(str(k), v, out=out)
        out.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        vals = list(value)
        if len(vals) > 1 and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in vals):
            typ = "int32" if all(isinstance(v, numbers.Integral) for v in vals) else "double"
            txt = " ".join(str(int(v)) if typ == "int32" else repr(float(v)) for v in vals)
            out.append(f'<{name}{a} type="{typ}" size="1 {len(vals)}">{txt}</{name}>')
        else:
            ub = ' userbits="1"' if vals and all(isinstance(v, str) for v in vals) else ""
            out.append(f'<{name}{a}{ub} type="cell" size="1 {len(vals)}">')
            for i, v in enumerate(vals):
                _emit("item", v, idx=i, out=out)
            out.append(f"</{name}>")
    else:
        raise TypeError(f"cannot store {type(value).__name__} in OProp XML")


def from_python(tree) -> str:
    """Serialise a dict tree (str/int/float/bool/list/dict/None leaves) as OProp XML."""
    out = []
    _emit("root", tree, out=out)
    out[0] = out[0].replace("<root", '<root idx="1"', 1).replace('size="1 1">', 'size="1 1" oprop_version="1">', 1) \
        if out[0].startswith("<root") else out[0]
    return "".join(out) + "\n"
