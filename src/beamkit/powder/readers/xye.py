"""Column powder data: Topas-style .xye/.xy and .csv (x in 2θ degrees or TOF µs).

Weights as GSAS-II's xye reader sets them: y ≤ 0 -> y = 0, w = 0; three
columns with esd < 0 -> the line is skipped; three columns with esd ≠ 0 ->
w = 1/esd²; otherwise w = 1/y.
"""
from __future__ import annotations

import re

import numpy as np

from ...errors import FormatError
from .base import PowderBank, read_lines, to_float

__all__ = ["read_xye", "read_csv"]

_SPLIT = re.compile(r"[\s,;]+")


def _columns(path, lines, start, what):
    rows, lnos = [], []
    for k in range(start, len(lines)):
        ln = lines[k].strip()
        if not ln or ln[0] in "#'!":
            continue
        tok = [t for t in _SPLIT.split(ln) if t]
        if len(tok) < 2:
            raise FormatError(f"{what} line with {len(tok)} column(s)", path=path, line=k + 1,
                              expected="x y [esd]", got=ln)
        rows.append(tok)
        lnos.append(k + 1)
    if len(rows) < 2:
        raise FormatError(f"no {what} data", path=path, line=len(lines), expected="at least two x y rows")
    return rows, lnos


def _to_bank(path, rows, lnos, fmt):
    ncol = np.array([len(r) for r in rows])
    x = np.empty(len(rows))
    y = np.empty(len(rows))
    e = np.full(len(rows), np.nan)
    try:
        x[:] = [float(r[0]) for r in rows]
        y[:] = [float(r[1]) for r in rows]
        three = ncol == 3
        e[three] = [float(r[2]) for r, t in zip(rows, three) if t]
    except ValueError:
        for r, ln in zip(rows, lnos):  # error path: name the line
            for j, t in enumerate(r[:3]):
                to_float(t, path, ln, f"{fmt} column {j + 1}")
        raise
    bad = ~np.isfinite(x) | ~np.isfinite(y)
    if bad.any():
        i = int(np.argmax(bad))
        raise FormatError(f"non-finite value in {fmt} data", path=path, line=lnos[i],
                          expected="finite numbers", got=" ".join(rows[i]))
    keep = ~((ncol == 3) & (e < 0))
    x, y, e, ncol = x[keep], y[keep], e[keep], ncol[keep]
    use_e = (ncol == 3) & (e != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(use_e, 1.0 / np.where(use_e, e, 1.0) ** 2, 1.0 / np.where(y > 0, y, 1.0))
    w = np.where(y > 0, w, 0.0)
    y = np.where(y > 0, y, 0.0)
    if np.any(np.diff(x) <= 0):
        i = int(np.argmax(np.diff(x) <= 0)) + 1
        raise FormatError("x values not increasing", path=path, line=int(np.asarray(lnos)[keep][i]),
                          expected="increasing x")
    return PowderBank(x=x, y=y, w=w, bank=1, path=str(path), fmt=fmt)


def read_xye(path) -> list:
    """Read a Topas-style xye file (``/* … */`` or #, ', ! header lines); returns [PowderBank]."""
    lines = read_lines(path)
    start = 0
    comments = []
    if lines and lines[0].lstrip().startswith("/*"):
        for k, ln in enumerate(lines):
            comments.append(ln)
            if "*/" in ln:
                start = k + 1
                break
        else:
            raise FormatError("unterminated /* comment block", path=path, line=len(lines), expected="*/")
    rows, lnos = _columns(path, lines, start, "xye")
    b = _to_bank(path, rows, lnos, "xye")
    b.comments = [c.strip("/* ").strip() for c in comments if c.strip("/* ").strip()]
    return [b]


def read_csv(path) -> list:
    """Read comma-separated x, y[, esd] columns (a non-numeric first line is a header)."""
    lines = read_lines(path)
    start = 0
    for k, ln in enumerate(lines):
        s = ln.strip()
        if not s or s[0] in "#'!":
            continue
        tok = [t for t in _SPLIT.split(s) if t]
        try:
            float(tok[0])
            start = k
        except ValueError:
            start = k + 1
        break
    rows, lnos = _columns(path, lines, start, "csv")
    return [_to_bank(path, rows, lnos, "csv")]
