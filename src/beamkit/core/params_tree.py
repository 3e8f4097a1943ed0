"""The descriptor tree: declarations of parameters, and checking/resolving value trees.

A :class:`DescriptorTree` holds one :class:`Descriptor` per declared entry,
addressed by dotted path.  ``check``/``validate``/``resolve`` walk a user's
:class:`~beamkit.core.params_value.Param` together with the descriptors,
following wildcards (a node whose only child is ``*``) and links (type
``@path``; a multi-target link ``@engine.*`` picks its target by the user's
``name`` entry).
"""
from __future__ import annotations

import copy as _copy
from collections.abc import Mapping

import numpy as np

from ..errors import ParameterError, ParameterIssue
from .params_types import (check_choices, check_limits, describe_limits, describe_types, normalize_types,
                           suggest, type_ok)
from .params_value import Param

__all__ = ["Descriptor", "DescriptorTree", "MISSING"]


class _Missing:
    def __repr__(self):
        return "MISSING"

    def __bool__(self):
        return False


MISSING = _Missing()
_MAX_HOPS = 32
_OPTIONS = ("type", "default", "lowlim", "uplim", "choices", "help", "doc", "userlevel")


def copy_value(v):
    """A copy of a parameter value that shares nothing mutable with ``v``."""
    if isinstance(v, Mapping):
        out = Param()
        for k, x in v.items():
            dict.__setitem__(out, k, copy_value(x))
        return out
    if isinstance(v, list):
        return [copy_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(copy_value(x) for x in v)
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (str, int, float, bool, complex, type(None))):
        return v
    return _copy.deepcopy(v)


class Descriptor:
    """One declared entry: ``path``, ``type`` (list of names), ``default``, ``lowlim``/``uplim``
    (inclusive), ``choices``, ``help`` (one line), ``doc``, ``userlevel`` and ``children``."""

    __slots__ = ("tree", "name", "parent", "path", "children", "type", "_default", "lowlim", "uplim",
                 "choices", "help", "doc", "userlevel", "declared", "__weakref__")

    def __init__(self, tree, name: str, parent: "Descriptor | None"):
        self.tree, self.name, self.parent = tree, name, parent
        self.path = name if parent is None or not parent.path else f"{parent.path}.{name}"
        self.children: dict = {}
        self.type: list = ["Param"]
        self._default = MISSING
        self.lowlim = self.uplim = self.choices = self.userlevel = None
        self.help = self.doc = ""
        self.declared = False

    def __repr__(self):
        return f"<Descriptor {self.path or '(root)'} ({', '.join(self.type)})>"

    # structure -----------------------------------------------------------------
    @property
    def is_wildcard(self) -> bool:
        """True for a node whose only child is ``*``."""
        return len(self.children) == 1 and "*" in self.children

    @property
    def link(self):
        """The link path (without ``@``) of this node, or None."""
        for t in self.type:
            if t.startswith("@"):
                return t[1:]
        return None

    @property
    def is_link(self) -> bool:
        return self.link is not None

    @property
    def is_multi_link(self) -> bool:
        """A link such as ``@engine.*`` whose target is chosen by the ``name`` entry."""
        link = self.link
        return link is not None and (link == "*" or link.endswith(".*"))

    @property
    def plain_types(self) -> list:
        """The declared types without links."""
        return [t for t in self.type if not t.startswith("@")]

    @property
    def nullable(self) -> bool:
        """None is accepted where the type lists ``None`` or the declared default is None."""
        return "None" in self.type or (self._default is None)

    @property
    def default(self):
        """The declared default (an empty Param for a container declared without one)."""
        if self._default is MISSING:
            return Param() if ("Param" in self.type or self.children) else None
        return copy_value(self._default)

    def targets(self) -> list:
        """The descriptors a link points to (all children of ``x`` for ``@x.*``)."""
        link = self.link
        if link is None:
            return []
        if self.is_multi_link:
            base = self.tree.get(link[:-2] if link != "*" else "")
            return [] if base is None else [c for c in base.children.values() if c.name != "*"]
        t = self.tree.get(link)
        return [] if t is None else [t]

    def default_target(self):
        """The target used when no ``name`` is given: the declared default name, else the first one."""
        ts = self.targets()
        if not ts:
            return None
        d = self._default
        if isinstance(d, str) and d:
            want = d.lstrip("@").rsplit(".", 1)[-1]
            for t in ts:
                if t.name == want:
                    return t
        return ts[0]

    def descendants(self):
        """Every descriptor below this one, depth first in declaration order."""
        for c in self.children.values():
            yield c
            yield from c.descendants()

    def __getitem__(self, path):
        node = self
        for part in str(path).split("."):
            if part == "":
                continue
            try:
                node = node.children[part]
            except KeyError:
                hint = suggest(part, node.children)
                raise ParameterError(f"{node.path}.{part}" if node.path else part, "a declared parameter", None,
                                     "not declared" + (f" (did you mean {hint[0]!r}?)" if hint else "")) from None
        return node

    def __contains__(self, path):
        try:
            self[path]
            return True
        except ParameterError:
            return False

    # defaults ------------------------------------------------------------------
    def make_default(self, depth: int = 99, _hops: int = 0):
        """A Param of this node's defaults, ``depth`` levels deep (wildcards stay empty)."""
        if self.is_link:
            if _hops > _MAX_HOPS:
                raise ParameterError(self.path + ".type", "links without a cycle", self.link, "link cycle")
            t = self.default_target()
            if t is None:
                return None if self._default is MISSING or isinstance(self._default, str) else copy_value(
                    self._default)
            out = t.make_default(depth, _hops + 1)
            if self.is_multi_link and isinstance(out, Param) and "name" not in out:
                out["name"] = t.name
            return out
        if self.is_wildcard:
            return Param()
        if self.children:
            if self._default is not MISSING and not isinstance(self._default, Mapping):
                return copy_value(self._default)
            out = Param()
            if depth > 0:
                for name, c in self.children.items():
                    dict.__setitem__(out, name, c.make_default(depth - 1, _hops))
            if isinstance(self._default, Mapping):
                out.deep_update(copy_value(self._default))
            return out
        if self._default is MISSING:
            return Param() if "Param" in self.type else None
        return copy_value(self._default)

    # checking ------------------------------------------------------------------
    def check(self, p) -> list:
        """Every problem of the value tree ``p`` against this node, as ParameterIssue list."""
        issues: list = []
        if not isinstance(p, Mapping):
            issues.append(ParameterIssue(self.path or "(root)", "a mapping of parameters", p, "wrong type"))
            return issues
        _check_children(self, p, "", issues, named=False)
        return issues

    def validate(self, p) -> None:
        """Raise one ParameterError listing every problem of ``p`` (nothing when all is well)."""
        issues = self.check(p)
        if issues:
            raise ParameterError(issues)

    def resolve(self, p=None) -> Param:
        """Validate ``p`` and return a new Param with every default filled; ``p`` is not changed."""
        p = Param() if p is None else p
        self.validate(p)
        return _resolve_children(self, p, named=None)


# --------------------------------------------------------------------------- walking
def _join(path, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _pick_target(desc, value, path, issues):
    """Follow links from ``desc`` for the mapping ``value``; returns (descriptor, named) or (None, _)."""
    named = False
    for _ in range(_MAX_HOPS):
        if not desc.is_link:
            return desc, named
        if desc.is_multi_link:
            ts = desc.targets()
            kind = desc.link[:-2].rsplit(".", 1)[-1] if desc.link != "*" else "entry"
            known = ", ".join(t.name for t in ts) or "(none registered)"
            name = value.get("name", MISSING)
            if name is MISSING or name is None:
                issues.append(ParameterIssue(_join(path, "name"), f"one of: {known}", None,
                                             f"no name given: set 'name' to choose the {kind}"))
                return None, named
            hit = [t for t in ts if t.name == name] if isinstance(name, str) else []
            if not hit:
                near = suggest(name, [t.name for t in ts])
                msg = f"{kind} {name!r} is not registered" + (f" (did you mean {near[0]!r}?)" if near else "")
                msg += f"; known {kind}s: {known}"
                issues.append(ParameterIssue(_join(path, "name"), "", name, msg))
                return None, named
            desc, named = hit[0], True
        else:
            ts = desc.targets()
            if not ts:
                issues.append(ParameterIssue(path or desc.path, f"a declared entry at {desc.link}", None,
                                             f"declaration error: link target {desc.link!r} is not declared"))
                return None, named
            desc = ts[0]
    issues.append(ParameterIssue(path or desc.path, "links without a cycle", desc.link, "link cycle"))
    return None, named


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _check_value(desc, value, path, issues, named=False):
    if desc.is_link:
        if isinstance(value, Mapping):
            target, named = _pick_target(desc, value, path, issues)
            if target is not None:
                _check_value(target, value, path, issues, named)
            return
        if value is None and desc.nullable:
            return
        if not type_ok(value, desc.plain_types):
            exp = describe_types(desc.plain_types + [f"a mapping (see {desc.link})"])
            issues.append(ParameterIssue(path, exp, value, "wrong type"))
        return
    if value is None:
        if not desc.nullable:
            issues.append(ParameterIssue(path, describe_types(desc.type), None, "None is not allowed here"))
        return
    types = desc.type
    if isinstance(value, Mapping) and desc.children:
        _check_children(desc, value, path, issues, named)
        return
    if types and not type_ok(value, types):
        msg = "wrong type"
        if isinstance(value, (bool, np.bool_)) and ("int" in types or "float" in types):
            msg = "a bool is not a number here"
        elif isinstance(value, str) and ("int" in types or "float" in types) and _looks_numeric(value):
            msg = "a string that looks like a number (YAML reads 1e-3 as text: write 1.0e-3)"
        issues.append(ParameterIssue(path, describe_types(types), value, msg))
        return
    bad = check_limits(value, desc.lowlim, desc.uplim)
    if bad:
        issues.append(ParameterIssue(path, describe_limits(desc.lowlim, desc.uplim), value, bad))
    badc = check_choices(value, desc.choices)
    if badc is not None:
        near = suggest(badc, [c for c in desc.choices if isinstance(c, str)])
        msg = "not one of the choices" + (f" (did you mean {near[0]!r}?)" if near else "")
        issues.append(ParameterIssue(path, "one of " + ", ".join(repr(c) for c in desc.choices), value, msg))


def _check_children(desc, value, path, issues, named):
    if desc.is_wildcard:
        star = desc.children["*"]
        for k, v in value.items():
            if not isinstance(k, str):
                issues.append(ParameterIssue(_join(path, k), "a string key", k, "keys must be strings"))
                continue
            _check_value(star, v, _join(path, k), issues)
        return
    if desc.is_link:
        _check_value(desc, value, path, issues, named)
        return
    children = desc.children
    for k, v in value.items():
        c = children.get(k)
        if c is None:
            if named and k == "name":
                continue
            if not desc.children and "Param" in desc.type:
                continue  # free-form mapping
            near = suggest(k, children)
            msg = "unknown parameter" + (f" (did you mean {near[0]!r}?)" if near else "")
            known = [c for c in children if c != "*"]
            exp = "" if near else "a key among: " + ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            issues.append(ParameterIssue(_join(path, k), exp, None if isinstance(v, Mapping) else v, msg))
            continue
        _check_value(c, v, _join(path, k), issues)


def _resolve_value(desc, value, named=False):
    if desc.is_link:
        if isinstance(value, Mapping):
            target, named = _pick_target(desc, value, "", [])
            out = _resolve_value(target, value, named)
            if named and isinstance(out, Param) and "name" not in out:
                out["name"] = target.name
            return out
        return copy_value(value)
    if isinstance(value, Mapping) and desc.children:
        return _resolve_children(desc, value, named)
    return copy_value(value)


def _resolve_children(desc, value, named):
    if desc.is_link:
        return _resolve_value(desc, value, named)
    out = Param()
    if desc.is_wildcard:
        star = desc.children["*"]
        for k, v in value.items():
            dict.__setitem__(out, k, _resolve_value(star, v))
        return out
    if not desc.children:
        return copy_value(value)
    for name, c in desc.children.items():
        if name in value:
            dict.__setitem__(out, name, _resolve_value(c, value[name]))
        else:
            dict.__setitem__(out, name, c.make_default())
    if named and "name" in value and "name" not in out:
        dict.__setitem__(out, "name", value["name"])
    return out


class DescriptorTree:
    """A tree of parameter declarations (one per face: ``beamkit.<face>.params.TREE``)."""

    def __init__(self, name: str = "root"):
        self.name = name
        self.root = Descriptor(self, "", None)

    # structure -----------------------------------------------------------------
    def __getitem__(self, path) -> Descriptor:
        return self.root[path] if path else self.root

    def get(self, path, default=None):
        """The descriptor at ``path`` or ``default``."""
        try:
            return self[path]
        except ParameterError:
            return default

    def __contains__(self, path) -> bool:
        return self.get(path) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.root.descendants())

    def __iter__(self):
        return self.root.descendants()

    def descendants(self, root=None):
        """Every descriptor under ``root`` (default: the whole tree), depth first."""
        return self[root].descendants() if root else self.root.descendants()

    def new_child(self, path) -> Descriptor:
        """The descriptor at ``path``, creating it and any missing parents (as containers)."""
        node = self.root
        for part in str(path).split("."):
            if not part:
                raise ParameterError("path", "a dotted path without empty parts", path, "bad path")
            nxt = node.children.get(part)
            if nxt is None:
                nxt = Descriptor(self, part, node)
                node.children[part] = nxt
            node = nxt
        return node

    def declare(self, path, type=MISSING, default=MISSING, lowlim=MISSING, uplim=MISSING, help=MISSING,
                doc=MISSING, choices=MISSING, userlevel=MISSING, **extra) -> Descriptor:
        """Declare (or update) the entry at dotted ``path``; only the options given are changed.

        ``type``: names such as ``"int"``, ``"float, None"``, ``"@engine.*"`` (or a list);
        inferred from ``default`` when omitted.  ``lowlim``/``uplim`` are inclusive.
        """
        if extra:
            k = sorted(extra)[0]
            near = suggest(k, _OPTIONS)
            raise ParameterError(f"{path}.{k}", "one of " + ", ".join(_OPTIONS), extra[k],
                                 "unknown declaration option" + (f" (did you mean {near[0]!r}?)" if near else ""))
        node = self.new_child(path)
        if type is not MISSING:
            node.type = normalize_types(type, path)
        elif not node.declared and default is not MISSING:
            node.type = _infer_type(default)
        if default is not MISSING:
            node._default = default
        for key, val in (("lowlim", lowlim), ("uplim", uplim), ("userlevel", userlevel)):
            if val is not MISSING:
                setattr(node, key, val)
        if choices is not MISSING:
            node.choices = None if choices is None else list(choices)
        if help is not MISSING:
            node.help = "" if help is None else str(help).strip()
        if doc is not MISSING:
            node.doc = "" if doc is None else str(doc).strip("\n")
        node.declared = True
        return node

    def add_child(self, path, desc: Descriptor, name: str | None = None) -> Descriptor:
        """Attach a copy of ``desc`` (and its sub-tree) at ``path``/``name`` (ptypy's shared sub-trees)."""
        parent = self.new_child(path) if path else self.root
        return _clone(desc, self, parent, name or desc.name)

    # INI declarations ------------------------------------------------------------
    def parse_defaults(self, path, text: str, source: str | None = None, first_line: int = 1) -> list:
        """Declare the entries of a ptypy-style INI text under ``path``; returns their descriptors."""
        from .params_ini import parse_ini
        return parse_ini(self, path, text, source=source, first_line=first_line)

    def parse_doc(self, path):
        """Class decorator: declare the ``Defaults:`` blocks of the class docstrings (bases first)
        under ``path``, then set ``cls._descriptor`` (a weak reference) and ``cls.DEFAULT``."""
        from .params_ini import parse_class_doc
        return parse_class_doc(self, path)

    # values --------------------------------------------------------------------
    def make_default(self, root=None, depth: int = 99) -> Param:
        """A Param of every default under ``root``."""
        return self[root].make_default(depth) if root else self.root.make_default(depth)

    def check(self, p, root=None) -> list:
        """Every problem of ``p`` (checked against ``root``), each a ParameterIssue with a dotted path."""
        return self[root].check(p) if root else self.root.check(p)

    def validate(self, p, root=None) -> None:
        """Raise one ParameterError listing every problem of ``p``."""
        issues = self.check(p, root)
        if issues:
            raise ParameterError(issues)

    def resolve(self, p=None, root=None) -> Param:
        """Validated copy of ``p`` with all defaults filled (deep, at every level); ``p`` is untouched."""
        return (self[root] if root else self.root).resolve(p)

    def check_declarations(self) -> list:
        """Problems of the declarations themselves: defaults that break their own type, limits
        or choices, and links to undeclared entries."""
        issues = []
        for d in self.root.descendants():
            if d.is_link:
                if not d.targets():
                    issues.append(ParameterIssue(d.path, "a declared link target", d.link, "dangling link"))
                else:
                    try:
                        d.make_default(depth=2)
                    except ParameterError:
                        issues.append(ParameterIssue(d.path, "links without a cycle", d.link, "link cycle"))
                continue
            if d.name == "*" or d._default is MISSING:
                continue
            sub = []
            _check_value(d, d._default, d.path, sub)
            for i in sub:
                i.message = "declared default: " + i.message
            issues.extend(sub)
        return issues

    # documentation ---------------------------------------------------------------
    def to_rst(self, root=None, title: str | None = None) -> str:
        """Reference documentation of the declarations as reStructuredText."""
        from .params_docs import to_rst
        return to_rst(self, root, title)

    def to_markdown(self, root=None, title: str | None = None) -> str:
        """Reference documentation of the declarations as Markdown."""
        from .params_docs import to_markdown
        return to_markdown(self, root, title)


def _infer_type(default) -> list:
    if isinstance(default, (bool, np.bool_)):
        return ["bool"]
    if isinstance(default, (int, np.integer)):
        return ["int"]
    if isinstance(default, (float, np.floating)):
        return ["float"]
    if isinstance(default, str):
        return ["str"]
    if isinstance(default, (list, tuple)):
        return ["tuple", "list"]
    if isinstance(default, np.ndarray):
        return ["array"]
    if isinstance(default, Mapping):
        return ["Param"]
    if default is None:
        return []
    return []


def _clone(desc, tree, parent, name):
    node = parent.children.get(name)
    if node is None:
        node = Descriptor(tree, name, parent)
        parent.children[name] = node
    node.type = list(desc.type)
    node._default = copy_value(desc._default) if desc._default is not MISSING else MISSING
    for k in ("lowlim", "uplim", "userlevel", "help", "doc", "declared"):
        setattr(node, k, getattr(desc, k))
    node.choices = None if desc.choices is None else list(desc.choices)
    for c in desc.children.values():
        _clone(c, tree, node, c.name)
    return node
