"""Parallel zlib for OBF stacks with a full flush after every block (Imspector's per-plane layout).

After a Z_FULL_FLUSH the deflate state is reset, so each block between two
flush points is an independent raw-deflate segment: blocks are compressed and
inflated in threads (zlib releases the GIL), and the pieces joined with the
zlib header, an empty final block and the Adler-32 of the whole data form the
same stream a sequential compressor writes.
"""
from __future__ import annotations

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["compress_blocks", "inflate_blocks", "workers"]


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _deflate(block, level) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)


def compress_blocks(raw: np.ndarray, block: int, level: int):
    """Yield the zlib stream of ``raw`` (uint8) in pieces, with a full flush after each ``block`` bytes.

    The first piece carries the zlib header; a flush point lies after every
    piece but the last, which is the final block and the Adler-32 trailer.
    """
    n = raw.size
    starts = range(0, n, block)
    header = zlib.compress(b"", level)[:2]
    adler = 1
    with ThreadPoolExecutor(workers()) as pool:
        # bounded look-ahead keeps memory at a few blocks
        pending = []
        it = iter(starts)
        for s in it:
            pending.append((s, pool.submit(_deflate, raw[s:s + block], level)))
            if len(pending) > 2 * workers():
                break
        first = True
        while pending:
            s, fut = pending.pop(0)
            seg = fut.result()
            adler = zlib.adler32(raw[s:s + block], adler)
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_deflate, raw[nxt:nxt + block], level)))
            yield (header + seg) if first else seg
            first = False
    yield b"\x03\x00" + struct.pack(">I", adler & 0xFFFFFFFF)


def _inflate(seg, expect):
    try:
        return zlib.decompressobj(-15).decompress(seg, expect)
    except zlib.error:
        return None          # the caller falls back to the sequential reader, which reports it


def inflate_blocks(stream: bytes, flush_positions, block: int, out: np.ndarray, limit: int) -> bool:
    """Inflate the segments between flush points in threads into ``out``; False if the layout does not fit."""
    fps = list(flush_positions)
    if len(stream) < 2 or block <= 0 or (stream[0] & 0x0F) != 8 or ((stream[0] << 8) | stream[1]) % 31 \
            or stream[1] & 0x20:
        return False
    bounds = [2] + fps + [len(stream)]
    if any(b > e for b, e in zip(bounds, bounds[1:])) or bounds[-2] > len(stream):
        return False
    mv = memoryview(stream)
    jobs = []
    for j in range(len(bounds) - 1):
        lo = j * block
        if lo >= limit:
            break
        expect = min(block, limit - lo) if j < len(fps) else limit - lo
        jobs.append((lo, expect, mv[bounds[j]:bounds[j + 1]]))
    with ThreadPoolExecutor(workers()) as pool:
        results = list(pool.map(lambda job: _inflate(job[2], job[1]), jobs))
    for (lo, expect, _), buf in zip(jobs, results):
        if buf is None or len(buf) != expect:
            return False
        out[lo:lo + expect] = np.frombuffer(buf, np.uint8)
    return True
