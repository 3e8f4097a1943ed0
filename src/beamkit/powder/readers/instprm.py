"""GSAS-II instrument parameter files (.instprm), single- or multi-bank.

Returns flat values {key: float | str}; ``Gonio. radius``, ``Diff-type`` and
``InstrName`` go to the sample parameters.  Multi-line ``CorrectionCode``
blocks are kept as text and never executed.
"""
from __future__ import annotations

import re

from ...core.log import get_logger
from ...errors import FormatError
from .base import read_lines, to_float

__all__ = ["read_instprm", "parse_instprm_lines"]

log = get_logger("beamkit.powder")
_BANK = re.compile(r"^#\s*Bank\s+(\d+)", re.I)
_STRING_KEYS = {"Type", "Source", "InstrName", "Diff-type"}
_SAMPLE_KEYS = {"Gonio. radius": "Gonio. radius", "Gonio.radius": "Gonio. radius",
                "Diff-type": "Type", "InstrName": "InstrName"}
_MULTILINE = {"CorrectionCode", "pdabc"}


def parse_instprm_lines(lines, path, first_line: int = 1) -> dict:
    """Parse key:value lines (one bank) -> {'inst': {...}, 'sample': {...}, 'code': str|None, 'pdabc': str|None}."""
    inst, sample, extra = {}, {}, {"CorrectionCode": None, "pdabc": None}
    k = 0
    while k < len(lines):
        raw = lines[k]
        lineno = first_line + k
        k += 1
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        head = s.split(":", 1)[0].strip()
        items = [s] if head in _MULTILINE else s.split(";")
        for item in items:
            if not item.strip():
                continue
            if ":" not in item:
                raise FormatError("instrument parameter without ':'", path=path, line=lineno,
                                  expected="key:value", got=item.strip())
            key, _, val = item.partition(":")
            key = key.strip()
            val = val.strip()
            if key in _MULTILINE and (val.startswith("'''") or val.startswith('"""')):
                quote = val[:3]
                body = [val[3:]]
                while quote not in body[-1]:
                    if k >= len(lines):
                        raise FormatError(f"unterminated {quote} block of {key}", path=path, line=lineno,
                                          expected=quote)
                    body.append(lines[k])
                    k += 1
                body[-1] = body[-1][:body[-1].index(quote)]
                extra[key] = "\n".join(body)
                break
            if key in _SAMPLE_KEYS:
                sk = _SAMPLE_KEYS[key]
                sample[sk] = val if key in ("Diff-type", "InstrName") else to_float(val, path, lineno, key)
                continue
            if key in _STRING_KEYS:
                if key == "Type":
                    if not re.fullmatch(r"P[XN][CTBAE]", val.replace(" ", "")):
                        raise FormatError("unknown histogram Type", path=path, line=lineno,
                                          expected="PXC, PNC, PNT, PXB, PNB, PXA or PXE", got=val)
                    inst["Type"] = val.replace(" ", "")
                continue
            inst[key.replace(" ", "")] = to_float(val.replace(" ", ""), path, lineno, key)
    if extra["CorrectionCode"]:
        log.warning("%s: CorrectionCode block ignored (beamkit never executes code from data files)", path)
    return {"inst": inst, "sample": sample, "code": extra["CorrectionCode"], "pdabc": extra["pdabc"]}


def read_instprm(path, bank=None, allow_code: bool = False) -> dict:
    """Read a .instprm file; ``bank`` (1-based) picks a bank of a multi-bank file (default: first).

    ``allow_code`` is accepted for API symmetry but code is never executed.
    """
    lines = read_lines(path)
    if not lines or "GSAS-II" not in lines[0]:
        raise FormatError("not a GSAS-II instrument parameter file", path=path, line=1,
                          expected="a first line containing 'GSAS-II'", got=lines[0] if lines else "")
    starts = [(i, int(m.group(1))) for i, ln in enumerate(lines) if (m := _BANK.match(ln.strip()))]
    if not starts:
        sections = [(1, 0, len(lines))]
    else:
        sections = [(b, i + 1, starts[j + 1][0] if j + 1 < len(starts) else len(lines))
                    for j, (i, b) in enumerate(starts)]
    if bank is None:
        chosen = sections[0]
    else:
        found = [s for s in sections if s[0] == int(bank)]
        if not found:
            if not starts and int(bank) == 1 or not starts:
                chosen = sections[0]
            else:
                raise FormatError(f"bank {bank} not in file", path=path, line=len(lines),
                                  expected=f"one of banks {[s[0] for s in sections]}")
        else:
            chosen = found[0]
    b, i0, i1 = chosen
    out = parse_instprm_lines(lines[i0:i1], path, first_line=i0 + 1)
    if "Type" not in out["inst"]:
        raise FormatError("no Type in instrument parameters", path=path, line=i0 + 1,
                          expected="a 'Type:PXC|PNC|PNT…' entry")
    out["inst"].setdefault("Bank", float(b))
    out["bank"] = b
    return out
