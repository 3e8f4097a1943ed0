"""The SpecPy wire-protocol server: beamkit's client, malformed input, and the real specpy client."""
import socket
import threading

import numpy as np
import pytest

from beamkit.microscope import Imspector
from beamkit.microscope.server import SpecServer
from beamkit.microscope.wire import JsonStream


@pytest.fixture
def server():
    im = Imspector()
    im.set_parameters("Simulator/time_scale", 0.0)
    srv = SpecServer(im, port=0).start()
    yield srv
    srv.stop()
    srv.release_all()


def _small(m, n=16):
    m.set_parameters("ExpControl/scan/range/x/len", n * 5e-8)
    m.set_parameters("ExpControl/scan/range/y/len", n * 5e-8)


def test_json_stream_splits_and_resyncs():
    js = JsonStream()
    out = js.feed(b'{"id":0,"method":"a","params":["}{\\"x"]}{"id":1')
    assert out == [{"id": 0, "method": "a", "params": ['}{"x']}]
    out = js.feed(b',"result":null} junk {"id":2}')
    assert out[0] == {"id": 1, "result": None} and isinstance(out[1], ValueError) and out[2] == {"id": 2}
    out = js.feed(b'{"id": 3, bad}{"id":4}')
    assert isinstance(out[0], ValueError) and out[1] == {"id": 4}


def test_beamkit_client(server):
    im = Imspector("127.0.0.1", server.port)
    assert im.version().startswith("16.3") and im.host() == "127.0.0.1"
    assert im.measurement_names() == []
    with pytest.raises(RuntimeError, match="No active measurement"):
        im.active_measurement()
    m = im.create_measurement()
    assert im.measurement_names() == [m.name()]
    assert m.parameters("ExpControl/scan/range/x/psz") == pytest.approx(5e-8)
    m.set_parameters("ExpControl/scan/range/x/psz", 1e-7)
    assert m.parameters("ExpControl/scan/range/x/res") == 50
    with pytest.raises(RuntimeError, match="No parameter 'foo'"):
        m.parameters("foo")
    _small(m)
    ends, steps = threading.Event(), []
    assert im.connect_end(lambda *a: ends.set(), 0)
    assert im.connect_end(lambda *a: steps.append(1), 1)
    assert im.run(m) == 0
    assert ends.wait(5) and steps == [1]
    assert im.disconnect_end(ends.set, 0) is False   # a different callable
    names = m.stack_names()
    assert names == ["ExpControl Ch1 {2}".replace("{2}", "{1}"), "ExpControl Ch2 {1}"]
    s = m.stack(0)
    assert s.type() is np.uint16 and s.shape()[2:] == [1, 1] and s.name() == names[0]
    a, b = s.data(), s.fetch()
    assert a.shape == (1, 1, 16, 8) and a.dtype == np.uint16
    np.testing.assert_array_equal(a, b)
    assert int(a.sum()) == int(server.imspector.measurement(m.name()).stack(0).data().sum())
    s.set_data(np.full(a.shape, 7, np.uint16))
    assert int(s.fetch().sum()) == 7 * a.size
    conf = m.active_configuration()
    c2 = m.clone(conf)
    assert m.configuration_names() == ["Configuration 1", "Configuration 2"] and c2.name() == "Configuration 2"
    v = im.value_at("ExpControl/scan/dwelltime", 2)
    v.set(3e-6)
    assert v.get() == 3e-6
    fut = im.start(m)
    assert fut.get() == 0
    with pytest.raises(RuntimeError, match="Method not found"):
        im.no_such_method()
    im.close(m)
    assert im.measurement_names() == []
    im.close_connection()


def test_malformed_messages_and_dropped_clients(server):
    addr = ("127.0.0.1", server.port)
    with socket.create_connection(addr) as s:
        s.settimeout(5)
        s.sendall(b'garbage{"id": 1, "method": "Imspector.version", "params": [0]}[1,2]{"id":2,"method":5}'
                  b'{"id":3,"method":"Measurement.name","params":[999]}{"id":4,"method":"Imspector.activate",'
                  b'"params":[0, "x"]}{"id":5,"method":"Imspector.create_measurement","params":[0]}')
        js, got = JsonStream(), []
        while len(got) < 7:
            got += js.feed(s.recv(65536))
    by_id = {m.get("id"): m for m in got}
    assert by_id[1]["result"].startswith("16.3")
    assert by_id[2]["error"]["code"] == -32600
    assert "Invalid handle" in by_id[3]["error"]["message"]
    assert "error" in by_id[4] and isinstance(by_id[5]["result"], int)
    assert sum(1 for m in got if m.get("id") is None) == 2   # two parse errors (garbage, non-object)
    # a client that drops in the middle of a message and one that never sends
    s = socket.create_connection(addr)
    s.sendall(b'{"id": 9, "method": "Imspector.ver')
    s.close()
    socket.create_connection(addr).close()
    im = Imspector("127.0.0.1", server.port)
    assert im.measurement_names() == [server.imspector.measurement_names()[0]]


@pytest.fixture
def server_process():
    """beamkit microscope serve in a child process (specpy holds the GIL while it waits)."""
    from beamkit.microscope.server import serve_in_subprocess
    with serve_in_subprocess() as port:
        yield port


def test_real_specpy_client(server_process, monkeypatch):
    sp = pytest.importorskip("specpy")
    port = server_process
    monkeypatch.setenv("SPEC_SERVER_PORT", str(port))
    im = sp.get_application()                       # default host, port from SPEC_SERVER_PORT
    assert im.version().startswith("16.3")
    assert im.measurement_names() == []
    m = im.create_measurement()
    assert im.measurement_names() == [m.name()]
    assert m.parameters("ExpControl/scan/range/x/psz") == pytest.approx(5e-8)
    m.set_parameters("ExpControl/scan/range/x/psz", 1e-7)
    assert m.parameters("ExpControl/scan/range/x/psz") == pytest.approx(1e-7)
    assert m.parameters("ExpControl/scan/range/x/res") == 50
    with pytest.raises(RuntimeError, match="No parameter 'foo'"):
        m.parameters("foo")
    done = threading.Event()

    def on_end(*args):          # specpy keeps no reference of its own: keep this one alive
        done.set()
    with pytest.warns(RuntimeWarning):
        im.connect_end(on_end, 0)
    assert im.run(m) == 0
    assert done.wait(10)
    assert m.stack_names() == ["ExpControl Ch1 {1}", "ExpControl Ch2 {1}"]
    s = m.stack("ExpControl Ch1 {1}")
    assert s.type() is np.uint16 and list(s.shape()) == [50, 100, 1, 1]
    d = s.data()                                    # through shared memory
    assert d.shape == (1, 1, 100, 50)
    ours = Imspector("127.0.0.1", port).measurement(m.name()).stack(0).fetch()
    np.testing.assert_array_equal(d, ours)
    assert d.sum() > 0


def test_serve_in_subprocess_reports_a_server_that_does_not_start():
    from beamkit.errors import RemoteError
    from beamkit.microscope.server import serve_in_subprocess
    with pytest.raises(RemoteError, match="did not start"):
        with serve_in_subprocess(port=70000, timeout=20):     # no such TCP port: the child exits
            pass
