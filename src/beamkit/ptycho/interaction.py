"""Interaction server and client (ptypy's io.interaction) on :mod:`beamkit.core.remote`.

Commands as ptypy's: CONNECT, DISCONNECT, PING, AVAIL, GET, SET, DO (queued, served between
iteration blocks), GETNOW (served at once), SHUTDOWN. Differences that fix ptypy's bugs:

* a failing request returns an error reply (exception name and message); the server loop
  never dies (core.remote catches every exception per request);
* queued requests are swapped out as one batch under a lock by the reconstruction thread,
  which never waits for the server thread (no lost wake-up, no hang);
* expressions are not ``eval``-ed: GET/GETNOW accept attribute/item paths on registered
  objects (``Ptycho.obj.S['SMFG00'].data``, ``list(Ptycho.obj.S.keys())``, comparisons),
  DO accepts assignments ``path = expression``; anything else is refused.
"""
from __future__ import annotations

import ast
import secrets
import string
import threading
import time

from ..core.log import get_logger
from ..errors import AccessDenied, ParameterError, RemoteError

__all__ = ["InteractionServer", "Client", "safe_eval", "safe_assign"]

log = get_logger("ptycho.interaction")

_FUNCS = {"list": list, "len": len, "sorted": sorted, "tuple": tuple, "str": str, "float": float, "int": int}
_METHODS = {"keys", "values", "items", "get", "copy", "plot_file", "recon_file", "autosave_file", "tolist", "mean",
            "sum", "max", "min"}
_CMP = {ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b, ast.Is: lambda a, b: a is b,
        ast.IsNot: lambda a, b: a is not b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
        ast.Lt: lambda a, b: a < b, ast.Gt: lambda a, b: a > b, ast.LtE: lambda a, b: a <= b, ast.GtE: lambda a, b: a >= b}


def _ev(node, ns):
    if isinstance(node, ast.Expression):
        return _ev(node.body, ns)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ns:
            return ns[node.id]
        if node.id in ("None", "True", "False"):
            return {"None": None, "True": True, "False": False}[node.id]
        raise NameError(f"name {node.id!r} is not registered (available: {', '.join(sorted(ns))})")
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise AccessDenied(f"private attribute {node.attr!r} is not accessible")
        return getattr(_ev(node.value, ns), node.attr)
    if isinstance(node, ast.Subscript):
        return _ev(node.value, ns)[_ev(node.slice, ns)]
    if isinstance(node, ast.Slice):
        return slice(*(None if x is None else _ev(x, ns) for x in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_ev(node.operand, ns)
    if isinstance(node, (ast.Tuple, ast.List)):
        vals = [_ev(e, ns) for e in node.elts]
        return tuple(vals) if isinstance(node, ast.Tuple) else vals
    if isinstance(node, ast.Dict):
        return {_ev(k, ns): _ev(v, ns) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Compare):
        left = _ev(node.left, ns)
        for op, right in zip(node.ops, node.comparators):
            r = _ev(right, ns)
            if not _CMP[type(op)](left, r):
                return False
            left = r
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _ev(node.left, ns), _ev(node.right, ns)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b}[type(node.op)]()
    if isinstance(node, ast.Call) and not node.keywords:
        args = [_ev(a, ns) for a in node.args]
        if isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*args)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            return getattr(_ev(node.func.value, ns), node.func.attr)(*args)
        raise AccessDenied(f"call not allowed in {ast.unparse(node)!r}")
    raise AccessDenied(f"expression not allowed: {ast.unparse(node)!r}")


def safe_eval(expr: str, ns: dict):
    """Evaluate a path expression on the registered objects ``ns`` (no eval)."""
    if not isinstance(expr, str):
        raise ParameterError("str", "an expression string", expr)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ParameterError("str", "a Python path expression", expr, message=str(exc)) from None
    return _ev(tree, ns)


def safe_assign(code: str, ns: dict):
    """Run ``target = expression`` statements (targets are names, attributes or items)."""
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as exc:
        raise ParameterError("str", "assignment statements", code, message=str(exc)) from None
    for st in tree.body:
        if not isinstance(st, ast.Assign) or len(st.targets) != 1:
            raise AccessDenied(f"only assignments are allowed, not {ast.unparse(st)!r}")
        val = _ev(st.value, ns)
        t = st.targets[0]
        if isinstance(t, ast.Name):
            ns[t.id] = val
        elif isinstance(t, ast.Attribute):
            if t.attr.startswith("_"):
                raise AccessDenied(f"private attribute {t.attr!r}")
            setattr(_ev(t.value, ns), t.attr, val)
        elif isinstance(t, ast.Subscript):
            _ev(t.value, ns)[_ev(t.slice, ns)] = val
        else:
            raise AccessDenied(f"cannot assign to {ast.unparse(t)!r}")


def _copy_out(v):
    import numpy as np
    if isinstance(v, np.ndarray):
        return v.copy()
    return v


class _Handler:
    """The object exposed through core.remote (its methods are the commands)."""

    def __init__(self, srv: "InteractionServer"):
        self._s = srv

    def connect(self, name: str = ""):
        return self._s._connect(name)

    def disconnect(self, ID: str):
        return self._s._disconnect(ID)

    def ping(self, ID: str | None = None):
        self._s._touch(ID)
        return {"status": "pong"}

    def avail(self):
        return {"status": "ok", "avail": sorted(self._s.objects)}

    def queue(self, ID: str, cmd: str, ticket: int, expr: str, val=None):
        return self._s._queue(ID, cmd, ticket, expr, val)

    def get_now(self, expr: str):
        with self._s.objects_lock:
            return {"status": "ok", "out": _copy_out(safe_eval(expr, self._s.objects))}

    def poll(self, ID: str):
        return self._s._collect(ID)

    def shutdown(self):
        self._s._shutdown_requested = True
        return {"status": "ok"}


class InteractionServer:
    """Serve registered objects to clients; ``process_requests()`` runs queued commands (main thread)."""

    def __init__(self, pars=None, token=None):
        pars = dict(pars or {})
        addr = str(pars.get("address") or "tcp://127.0.0.1")
        self.host = addr.split("://", 1)[-1]
        self.port = int(5560 if pars.get("port") is None else pars.get("port"))
        self.connections = int(pars.get("connections") or 10)
        self.pingtimeout = float(pars.get("pingtimeout") or 10)
        self.token = token
        self.objects: dict = {}
        self.objects_lock = threading.RLock()
        self._lock = threading.Lock()
        self._queue_items: list = []
        self._results: dict = {}
        self._clients: dict = {}
        self._shutdown_requested = False
        self.server = None
        self.address = None

    def register(self, obj, name: str):
        self.objects[name] = obj

    def activate(self):
        """Bind (port, then port+20, … port+180 when busy, as ptypy) and serve in a daemon thread."""
        from ..core.remote import Server
        last = None
        for k in range(10):
            try:
                srv = Server(_Handler(self), methods=["connect", "disconnect", "ping", "avail", "queue", "get_now",
                                                      "poll", "shutdown"], host=self.host, port=self.port + 20 * k,
                             token=self.token)
                srv.start()
                self.server = srv
                self.address = srv.address
                log.info("interaction server at %s", self.address)
                return self
            except Exception as exc:  # port busy
                last = exc
        raise RemoteError(f"could not bind the interaction server near port {self.port}: {last}", type(last).__name__)

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    # server-thread side ------------------------------------------------------
    def _connect(self, name):
        with self._lock:
            self._drop_stale()
            if len(self._clients) >= self.connections:
                return {"ID": None, "status": "Error: no more connection allowed"}
            ID = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
            self._clients[ID] = dict(name=name, seen=time.monotonic())
            self._results[ID] = {}
        return {"status": "ok", "ID": ID}

    def _disconnect(self, ID):
        with self._lock:
            self._clients.pop(ID, None)
            self._results.pop(ID, None)
            self._queue_items = [q for q in self._queue_items if q[0] != ID]
        return {"status": "ok"}

    def _touch(self, ID):
        with self._lock:
            if ID in self._clients:
                self._clients[ID]["seen"] = time.monotonic()

    def _drop_stale(self):
        now = time.monotonic()
        for ID in [k for k, c in self._clients.items() if now - c["seen"] > self.pingtimeout]:
            self._clients.pop(ID, None)
            self._results.pop(ID, None)
            self._queue_items = [q for q in self._queue_items if q[0] != ID]

    def _queue(self, ID, cmd, ticket, expr, val):
        cmd = str(cmd).upper()
        if cmd not in ("GET", "SET", "DO"):
            raise ParameterError("cmd", "GET, SET or DO", cmd)
        with self._lock:
            if ID not in self._clients:
                raise AccessDenied(f"client {ID!r} is not connected")
            self._clients[ID]["seen"] = time.monotonic()
            self._queue_items.append((ID, cmd, int(ticket), expr, val))
        return {"status": "ok"}

    def _collect(self, ID):
        with self._lock:
            if ID in self._clients:
                self._clients[ID]["seen"] = time.monotonic()
            res = self._results.get(ID, {})
            if ID in self._results:
                self._results[ID] = {}
        return {"status": "ok", "results": res}

    # reconstruction-thread side -----------------------------------------------
    def process_requests(self) -> int:
        """Run the queued commands (one batch swapped out under the lock); never blocks on clients."""
        with self._lock:
            batch, self._queue_items = self._queue_items, []
        for ID, cmd, ticket, expr, val in batch:
            try:
                with self.objects_lock:
                    if cmd == "GET":
                        out = _copy_out(safe_eval(expr, self.objects))
                    elif cmd == "SET":
                        if not isinstance(expr, str) or not expr.isidentifier() or expr.startswith("_"):
                            raise ParameterError("str", "a plain name", expr)
                        self.objects[expr] = val
                        out = None
                    else:
                        safe_assign(expr, self.objects)
                        out = None
                r = {"ticket": ticket, "status": "ok", "out": out}
            except Exception as exc:  # noqa: BLE001 -- reported to the client, never raised
                r = {"ticket": ticket, "status": f"{type(exc).__name__}: {exc}", "out": None}
            with self._lock:
                if ID in self._results:
                    self._results[ID][str(ticket)] = r
        if self._shutdown_requested:
            self.stop()
        return len(batch)


class Client:
    """ptypy-like client: ``connect()``, ``get/set/do`` (tickets), ``wait``, ``get_now``, ``avail``."""

    def __init__(self, address: str, name: str = "client", token=None, timeout: float = 5.0):
        from ..core.remote import Proxy
        self.px = Proxy(address, token=token, timeout=timeout)
        self.name = name
        self.ID = None
        self.ticket = 0
        self.data: dict = {}
        self.status: dict = {}
        self.completed: list = []

    def connect(self):
        r = self.px.connect(self.name)
        if r.get("ID") is None:
            raise RemoteError(r.get("status", "connect refused"), "ConnectionError")
        self.ID = r["ID"]
        return self

    def _q(self, cmd, expr, val=None):
        self.ticket += 1
        self.px.queue(self.ID, cmd, self.ticket, expr, val)
        return self.ticket

    def get(self, expr):
        return self._q("GET", expr)

    def set(self, name, val):
        return self._q("SET", name, val)

    def do(self, code):
        return self._q("DO", code)

    def poll(self):
        r = self.px.poll(self.ID)
        for k, v in (r.get("results") or {}).items():
            t = int(k)
            self.data[t] = v.get("out")
            self.status[t] = v.get("status")
            self.completed.append(t)
        return len(r.get("results") or {})

    def wait(self, ticket, timeout: float = 10.0):
        """Poll until ``ticket`` is done; returns its data (raises RemoteError on a failed command)."""
        end = time.monotonic() + timeout
        while ticket not in self.status:
            if time.monotonic() > end:
                raise RemoteError(f"ticket {ticket} not served within {timeout} s", "TimeoutError")
            self.poll()
            if ticket not in self.status:
                time.sleep(0.01)
        if self.status[ticket] != "ok":
            raise RemoteError(str(self.status[ticket]), str(self.status[ticket]).split(":")[0])
        return self.data[ticket]

    def get_now(self, expr):
        return self.px.get_now(expr)["out"]

    def avail(self):
        return self.px.avail()["avail"]

    def ping(self):
        return self.px.ping(self.ID)

    def stop_server(self):
        return self.px.shutdown()

    def disconnect(self):
        try:
            if self.ID is not None:
                self.px.disconnect(self.ID)
        finally:
            self.ID = None
            self.px.close()
