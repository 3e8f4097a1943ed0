"""ptypy's parameter tree, declared on :mod:`beamkit.core.params` (module-level ``TREE``).

Sections ``io``, ``scandata``, ``scan``, ``engine`` and ``ptycho`` hold every entry of
ptypy 0.9's reference (rows in :mod:`.params_decl`, help texts in :mod:`.params_text`).
``ptycho.scans.*`` links to ``@scan.*`` and ``ptycho.engines.*`` to ``@engine.*``; both
choose their schema by the sub-tree's ``name``.  ``scan.<model>.data`` links to
``@scandata.*`` (chosen by ``data.name``) and ``ptycho.io.interaction.server/client``
link to ``io.interaction.server/client``.
"""
from __future__ import annotations

import copy

from . import params_decl as D
from . import params_text as T

__all__ = ["TREE", "entries", "defaults", "known", "ini_block", "SECTIONS"]

SECTIONS = ("io", "scandata", "scan", "engine", "ptycho")
_ROWS = {"io": D.ROWS_IO, "scandata": D.ROWS_SCANDATA, "scan": D.ROWS_SCAN,
         "engine": D.ROWS_ENGINE, "ptycho": D.ROWS_PTYCHO}


def entries():
    """Every declared entry, in declaration order, as dicts with path, rel, type, default,
    lowlim, uplim, choices, help, doc, userlevel (the default ``PARAM`` marks a sub-tree)."""
    out = []
    for sec in SECTIONS:
        for classes, rel, types, default, lo, up in _ROWS[sec]:
            names = [""] if classes == "" else classes.split()
            for cls in names:
                if cls == "-":
                    path, key = sec, sec
                elif cls == "":
                    path, key = rel, rel
                else:
                    path = ".".join(p for p in (sec, cls, rel) if p)
                    key = rel
                if "." in path and not rel and cls not in ("", "-"):
                    key = path
                out.append(dict(path=path, rel=key, type=types, default=default, lowlim=lo, uplim=up,
                                choices=T.lookup(T.CHOICES, path, key),
                                help=T.lookup(T.HELP, path, key) or "",
                                doc=T.lookup(T.DOC, path, key) or "",
                                userlevel=T.userlevel(path, key)))
    return out


_ENTRIES = entries()
_BYPATH = {e["path"]: e for e in _ENTRIES}


def known(section: str) -> list:
    """Class names declared under ``section`` ('scan', 'scandata' or 'engine')."""
    return [e["path"].split(".")[1] for e in _ENTRIES
            if e["path"].startswith(section + ".") and e["path"].count(".") == 1]


def _value(e):
    d = e["default"]
    if d == D.PARAM:
        return None
    return copy.deepcopy(d)


def defaults(path: str):
    """A ``Param`` of every default below ``path`` (e.g. 'scandata.MoonFlowerScan'), at all depths.

    Links are filled with the defaults of their first target; wildcards stay empty.
    """
    from .utils import Param
    if path not in _BYPATH:
        from ..errors import ParameterError
        raise ParameterError(path, "a declared ptycho tree node", path)
    root = Param()
    pre = path + "."
    for e in _ENTRIES:
        if not e["path"].startswith(pre):
            continue
        parts = e["path"][len(pre):].split(".")
        if "*" in parts:
            continue
        node = root
        for k in parts[:-1]:
            nxt = node.get(k)
            if not isinstance(nxt, dict):
                nxt = Param()
                dict.__setitem__(node, k, nxt)
            node = nxt
        leaf = parts[-1]
        if e["default"] == D.PARAM or e["type"].startswith("@"):
            if not isinstance(node.get(leaf), dict):
                sub = Param()
                if e["type"].startswith("@"):
                    tgt = e["type"][1:]
                    tgt = tgt[:-2] + "." + (known(tgt[:-2]) or [""])[0] if tgt.endswith(".*") else tgt
                    if tgt in _BYPATH and tgt != path:
                        sub = defaults(tgt)
                dict.__setitem__(node, leaf, sub)
        else:
            dict.__setitem__(node, leaf, _value(e))
    return root


def ini_block(path: str) -> str:
    """The entries below ``path`` as a ptypy-style ``Defaults:`` INI block (for class docstrings,
    so that ``TREE.parse_doc`` on a user's subclass inherits them)."""
    pre = path + "."
    out = ["Defaults:", ""]
    for e in _ENTRIES:
        if not e["path"].startswith(pre):
            continue
        out.append("[%s]" % e["path"][len(pre):])
        d = e["default"]
        out.append("default = %s" % ("" if d == D.PARAM else repr(d)))
        out.append("type = %s" % e["type"])
        for k in ("lowlim", "uplim", "choices"):
            if e[k] is not None:
                out.append("%s = %r" % (k, e[k]))
        out.append("userlevel = %d" % e["userlevel"])
        out.append("help = %s" % e["help"])
        if e["doc"]:
            out.append("doc = %s" % e["doc"])
        out.append("")
    return "\n".join(out)


def _build():
    """The descriptor tree of all sections (needs :mod:`beamkit.core.params`)."""
    from ..core.params import DescriptorTree
    tree = DescriptorTree()
    for e in _ENTRIES:
        d = e["default"]
        kw = dict(type=e["type"], help=e["help"], doc=e["doc"], userlevel=e["userlevel"])
        if d != D.PARAM:
            kw["default"] = d
        if e["lowlim"] is not None:
            kw["lowlim"] = e["lowlim"]
        if e["uplim"] is not None:
            kw["uplim"] = e["uplim"]
        if e["choices"] is not None:
            kw["choices"] = e["choices"]
        tree.declare(e["path"], **kw)
    return tree


TREE = _build()
