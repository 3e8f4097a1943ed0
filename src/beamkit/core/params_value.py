"""``Param``: the nested value tree (a dict with attribute access) and its YAML/JSON files.

Compatible with ptypy's ``u.Param``: reading a missing attribute raises
AttributeError (nothing is created on read), assigning a plain dict stores a
``Param``, ``copy(depth)`` copies nested Params down to ``depth`` and
``update(d, in_place_depth=0, Convert=False)`` merges like ptypy (see
:meth:`Param.update`).  String keys with dots address nested entries, as ptypy:
``p['scans.MF.data.name'] = 'x'`` creates the missing sub-trees, ``p['scans.MF']``
reads through them and ``'scans.MF' in p`` tests the path (``get`` and ``del``
take plain keys, as ptypy). Building or updating a Param from a mapping keeps its keys as
they are (``Param({'file.h5': 1})`` has the key ``'file.h5'``).
"""
from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import FormatError, ParameterError
from .files import atomic_write

__all__ = ["Param", "param_from_yaml", "param_from_json", "to_plain"]

_ABSENT = object()


def _split(key: str) -> list:
    parts = key.split(".")
    if any(p == "" for p in parts):
        raise ParameterError(key, "a dotted key without empty parts (like 'scans.MF.data')", key)
    return parts


class Param(dict):
    """A dict whose keys are also attributes; nested dicts become ``Param`` on assignment."""

    __slots__ = ()

    def __init__(self, __d__=None, **kwargs):
        dict.__init__(self)
        if __d__ is not None:
            self.update(__d__)
        if kwargs:
            self.update(kwargs)

    # attribute access -------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no entry {name!r}") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key, value):
        if isinstance(value, Mapping) and not isinstance(value, Param):
            value = Param(value)
        target = self
        if type(key) is str and "." in key:
            parts = _split(key)
            for i, k in enumerate(parts[:-1]):
                nxt = dict.get(target, k, _ABSENT)
                if nxt is _ABSENT:
                    nxt = Param()
                    dict.__setitem__(target, k, nxt)
                elif not isinstance(nxt, Param):
                    raise ParameterError(".".join(parts[:i + 1]), "a sub-tree (Param) to set " + key + " in",
                                         nxt, "cannot set a dotted key")
                target = nxt
            key = parts[-1]
        dict.__setitem__(target, key, value)

    def __getitem__(self, key):
        if type(key) is str and "." in key:
            first, rest = key.split(".", 1)
            sub = dict.get(self, first, None)
            if not isinstance(sub, Param) or not rest:
                raise KeyError(key)
            return sub[rest]
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        if type(key) is str and "." in key:
            first, rest = key.split(".", 1)
            sub = dict.get(self, first, None)
            return isinstance(sub, Param) and bool(rest) and rest in sub
        return dict.__contains__(self, key)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, other):
        self.update(other)
        return self

    def __or__(self, other):
        out = self.copy()
        out.update(other)
        return out

    def __dir__(self):
        return sorted(set(dir(type(self))) | {k for k in self if isinstance(k, str)})

    def __repr__(self):
        return f"{type(self).__name__}({dict.__repr__(self)})"

    # copies and merges --------------------------------------------------
    def copy(self, depth: int = 0) -> "Param":
        """A copy; nested ``Param`` values are copied too down to ``depth`` levels (0: shallow)."""
        d = Param()
        for k, v in self.items():
            if depth > 0 and isinstance(v, Param):
                v = v.copy(depth - 1)
            dict.__setitem__(d, k, v)
        return d

    def update(self, __d__=None, in_place_depth: int = 0, Convert: bool = False, **kwargs):
        """Merge ``__d__`` (mapping or key/value pairs) and ``kwargs`` into this tree.

        As ptypy: a key whose existing value is a Param and whose new value is a
        mapping is merged recursively while ``in_place_depth > 0``; otherwise the
        new value replaces the old one (also a nested sub-tree, and also None).
        Mappings are stored as Param in any case (``Convert`` is accepted for
        compatibility).
        """
        def one(k, v):
            cur = dict.get(self, k, None)
            if in_place_depth > 0 and isinstance(v, Mapping) and isinstance(cur, Param):
                cur.update(v, in_place_depth - 1)
            else:            # keys as given: only an explicit p['a.b'] = v splits on dots
                dict.__setitem__(self, k, Param(v) if isinstance(v, Mapping) and not isinstance(v, Param) else v)

        if __d__ is not None:
            items = __d__.items() if hasattr(__d__, "keys") else __d__
            for k, v in items:
                one(k, v)
        for k, v in kwargs.items():
            one(k, v)

    def deep_update(self, other) -> "Param":
        """Merge ``other`` into this tree at every depth (beamkit's one merge rule); returns self."""
        self.update(other, in_place_depth=1 << 30)
        return self

    def _to_dict(self, Recursive: bool = False) -> dict:
        """A plain dict (recursively, nested Params too, when ``Recursive``)."""
        if not Recursive:
            return dict(self)
        return {k: v._to_dict(True) if isinstance(v, Param) else v for k, v in self.items()}

    def to_dict(self) -> dict:
        """A plain nested dict of plain Python values (what YAML/JSON files hold)."""
        return to_plain(self)

    # files ------------------------------------------------------------------
    @classmethod
    def load(cls, path) -> "Param":
        """Read a ``.yaml``/``.yml`` or ``.json`` file (by extension) into a Param."""
        path = Path(path)
        kind = _kind(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError("not UTF-8 text", path=path, offset=exc.start,
                              expected="a UTF-8 text file") from None
        data = _parse_yaml(text, path) if kind == "yaml" else _parse_json(text, path)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise FormatError("the top level is not a mapping", path=path, line=1,
                              expected="a mapping of parameter names to values", got=type(data).__name__)
        return cls(data)

    def save(self, path) -> Path:
        """Write this tree as YAML or JSON (by extension), atomically; returns the path."""
        path = Path(path)
        kind = _kind(path)
        plain = to_plain(self)
        if kind == "yaml":
            import yaml
            text = yaml.safe_dump(plain, sort_keys=False, default_flow_style=None, allow_unicode=True)
        else:
            text = json.dumps(plain, indent=2, allow_nan=True) + "\n"
        with atomic_write(path, "w") as fh:
            fh.write(text)
        return path


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".yaml", ".yml"):
        return "yaml"
    if ext == ".json":
        return "json"
    raise ParameterError("path", "a file name ending in .yaml, .yml or .json", str(path),
                         "unknown parameter file type")


def _parse_yaml(text: str, path):
    import yaml
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FormatError(f"malformed YAML ({what})", path=path, line=line,
                          expected="a YAML mapping") from None


def _parse_json(text: str, path):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno,
                          expected="a JSON object") from None


def to_plain(value):
    """Plain Python (dict/list/str/int/float/bool/None) for YAML/JSON output."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return [float(value.real), float(value.imag)]
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "__fspath__"):
        return str(value)
    raise ParameterError("value", "a value YAML/JSON can hold", value, "cannot save")


def param_from_yaml(path) -> Param:
    """ptypy-style helper: read a YAML parameter file."""
    return Param.load(path)


def param_from_json(path) -> Param:
    """ptypy-style helper: read a JSON parameter file."""
    return Param.load(path)
