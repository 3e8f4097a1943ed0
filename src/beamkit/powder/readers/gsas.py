"""GSAS powder data files (.XRA, .CWN, .gsa, .fxye, .raw): STD, ESD, FXYE, FXY and ALT banks.

x is returned in GSAS units divided by 100: 2θ in degrees for CW (the file
holds centidegrees) and µs/100 for TOF (the project multiplies by 100 again),
as GSAS-II's reader does.  STD banks keep nchan − 1 points (GSAS-II quirk 8e).
"""
from __future__ import annotations

import re

import numpy as np

from ...errors import FormatError
from .base import PowderBank, read_lines, to_float

__all__ = ["read_gsas", "looks_like_gsas"]

_TYPES = ("STD", "ESD", "FXYE", "FXY", "ALT")
_BINTYPES = ("CONST", "CONS", "SLOG", "RALF", "TIME_MAP")
_COMMENT_KEYS = {"temp": "Temperature", "gonio": "Gonio. radius", "omega": "Omega", "chi": "Chi",
                 "phi": "Phi", "pressure": "Pressure"}


def looks_like_gsas(lines) -> bool:
    """True when a line (after the title) starts with 'BANK'."""
    return any(ln.startswith("BANK") for ln in lines[1:200])


def _fixed_block(lines, width, per_line, first_line, dtype=None):
    """Fixed-width records of a block of lines as a numpy bytes array, plus each field's line number."""
    total = width * per_line
    block = "".join(ln[:total].ljust(total) for ln in lines).encode("latin-1", "replace")
    arr = np.frombuffer(block, dtype=dtype or f"S{width}")
    lineno = first_line + np.repeat(np.arange(len(lines)), per_line)
    return arr, lineno


def _to_floats(fields, lineno, path, what, blank=0.0):
    """Vectorised float conversion; blanks -> ``blank``; a bad field raises FormatError with its line."""
    stripped = np.char.strip(np.asarray(fields))
    empty = np.char.str_len(stripped) == 0
    stripped = np.where(empty, str(blank).encode() if stripped.dtype.kind == "S" else str(blank), stripped)
    try:
        out = stripped.astype(float)
    except ValueError:
        for s, ln in zip(stripped, lineno):  # error path only: find the bad field
            to_float(s.decode("latin-1") if isinstance(s, bytes) else s, path, int(ln), what)
        raise
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        raise FormatError(f"non-finite number in {what}", path=path, line=int(lineno[i]),
                          expected="a finite number", got=stripped[i].decode("latin-1") if isinstance(stripped[i], bytes) else str(stripped[i]))
    return out


def _parse_bank_line(line, path, lineno):
    tok = line.split()
    if len(tok) < 5:
        raise FormatError("short BANK line", path=path, line=lineno,
                          expected="BANK ibank nchan nrec BINTYP bcoef1 … [TYPE]", got=line.strip())
    try:
        ibank, nchan, nrec = int(tok[1]), int(tok[2]), int(tok[3])
    except ValueError:
        raise FormatError("bad BANK line", path=path, line=lineno,
                          expected="integers ibank nchan nrec", got=line.strip()) from None
    bintyp = tok[4].upper()
    if bintyp not in _BINTYPES:
        raise FormatError("unknown binning on BANK line", path=path, line=lineno,
                          expected="/".join(_BINTYPES), got=tok[4])
    rest = tok[5:]
    typ = "STD"
    if rest and rest[-1].upper() in _TYPES:
        typ = rest[-1].upper()
        rest = rest[:-1]
    coefs = [to_float(t, path, lineno, "BANK coefficients") for t in rest]
    if nchan < 2 or nrec < 0:
        raise FormatError("bad channel count on BANK line", path=path, line=lineno,
                          expected="nchan >= 2", got=nchan)
    if bintyp in ("CONST", "CONS", "SLOG") and len(coefs) < 2:
        raise FormatError("missing start/step on BANK line", path=path, line=lineno,
                          expected=f"{bintyp} start step …", got=line.strip())
    return ibank, nchan, bintyp, coefs, typ


def _grid(bintyp, coefs, n):
    if bintyp in ("CONST", "CONS"):
        return (coefs[0] + coefs[1] * np.arange(n)) / 100.0
    if bintyp == "SLOG":
        return coefs[0] * (1.0 + coefs[2]) ** np.arange(n) / 100.0
    return None


def _parse_comment(line, sample):
    text = line[1:]
    if "=" not in text:
        return
    key, _, val = text.partition("=")
    k = key.strip().lower()
    for prefix, name in _COMMENT_KEYS.items():
        if k.startswith(prefix):
            m = re.match(r"\s*([-+0-9.eE]+)", val)
            if m:
                try:
                    sample[name] = float(m.group(1))
                except ValueError:
                    pass
            return


def _read_bank(path, lines, start, end, header_line, ibank, nchan, bintyp, coefs, typ, comments, sample):
    body = [ln for ln in lines[start:end]]
    first = start + 1  # 1-based line number of body[0]
    # drop trailing blank lines / comment lines at the end of the bank
    while body and (not body[-1].strip() or body[-1].startswith("#")):
        body.pop()
    if not body:
        raise FormatError(f"bank {ibank} has no data", path=path, line=header_line,
                          expected=f"{nchan} channels after the BANK line")
    if typ == "STD":
        need = nchan - 1
        fields, lno = _fixed_block(body, 8, 10, first, dtype=[("n", "S2"), ("y", "S6")])
        if fields.size < need:
            raise FormatError(f"bank {ibank} truncated: {fields.size} values for {nchan} channels",
                              path=path, line=first + len(body) - 1, expected=f"{nchan} STD values")
        fields, lno = fields[:need], lno[:need]
        nfield, yfield = fields["n"], fields["y"]
        ni = _to_floats(nfield, lno, path, "STD count multiplier", blank=1.0)
        ni = np.where(ni < 1, 1.0, ni)
        y = _to_floats(yfield, lno, path, "STD intensity")
        y = np.where(y > 0, y, 0.0)
        w = np.where(y > 0, ni / np.where(y > 0, y, 1.0), 0.0)
        x = _grid(bintyp, coefs, need)
    elif typ == "ESD":
        fields, lno = _fixed_block(body, 8, 10, first)
        npair = fields.size // 2
        if npair < nchan:
            raise FormatError(f"bank {ibank} truncated: {npair} pairs for {nchan} channels",
                              path=path, line=first + len(body) - 1, expected=f"{nchan} (y, esd) pairs")
        vals = _to_floats(fields[:2 * nchan], lno[:2 * nchan], path, "ESD data")
        y, e = vals[0::2], vals[1::2]
        w = np.where((e > 0) & (y > 0), 1.0 / np.where(e > 0, e, 1.0) ** 2, 0.0)
        y = np.where(y > 0, y, 0.0)
        x = _grid(bintyp, coefs, nchan)
    elif typ in ("FXYE", "FXY"):
        ncol = 3 if typ == "FXYE" else 2
        rows = []
        for k, ln in enumerate(body):
            tok = ln.replace(",", " ").split()
            if len(tok) < ncol:
                raise FormatError(f"{typ} line with {len(tok)} columns", path=path, line=first + k,
                                  expected=f"{ncol} numbers (x y{' esd' if ncol == 3 else ''})", got=ln.strip())
            rows.append(tok[:ncol])
        if len(rows) < min(nchan, 2):
            raise FormatError(f"bank {ibank} truncated: {len(rows)} rows for {nchan} channels", path=path,
                              line=first + len(body) - 1, expected=f"{nchan} rows")
        rows = rows[:nchan]
        arr = np.array(rows)
        lno = first + np.arange(len(rows))
        vals = np.stack([_to_floats(arr[:, j], lno, path, f"{typ} column {j + 1}") for j in range(ncol)], 1)
        x, y = vals[:, 0] / 100.0, vals[:, 1]
        if typ == "FXYE":
            e = vals[:, 2]
            w = np.where((y > 0) & (e > 0), 1.0 / np.where(e > 0, e, 1.0) ** 2, 0.0)
        else:
            w = np.where(y > 0, 1.0 / np.where(y > 0, y, 1.0), 0.0)
        y = np.where(y > 0, y, 0.0)
        if np.any(np.diff(x) <= 0):
            i = int(np.argmax(np.diff(x) <= 0)) + 1
            raise FormatError("x values not increasing", path=path, line=int(lno[i]),
                              expected="increasing x", got=rows[i][0])
    else:  # ALT: 4 triplets per line, x F8 (/32 µs), y F7/1000, esd F6/1000
        width = 21
        block = [ln.ljust(84) for ln in body]
        trip = [(b[i * width:i * width + 8], b[i * width + 8:i * width + 15], b[i * width + 15:i * width + 21],
                 first + k) for k, b in enumerate(block) for i in range(4)]
        if len(trip) < nchan:
            raise FormatError(f"bank {ibank} truncated", path=path, line=first + len(body) - 1,
                              expected=f"{nchan} ALT triplets")
        trip = trip[:nchan]
        lno = np.array([t[3] for t in trip])
        xs = _to_floats(np.array([t[0] for t in trip]), lno, path, "ALT x")
        ys = _to_floats(np.array([t[1] for t in trip]), lno, path, "ALT y")
        es = _to_floats(np.array([t[2] for t in trip]), lno, path, "ALT esd")
        x, y, e = xs / 3200.0, ys / 1000.0, es / 1000.0
        w = np.where((y > 0) & (e > 0), 1.0 / np.where(e > 0, e, 1.0) ** 2, 0.0)
        y = np.where(y > 0, y, 0.0)
    if x is None:
        raise FormatError(f"{bintyp} binning needs x in the data", path=path, line=header_line,
                          expected="CONST/CONS/SLOG with STD/ESD, or FXYE/FXY/ALT data", got=typ)
    return PowderBank(x=np.asarray(x, float), y=np.asarray(y, float), w=np.asarray(w, float), bank=ibank,
                      comments=list(comments), sample=dict(sample), is_gsas=True, path=str(path), fmt=typ)


def read_gsas(path, bank=None, all_banks: bool = False) -> list:
    """Read a GSAS powder file; returns a list of :class:`PowderBank` (one, or all with ``all_banks``).

    ``bank``: the 1-based bank number to read (default: the first bank).
    """
    lines = read_lines(path)
    if not lines:
        raise FormatError("empty file", path=path, line=1, expected="a title line then BANK records")
    comments, sample = [lines[0].strip()], {}
    starts = []
    for i, ln in enumerate(lines):
        if i == 0:
            continue
        if ln.startswith("#"):
            if not starts:
                comments.append(ln[1:].strip())
                _parse_comment(ln, sample)
        elif ln.startswith("BANK"):
            starts.append(i)
        elif ln.upper().startswith("BANK"):
            raise FormatError("malformed BANK line", path=path, line=i + 1, expected="'BANK' in capitals",
                              got=ln.strip())
    if not starts:
        raise FormatError("no BANK line", path=path, line=len(lines), expected="a 'BANK ibank nchan …' line")
    out = []
    for j, s in enumerate(starts):
        ibank, nchan, bintyp, coefs, typ = _parse_bank_line(lines[s], path, s + 1)
        if bank is not None and not all_banks and ibank != int(bank):
            continue
        end = starts[j + 1] if j + 1 < len(starts) else len(lines)
        out.append(_read_bank(path, lines, s + 1, end, s + 1, ibank, nchan, bintyp, coefs, typ, comments,
                              sample))
        if not all_banks:
            break
    if not out:
        raise FormatError(f"bank {bank} not found", path=path,
                          expected=f"one of banks {[int(lines[s].split()[1]) for s in starts]}")
    return out
