"""GSAS instrument parameter files (.prm, .ins, .inst) as GSAS-II reads them.

Lines are keyed by their first 12 characters ('INS  1 ICONS', 'INS  1PRCF11', …).
CW profile terms follow GSAS-II (quirk 4): only U, V, W are read; X = Y = Z = 0
and SH/L = 0.002.  ``all_terms=True`` reads X, Y and SH/L (= S/L + H/L) from
GSAS profile type 3 instead (not GSAS-II's behaviour).
"""
from __future__ import annotations

import re

from ...errors import FormatError
from .base import read_lines, to_float

__all__ = ["read_prm"]

_INS = re.compile(r"^INS\s*(\d+)")


def _fields(val: str, path, lineno, n=None, what="values"):
    tok = val.split()
    if n is not None and what.endswith("header"):
        tok = tok[:n]
    if n is not None and len(tok) < n:
        raise FormatError(f"too few {what}", path=path, line=lineno, expected=f"{n} numbers", got=val.strip())
    return [to_float(t, path, lineno, what) for t in tok]


def _fixed(val: str, a: int, b: int, path, lineno, what) -> float:
    t = val[a:b].strip()
    return 0.0 if not t else to_float(t, path, lineno, what)


def read_prm(path, bank=None, all_terms: bool = False) -> dict:
    """Read a GSAS .prm/.inst file -> {'inst': flat values, 'sample': {...}, 'bank': n}."""
    lines = read_lines(path)
    entries = {}
    for i, ln in enumerate(lines):
        if not ln.startswith("INS"):
            continue
        key, val = ln[:12], ln[12:]
        entries[key] = (val, i + 1)
    if not entries:
        raise FormatError("no 'INS' records", path=path, line=1, expected="GSAS instrument records 'INS …'")
    nbanks = 1
    if "INS   BANK  " in entries:
        v, ln = entries["INS   BANK  "]
        try:
            nbanks = int(v.split()[0])
        except (ValueError, IndexError):
            raise FormatError("bad bank count", path=path, line=ln, expected="an integer", got=v.strip()) from None
    b = 1 if bank is None else int(bank)
    if b < 1 or b > max(nbanks, 1):
        raise FormatError(f"bank {bank} not in file", path=path, line=entries.get("INS   BANK  ", ("", 1))[1],
                          expected=f"a bank between 1 and {nbanks}")
    tag = f"INS{b:3d}"

    def get(name, required=True):
        key = (tag + name)[:12].ljust(12)
        if key in entries:
            return entries[key]
        if required:
            raise FormatError(f"missing record '{key.strip()}'", path=path, line=len(lines),
                              expected=f"a '{key}' line for bank {b}")
        return None, None

    if "INS   HTYPE " not in entries:
        raise FormatError("missing 'INS   HTYPE' record", path=path, line=len(lines), expected="INS   HTYPE PXCR|PNCR|PNTR")
    htype_val, htype_line = entries["INS   HTYPE "]
    htype = htype_val.split()[0] if htype_val.split() else ""
    if not re.fullmatch(r"P[XNE][CTE]R?", htype):
        raise FormatError("unknown histogram type", path=path, line=htype_line,
                          expected="PXCR, PNCR or PNTR", got=htype)
    typ = htype[:3]
    inst, sample = {"Type": typ, "Bank": float(b)}, {}
    if typ[2] == "C":
        v, ln = get(" ICONS")
        lam1 = _fixed(v, 0, 10, path, ln, "ICONS lambda 1")
        lam2 = _fixed(v, 10, 20, path, ln, "ICONS lambda 2")
        zero = _fixed(v, 20, 30, path, ln, "ICONS zero") / 100.0
        pola = _fixed(v, 40, 50, path, ln, "ICONS polarization")
        ratio = _fixed(v, 55, 65, path, ln, "ICONS I(L2)/I(L1)")
        if lam1 <= 0:
            raise FormatError("wavelength must be positive", path=path, line=ln, expected="lambda 1 > 0", got=v[:10])
        if lam2 > 0:
            inst.update({"Lam1": lam1, "Lam2": lam2, "I(L2)/I(L1)": ratio})
            sample["Type"] = "Bragg-Brentano"
        else:
            inst["Lam"] = lam1
            sample["Type"] = "Debye-Scherrer"
        inst.update({"Zero": zero, "Polariz.": pola})
        v, ln = get("PRCF1 ")
        head = _fields(v, path, ln, 2, "PRCF1 header")
        ptype = int(head[0])
        v1, ln1 = get("PRCF11")
        p1 = _fields(v1, path, ln1, 3, "PRCF11 terms")
        inst.update({"U": p1[0], "V": p1[1], "W": p1[2], "X": 0.0, "Y": 0.0, "Z": 0.0, "SH/L": 0.002})
        if all_terms and ptype == 3:
            v2, ln2 = get("PRCF12")
            p2 = _fields(v2, path, ln2, 4, "PRCF12 terms")
            inst.update({"X": p2[0], "Y": p2[1], "SH/L": max(p2[2] + p2[3], 0.002)})
        inst["Azimuth"] = 0.0
    else:  # TOF
        v, ln = get(" ICONS")
        ic = _fields(v, path, ln, 3, "ICONS (difC difA zero)")
        inst.update({"difC": ic[0], "difA": ic[1], "Zero": ic[2], "difB": ic[3] if len(ic) > 3 else 0.0})
        v, ln = get("BNKPAR")
        bp = _fields(v, path, ln, 2, "BNKPAR (flight path, 2-theta)")
        inst.update({"fltPath": bp[0], "2-theta": bp[1]})
        fp, fln = get("FPATH1", required=False)
        if fp is not None:
            inst["fltPath"] += _fields(fp, path, fln, 1, "FPATH1")[0]
        v, ln = get("PRCF1 ")
        head = _fields(v, path, ln, 2, "PRCF1 header")
        ptype, nterm = int(head[0]), int(head[1])
        if ptype < 0:
            raise FormatError("PAB tables are not read", path=path, line=ln, expected="profile type 1, 3, 4 or 5",
                              got=ptype)
        terms = []
        k = 1
        while len(terms) < nterm:
            vv, lk = get(f"PRCF1{k}", required=False)
            if vv is None:
                raise FormatError("profile terms end early", path=path, line=ln,
                                  expected=f"{nterm} PRCF1n terms", got=len(terms))
            terms += _fields(vv, path, lk, None, "profile terms")
            k += 1
        t = terms + [0.0] * 12
        if ptype == 1:
            inst.update({"alpha": t[0], "beta-0": t[1], "beta-1": t[2], "sig-0": t[3], "sig-1": t[4],
                         "sig-2": t[5], "X": 0.0, "Y": 0.0, "Z": 0.0})
        elif ptype in (3, 4, 5):
            inst.update({"alpha": t[0], "beta-0": t[1], "beta-1": t[2], "sig-0": t[3], "sig-1": t[4],
                         "sig-2": t[5], "Z": t[6], "X": t[7], "Y": t[8]})
        else:
            raise FormatError("unsupported TOF profile type", path=path, line=ln, expected="1, 3, 4 or 5",
                              got=ptype)
        inst.update({"beta-q": 0.0, "sig-q": 0.0, "Azimuth": 0.0})
    return {"inst": inst, "sample": sample, "bank": b, "code": None, "pdabc": None}
