"""SpecPy's ``File``: read, write and append OBF / MSR files.

``File(path, File.Read | File.Write | File.Append, compatibility=False)``.
Writing goes to a temporary file renamed onto ``path`` when the File is
closed (``close()``, ``del file`` or a ``with`` block), so an interrupted
write never leaves a broken file.  Append copies the file, adds the stacks
and renames it back: unlike SpecPy's Append it never corrupts the file.
``compatibility=True`` writes exactly the bytes SpecPy 2026.20 writes (no
stack names, descriptions, column data or tags, one zlib flush per stack);
otherwise zlib data get a flush point after every xy plane, as Imspector
writes them, which lets readers inflate planes in parallel.
"""
from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from ..core.files import atomic_path
from . import obf_format as fmt
from .obf_format import FormatError
from .stack import Stack

__all__ = ["File"]


def _record_for(stack: Stack, compat: bool) -> fmt.StackRecord:
    si = fmt.si_units_for_labels(stack.labels(), stack.lengths()) if compat else stack.si_dimensions()
    return fmt.StackRecord(
        res=stack.shape(), lengths=stack.lengths(), offsets=stack.offsets(),
        dt=fmt.numpy_to_dt(stack.data().dtype), labels=stack.labels(), name=stack.name(),
        description=stack.description(), col_positions=dict(stack._col_positions),
        col_labels=dict(stack._col_labels), tags=dict(stack._tags), metadata=stack._metadata,
        si_dimensions=si)


def stack_from_record(rec: fmt.StackRecord, data) -> Stack:
    """A SpecPy Stack from a parsed record and its numpy data (no copy)."""
    from ..core.stack import Stack as CoreStack
    if data.ndim == 0 or data.ndim > 15:
        raise FormatError("unsupported rank", offset=rec.pos + 20, got=data.ndim)
    n = rec.rank
    extra = data.ndim - n  # RGB sample axis
    core = CoreStack(data, labels=([""] * extra) + rec.labels[::-1] if not extra else rec.labels[::-1] + [""],
                     lengths=(rec.lengths[::-1] + [float(data.shape[-1])] * extra),
                     offsets=(rec.offsets[::-1] + [0.0] * extra),
                     name=rec.name, description=rec.description)
    s = Stack.from_core(core)
    s._set_si(rec.si_dimensions[:n] + [fmt.DIMENSIONLESS] * extra)
    s._col_positions = dict(rec.col_positions)
    s._col_labels = dict(rec.col_labels)
    s._tags = dict(rec.tags)
    s._metadata = rec.metadata
    return s


def _number(v: str):
    if v in ("true", "false"):
        return v == "true"
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def _xml_to_dict(text: str) -> dict:
    """OME-XML -> ``{tag: [{attr: value, '': {child_tag: [...]}}]}`` ('' only when there are children)."""
    from xml.parsers import expat
    if not text.strip():
        return {}
    top: dict = {}
    stack = [top]

    def start(tag, attrs):
        d = {k: _number(v) for k, v in attrs.items()}
        parent = stack[-1]
        if parent is not top:
            parent = parent.setdefault("", {})
        parent.setdefault(tag, []).append(d)
        stack.append(d)

    def end(tag):
        stack.pop()

    p = expat.ParserCreate()
    p.StartElementHandler, p.EndElementHandler = start, end
    try:
        p.Parse(text.encode("utf-8"), True)
    except expat.ExpatError:
        return {}
    return top


class File:
    """An OBF/MSR file opened for reading, writing or appending."""

    Read = 0
    Write = 1
    Append = 2

    def __init__(self, path, mode=0, compatibility: bool = False, version: int = 7,
                 flush_per_plane: bool | None = None):
        self._path = Path(os.fspath(path))
        self._mode = mode
        self._fh = None
        self._cm = None
        self._compat = bool(compatibility)
        if flush_per_plane is None:     # Imspector's layout (parallel, partial reads) unless SpecPy's bytes are wanted
            flush_per_plane = not self._compat
        self._writer = fmt.StackWriter(compat=self._compat, version=version, flush_per_plane=flush_per_plane)
        self._records = []
        self._header = None
        if mode == File.Read:
            self._open_read()
        elif mode == File.Write:
            self._description = ""
            self._pending_header = True
            self._begin_temp(copy=False)
        elif mode == File.Append and not self._path.exists():
            self._mode = File.Write         # appending to a new file: same as writing it
            self._description = ""
            self._pending_header = True
            self._begin_temp(copy=False)
        elif mode == File.Append:
            self._open_read()
            self._description = self._header.description
            self._close_fh()
            self._begin_temp(copy=True)
        else:
            raise RuntimeError(f"Invalid file mode {mode!r}: use File.Read, File.Write or File.Append.")

    # --- opening and closing ---------------------------------------------------
    def _open_read(self):
        try:
            self._fh = open(self._path, "rb")
        except FileNotFoundError:
            raise RuntimeError("Could not open file: No such file or directory") from None
        except OSError as exc:
            raise RuntimeError(f"Could not open file: {exc.strerror}") from None
        size = os.fstat(self._fh.fileno()).st_size
        self._cur = fmt._Cursor(self._fh, self._path, size)
        try:
            self._header = fmt.read_file_header(self._cur)
            self._records = list(fmt.iter_stack_positions(self._cur, self._header))
        except BaseException:
            self._close_fh()
            raise

    def _begin_temp(self, copy: bool):
        self._cm = atomic_path(self._path, suffix=".obf.tmp")
        tmp = self._cm.__enter__()
        try:
            if copy:
                shutil.copyfile(self._path, tmp)
                self._fh = open(tmp, "r+b")
                self._prepare_append()
            else:
                self._fh = open(tmp, "w+b")
                self._stack_positions = []
        except BaseException as exc:
            self._abort(exc)
            raise

    def _prepare_append(self):
        h = self._header
        size = os.fstat(self._fh.fileno()).st_size
        end = size
        last = max([r.stack_end_disk for r in self._records], default=0)
        if h.version >= 2 and h.meta_pos and h.meta_pos >= last \
                and h.meta_pos + len(fmt.encode_tag_dict(h.tags)) == size:
            end = h.meta_pos  # the old tag dictionary sits at the end: overwrite it
        self._fh.truncate(end)
        self._fh.seek(end)
        self._stack_positions = [r.pos for r in self._records]
        self._pending_header = False
        self._file_tags = dict(h.tags)

    def _abort(self, exc):
        self._close_fh()
        if self._cm is not None:
            cm, self._cm = self._cm, None
            try:
                cm.__exit__(type(exc), exc, None)
            except BaseException:  # noqa: BLE001 - the original error matters
                pass

    def _close_fh(self):
        if self._fh is not None:
            try:
                self._fh.close()
            finally:
                self._fh = None

    def close(self) -> None:
        """Finish the file (writers: tag dictionary, then rename onto the path)."""
        if self._cm is None:
            self._close_fh()
            return
        try:
            self._finish()
            self._close_fh()
        except BaseException as exc:
            self._abort(exc)
            raise
        cm, self._cm = self._cm, None
        cm.__exit__(None, None, None)

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.close()
        else:
            self._abort(ev)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing sensible to do in a finaliser
            pass

    # --- description -----------------------------------------------------------
    def description(self) -> str:
        return self._header.description if self._mode == File.Read else self._description

    def set_description(self, text: str) -> None:
        if self._mode == File.Read:
            raise RuntimeError("File is opened for reading.")
        if self._mode == File.Append or not self._pending_header:
            raise RuntimeError("The description can only be set before the first stack is written.")
        self._description = str(text)

    # --- reading ---------------------------------------------------------------
    def number_of_stacks(self) -> int:
        if self._mode == File.Read:
            return len(self._records)
        return len(self._stack_positions)

    def records(self) -> list:
        """Parsed header/footer fields of every stack (:class:`obf_format.StackRecord`)."""
        return list(self._records)

    def header(self):
        return self._header

    def read(self, i) -> Stack:
        if self._mode != File.Read:
            raise RuntimeError("File is not opened for reading.")
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self._records):
            raise RuntimeError(f"Invalid stack index '{i}'.")
        rec = self._records[i]
        return stack_from_record(rec, fmt.read_stack_data(self._cur, rec))

    def metadata(self) -> dict:
        """The file's OME-XML as nested dicts, as SpecPy gives it: each element becomes
        ``{tag: [{attribute: value, '': {children...}}]}`` with numeric attributes converted."""
        xml = self._header.tags.get("ome_xml", "") if self._header else ""
        return _xml_to_dict(xml)

    def tags(self) -> dict:
        """File-level tags (e.g. ``ome_xml``) as a dict of strings."""
        return dict(self._header.tags) if self._header else {}

    # --- writing ---------------------------------------------------------------
    def _write_file_header(self):
        d = self._description.encode("utf-8")
        self._fh.write(fmt.FILE_MAGIC + struct.pack("<IQI", 2, 0, len(d)) + d + b"\0" * 8)
        self._meta_field = 26 + len(d)
        self._pending_header = False
        self._file_tags = {}

    def write(self, stack: Stack, compression: bool = True, level: int = 1) -> None:
        """Append ``stack`` to the file (zlib at ``level`` if ``compression``)."""
        if self._mode == File.Read:
            raise RuntimeError("File is opened for reading.")
        if not isinstance(stack, Stack):
            raise RuntimeError("File.write expects a Stack.")
        if self._pending_header:
            self._write_file_header()
        rec = _record_for(stack, self._compat)
        fh = self._fh
        pos = fh.seek(0, os.SEEK_END)
        if self._stack_positions:
            fh.seek(self._stack_positions[-1] + 360)
            fh.write(struct.pack("<Q", pos))
        else:
            fh.seek(14)
            fh.write(struct.pack("<Q", pos))
        fh.seek(pos)
        self._writer.write(fh, rec, stack.data(), bool(compression), int(level))
        self._stack_positions.append(pos)
        self._records.append(rec)

    def _finish(self):
        if self._mode == File.Read:
            return
        if self._pending_header:
            self._write_file_header()
        fh = self._fh
        if self._mode == File.Append:
            h = self._header
            if h.version < 2 or h.meta_field_pos is None:
                return  # version-1 files have no tag dictionary
            meta_field = h.meta_field_pos
            recs = self._all_records()
        else:
            meta_field = self._meta_field
            recs = self._records
        end = fh.seek(0, os.SEEK_END)
        tags = dict(self._file_tags)
        tags["ome_xml"] = fmt.ome_xml(recs)
        # keep ome_xml first, as SpecPy writes it
        tags = {"ome_xml": tags.pop("ome_xml"), **tags}
        fh.write(fmt.encode_tag_dict(tags))
        fh.seek(meta_field)
        fh.write(struct.pack("<Q", end))
        fh.flush()

    def _all_records(self):
        cur = fmt._Cursor(self._fh, self._path, os.fstat(self._fh.fileno()).st_size)
        h = fmt.FileHeader(self._header.version, cur.u64(14, "first_stack_pos"), "", None, None, {})
        return list(fmt.iter_stack_positions(cur, h))

    def __repr__(self):
        mode = {0: "Read", 1: "Write", 2: "Append"}.get(self._mode, self._mode)
        return f"<File {str(self._path)!r} {mode} {self.number_of_stacks()} stacks>"
