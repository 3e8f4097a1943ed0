"""OBF / MSR bytes: reading (stack versions 1-7, zlib, chunks, footers, tags) and writing.

Pure format code: no SpecPy objects here.  A stack is a :class:`StackRecord`
(geometry in OBF order, axis 0 = x, fastest on disk) plus its numpy data
(C order, the reverse of ``res``).  Every length read from a file is checked
against the file size before anything is allocated, so a malformed file
raises :class:`~beamkit.errors.FormatError` naming the byte offset.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..errors import FormatError as _BaseFormatError
from .zcodec import compress_blocks, inflate_blocks


class FormatError(_BaseFormatError, RuntimeError):
    """A malformed OBF/MSR file: a beamkit FormatError (path, byte offset, expected, got) that is
    also the RuntimeError SpecPy scripts catch."""

__all__ = [
    "FormatError", "FILE_MAGIC", "STACK_MAGIC", "DT_TO_NUMPY", "numpy_to_dt", "StackRecord", "FileHeader",
    "read_file_header", "read_stack_record", "read_stack_data", "iter_stack_positions",
    "read_tag_dict", "encode_tag_dict", "si_units_for_labels", "ome_xml", "StackWriter",
    "DIMENSIONLESS", "MAX_PADDED_BYTES",
]

FILE_MAGIC = b"OMAS_BF\n\xff\xff"
STACK_MAGIC = b"OMAS_BF_STACK\n\xff\xff"
HEADER_STRUCT = struct.Struct("<16s17I30d5I3Q")   # 368 bytes
SI_STRUCT = struct.Struct("<18id")                  # 80 bytes
MAX_RANK = 15
#: stacks whose data may be zero-padded (samples_written < total) are capped at this size (bytes)
MAX_PADDED_BYTES = 1 << 32
#: largest inflation ratio zlib can reach, plus slack; bounds the size of compressed stacks
_ZLIB_RATIO = 1100

DT_TO_NUMPY = {
    0x01: np.dtype("u1"), 0x02: np.dtype("i1"), 0x04: np.dtype("<u2"), 0x08: np.dtype("<i2"),
    0x10: np.dtype("<u4"), 0x20: np.dtype("<i4"), 0x40: np.dtype("<f4"), 0x80: np.dtype("<f8"),
    0x400: np.dtype("u1"), 0x800: np.dtype("u1"), 0x1000: np.dtype("<u8"), 0x2000: np.dtype("<i8"),
    0x10000: np.dtype("?"), 0x40000040: np.dtype("<c8"), 0x40000080: np.dtype("<c16"),
}
_SAMPLES = {0x400: 3, 0x800: 4}
_WRITABLE = {np.dtype(v).str.lstrip("<|"): k for k, v in DT_TO_NUMPY.items()
             if k in (1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x40000040, 0x40000080)}
OME_TYPE = {1: "uint8", 2: "int8", 4: "uint16", 8: "int16", 0x10: "uint32", 0x20: "int32",
            0x40: "float", 0x80: "double", 0x40000040: "complex", 0x40000080: "double-complex"}

#: an SI unit record: 9 (numerator, denominator) exponents of m kg s A K mol cd rad sr, scale factor
DIMENSIONLESS = (((0, 1),) * 9, 1.0)
_METRE_UM = (((1, 1),) + ((0, 1),) * 8, 1e-6)
_SECOND = (((0, 1),) * 2 + ((1, 1),) + ((0, 1),) * 6, 1.0)


def numpy_to_dt(dtype) -> int:
    """OBF ``dt`` code of a numpy dtype that SpecPy can store; RuntimeError otherwise."""
    key = np.dtype(dtype).str.lstrip("<>|=")
    if key not in _WRITABLE:
        raise RuntimeError("Unsupported stack type.")
    return _WRITABLE[key]


@dataclass
class StackRecord:
    """One stack's header and footer fields, OBF order (axis 0 = x).

    ``lengths``/``offsets`` are in the unit of ``si_dimensions`` times its scale.
    """

    res: list
    lengths: list
    offsets: list
    dt: int
    labels: list
    name: str = ""
    description: str = ""
    version: int = 7
    compression_type: int = 0
    compression_level: int = 1
    pos: int = 0
    data_pos: int = 0
    data_len_disk: int = 0
    next_stack_pos: int = 0
    footer_pos: int = 0
    footer_size: int = 0
    col_positions: dict = field(default_factory=dict)   # axis -> ndarray of res[axis] f64
    col_labels: dict = field(default_factory=dict)      # axis -> list of res[axis] str
    metadata: str = ""
    si_value: tuple = DIMENSIONLESS
    si_dimensions: list = field(default_factory=list)
    num_flush_points: int = 0
    flush_block_size: int = 0
    flush_positions: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)
    tag_dictionary_length: int = 4
    stack_end_disk: int = 0
    min_format_version: int = 0
    stack_end_used_disk: int = 0
    samples_written: int = 0
    chunk_positions: list = field(default_factory=list)  # [(logical, file_offset)]

    @property
    def rank(self) -> int:
        return len(self.res)

    @property
    def dtype(self) -> np.dtype:
        return DT_TO_NUMPY[self.dt]

    @property
    def numpy_shape(self) -> tuple:
        shape = tuple(int(r) for r in self.res[::-1])
        return shape + ((_SAMPLES[self.dt],) if self.dt in _SAMPLES else ())

    @property
    def nbytes(self) -> int:
        n = self.dtype.itemsize * (_SAMPLES.get(self.dt, 1))
        for r in self.res:
            n *= int(r)
        return n


@dataclass
class FileHeader:
    version: int
    first_stack_pos: int
    description: str
    meta_pos: int | None          # offset of the meta_data_position field's value, if any
    meta_field_pos: int | None    # offset of the meta_data_position field itself
    tags: dict


# --------------------------------------------------------------------------- reading helpers
class _Cursor:
    """Bounded reads from an open binary file; every failure is a FormatError with an offset."""

    def __init__(self, fh, path, size: int):
        self.fh, self.path, self.size = fh, path, size

    def need(self, pos: int, n: int, what: str) -> None:
        if n < 0 or pos < 0 or pos + n > self.size:
            raise FormatError(f"{what} runs past the end of the file ({self.size} bytes)",
                              path=self.path, offset=pos, expected=f"{n} bytes of {what}")

    def read(self, pos: int, n: int, what: str) -> bytes:
        self.need(pos, n, what)
        self.fh.seek(pos)
        b = self.fh.read(n)
        if len(b) != n:
            raise FormatError("short read", path=self.path, offset=pos, expected=f"{n} bytes of {what}")
        return b

    def u32(self, pos, what) -> int:
        return struct.unpack("<I", self.read(pos, 4, what))[0]

    def u64(self, pos, what) -> int:
        return struct.unpack("<Q", self.read(pos, 8, what))[0]

    def lpstr(self, pos, what, limit=None) -> tuple:
        n = self.u32(pos, what + " length")
        if limit is not None and pos + 4 + n > limit:
            raise FormatError(f"{what} runs past its section", path=self.path, offset=pos,
                              expected=f"at most {limit - pos - 4} bytes", got=n)
        return _decode(self.read(pos + 4, n, what)), pos + 4 + n


def _decode(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def read_file_header(cur: _Cursor) -> FileHeader:
    """Parse the file header and, for format version >= 2, the file tag dictionary."""
    magic = cur.read(0, 10, "file magic") if cur.size >= 10 else b""
    if magic != FILE_MAGIC:
        raise FormatError("No OBF file header found.", path=cur.path, offset=0,
                          expected="magic 'OMAS_BF\\n\\xff\\xff'", got=magic[:10])
    version = cur.u32(10, "file format_version")
    first = cur.u64(14, "first_stack_pos")
    n = cur.u32(22, "file description length")
    descr = _decode(cur.read(26, n, "file description"))
    meta_pos = meta_field = None
    tags = {}
    if version >= 2:
        meta_field = 26 + n
        meta_pos = cur.u64(meta_field, "meta_data_position")
        if meta_pos:
            tags = read_tag_dict(cur, meta_pos, cur.size, "file tag dictionary")
    if first and (first < 26 + n or first + HEADER_STRUCT.size > cur.size):
        raise FormatError("first_stack_pos outside the file", path=cur.path, offset=14,
                          expected=f"a position in [{26 + n}, {cur.size - HEADER_STRUCT.size}]", got=first)
    return FileHeader(version, first, descr, meta_pos, meta_field, tags)


def read_tag_dict(cur: _Cursor, pos: int, limit: int, what: str) -> dict:
    """Read lp-string key/value pairs from ``pos`` until a zero key length (or ``limit``)."""
    tags = {}
    while pos + 4 <= limit:
        key, pos2 = cur.lpstr(pos, f"{what} key", limit)
        if pos2 == pos + 4:  # zero length terminates
            return tags
        val, pos = cur.lpstr(pos2, f"{what} value for {key!r}", limit)
        tags[key] = val
    if pos != limit:
        raise FormatError(f"{what} is not terminated", path=cur.path, offset=pos, expected="u32 0")
    return tags


def encode_tag_dict(tags: dict) -> bytes:
    out = bytearray()
    for k, v in tags.items():
        for s in (k, v):
            b = s.encode("utf-8")
            out += struct.pack("<I", len(b)) + b
    out += b"\0\0\0\0"
    return bytes(out)


def _si(vals) -> tuple:
    return (tuple((vals[2 * i], vals[2 * i + 1]) for i in range(9)), vals[18])


def read_stack_record(cur: _Cursor, pos: int) -> StackRecord:
    """Parse the stack header at ``pos`` and its footer (no pixel data)."""
    raw = cur.read(pos, HEADER_STRUCT.size, "stack header")
    v = HEADER_STRUCT.unpack(raw)
    if v[0] != STACK_MAGIC:
        raise FormatError("bad stack magic", path=cur.path, offset=pos,
                          expected="'OMAS_BF_STACK\\n\\xff\\xff'", got=v[0])
    version, rank = v[1], v[2]
    if not 1 <= rank <= MAX_RANK:
        raise FormatError("bad stack rank", path=cur.path, offset=pos + 20, expected="1..15", got=rank)
    res = list(v[3:3 + rank])
    lengths = list(v[18:18 + rank])
    offsets = list(v[33:33 + rank])
    for k, x in enumerate(lengths + offsets):
        if not np.isfinite(x):
            field = 84 + 8 * k if k < rank else 204 + 8 * (k - rank)
            raise FormatError("non-finite axis length or offset", path=cur.path, offset=pos + field,
                              expected="a finite number", got=x)
    dt, ctype, clevel, name_len, descr_len = v[48:53]
    _reserved, data_len, next_pos = v[53:56]
    if dt not in DT_TO_NUMPY:
        raise FormatError("unknown data type", path=cur.path, offset=pos + 324,
                          expected=f"one of {sorted(DT_TO_NUMPY)}", got=dt)
    if ctype not in (0, 1):
        raise FormatError("unknown compression type", path=cur.path, offset=pos + 328,
                          expected="0 (none) or 1 (zlib)", got=ctype)
    p = pos + HEADER_STRUCT.size
    name = _decode(cur.read(p, name_len, "stack name"))
    descr = _decode(cur.read(p + name_len, descr_len, "stack description"))
    data_pos = p + name_len + descr_len
    cur.need(data_pos, data_len, "stack data")
    rec = StackRecord(res=res, lengths=lengths, offsets=offsets, dt=dt, labels=[""] * rank,
                      name=name, description=descr, version=version, compression_type=ctype,
                      compression_level=clevel, pos=pos, data_pos=data_pos, data_len_disk=data_len,
                      next_stack_pos=next_pos, si_dimensions=[DIMENSIONLESS] * rank)
    if version >= 1:
        _read_footer(cur, rec)
    else:
        rec.stack_end_disk = data_pos + data_len
    if next_pos and next_pos + HEADER_STRUCT.size > cur.size:
        raise FormatError("next_stack_pos outside the file", path=cur.path, offset=pos + 360,
                          expected=f"< {cur.size - HEADER_STRUCT.size}", got=next_pos)
    return rec


def _read_footer(cur: _Cursor, rec: StackRecord) -> None:
    fp = rec.footer_pos = rec.data_pos + rec.data_len_disk
    size = cur.u32(fp, "stack footer size")
    if size < 124 or size > 65536:
        raise FormatError("bad stack footer size", path=cur.path, offset=fp,
                          expected="124..65536 bytes", got=size)
    rec.footer_size = size
    b = cur.read(fp, size, "stack footer")
    rank = rec.rank
    has_pos = struct.unpack_from("<15I", b, 4)[:rank]
    has_lab = struct.unpack_from("<15I", b, 64)[:rank]

    def get(fmt, off, default):
        n = struct.calcsize(fmt)
        return struct.unpack_from(fmt, b, off)[0] if off + n <= size else default

    meta_len = get("<I", 124, 0)
    if size >= 208:
        rec.si_value = _si(SI_STRUCT.unpack_from(b, 128))
    if size >= 1408:
        rec.si_dimensions = [_si(SI_STRUCT.unpack_from(b, 208 + 80 * i)) for i in range(rank)]
    rec.num_flush_points = get("<Q", 1408, 0)
    rec.flush_block_size = get("<Q", 1416, 0)
    rec.tag_dictionary_length = get("<Q", 1424, 0)
    rec.stack_end_disk = get("<Q", 1432, 0)
    rec.min_format_version = get("<I", 1440, 0)
    rec.stack_end_used_disk = get("<Q", 1444, 0)
    rec.samples_written = get("<Q", 1452, 0)
    n_chunks = get("<Q", 1460, 0)
    p = fp + size
    labels = []
    for i in range(rank):
        s, p = cur.lpstr(p, f"label of axis {i}")
        labels.append(s)
    rec.labels = labels
    for i in range(rank):
        if has_pos[i]:
            n = rec.res[i] * 8
            rec.col_positions[i] = np.frombuffer(cur.read(p, n, f"column positions of axis {i}"), "<f8").copy()
            p += n
    for i in range(rank):
        if has_lab[i]:
            cur.need(p, 4 * rec.res[i], f"column labels of axis {i}")
            items = []
            for _ in range(rec.res[i]):
                s, p = cur.lpstr(p, f"column label of axis {i}")
                items.append(s)
            rec.col_labels[i] = items
    rec.metadata = _decode(cur.read(p, meta_len, "legacy metadata"))
    p += meta_len
    nf = rec.num_flush_points
    cur.need(p, 8 * nf, "flush positions")
    rec.flush_positions = np.frombuffer(cur.read(p, 8 * nf, "flush positions"), "<u8").tolist()
    p += 8 * nf
    tl = rec.tag_dictionary_length
    if tl:
        cur.need(p, tl, "stack tag dictionary")
        rec.tags = read_tag_dict(cur, p, p + tl, "stack tag dictionary")
        p += tl
    cur.need(p, 16 * n_chunks, "chunk positions")
    if n_chunks:
        rec.chunk_positions = [tuple(x) for x in np.frombuffer(
            cur.read(p, 16 * n_chunks, "chunk positions"), "<u8").reshape(-1, 2).tolist()]
        p += 16 * n_chunks
    if not rec.stack_end_disk:
        rec.stack_end_disk = p


def iter_stack_positions(cur: _Cursor, header: FileHeader, limit: int = 1 << 20):
    """Yield (pos, StackRecord) along the next_stack_pos chain; stop at 0 or at a bad magic."""
    pos, seen = header.first_stack_pos, set()
    while pos and len(seen) < limit:
        if pos in seen:
            raise FormatError("stack chain loops back", path=cur.path, offset=pos,
                              expected="each next_stack_pos to point to a new stack", got=pos)
        seen.add(pos)
        if cur.size < pos + 16 or cur.read(pos, 16, "stack magic") != STACK_MAGIC:
            return
        rec = read_stack_record(cur, pos)
        yield rec
        pos = rec.next_stack_pos


def _gather(cur: _Cursor, rec: StackRecord) -> bytes:
    """The stack's byte stream as stored (compressed or not), following chunk positions."""
    if not rec.chunk_positions:
        return cur.read(rec.data_pos, rec.data_len_disk, "stack data")
    itemsize = rec.dtype.itemsize
    end_used = rec.stack_end_used_disk or rec.stack_end_disk
    last_logical, last_file = rec.chunk_positions[-1]
    if rec.compression_type == 0:
        n = rec.samples_written or (rec.nbytes // max(1, itemsize))
        total = n * itemsize
    else:
        total = last_logical + (end_used - rec.data_pos - last_file)
    if total < 0 or total > cur.size * 2 + (1 << 20):
        raise FormatError("chunked stack size inconsistent with the file", path=cur.path,
                          offset=rec.footer_pos, got=total)
    out = bytearray(total)
    logical, file_off, k = 0, 0, 0
    chunks = rec.chunk_positions
    while logical < total:
        # skip chunks that begin at or before the current logical position (the last duplicate wins)
        while k < len(chunks) and chunks[k][0] <= logical:
            logical, file_off = chunks[k][0], chunks[k][1]
            k += 1
        stop = chunks[k][0] if k < len(chunks) else total
        stop = min(stop, total)
        n = stop - logical
        out[logical:stop] = cur.read(rec.data_pos + file_off, n, "stack data chunk")
        logical, file_off = stop, file_off + n
    return bytes(out)


def _file_pieces(cur: _Cursor, pos: int, n: int, piece: int = 1 << 24):
    """The bytes [pos, pos+n) of the file in pieces of at most ``piece`` bytes."""
    cur.need(pos, n, "stack data")
    cur.fh.seek(pos)
    while n > 0:
        b = cur.fh.read(min(piece, n))
        if not b:
            raise FormatError("short read", path=cur.path, offset=pos, expected=f"{n} more bytes of stack data")
        n -= len(b)
        yield b


def _inflate_into(out: np.ndarray, pieces, limit: int, cur: _Cursor, rec: StackRecord) -> int:
    """Inflate a zlib stream given in pieces into ``out`` (at most ``limit`` bytes); returns the count."""
    d = zlib.decompressobj()
    filled = 0
    try:
        for piece in pieces:
            buf = d.decompress(piece, limit - filled) if filled < limit else b""
            while True:
                out[filled:filled + len(buf)] = np.frombuffer(buf, np.uint8)
                filled += len(buf)
                if filled >= limit or not d.unconsumed_tail:
                    break
                buf = d.decompress(d.unconsumed_tail, limit - filled)
            if filled >= limit or d.eof:
                break
    except zlib.error as exc:
        raise FormatError(f"zlib data are corrupt ({exc})", path=cur.path, offset=rec.data_pos,
                          expected="a zlib stream") from None
    return filled


def read_stack_data(cur: _Cursor, rec: StackRecord) -> np.ndarray:
    """The stack's pixels as a C-order numpy array of shape ``rec.numpy_shape``."""
    nbytes = rec.nbytes
    itemsize = rec.dtype.itemsize
    total_items = nbytes // itemsize if itemsize else 0
    written = rec.samples_written if 0 < rec.samples_written < total_items else total_items
    present = written * itemsize
    bound = rec.data_len_disk * (_ZLIB_RATIO if rec.compression_type else 1) + (1 << 20)
    if rec.chunk_positions:
        bound = max(bound, (cur.size * (_ZLIB_RATIO if rec.compression_type else 1)) + (1 << 20))
    if present > bound or (nbytes > bound and nbytes > MAX_PADDED_BYTES):
        raise FormatError("stack size does not fit the data stored", path=cur.path, offset=rec.pos + 24,
                          expected=f"at most {bound} bytes for {rec.data_len_disk} bytes on disk",
                          got=f"res {rec.res} ({nbytes} bytes)")
    if rec.min_format_version > 7:
        raise FormatError("stack needs a newer reader", path=cur.path, offset=rec.footer_pos + 1440,
                          expected="min_format_version <= 7", got=rec.min_format_version)
    out = np.zeros(nbytes, dtype=np.uint8)
    if rec.chunk_positions:
        stream = _gather(cur, rec)
        if rec.compression_type == 1:
            _inflate_into(out, [stream], present, cur, rec)
        else:
            n = min(len(stream), present)
            out[:n] = np.frombuffer(stream, np.uint8, n)
    elif rec.compression_type == 1:
        if not (len(rec.flush_positions) >= 2 and present == nbytes and
                inflate_blocks(cur.read(rec.data_pos, rec.data_len_disk, "stack data"),
                               rec.flush_positions, rec.flush_block_size, out, present)):
            _inflate_into(out, _file_pieces(cur, rec.data_pos, rec.data_len_disk), present, cur, rec)
    else:
        n = min(present, rec.data_len_disk)
        cur.need(rec.data_pos, n, "stack data")
        cur.fh.seek(rec.data_pos)
        got = cur.fh.readinto(memoryview(out)[:n])
        if got != n:
            raise FormatError("short read", path=cur.path, offset=rec.data_pos, expected=f"{n} bytes of stack data")
    return out.view(rec.dtype).reshape(rec.numpy_shape)


# --------------------------------------------------------------------------- units and OME-XML
def si_units_for_labels(labels, lengths=None) -> list:
    """SI records SpecPy infers: label X/Y/Z (or '... X') -> metre, T -> second, else dimensionless.

    Spatial axes get scale 1e-6 (lengths in µm) when the axis length exceeds
    0.01, else scale 1 (lengths in m); SpecPy 2026.20 behaves so (measured).
    """
    out = []
    lengths = list(lengths) if lengths is not None else [1.0] * len(labels)
    for lab, ln in zip(labels, lengths):
        if lab in ("X", "Y", "Z") or lab.endswith((" X", " Y", " Z")):
            out.append((_METRE_UM[0], 1e-6 if ln > 0.01 else 1.0))
        elif lab == "T":
            out.append(_SECOND)
        else:
            out.append(DIMENSIONLESS)
    return out


def _fmt(x: float) -> str:
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


def ome_xml(records) -> str:
    """The one-line OME-XML SpecPy puts in the file tag ``ome_xml`` (mapping axes by index)."""
    head = ('<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openmicroscopy.org/'
            'Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd"')
    if not records:
        return head + "/>"
    parts = [head, ">"]
    for k, r in enumerate(records, 1):
        res = list(r.res) + [1] * (5 - len(r.res))
        attrs = [("BigEndian", "false"), ("DimensionOrder", "XYZTC"), ("ID", f"Pixels:{k}")]
        for i, ax in enumerate("XYZ"):
            if i < r.rank and (i < 2 or r.res[i] > 1):
                size = r.lengths[i] / r.res[i] if r.res[i] else 0.0
                attrs += [(f"PhysicalSize{ax}", _fmt(size)), (f"PhysicalSize{ax}Unit", "m")]
        sx, sy, sz, st, sc = res[:5]
        attrs += [("SizeC", sc), ("SizeT", st), ("SizeX", sx), ("SizeY", sy), ("SizeZ", sz),
                  ("Type", OME_TYPE.get(r.dt, "uint8"))]
        parts.append(f'<Image ID="Image:{k}"><Pixels ')
        parts.append(" ".join(f'{a}="{v}"' for a, v in attrs))
        parts.append("><MetadataOnly/>")
        c, t, z = np.meshgrid(np.arange(sc), np.arange(st), np.arange(sz), indexing="ij")
        parts.append("".join(f'<Plane TheC="{a}" TheT="{b}" TheZ="{d}"/>'
                             for a, b, d in zip(c.ravel().tolist(), t.ravel().tolist(), z.ravel().tolist())))
        parts.append("</Pixels></Image>")
    parts.append("</OME>")
    return "".join(parts)


# --------------------------------------------------------------------------- writing
def _si_bytes(u) -> bytes:
    exps, scale = u
    flat = [x for pair in exps for x in pair]
    return SI_STRUCT.pack(*flat, float(scale))


def _lp(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


class StackWriter:
    """Write one stack at the current position of a binary file opened for writing.

    ``compat=True`` writes exactly what SpecPy 2026.20 writes (no name,
    description, column data or tags); otherwise those are written too.
    ``flush_per_plane`` puts a zlib full flush after every xy plane (as
    Imspector does) instead of one for the whole stack.
    """

    CHUNK = 1 << 24  # bytes of raw data per write/compress call

    def __init__(self, compat: bool = False, version: int = 7, flush_per_plane: bool = False):
        if version not in (6, 7):
            raise ValueError("OBF stack version must be 6 or 7")
        self.compat, self.version, self.flush_per_plane = compat, version, flush_per_plane

    def write(self, fh, rec: StackRecord, data: np.ndarray, compression: bool, level: int = 1) -> int:
        """Write header, data, footer; return the stack's start offset. ``rec.next_stack_pos`` is 0."""
        pos = fh.tell()
        rank = rec.rank
        raw = np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).reshape(-1).view(np.uint8)
        nbytes = raw.size
        name = "" if self.compat else rec.name
        descr = "" if self.compat else rec.description
        nb, db = name.encode("utf-8"), descr.encode("utf-8")
        pad = lambda seq, v: list(seq) + [v] * (MAX_RANK - len(seq))  # noqa: E731
        header = HEADER_STRUCT.pack(
            STACK_MAGIC, self.version, rank, *pad([int(r) for r in rec.res], 0),
            *pad([float(x) for x in rec.lengths], 0.0), *pad([float(x) for x in rec.offsets], 0.0),
            rec.dt, 1 if compression else 0, level, len(nb), len(db), 1, 0, 0)
        fh.write(header)
        fh.write(nb)
        fh.write(db)
        data_pos = fh.tell()
        flush_positions = []
        if compression:
            block = nbytes
            if self.flush_per_plane and rank >= 2:
                block = int(rec.res[0]) * int(rec.res[1]) * data.dtype.itemsize
            block = max(block, 1)
            written = 0
            if block < nbytes:   # several flush points: compress the blocks in parallel
                for piece in compress_blocks(raw, block, level):
                    fh.write(piece)
                    written += len(piece)
                    flush_positions.append(written)
                flush_positions.pop()            # no flush point after the final block
                out = b""
                data_len = written
            else:
                comp = zlib.compressobj(level)
                for s in range(0, max(nbytes, 1), self.CHUNK):
                    out = comp.compress(raw[s:min(s + self.CHUNK, nbytes)])
                    fh.write(out)
                    written += len(out)
                out = comp.flush(zlib.Z_FULL_FLUSH)
                fh.write(out)
                written += len(out)
                flush_positions.append(written)
                out = comp.flush(zlib.Z_FINISH)
                fh.write(out)
                data_len = written + len(out)
            flush_block = block if (self.flush_per_plane and rank >= 2) else nbytes
        else:
            for s in range(0, nbytes, self.CHUNK):
                fh.write(raw[s:s + self.CHUNK])
            data_len = nbytes
            flush_block = nbytes
        footer_pos = fh.tell()
        has_pos = [0] * MAX_RANK
        has_lab = [0] * MAX_RANK
        var = bytearray()
        for lab in rec.labels:
            var += _lp(lab)
        if not self.compat:
            for i in sorted(rec.col_positions):
                has_pos[i] = 1
                var += np.asarray(rec.col_positions[i], "<f8").tobytes()
            for i in sorted(rec.col_labels):
                has_lab[i] = 1
                for s in rec.col_labels[i]:
                    var += _lp(s)
        meta = b"" if self.compat else rec.metadata.encode("utf-8")
        var += meta
        var += np.asarray(flush_positions, "<u8").tobytes()
        tags = encode_tag_dict({} if self.compat else rec.tags)
        var += tags
        size = 1528 if self.version == 7 else 1468
        end = footer_pos + size + len(var)
        si = list(rec.si_dimensions)[:rank]
        si += si_units_for_labels(rec.labels, rec.lengths)[len(si):rank]
        si_dims = si + [DIMENSIONLESS] * (MAX_RANK - len(si))
        footer = bytearray()
        footer += struct.pack("<I15I15II", size, *has_pos, *has_lab, len(meta))
        footer += _si_bytes(DIMENSIONLESS)
        for u in si_dims:
            footer += _si_bytes(u)
        footer += struct.pack("<QQQQIQQQ", len(flush_positions), flush_block, len(tags), end, 0, end,
                              nbytes // data.dtype.itemsize if data.dtype.itemsize else 0, 0)
        footer += bytes(size - len(footer))
        fh.write(footer)
        fh.write(var)
        # patch data_len_disk
        fh.seek(pos + 352)
        fh.write(struct.pack("<Q", data_len))
        fh.seek(end)
        return pos
