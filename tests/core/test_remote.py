"""beamkit.core.remote: object server and proxy over ZeroMQ (loopback only)."""
from __future__ import annotations

import threading
import time

import msgpack
import numpy as np
import pytest
import zmq

from beamkit.core.remote import Proxy, Server
from beamkit.core.remote_wire import decode, encode
from beamkit.errors import AccessDenied, FormatError, ParameterError, RemoteError


class Instrument:
    def __init__(self):
        self.state = "idle"
        self.gain = 1.0
        self.secret = 42
        self.calls = 0

    def echo(self, *args, **kwargs):
        self.calls += 1
        return {"args": args, "kwargs": kwargs}

    def scale(self, a, factor=2.0):
        return a * factor

    def boom(self, msg):
        raise ValueError(msg)

    def slow(self, seconds):
        time.sleep(seconds)
        return seconds

    def forbidden(self):
        self.secret = 0
        return "ran"

    def unsendable(self):
        return {1, 2}


@pytest.fixture
def served():
    obj = Instrument()
    with Server(obj, methods=["echo", "scale", "boom", "slow", "unsendable"],
                properties=["state"], writable=["gain"]) as srv:
        px = Proxy(srv.address, timeout=3.0)
        yield obj, srv, px
        px.close()


def test_array_round_trip_nested_and_complex(served):
    obj, srv, px = served
    big = np.arange(200_000, dtype="f8").reshape(400, 500)
    cplx = (np.arange(50_000) * (1 + 2j)).astype("c8")
    fort = np.asfortranarray(np.random.default_rng(1).random((300, 200)))
    payload = {"big": big, "nested": [cplx, {"f": fort, "t": (1, 2.5, "x")}], "z": 3 - 4j,
               "small": np.array([1, 2, 3], "u2"), "s": np.float32(1.5), "empty": np.zeros((0, 3))}
    out = px.echo(payload, key=big[:, ::7])["args"][0]
    assert np.array_equal(out["big"], big) and out["big"].dtype == big.dtype
    assert np.array_equal(out["nested"][0], cplx) and out["nested"][0].dtype == np.complex64
    assert np.array_equal(out["nested"][1]["f"], fort) and out["nested"][1]["f"].flags.f_contiguous
    assert out["nested"][1]["t"] == (1, 2.5, "x")
    assert out["z"] == 3 - 4j and out["s"] == np.float32(1.5) and out["s"].dtype == np.float32
    assert out["small"].dtype == np.uint16 and out["empty"].shape == (0, 3)
    # received big arrays are views of the zmq frame, not copies
    assert not out["big"].flags.owndata and out["big"].base is not None
    assert px.scale(big, factor=0.5)[10, 10] == big[10, 10] * 0.5


def test_wire_zero_copy_send_side():
    a = np.arange(10_000.0)
    frames = encode({"a": a})
    assert len(frames) == 2 and np.shares_memory(np.asarray(frames[1]), a)
    back = decode(frames)["a"]
    assert np.shares_memory(back, a)


def test_properties_get_set_and_refusals(served):
    obj, srv, px = served
    assert px.state == "idle"
    px.gain = 2.5
    assert obj.gain == 2.5 and px.gain == 2.5
    with pytest.raises(AccessDenied):
        px.state = "busy"                      # readable, not writable
    with pytest.raises(AccessDenied):
        px.forbidden()                         # refused locally
    with pytest.raises(AccessDenied, match="forbidden"):
        px.remote_call("forbidden")            # refused by the server
    with pytest.raises(AccessDenied):
        px.remote_get("secret")
    with pytest.raises(AccessDenied):
        px.remote_set("state", "x")
    assert obj.secret == 42 and obj.state == "idle"


def test_raising_method_gives_error_reply_and_server_keeps_serving(served):
    obj, srv, px = served
    with pytest.raises(RemoteError) as ei:
        px.boom("bad gain")
    assert ei.value.remote_type == "ValueError" and "bad gain" in str(ei.value)
    with pytest.raises(RemoteError, match="TypeError"):
        px.scale()                               # wrong arguments
    with pytest.raises(RemoteError, match="cannot be sent"):
        px.unsendable()
    with pytest.raises(ParameterError):
        px.echo({1, 2})                          # client refuses to encode a set
    assert px.echo(1)["args"] == (1,)


def test_malformed_raw_messages_do_not_stop_server(served):
    obj, srv, px = served
    ctx = zmq.Context.instance()
    raw = ctx.socket(zmq.DEALER)
    raw.linger = 0
    raw.connect(srv.address)
    bad = [[b"\xc1garbage"], [b""], [msgpack.packb([1, 2, 3])],
           [msgpack.packb({"v": 1, "id": 5, "op": "call", "name": "echo", "args": 7})],
           [b"\xc7\x03\x01\x94\x01\x02"], [msgpack.packb({"v": 99, "op": "hello"})],
           [msgpack.packb({"v": 1, "id": 6, "op": "call", "name": "echo",
                           "args": [msgpack.ExtType(1, msgpack.packb(["<f8", [1000], False, 9]))]})]]
    try:
        for frames in bad:
            raw.send_multipart(frames)
            assert raw.poll(3000), "server did not answer a malformed message"
            reply = decode(raw.recv_multipart())
            assert reply["ok"] is False and reply["etype"] in ("FormatError", "AccessDenied")
    finally:
        raw.close()
    # a plain REQ client gets answers too
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect(srv.address)
    try:
        req.send(b"not msgpack \xff")
        assert req.poll(3000)
        assert decode(req.recv_multipart())["ok"] is False
    finally:
        req.close()
    assert px.echo("still alive")["args"] == ("still alive",)
    assert srv.running


def test_timeout_then_recovery():
    obj = Instrument()
    with Server(obj, methods=["slow", "echo"]) as srv:
        px = Proxy(srv.address, timeout=0.3)
        try:
            t0 = time.monotonic()
            with pytest.raises(RemoteError, match="within 0.3 s") as ei:
                px.slow(1.2)
            assert ei.value.remote_type == "Timeout" and time.monotonic() - t0 < 1.0
            time.sleep(1.0)                     # the late reply arrives and must be ignored
            assert px.echo("next")["args"] == ("next",)
        finally:
            px.close()
    with pytest.raises(RemoteError, match="no reply"):
        Proxy(srv.address, timeout=0.2)


def test_notifications_reach_subscribers(served):
    obj, srv, px = served
    got, done = [], threading.Event()

    def cb(topic, payload):
        got.append((topic, payload))
        if len(got) == 3:
            done.set()

    everything = []
    px.subscribe("progress", cb)
    px.subscribe("*", lambda t, p: everything.append(t))
    frame = np.arange(100_000, dtype="f4").reshape(100, 1000)
    srv.notify("progress", {"iter": 1, "frame": frame})
    srv.notify("other", 1)
    srv.notify("progress", 2)
    srv.notify("progressive", "must not match 'progress'")
    srv.notify("progress", [3j])
    assert done.wait(5), f"only got {got}"
    assert [g[0] for g in got] == ["progress"] * 3
    assert np.array_equal(got[0][1]["frame"], frame) and got[1][1] == 2 and got[2][1] == [3j]
    deadline = time.monotonic() + 3
    while len(everything) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert everything == ["progress", "other", "progress", "progressive", "progress"]
    with pytest.raises(ParameterError):
        srv.notify("", 1)
    with pytest.raises(ParameterError):
        srv.notify("x", object())


def test_token_required_off_loopback_and_checked():
    with pytest.raises(ParameterError, match="token"):
        Server(Instrument(), methods=["echo"], host="0.0.0.0")
    with pytest.raises(ParameterError, match="token"):
        Server(Instrument(), methods=["echo"], host="0.0.0.0", token="short")
    with pytest.raises(ParameterError):
        Server(Instrument(), methods=["nonexistent"])
    with pytest.raises(ParameterError):
        Server(Instrument(), methods=["_private"])
    with pytest.raises(ParameterError):
        Server(Instrument(), methods=["echo"], properties=["close"])   # a Proxy name
    token = "s3cret-token-for-tests"
    with Server(Instrument(), methods=["echo"], host="0.0.0.0", token=token) as srv:
        port = srv.port
        good = Proxy(f"tcp://127.0.0.1:{port}", token=token, timeout=3)
        intruder = zmq.Context.instance().socket(zmq.SUB)   # no credentials: PUB refuses it
        intruder.linger = 0
        intruder.subscribe(b"")
        intruder.connect(f"tcp://127.0.0.1:{good.exposed['pub_port']}")
        try:
            assert good.echo(1)["args"] == (1,)
            got = threading.Event()
            good.subscribe("status", lambda t, p: got.set())
            srv.notify("status", "ok")
            assert got.wait(3)
            time.sleep(0.2)
            srv.notify("status", "secret")
            assert not intruder.poll(300)
        finally:
            intruder.close()
            good.close()
        for bad in (None, "wrong-token-wrong"):
            with pytest.raises(AccessDenied, match="token"):
                Proxy(f"tcp://127.0.0.1:{port}", token=bad, timeout=3)
    with Server(Instrument(), methods=["echo"], token=token) as srv:   # loopback with a token
        with pytest.raises(AccessDenied):
            Proxy(srv.address, timeout=3)


def test_bad_proxy_arguments():
    with pytest.raises(ParameterError):
        Proxy("localhost:5555")
    with pytest.raises(ParameterError):
        Proxy("tcp://127.0.0.1:1", timeout=0)


def test_wire_rejects_object_dtype_and_bad_frames():
    with pytest.raises(TypeError):
        encode(np.array([object()]))
    hdr = msgpack.packb([msgpack.ExtType(1, msgpack.packb(["|O", [1], False, 1]))])
    with pytest.raises(FormatError):
        decode([hdr, b"\x00" * 8])
    hdr = msgpack.packb([msgpack.ExtType(1, msgpack.packb(["<f8", [4], False, 1]))])
    with pytest.raises(FormatError, match="wrong size"):
        decode([hdr, b"\x00" * 8])


def test_oversized_request_dropped_and_server_survives():
    with Server(Instrument(), methods=["echo"], max_message_bytes=4096) as srv:
        with Proxy(srv.address, timeout=0.5) as px:
            with pytest.raises(RemoteError, match="no reply"):
                px.echo(np.zeros(100_000))
            assert px.echo(1)["args"] == (1,)
    with pytest.raises(ParameterError):
        Server(Instrument(), methods=["echo"], max_message_bytes=10)
