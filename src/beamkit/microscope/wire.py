"""SpecPy's wire format: JSON texts back to back on a TCP stream (no delimiter, no length prefix).

Requests ``{"id": n, "method": "Class.method", "params": [handle, args...]}``,
replies ``{"id": n, "result": v}`` or ``{"id": n, "error": {"code", "message"}}``,
notifications without ``id``.  :class:`JsonStream` splits a byte stream into
messages and resynchronises after garbage.
"""
from __future__ import annotations

import json
import socket
import threading

__all__ = ["JsonStream", "MAX_MESSAGE", "ERR_SERVER", "ERR_METHOD", "ERR_PARSE", "ERR_REQUEST", "send_json"]

MAX_MESSAGE = 64 << 20   # bytes; a longer message is dropped as malformed
ERR_SERVER, ERR_METHOD, ERR_PARSE, ERR_REQUEST = -32000, -32601, -32700, -32600
_DEC = json.JSONDecoder()


class JsonStream:
    """Incremental splitter: ``feed(bytes)`` returns a list of decoded messages or ``ValueError``s."""

    def __init__(self):
        self._buf = bytearray()
        self._depth = 0
        self._in_str = False
        self._esc = False
        self._pos = 0        # scan position in _buf
        self._start = None   # start of the current object

    def feed(self, data: bytes) -> list:
        self._buf += data
        out = []
        buf = self._buf
        i = self._pos
        n = len(buf)
        while i < n:
            if self._start is None:
                # skip whitespace; anything else but '{' is garbage up to the next '{'
                j = buf.find(b"{", i)
                junk = bytes(buf[i:n if j < 0 else j]).strip()
                if junk:
                    out.append(ValueError(f"unexpected bytes outside a JSON object: {junk[:40]!r}"))
                if j < 0:
                    i = n
                    break
                self._start, i, self._depth = j, j, 0
            # scan for the end of the object; strings may hold braces
            seg = buf[i:n]
            if not self._in_str and b'"' not in seg and b"\\" not in seg:
                # fast path: count braces without strings in the way
                for k, c in enumerate(seg):
                    if c == 0x7B:
                        self._depth += 1
                    elif c == 0x7D:
                        self._depth -= 1
                        if self._depth == 0:
                            i += k + 1
                            break
                else:
                    i = n
            else:
                while i < n:
                    c = buf[i]
                    i += 1
                    if self._in_str:
                        if self._esc:
                            self._esc = False
                        elif c == 0x5C:
                            self._esc = True
                        elif c == 0x22:
                            self._in_str = False
                    elif c == 0x22:
                        self._in_str = True
                    elif c == 0x7B:
                        self._depth += 1
                    elif c == 0x7D:
                        self._depth -= 1
                        if self._depth == 0:
                            break
            if self._depth == 0 and self._start is not None and i > self._start and buf[i - 1] == 0x7D:
                text = bytes(buf[self._start:i])
                self._start = None
                try:
                    msg = json.loads(text.decode("utf-8"))
                    out.append(msg if isinstance(msg, dict) else ValueError("message is not a JSON object"))
                except (ValueError, UnicodeDecodeError) as exc:
                    out.append(ValueError(f"malformed JSON: {exc}"))
            elif self._start is not None and i - self._start > MAX_MESSAGE:
                out.append(ValueError("message too long"))
                self._start, self._depth, self._in_str, self._esc = None, 0, False, False
        # drop consumed bytes
        cut = self._start if self._start is not None else i
        del buf[:cut]
        if self._start is not None:
            self._start = 0
        self._pos = i - cut
        return out


def send_json(sock: socket.socket, lock: threading.Lock, msg: dict) -> None:
    """Send one message (compact JSON, no delimiter)."""
    data = json.dumps(msg, separators=(",", ":"), allow_nan=True).encode("utf-8")
    with lock:
        sock.sendall(data)
