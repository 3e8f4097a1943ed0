"""Powder data, instrument-parameter and phase readers (GSAS-II's formats)."""
from __future__ import annotations

from pathlib import Path

from ...errors import FormatError, ParameterError
from .base import PowderBank, read_lines
from .gsas import looks_like_gsas, read_gsas
from .instprm import read_instprm
from .prm import read_prm
from .xye import read_csv, read_xye

__all__ = ["PowderBank", "read_powder", "read_instrument", "read_gsas", "read_xye", "read_csv",
           "read_instprm", "read_prm"]

_GSAS_EXT = {".xra", ".cwn", ".gsa", ".gsas", ".fxye", ".fxy", ".raw", ".gs", ".dat"}


def _hint(fmthint):
    h = (fmthint or "").lower()
    if not h:
        return None
    if "gsas" in h:
        return "gsas"
    if "xye" in h or "topas" in h or h in ("xy",):
        return "xye"
    if "csv" in h or "comma" in h:
        return "csv"
    raise ParameterError("fmthint", "'GSAS powder', 'xye' or 'CSV'", fmthint)


def read_powder(path, fmthint=None, bank=None, all_banks: bool = False) -> list:
    """Read a powder data file -> list of :class:`PowderBank` (format from ``fmthint`` or the content)."""
    p = Path(path)
    if not p.is_file():
        raise FormatError("file not found", path=p, expected="a powder data file")
    kind = _hint(fmthint)
    if kind is None:
        ext = p.suffix.lower()
        if ext in (".xye", ".xy", ".qye"):
            kind = "xye"
        elif ext == ".csv":
            kind = "csv"
        elif looks_like_gsas(read_lines(p)[:200]):
            kind = "gsas"
        else:
            kind = "xye"
    if kind == "gsas":
        return read_gsas(p, bank=bank, all_banks=all_banks)
    if kind == "csv":
        return read_csv(p)
    return read_xye(p)


def read_instrument(path, bank=None, allow_code: bool = False, all_prm_terms: bool = False) -> dict:
    """Read .instprm or .prm/.inst/.ins -> {'inst': flat values, 'sample': {...}, 'bank': n}."""
    p = Path(path)
    if not p.is_file():
        raise FormatError("file not found", path=p, expected="an instrument parameter file")
    lines = read_lines(p)
    if lines and "GSAS-II" in lines[0]:
        return read_instprm(p, bank=bank, allow_code=allow_code)
    if any(ln.startswith("INS") for ln in lines[:50]):
        return read_prm(p, bank=bank, all_terms=all_prm_terms)
    raise FormatError("unknown instrument parameter format", path=p, line=1,
                      expected="a GSAS-II .instprm (first line names GSAS-II) or GSAS .prm ('INS' records)",
                      got=lines[0] if lines else "")
