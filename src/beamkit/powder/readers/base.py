"""Common pieces of the powder readers: the bank record and text-file helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import FormatError

__all__ = ["PowderBank", "read_lines", "to_float"]


@dataclass
class PowderBank:
    """One data bank as read: x (2θ ° for CW, µs/100 for GSAS TOF, see ``is_gsas``), y, w = 1/σ²."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    bank: int = 1
    comments: list = field(default_factory=list)
    sample: dict = field(default_factory=dict)
    is_gsas: bool = False
    path: str = ""
    fmt: str = ""


def read_lines(path) -> list:
    """Lines of a text file (latin-1, line endings stripped); FormatError if missing or binary."""
    p = Path(path)
    if not p.is_file():
        raise FormatError("file not found", path=p, expected="a readable file")
    raw = p.read_bytes()
    if b"\x00" in raw[:4096]:
        raise FormatError("binary content in a text format", path=p, offset=raw.index(b"\x00"),
                          expected="text")
    return raw.decode("latin-1").splitlines()


def to_float(text: str, path, line: int, what: str) -> float:
    """float(text) or a FormatError naming the file, line and field."""
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        raise FormatError(f"bad number in {what}", path=path, line=line, expected="a number",
                          got=t) from None
    if not np.isfinite(v):
        raise FormatError(f"non-finite number in {what}", path=path, line=line,
                          expected="a finite number", got=t)
    return v
