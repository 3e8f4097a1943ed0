"""ptypy-style INI declarations (``[section]`` blocks) and the ``Defaults:`` docstring decorator.

Each ``[path]`` section declares the entry ``<base>.<path>`` with the keys
``default``, ``type``, ``lowlim``, ``uplim``, ``choices``, ``userlevel``,
``help`` and ``doc`` (continuation lines indented).  Any other key, a line that
is neither a key nor an indented continuation, or a value that does not parse
raises FormatError naming the source and line.
"""
from __future__ import annotations

import ast
import configparser
import re
import textwrap
import weakref

from ..errors import FormatError, ParameterError

__all__ = ["parse_ini", "parse_class_doc", "eval_default"]

_KEYS = ("default", "type", "lowlim", "uplim", "choices", "userlevel", "help", "doc")
_EVALUABLE = {"int", "float", "complex", "tuple", "list", "array", "bool"}


def _line_of(text: str, section: str, key: str | None = None):
    """1-based line of ``[section]`` (or of ``key`` inside it) in ``text``; None if not found."""
    lines = text.splitlines()
    head = re.compile(r"^\s*\[" + re.escape(section) + r"\]\s*$")
    for i, line in enumerate(lines):
        if head.match(line):
            if key is None:
                return i + 1
            pat = re.compile(r"^\s*" + re.escape(key) + r"\s*[=:]", re.IGNORECASE)
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if pat.match(lines[j]):
                    return j + 1
            return i + 1
    return None


def _ln(text, section, off):
    ln = _line_of(text, section)
    return None if ln is None else ln + off


def eval_default(raw: str, types: list):
    """Python value of an INI ``default`` string for the declared ``types`` (ptypy's rules).

    Containers (type Param) with an empty default get their children's defaults
    (returns MISSING); '', 'None' -> None; 'true'/'false' -> bool; literals via
    ``ast.literal_eval``; otherwise the string with surrounding quotes removed.
    """
    from .params_tree import MISSING

    s = raw.strip()
    if "Param" in types and s in ("", "None", "none", "{}", "Param()", "Param({})"):
        return MISSING
    if s in ("", "None", "none"):
        return None
    if s.lower() in ("true", "false"):
        return s.lower() == "true"
    if s.startswith("@"):
        return s
    if not types or _EVALUABLE & set(types) or s[:1] in "'\"[(":
        try:
            return ast.literal_eval(s)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
        if "float" in types:
            try:
                return float(s)
            except ValueError:
                pass
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def _number(raw: str, as_int: bool):
    v = ast.literal_eval(raw.strip())
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(raw)
    return int(v) if as_int else float(v)


def _choices(raw: str):
    s = raw.strip()
    if not s:
        return None
    try:
        v = ast.literal_eval(s)
        return list(v) if isinstance(v, (list, tuple, set)) else [v]
    except (ValueError, SyntaxError):
        return [c.strip().strip("'\"") for c in s.split(",") if c.strip()]


def parse_ini(tree, base: str, text: str, source=None, first_line: int = 1) -> list:
    """Declare every ``[section]`` of ``text`` under ``base`` in ``tree``; returns the descriptors."""
    src = source or f"<declarations of {base or 'root'}>"
    off = first_line - 1
    cp = configparser.RawConfigParser(interpolation=None, strict=True, default_section="\x00none")
    cp.optionxform = str.lower
    try:
        cp.read_string(text, source=src)
    except configparser.MissingSectionHeaderError as exc:
        raise FormatError("text before the first [section]", path=src, line=exc.lineno + off,
                          expected="a [parameter.path] header", got=exc.line.strip()) from None
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
        raise FormatError(exc.message.split(": ", 1)[-1], path=src, line=(exc.lineno or 0) + off or None,
                          expected="each section and key once") from None
    except configparser.ParsingError as exc:
        lineno, line = exc.errors[0]
        raise FormatError("line is neither 'key = value' nor an indented continuation", path=src,
                          line=lineno + off, expected="key = value", got=line.strip()) from None
    out = []
    for section in cp.sections():
        opts = dict(cp.items(section))
        bad = [k for k in opts if k not in _KEYS]
        if bad:
            ln = _line_of(text, section, bad[0])
            raise FormatError(f"unknown declaration key in [{section}] (an unindented doc line?)", path=src,
                              line=None if ln is None else ln + off, expected="one of " + ", ".join(_KEYS),
                              got=bad[0])
        path = f"{base}.{section}" if base else section
        kw = {}
        try:
            types = tree.get(path).type if ("type" not in opts and path in tree) else None
            if "type" in opts:
                from .params_types import normalize_types
                types = normalize_types(opts["type"], path)
                kw["type"] = types
            types = types or []
            if "default" in opts:
                kw["default"] = eval_default(opts["default"], types)
            as_int = types == ["int"]
            for k in ("lowlim", "uplim"):
                if k in opts:
                    kw[k] = _number(opts[k], as_int) if opts[k].strip() not in ("", "None") else None
            if "choices" in opts:
                kw["choices"] = _choices(opts["choices"])
            if "userlevel" in opts:
                kw["userlevel"] = int(opts["userlevel"]) if opts["userlevel"].strip() not in ("", "None") else None
            for k in ("help", "doc"):
                if k in opts:
                    kw[k] = opts[k]
        except (ValueError, SyntaxError, OverflowError, ParameterError) as exc:
            ln = _line_of(text, section)
            raise FormatError(f"bad value in [{section}]: {exc}", path=src,
                              line=None if ln is None else ln + off,
                              expected="numbers for lowlim/uplim/userlevel and known type names") from None
        from .params_tree import MISSING
        if kw.get("default", 0) is MISSING:
            del kw["default"]
        try:
            out.append(tree.declare(path, **kw))
        except ParameterError as exc:
            raise FormatError(f"bad section [{section}]: {exc}", path=src, line=_ln(text, section, off),
                              expected="[dotted.path] with non-empty parts") from None
    return out


def _defaults_block(doc: str):
    """(text after the 'Defaults:' line, its 1-based line number in ``doc``) or (None, 0)."""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Defaults:":
            return textwrap.dedent("\n".join(lines[i + 1:])), i + 2
    return None, 0


def parse_class_doc(tree, path: str):
    """The decorator behind ``DescriptorTree.parse_doc(path)``."""
    def deco(cls):
        for klass in reversed(cls.__mro__):
            doc = klass.__dict__.get("__doc__")
            if not isinstance(doc, str):
                continue
            block, first = _defaults_block(doc)
            if block is None:
                continue
            parse_ini(tree, path, block, source=f"docstring of {klass.__module__}.{klass.__qualname__}",
                      first_line=first)
        desc = tree.new_child(path)
        desc.declared = True
        cls._descriptor = weakref.ref(desc)
        cls.DEFAULT = desc.make_default(depth=99)
        return cls
    return deco
