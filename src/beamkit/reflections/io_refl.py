"""DIALS ``.refl`` files: msgpack versions 1 and 2 (read and write, byte-identical), gzip, HDF5.

Layout (notes/dials.md §1): ``["dials::af::reflection_table", VERSION,
{"identifiers": {id: str}, "nrows": N, "data": {name: [TYPE, [N, bin]]}}]``.
The reader checks every declared size against the bytes present before
allocating; legacy pickle files are detected and refused, never unpickled.
Functions here work on plain dicts of numpy columns; the table face wraps them.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import msgpack
import numpy as np

from ..core.files import atomic_path, atomic_write
from ..core.log import get_logger
from ..errors import FormatError, ParameterError
from .shoebox import ShoeboxColumn

__all__ = ["read_refl", "write_refl", "pack_msgpack", "unpack_msgpack", "read_dials_hdf5",
           "write_dials_hdf5", "TYPES", "type_name_of"]

log = get_logger("reflections.io")
MAGIC_NAME = "dials::af::reflection_table"

#: TYPE_NAME -> (numpy dtype, row shape); strings and shoeboxes are special.
TYPES = {
    "bool": ("?", ()), "int": ("<i4", ()), "std::size_t": ("<u8", ()), "double": ("<f8", ()),
    "vec2<double>": ("<f8", (2,)), "vec3<double>": ("<f8", (3,)), "mat3<double>": ("<f8", (3, 3)),
    "int6": ("<i4", (6,)), "cctbx::miller::index<>": ("<i4", (3,)),
    "std::string": None, "Shoebox<>": None,
}
_HDR = struct.Struct("<I6iB")


def type_name_of(name: str, col) -> str:
    """The DIALS TYPE_NAME for a column (ParameterError when DIALS has no such type)."""
    if isinstance(col, ShoeboxColumn):
        return "Shoebox<>"
    a = np.asarray(col)
    k, tail = a.dtype.kind, a.shape[1:]
    if k == "b" and not tail:
        return "bool"
    if k == "i" and not tail:
        return "int"
    if k == "u" and not tail:
        return "std::size_t"
    if k == "f" and not tail:
        return "double"
    if k == "f" and tail in ((2,), (3,), ((3, 3))):
        return {(2,): "vec2<double>", (3,): "vec3<double>", (3, 3): "mat3<double>"}[tail]
    if k in "iu" and tail == (6,):
        return "int6"
    if k in "iu" and tail == (3,):
        return "cctbx::miller::index<>"
    if k in "US":
        raise ParameterError(name, "a column type DIALS can store in msgpack (std::string columns are broken "
                             "in DIALS' msgpack writer; save as HDF5)", f"strings {a.dtype}")
    raise ParameterError(name, "a DIALS column type (bool, int, size_t, double, vec2/vec3/mat3, int6, "
                         "miller index, shoebox)", f"dtype {a.dtype}, row shape {tail}")


# --------------------------------------------------------------------------- reading
def read_refl(path, columns=None):
    """Read any .refl variant. Returns (columns dict, identifiers dict, nrows, version).

    ``columns`` (optional list) keeps only those columns.  version is 1 or 2
    for msgpack and 0 for HDF5.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=path) from None
    if not head:
        raise FormatError("file is empty", path=path, offset=0, expected="a DIALS reflection file")
    if head[:1] == b"\x80":
        raise FormatError("this is a legacy pickle reflection file (DIALS < 2.0); beamkit never unpickles "
                          "files. Convert it with DIALS (e.g. dials.python -c \"from dials.array_family import "
                          "flex; flex.reflection_table.from_file('in.refl').as_file('out.refl')\")",
                          path=path, offset=0, expected="msgpack (0x93), gzip or HDF5", got=head[:2])
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return read_dials_hdf5(path, columns)
    raw = path.read_bytes()
    if head[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"corrupt gzip stream ({exc})", path=path, expected="a gzip-compressed .refl") from None
        if raw[:1] == b"\x80":
            raise FormatError("gzip holds a legacy pickle reflection file; beamkit never unpickles files",
                              path=path, offset=0)
    return unpack_msgpack(raw, path=path, columns=columns)


def unpack_msgpack(raw: bytes, path=None, columns=None):
    """Decode msgpack .refl bytes. Returns (columns, identifiers, nrows, version)."""
    if raw[:1] != b"\x93":
        raise FormatError("not a DIALS msgpack reflection table", path=path, offset=0,
                          expected="0x93 (a 3-element msgpack array)", got=raw[:4])
    try:  # msgpack bounds every length by the buffer size: no huge allocations
        obj = msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=True)
    except Exception as exc:  # msgpack raises several unrelated types on corrupt input
        raise FormatError(f"corrupt msgpack ({type(exc).__name__}: {exc})", path=path,
                          expected="one complete msgpack object") from None
    if not (isinstance(obj, list) and len(obj) == 3 and obj[0] == MAGIC_NAME):
        raise FormatError("bad header", path=path, offset=1, expected=f"[{MAGIC_NAME!r}, version, map]",
                          got=str(obj[:2] if isinstance(obj, list) else type(obj).__name__)[:80])
    version, body = obj[1], obj[2]
    if version not in (1, 2) or isinstance(version, bool):
        raise FormatError("unsupported version", path=path, offset=29, expected="1 or 2", got=version)
    if not isinstance(body, dict):
        raise FormatError("table body is not a map", path=path, offset=30, expected="map", got=type(body).__name__)
    extra = set(body) - {"identifiers", "nrows", "data"}
    if extra:
        raise FormatError("unknown key in reflection file", path=path, expected="identifiers, nrows, data",
                          got=sorted(map(str, extra)))
    if "nrows" not in body or "data" not in body:
        raise FormatError("missing 'nrows' or 'data'", path=path, expected="keys nrows and data")
    nrows, data = body["nrows"], body["data"]
    idents = body.get("identifiers", {}) or {}
    if not isinstance(nrows, int) or isinstance(nrows, bool) or nrows < 0:
        raise FormatError("bad nrows", path=path, expected="a non-negative integer", got=nrows)
    if not isinstance(data, dict) or not isinstance(idents, dict):
        raise FormatError("bad data or identifiers", path=path, expected="maps")
    for k, v in idents.items():
        if not isinstance(k, int) or k < 0 or not isinstance(v, str):
            raise FormatError("bad identifier entry", path=path, expected="uint id -> str", got=(k, v))
    cols = {}
    for name, col in data.items():
        where = f"column {name!r}"
        if not isinstance(name, str):
            raise FormatError("bad column name", path=path, expected="str", got=name)
        if not (isinstance(col, list) and len(col) == 2 and isinstance(col[1], list) and len(col[1]) == 2):
            raise FormatError(f"{where}: bad layout", path=path, expected="[TYPE, [N, bin]]", got=str(col)[:60])
        tname, (n, blob) = col[0], col[1]
        if tname not in TYPES:
            raise FormatError(f"{where}: unexpected column type", path=path, expected=sorted(TYPES), got=tname)
        if n != nrows or not isinstance(blob, (bytes, bytearray)):
            raise FormatError(f"{where}: bad size or payload", path=path, expected=f"{nrows} rows and a bin payload",
                              got=(n, type(blob).__name__))
        if columns is not None and name not in columns:
            continue
        if tname == "std::string":
            log.warning("%s: %s skipped: DIALS' msgpack std::string columns hold raw pointers", path, where)
            continue
        if tname == "Shoebox<>":
            cols[name] = parse_shoeboxes(blob, nrows, path=path, where=where)
            continue
        dt, tail = TYPES[tname]
        size = np.dtype(dt).itemsize * int(np.prod(tail, dtype=np.int64))
        if len(blob) != nrows * size:
            raise FormatError(f"{where}: payload size", path=path, expected=f"{nrows} x {size} = {nrows * size} bytes",
                              got=len(blob))
        cols[name] = np.frombuffer(blob, dt).reshape((nrows,) + tail).copy()
    return cols, dict(idents), nrows, version


_HDR_DTYPE = np.dtype([("panel", "<u4"), ("bbox", "<i4", (6,)), ("marker", "u1")])  # packed: 29 bytes


def _byte_labels(vols: np.ndarray, mask_bytes: np.ndarray) -> np.ndarray:
    """Per payload byte: 0 header, 1 data, 2 mask, 3 background (records back to back)."""
    n = vols.size
    lens = np.empty((n, 4), np.int64)
    lens[:, 0] = 29
    lens[:, 1] = 4 * vols
    lens[:, 2] = mask_bytes * vols
    lens[:, 3] = 4 * vols
    return np.repeat(np.tile(np.arange(4, dtype=np.uint8), n), lens.ravel())


def parse_shoeboxes(blob: bytes, nrows: int, path=None, where="shoebox") -> ShoeboxColumn:
    """Decode a ``Shoebox<>`` payload (markers 0, 1 = int32 mask, 2 = uint8 mask)."""
    total = len(blob)
    starts = []
    off = 0
    unpack = _HDR.unpack_from
    append = starts.append
    try:
        for _ in range(nrows):  # sequential by nature: a record's length depends on its header
            append(off)
            _, x0, x1, y0, y1, z0, z1, mk = unpack(blob, off)
            off += 29 + ((x1 - x0) * (y1 - y0) * (z1 - z0) * (12 if mk == 1 else 9) if mk else 0)
            if off > total or off < 0:
                break
    except struct.error:
        raise FormatError(f"{where}: record {len(starts) - 1} header truncated", path=path, offset=off,
                          expected="29 header bytes", got=total - off) from None
    buf = np.frombuffer(blob, np.uint8)
    st = np.asarray(starts, np.int64)
    raw = buf[st[:, None] + np.arange(29)] if st.size else np.zeros((0, 29), np.uint8)
    rec = np.ascontiguousarray(raw).view(_HDR_DTYPE).ravel()
    hdr = np.empty((st.size, 8), np.int64)
    hdr[:, 0] = rec["panel"]
    hdr[:, 1:7] = rec["bbox"]
    hdr[:, 7] = rec["marker"]
    ext = hdr[:, 2:7:2] - hdr[:, 1:7:2]
    markers = hdr[:, 7]
    bad = (ext < 0).any(axis=1) | (markers > 2) | (markers < 0)
    if bad.any() or len(starts) != nrows or off != total:
        i = int(np.argmax(bad)) if bad.any() else len(starts) - 1
        raise FormatError(f"{where}: record {i} is inconsistent with the payload (bad bbox, marker or size)",
                          path=path, expected=f"{nrows} records with x1>=x0, y1>=y0, z1>=z0, marker 0/1/2 "
                          f"filling {total} bytes", got=tuple(int(v) for v in hdr[i]) if len(starts) else None)
    vols = np.where(markers > 0, ext.prod(axis=1), 0)
    offs = np.zeros(nrows + 1, np.int64)
    np.cumsum(vols, out=offs[1:])
    alloc = (markers != 0) & (vols > 0)
    if not (markers == 2).any():  # v1 (the common case): 4-byte words once the headers are dropped
        data, mask, background = _split_v1(buf, vols)
        return ShoeboxColumn(hdr[:, 0], hdr[:, 1:7], alloc, offs, data, mask, background)
    mb = np.where(markers == 1, 4, 1)
    lab = _byte_labels(vols, mb)
    data = buf[lab == 1].view("<f4")
    m1 = markers == 1
    if m1.all():
        mask = buf[lab == 2].view("<i4").astype(np.uint8)
    elif not m1.any():
        mask = buf[lab == 2].copy()
    else:  # mixed markers: int32 masks narrowed per record
        mraw = buf[lab == 2]
        mlen = mb * vols
        byte_rec = np.repeat(np.arange(nrows), mlen)
        first = np.zeros(nrows + 1, np.int64)
        np.cumsum(mlen, out=first[1:])
        pos = np.arange(mraw.size) - first[byte_rec]
        keep = np.where(m1[byte_rec], pos % 4 == 0, True)  # little-endian low byte of each int32
        del pos
        mask = mraw[keep]
    background = buf[lab == 3].view("<f4")
    return ShoeboxColumn(hdr[:, 0], hdr[:, 1:7], alloc, offs, data, mask, background)


def _split_v1(buf: np.ndarray, vols: np.ndarray):
    """(data, mask, background) of a payload whose records all have marker 0 or 1."""
    n = vols.size
    body = 12 * vols
    keep = np.repeat(np.tile(np.array([False, True]), n), np.stack([np.full(n, 29), body], axis=1).ravel())
    words = buf[keep].view("<i4")  # per record: v data, v mask, v background words
    wl = np.repeat(np.tile(np.arange(3, dtype=np.uint8), n), np.repeat(vols, 3))
    return (words[wl == 0].view("<f4"), words[wl == 1].astype(np.uint8), words[wl == 2].view("<f4"))


# --------------------------------------------------------------------------- writing
def pack_shoeboxes(sb: ShoeboxColumn, version: int = 1) -> memoryview:
    """Encode a shoebox column as DIALS' ``Shoebox<>`` payload (marker = version)."""
    n = len(sb)
    vols = np.where(sb.allocated, sb.lengths, 0).astype(np.int64)
    mk_bytes = 4 if version == 1 else 1
    head = np.zeros(n, _HDR_DTYPE)
    head["panel"], head["bbox"] = sb.panel, sb.bbox
    head["marker"] = np.where(vols > 0, version, 0)
    alloc_pix = np.repeat(sb.allocated & (vols > 0), sb.lengths)
    pick = (lambda a: a) if alloc_pix.all() else (lambda a: a[alloc_pix])
    if version == 1:  # bodies are 4-byte words: v data, v mask, v background
        body = 12 * vols
        keep = np.repeat(np.tile(np.array([False, True]), n), np.stack([np.full(n, 29), body], axis=1).ravel())
        buf = np.empty(keep.size, np.uint8)
        buf[~keep] = head.view(np.uint8)
        wl = np.repeat(np.tile(np.arange(3, dtype=np.uint8), n), np.repeat(vols, 3))
        words = np.empty(wl.size, "<i4")
        words[wl == 0] = pick(sb.data).astype("<f4").view("<i4")
        words[wl == 1] = pick(sb.mask)
        words[wl == 2] = pick(sb.background).astype("<f4").view("<i4")
        buf[keep] = words.view(np.uint8)
        return memoryview(buf)
    lab = _byte_labels(vols, np.full(n, mk_bytes))
    buf = np.empty(lab.size, np.uint8)
    buf[lab == 0] = head.view(np.uint8)
    buf[lab == 1] = pick(sb.data).astype("<f4").view(np.uint8)
    buf[lab == 2] = pick(sb.mask).astype(np.uint8)
    buf[lab == 3] = pick(sb.background).astype("<f4").view(np.uint8)
    return memoryview(buf)


def pack_msgpack(columns: dict, identifiers: dict, nrows: int, version: int = 1) -> bytes:
    """Encode a table as DIALS msgpack bytes (columns sorted bytewise, minimal ints)."""
    if version not in (1, 2):
        raise ParameterError("version", "1 or 2", version)
    data = {}
    for name in sorted(columns, key=lambda s: s.encode("utf-8")):
        col = columns[name]
        tname = type_name_of(name, col)
        if tname == "Shoebox<>":
            payload = pack_shoeboxes(col, version)
        else:
            dt, tail = TYPES[tname]
            a = np.asarray(col)
            if a.dtype.kind in "iu" and dt == "<i4" and a.size and (a.min() < -2**31 or a.max() >= 2**31):
                raise ParameterError(name, "values that fit in int32", (a.min(), a.max()))
            payload = memoryview(np.ascontiguousarray(a.astype(dt, copy=False)).reshape(-1).view(np.uint8))
        data[name] = [tname, [int(nrows), payload]]
    ids = {int(k): str(v) for k, v in sorted(identifiers.items())}
    return msgpack.packb([MAGIC_NAME, version, {"identifiers": ids, "nrows": int(nrows), "data": data}],
                         use_bin_type=True)


def write_refl(path, columns: dict, identifiers: dict, nrows: int, version: int = 1, fmt: str | None = None) -> None:
    """Write a .refl atomically: msgpack (gzip when the name ends in .gz) or, with fmt='hdf5', HDF5."""
    path = Path(path)
    if fmt == "hdf5":
        return write_dials_hdf5(path, columns, identifiers, nrows)
    raw = pack_msgpack(columns, identifiers, nrows, version)
    if path.suffix == ".gz":
        raw = gzip.compress(raw, mtime=0)
    with atomic_write(path, "wb") as fh:
        fh.write(raw)


# --------------------------------------------------------------------------- HDF5 variant
def read_dials_hdf5(path, columns=None):
    """Read DIALS' HDF5 .refl layout (/dials/<last>/group_<n>, concatenated in order)."""
    import h5py
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"cannot open HDF5 ({exc})", path=path) from None
    with fh:
        if "dials" not in fh or not len(fh["dials"]):
            raise FormatError("no /dials group", path=path, expected="/dials/<name>/group_<n>")
        top = fh["dials"][sorted(fh["dials"])[-1]]
        names = sorted((k for k in top if k.startswith("group_")), key=lambda k: int(k[6:]) if k[6:].isdigit() else 0)
        parts, idents = [], {}
        for gname in names:
            g = top[gname]
            ids = [x.decode() if isinstance(x, bytes) else str(x) for x in g.attrs.get("identifiers", [])]
            eids = [int(x) for x in g.attrs.get("experiment_ids", [])]
            idents.update(zip(eids, ids))
            cols = {}
            for k, obj in g.items():
                if columns is not None and k not in columns:
                    continue
                if isinstance(obj, h5py.Group):
                    cols[k] = _read_h5_shoebox(obj, path)
                else:
                    a = obj[()]
                    if a.dtype.kind in "OS":
                        a = np.array([x.decode() if isinstance(x, bytes) else str(x) for x in a.ravel()])
                    cols[k] = a
            parts.append(cols)
    if not parts:
        return {}, idents, 0, 0
    keys = list(parts[0])
    out = {}
    for k in keys:
        vals = [p[k] for p in parts if k in p]
        if len(vals) != len(parts):
            raise FormatError(f"column {k!r} missing in some groups", path=path)
        out[k] = ShoeboxColumn.concat(vals) if isinstance(vals[0], ShoeboxColumn) else np.concatenate(vals)
    lens = {len(v) for v in out.values()}
    if len(lens) > 1:
        raise FormatError("columns of different lengths", path=path, got=sorted(lens))
    return out, idents, (lens.pop() if lens else 0), 0


def _read_h5_shoebox(g, path) -> ShoeboxColumn:
    try:
        bbox = g["bbox"][()].astype(np.int32).reshape(-1, 6)
        panel = g["panel"][()]
        data, bg = g["shoebox_data"][()].ravel(), g["shoebox_background"][()].ravel()
        mask = g["shoebox_mask"][()].ravel()
    except KeyError as exc:
        raise FormatError(f"shoebox group {g.name} incomplete ({exc})", path=path) from None
    vol = ShoeboxColumn._volume(bbox)
    if np.any(vol < 0) or vol.sum() != data.size:
        raise FormatError(f"shoebox group {g.name}: pixel count does not match bboxes", path=path,
                          expected=int(np.maximum(vol, 0).sum()), got=data.size)
    off = np.zeros(vol.size + 1, np.int64)
    np.cumsum(vol, out=off[1:])
    return ShoeboxColumn(panel, bbox, vol > 0, off, data, mask.astype(np.uint8), bg)


def write_dials_hdf5(path, columns: dict, identifiers: dict, nrows: int) -> None:
    """Write DIALS' HDF5 layout: /dials/processing/group_0 with one dataset per column."""
    import h5py
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as fh:
            g = fh.create_group("dials/processing/group_0")
            keys = sorted(identifiers)
            g.attrs["identifiers"] = np.array([identifiers[k] for k in keys], dtype=h5py.string_dtype())
            g.attrs["experiment_ids"] = np.array(keys, dtype=np.uint64)
            for name, col in columns.items():
                if isinstance(col, ShoeboxColumn):
                    s = g.create_group(name)
                    alloc = col.allocated
                    bbox = np.where(alloc[:, None], col.bbox, 0).astype(np.int32)
                    s.create_dataset("bbox", data=bbox)
                    s.create_dataset("panel", data=col.panel.astype(np.uint64))
                    s.create_dataset("shoebox_data", data=col.data)
                    s.create_dataset("shoebox_background", data=col.background)
                    s.create_dataset("shoebox_mask", data=col.mask)
                else:
                    a = np.asarray(col)
                    if a.dtype.kind == "U":
                        a = np.char.encode(a, "utf-8")
                    g.create_dataset(name, data=a)
