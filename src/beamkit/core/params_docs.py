"""Reference documentation (reStructuredText and Markdown) generated from a DescriptorTree."""
from __future__ import annotations

from collections.abc import Mapping

from .params_tree import MISSING
from .params_types import describe_limits

__all__ = ["to_rst", "to_markdown", "entries"]


def _display(path: str) -> str:
    """A wildcard ``a.scans.*`` is shown as ``a.scans.scan_00``."""
    parts = path.split(".")
    for i, p in enumerate(parts):
        if p == "*":
            parent = parts[i - 1] if i else "entry"
            parts[i] = (parent[:-1] if parent.endswith("s") else parent) + "_00"
    return ".".join(parts)


def entries(tree, root=None):
    """(display path, descriptor, depth) for every documented entry, depth first.

    Links are listed but not expanded (their targets are documented where declared);
    entries declared under a link node (such as its ``name``) are listed.
    """
    top = tree[root] if root else tree.root
    base = len(top.path.split(".")) if top.path else 0

    def walk(node):
        for c in node.children.values():
            yield _display(c.path), c, len(c.path.split(".")) - base
            yield from walk(c)
    yield from walk(top)


def _default_text(d):
    if d.is_link:
        ts = d.targets()
        first = d.default_target()
        return None, (first.path if first is not None else d.link), [t.path for t in ts] if d.is_multi_link else []
    if d.children:
        if d._default is not MISSING and not isinstance(d._default, Mapping):
            return repr(d._default), None, []
        return "{}", None, []
    return repr(d.default), None, []


def _types(d) -> str:
    return ", ".join(d.type) if d.type else "any"


def _notes(d):
    out = []
    lim = describe_limits(d.lowlim, d.uplim)
    if lim:
        out.append(("range", lim + " (inclusive)"))
    if d.choices:
        out.append(("choices", ", ".join(repr(c) for c in d.choices)))
    if d.userlevel is not None:
        out.append(("userlevel", str(d.userlevel)))
    return out


def to_rst(tree, root=None, title=None) -> str:
    """The tree as reStructuredText: one ``py:data`` directive per entry, sections per level."""
    title = title or f"{tree.name} parameters"
    lines = [title, "=" * len(title), "", "Generated from the declarations; limits are inclusive.", ""]
    for path, d, depth in entries(tree, root):
        if depth <= 2 and (d.children and not d.is_wildcard and d.name != "*"):
            lines += [path, ("-" if depth == 1 else "~") * len(path), ""]
        lines += [f".. py:data:: {path} ({_types(d)})", ""]
        if d.name == "*":
            lines += ["   *Wildcard*: any number of entries, each under a name of your choice.", ""]
        if d.help:
            lines += ["   " + d.help, ""]
        if d.doc:
            lines += ["   " + ln if ln.strip() else "" for ln in d.doc.splitlines()] + [""]
        text, link, targets = _default_text(d)
        if link is not None:
            lines += [f"   *default* = :py:data:`{link}`", ""]
            if targets:
                lines += ["   *chosen by* ``name`` among: " + ", ".join(f":py:data:`{t}`" for t in targets), ""]
        else:
            lines += [f"   *default* = ``{text}``", ""]
        for k, v in _notes(d):
            lines += [f"   *{k}*: {v}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(tree, root=None, title=None) -> str:
    """The tree as Markdown: a heading per container, a bullet block per entry."""
    title = title or f"{tree.name} parameters"
    lines = [f"# {title}", "", "Generated from the declarations; limits are inclusive.", ""]
    for path, d, depth in entries(tree, root):
        if d.children and not d.is_wildcard and d.name != "*" and depth <= 3:
            lines += [f"{'#' * (depth + 1)} {path}", ""]
        lines += [f"- **`{path}`** ({_types(d)})" + (f": {d.help}" if d.help else "")]
        if d.name == "*":
            lines += ["  - wildcard: any number of entries, each under a name of your choice"]
        if d.doc:
            lines += ["  - " + " ".join(ln.strip() for ln in d.doc.splitlines() if ln.strip())]
        text, link, targets = _default_text(d)
        if link is not None:
            lines += [f"  - default: see `{link}`"]
            if targets:
                lines += ["  - chosen by `name` among: " + ", ".join(f"`{t}`" for t in targets)]
        else:
            lines += [f"  - default: `{text}`"]
        for k, v in _notes(d):
            lines += [f"  - {k}: {v}"]
        lines += [""]
    return "\n".join(lines).rstrip() + "\n"
