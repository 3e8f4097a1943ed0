"""ptypy's ``rawread``: ``.raw`` frames of the FLI camera server (text header, then uint16 data).

The header is text lines up to one containing ``EOH``; line ``i`` holds ``name sep value...``
and is read by position as ptypy does (rows on line 3, columns on line 4, exposure times on
lines 5-7, time stamps on lines 8 and 10, monitor counts on 11, binning on 12-13, ROIs on
14-15). The data are the last ``rows * cols`` little-endian uint16 values of the file.

Differences from ptypy 0.9: a short or non-numeric header, or too little data, raises
:class:`~beamkit.errors.FormatError` naming the file and line; data are read as little-endian
whatever the machine; a list of names returns lists.
"""
from __future__ import annotations

import numpy as np

from ...core.log import get_logger
from ...errors import FormatError
from .edfIO import read_files

__all__ = ["rawread"]

log = get_logger("ptycho.io")

# meta name -> (header line index, kind): 'words' = the words after the separator, 'int'/'float'
# = the first of them, 'ints' = all of them as integers
_FIELDS = {"cam_server_version": (0, "words"), "ccd_model": (1, "words"), "rows": (2, "int"),
           "cols": (3, "int"), "exp_time": (6, "float"), "exp_time_theory": (4, "float"),
           "exp_time_measured": (5, "float"), "timestamp_string": (7, "words"),
           "timestamp_integer": (9, "int"), "monitorcounts": (10, "int"), "binning_rows": (11, "int"),
           "binning_cols": (12, "int"), "roi_visible": (13, "ints"), "roi_set": (14, "ints")}
_MAX_HEADER = 1 << 16


def _header(fh, filename):
    lines = []
    size = 0
    while True:
        raw = fh.readline()
        if not raw:
            raise FormatError(path=filename, line=len(lines), expected="a header line containing 'EOH'",
                              got="end of file")
        size += len(raw)
        if size > _MAX_HEADER:
            raise FormatError(path=filename, offset=size, expected="a header ending with 'EOH' in the first 64 KiB")
        lines.append(raw.decode("latin-1"))
        if "EOH" in lines[-1]:
            return lines


def _interpret(lines, filename) -> dict:
    meta = {}
    for name, (i, kind) in _FIELDS.items():
        words = lines[i].split()[2:] if i < len(lines) else []
        try:
            if kind == "words":
                meta[name] = words
            elif kind == "ints":
                meta[name] = [int(w) for w in words]
            else:
                meta[name] = (int if kind == "int" else float)(words[0])
        except (ValueError, IndexError):
            raise FormatError(path=filename, line=i + 1, key=name,
                              expected=f"'{name} = <{kind}>' (FLI .raw header)",
                              got=lines[i].strip() if i < len(lines) else "no such line") from None
    meta["raw_header"] = lines
    return meta


def _read_one(filename):
    try:
        fh = open(filename, "rb")
    except FileNotFoundError:
        raise FormatError(path=filename, expected="an existing .raw file", got="no such file") from None
    with fh:
        meta = _interpret(_header(fh, filename), filename)
        rows, cols = meta["rows"], meta["cols"]
        if rows <= 0 or cols <= 0:
            raise FormatError(path=filename, key="rows/cols", expected="positive image size", got=(rows, cols))
        nbytes = rows * cols * 2
        start = fh.tell()
        end = fh.seek(0, 2)
        if end - start < nbytes:
            raise FormatError(path=filename, offset=start, expected=f"{nbytes} bytes of uint16 data",
                              got=f"{end - start} bytes")
        fh.seek(end - nbytes)
        data = np.frombuffer(fh.read(nbytes), "<u2").reshape(rows, cols).astype(np.uint16)
    return data, meta


def rawread(filename, doglob=None, roi=None):
    """``d, meta = rawread(filename)``: an FLI ``.raw`` frame and its header (see module doc).

    ``doglob``, ``roi`` and lists of names as :func:`~beamkit.ptycho.io.edfIO.edfread`.
    """
    return read_files(filename, doglob, roi, _read_one)
