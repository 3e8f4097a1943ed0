"""ptypy's ``imread``: common image files (PNG, TIFF, JPEG, BMP, ...) with PIL, plus meta data.

``d, meta = imread(f)``: ``d`` is ``numpy.array`` of the PIL image (2-D for grey, (rows, cols,
bands) for colour); ``meta`` is PIL's ``info`` dict plus ``format``, ``format_description``,
``mode`` and ``filename``, as ptypy.

Difference from ptypy 0.9: a file PIL does not recognise is handed to fabio (CBF, MAR, ADSC,
... detector images; ptypy tries an optional 12-bit TIFF library instead); its meta data are
fabio's header (numbers converted) with ``format`` = fabio's class name. A list of names
returns lists; a file neither can read raises :class:`~beamkit.errors.FormatError`.
"""
from __future__ import annotations

import os

import numpy as np

from ...core.log import get_logger
from ...errors import FormatError
from .edfIO import convert_str, read_files

__all__ = ["imread"]

log = get_logger("ptycho.io")


def readHeader(im) -> dict:
    """ptypy's meta dict of an open PIL image: its ``info`` plus format, description and mode."""
    meta = dict(im.info)
    meta["format"] = im.format
    meta["format_description"] = im.format_description
    meta["mode"] = im.mode
    return meta


def _read_fabio(filename):
    import fabio

    try:
        img = fabio.open(filename)
        data = np.asarray(img.data)
        header = dict(img.header or {})
    except Exception as exc:  # fabio raises many kinds for files it does not know
        raise FormatError(f"neither PIL nor fabio can read it ({type(exc).__name__}: {exc})", path=filename,
                          expected="an image file (PNG, TIFF, JPEG, ... or a detector format fabio reads)") from None
    if data.ndim < 2 or data.size == 0:
        raise FormatError(path=filename, expected="a 2-D image", got=getattr(data, "shape", None))
    meta = {str(k): convert_str(v) for k, v in header.items()}
    meta["format"] = type(img).__name__
    return data, meta


def _read_one(filename):
    from PIL import Image, UnidentifiedImageError

    if not os.path.isfile(filename):
        raise FormatError(path=filename, expected="an existing image file", got="no such file")
    try:
        im = Image.open(filename)
    except UnidentifiedImageError:
        return _read_fabio(filename)
    except OSError as exc:
        raise FormatError(str(exc), path=filename, expected="a readable image file") from None
    with im:
        try:
            meta = readHeader(im)
            data = np.array(im)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # damaged or truncated data
            raise FormatError(f"{type(exc).__name__}: {exc}", path=filename,
                              expected=f"a complete {im.format or 'image'} file") from None
    if data.ndim < 2 or data.size == 0 or data.dtype.hasobject:
        raise FormatError(path=filename, expected="an image of numbers", got=(data.shape, str(data.dtype)))
    return data, meta


def imread(filename, doglob=None, roi=None):
    """``d, meta = imread(filename)``: an image file as an array and its meta data (module doc).

    ``doglob``, ``roi`` and lists of names as :func:`~beamkit.ptycho.io.edfIO.edfread`.
    """
    return read_files(filename, doglob, roi, _read_one)
