"""Interaction server and client (ptypy's ``ptypy.io.interaction``) on :mod:`beamkit.core.remote`.

Same names and calls as ptypy: ``Server(pars, **kw)`` (``register``, ``activate`` -> port or None,
``process_requests``, ``stop``), ``Client(pars, **kw)`` (``activate``, ``connected``, ``get/set/do``
-> tickets, ``poll``, ``wait``, ``get_now``, ``avail``, ``flush``, ``stop``, ``data``, ``status``),
``Server_DEFAULT``/``Client_DEFAULT``.  Commands as ptypy's: CONNECT, DISCONNECT, PING, AVAIL,
GET, SET, DO (queued, served between iteration blocks), GETNOW (served at once), SHUTDOWN.

Deliberate differences:

* **the wire protocol is beamkit's** (msgpack over ZeroMQ DEALER/ROUTER, results fetched by the
  client instead of one PUB socket per client): ptypy's own JSON-over-REQ/REP client cannot talk
  to this server, nor this client to a ptypy server.  Scripts that use the classes work unchanged;
* a failing request returns an error reply (status ``'ExcName: message'``); the server loop
  never dies (core.remote catches every exception per request);
* queued requests are swapped out as one batch under a lock by the reconstruction thread,
  which never waits for the server thread (no lost wake-up, no hang);
* expressions are not ``eval``-ed: GET/GETNOW accept attribute/item paths on registered
  objects (``Ptycho.obj.S['SMFG00'].data``, ``list(Ptycho.obj.S.keys())``, comparisons),
  DO accepts assignments ``path = expression``; anything else is refused;
* the client thread pings every ``pinginterval`` (as ptypy's), and the server drops clients
  silent for longer than ``pingtimeout`` whenever it handles a request.
"""
from __future__ import annotations

import ast
import secrets
import types
import string
import threading
import time

from ..core.log import get_logger
from ..errors import AccessDenied, ParameterError, RemoteError

__all__ = ["Server", "Client", "Server_DEFAULT", "Client_DEFAULT", "InteractionServer", "safe_eval", "safe_assign"]

log = get_logger("ptycho.interaction")

_FUNCS = {"list": list, "len": len, "sorted": sorted, "tuple": tuple, "str": str, "float": float, "int": int}
_MAPPING_METHODS = {"keys", "values", "items", "get", "copy"}
_ARRAY_METHODS = {"tolist", "mean", "sum", "max", "min", "copy"}
_PATHS_METHODS = {"plot_file", "recon_file", "autosave_file", "auto_file"}
_MAX_ITEMS = 10 ** 7          # largest sequence a request may build (str * int, list * int)
_MAX_QUEUED = 1000            # queued GET/SET/DO requests per client between two iteration blocks
_MAX_MESSAGE = 2 ** 28        # bytes of one request (a SET of a large object still fits)
_CODE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
         types.BuiltinMethodType, types.CodeType, types.FrameType, types.GeneratorType, types.TracebackType)


def _exposed(v, what):
    """Refuse modules, classes, functions and other code objects: a request reaches data only."""
    if isinstance(v, _CODE) or (callable(v) and not hasattr(v, "__array__") and not isinstance(v, (dict, list))):
        raise AccessDenied(f"{what} is code ({type(v).__name__}), not data")
    return v


def _method(obj, name):
    """The allowed (type, method) pairs: mappings, arrays, Paths' file names."""
    import numpy as np
    from .autosave import Paths
    if (isinstance(obj, dict) and name in _MAPPING_METHODS) or \
            (isinstance(obj, (np.ndarray, np.generic)) and name in _ARRAY_METHODS) or \
            (isinstance(obj, Paths) and name in _PATHS_METHODS):
        return getattr(obj, name)
    raise AccessDenied(f"method {name!r} of {type(obj).__name__} is not allowed")


def _times(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * max(n, 0) > _MAX_ITEMS:
            raise AccessDenied(f"a sequence of more than {_MAX_ITEMS} items")
    return a * b
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
        return _exposed(getattr(_ev(node.value, ns), node.attr), f"attribute {node.attr!r}")
    if isinstance(node, ast.Subscript):
        return _exposed(_ev(node.value, ns)[_ev(node.slice, ns)], "item")
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
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: _times(a, b),
                ast.Div: lambda: a / b}[type(node.op)]()
    if isinstance(node, ast.Call) and not node.keywords:
        args = [_ev(a, ns) for a in node.args]
        if isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*args)
        if isinstance(node.func, ast.Attribute) and not node.func.attr.startswith("_"):
            return _exposed(_method(_ev(node.func.value, ns), node.func.attr)(*args), f"result of {node.func.attr!r}")
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
        val = _exposed(_ev(st.value, ns), "an assigned value")
        t = st.targets[0]
        if isinstance(t, ast.Name):
            ns[t.id] = val
        elif isinstance(t, ast.Attribute):
            if t.attr.startswith("_"):
                raise AccessDenied(f"private attribute {t.attr!r}")
            setattr(_exposed(_ev(t.value, ns), "an assignment target"), t.attr, val)
        elif isinstance(t, ast.Subscript):
            _ev(t.value, ns)[_ev(t.slice, ns)] = val
        else:
            raise AccessDenied(f"cannot assign to {ast.unparse(t)!r}")


def _copy_out(v):
    """A snapshot of a result (arrays copied, also inside lists, tuples and dicts)."""
    import numpy as np
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (list, tuple)):
        return type(v)(_copy_out(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy_out(x) for k, x in v.items()}
    return v


def _defaults(kind: str):
    """ptypy's ``io.interaction.<kind>`` defaults as a Param (from beamkit's parameter declarations)."""
    from .params import defaults
    return defaults(f"io.interaction.{kind}")


def _merge(default, pars, kwargs):
    p = default.copy()
    for src in (pars, kwargs):
        if src:
            for k, v in dict(src).items():
                p[k] = v
    return p


class _Handler:
    """The object exposed through core.remote (its methods are the commands)."""

    def __init__(self, srv: "Server"):
        self._s = srv

    def connect(self, name: str = ""):
        return self._s._connect(name)

    def disconnect(self, ID: str):
        return self._s._disconnect(ID)

    def ping(self, ID: str | None = None):
        if not self._s._touch(ID):
            return {"status": "Error: not connected"}
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


class Server:
    """Interaction server (ptypy's ``io.interaction.Server``).

    ``Server(pars=None, **kwargs)`` with the keys of :data:`Server_DEFAULT`; ``register(obj, name)``
    exposes an object, ``activate()`` binds and returns the port (None when no port is free),
    ``process_requests()`` (reconstruction thread) runs the queued GET/SET/DO commands,
    ``stop()`` closes.  ``address`` is the address without the port, as ptypy's.
    beamkit extras: ``port=0`` binds a free port; ``token`` (keyword) is a shared secret.
    """

    DEFAULT = _defaults("server")

    def __init__(self, pars=None, token=None, **kwargs):
        p = _merge(self.DEFAULT, pars, kwargs)
        self.p = p
        addr = str(p.get("address") or "tcp://127.0.0.1")
        if "://" not in addr:
            addr = "tcp://" + addr
        self.address = addr
        self.host = addr.split("://", 1)[-1]
        self.port = int(5560 if p.get("port") is None else p.get("port"))
        self.connections = int(p.get("connections") or 10)
        self.poll_timeout = float(p.get("poll_timeout") or 10.0)
        self.pinginterval = float(p.get("pinginterval") or 2.0)
        self.pingtimeout = float(p.get("pingtimeout") or 10.0)
        self.token = token
        self.objects: dict = {}
        self.objects_lock = threading.RLock()
        self._lock = threading.Lock()
        self._queue_items: list = []
        self._results: dict = {}
        self._clients: dict = {}
        self._shutdown_requested = False
        self.server = None

    @property
    def names(self) -> dict:
        """Connected clients: ID -> name (as ptypy's ``Server.names``)."""
        with self._lock:
            return {k: c["name"] for k, c in self._clients.items()}

    @property
    def full_address(self):
        """``address:port`` once active, else None."""
        return None if self.server is None else f"{self.address}:{self.port}"

    def register(self, obj, name: str):
        """Expose ``obj`` to clients under ``name``."""
        if name in self.objects:
            log.debug("an object called %s is already registered; replaced", name)
        self.objects[name] = obj

    def activate(self):
        """Bind (port, then port+20, … port+180 when busy, as ptypy) and serve in a daemon thread.

        Returns the port, or None when none of these ports could be bound (logged).
        """
        from ..core.remote import Server as _RemoteServer
        if self.server is not None:
            return self.port
        last = None
        for k in range(1 if self.port == 0 else 10):
            try:
                srv = _RemoteServer(_Handler(self), methods=["connect", "disconnect", "ping", "avail", "queue",
                                                             "get_now", "poll", "shutdown"],
                                    host=self.host, port=self.port + 20 * k, token=self.token,
                                    max_message_bytes=_MAX_MESSAGE)
                srv.start()
            except Exception as exc:  # noqa: BLE001 -- port busy or bad host: try the next one
                last = exc
                continue
            self.server = srv
            self.port = srv.port
            self._shutdown_requested = False
            log.info("interaction server listens on %s, port %d", self.address, self.port)
            return self.port
        log.warning("interaction server could not bind near %s:%d: %s", self.address, self.port, last)
        return None

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    def send_warning(self, message):
        """Send ``message`` to every connected client as unsolicited ticket 'WARN'."""
        return self._broadcast("WARN", message)

    def send_error(self, message):
        """Send ``message`` to every connected client as unsolicited ticket 'ERROR'."""
        return self._broadcast("ERROR", message)

    def _broadcast(self, ticket, message):
        with self._lock:
            for ID in self._results:
                self._results[ID][ticket] = {"ticket": ticket, "status": "ok", "out": str(message)}
        return {"status": "ok"}

    # server-thread side ------------------------------------------------------
    def _connect(self, name):
        with self._lock:
            self._drop_stale()
            if len(self._clients) >= self.connections:
                return {"ID": None, "status": "Error: no more connection allowed"}
            ID = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
            self._clients[ID] = dict(name=name, seen=time.monotonic())
            self._results[ID] = {}
        log.debug("connected client %r (ID=%s)", name, ID)
        return {"status": "ok", "ID": ID, "pingtimeout": self.pingtimeout}

    def _disconnect(self, ID):
        with self._lock:
            known = self._clients.pop(ID, None) is not None
            self._results.pop(ID, None)
            self._queue_items = [q for q in self._queue_items if q[0] != ID]
        return {"status": "ok"} if known else {"status": "Error: no such socket ID."}

    def _touch(self, ID) -> bool:
        with self._lock:
            self._drop_stale()
            if ID in self._clients:
                self._clients[ID]["seen"] = time.monotonic()
                return True
            return False

    def _drop_stale(self):
        now = time.monotonic()
        for ID in [k for k, c in self._clients.items() if now - c["seen"] > self.pingtimeout]:
            log.debug("client %s silent for more than %g s: disconnected", ID, self.pingtimeout)
            self._clients.pop(ID, None)
            self._results.pop(ID, None)
            self._queue_items = [q for q in self._queue_items if q[0] != ID]

    def _queue(self, ID, cmd, ticket, expr, val):
        cmd = str(cmd).upper()
        if cmd not in ("GET", "SET", "DO"):
            raise ParameterError("cmd", "GET, SET or DO", cmd)
        with self._lock:
            self._drop_stale()
            if ID not in self._clients:
                raise AccessDenied(f"client {ID!r} is not connected")
            self._clients[ID]["seen"] = time.monotonic()
            if sum(1 for q in self._queue_items if q[0] == ID) >= _MAX_QUEUED:
                raise AccessDenied(f"client {ID!r} has {_MAX_QUEUED} requests waiting; poll the results first")
            self._queue_items.append((ID, cmd, int(ticket), expr, val))
        return {"status": "ok"}

    def _collect(self, ID):
        with self._lock:
            self._drop_stale()
            if ID not in self._clients:
                return {"status": "Error: not connected", "results": {}}
            self._clients[ID]["seen"] = time.monotonic()
            res, self._results[ID] = self._results[ID], {}
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


#: beamkit's former name of :class:`Server`.
InteractionServer = Server


class Client:
    """Interaction client (ptypy's ``io.interaction.Client``), with a background thread.

    ``Client(pars=None, **kwargs)`` with the keys of :data:`Client_DEFAULT` (``address`` without
    the port, ``port``, ``poll_timeout`` ms, ``pinginterval`` s, ``connection_timeout`` ms).
    ``activate()`` starts the thread, which connects (``connected`` turns True), sends the queued
    commands, fetches results and pings the server every ``pinginterval`` so an idle client stays
    connected.  ``get/set/do`` return a ticket (or ``(ticket, data)`` when ``timeout`` > 0 and it was
    met); ``poll``/``wait`` report completion; results are in ``data[ticket]``, ``status[ticket]``.

    beamkit extras: ``Client('tcp://host:port', name)`` (one address string) and ``connect()``
    (activate and wait for the connection, raising RemoteError if refused), ``disconnect()``;
    ``token`` (shared secret) and ``timeout`` (seconds per request) keywords.
    """

    DEFAULT = _defaults("client")

    def __init__(self, pars=None, name=None, token=None, timeout: float = 10.0, **kwargs):
        if isinstance(pars, str):        # beamkit's former Client('tcp://host:port', name)
            addr, _, port = pars.rpartition(":")
            if port.isdigit() and "://" in addr:
                kwargs = dict(kwargs, address=addr, port=int(port))
            elif "://" in pars:
                kwargs = dict(kwargs, address=pars)
            else:
                raise ParameterError("address", "'tcp://host' or 'tcp://host:port'", pars)
            pars = None
        p = _merge(self.DEFAULT, pars, kwargs)
        self.p = p
        self.req_address = str(p.address)
        self.req_port = int(p.port)
        self.poll_timeout = float(p.poll_timeout)
        self.pinginterval = float(p.pinginterval)
        self.connection_timeout = float(p.connection_timeout)
        self.name = name or type(self).__name__
        self.token = token
        self.timeout = float(timeout)
        self.connected = False
        self.ID = None
        self.error = None
        self.cmds: list = []
        self.data: dict = {}
        self.status: dict = {}
        self.masterticket = 0
        self.tickets: dict = {}
        self.pending: list = []
        self.completed: list = []
        self.datatag: dict = {}
        self.tickets_to_tags: dict = {}
        self.tags_to_tickets: dict = {}
        self.last_reply = None
        self.lastping = 0.0
        self.px = None
        self._thread = None
        self._stopping = False
        self._lock = threading.Lock()
        self._send_lock = threading.RLock()
        self._ping_every = self.pinginterval
        self._wake = threading.Event()
        self._ready = threading.Event()

    @property
    def address(self) -> str:
        return f"{self.req_address}:{self.req_port}"

    # ------------------------------------------------------------ life cycle
    def activate(self):
        """Start the client thread (it connects, then serves the command queue and pings)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=f"interaction-client-{self.name}", daemon=True)
        self._thread.start()

    def connect(self, timeout: float | None = None):
        """Activate and wait until connected; raises RemoteError if refused or unreachable. Returns self."""
        self.activate()
        self._ready.wait(self.timeout + 1.0 if timeout is None else timeout)
        if not self.connected:
            self.stop()
            raise RemoteError(str(self.error or f"could not connect to {self.address}"), "ConnectionError")
        return self

    def stop(self):
        """Stop the thread, tell the server (DISCONNECT) and close the socket."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.timeout + 3.0)
        self._thread = None

    disconnect = stop

    def _run(self):
        from ..core.remote import Proxy
        try:
            self.px = Proxy(self.address, token=self.token, timeout=self.timeout)
            r = self.px.connect(self.name)
            if r.get("ID") is None:
                raise RemoteError(r.get("status", "connection refused"), "ConnectionError")
            self.ID = r["ID"]
            if r.get("pingtimeout"):       # ping often enough for this server, whatever pinginterval says
                self._ping_every = min(self.pinginterval, float(r["pingtimeout"]) / 4.0)
        except Exception as exc:  # noqa: BLE001 -- reported through .error / connect()
            self.error = exc
            log.error("interaction client could not connect to %s: %s", self.address, exc)
            self._close()
            self._ready.set()
            return
        self.connected = True
        self.lastping = time.monotonic()
        last_ok = time.monotonic()
        self._ready.set()
        try:
            while not self._stopping:
                try:
                    self._send_queued()
                    if self.pending:
                        self._fetch()
                    if time.monotonic() - self.lastping > self._ping_every:
                        self.lastping = time.monotonic()
                        if self.px.ping(self.ID).get("status") != "pong":
                            log.warning("interaction server %s dropped this client", self.address)
                            break
                    last_ok = time.monotonic()
                except RemoteError as exc:
                    if exc.remote_type != "Timeout":
                        log.warning("interaction client: %s", exc)
                        break
                    if (time.monotonic() - last_ok) * 1000.0 > self.connection_timeout:
                        log.warning("interaction server %s did not reply: connection closed", self.address)
                        break
                self._wake.wait(min(self.poll_timeout / 1000.0, self._ping_every / 2.0))
                self._wake.clear()
        finally:
            self.connected = False
            if self._stopping and self.ID is not None:
                try:                           # a farewell: do not wait long for a server that is gone
                    self.px.__dict__["timeout"] = min(self.timeout, 1.0)
                    self.px.disconnect(self.ID)
                except Exception:  # noqa: BLE001 -- the server may already be gone
                    pass
            self._close()

    def _close(self):
        if self.px is not None:
            self.px.close()

    def _send_queued(self):
        with self._send_lock:              # one sender at a time keeps the commands in order
            while True:
                with self._lock:
                    if not self.cmds:
                        return
                    cmd, ticket, expr, val = self.cmds[0]
                try:
                    self.px.queue(self.ID, cmd, ticket, expr, val)
                except RemoteError as exc:
                    if exc.remote_type == "Timeout":
                        raise
                    self._store({"ticket": ticket, "status": str(exc), "out": None})
                with self._lock:
                    self.cmds.pop(0)

    def _fetch(self):
        r = self.px.poll(self.ID)
        for v in (r.get("results") or {}).values():
            self._store(v)
        if r.get("status") != "ok":
            raise RemoteError(str(r.get("status")), "ConnectionError")

    def _store(self, msg):
        ticket = msg.get("ticket")
        self.data[ticket] = msg.get("out")
        self.status[ticket] = msg.get("status")
        tag = self.tickets_to_tags.pop(ticket, None)
        if tag is not None:
            self.datatag[tag] = self.data[ticket]
            self.tags_to_tickets.pop(tag, None)
        if ticket in self.pending:
            self.tickets[ticket] = "completed"
            self.pending.remove(ticket)
            self.completed.append(ticket)
            self.newdata(ticket)
        else:
            self.unexpected_ticket(ticket)

    # ------------------------------------------------------------ queued commands
    def _q(self, cmd, expr, val=None, timeout=0, tag=None):
        with self._lock:
            self.masterticket += 1
            ticket = self.masterticket
            self.tickets[ticket] = "pending"
            self.pending.append(ticket)
            if tag is not None:
                self.tags_to_tickets[tag] = ticket
                self.tickets_to_tags[ticket] = tag
            self.cmds.append((cmd, ticket, expr, val))
        if self.connected:     # queued on the server before returning (the thread retries on failure)
            try:
                self._send_queued()
            except RemoteError:
                pass
        self._wake.set()
        if timeout and timeout > 0 and self.wait(ticket, timeout=timeout):
            return ticket, self.data[ticket]
        return ticket

    def get(self, evalstr, timeout=0, tag=None):
        """Queue a GET of ``evalstr``; returns the ticket (or ``(ticket, data)`` within ``timeout`` s)."""
        return self._q("GET", evalstr, timeout=timeout, tag=tag)

    def set(self, varname, varvalue, timeout=0, tag=None):
        """Queue a SET of the server object ``varname`` to ``varvalue``; returns the ticket."""
        return self._q("SET", varname, varvalue, timeout=timeout, tag=tag)

    def do(self, execstr, timeout=0, tag=None):
        """Queue a DO (assignment statements); returns the ticket."""
        return self._q("DO", execstr, timeout=timeout, tag=tag)

    def poll(self, ticket=None, tag=None) -> bool:
        """True when ``ticket`` (or the ticket of ``tag``) is completed; without both: nothing pending."""
        if ticket is None and tag is None:
            return not self.pending
        if ticket is None:
            ticket = self.tags_to_tickets.get(tag)
        return ticket in self.completed

    def wait(self, ticket=None, tag=None, timeout=None) -> bool:
        """Block until ``ticket`` (or everything) is completed: True, or False after ``timeout`` s."""
        end = None if timeout is None else time.monotonic() + timeout
        if ticket is None and tag is not None:
            ticket = self.tags_to_tickets.get(tag)
        while True:
            if (ticket is None and not self.pending) or ticket in self.completed:
                return True
            if end is not None and time.monotonic() > end:
                return False
            if self._thread is None or not self._thread.is_alive():
                if not self.connected and self._ready.is_set():
                    return False
            time.sleep(0.01)

    def flush(self):
        """Forget the stored data and statuses."""
        self.data = {}
        self.status = {}
        self.datatag = {}

    def newdata(self, ticket):
        """Called when a ticket completes (replace it, e.g. to signal a GUI)."""

    def unexpected_ticket(self, ticket):
        """Called for data not asked for (server warnings and errors)."""
        log.debug("%s: %s", ticket, self.data.get(ticket))

    # ------------------------------------------------------------ synchronous commands
    def _sync(self, what, *args):
        if not self._ready.wait(self.timeout + 1.0) or not self.connected:
            raise RemoteError(f"not connected to {self.address}", "ConnectionError")
        return getattr(self.px, what)(*args)

    def get_now(self, evalstr):
        """Evaluate ``evalstr`` at once on the server; None (error logged) when it fails, as ptypy."""
        try:
            self.last_reply = self._sync("get_now", evalstr)
        except RemoteError as exc:
            log.error("get_now(%r) failed: %s", evalstr, exc)
            self.last_reply = {"status": str(exc), "out": None}
        return self.last_reply["out"]

    def avail(self):
        """The server's reply ``{'status': 'ok', 'avail': [registered names]}``."""
        self.last_reply = self._sync("avail")
        return self.last_reply

    def ping(self):
        return self._sync("ping", self.ID)

    def stop_server(self):
        """Ask the server to shut down (after its next ``process_requests``); returns its reply."""
        self.last_reply = self._sync("shutdown")
        return self.last_reply


#: ptypy's default parameters of the server and the client.
Server_DEFAULT = Server.DEFAULT
Client_DEFAULT = Client.DEFAULT
