"""The simulated Imspector: measurements, configurations, parameters, scans, callbacks, files."""
import threading
import time

import numpy as np
import pytest

from beamkit.microscope import (File, Imspector, MeasurementSignal, Stack, ValueTree, get_application)
from beamkit.microscope.ptree import decode_scan_mode
from beamkit.microscope.simulator import expected_plane, make_sample, psf_sigmas


@pytest.fixture
def im():
    im = Imspector()
    im.set_parameters("Simulator/time_scale", 0.0)
    return im


def small(m, n=32, psz=5e-8):
    for ax in "xy":   # psz keeps len (res follows); len keeps psz (res follows)
        m.set_parameters(f"ExpControl/scan/range/{ax}/psz", psz)
        m.set_parameters(f"ExpControl/scan/range/{ax}/len", n * psz)
        assert m.parameters(f"ExpControl/scan/range/{ax}/res") == n


def test_no_active_measurement_raises(im):
    with pytest.raises(RuntimeError):
        im.active_measurement()
    with pytest.raises(RuntimeError):
        im.active_stack()
    with pytest.raises(RuntimeError, match="No measurement 'nope'"):
        im.measurement("nope")
    m = im.create_measurement()
    assert im.active_measurement() is m
    with pytest.raises(RuntimeError, match="No active stack"):
        im.active_stack()
    assert get_application() is get_application()


def test_parameters_paths_and_coupling(im):
    m = im.create_measurement()
    x = m.parameters("ExpControl/scan/range/x")
    assert set(x) >= {"psz", "len", "off", "res", "g_off"}
    assert x["len"] == pytest.approx(x["psz"] * x["res"])
    m.set_parameters("ExpControl/scan/range/x/psz", 1e-7)
    assert m.parameters("ExpControl/scan/range/x/res") == 50
    m.set_parameters("ExpControl/scan/range/x/res", 100)
    assert m.parameters("ExpControl/scan/range/x/psz") == pytest.approx(5e-8)
    m.set_parameters("ExpControl/scan/range/x/len", 1e-5)
    assert m.parameters("ExpControl/scan/range/x/res") == 200
    with pytest.raises(RuntimeError, match="No parameter 'ExpControl/foo'"):
        m.parameters("ExpControl/foo")
    with pytest.raises(RuntimeError, match="No parameter"):
        m.set_parameters("ExpControl/foo", 1)
    with pytest.raises(RuntimeError, match="Invalid argument"):
        m.set_parameters("ExpControl/scan/dwelltime", "fast")
    with pytest.raises(RuntimeError, match="Invalid argument"):
        m.set_parameters("ExpControl/scan/range/x/psz", -1.0)
    whole = m.parameters("")
    assert whole["Measurement"]["axes"]["scan_axes"][:2] == ["ExpControl X", "ExpControl Y"]
    whole["ExpControl"]["scan"]["dwelltime"] = 2e-6
    m.set_parameters("", whole)
    assert m.parameters("ExpControl/scan/dwelltime") == 2e-6
    assert im.value_at("ExpControl/scan/dwelltime", ValueTree.Measurement).get() == 2e-6
    v = im.value_at("ExpControl/scan/range", ValueTree.Measurement).value_at("y/off")
    v.set(1e-6)
    assert m.parameters("ExpControl/scan/range/y/off") == 1e-6
    assert im.value_at("", ValueTree.Hardware).get()["OlympusIX"]["stage"]["invert_x"] is False
    assert im.state("ExpControl/measurement/running") is False
    assert "ExpControl" in im.device_drivers()
    assert decode_scan_mode(528) == ["x", "y", "z"] and decode_scan_mode(784) == ["x", "y", "t"]
    assert decode_scan_mode(1363) == ["t"]


def test_configurations(im):
    m = im.create_measurement()
    c1 = m.active_configuration()
    c1.set_parameters("ExpControl/scan/dwelltime", 3e-6)
    c2 = m.clone(c1)
    assert m.active_configuration() is c2 and m.number_of_configurations() == 2
    assert c2.parameters("ExpControl/scan/dwelltime") == 3e-6
    c2.set_parameters("ExpControl/scan/dwelltime", 7e-6)
    assert c1.parameters("ExpControl/scan/dwelltime") == 3e-6
    assert m.parameters("ExpControl/scan/dwelltime") == 7e-6  # the active one
    m.activate(c1)
    assert m.configuration(c2.name()) is c2 and m.configuration(0) is c1
    m.remove(c1)
    assert m.configuration_names() == [c2.name()] and m.active_configuration() is c2
    with pytest.raises(RuntimeError):
        m.remove(c2)
    with pytest.raises(RuntimeError):
        m.configuration(5)


def test_run_fills_stacks_from_parameters(im):
    m = im.create_measurement()
    small(m, 40, 5e-8)
    m.set_parameters("ExpControl/scan/dwelltime", 2e-5)
    assert im.run(m) == 0
    assert m.stack_names() == ["ExpControl Ch1 {1}", "ExpControl Ch2 {1}"]
    s = m.stack(0)
    assert s.shape() == [40, 40, 1, 1] and s.data().shape == (1, 1, 40, 40)
    assert s.lengths()[:2] == pytest.approx([2e-6, 2e-6])
    assert s.labels() == ["ExpControl X", "ExpControl Y", "None", "None"]
    assert im.active_stack() is m.stack(1)
    # shot noise around the expected image: mean counts scale with the dwell time
    total = sum(int(m.stack(i).data().sum()) for i in range(2))
    m.set_parameters("ExpControl/scan/dwelltime", 4e-5)
    im.run(m)
    total2 = sum(int(m.stack(i).data().sum()) for i in range(2))
    assert total2 / total == pytest.approx(2.0, rel=0.15)
    assert m.number_of_stacks() == 2  # stacks are reused


def test_xyz_and_xyt_scans(im):
    m = im.create_measurement()
    small(m, 16)
    m.set_parameters("ExpControl/scan/range/mode", 528)
    m.set_parameters("ExpControl/scan/range/z/res", 3)
    im.run(m)
    assert m.stack(0).shape() == [16, 16, 3, 1]
    assert m.stack(0).labels()[2] == "ExpControl Z"
    m.set_parameters("ExpControl/scan/range/mode", 784)
    m.set_parameters("ExpControl/scan/range/t/res", 2)
    im.run(m)
    assert m.stack(0).shape() == [16, 16, 1, 2] and m.stack(0).data().shape == (2, 1, 16, 16)


def test_image_physics():
    s = make_sample(seed=1, n_beads=1, n_filaments=0)
    s.xyz[:] = [[1e-7, -2e-7, 0.0]]
    x = np.arange(-20, 21) * 2e-8
    sig, sz = psf_sigmas(6.4e-7, 1.4)
    assert sig * 2.3548 == pytest.approx(0.51 * 6.4e-7 / 1.4, rel=1e-3)
    img = expected_plane(s, x, x, 0.0, sig, sz, np.array([1.0, 1.0]))
    iy, ix = np.unravel_index(np.argmax(img), img.shape)
    assert (x[ix], x[iy]) == pytest.approx((1e-7, -2e-7))
    sted, _ = psf_sigmas(6.4e-7, 1.4, sted_power=6.0, saturation=2.0)
    assert sted == pytest.approx(sig / 2)


def test_start_is_non_blocking_pause_continue_stop(im):
    im.set_parameters("Simulator/time_scale", 1.0)
    m = im.create_measurement()
    small(m, 50)
    m.set_parameters("ExpControl/scan/dwelltime", 2e-4)  # 10 ms per line, 0.5 s per frame
    fut = im.start(m)
    assert fut.wait_for(50) == 0 and not fut.ready()   # start returned while the scan runs
    time.sleep(0.1)
    im.pause(m)
    assert im.state("ExpControl/measurement/paused") is True
    filled = np.count_nonzero(m.stack(0).data()[0, 0].sum(axis=1) >= 0) and m.stack(0).data().copy()
    assert not fut.ready()
    im.set_parameters("Simulator/time_scale", 0.0)
    fut2 = im.start()      # continues where it paused
    assert fut2 is fut and fut.get() == 0
    assert m.stack(0).data().sum() >= filled.sum()
    im.set_parameters("Simulator/time_scale", 1.0)
    f3 = im.start(m)
    time.sleep(0.05)
    im.stop(m)
    assert f3.get() == 1   # Cancelled
    with pytest.raises(RuntimeError):
        im.start(m) and im.start(m)
    im.stop(m)


def test_callbacks_begin_end(im):
    m = im.create_measurement()
    small(m, 8)
    m.set_parameters("ExpControl/scan/range/mode", 528)
    m.set_parameters("ExpControl/scan/range/z/res", 3)
    seen = []
    cbs = {k: (lambda k=k: seen.append(k)) for k in ("b0", "b1", "e0", "e1")}
    im.connect_begin(cbs["b0"], 0)
    im.connect_begin(cbs["b1"], 1)
    im.connect_end(cbs["e0"], 0)
    im.connect_end(cbs["e1"], 1)
    im.run(m)
    assert seen == ["b0", "b1", "e1", "b1", "e1", "b1", "e1", "e0"]
    im.disconnect_end(cbs["e1"], 1)
    im.disconnect_begin(cbs["b1"], 1)
    seen.clear()
    sem = threading.Semaphore(0)   # the autoSTED pattern
    im.connect_end(sem.release, 0)
    im.run(m)
    assert sem.acquire(timeout=5) and seen == ["b0", "e0"]
    assert im.connect_measurement_cb(lambda: seen.append("u"), MeasurementSignal.upd_measurement)
    m.update()
    assert seen[-1] == "u"


def test_stacks_names_and_files(im, tmp_path):
    m = im.create_measurement()
    a = m.create_stack(np.int32, [10, 8, 1, 1])
    assert a.data().shape == (1, 1, 8, 10) and a.type() is np.int32
    b = m.create_stack(np.float32, [4, 4, 1, 1])
    b.set_name(a.name())
    assert b.name() == a.name() + " [1]"
    c = m.create_stack(np.uint8, [2, 2, 1, 1])
    c.set_name(a.name())
    assert c.name() == a.name() + " [2]"
    with pytest.raises(RuntimeError):
        m.create_stack(np.uint16, [4, 4])
    a.data()[0, 0, 1, 2] = 42          # data() is a view
    small(m, 8)
    im.run(m)
    p = tmp_path / "meas.obf"
    m.save_as(p)
    f = File(p)
    assert f.number_of_stacks() == m.number_of_stacks() == 5
    got = f.read(0)
    assert got.name() == a.name() and got.data()[0, 0, 1, 2] == 42
    assert got.parameters("doc/ExpControl/scan/range/x/res") == 8
    assert got.parameters("hwr/Simulator/seed") == 7
    assert im.open(p) is m              # already open under that path
    p2 = tmp_path / "copy.obf"
    p2.write_bytes(p.read_bytes())
    m2 = im.open(p2)
    assert im.open(p2) is m2 and m2.stack_names() == m.stack_names() and m2 is not m
    assert m2.parameters("ExpControl/scan/range/x/res") == 8
    np.testing.assert_array_equal(m2.stack(3).data(), m.stack(3).data())
    im.close(m2)
    assert m2.name() not in im.measurement_names() and im.active_measurement() is m
    im.close(m)
    with pytest.raises(RuntimeError):
        im.active_measurement()


def test_stack_api_conventions():
    s = Stack(np.zeros((2, 3, 4), np.uint16))
    assert s.shape() == [4, 3, 2] and s.offsets() == [-0.5] * 3 and s.lengths() == [4, 3, 2]
    assert s.labels() == ["", "", ""] and s.name() == "" and s.number_of_elements() == 24
    s2 = Stack(np.uint8, [5, 4])
    assert s2.data().shape == (4, 5)
    with pytest.warns(RuntimeWarning):
        assert s2.size(0) == 5 and s2.sizes() == [5, 4]
    with pytest.warns(RuntimeWarning):
        assert s2.number_of_dimensions() == 2
    with pytest.raises(RuntimeError, match="Invalid axis specified."):
        s2.label(2)
    with pytest.raises(RuntimeError):
        s2.set_labels(["a"])                    # specpy silently accepts this; we do not
    a = np.arange(6, dtype=">u2").reshape(2, 3)
    s3 = Stack(a)                               # big-endian input is converted, not reinterpreted
    np.testing.assert_array_equal(s3.data(), a)
    f = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(Stack(f).data(), f)
    a2 = np.ones(3, np.uint8)
    s4 = Stack(a2)
    a2[0] = 9
    assert s4.data()[0] == 1                    # Stack(array) copies
    s4.set_data([4, 5, 6])
    assert s4.data().tolist() == [4, 5, 6]
    s5 = Stack(np.zeros((3, 4)))
    s5.set_lengths([4e-6, 3e-6])
    s5.set_labels(["X", "Y"])
    md = s5.meta_data()
    assert md["units"] == ["m", "m"] and md["pixel_sizes"] == pytest.approx([1e-6, 1e-6])
    assert s5.col_positions(0) == pytest.approx(list(-0.5 + (np.arange(4) - 1.5) * 1e-6))


def test_oprop_round_trip_of_parameter_trees():
    from beamkit.microscope import oprop
    from beamkit.microscope.ptree import default_hardware_tree, default_measurement_tree
    for tree in (default_measurement_tree(), default_hardware_tree(), {"a": [], "b": None, "c": "x<&>"}):
        assert oprop.to_python(oprop.from_python(tree)) == tree
    assert oprop.to_python('<root type="struct" size="1 1"><a type="float" size="1 1">1</a></root>') is None
    assert oprop.to_python("<not xml") is None
    two = oprop.to_python('<root type="struct" size="1 1"><m type="double" size="2 2">1 2 3 4</m>'
                          '<c type="cell" userbits="1" size="2"><item idx="0" type="char" size="1 1">a</item>'
                          '<item idx="1" type="char" size="1 1">b</item></c></root>')
    assert two == {"m": [[1.0, 2.0], [3.0, 4.0]], "c": ["a", "b"]}


def test_simulator_settings_validated_on_the_parameter_tree(im):
    from beamkit.microscope.params import TREE
    assert im.parameters("Simulator") == dict(TREE.make_default("simulator"), time_scale=0.0)
    with pytest.raises(RuntimeError, match="time_scale"):
        im.set_parameters("Simulator/time_scale", -1.0)
    assert im.parameters("Simulator/time_scale") == 0.0      # unchanged after the failed set
    with pytest.raises(RuntimeError, match="n_beads"):
        im.set_parameters("Simulator", {"n_beads": -5, "seed": 3})
    assert im.parameters("Simulator/seed") == 7
    im.set_parameters("Simulator/n_beads", 10)
    assert "simulator.time_scale" in TREE.to_markdown()
