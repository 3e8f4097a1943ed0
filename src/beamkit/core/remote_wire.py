"""Wire format of :mod:`beamkit.core.remote`: msgpack headers plus raw array frames.

A message is a list of ZeroMQ frames.  Frame 0 is a msgpack document; every
numpy array in it larger than ``INLINE_BYTES`` is replaced by an ext record
``[dtype, shape, fortran, frame_index]`` and its buffer travels as its own frame
(sent with ``copy=False``, rebuilt with ``np.frombuffer`` on the received frame,
so neither side copies).  Small arrays travel inline as bytes.  Python complex
numbers, numpy scalars and tuples have ext records too, so they round-trip.

Only msgpack is ever decoded: nothing is unpickled or executed, and object
dtypes are refused in both directions.
"""
from __future__ import annotations

import msgpack
import numpy as np

from ..errors import FormatError

__all__ = ["encode", "decode", "INLINE_BYTES", "PROTOCOL"]

PROTOCOL = 1
INLINE_BYTES = 1024          # arrays up to this many bytes travel inside the header

_EXT_ARRAY = 1
_EXT_COMPLEX = 2
_EXT_TUPLE = 3
_EXT_SCALAR = 4


# ----------------------------------------------------------------- dtypes
def _dtype_to_wire(dt: np.dtype):
    if dt.hasobject:
        raise TypeError(f"numpy arrays of dtype {dt} (Python objects) cannot be sent")
    if dt.fields is None and dt.subdtype is None:
        return dt.str
    return dt.descr


def _tuplify_descr(descr):
    out = []
    for entry in descr:
        if not isinstance(entry, (list, tuple)) or len(entry) not in (2, 3):
            raise ValueError(f"bad structured dtype entry {entry!r}")
        name, fmt = entry[0], entry[1]
        if isinstance(fmt, (list, tuple)):
            fmt = _tuplify_descr(fmt)
        item = (name, fmt) if len(entry) == 2 else (name, fmt, tuple(entry[2]))
        out.append(item)
    return out


def _dtype_from_wire(spec) -> np.dtype:
    try:
        dt = np.dtype(spec) if isinstance(spec, str) else np.dtype(_tuplify_descr(spec))
    except (TypeError, ValueError) as exc:
        raise FormatError("bad array dtype in message", expected="a numpy dtype", got=spec) from exc
    if dt.hasobject:
        raise FormatError("object arrays are not accepted", expected="a plain numpy dtype", got=str(dt))
    return dt


# ----------------------------------------------------------------- encoding
def encode(obj) -> list:
    """Encode ``obj`` into a list of frames ``[header, *array_buffers]``.

    Raises TypeError for values msgpack cannot carry (sets, arbitrary objects,
    object arrays).
    """
    buffers: list = []

    def default(o):
        if isinstance(o, np.ndarray):
            return _pack_array(o)
        if isinstance(o, np.generic):
            if o.dtype.hasobject:
                raise TypeError("numpy object scalars cannot be sent")
            return msgpack.ExtType(_EXT_SCALAR, _packb([_dtype_to_wire(o.dtype), o.tobytes()]))
        if isinstance(o, complex):
            return msgpack.ExtType(_EXT_COMPLEX, _packb([o.real, o.imag]))
        if isinstance(o, tuple):
            return msgpack.ExtType(_EXT_TUPLE, _packb(list(o)))
        if isinstance(o, dict):
            return dict(o)
        if isinstance(o, list):
            return list(o)
        if isinstance(o, str):
            return str(o)
        if isinstance(o, int):
            return int(o)
        if isinstance(o, float):
            return float(o)
        if isinstance(o, (bytes, bytearray, memoryview)):
            return bytes(o)
        raise TypeError(f"cannot send a value of type {type(o).__name__} (use numbers, str, bytes, "
                        "lists, tuples, dicts and numpy arrays)")

    def _pack_array(a: np.ndarray):
        wire_dt = _dtype_to_wire(a.dtype)
        fortran = bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous)
        if not (a.flags.c_contiguous or fortran):
            a = np.ascontiguousarray(a)
        shape = list(a.shape)
        if a.nbytes <= INLINE_BYTES:
            ref = a.tobytes(order="F" if fortran else "C")
        else:
            buffers.append((a.T if fortran else a).reshape(-1).view(np.uint8))
            ref = len(buffers)
        return msgpack.ExtType(_EXT_ARRAY, _packb([wire_dt, shape, fortran, ref]))

    def _packb(o):
        return msgpack.packb(o, default=default, strict_types=True, use_bin_type=True)

    header = _packb(obj)
    return [header, *buffers]


# ----------------------------------------------------------------- decoding
def decode(frames: list):
    """Decode frames made by :func:`encode`; arrays are views of the received frames.

    ``frames`` holds bytes or ``zmq.Frame`` objects.  Anything malformed raises
    :class:`beamkit.errors.FormatError`.
    """
    if not frames:
        raise FormatError("empty message", expected="a msgpack header frame", got=0)

    def buf(f):
        return f.buffer if hasattr(f, "buffer") else memoryview(f)

    def ext_hook(code, data):
        if code == _EXT_ARRAY:
            return _unpack_array(_unpackb(data))
        if code == _EXT_COMPLEX:
            v = _unpackb(data)
            if (not isinstance(v, list) or len(v) != 2
                    or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
                raise FormatError("bad complex number in message", expected="[real, imag]", got=v)
            return complex(v[0], v[1])
        if code == _EXT_TUPLE:
            v = _unpackb(data)
            if not isinstance(v, list):
                raise FormatError("bad tuple in message", expected="a list", got=type(v).__name__)
            return tuple(v)
        if code == _EXT_SCALAR:
            v = _unpackb(data)
            if not isinstance(v, list) or len(v) != 2 or not isinstance(v[1], bytes):
                raise FormatError("bad numpy scalar in message", expected="[dtype, bytes]", got=v)
            dt = _dtype_from_wire(v[0])
            if len(v[1]) != dt.itemsize:
                raise FormatError("bad numpy scalar size", expected=dt.itemsize, got=len(v[1]))
            return np.frombuffer(v[1], dt)[0]
        raise FormatError("unknown msgpack extension type", expected="1-4", got=code)

    def _unpack_array(v):
        if not isinstance(v, list) or len(v) != 4:
            raise FormatError("bad array record", expected="[dtype, shape, fortran, ref]", got=v)
        spec, shape, fortran, ref = v
        dt = _dtype_from_wire(spec)
        if (not isinstance(shape, list) or len(shape) > 64
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise FormatError("bad array shape", expected="a list of non-negative ints", got=shape)
        count = 1
        for n in shape:
            count *= n
        if isinstance(ref, bytes):
            raw = bytearray(ref)            # small inline array: a writable copy
        elif isinstance(ref, int) and not isinstance(ref, bool) and 1 <= ref < len(frames):
            raw = buf(frames[ref])
        else:
            raise FormatError("array refers to a missing frame", expected=f"1..{len(frames) - 1}", got=ref)
        if len(raw) != count * dt.itemsize:
            raise FormatError("array buffer has the wrong size", expected=count * dt.itemsize, got=len(raw))
        a = np.frombuffer(raw, dtype=dt, count=count) if count else np.empty(0, dt)
        shp = tuple(shape)
        return a.reshape(shp[::-1]).T if fortran else a.reshape(shp)

    def _unpackb(data):
        return msgpack.unpackb(data, ext_hook=ext_hook, raw=False, strict_map_key=False,
                               use_list=True)

    head = frames[0]
    head = head.bytes if hasattr(head, "bytes") else bytes(head)
    try:
        return _unpackb(head)
    except FormatError:
        raise
    except (ValueError, TypeError, msgpack.UnpackException, msgpack.ExtraData, RecursionError) as exc:
        raise FormatError(f"malformed message: {exc}", expected="a msgpack header",
                          got=head[:32]) from exc
