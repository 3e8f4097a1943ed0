"""An Imspector server speaking SpecPy's wire protocol, in front of the simulated microscope.

The real ``specpy`` client (``specpy.get_application()``) and beamkit's
``Imspector(host)`` both drive it.  TCP on port 12345 (or ``SPEC_SERVER_PORT``),
loopback by default.  Objects travel as integer handles (0 = the application);
callbacks are pushed as ``{"id": n, "method": "call", "params": [cb_id]}``;
``Stack.share`` returns the name of a POSIX shared-memory block with the
pixels (same computer only) and ``Stack.data_bytes`` (a beamkit extension)
returns them base64-encoded for clients on other computers.  A malformed
message gets an error reply; a dropped client never stops the server.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import os
import socket
import threading
from multiprocessing import shared_memory

import numpy as np

from ..core.log import get_logger
from .acquisition import Future
from .imspector import Imspector, Value
from .measurement import Configuration, Measurement
from .obf_format import numpy_to_dt
from .stack import Stack
from .wire import ERR_METHOD, ERR_PARSE, ERR_REQUEST, ERR_SERVER, JsonStream, send_json

__all__ = ["SpecServer", "DEFAULT_PORT", "serve", "serve_in_subprocess"]

log = get_logger("microscope.server")
DEFAULT_PORT = 12345
FIRST_HANDLE = 4096   # handles never collide with start flags (0, 2, 4)

_IMSPECTOR = {"version", "host", "device_drivers", "device_names", "measurement_names", "parameters",
              "set_parameters", "state", "set_state", "active_measurement", "measurement", "create_measurement",
              "clone_measurement", "open", "activate", "close", "start", "pause", "stop", "run", "active_stack",
              "value_at", "log"}
_MEASUREMENT = {"name", "path", "number_of_configurations", "configuration_names", "active_configuration",
                "configuration", "activate", "clone", "remove", "parameters", "set_parameters", "number_of_stacks",
                "stack_names", "stack", "create_stack", "update", "save", "save_as", "show"}
_CONFIGURATION = {"id", "name", "set_name", "parameters", "set_parameters", "number_of_stacks", "stack_names",
                  "stack"}
_STACK = {"name", "set_name", "description", "set_description", "shape", "labels", "set_labels", "lengths",
          "set_lengths", "offsets", "set_offsets", "label", "set_label", "length", "set_length", "offset",
          "set_offset", "number_of_elements", "number_of_dimensions", "col_positions", "col_labels", "tag",
          "set_tag", "parameters"}
_VALUE = {"get", "set", "path", "value_at", "set_quiet"}
_FUTURE = {"get", "wait_for"}
_CLASSES = {"Imspector": (object, _IMSPECTOR), "Measurement": (Measurement, _MEASUREMENT),
            "Configuration": (Configuration, _CONFIGURATION), "Stack": (Stack, _STACK),
            "Value": (Value, _VALUE), "Future": (Future, _FUTURE)}
_BLOCKING = {"Future.get", "Imspector.run", "Future.wait_for"}
_CB_METHODS = {"connect", "disconnect", "connect_measurement_cb", "disconnect_measurement_cb",
               "connect_begin", "connect_end", "disconnect_begin", "disconnect_end"}


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


class _RemoteCallback:
    """A client callback: calling it pushes a ``call`` message to the connection."""

    def __init__(self, conn, cb_id):
        self.conn, self.cb_id = conn, cb_id

    def __call__(self, *args):
        self.conn.push_call(self.cb_id, list(args))

    def __eq__(self, other):
        return isinstance(other, _RemoteCallback) and (other.conn, other.cb_id) == (self.conn, self.cb_id)

    def __hash__(self):
        return hash((id(self.conn), self.cb_id))


class _Connection:
    """One client: its handles, callbacks, shared-memory blocks and a reader thread."""

    def __init__(self, server, sock, addr):
        self.server, self.sock, self.addr = server, sock, addr
        self.im = server.imspector
        self.lock = threading.Lock()
        self.handles = {0: self.im}
        self.ids = {}
        self.counter = itertools.count(FIRST_HANDLE)
        self.call_ids = itertools.count(1)
        self.callbacks = []          # (signal, _RemoteCallback)
        self.shm = {}                # stack handle -> SharedMemory
        self.closed = False

    # --- plumbing --------------------------------------------------------------------
    def send(self, msg):
        if self.closed:
            return
        try:
            send_json(self.sock, self.lock, msg)
        except OSError:
            self.closed = True

    def push_call(self, cb_id, args):
        self.send({"id": next(self.call_ids), "method": "call", "params": [cb_id] + args})

    def handle_of(self, obj) -> int:
        key = id(obj)
        h = self.ids.get(key)
        if h is None or self.handles.get(h) is not obj:
            h = next(self.counter)
            self.handles[h] = obj
            self.ids[key] = h
        return h

    def obj(self, h, cls=None, what="object"):
        if isinstance(h, bool) or not isinstance(h, int) or h not in self.handles:
            raise RuntimeError(f"Invalid handle {h!r}")
        o = self.handles[h]
        if cls is not None and not isinstance(o, cls):
            raise RuntimeError(f"Handle {h} is not a {what}")
        return o

    def wrap(self, v):
        if isinstance(v, (Measurement, Configuration, Stack, Value, Future)):
            return self.handle_of(v)
        if isinstance(v, type) and issubclass(v, np.generic):
            return numpy_to_dt(v)
        return _jsonable(v)

    # --- main loop -------------------------------------------------------------------
    def serve(self):
        stream = JsonStream()
        try:
            while not self.server._stop.is_set():
                try:
                    data = self.sock.recv(1 << 16)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not data:
                    break
                for msg in stream.feed(data):
                    self.dispatch(msg)
        finally:
            self.cleanup()

    def dispatch(self, msg):
        if isinstance(msg, ValueError):
            self.send({"id": None, "error": {"code": ERR_PARSE, "message": str(msg)}})
            return
        method, mid = msg.get("method"), msg.get("id")
        if method is None:
            return  # a reply to one of our callback calls
        if not isinstance(method, str) or not isinstance(msg.get("params", []), list):
            if mid is not None:
                self.send({"id": mid, "error": {"code": ERR_REQUEST, "message": "Invalid request"}})
            return
        if method.endswith(".delete"):
            params = msg.get("params") or []
            if params and params[0] != 0 and isinstance(params[0], int):
                obj = self.handles.pop(params[0], None)
                if obj is not None:
                    self.ids.pop(id(obj), None)
                    blk = self.shm.pop(params[0], None)
                    if blk is not None:
                        _release(blk)
            return
        if method in _BLOCKING:
            threading.Thread(target=self._answer, args=(mid, method, msg.get("params", [])),
                             daemon=True).start()
        else:
            self._answer(mid, method, msg.get("params", []))

    def _answer(self, mid, method, params):
        try:
            result = self.call(method, params)
            reply = {"id": mid, "result": result}
        except _NoMethod:
            reply = {"id": mid, "error": {"code": ERR_METHOD, "message": f"Method not found: {method}"}}
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error reply
            reply = {"id": mid, "error": {"code": ERR_SERVER, "message": str(exc) or type(exc).__name__}}
        if mid is not None:
            self.send(reply)

    def call(self, method, params):
        cls_name, _, name = method.partition(".")
        if cls_name == "Imspector" and name in _CB_METHODS:
            return self.callback_method(name, params)
        if cls_name == "Stack" and name in ("share", "data_bytes", "type", "set_data_bytes"):
            return self.stack_data(name, params)
        if cls_name not in _CLASSES or name not in _CLASSES[cls_name][1]:
            raise _NoMethod()
        cls = _CLASSES[cls_name][0]
        if not params:
            raise RuntimeError("missing object handle")
        target = self.im if cls_name == "Imspector" else self.obj(params[0], cls, cls_name)
        args = [self.unwrap_arg(cls_name, name, i, a) for i, a in enumerate(params[1:])]
        return self.wrap(getattr(target, name)(*args))

    def unwrap_arg(self, cls_name, name, i, a):
        """Turn handles into objects where a method takes an object."""
        if cls_name == "Imspector" and i == 0 and name in ("activate", "close", "pause", "stop", "run",
                                                           "clone_measurement"):
            return self.obj(a, Measurement, "Measurement")
        if cls_name == "Imspector" and name == "start" and i == 0:
            if isinstance(a, int) and isinstance(self.handles.get(a), Measurement):
                return self.handles[a]
            return a
        if cls_name == "Measurement" and i == 0 and name in ("activate", "clone", "remove"):
            return self.obj(a, Configuration, "Configuration")
        if cls_name == "Measurement" and name == "create_stack" and i == 0:
            return _dtype_arg(a)
        return a

    def callback_method(self, name, params):
        if len(params) < 3:
            raise RuntimeError(f"{name} needs a callback id and a signal")
        cb = _RemoteCallback(self, params[1])
        sig = params[2]
        if name.startswith("connect"):
            getattr(self.im, name)(cb, sig)
            self.callbacks.append((name.replace("connect", "disconnect", 1), sig, cb))
        else:
            getattr(self.im, name)(cb, sig)
            self.callbacks = [c for c in self.callbacks if not (c[2] == cb and c[1] == sig)]
        return True

    def stack_data(self, name, params):
        if not params:
            raise RuntimeError("missing object handle")
        s = self.obj(params[0], Stack, "Stack")
        a = np.ascontiguousarray(s.data())
        if name == "type":
            return numpy_to_dt(a.dtype)
        if name == "data_bytes":
            return base64.b64encode(a.tobytes()).decode("ascii")
        if name == "set_data_bytes":
            raw = base64.b64decode(params[1])
            s.set_data(np.frombuffer(raw, a.dtype).reshape(a.shape))
            return True
        blk = self.shm.get(params[0])
        if blk is None or blk.size < max(1, a.nbytes):
            if blk is not None:
                _release(blk)
            blk = shared_memory.SharedMemory(create=True, size=max(1, a.nbytes))
            self.shm[params[0]] = blk
        np.frombuffer(blk.buf, np.uint8, a.nbytes)[:] = a.reshape(-1).view(np.uint8)
        return blk.name

    def cleanup(self):
        self.closed = True
        for dname, sig, cb in self.callbacks:
            try:
                getattr(self.im, dname)(cb, sig)
            except Exception:  # noqa: BLE001
                pass
        self.callbacks = []
        for blk in self.shm.values():
            _release(blk)
        self.shm.clear()
        try:
            self.sock.close()
        except OSError:
            pass
        self.server._forget(self)


class _NoMethod(Exception):
    pass


def _release(blk):
    try:
        blk.close()
        blk.unlink()
    except (OSError, BufferError):
        pass


def _dtype_arg(a):
    from .obf_format import DT_TO_NUMPY
    if isinstance(a, int) and a in DT_TO_NUMPY:
        return DT_TO_NUMPY[a]
    try:
        return np.dtype(a)
    except TypeError:
        raise RuntimeError("Unsupported stack type.") from None


class SpecServer:
    """Serve ``imspector`` (a simulated one by default) on ``host:port`` in background threads."""

    def __init__(self, imspector=None, host: str = "127.0.0.1", port: int | None = None):
        self.imspector = imspector if imspector is not None else Imspector()
        if port is None:
            port = int(os.environ.get("SPEC_SERVER_PORT", DEFAULT_PORT))
        self.host, self.port = host, int(port)
        self._stop = threading.Event()
        self._conns = set()
        self._lock = threading.Lock()
        self._sock = None
        self._thread = None

    def start(self) -> "SpecServer":
        s = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(16)
        s.settimeout(0.2)
        self._sock = s
        self.port = s.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="beamkit-spec-server", daemon=True)
        self._thread.start()
        log.info("Imspector server on %s:%d", self.host, self.port)
        if self.host not in ("127.0.0.1", "::1", "localhost"):
            log.warning("the SpecPy protocol has no authentication: anyone who reaches %s:%d can drive "
                        "the microscope; prefer loopback plus an SSH tunnel", self.host, self.port)
        return self

    @property
    def address(self) -> tuple:
        return self.host, self.port

    def _accept(self):
        while not self._stop.is_set():
            try:
                sock, addr = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sock.settimeout(0.5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock, addr)
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=conn.serve, name=f"beamkit-spec-conn-{addr}", daemon=True).start()

    def _forget(self, conn):
        with self._lock:
            self._conns.discard(conn)

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def release_all(self) -> None:
        """Free the shared-memory blocks of every connection."""
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            for blk in list(c.shm.values()):
                _release(blk)
            c.shm.clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.release_all()


def serve(host: str = "127.0.0.1", port: int | None = None, imspector=None) -> None:
    """Run a server in the foreground until interrupted (Ctrl-C)."""
    import signal

    def _term(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _term)
    srv = SpecServer(imspector, host, port).start()
    print(f"Imspector server (simulated microscope) listening on {srv.host}:{srv.port}; Ctrl-C stops it")
    try:
        while True:
            srv._stop.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
        srv.release_all()


@contextlib.contextmanager
def serve_in_subprocess(port: int | None = None, timeout: float = 20.0):
    """Run ``beamkit microscope serve`` on loopback in a child process; yields its TCP port.

    A child process, because specpy's client holds the interpreter lock while it waits.
    Raises :class:`beamkit.errors.RemoteError` when the server does not accept a connection
    within ``timeout`` seconds; the child is terminated on exit.
    """
    import subprocess
    import sys
    import tempfile
    import time

    from ..errors import RemoteError
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    log = tempfile.TemporaryFile()          # a file, not a pipe: a chatty server never blocks on it
    proc = subprocess.Popen([sys.executable, "-m", "beamkit.cli", "microscope", "serve", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        t0 = time.monotonic()
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t0 > timeout:
                    proc.kill()
                    proc.wait(10)
                    log.seek(0)
                    out = log.read().decode(errors="replace")
                    raise RemoteError(f"microscope server on port {port} did not start: {out}",
                                      "ConnectionError") from None
                time.sleep(0.05)
        yield port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
