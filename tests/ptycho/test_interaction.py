import threading
import time

import numpy as np
import pytest
import zmq

from beamkit.errors import AccessDenied, RemoteError
from beamkit.ptycho import Ptycho, utils as u
from beamkit.ptycho.interaction import Client, InteractionServer, safe_assign, safe_eval


def _ptycho(tmp_path, numiter):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=True, server=u.Param(port=0)))
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=30, shape=32)))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=numiter))
    return Ptycho(p, level=4)


def _run_in_thread(P):
    t = threading.Thread(target=P.run, daemon=True)
    t.start()
    return t


def test_safe_expressions():
    ns = {"P": {"a": [1, 2, 3]}, "x": 2}
    assert safe_eval("P['a'][-1]", ns) == 3 and safe_eval("'a' in P", ns) is True
    assert safe_eval("list(P.keys())", ns) == ["a"] and safe_eval("P.get('b') is not None", ns) is False
    for bad in ("__import__('os')", "x.__class__", "open('f')", "(lambda: 1)()"):
        with pytest.raises((AccessDenied, NameError)):
            safe_eval(bad, ns)
    safe_assign("P['b'] = x + 1", ns)
    assert ns["P"]["b"] == 3
    with pytest.raises(AccessDenied):
        safe_assign("import os", ns)


def test_server_survives_malformed_requests_and_reconstruction_finishes(tmp_path):
    P = _ptycho(tmp_path, 400)
    addr = P.interactor.address
    t = _run_in_thread(P)
    c = Client(addr, "tester").connect()
    assert c.avail() == ["Ptycho"]
    with pytest.raises(RemoteError, match="undefined_name"):     # ptypy's bug 1 killed the server here
        c.get_now("undefined_name + 1")
    with pytest.raises(RemoteError):
        c.get_now("Ptycho.__dict__")
    # raw garbage straight onto the socket
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.REQ)
    s.linger = 0
    s.connect(addr)
    s.send(b"\x00\xffnot msgpack")
    assert s.poll(3000)
    s.recv_multipart()
    s.close()
    bad = c.get("Ptycho.nothing_here")
    good = c.get("Ptycho.runtime['iter_info'][-1]['iteration']")
    assert c.wait(good, 20) >= 1
    with pytest.raises(RemoteError, match="AttributeError"):
        c.wait(bad, 20)
    tk = c.do("Ptycho.runtime['touched_by_client'] = 42")
    c.wait(tk, 20)
    tk = c.set("my_value", np.arange(4.0))
    c.wait(tk, 20)
    assert c.get_now("Ptycho.runtime['touched_by_client']") == 42
    np.testing.assert_array_equal(c.get_now("my_value"), np.arange(4.0))
    obj = c.get_now("Ptycho.obj.S['SMFG00'].data")
    assert obj.dtype == np.complex64 and obj.ndim == 3
    c.disconnect()
    t.join(120)
    assert not t.is_alive()
    assert P.runtime["iterations"] == 400
    P.finalize()


def test_client_vanishing_mid_run_does_not_stall(tmp_path):
    P = _ptycho(tmp_path, 300)
    P.interactor.pingtimeout = 0.5
    t = _run_in_thread(P)
    c = Client(P.interactor.address, "flaky").connect()
    for _ in range(20):
        c.get("Ptycho.obj.S['SMFG00'].data")
    c.px.close()                                  # gone without DISCONNECT, tickets pending
    time.sleep(0.6)
    c2 = Client(P.interactor.address, "late").connect()   # stale client is dropped on the next connect
    assert len(P.interactor._clients) == 1
    c2.disconnect()
    t.join(120)
    assert not t.is_alive() and P.runtime["iterations"] == 300
    P.finalize()


def test_connection_limit_and_shutdown():
    srv = InteractionServer(dict(port=0, connections=1)).activate()
    try:
        a = Client(srv.address).connect()
        with pytest.raises(RemoteError, match="no more connection"):
            Client(srv.address).connect()
        a.stop_server()
        srv.process_requests()
        assert srv.server is None
    finally:
        srv.stop()
