"""``Imspector(host)``: a client of SpecPy's wire protocol (JSON over TCP, integer handles).

It talks to ``beamkit microscope serve`` and, in principle, to Imspector's
own server.  Objects are proxies holding a handle; a proxy that is garbage
collected tells the server (``<Class>.delete``).  ``Stack.data()`` reads the
pixels through shared memory when the server runs on this computer, else
with ``Stack.data_bytes`` (a beamkit extension); ``Stack.fetch()`` always
uses the latter.
"""
from __future__ import annotations

import base64
import itertools
import queue
import socket
import threading

import numpy as np

from ..core.log import get_logger
from .obf_format import DT_TO_NUMPY, numpy_to_dt
from .wire import JsonStream, send_json

__all__ = ["RemoteImspector", "RemoteMeasurement", "RemoteConfiguration", "RemoteStack", "RemoteValue",
           "RemoteFuture"]

log = get_logger("microscope.client")
_LOCAL = {"localhost", "127.0.0.1", "::1", ""}


class _Conn:
    """Socket, reader thread, pending requests and client callbacks."""

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port
        try:
            self.sock = socket.create_connection((host, port), timeout=10)
        except OSError as exc:
            raise RuntimeError(f"connect: {exc.strerror or exc} [{host}:{port}]") from None
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock = threading.Lock()
        self.ids = itertools.count(0)
        self.pending = {}
        self.cbs = {}
        self.cb_ids = itertools.count(1)
        self.cb_queue = queue.Queue()
        self.closed = False
        self.timeout = timeout
        threading.Thread(target=self._read, name="beamkit-spec-client", daemon=True).start()
        threading.Thread(target=self._run_callbacks, name="beamkit-spec-callbacks", daemon=True).start()

    def _read(self):
        stream = JsonStream()
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    break
                for msg in stream.feed(data):
                    if isinstance(msg, ValueError):
                        log.warning("malformed message from server: %s", msg)
                        continue
                    if msg.get("method") == "call":
                        self.cb_queue.put(msg)
                    elif "id" in msg and msg["id"] in self.pending:
                        slot = self.pending[msg["id"]]
                        slot[1] = msg
                        slot[0].set()
        except OSError:
            pass
        finally:
            self.closed = True
            for slot in list(self.pending.values()):
                slot[1] = {"error": {"message": "connection to the Imspector server lost"}}
                slot[0].set()
            self.cb_queue.put(None)

    def _run_callbacks(self):
        while True:
            msg = self.cb_queue.get()
            if msg is None:
                return
            params = msg.get("params") or [None]
            cb = self.cbs.get(params[0])
            try:
                if cb is not None:
                    cb(*params[1:])
            except Exception:  # noqa: BLE001 - user callbacks must not stop the client
                log.exception("callback failed")
            if msg.get("id") is not None:
                self.notify_reply(msg["id"])

    def notify_reply(self, mid):
        try:
            send_json(self.sock, self.lock, {"id": mid, "result": None})
        except OSError:
            pass

    def request(self, method, params):
        if self.closed:
            raise RuntimeError("connection to the Imspector server lost")
        mid = next(self.ids)
        slot = [threading.Event(), None]
        self.pending[mid] = slot
        try:
            send_json(self.sock, self.lock, {"id": mid, "method": method, "params": params})
            if not slot[0].wait(self.timeout):
                raise RuntimeError(f"timeout waiting for {method}")
        except OSError as exc:
            raise RuntimeError(f"connection to the Imspector server lost ({exc})") from None
        finally:
            self.pending.pop(mid, None)
        reply = slot[1]
        if "error" in reply and reply["error"] is not None:
            raise RuntimeError(reply["error"].get("message", "remote error"))
        return reply.get("result")

    def notify(self, method, params):
        if self.closed:
            return
        try:
            send_json(self.sock, self.lock, {"method": method, "params": params})
        except OSError:
            pass

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _Proxy:
    """Base of remote objects: forwards ``name(*args)`` as ``<Class>.name [handle, args...]``."""

    _cls = "Object"
    _returns: dict = {}

    def __init__(self, conn: _Conn, handle: int):
        self._conn, self._h = conn, handle

    def _call(self, name, *args):
        params = [self._h] + [a._h if isinstance(a, _Proxy) else a for a in args]
        res = self._conn.request(f"{self._cls}.{name}", params)
        kind = self._returns.get(name)
        return kind(self._conn, res) if kind is not None and res is not None else res

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self._call(name, *args)

    def __del__(self):
        try:
            if self._h != 0:
                self._conn.notify(f"{self._cls}.delete", [self._h])
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __eq__(self, other):
        return isinstance(other, _Proxy) and other._h == self._h and other._conn is self._conn

    def __hash__(self):
        return hash((id(self._conn), self._h))


class RemoteFuture(_Proxy):
    _cls = "Future"


class RemoteValue(_Proxy):
    _cls = "Value"


RemoteValue._returns = {"value_at": RemoteValue}


class RemoteStack(_Proxy):
    _cls = "Stack"

    def type(self):
        return DT_TO_NUMPY[self._call("type")].type

    def _shape(self):
        return tuple(int(s) for s in self._call("shape"))[::-1]

    def data(self) -> np.ndarray:
        """The pixels (a copy), through shared memory on this computer, else over TCP."""
        if self._conn.host in _LOCAL:
            try:
                return self._data_shm()
            except (OSError, ValueError, RuntimeError) as exc:
                log.debug("shared memory unavailable (%s); fetching over TCP", exc)
        return self.fetch()

    def _data_shm(self):
        from multiprocessing import resource_tracker, shared_memory
        name = self._call("share")
        dt = np.dtype(DT_TO_NUMPY[self._call("type")])
        shape = self._shape()
        blk = shared_memory.SharedMemory(name=name.lstrip("/"))
        try:
            resource_tracker.unregister(blk._name, "shared_memory")  # the server owns the block
        except Exception:  # noqa: BLE001
            pass
        try:
            n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
            return np.frombuffer(blk.buf, np.uint8, n).view(dt).reshape(shape).copy()
        finally:
            blk.close()

    def fetch(self) -> np.ndarray:
        """The pixels over the TCP connection (works across computers)."""
        dt = np.dtype(DT_TO_NUMPY[self._call("type")])
        raw = base64.b64decode(self._call("data_bytes"))
        return np.frombuffer(raw, dt).reshape(self._shape()).copy()

    def set_data(self, array) -> None:
        """Replace the pixels on the server (same number of elements and type)."""
        a = np.ascontiguousarray(array)
        numpy_to_dt(a.dtype)
        self._call("set_data_bytes", base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode())


class RemoteConfiguration(_Proxy):
    _cls = "Configuration"
    _returns = {"stack": RemoteStack}


class RemoteMeasurement(_Proxy):
    _cls = "Measurement"
    _returns = {"active_configuration": RemoteConfiguration, "configuration": RemoteConfiguration,
                "clone": RemoteConfiguration, "stack": RemoteStack, "create_stack": RemoteStack}

    def create_stack(self, type, sizes, noview=False):
        return RemoteStack(self._conn, self._conn.request(
            "Measurement.create_stack", [self._h, numpy_to_dt(np.dtype(type)), [int(s) for s in sizes]]))


_SIGNALS = {("begin", 0): 15, ("begin", 1): 0, ("end", 0): 14, ("end", 1): 2}


class RemoteImspector(_Proxy):
    """Proxy of an Imspector application on ``host:port``."""

    _cls = "Imspector"
    _returns = {"active_measurement": RemoteMeasurement, "measurement": RemoteMeasurement,
                "create_measurement": RemoteMeasurement, "clone_measurement": RemoteMeasurement,
                "open": RemoteMeasurement, "active_stack": RemoteStack, "value_at": RemoteValue,
                "start": RemoteFuture}

    def __init__(self, host: str, port: int = 12345, timeout: float | None = None):
        super().__init__(_Conn(host, port, timeout), 0)
        self._version = self._call("version")

    def host(self) -> str:
        return self._conn.host

    def version(self) -> str:
        return self._version

    def value_at(self, path: str = "", tree: int = 2):
        return self._call("value_at", path, tree)

    def start(self, arg=0):
        return self._call("start", arg)

    def run(self, m=None) -> int:
        """Activate ``m``, start it and wait for the result, as specpy does."""
        if m is not None:
            self._call("activate", m)
        return self._call("start", 0).get()

    def _cb(self, callback, signal, connect=True):
        if connect:
            cb_id = next(self._conn.cb_ids)
            self._conn.cbs[cb_id] = callback
            ok = self._conn.request("Imspector.connect", [0, cb_id, int(signal), -1])
            return bool(ok)
        for cb_id, cb in list(self._conn.cbs.items()):
            if cb == callback:
                self._conn.request("Imspector.disconnect", [0, cb_id, int(signal)])
                del self._conn.cbs[cb_id]
                return True
        return False

    def connect(self, callback, signal, timeout_ms=-1):
        return self._cb(callback, signal)

    def disconnect(self, callback, signal):
        return self._cb(callback, signal, connect=False)

    connect_measurement_cb = connect
    disconnect_measurement_cb = disconnect

    def connect_begin(self, callback, flag):
        return self._cb(callback, _SIGNALS[("begin", int(flag))])

    def connect_end(self, callback, flag):
        return self._cb(callback, _SIGNALS[("end", int(flag))])

    def disconnect_begin(self, callback, flag):
        return self._cb(callback, _SIGNALS[("begin", int(flag))], connect=False)

    def disconnect_end(self, callback, flag):
        return self._cb(callback, _SIGNALS[("end", int(flag))], connect=False)

    def close_connection(self) -> None:
        self._conn.close()

    def __repr__(self):
        return f"<RemoteImspector {self._conn.host}:{self._conn.port}>"
