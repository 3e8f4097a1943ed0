"""Object server and proxy over ZeroMQ: whitelisted methods and properties, pushed notifications.

>>> srv = Server(obj, methods=["run"], properties=["state"], writable=["gain"]).start()
>>> px = Proxy(srv.address); px.run(1, x=2); px.state; px.gain = 3
>>> px.subscribe("progress", lambda topic, payload: print(payload)); srv.notify("progress", 0.5)

Requests go DEALER -> ROUTER (raw REQ clients work too), notifications PUB -> SUB.
Messages are msgpack with numpy arrays as separate zero-copy frames
(:mod:`beamkit.core.remote_wire`).  Every request carries the shared-secret
token, compared with :func:`hmac.compare_digest`; binding to a non-loopback
host requires one.  The token authenticates requests but nothing is encrypted,
and with a token the PUB port admits only subscribers presenting it (ZeroMQ
PLAIN, checked by the server's own ZAP handler): use an SSH tunnel on
untrusted networks.  Requests are served one at a time in the
server thread while holding ``Server.lock``; the owner of the object may hold
that lock too, to change the object only between requests.
"""
from __future__ import annotations

import hmac
import ipaddress
import itertools
import os
import queue
import threading
import time

import zmq

from ..errors import AccessDenied, FormatError, ParameterError, RemoteError
from .log import get_logger
from .remote_wire import PROTOCOL, decode, encode

__all__ = ["Server", "Proxy", "PROXY_RESERVED"]

log = get_logger("remote")

#: names a Proxy uses itself; a Server refuses to expose them.
PROXY_RESERVED = frozenset({"subscribe", "unsubscribe", "close", "address", "exposed",
                            "remote_call", "remote_get", "remote_set", "timeout"})
_OPS = ("hello", "call", "get", "set", "sync")
_SYNC = b"\x00sync:"
_ZAP = "inproc://zeromq.zap.01"
_PLAIN_USER = b"beamkit"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _token_bytes(token, what="token"):
    if token is None:
        return None
    if isinstance(token, str):
        token = token.encode()
    if not isinstance(token, bytes) or not token:
        raise ParameterError(what, "a non-empty str or bytes", token)
    return token


def _check_names(names, what):
    out = []
    for n in names or ():
        if not isinstance(n, str) or not n.isidentifier() or n.startswith("_"):
            raise ParameterError(what, "public attribute names (identifiers not starting with '_')", n)
        if n in PROXY_RESERVED:
            raise ParameterError(what, "names other than " + ", ".join(sorted(PROXY_RESERVED)), n)
        out.append(n)
    return out


class Server:
    """Serve whitelisted ``methods`` and ``properties`` (``writable`` ones may be set) of ``obj``.

    host: interface to bind ('127.0.0.1' default; any other needs ``token``);
    port: TCP port (0 = a free one); send_timeout: seconds to wait for ZeroMQ to
    release array buffers of a reply or notification (s); max_message_bytes: larger
    requests are dropped by ZeroMQ (None = no limit).
    """

    def __init__(self, obj, methods=(), properties=(), host: str = "127.0.0.1", port: int = 0,
                 token=None, *, writable=(), lock=None, send_timeout: float = 5.0,
                 max_message_bytes: int | None = None):
        self.obj = obj
        self.methods = _check_names(methods, "methods")
        for m in self.methods:
            if not callable(getattr(obj, m, None)):
                raise ParameterError("methods", f"callable attributes of {type(obj).__name__}", m)
        self.writable = _check_names(writable, "writable")
        self.properties = list(dict.fromkeys(_check_names(properties, "properties") + self.writable))
        clash = set(self.methods) & set(self.properties)
        if clash:
            raise ParameterError("properties", "names not also listed as methods", sorted(clash))
        if not isinstance(host, str) or not host:
            raise ParameterError("host", "an interface name or IP address", host)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
            raise ParameterError("port", "an int in 0..65535", port)
        self._token = _token_bytes(token)
        if not _is_loopback(host) and (self._token is None or len(self._token) < 8):
            raise ParameterError("token", f"a shared secret of >= 8 characters to bind to non-loopback "
                                 f"host {host!r}", token if token is None else "<too short>")
        if max_message_bytes is not None and (not isinstance(max_message_bytes, int)
                                              or max_message_bytes < 1024):
            raise ParameterError("max_message_bytes", "None or an int >= 1024", max_message_bytes)
        self.max_message_bytes = max_message_bytes
        self.host, self.port, self.send_timeout = host, port, float(send_timeout)
        self.lock = lock if lock is not None else threading.RLock()
        self.address = None
        self._ctx = self._router = self._pub = self._zap = self._thread = None
        self._pub_port = None
        self._pub_lock = threading.Lock()
        self._stop = threading.Event()

    # ------------------------------------------------------------ life cycle
    def start(self) -> "Server":
        """Bind the sockets and serve in a daemon thread; returns self."""
        if self._thread is not None:
            return self
        ctx = zmq.Context()
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        try:
            router = ctx.socket(zmq.ROUTER)
            pub = ctx.socket(zmq.PUB)
            for s in (router, pub):
                s.linger = 0
                s.ipv6 = ":" in host
            if self.max_message_bytes:
                router.maxmsgsize = self.max_message_bytes
            if self._token is not None:      # subscribers must present the token (PLAIN + ZAP)
                self._zap = ctx.socket(zmq.REP)
                self._zap.linger = 0
                self._zap.bind(_ZAP)
                pub.plain_server = True
            router.bind(f"tcp://{host}:{self.port or '*'}")
            pub.bind(f"tcp://{host}:*")
        except zmq.ZMQError as exc:
            ctx.destroy(linger=0)
            self._zap = None
            raise ParameterError("host/port", "a free port on an existing interface",
                                 f"{self.host}:{self.port} ({exc})") from exc
        self._ctx, self._router, self._pub = ctx, router, pub
        self.address = router.last_endpoint.decode()
        self.port = int(self.address.rsplit(":", 1)[1])
        self._pub_port = int(pub.last_endpoint.decode().rsplit(":", 1)[1])
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"beamkit-remote-{self.port}", daemon=True)
        self._thread.start()
        log.debug("serving %s on %s", type(self.obj).__name__, self.address)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close the sockets (idempotent)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        with self._pub_lock:
            self._pub.close(linger=0)
            self._pub = None
        self._ctx.destroy(linger=0)
        self._thread = self._router = self._ctx = self._zap = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ notifications
    def notify(self, topic: str, payload=None) -> None:
        """Publish ``payload`` to every proxy subscribed to ``topic`` (from any thread).

        Arrays are sent without copying; the call returns once ZeroMQ has released them
        (at most ``send_timeout`` s), so the caller may change them afterwards.
        """
        if not isinstance(topic, str) or not topic or "\x00" in topic or topic == "*":
            raise ParameterError("topic", "a non-empty str without NUL, not '*'", topic)
        try:
            frames = encode(payload)
        except TypeError as exc:
            raise ParameterError("payload", "numbers, str, bytes, lists, tuples, dicts, arrays",
                                 type(payload).__name__, str(exc)) from exc
        with self._pub_lock:
            if self._pub is None:
                raise RemoteError("server is not running", "NotRunning")
            tracker = self._pub.send_multipart([topic.encode() + b"\x00", *frames],
                                               copy=False, track=len(frames) > 1)
        self._wait(tracker, f"notification {topic!r}")

    def _wait(self, tracker, what):
        if tracker is None or tracker.done:
            return
        try:
            tracker.wait(self.send_timeout)
        except zmq.NotDone:
            log.warning("%s: arrays still queued after %.1f s (slow peer)", what, self.send_timeout)

    # ------------------------------------------------------------ serving
    def _serve(self):
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        if self._zap is not None:
            poller.register(self._zap, zmq.POLLIN)
        while not self._stop.is_set():
            try:
                ready = dict(poller.poll(50))
                if self._zap is not None and self._zap in ready:
                    self._answer_zap(self._zap.recv_multipart())
                if self._router not in ready:
                    continue
                frames = self._router.recv_multipart(copy=False)
            except zmq.ZMQError:
                if self._stop.is_set():
                    break
                log.exception("receive failed")
                continue
            try:
                self._handle(frames)
            except Exception:  # noqa: BLE001 -- the loop must never die on a request
                log.exception("failed to answer a request")

    def _answer_zap(self, msg):
        """ZAP (RFC 27) check of a subscriber's PLAIN credentials against the token."""
        ok = (len(msg) >= 8 and msg[0] == b"1.0" and msg[5] == b"PLAIN" and msg[6] == _PLAIN_USER
              and hmac.compare_digest(msg[7], self._token))
        rid = msg[1] if len(msg) > 1 else b""
        self._zap.send_multipart([b"1.0", rid, b"200" if ok else b"400",
                                  b"OK" if ok else b"wrong token", b"beamkit" if ok else b"", b""])

    def _handle(self, frames):
        n_env = 2 if len(frames) >= 3 and len(frames[1]) == 0 else 1   # REQ clients add b""
        envelope = [f.bytes for f in frames[:n_env]]
        rid = None
        try:
            req = decode(frames[n_env:])
            if not isinstance(req, dict):
                raise FormatError("request is not a map", expected="a msgpack map", got=type(req).__name__)
            rid = req.get("id")
            if not isinstance(rid, (int, str, type(None))) or isinstance(rid, bool):
                rid = None
            reply = {"v": PROTOCOL, "id": rid, "ok": True, "result": self._dispatch(req)}
        except BaseException as exc:  # noqa: BLE001 -- a remote call must not end the server
            reply = {"v": PROTOCOL, "id": rid, "ok": False, "etype": type(exc).__name__,
                     "error": str(exc), "denied": isinstance(exc, AccessDenied)}
        try:
            out = encode(reply)
        except TypeError as exc:
            out = encode({"v": PROTOCOL, "id": rid, "ok": False, "etype": "TypeError",
                          "error": f"result cannot be sent: {exc}", "denied": False})
        tracker = self._router.send_multipart(envelope + out, copy=False, track=len(out) > 1)
        self._wait(tracker, "reply")

    def _dispatch(self, req):
        if req.get("v") != PROTOCOL:
            raise FormatError("unsupported protocol version", expected=PROTOCOL, got=req.get("v"))
        if self._token is not None:
            given = req.get("token")
            given = given.encode() if isinstance(given, str) else given
            if not isinstance(given, bytes) or not hmac.compare_digest(given, self._token):
                raise AccessDenied("wrong or missing token")
        op, name = req.get("op"), req.get("name")
        if op not in _OPS:
            raise FormatError("unknown operation", expected="|".join(_OPS), got=op)
        if op == "hello":
            return {"methods": self.methods, "properties": self.properties, "writable": self.writable,
                    "pub_port": self._pub_port, "type": type(self.obj).__name__}
        if not isinstance(name, (str, bytes)):
            raise FormatError("missing name", expected="a str", got=name)
        if op == "sync":                          # lets a subscriber know its subscription is live
            with self._pub_lock:
                if self._pub is not None:
                    self._pub.send(_SYNC + (name if isinstance(name, bytes) else name.encode()))
            return None
        if op == "call":
            if name not in self.methods:
                raise AccessDenied(f"method {name!r} is not exposed (methods: {', '.join(self.methods)})")
            args, kwargs = req.get("args", []), req.get("kwargs", {})
            if not isinstance(args, list) or not isinstance(kwargs, dict) \
                    or not all(isinstance(k, str) for k in kwargs):
                raise FormatError("bad call arguments", expected="args list, kwargs map with str keys",
                                  got=(type(args).__name__, type(kwargs).__name__))
            with self.lock:
                return getattr(self.obj, name)(*args, **kwargs)
        if op == "get":
            if name not in self.properties:
                raise AccessDenied(f"property {name!r} is not exposed (properties: {', '.join(self.properties)})")
            with self.lock:
                return getattr(self.obj, name)
        if name not in self.writable:
            raise AccessDenied(f"property {name!r} is not writable (writable: {', '.join(self.writable)})")
        with self.lock:
            setattr(self.obj, name, req.get("value"))
        return None


class _Method:
    __slots__ = ("_proxy", "_name")

    def __init__(self, proxy, name):
        self._proxy, self._name = proxy, name

    def __call__(self, *args, **kwargs):
        return self._proxy.remote_call(self._name, *args, **kwargs)

    def __repr__(self):
        return f"<remote method {self._name} at {self._proxy.address}>"


class Proxy:
    """Client of a :class:`Server`: ``px.method(...)``, ``px.prop``, ``px.prop = v``.

    timeout: seconds to wait for each reply; a timeout raises RemoteError and
    resets the socket, so the next call starts clean.  Arrays in results are
    zero-copy views of the received message.
    """

    def __init__(self, address: str, token=None, timeout: float = 5.0):
        if not isinstance(address, str) or not address.startswith(("tcp://", "ipc://", "inproc://")):
            raise ParameterError("address", "'tcp://host:port'", address)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
            raise ParameterError("timeout", "a positive number of seconds", timeout)
        d = self.__dict__
        d["address"], d["timeout"] = address, float(timeout)
        d["_token"] = _token_bytes(token)
        d["_ctx"] = zmq.Context()
        d["_lock"] = threading.Lock()
        d["_ids"] = itertools.count(1)
        d["_sock"] = None
        d["_subs"] = {}
        d["_sub_thread"] = None
        d["_sub_queue"] = queue.Queue()
        d["_sub_stop"] = threading.Event()
        d["_synced"] = {}
        d["_closed"] = False
        self._connect()
        try:
            d["exposed"] = self._request("hello", "")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ requests
    def _connect(self):
        if self._sock is not None:
            self._sock.close(linger=0)
        s = self._ctx.socket(zmq.DEALER)
        s.linger = 0
        s.ipv6 = True
        s.connect(self.address)
        self.__dict__["_sock"] = s

    def _request(self, op, name, args=(), kwargs=None, value=None):
        if self._closed:
            raise RemoteError("proxy is closed", "Closed")
        req = {"v": PROTOCOL, "id": 0, "op": op, "name": name, "token": self._token}
        if op == "call":
            req["args"], req["kwargs"] = list(args), dict(kwargs or {})
        elif op == "set":
            req["value"] = value
        with self._lock:
            rid = req["id"] = next(self._ids)
            try:
                frames = encode(req)
            except TypeError as exc:
                raise ParameterError(f"{name} arguments", "numbers, str, bytes, lists, tuples, dicts, arrays",
                                     None, str(exc)) from exc
            self._sock.send_multipart(frames, copy=False)
            deadline = time.monotonic() + self.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self._sock.poll(int(left * 1000) + 1):
                    if time.monotonic() < deadline:
                        continue
                    self._connect()          # drop the queued request so it never runs late
                    raise RemoteError(f"no reply from {self.address} within {self.timeout:g} s "
                                      f"({op} {name!r})", "Timeout")
                reply_frames = self._sock.recv_multipart(copy=False)
                try:
                    reply = decode(reply_frames)
                except FormatError as exc:
                    raise RemoteError(f"malformed reply from {self.address}: {exc}", "FormatError") from exc
                if isinstance(reply, dict) and reply.get("id") == rid:
                    break                       # replies to earlier, timed-out requests are skipped
        if reply.get("ok"):
            return reply.get("result")
        msg = str(reply.get("error", ""))
        if reply.get("denied"):
            raise AccessDenied(msg)
        raise RemoteError(msg, str(reply.get("etype", "RemoteError")))

    def remote_call(self, name: str, *args, **kwargs):
        """Call method ``name`` on the server (the server checks its whitelist)."""
        return self._request("call", name, args, kwargs)

    def remote_get(self, name: str):
        """Read property ``name`` on the server."""
        return self._request("get", name)

    def remote_set(self, name: str, value) -> None:
        """Set writable property ``name`` on the server."""
        self._request("set", name, value=value)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        ex = self.__dict__.get("exposed") or {}
        if name in ex.get("methods", ()):
            return _Method(self, name)
        if name in ex.get("properties", ()):
            return self.remote_get(name)
        raise AccessDenied(f"{name!r} is not exposed by {self.address} (methods: "
                           f"{', '.join(ex.get('methods', ()))}; properties: {', '.join(ex.get('properties', ()))})")

    def __setattr__(self, name, value):
        if name.startswith("_") or name in self.__dict__:
            raise AttributeError(f"cannot set {name!r} on a Proxy")
        if name not in self.exposed.get("writable", ()):
            raise AccessDenied(f"property {name!r} is not writable on {self.address} "
                               f"(writable: {', '.join(self.exposed.get('writable', ()))})")
        self.remote_set(name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.exposed["methods"]) | set(self.exposed["properties"]))

    def __repr__(self):
        return f"<Proxy of {self.exposed.get('type', '?')} at {self.address}>"

    # ------------------------------------------------------------ notifications
    def subscribe(self, topic: str, callback) -> None:
        """Call ``callback(topic, payload)`` in a background thread for each notification.

        ``topic='*'`` receives every topic.  Returns once the subscription is live
        on the server (or raises RemoteError after ``timeout``).
        """
        if not isinstance(topic, str) or not topic or "\x00" in topic:
            raise ParameterError("topic", "a non-empty str without NUL (or '*')", topic)
        if not callable(callback):
            raise ParameterError("callback", "a callable(topic, payload)", callback)
        first = topic not in self._subs
        self._subs.setdefault(topic, []).append(callback)
        if first:
            self._start_sub()
            self._sub_queue.put((zmq.SUBSCRIBE, b"" if topic == "*" else topic.encode() + b"\x00"))
            self._sync()

    def unsubscribe(self, topic: str, callback=None) -> None:
        """Remove ``callback`` (or every callback) for ``topic``."""
        cbs = self._subs.get(topic, [])
        if callback is not None and callback in cbs:
            cbs.remove(callback)
        if callback is None or not cbs:
            self._subs.pop(topic, None)
            self._sub_queue.put((zmq.UNSUBSCRIBE, b"" if topic == "*" else topic.encode() + b"\x00"))

    def _start_sub(self):
        if self._sub_thread is not None:
            return
        host = self.address.rsplit(":", 1)[0]
        pub = f"{host}:{self.exposed['pub_port']}"
        nonce = os.urandom(8).hex().encode()
        self.__dict__["_nonce"] = nonce
        t = threading.Thread(target=self._listen, args=(pub,), name="beamkit-remote-sub", daemon=True)
        self.__dict__["_sub_thread"] = t
        t.start()

    def _sync(self):
        """Ask the server to publish a marker until it arrives: then subscriptions are live."""
        ev = threading.Event()
        key = f"{next(self._ids)}".encode()
        marker = _SYNC + self._nonce + b":" + key
        self._synced[key] = ev
        # subscribed after the topics: the publisher sees subscriptions in order
        self._sub_queue.put((zmq.SUBSCRIBE, marker))
        deadline = time.monotonic() + self.timeout
        try:
            while time.monotonic() < deadline:
                self._request("sync", marker[len(_SYNC):])
                if ev.wait(0.05):
                    return
            raise RemoteError(f"subscription to {self.address} not confirmed within {self.timeout:g} s",
                              "Timeout")
        finally:
            self._synced.pop(key, None)
            self._sub_queue.put((zmq.UNSUBSCRIBE, marker))

    def _listen(self, pub_address):
        sub = self._ctx.socket(zmq.SUB)
        sub.linger = 0
        sub.ipv6 = True
        if self._token is not None:
            sub.plain_username, sub.plain_password = _PLAIN_USER, self._token
        sub.connect(pub_address)
        try:
            while not self._sub_stop.is_set():
                while True:
                    try:
                        opt, val = self._sub_queue.get_nowait()
                    except queue.Empty:
                        break
                    sub.setsockopt(opt, val)
                if not sub.poll(20):
                    continue
                frames = sub.recv_multipart(copy=False)
                self._deliver(frames)
        except zmq.ZMQError:
            if not self._sub_stop.is_set():
                log.exception("notification listener stopped")
        finally:
            sub.close(linger=0)

    def _deliver(self, frames):
        head = frames[0].bytes
        if head.startswith(_SYNC):
            key = head[len(_SYNC):].split(b":", 1)[-1]
            ev = self._synced.get(key)
            if ev is not None:
                ev.set()
            return
        topic = head[:-1].decode("utf-8", "replace")
        cbs = list(self._subs.get(topic, ())) + list(self._subs.get("*", ()))
        if not cbs:
            return
        try:
            payload = decode(frames[1:])
        except FormatError:
            log.warning("malformed notification on topic %r dropped", topic)
            return
        for cb in cbs:
            try:
                cb(topic, payload)
            except Exception:  # noqa: BLE001 -- one bad callback must not stop the others
                log.exception("callback for topic %r raised", topic)

    # ------------------------------------------------------------ closing
    def close(self) -> None:
        """Stop the listener thread and close the sockets (idempotent)."""
        if self._closed:
            return
        self.__dict__["_closed"] = True
        self._sub_stop.set()
        if self._sub_thread is not None:
            self._sub_thread.join(2.0)
        with self._lock:
            if self._sock is not None:
                self._sock.close(linger=0)
            self._ctx.destroy(linger=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
