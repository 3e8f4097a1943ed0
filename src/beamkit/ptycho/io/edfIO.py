"""ptypy's ``edfread``: ESRF data format (EDF) images with their header as meta data, read by fabio.

``d, meta = edfread(f)``: ``meta`` holds every header entry (numbers converted to int or float,
as ptypy does), ``counter``/``motor`` dicts built from ``counter_mne``/``counter_pos`` and
``motor_mne``/``motor_pos``, ``headerlength`` (byte offset of the data), ``local_filename``
and ``filename``.

Differences from ptypy 0.9: fabio decodes the data, so every EDF data type and byte order
comes out right (ptypy maps e.g. 'SignedInteger' to uint32 and swaps only float data); a file
with several images gives a 3-D stack (ptypy fails); a list of file names returns lists, as
ptypy's docstring says (ptypy returns only the last file's); bad files raise
:class:`~beamkit.errors.FormatError`. ptypy's unfinished ``readData``/``writeData`` are not
provided.
"""
from __future__ import annotations

import glob
import os

import numpy as np

from ...core.log import get_logger
from ...errors import FormatError, ParameterError

__all__ = ["edfread"]

log = get_logger("ptycho.io")


def convert_str(s):
    """``'12'`` -> 12, ``'1.5'`` -> 1.5, anything else unchanged (stripped)."""
    s = str(s).strip()
    for kind in (int, float):
        try:
            return kind(s)
        except ValueError:
            pass
    return s


def file_list(filename, doglob):
    """(file names, return lists?) as ptypy's readers: wildcards glob when ``doglob`` is None/True."""
    if not isinstance(filename, (str, os.PathLike)):
        names = [os.fspath(f) for f in filename]
        return names, True
    filename = os.fspath(filename)
    if doglob is None:
        doglob = glob.has_magic(filename)
    if not doglob:
        return [filename], False
    names = sorted(glob.glob(os.path.expanduser(filename)))
    if not names:
        raise FileNotFoundError(f"{filename} : no match.")
    return names, True


def apply_roi(data, roi, name="roi"):
    """``data[r0:r1, c0:c1, ...]`` (a copy) for ``roi = (r0, r1, c0, c1)`` on an image, or on each
    image of a stack (n, rows, cols); None gives ``data``."""
    if roi is None:
        return data
    try:
        r0, r1, c0, c1 = (None if v is None else int(v) for v in roi)
    except (TypeError, ValueError):
        raise ParameterError(name, "(RowFrom, RowTo, ColumnFrom, ColumnTo) integers", roi) from None
    if data.ndim == 3:
        return data[:, r0:r1, c0:c1].copy()
    return data[r0:r1, c0:c1, ...].copy()


def read_files(filename, doglob, roi, read_one):
    """ptypy's reader loop: ``(data, meta)`` of one file, or lists for several (see :func:`file_list`);
    ``read_one(name) -> (array, meta dict)``; ``roi`` cuts every image; meta gets ``filename``."""
    names, as_list = file_list(filename, doglob)
    ldat, lmeta = [], []
    for f in names:
        log.info('Reading "%s"', f)
        dat, meta = read_one(f)
        meta["filename"] = f
        ldat.append(apply_roi(dat, roi))
        lmeta.append(meta)
    return (ldat, lmeta) if as_list else (ldat[0], lmeta[0])


def _with_devices(meta):
    for kind in ("counter", "motor"):
        mne, pos = meta.get(f"{kind}_mne"), meta.get(f"{kind}_pos")
        if isinstance(mne, str) and pos is not None:
            meta[kind] = dict(zip(mne.split(), (convert_str(p) for p in str(pos).split())))
    return meta


def readHeader(filename, headerlength=None) -> dict:
    """The header of the (first image of the) EDF file as ptypy's meta dict (see module doc).

    ``headerlength`` is accepted for ptypy's signature and ignored: fabio finds the header end.
    """
    return _read_one(filename)[1]


def _read_one(filename):
    import fabio.edfimage

    filename = os.fspath(filename)
    try:
        with open(filename, "rb") as fh:
            head = fh.read(64)
    except FileNotFoundError:
        raise FormatError(path=filename, expected="an existing EDF file", got="no such file") from None
    if not head.lstrip().startswith(b"{"):
        raise FormatError(path=filename, offset=0, expected="an EDF file (header starting with '{')",
                          got=head[:16])
    try:
        img = fabio.edfimage.EdfImage()
        img.read(filename)
        frames = [img] if img.nframes <= 1 else [img.getframe(i) for i in range(img.nframes)]
        datas = [np.asarray(fr.data) for fr in frames]
        header = dict(img.header)
        start = getattr(img._frames[0], "start", None) if getattr(img, "_frames", None) else None
    except Exception as exc:  # fabio raises many kinds for damaged files
        raise FormatError(f"fabio cannot read it ({type(exc).__name__}: {exc})", path=filename,
                          expected="an EDF file with a complete header and data block") from None
    if any(d is None or d.ndim != 2 or d.size == 0 for d in datas):
        raise FormatError(path=filename, expected="2-D EDF images", got=[getattr(d, "shape", None) for d in datas])
    if len(datas) > 1 and len({d.shape for d in datas}) > 1:
        raise FormatError(path=filename, expected="images of one shape", got=[d.shape for d in datas])
    data = datas[0] if len(datas) == 1 else np.stack(datas)
    meta = _with_devices({str(k): convert_str(v) for k, v in header.items()})
    meta["headerlength"] = start
    meta["local_filename"] = filename
    if len(datas) > 1:
        meta["nframes"] = len(datas)
    return data, meta


def edfread(filename, doglob=None, roi=None):
    """``d, meta = edfread(filename)``: the image of an EDF file and its header (see module doc).

    ``doglob=None`` globs names with wildcards and then returns lists; ``True`` always returns
    lists; ``False`` ignores wildcards. ``roi=(RowFrom, RowTo, ColumnFrom, ColumnTo)`` cuts
    every image. A list of names returns lists.
    """
    return read_files(filename, doglob, roi, _read_one)