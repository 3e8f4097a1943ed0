"""Safe file writing and format sniffing.

Every writer in beamkit goes through :func:`atomic_write` (or
:func:`atomic_path` for libraries such as h5py that open the file by name):
the data goes to a temporary file in the same folder, is flushed and
fsync'ed, and only then renamed over the target, so an interrupted write
leaves the previous file intact.
"""
from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from pathlib import Path

from ..errors import FormatError, ParameterError

__all__ = ["atomic_write", "atomic_path", "sniff_format", "read_head", "open_hdf5_group", "MAGIC"]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    Use for writers that take a file name (h5py, matplotlib, fabio).  On any
    exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb", encoding: str | None = None, newline: str | None = None):
    """Open ``path`` for writing atomically; ``mode`` is 'w' or 'wb'.

    >>> with atomic_write("out.txt", "w") as fh:
    ...     fh.write("hello")
    """
    if mode not in ("w", "wb", "wt"):
        raise ParameterError("atomic_write mode", "'w' or 'wb'", mode)
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


# Magic bytes -> format name.  Checked in order; first match wins.
MAGIC = [
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
    (b"\x1f\x8b", "gzip"),
    (b"OMAS_BF\n", "obf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x89PNG", "png"),
    (b"###CBF", "cbf"),
    (b"\x80\x02", "pickle"),
    (b"\x80\x03", "pickle"),
    (b"\x80\x04", "pickle"),
    (b"\x80\x05", "pickle"),
    (b"PK\x03\x04", "zip"),
    (b"{", "json"),
]


def read_head(path, n: int = 512) -> bytes:
    """The first ``n`` bytes of a file; a missing file raises FileNotFoundError."""
    with open(path, "rb") as fh:
        return fh.read(n)


def sniff_format(path) -> str:
    """Name the format of a file from its first bytes.

    Returns one of 'hdf5', 'gzip', 'obf', 'tiff', 'png', 'cbf', 'pickle',
    'zip', 'json', 'msgpack', 'cif', 'text' or 'unknown'.
    """
    head = read_head(path, 512)
    if not head:
        raise FormatError("file is empty", path=path, offset=0, expected="a non-empty file")
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"MSRF") or head[:16].startswith(b"OMAS_BF"):
        return "obf"
    # DIALS msgpack: an array whose first element is the string "dials::af::reflection_table"
    if head[:1] in (b"\x93", b"\x94", b"\x95", b"\xdc") and b"dials::af::reflection_table" in head[:64]:
        return "msgpack"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "unknown"
    lowered = text.lower()
    if "data_" in lowered and ("_cell_" in lowered or "loop_" in lowered or lowered.lstrip().startswith("data_")):
        return "cif"
    return "text"


def open_maybe_gzip(path):
    """Open a binary file for reading, transparently un-gzipping it."""
    head = read_head(path, 2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


@contextlib.contextmanager
def open_hdf5_group(path, group: str = "/", marker: str | None = None, what: str = "beamkit object"):
    """Open ``path`` read-only and yield its ``group`` (an h5py Group).

    Raises :class:`FormatError` naming the file when it is not HDF5, when the group is
    missing, or when the group lacks the attribute ``marker`` (what the writer sets).
    """
    import h5py
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"cannot open as HDF5 ({exc})", path=path, expected="an HDF5 file") from None
    with fh:
        if group not in fh or (marker is not None and marker not in fh[group].attrs):
            raise FormatError(f"group {group!r} holds no {what}", path=path,
                              expected=f"attribute {marker}" if marker else f"group {group!r}")
        yield fh[group]
