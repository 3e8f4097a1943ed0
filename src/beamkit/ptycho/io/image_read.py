"""ptypy's ``image_read``: load image data from any supported file, chosen by extension.

``.edf`` -> :func:`~.edfIO.edfread`, ``.raw`` -> :func:`~.rawIO.rawread`, ``.h5`` ->
:func:`~.h5rw.h5read` and the first array found in it (meta ``{'filename', 'path'}``, the path
of the array inside the file with '/'), anything else -> :func:`~.imageIO.imread` (PIL, then
fabio). Extra positional and keyword arguments go to that reader (``roi=`` for images, variable
names for ``.h5``).

A name with wildcards (or ``doglob=True``) returns (list of images, list of meta dicts); when
the matches include exactly one of the extensions .edf/.raw/.h5, only those files are read, as
ptypy. Difference from ptypy 0.9: other matches are each read by the reader of their own
extension (ptypy sends them all to PIL); an unreadable file, or an ``.h5`` file without an
array, raises :class:`~beamkit.errors.FormatError` (ptypy: RuntimeError/TypeError).
"""
from __future__ import annotations

import glob
import os

import numpy as np

from ...errors import FormatError
from .edfIO import edfread
from .h5rw import h5read
from .imageIO import imread
from .rawIO import rawread

__all__ = ["image_read"]

SPECIAL_FORMATS = (".raw", ".edf", ".h5")


def _first_array(d, path=()):
    """(path parts, array) of the first numpy array in a nested dict (depth first), or None."""
    for k, v in d.items():
        if isinstance(v, np.ndarray):
            return path + (str(k),), v
        if isinstance(v, dict):
            found = _first_array(v, path + (str(k),))
            if found is not None:
                return found
    return None


def _read_h5(filename, *args, **kwargs):
    found = _first_array(h5read(filename, *args, doglob=False, **kwargs))
    if found is None:
        raise FormatError(path=filename, expected="an HDF5 file holding an array (image)", got="no array")
    parts, arr = found
    return arr, {"filename": filename, "path": "/".join(parts)}


def _read_file(filename, args, kwargs):
    ext = os.path.splitext(filename)[1].lower()
    if ext == ".h5":
        return _read_h5(filename, *args, **kwargs)
    reader = {".edf": edfread, ".raw": rawread}.get(ext, imread)
    return reader(filename, *args, doglob=False, **kwargs)


def image_read(filename, *args, **kwargs):
    """``(image, meta)`` of one file, or ``(images, metas)`` for wildcards (see module doc)."""
    doglob = kwargs.pop("doglob", None)
    if not isinstance(filename, (str, os.PathLike)):
        out = [_read_file(os.fspath(f), args, kwargs) for f in filename]
        return [d for d, _ in out], [m for _, m in out]
    filename = os.fspath(filename)
    if doglob is None:
        doglob = glob.has_magic(filename)
    if not doglob:
        return _read_file(filename, args, kwargs)
    names = sorted(glob.glob(os.path.expanduser(filename)))
    if not names:
        raise FileNotFoundError(f"{filename} : no match.")
    special = {os.path.splitext(n)[1].lower() for n in names} & set(SPECIAL_FORMATS)
    if len(special) == 1:
        ext = special.pop()
        names = [n for n in names if os.path.splitext(n)[1].lower() == ext]
    out = [_read_file(n, args, kwargs) for n in names]
    return [d for d, _ in out], [m for _, m in out]
